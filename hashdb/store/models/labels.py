"""Labels: ``facet:value`` pairs from a deployment's controlled vocabulary.

A label is ``facet:value`` (``entity:group-x``, ``type:execution``, ``severity:high``); the
vocabulary lists every allowed pair, and a label outside it is refused on write, so a typo
never splits one group into two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hashdb.errors import InvalidLabel

_FACET = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_VALUE = re.compile(r"[a-z0-9][a-z0-9._/+-]{0,199}")


@dataclass(frozen=True, slots=True)
class VocabularyTerm:
    facet: str
    value: str
    description: str
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.facet}:{self.value}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "facet": self.facet,
            "value": self.value,
            "description": self.description,
        }


def parse_facet(text: str) -> str:
    facet = text.strip().lower()
    if not _FACET.fullmatch(facet):
        raise InvalidLabel(
            f"a label facet is a lowercase word (letters, digits, - and _), got {text!r}",
            facet=text[:100],
        )
    return facet


def parse_value(text: str) -> str:
    value = text.strip().lower()
    if not _VALUE.fullmatch(value):
        raise InvalidLabel(
            f"a label value is lowercase letters, digits and . _ / + - (no spaces), got {text!r}",
            value=text[:200],
        )
    return value


def parse_label(text: str) -> tuple[str, str]:
    """``"Type:Execution"`` -> ``("type", "execution")``, or :class:`InvalidLabel`."""
    facet, sep, value = text.partition(":")
    if not sep:
        raise InvalidLabel(f"a label is FACET:VALUE, e.g. type:execution; got {text!r}")
    return parse_facet(facet), parse_value(value)


def normalise_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Parsed, lowercased, de-duplicated and sorted labels (no vocabulary check)."""
    return tuple(sorted({"{}:{}".format(*parse_label(label)) for label in labels}))
