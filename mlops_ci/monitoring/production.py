"""The recent production data a monitoring run compares: files, globs, and their union.

``monitor.production_data`` names files or glob patterns relative to the config's folder. Each
pattern must match at least one file (a schedule that silently compares nothing would report
"no drift" forever). Several files are compared as one dataset, their union: CSV files must
share one header (the first line), Parquet files one schema; the union is written once into
the run's scratch folder and read by the drift measurement like any file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.config.model import DataFormat
from mlops_ci.data.reader import data_format as format_of
from mlops_ci.errors import UserError

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class ProductionData:
    """The production files of one run and the one file that holds them all."""

    files: tuple[Path, ...]  # every matched file, sorted, each once
    union: Path  # ``files[0]`` when there is one file, else their union in the scratch folder
    display: str  # how reports name the data: the file, or "PATTERN (N files)"


def resolve_files(
    root: Path, patterns: Sequence[str], *, key: str = "monitor.production_data"
) -> tuple[Path, ...]:
    """Every file the patterns match under ``root``, sorted, each once.

    A pattern that matches nothing, reaches outside ``root`` or is absolute is a ``UserError``
    naming the pattern and its YAML path.
    """
    found: dict[Path, None] = {}
    base = root.resolve()
    for index, pattern in enumerate(patterns):
        where = f"{key}[{index}]"
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise UserError(
                f"{where}: {pattern!r} must be a path inside the config's folder",
                hint="write it relative to the folder of mlops.yaml, without '..'",
            )
        try:
            matches = sorted(path for path in root.glob(pattern) if path.is_file())
        except ValueError as error:
            raise UserError(f"{where}: {pattern!r} is not a valid pattern: {error}") from None
        if not matches:
            raise UserError(
                f"{where}: {pattern!r} matches no file under {root}",
                hint="check the path, or that the job fetched the production data first",
            )
        for match in matches:
            if not match.resolve().is_relative_to(base):
                raise UserError(f"{where}: {match} resolves outside {root} (a symbolic link?)")
            found.setdefault(match, None)
    return tuple(sorted(found))


def production_data(
    files: Sequence[Path],
    scratch: Path,
    data_format: DataFormat | None,
    *,
    display: str | None = None,
) -> ProductionData:
    """The files as one dataset: the file itself, or their union written under ``scratch``."""

    if not files:
        raise UserError("no production data to compare", hint="set monitor.production_data")
    ordered = tuple(files)
    if len(ordered) == 1:
        return ProductionData(ordered, ordered[0], display or ordered[0].name)
    formats = {format_of(path, data_format) for path in ordered}
    if len(formats) > 1:
        raise UserError(
            "the production files mix CSV and Parquet: "
            + ", ".join(path.name for path in ordered),
            hint="set data.format, or keep one format per model",
        )
    scratch.mkdir(parents=True, exist_ok=True)
    kind = formats.pop()
    union = scratch / f"production-union.{kind}"
    if kind == "parquet":
        _union_parquet(ordered, union)
    else:
        _union_csv(ordered, union)
    label = display or f"{ordered[0].name} and {len(ordered) - 1} more files"
    return ProductionData(ordered, union, label)


def _union_csv(files: Sequence[Path], target: Path) -> None:
    """Concatenate CSV files sharing one header: the header once, then every data line."""
    header: bytes | None = None
    with target.open("wb") as out:
        for path in files:
            data = path.read_bytes().removeprefix(_BOM)
            first, _, rest = data.partition(b"\n")
            if header is None:
                header = first.rstrip(b"\r")
                out.write(header + b"\n")
            elif first.rstrip(b"\r") != header:
                raise UserError(
                    f"{path}:1:1: its header differs from the first production file "
                    f"{files[0].name}",
                    hint="production files compared together must have the same columns "
                    "in the same order",
                )
            if rest:
                out.write(rest if rest.endswith(b"\n") else rest + b"\n")


def _union_parquet(files: Sequence[Path], target: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for path in files:
        try:
            tables.append(pq.read_table(path))
        except (OSError, pa.ArrowException) as error:
            raise UserError(f"{path}: not a readable Parquet file: {error}") from None
    try:
        union = pa.concat_tables(tables, promote_options="default")
    except pa.ArrowException as error:
        raise UserError(
            f"the production Parquet files do not share one schema: {error}",
            hint="production files compared together must have the same columns and types",
        ) from None
    pq.write_table(union, target)
