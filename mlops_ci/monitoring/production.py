"""The recent production data a monitoring run compares: files, globs, folders, their union.

``monitor.production_data`` names files, glob patterns or folders relative to the config's
folder. A folder stands for every data file below it (``*.parquet``, ``*.pq``, ``*.csv``,
``*.tsv``, at any depth, skipping names that start with ``_`` or ``.`` such as Spark's
``_SUCCESS``): a partitioned dataset (``live/day=2026-11-01/part-0.parquet``) is named by its
folder; the partition keys in folder names are not read as columns. Each pattern must match at
least one file (a schedule that silently compares nothing would report "no drift" forever):
one that matches nothing is a ``UserError`` naming the pattern and its YAML path, at its line
in mlops.yaml. Several files are compared as one dataset, their union, streamed one batch
after the other (``data.stream``: never held whole, never copied), Parquet and CSV alike (a
glob may match both: each file is read by its own reader); the files must hold the same
columns, in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.config.model import DataFormat
from mlops_ci.config.yamlmarks import YamlPath, format_path, load_document
from mlops_ci.data.reader import data_format as format_of
from mlops_ci.errors import UserError

_DATA_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv")


@dataclass(frozen=True, slots=True)
class ProductionData:
    """The production files of one run, measured as one dataset in batches (``data.stream``)."""

    files: tuple[Path, ...]  # every matched file, sorted, each once
    display: str  # how reports name the data: the file, or "PATTERN (N files)"
    data_format: DataFormat | None = None  # as declared (``data.format``), else by extension


def resolve_files(
    root: Path,
    patterns: Sequence[str],
    *,
    key: YamlPath = ("monitor", "production_data"),
    config_file: Path | None = None,
) -> tuple[Path, ...]:
    """Every file the patterns match under ``root`` (folders: their data files), sorted, each
    once.

    A pattern that matches nothing, reaches outside ``root`` or is absolute is a ``UserError``
    naming the pattern and its YAML path ``key`` (with its line when ``config_file`` is given).
    """
    found: dict[Path, None] = {}
    base = root.resolve()
    for index, pattern in enumerate(patterns):
        where = _place(config_file, (*key, index))
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise UserError(
                f"{where}: {pattern!r} must be a path inside the config's folder",
                hint="write it relative to the folder of mlops.yaml, without '..'",
            )
        try:
            matched = sorted(root.glob(pattern)) if pattern not in ("", ".") else [root]
        except ValueError as error:
            raise UserError(f"{where}: {pattern!r} is not a valid pattern: {error}") from None
        matches = [file for path in matched for file in _data_files(path)]
        if not matches:
            folder = any(path.is_dir() for path in matched)
            raise UserError(
                f"{where}: {pattern!r} matches no "
                f"{'data file (*.parquet, *.csv) in the folder' if folder else 'file'} "
                f"under {root}",
                hint="check the path, or that the job fetched the production data first",
            )
        for match in matches:
            if not match.resolve().is_relative_to(base):
                raise UserError(f"{where}: {match} resolves outside {root} (a symbolic link?)")
            found.setdefault(match, None)
    return tuple(sorted(found))


def _data_files(path: Path) -> list[Path]:
    """A file itself; a folder's data files at any depth (see module doc)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        file for file in path.rglob("*")
        if file.is_file() and file.suffix.lower() in _DATA_SUFFIXES
        and not any(part.startswith(("_", ".")) for part in file.relative_to(path).parts)
    )


def _place(config_file: Path | None, at: YamlPath) -> str:
    """``mlops.yaml:LINE:COL: models.churn.monitor.production_data[0]``, or the path alone."""
    shown = format_path(at)
    if config_file is None:
        return shown
    try:
        document, _ = load_document(config_file.read_text(encoding="utf-8"), str(config_file))
    except (OSError, UnicodeDecodeError):
        return f"{config_file}: {shown}"
    mark = document.mark_of(at)
    return f"{config_file}:{mark.line}:{mark.column}: {shown}"


def production_data(
    files: Sequence[Path],
    data_format: DataFormat | None,
    *,
    display: str | None = None,
) -> ProductionData:
    """The files as one dataset (each file's format checked: declared, else by its name)."""

    if not files:
        raise UserError("no production data to compare", hint="set monitor.production_data")
    ordered = tuple(files)
    for path in ordered:
        format_of(path, data_format)  # a name that tells no format is a ``UserError`` here
    shown = display or (ordered[0].name if len(ordered) == 1
                        else f"{ordered[0].name} and {len(ordered) - 1} more files")
    return ProductionData(ordered, shown, data_format)
