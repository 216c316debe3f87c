"""Drift on 1M, 10M and 100M rows: time and peak memory of mlops-ci's streamed measurement.

Run by hand (not part of the test suite): ``.venv/bin/python bench/drift/scale.py
[--sizes 1000000,10000000,100000000] [--peer-max 1000000] [--skip-evidently]
[--format parquet|csv]``.

For each size, the current data is generated on the fly into a temporary folder (deleted
afterwards, never committed), itself streamed: one row group of at most 1,000,000 rows is
generated and written at a time, so generating 100M rows needs no more memory than 1M. The
reference is 1,000,000 rows (the training data fits in memory; the production data does not).
The columns are those of ``run.py``: 20 numeric (float64) and 5 categorical, ``num_0`` shifted
by 0.3 sd, ``num_1`` 1.3x wider and ``cat_0`` with new shares in the current data.

Each tool runs as a whole process on the same files, under ``/usr/bin/time`` (wall time, CPU
time, max RSS; on a machine shared with other work, CPU time is the steadier figure). Ours is
``mlops-ci data drift --reference R --current C.parquet --json``, which streams Parquet (with
``--format csv`` the current data is written as CSV, ``C.csv``, which is streamed too; the
reference stays Parquet, and the peer does not run); the peer is Evidently's
``DataDriftPreset`` (its own venv, as ``run.py``), run at the sizes up to ``--peer-max`` only:
it loads both sides into pandas, so 10M rows of 25 columns need several GB. Printed per size:
generation time, our wall and CPU time and peak memory, CPU time per million rows (linear
growth keeps it flat), the flagged columns, and at the peer's sizes the ratios peer/ours (wall
time and memory).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from peers import peer_venv  # noqa: E402  (bench/ is not a package on sys.path)
from run import (  # noqa: E402
    EVIDENTLY,
    EVIDENTLY_SCRIPT,
    SHIFTED,
    evidently_drifted,
    ours_drifted,
)

ROW_GROUP = 1_000_000
REFERENCE_ROWS = 1_000_000
LEVELS = ("north", "south", "east", "west")


def write_streamed(path: Path, rows: int, seed: int, drifted: bool) -> None:
    """``rows`` rows of the bench's 25 columns, one row group at a time (CSV when ``path`` ends
    in ``.csv``)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    levels = pa.array(LEVELS)
    writer = None
    try:
        for start in range(0, rows, ROW_GROUP):
            size = min(ROW_GROUP, rows - start)
            columns: dict[str, object] = {}
            for i in range(20):
                values = rng.normal(loc=i, scale=1 + i / 10, size=size)
                if drifted and i == 0:
                    values += 0.3 * (1 + i / 10)
                if drifted and i == 1:
                    values = i + (values - i) * 1.3
                columns[f"num_{i}"] = values
            for i in range(5):
                shares = [0.3, 0.3, 0.25, 0.15] if drifted and i == 0 else [0.5, 0.3, 0.15, 0.05]
                codes = pa.array(rng.choice(4, size=size, p=shares).astype(np.int32))
                columns[f"cat_{i}"] = pa.DictionaryArray.from_arrays(codes, levels)
            table = pa.table(columns)
            if path.suffix == ".csv":
                table = pa.table({name: (column.cast(pa.string())
                                         if pa.types.is_dictionary(column.type) else column)
                                  for name, column in zip(table.column_names, table.columns,
                                                          strict=True)})
                if writer is None:
                    writer = pacsv.CSVWriter(path, table.schema)
                writer.write_table(table)
                continue
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()


@dataclass(frozen=True)
class Timed:
    seconds: float  # wall
    cpu: float  # user + system: what the run costs on a machine shared with other work
    max_rss_mb: float
    drifted: tuple[str, ...]


def measure(argv: list[str], parse: Callable[[str], list[str]]) -> Timed:
    """Run ``argv`` under /usr/bin/time: wall time, CPU time and max RSS of the process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        done = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", timing.name, *argv],
                              capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{argv[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        wall, user, system, kilobytes = timing.read().split()[-4:]
    return Timed(float(wall), float(user) + float(system), int(kilobytes) / 1024,
                 tuple(sorted(parse(done.stdout))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000,100000000",
                        help="current rows, comma-separated")
    parser.add_argument("--peer-max", type=int, default=1_000_000,
                        help="run Evidently at sizes up to this many rows")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: TMP)")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                        help="the current data's format (csv: no peer)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    folder = Path(tempfile.mkdtemp(prefix="mlops-drift-scale-", dir=args.dir))
    try:
        reference = folder / "reference.parquet"
        write_streamed(reference, REFERENCE_ROWS, seed=1, drifted=False)
        print(f"reference: {REFERENCE_ROWS:,} rows x 25 columns; shifted in current: "
              f"{', '.join(SHIFTED)}; cpus: {os.cpu_count()}; data in {folder}\n")
        print(f"{'rows':>12} {'gen s':>7} {'ours s':>8} {'cpu s':>7} {'ours MB':>8} "
              f"{'cpu s/M':>8} {'peer s':>8} {'peer MB':>8} {'time p/o':>9} {'mem p/o':>8}  "
              "flagged (ours)")
        for size in sizes:
            current = folder / f"current-{size}.{args.format}"
            started = time.perf_counter()
            write_streamed(current, size, seed=2, drifted=True)
            generated = time.perf_counter() - started
            ours = measure([sys.executable, "-m", "mlops_ci", "data", "drift", "--reference",
                            str(reference), "--current", str(current), "--json"], ours_drifted)
            peer: Timed | None = None
            if not args.skip_evidently and size <= args.peer_max and args.format == "parquet":
                python = str(peer_venv("evidently", EVIDENTLY) / "python")
                peer = measure([python, "-c", EVIDENTLY_SCRIPT, str(reference), str(current)],
                               evidently_drifted)
            current.unlink()
            peer_text = (f"{peer.seconds:8.1f} {peer.max_rss_mb:8.0f} "
                         f"{peer.seconds / ours.seconds:9.2f} "
                         f"{peer.max_rss_mb / ours.max_rss_mb:8.2f}") if peer else \
                f"{'-':>8} {'-':>8} {'-':>9} {'-':>8}"
            print(f"{size:>12,} {generated:7.1f} {ours.seconds:8.1f} {ours.cpu:7.1f} "
                  f"{ours.max_rss_mb:8.0f} {ours.cpu / (size / 1e6):8.2f} {peer_text}  "
                  f"{', '.join(ours.drifted)}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
