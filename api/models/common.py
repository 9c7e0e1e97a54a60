from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator

from hashdb.errors import InvalidValue
from hashdb.store.models.text import check_text

#: Ids fit a signed 64-bit integer in every backend; larger ones cannot exist.
MAX_ID = 2**62
MAX_PAGE = 1000
#: Fields of several lines: they may hold tabs and line breaks, no other control character.
LINES = frozenset({"note", "description", "reason", "comment"})


class RequestBody(BaseModel):
    """Base of every JSON request body: no string in it, however deep, holds a control
    character (:mod:`hashdb.store.models.text`); the 422 names the field."""

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        if not _printable(data):  # nearly every body is: then no field path is built
            _check(data, "")
        return data


def _printable(value: Any) -> bool:
    if isinstance(value, str):
        return value.isprintable()
    if isinstance(value, dict):
        return all(_printable(inner) for inner in value.values())
    if isinstance(value, list):
        return all(_printable(inner) for inner in value)
    return True


def _check(value: Any, field: str) -> None:
    if isinstance(value, str):
        try:
            check_text(field or "body", value, lines=field.rsplit(".", 1)[-1] in LINES)
        except InvalidValue as error:
            raise ValueError(error.message) from None
    elif isinstance(value, dict):
        for key, inner in value.items():
            _check(inner, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            _check(inner, f"{field}.{position}" if field else str(position))
