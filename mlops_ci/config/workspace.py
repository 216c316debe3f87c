"""What ``mlops.yaml`` names in the workspace, checked on disk: paths, scripts, columns.

Pure reads of the workspace (the config's folder): nothing here writes or runs anything.
``semantic`` reports what these functions find at the key that named it. Data files are read
no further than their header line, with ``csv`` (Parquet headers through pyarrow, imported
only when a Parquet file is named).
"""

from __future__ import annotations

import csv
import difflib
import shlex
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

SCRIPT_SUFFIXES = frozenset(
    {".py", ".sh", ".bash", ".r", ".jl", ".js", ".mjs", ".ts", ".rb", ".pl", ".ipynb", ".jar"}
)
# Options after which the next argument is code or a module, not a script file.
_CODE_OPTIONS = frozenset({"-m", "-c", "-e", "--eval", "--command", "--module"})
_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def path_problem(value: str, root: Path, *, must_exist: bool) -> str | None:
    """Why a workspace path is refused: absolute, '..', outside via a symlink, or missing."""
    pure = PurePosixPath(value)
    if pure.is_absolute() or Path(value).is_absolute() or value.startswith("~"):
        return f"{value!r} is an absolute path; paths are relative to the config's folder"
    if ".." in pure.parts:
        return f"{value!r} leaves the workspace ('..' is not allowed)"
    target = root / value
    if any(ch in value for ch in "*?["):
        return None
    try:
        resolved = target.resolve()
        inside = resolved.is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return f"{value!r} cannot be resolved (a symlink loop?)"
    if not inside:
        return f"{value!r} leaves the workspace through a symlink"
    if must_exist and not target.is_file():
        what = "is a folder, not a file" if target.is_dir() else "does not exist"
        return f"{value!r} {what} (looked in {root})"
    return None


def command_script(argv: Sequence[str]) -> tuple[int, str] | None:
    """The workspace file a command runs, with its index in ``argv``, when it names one.

    The program itself when it is a relative path (``./train.sh``, ``bin/train``); otherwise
    the first argument that is a script file (``python train.py``, ``python -u src/train.py``,
    ``uv run train.py``), unless an option says code or a module follows (``python -m pkg``,
    ``bash -c '...'``). Absolute paths, URLs and variables are not the workspace's.
    """
    if not argv:
        return None
    if "/" in argv[0] and _workspace_like(argv[0]):
        return 0, argv[0]
    for index, argument in enumerate(argv[1:], start=1):
        if argument in _CODE_OPTIONS:
            return None
        if argument.startswith("-") or not _workspace_like(argument):
            continue
        if PurePosixPath(argument).suffix.lower() in SCRIPT_SUFFIXES:
            return index, argument
    return None


def _workspace_like(argument: str) -> bool:
    return not (
        argument.startswith(("/", "~", "$"))
        or "://" in argument
        or ".." in PurePosixPath(argument).parts
        or any(ch in argument for ch in "*?[=")
    )


def split_quietly(value: str | list[str]) -> list[str]:
    """A command as argv, or ``[]`` when a string cannot be split (building reports that)."""
    if isinstance(value, list):
        return value
    try:
        return shlex.split(value)
    except ValueError:
        return []


def header_columns(path: Path, declared_format: str | None) -> tuple[str, ...] | None:
    """The column names of a data file's header, or ``None`` when it cannot be read cheaply."""
    fmt = declared_format or _FORMATS.get(path.suffix.lower())
    try:
        if fmt == "csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                row = next(csv.reader(handle), None)
            return None if row is None else tuple(row)
        if fmt == "parquet":
            from pyarrow import parquet

            return tuple(parquet.read_schema(path).names)
    except (OSError, ValueError, csv.Error):  # pyarrow's errors are these too
        return None  # data validation reports an unreadable file in full
    return None


def column_hint(name: str, columns: Sequence[str]) -> str:
    """What to write instead of an unknown column ``name``: the same name in another case,
    a near name, or the names there are."""
    folded = [column for column in columns if column.casefold() == name.casefold()]
    if folded:
        return f"did you mean {folded[0]!r}? column names are case-sensitive"
    close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    shown = ", ".join(repr(column) for column in columns[:12])
    return f"columns: {shown}" + (", ..." if len(columns) > 12 else "")


CHEAP_BYTES = 5_000_000
"""A CSV larger than this is not read for its values by ``validate``: evaluate checks them."""


def column_values(path: Path, declared_format: str | None, column: str) -> frozenset[str] | None:
    """The distinct values (as text) of ``column`` in a CSV file of at most ``CHEAP_BYTES``,
    or ``None`` when that cannot be told cheaply (Parquet, a large or unreadable file)."""
    fmt = declared_format or _FORMATS.get(path.suffix.lower())
    try:
        if fmt != "csv" or path.stat().st_size > CHEAP_BYTES:
            return None
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or column not in reader.fieldnames:
                return None
            return frozenset(row[column] for row in reader if row.get(column))
    except (OSError, ValueError, csv.Error):
        return None
