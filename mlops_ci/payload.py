"""Typed reads from a JSON payload whose every failure names the file and the field.

A webhook payload is untrusted input of a known shape. ``Payload`` reads one field at a time by
its path and raises ``UserError`` (``event.json: pull_request.head.sha: missing``) on a missing
field or a value of the wrong type, so no ``KeyError`` or ``TypeError`` escapes a parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

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
