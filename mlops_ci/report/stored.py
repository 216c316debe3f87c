"""What a run keeps of its report on disk, and the report artifact of a fork's pull request.

A run writes ``report.md`` and ``report.json`` into its run folder (``mlops-ci report`` prints
them again). When the run may not comment (a fork's pull request, or any read-only token),
it also writes the report ARTIFACT, a folder the workflow uploads with
``actions/upload-artifact``::

    report.md            the rendered report, as the comment would show it (no markers)
    report-meta.json     {"format": 1, "config_id", "pr_number", "head_sha", "head_ref",
                          "base_ref", "run_id", "repository"}

A ``workflow_run`` run of the base repository later downloads it and posts it. By then the
folder is untrusted input (the fork's code wrote it), so :func:`read_artifact` checks it
strictly: only those two regular files, size limits, the exact meta schema with each
problem's line, UTF-8; and :func:`strip_markers` defuses any ``<!-- mlops-ci:`` in the
markdown, so a forged marker can never make another comment (or issue) look like ours.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_ci.errors import InputProblems, Problem, UserError
from mlops_ci.payload import (
    NestedTooDeeply,
    NotJson,
    NotUtf8,
    NumberTooLong,
    TooLarge,
    parse_json,
    read_text,
)

if TYPE_CHECKING:
    from mlops_ci.report.model import Report

ARTIFACT_FORMAT = 1
REPORT_JSON_FORMAT = 1
REPORT_FILE = "report.md"
REPORT_JSON_FILE = "report.json"
META_FILE = "report-meta.json"
MAX_REPORT_BYTES = 512 * 1024  # a comment holds 65,536 characters; this leaves room, no more
MAX_META_BYTES = 16 * 1024
MAX_REF_CHARS = 255  # git's own limit on a ref name component is about this
_MARKER = re.compile(r"<!--\s*mlops-ci", re.IGNORECASE)
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_CONFIG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@#/+-]{0,199}")  # as markers.check_key
_META_KEYS = (
    "format",
    "config_id",
    "pr_number",
    "head_sha",
    "head_ref",
    "base_ref",
    "run_id",
    "repository",
)


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """Which pull request, commit and run a stored report belongs to."""

    config_id: str
    head_sha: str
    run_id: int
    pr_number: int | None = None
    head_ref: str | None = None
    base_ref: str | None = None
    repository: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "format": ARTIFACT_FORMAT,
            "config_id": self.config_id,
            "pr_number": self.pr_number,
            "head_sha": self.head_sha,
            "head_ref": self.head_ref,
            "base_ref": self.base_ref,
            "run_id": self.run_id,
            "repository": self.repository,
        }


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report artifact read back and checked; ``markdown`` has its markers defused."""

    meta: ReportMeta
    markdown: str
    directory: Path


def strip_markers(text: str) -> str:
    """``text`` with every ``<!-- mlops-ci`` made inert (shown as text, never a marker)."""
    while True:
        cleaned = _MARKER.sub("&lt;!-- mlops-ci", text)
        if cleaned == text:
            return cleaned
        text = cleaned


def write_artifact(directory: Path, markdown: str, meta: ReportMeta) -> Path:
    """Write ``report.md`` and ``report-meta.json`` into ``directory`` (replacing both)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / REPORT_FILE).write_text(strip_markers(markdown), encoding="utf-8")
    text = json.dumps(meta.to_json(), indent=2, allow_nan=False) + "\n"
    (directory / META_FILE).write_text(text, encoding="utf-8")
    return directory


def read_artifact(directory: Path) -> StoredReport:
    """The report artifact in ``directory``, checked as untrusted input.

    ``UserError`` (exit 2) for a missing, oversized, symlinked or unexpected file, and
    ``InputProblems`` listing every problem of the meta file with its line.
    """
    if directory.is_symlink() or not directory.is_dir():
        raise UserError(f"report artifact {directory}: not a folder")
    names = sorted(entry.name for entry in directory.iterdir())
    unexpected = [name for name in names if name not in (REPORT_FILE, META_FILE)]
    if unexpected:
        shown = ", ".join(repr(name[:60]) for name in unexpected[:5])
        raise UserError(
            f"report artifact {directory}: unexpected entries {shown}",
            hint=f"a report artifact holds only {REPORT_FILE} and {META_FILE}",
        )
    markdown = _read_limited(directory / REPORT_FILE, MAX_REPORT_BYTES)
    meta_text = _read_limited(directory / META_FILE, MAX_META_BYTES)
    if not markdown.strip():
        raise UserError(f"{REPORT_FILE} of report artifact {directory} is empty")
    meta = parse_meta(meta_text)
    return StoredReport(meta=meta, markdown=strip_markers(markdown), directory=directory)


def _read_limited(path: Path, limit: int) -> str:
    """The text of the artifact file ``path`` (UTF-8, at most ``limit`` bytes)."""
    if path.is_symlink() or not path.is_file():
        raise UserError(f"report artifact: {path} is missing or not a regular file")
    try:
        return read_text(path, limit=limit, encoding="utf-8")
    except TooLarge as error:
        if error.size is None:  # grew while we looked
            raise UserError(f"report artifact: {path.name} holds over {limit:,} bytes") from None
        raise UserError(
            f"report artifact: {path.name} holds {error.size:,} bytes; at most {limit:,}"
        ) from None
    except NotUtf8 as error:
        raise UserError(f"{path.name}: not UTF-8 (byte {error.offset})") from None


def parse_meta(text: str) -> ReportMeta:
    """``report-meta.json``'s text as a ``ReportMeta``, or ``InputProblems`` with each line."""
    try:
        data = parse_json(text, object_pairs_hook=_no_duplicates)
    except NotJson as error:
        problem = Problem(META_FILE, error.line, error.column, "", f"not JSON: {error.reason}")
        raise InputProblems([problem], what=f"{META_FILE} is not valid") from None
    except _Duplicate as duplicate:
        problem = _problem(text, duplicate.key, f"key {duplicate.key!r} appears twice")
        raise InputProblems([problem], what=f"{META_FILE} is not valid") from None
    except NumberTooLong as error:
        raise UserError(f"{META_FILE}: a number in it is too long: {error.reason}") from None
    except NestedTooDeeply:
        raise UserError(f"{META_FILE}: JSON nested too deeply") from None
    if not isinstance(data, dict):
        problem = Problem(META_FILE, 1, 1, "", "expected a JSON object")
        raise InputProblems([problem], what=f"{META_FILE} is not valid")
    checker = _MetaChecker(text, data)
    meta = checker.meta()
    if checker.problems:
        raise InputProblems(checker.problems, what=f"{META_FILE} is not valid")
    return meta


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


def _problem(text: str, key: str, message: str) -> Problem:
    """A problem at the line and column where ``"key"`` is written (1:1 when it is not)."""
    offset = text.find(json.dumps(key))
    if offset < 0:
        return Problem(META_FILE, 1, 1, key, message)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Problem(META_FILE, line, column, key, message)


class _MetaChecker:
    """Reads each meta field once, collecting every problem instead of stopping at one."""

    def __init__(self, text: str, data: Mapping[str, Any]) -> None:
        self.text = text
        self.data = data
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(_problem(self.text, key, message))

    def meta(self) -> ReportMeta:
        for key in self.data:
            if key not in _META_KEYS:
                self.fail(key, f"unknown key {key[:60]!r} (allowed: {', '.join(_META_KEYS)})")
        version = self.data.get("format")
        if version != ARTIFACT_FORMAT or isinstance(version, bool):
            self.fail("format", f"expected {ARTIFACT_FORMAT}, got {_shown(version)}")
        return ReportMeta(
            config_id=self.text_field("config_id", _CONFIG_ID, "a report id") or "",
            head_sha=self.text_field("head_sha", _SHA, "a full commit sha") or "",
            run_id=self.number("run_id", minimum=0) or 0,
            pr_number=self.number("pr_number", minimum=1, optional=True),
            head_ref=self.ref("head_ref"),
            base_ref=self.ref("base_ref"),
            repository=self.text_field("repository", _REPOSITORY, "OWNER/NAME", optional=True),
        )

    def text_field(
        self, key: str, pattern: re.Pattern[str], what: str, *, optional: bool = False
    ) -> str | None:
        value = self.data.get(key)
        if value is None:
            if not optional:
                self.fail(key, "missing")
            return None
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            self.fail(key, f"expected {what}, got {_shown(value)}")
            return None
        return value

    def ref(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value or len(value) > MAX_REF_CHARS:
            self.fail(key, f"expected a branch name of 1 to {MAX_REF_CHARS} characters")
            return None
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            self.fail(key, "a branch name holds no control characters")
            return None
        return value

    def number(self, key: str, *, minimum: int, optional: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None:
            if not optional:
                self.fail(key, "missing")
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value < 2**63:
            self.fail(key, f"expected a whole number >= {minimum}, got {_shown(value)}")
            return None
        return value


def _shown(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else "NaN"
    return text if len(text) <= 60 else text[:57] + "..."


# the report as JSON ---------------------------------------------------------------------


def report_to_json(report: Report) -> dict[str, object]:
    """The report as plain JSON values (``mlops-ci report --json``). Stable keys::

    {"format": 1, "status", "dry_run", "seconds", "run": {event, ref, sha, config_id,
     run_url, title}, "models": [{"model", "status", "results": [{"stage", "status",
     "summary", "seconds", "outputs": {...}, "detail": {...} | null}]}],
     "error": {step, model, exit_code, summary, output, details, hint} | null,
     "notes": [the plan's reasons, when the run had nothing to do]}

    ``status`` is ``error`` when an error stopped the run; ``error`` then says where and why.
    NaN and infinities become null, so the text is valid JSON.
    """
    return {
        "format": REPORT_JSON_FORMAT,
        "status": report.status.value,
        "dry_run": report.dry_run,
        "seconds": _plain(report.seconds),
        "run": _plain(report.run),
        "models": [
            {
                "model": model.model,
                "status": model.status.value,
                "results": [
                    {
                        "stage": result.stage.value,
                        "status": result.status.value,
                        "summary": result.summary,
                        "seconds": _plain(result.seconds),
                        "outputs": dict(result.outputs),
                        "detail": _plain(result.detail),
                    }
                    for result in model.results
                ],
            }
            for model in report.models
        ],
        "error": _plain(report.error),
        "notes": list(report.notes),
    }


def _plain(value: object, depth: int = 0) -> Any:
    """``value`` as JSON values: dataclasses by field, enums by value, paths as text."""
    if depth > 20:
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return _plain(value.value, depth + 1)
    if isinstance(value, Path):
        return str(value)
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return _plain(to_json(), depth + 1)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), depth + 1) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item, depth + 1) for item in value]
    return str(value)
