"""What text hashdb stores: no control characters, and list names that every face can address.

One rule for every way text arrives (API, CLI, import, console): a NUL or an escape sequence
in a name, a label, a note or a reason is refused with :class:`InvalidValue` naming the field,
instead of reaching the database (PostgreSQL cannot store a NUL) or a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hashdb.errors import InvalidValue

#: C0 and C1 control characters and DEL. Text of several lines (notes, reasons,
#: descriptions) may hold tabs and line breaks; names hold none.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: A list name: 1-200 characters, no '/', no control characters, no leading or trailing
#: space, and not '.' or '..' (it is a path segment of the API and a file name on export).
LIST_NAME_MAX = 200
_LIST_NAME = re.compile(
    r"[^/\s\x00-\x1f\x7f-\x9f](?:[^/\x00-\x1f\x7f-\x9f]*[^/\s\x00-\x1f\x7f-\x9f])?"
)
LIST_NAME_RULE = (
    "1 to 200 characters, without '/', control characters or spaces at either end, "
    "and not '.' or '..'"
)


#: What ASCII text may hold: deleting these bytes leaves only its control characters.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
_PRINTABLE_ASCII_LINES = _PRINTABLE_ASCII + b"\t\n\r"


def control_character(text: str, *, lines: bool = False) -> str | None:
    """The first control character in ``text`` (tabs and line breaks allowed with
    ``lines``), or None."""
    if text.isascii():
        # No C1 controls in ASCII; a whole import file is checked ten times faster by
        # deleting the allowed bytes (one C loop) than by the regular expression.
        left = text.encode("ascii").translate(
            None, _PRINTABLE_ASCII_LINES if lines else _PRINTABLE_ASCII
        )
        return left[:1].decode("ascii") if left else None
    found = (_CONTROL_IN_LINES if lines else _CONTROL).search(text)
    return None if found is None else found.group()


def check_text(field: str, value: str, *, lines: bool = False) -> str:
    """``value`` if it holds no control character, else :class:`InvalidValue` naming
    ``field``. ``lines``: text of several lines, which may hold tabs and line breaks."""
    bad = control_character(value, lines=lines)
    if bad is not None:
        raise InvalidValue(
            f"{field}: control character {bad!r} at position {value.index(bad)}; "
            "text may not hold NUL, escape or other control characters",
            field=field,
        )
    return value


def check_optional(field: str, value: str | None, *, lines: bool = False) -> str | None:
    return None if value is None else check_text(field, value, lines=lines)


def check_texts(values: Mapping[str, Any], *, lines: frozenset[str] = frozenset()) -> None:
    """Every string of ``values`` (field -> value; lists of strings too) checked under its
    field's name. A clean record (nearly all of an import) costs one ``isprintable`` per
    string; only text that is not all printable (line breaks, some spaces) is searched."""
    for value in values.values():
        if isinstance(value, list | tuple) or (isinstance(value, str) and not value.isprintable()):
            break
    else:
        return
    for field, value in values.items():
        if isinstance(value, str):
            check_text(field, value, lines=field in lines)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, str):
                    check_text(field, item, lines=field in lines)


def check_list_name(name: str, field: str = "name") -> str:
    """A name a new list may take (:data:`LIST_NAME_RULE`), or :class:`InvalidValue`."""
    check_text(field, name)
    if len(name) > LIST_NAME_MAX or name in (".", "..") or not _LIST_NAME.fullmatch(name):
        raise InvalidValue(
            f"{field}: {name[:LIST_NAME_MAX]!r} is not a list name: {LIST_NAME_RULE}", field=field
        )
    return name


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control characters shown as escapes."""
    if control_character(text) is None:
        return text
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)
