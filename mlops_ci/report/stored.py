"""What a run keeps of its report on disk, and the report artifact of a pull request.

A run writes ``report.md`` and ``report.json`` into its run folder (``mlops-ci report`` prints
them again). A pull request's run, whose token may only read, stores the report ARTIFACT
instead of commenting: a folder the workflow uploads with ``actions/upload-artifact``, holding
one file, ``report-artifact.json`` (the report's results as typed values and the meta naming
its pull request, commit and run; see ``report/artifact.py``).

A ``workflow_run`` run of the base repository later downloads it, checks it and renders the
comment from it. By then the folder is untrusted input (the pull request's code could write
it), so :func:`read_artifact` checks it strictly: that one regular file and nothing else, a
size limit, UTF-8, JSON without duplicate keys or non-finite numbers, and the shipped schema
(``schemas/report-artifact.schema.json``), every problem named by its JSON path. No markdown
is ever read from it: a ``report.md`` beside it is refused.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_ci.errors import UserError
from mlops_ci.payload import (
    NestedTooDeeply,
    NotJson,
    NotUtf8,
    NumberTooLong,
    TooLarge,
    parse_json,
    read_text,
)
from mlops_ci.report.artifact import ReportMeta, artifact_document, check_document, read_document

if TYPE_CHECKING:
    from mlops_ci.report.model import Report

REPORT_JSON_FORMAT = 1
REPORT_FILE = "report.md"
REPORT_JSON_FILE = "report.json"
ARTIFACT_FILE = "report-artifact.json"
MAX_ARTIFACT_BYTES = 4 * 1024 * 1024  # a comment holds 65,536 characters; results, some more

__all__ = ["ARTIFACT_FILE", "ReportMeta", "StoredReport", "read_artifact", "write_artifact"]


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report artifact read back and checked: its meta and the report to render."""

    meta: ReportMeta
    report: Report
    directory: Path


def write_artifact(directory: Path, report: Report, meta: ReportMeta) -> Path:
    """Write ``report-artifact.json`` into ``directory``, replacing what the folder held.

    The document is checked against the schema here too, so a report the posting job would
    refuse fails in the run that wrote it.
    """
    document = artifact_document(report, meta)
    check_document(document, ARTIFACT_FILE)
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.iterdir():
        if entry.is_file() or entry.is_symlink():
            entry.unlink()
    text = json.dumps(document, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
    (directory / ARTIFACT_FILE).write_text(text, encoding="utf-8")
    return directory


def read_artifact(directory: Path) -> StoredReport:
    """The report artifact in ``directory``, checked as untrusted input (``UserError``,
    exit 2, naming the file and the problem's JSON path)."""
    if directory.is_symlink() or not directory.is_dir():
        raise UserError(f"report artifact {directory}: not a folder")
    names = sorted(entry.name for entry in directory.iterdir())
    unexpected = [name for name in names if name != ARTIFACT_FILE]
    if unexpected:
        shown = ", ".join(repr(name[:60]) for name in unexpected[:5])
        raise UserError(
            f"report artifact {directory}: unexpected entries {shown}",
            hint=f"a report artifact holds only {ARTIFACT_FILE} (no markdown is posted from "
            "an artifact); was it written by an older mlops-ci?",
        )
    path = directory / ARTIFACT_FILE
    data = _parse(path, _read_limited(path, MAX_ARTIFACT_BYTES))
    check_document(data, str(path))
    meta, report = read_document(data)  # type: ignore[arg-type]  # checked: an object
    return StoredReport(meta=meta, report=report, directory=directory)


def _read_limited(path: Path, limit: int) -> str:
    """The text of the artifact file ``path`` (UTF-8, at most ``limit`` bytes)."""
    if path.is_symlink() or not path.is_file():
        raise UserError(f"report artifact: {path} is missing or not a regular file")
    try:
        return read_text(path, limit=limit, encoding="utf-8")
    except TooLarge as error:
        if error.size is None:  # grew while we looked
            raise UserError(f"report artifact: {path} holds over {limit:,} bytes") from None
        raise UserError(
            f"report artifact: {path} holds {error.size:,} bytes; at most {limit:,}"
        ) from None
    except NotUtf8 as error:
        raise UserError(f"{path}: not UTF-8 (byte {error.offset})") from None


def _parse(path: Path, text: str) -> object:
    try:
        return parse_json(text, object_pairs_hook=_no_duplicates)
    except NotJson as error:
        raise UserError(f"{path}:{error.line}:{error.column}: not JSON: {error.reason}") from None
    except _Duplicate as duplicate:
        raise UserError(f"{path}: key {duplicate.key[:60]!r} appears twice in an object") from None
    except NumberTooLong as error:
        raise UserError(f"{path}: a number in it is too long: {error.reason}") from None
    except NestedTooDeeply:
        raise UserError(f"{path}: JSON nested too deeply") from None


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
