"""Reading a pip requirements file into lines that name their file and line number.

Only what can be checked against installed versions becomes a ``Requirement`` line: a name
with an optional version specifier (``xgboost>=2.0``, ``lightgbm==4.5.0; python_version >=
"3.9"``, ``pkg @ https://...``). Pip's options (``--index-url``, ``-c``, ``-e``), URLs and
local paths are kept as pip's business: pip reads the file itself when it installs it. A
nested ``-r other.txt`` is read too (relative to the file that names it). A requirement whose
environment marker is false for this interpreter is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.errors import InputProblems, Problem, UserError

_NESTED = re.compile(r"^(?:-r|--requirement)(?:\s*=?\s*)(?P<file>\S.*)$")
_COMMENT = re.compile(r"(^|\s+)#.*$")
MAX_NESTING = 10


@dataclass(frozen=True, slots=True)
class RequirementLine:
    """One requirement: where it is asked for and what it asks."""

    file: str  # as shown to the user: relative to the config's folder
    line: int
    text: str  # the requirement as written
    name: str  # canonical (PEP 503) distribution name
    specifier: str  # e.g. ">=2.0,<3" ("" for any version)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def read_requirements(path: Path, display: str) -> tuple[RequirementLine, ...]:
    """The checkable requirements of ``path`` (shown as ``display``) and the files it nests.

    Raises ``InputProblems`` (exit 2) naming each line pip could not read either, and
    ``UserError`` for a file that cannot be read."""
    problems: list[Problem] = []
    lines = tuple(_read(path, display, problems, depth=0))
    if problems:
        raise InputProblems(problems, what=f"{display}: not a requirements file pip can read")
    return lines


def file_contents(path: Path, *, depth: int = 0) -> bytes:
    """The bytes of ``path`` and of the files it nests with ``-r`` (what pip installs)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"{path}: cannot read the requirements file: {error}") from None
    if depth >= MAX_NESTING:
        return data
    parts = [data]
    for _, logical in _logical_lines(data.decode("utf-8", "replace")):
        nested = _NESTED.match(logical)
        if nested:
            child = path.parent / nested.group("file").strip()
            parts.append(b"\0" + file_contents(child, depth=depth + 1))
    return b"".join(parts)


def _read(
    path: Path, display: str, problems: list[Problem], *, depth: int
) -> Iterator[RequirementLine]:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{display}: cannot read the requirements file: {error}") from None
    for number, logical in _logical_lines(text):
        nested = _NESTED.match(logical)
        if nested:
            if depth >= MAX_NESTING:
                problems.append(Problem(display, number, 1, "", "requirements nest too deep"))
                continue
            name = nested.group("file").strip()
            child = path.parent / name
            shown = str(Path(display).parent / name)
            yield from _read(child, shown, problems, depth=depth + 1)
            continue
        if logical.startswith("-") or _is_location(logical):
            continue  # pip's options, editable installs, URLs and paths: pip's to read
        try:
            requirement = Requirement(logical)
        except InvalidRequirement as error:
            problems.append(Problem(display, number, 1, "", f"{logical!r}: {error}",
                                    "one requirement per line, as `pip install -r` reads"))
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        yield RequirementLine(display, number, logical, canonicalize_name(requirement.name),
                              str(requirement.specifier))


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first physical line number, text) of each non-empty line, comments dropped and
    ``\\``-continued lines joined, as pip reads them."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw).rstrip()
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        joined = ("".join(pending) + line).strip()
        pending = []
        if joined:
            yield start, joined
    tail = "".join(pending).strip()
    if tail:
        yield start, tail


def _is_location(text: str) -> bool:
    """A URL, a local path or an archive: pip installs it, nothing here can check it."""
    first = text.split(";", 1)[0].strip()
    if "@" in first and "://" in first:
        return False  # ``name @ URL``: a named requirement
    return "://" in first or first.startswith((".", "/", "~")) or first.endswith(
        (".whl", ".tar.gz", ".zip"))
