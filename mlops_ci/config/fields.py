"""Typed reads from the mapping of a parsed mlops.yaml, each knowing its YAML path.

The schema has checked every type before ``build`` reads the mapping; these reads check again
so that mypy knows the types and a loader bug surfaces as a ``BuildError`` naming the path,
not as a wrong ``Config``. Absent keys give ``None`` or the default passed in.

Two reads also convert what the schema only checks the shape of: ``duration`` (``"1h30m"`` to
seconds, by ``parse_duration``) and ``command`` (a string to argv with ``shlex``, by
``split_command``; never a shell). Both raise ``BuildError`` with the path when they cannot.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import NoReturn, TypeVar, cast

from mlops_ci.config.yamlmarks import YamlPath, format_path

__all__ = ["BuildError", "YamlPath", "format_path"]

_DURATION = re.compile(r"(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?")
_DURATION_HELP = "whole seconds (90) or a number with a unit: '90s', '10m', '2h', '1h30m'"

T = TypeVar("T")
L = TypeVar("L", bound=str)


class BuildError(ValueError):
    """A value the schema accepts but that cannot be converted, at ``path`` in the document."""

    def __init__(self, path: YamlPath, message: str) -> None:
        super().__init__(f"{format_path(path)}: {message}")
        self.path = path
        self.message = message


def fail(at: YamlPath, message: str) -> NoReturn:
    raise BuildError(at, message)


def is_type(value: object, kind: type[object]) -> bool:
    if isinstance(value, bool) and kind is not bool:
        return False
    return isinstance(value, kind)


def as_map(value: object, at: YamlPath) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        fail(at, "expected a mapping")
    return cast(Mapping[str, object], value)


def section(data: Mapping[str, object], key: str, at: YamlPath) -> Mapping[str, object]:
    """The mapping at ``key``; an absent key is an empty mapping."""
    return as_map(data.get(key, {}), (*at, key))


def optional(data: Mapping[str, object], key: str, at: YamlPath, kind: type[T]) -> T | None:
    value = data.get(key)
    if value is None:
        return None
    if not is_type(value, kind):
        fail((*at, key), f"expected {kind.__name__}, got {value!r}")
    return cast(T, value)


def required(data: Mapping[str, object], key: str, at: YamlPath, kind: type[T]) -> T:
    value = optional(data, key, at, kind)
    if value is None:
        fail((*at, key), "is required")
    return value


def value_or(data: Mapping[str, object], key: str, at: YamlPath, default: T) -> T:
    """The value at ``key``, of the default's type, or the default when absent."""
    value = optional(data, key, at, type(default))
    return default if value is None else value


def optional_number(data: Mapping[str, object], key: str, at: YamlPath) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not (is_type(value, int) or is_type(value, float)):
        fail((*at, key), f"expected a number, got {value!r}")
    return float(cast(float, value))


def number_or(data: Mapping[str, object], key: str, at: YamlPath, default: float) -> float:
    value = optional_number(data, key, at)
    return default if value is None else value


def strings(
    data: Mapping[str, object], key: str, at: YamlPath, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        fail((*at, key), f"expected a list of strings, got {value!r}")
    return tuple(value)


def optional_choice(
    data: Mapping[str, object], key: str, at: YamlPath, choices: tuple[L, ...]
) -> L | None:
    value = data.get(key)
    if value is None:
        return None
    for choice in choices:
        if value == choice:
            return choice
    fail((*at, key), f"expected one of {', '.join(choices)}, got {value!r}")


def choice(
    data: Mapping[str, object],
    key: str,
    at: YamlPath,
    choices: tuple[L, ...],
    default: L | None = None,
) -> L:
    value = optional_choice(data, key, at, choices)
    if value is not None:
        return value
    if default is None:
        fail((*at, key), "is required")
    return default


# the two conversions the schema cannot do --------------------------------------------------


def parse_duration(value: str | int) -> int:
    """Seconds in a duration: an int of seconds, or text such as ``"90s"``, ``"10m"``, ``"1h30m"``.

    Raises ``ValueError`` naming the accepted forms for anything else, and for zero.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"invalid duration {value!r}: expected {_DURATION_HELP}")
    if isinstance(value, int):
        seconds = value
    else:
        text = value.strip()
        match = _DURATION.fullmatch(text)
        if text.isascii() and text.isdigit():
            seconds = int(text)
        elif text and match is not None:
            hours, minutes, secs = (int(match[unit] or 0) for unit in ("h", "m", "s"))
            seconds = hours * 3600 + minutes * 60 + secs
        else:
            raise ValueError(f"invalid duration {value!r}: expected {_DURATION_HELP}")
    if seconds < 1:
        raise ValueError(f"invalid duration {value!r}: must be at least 1 second")
    return seconds


def split_command(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """A command as argv: a list is kept as is, a string is split with ``shlex`` (no shell)."""
    if not isinstance(value, str):
        return tuple(value)
    argv = tuple(shlex.split(value))
    if not argv:
        raise ValueError("the command is empty")
    return argv


def duration(data: Mapping[str, object], key: str, at: YamlPath, default: int) -> int:
    """The duration at ``key`` in seconds (``parse_duration``), or ``default`` when absent."""
    value = data.get(key)
    if value is None:
        return default
    if not (is_type(value, int) or isinstance(value, str)):
        fail((*at, key), f"expected a duration, got {value!r}")
    try:
        return parse_duration(cast(int | str, value))
    except ValueError as error:
        fail((*at, key), str(error))


def command(data: Mapping[str, object], key: str, at: YamlPath) -> tuple[str, ...] | None:
    """The command at ``key`` as argv (``split_command``), or ``None`` when absent."""
    value = data.get(key)
    if value is None:
        return None
    if not (
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(item, str) for item in value))
    ):
        fail((*at, key), f"expected a list of arguments or a string, got {value!r}")
    try:
        return split_command(value)
    except ValueError as error:
        fail((*at, key), f"cannot split {value!r} into arguments: {error}")
