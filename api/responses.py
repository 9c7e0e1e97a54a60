"""``JSONAnswer``: the answer of the hot routes, serialised once by pydantic-core's encoder."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic_core import to_json


class JSONAnswer(JSONResponse):
    """The same bytes as ``JSONResponse`` (compact, UTF-8) from pydantic-core's encoder, which
    takes about a quarter of the time of the standard library's for a lookup's answer. A
    float that is not a number (which no answer should hold) is written ``null``, valid JSON,
    where ``JSONResponse`` refuses it with a 500."""

    def render(self, content: Any) -> bytes:
        return to_json(content, inf_nan_mode="null")
