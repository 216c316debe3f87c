"""Untrusted input read with bounds, and typed reads from a JSON payload.

A webhook payload is untrusted input of a known shape. ``Payload`` reads one field at a time by
its path and raises ``UserError`` (``event.json: pull_request.head.sha: missing``) on a missing
field or a value of the wrong type, so no ``KeyError`` or ``TypeError`` escapes a parser.

Before that, the file itself: :func:`read_text` reads at most a size limit and decodes it,
:func:`parse_json` parses without letting a huge number or deep nesting through. Both refuse
with a ``Refused`` kind that holds the facts (size, byte offset, line) and no wording: the
config loader, the event reader and the report artifact reader each word it as their own error.
An ``OSError`` (a missing file, no permission) is not caught here.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from mlops_ci.errors import UserError

_JSON_KINDS: dict[type, str] = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_MISSING = object()


class Payload:
    """Typed reads from a webhook payload; every failure names the file and the field."""

    def __init__(self, data: Mapping[str, object], source: str, event_name: str) -> None:
        self._data = data
        self._source = source
        self._event_name = event_name

    def error(self, path: tuple[str, ...], message: str) -> UserError:
        return UserError(
            f"{self._source}: {'.'.join(path)}: {message}",
            hint=f"is {self._source} the payload of a {self._event_name!r} event?",
        )

    def _get(self, path: tuple[str, ...]) -> object:
        """The value at ``path``; ``_MISSING`` when it or a parent is absent or null."""
        value: object = self._data
        for depth, key in enumerate(path):
            if value is None:
                return _MISSING
            if not isinstance(value, Mapping):
                raise self.error(path[:depth], f"expected an object, got {json_kind(value)}")
            value = value.get(key, _MISSING)
            if value is _MISSING:
                return _MISSING
        return _MISSING if value is None else value

    def has(self, *path: str) -> bool:
        return self._get(path) is not _MISSING

    def optional_text(self, *path: str) -> str | None:
        value = self._get(path)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            raise self.error(path, f"expected a string, got {json_kind(value)}")
        return value or None

    def text(self, *path: str) -> str:
        value = self.optional_text(*path)
        if value is None:
            raise self.error(path, "missing")
        return value

    def optional_sha(self, *path: str) -> str | None:
        value = self.optional_text(*path)
        if value is not None and not is_commit_sha(value):
            raise self.error(path, f"not a commit sha: {value[:80]!r}")
        return value

    def sha(self, *path: str) -> str:
        value = self.optional_sha(*path)
        if value is None:
            raise self.error(path, "missing")
        return value

    def integer(self, *path: str) -> int:
        value = self._get(path)
        if value is _MISSING:
            raise self.error(path, "missing")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.error(path, f"expected a whole number >= 0, got {json_kind(value)}")
        return value

    def flag(self, *path: str, default: bool) -> bool:
        value = self._get(path)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise self.error(path, f"expected true or false, got {json_kind(value)}")
        return value

    def optional_mapping(self, *path: str) -> Mapping[str, object] | None:
        value = self._get(path)
        if value is _MISSING:
            return None
        if not isinstance(value, Mapping):
            raise self.error(path, f"expected an object, got {json_kind(value)}")
        return value

    def integers(self, *path: str, key: str) -> tuple[int, ...]:
        """Field ``key`` (a whole number) of each object in the array at ``path``; () if absent."""
        value = self._get(path)
        if value is _MISSING:
            return ()
        if not isinstance(value, list):
            raise self.error(path, f"expected an array, got {json_kind(value)}")
        numbers = []
        for index, item in enumerate(value):
            where = (*path[:-1], f"{path[-1]}[{index}]", key)
            if not isinstance(item, Mapping):
                raise self.error(where[:-1], f"expected an object, got {json_kind(item)}")
            number = item.get(key)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise self.error(where, f"expected a whole number >= 0, got {json_kind(number)}")
            numbers.append(number)
        return tuple(numbers)

    def string_pairs(self, *path: str) -> tuple[tuple[str, str], ...]:
        """An object's fields as text: scalars as written, nested values as compact JSON."""
        mapping = self.optional_mapping(*path) or {}
        return tuple((str(key), _as_text(value)) for key, value in mapping.items())


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def json_kind(value: object) -> str:
    """How JSON would name the type of ``value``: "an object", "a string", "null"..."""
    return _JSON_KINDS.get(type(value), type(value).__name__)


def is_commit_sha(text: str) -> bool:
    """A full SHA-1 or SHA-256 object name in lower-case hex."""
    return _SHA.fullmatch(text) is not None


# bounded reads ----------------------------------------------------------------------------


class Refused(Exception):
    """Input that :func:`read_text` or :func:`parse_json` refuses; the caller words the error."""


class TooLarge(Refused):
    """The file holds ``size`` bytes (``None``: it grew past ``limit`` while it was read)."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(f"{size if size is not None else 'over'} bytes; at most {limit}")
        self.size = size
        self.limit = limit


class NotUtf8(Refused):
    """Not UTF-8 at byte ``offset`` (the decoder's), the byte there, and its line and column."""

    def __init__(self, offset: int, byte: int, line: int, column: int) -> None:
        super().__init__(f"not UTF-8 (byte {offset})")
        self.offset = offset
        self.byte = byte
        self.line = line
        self.column = column


class NotJson(Refused):
    """Not JSON at ``line``:``column`` for ``reason`` (the parser's words)."""

    def __init__(self, line: int, column: int, reason: str) -> None:
        super().__init__(f"{line}:{column}: not JSON: {reason}")
        self.line = line
        self.column = column
        self.reason = reason


class NumberTooLong(Refused):
    """An integer longer than Python reads (4,300 digits); ``reason`` is the parser's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NestedTooDeeply(Refused):
    """JSON nested deeper than the parser's recursion allows."""


def read_text(
    path: Path, *, limit: int, encoding: Literal["utf-8", "utf-8-sig"] = "utf-8-sig"
) -> str:
    """The text of ``path``: at most ``limit`` bytes are read, then decoded.

    Raises ``TooLarge`` (checked before reading, and again by reading one byte more, for a file
    that grows meanwhile), ``NotUtf8``, or the ``OSError`` of opening or reading.
    ``utf-8-sig`` drops a leading byte order mark.
    """
    with path.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > limit:
            raise TooLarge(size, limit)
        raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(None, limit)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        start = error.start
        line = raw[:start].count(b"\n") + 1
        column = start - (raw.rfind(b"\n", 0, start) + 1) + 1
        raise NotUtf8(start, raw[start], line, column) from None


def parse_json(
    text: str, *, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None
) -> object:
    """``text`` parsed as JSON; ``NotJson``, ``NumberTooLong`` or ``NestedTooDeeply`` if not.

    An exception ``object_pairs_hook`` raises (other than ``ValueError``) passes through.
    """
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as error:
        raise NotJson(error.lineno, error.colno, error.msg) from None
    except ValueError as error:  # an integer longer than Python reads (4,300 digits)
        raise NumberTooLong(str(error).split(";")[0]) from None
    except RecursionError:
        raise NestedTooDeeply("JSON nested too deeply") from None
