"""Parquet production data: files, globs and partitioned folders, streamed in batches.

The churn example's workspace (``conftest.workspace``), with its production data written as
Parquet. The memory test runs the real CLI in a subprocess on N and 10N rows and compares the
peak RSS of the two processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.monitoring.conftest import EXAMPLE, run_monitor
from tests.monitoring.test_inputs import LOCAL, cli, edit_config

ROOT = Path(__file__).resolve().parents[2]


def production_rows() -> pa.Table:
    """The example's production rows, without the target (labels arrive later)."""
    table = pacsv.read_csv(EXAMPLE / "data" / "production.csv")
    return table.drop_columns(["churned"])


def write_rows(path: Path, rows: int, *, seed: int = 7, row_group: int = 50_000) -> None:
    """``rows`` rows drawn from the example's production rows, with fresh unique ids, written
    one row group at a time (never the whole table in memory)."""
    source = production_rows()
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, source.schema) as writer:
        for start in range(0, rows, row_group):
            size = min(row_group, rows - start)
            chunk = source.take(rng.integers(0, source.num_rows, size))
            ids = np.char.add("P", np.arange(start, start + size).astype("U12"))
            writer.write_table(chunk.set_column(0, "customer_id", pa.array(ids)))


def use_parquet(workspace: Path, pattern: str) -> None:
    edit_config(workspace, "production_data: [data/production.csv]",
                f"production_data: [\"{pattern}\"]")


def test_parquet_production_gives_the_csv_findings(workspace: Path) -> None:
    """The same rows as CSV and as Parquet, both streamed: the same findings and the same drift
    (``tests/data/test_stream_csv.py`` holds streamed CSV against the in-memory read)."""
    as_csv = run_monitor(workspace, LOCAL, dry_run=True).json["models"][0]  # type: ignore[index]
    pq.write_table(pacsv.read_csv(workspace / "data" / "production.csv"),
                   workspace / "data" / "production.parquet")
    use_parquet(workspace, "data/production.parquet")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    streamed = run.json["models"][0]  # type: ignore[index]
    assert run.code == 1
    assert streamed["drift"]["streamed"] is True and as_csv["drift"]["streamed"] is True
    assert streamed["drift"]["drifted_columns"] == as_csv["drift"]["drifted_columns"]
    assert streamed["drift"]["drifted"] == as_csv["drift"]["drifted"]
    for mem, stream in zip(as_csv["drift"]["columns"], streamed["drift"]["columns"],
                           strict=True):
        assert stream["method"] == mem["method"] and stream["verdict"] == mem["verdict"]
        assert stream["statistic"] == pytest.approx(mem["statistic"], rel=1e-9, abs=1e-12)
    findings = [(f["rule"], f["column"], f["count"])
                for f in streamed["validation"][0]["findings"]]
    assert findings == [(f["rule"], f["column"], f["count"])
                        for f in as_csv["validation"][0]["findings"]]


def test_partitioned_folder_is_one_dataset(workspace: Path) -> None:
    live = workspace / "data" / "live"
    for day in range(3):
        write_rows(live / f"day=2026-11-0{day + 1}" / "part-0.parquet", 400, seed=day)
    (live / "_SUCCESS").write_text("", encoding="utf-8")
    use_parquet(workspace, "data/live")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    model = run.json["models"][0]  # type: ignore[index]
    assert [v["file"] for v in model["validation"]] == [
        f"data/live/day=2026-11-0{day}/part-0.parquet" for day in (1, 2, 3)]
    assert model["rows"] == 1200
    assert model["drift"]["current_rows"] == 1200 and model["drift"]["streamed"] is True


def test_glob_of_parquet_files_is_streamed_without_a_union(workspace: Path) -> None:
    for day in range(2):
        write_rows(workspace / "data" / "daily" / f"2026-11-0{day + 1}.parquet", 700, seed=day)
    use_parquet(workspace, "data/daily/*.parquet")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    model = run.json["models"][0]  # type: ignore[index]
    assert model["rows"] == 1400 and len(model["production"]) == 2
    assert model["drift"]["current_rows"] == 1400 and model["drift"]["streamed"] is True
    assert not list(workspace.rglob("production-union.*"))


def test_parquet_column_of_another_type_exits_2_naming_file_and_column(
    workspace: Path,
) -> None:
    path = workspace / "data" / "live.parquet"
    write_rows(path, 300)
    table = pq.read_table(path)
    index = table.schema.get_field_index("tenure_months")
    as_text = pa.array([str(v) for v in table.column(index).to_pylist()])
    pq.write_table(table.set_column(index, "tenure_months", as_text), path)
    use_parquet(workspace, "data/live.parquet")

    code, err = cli(workspace)

    assert code == 2, err
    assert "data/live.parquet:1:2: tenure_months: column 'tenure_months' is string in the " \
        "file, but int is declared in data.columns" in err
    assert "Traceback" not in err


def test_glob_matching_nothing_names_the_pattern_and_its_yaml_path(workspace: Path) -> None:
    use_parquet(workspace, "data/live/*.parquet")
    line = next(number for number, text in enumerate(
        (workspace / "mlops.yaml").read_text(encoding="utf-8").splitlines(), start=1)
        if "data/live/*.parquet" in text)

    code, err = cli(workspace)

    assert code == 2
    assert f"mlops.yaml:{line}:" in err
    assert "models.churn.monitor.production_data[0]: 'data/live/*.parquet' matches no file" \
        in err
    assert "Traceback" not in err


PEAK = """
import resource, sys
from mlops_ci.cli import main
code = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, code, file=sys.stderr)
"""


def peak_mb(workspace: Path) -> int:
    """Peak RSS in MB of ``mlops-ci monitor --json`` run in its own process."""
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("GITHUB_", "INPUT_"))}
    environ["PYTHONPATH"] = str(ROOT)
    # one thread each for pyarrow's CPU and I/O pools: with several, how many column chunks
    # are decoded at once varies, and the peak with it (by 40 MB between two runs here)
    environ.update(OMP_NUM_THREADS="1", ARROW_IO_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", PEAK, "monitor", "-c", str(workspace / "mlops.yaml"),
         "--dry-run", "--json"],
        capture_output=True, text=True, env=environ, cwd=workspace, check=False)
    peak, code = done.stderr.split()[-2:]
    assert code in ("0", "1"), done.stderr
    assert json.loads(done.stdout)["models"][0]["rows"] > 0
    return int(peak)


def test_memory_does_not_grow_with_the_rows(workspace: Path) -> None:
    """200,000 rows, then 2,000,000: held in memory, the second would take over 100 MB more
    (ten columns of 1.8 million more rows); streamed, the peak stays within 50 MB."""
    path = workspace / "data" / "live.parquet"
    use_parquet(workspace, "data/live.parquet")
    write_rows(path, 200_000)
    small = peak_mb(workspace)
    write_rows(path, 2_000_000, row_group=100_000)
    large = peak_mb(workspace)

    assert large < small + 50, (small, large)


def write_csv_rows(workspace: Path, rows: int) -> None:
    """``rows`` rows as ``data/live.csv``, converted from Parquet one row group at a time."""
    source = workspace / "data" / "rows.parquet"
    write_rows(source, rows, row_group=100_000)
    parquet = pq.ParquetFile(source)
    with pacsv.CSVWriter(workspace / "data" / "live.csv", parquet.schema_arrow) as writer:
        for group in range(parquet.num_row_groups):
            writer.write_table(parquet.read_row_group(group))
    source.unlink()


def test_csv_memory_does_not_grow_with_the_rows(workspace: Path) -> None:
    """The same for CSV production data, read by pyarrow's streaming CSV reader: 500,000 rows
    (35 MB, more than the blocks pyarrow reads ahead), then 3,000,000; held in memory, the
    second would take over 150 MB more."""
    use_parquet(workspace, "data/live.csv")
    write_csv_rows(workspace, 500_000)
    small = peak_mb(workspace)
    write_csv_rows(workspace, 3_000_000)
    large = peak_mb(workspace)

    assert large < small + 50, (small, large)


def test_csv_value_of_another_type_is_a_finding_with_its_line_and_drift_not_measured(
    workspace: Path,
) -> None:
    """Streamed, as read whole: the bad value is a ``dtype`` finding naming its line; drift,
    which cannot read the column, is reported as not measured (exit 1, not 2)."""
    path = workspace / "data" / "production.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[700].split(",")
    cells[2] = "eighty"  # monthly_charges, a float
    lines[700] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    assert run.code == 1
    model = run.json["models"][0]  # type: ignore[index]
    assert model["drift"] is None
    assert model["drift_error"].endswith("data/production.csv has values of the wrong type: "
                                         "1 problem")
    [finding] = [f for f in model["validation"][0]["findings"] if f["rule"] == "dtype"]
    assert (finding["column"], finding["count"], finding["lines"]) == (
        "monthly_charges", 1, [701])


def test_a_folder_of_csv_and_parquet_files_is_one_streamed_dataset(workspace: Path) -> None:
    """Mixed formats are read each by its reader; CSV columns may come in another order."""
    live = workspace / "data" / "live"
    write_rows(live / "day=1" / "part-0.parquet", 500, seed=1)
    write_rows(live / "rows.parquet", 300, seed=2)
    table = pq.read_table(live / "rows.parquet")
    (live / "rows.parquet").unlink()
    pacsv.write_csv(table.select(list(reversed(table.column_names))), live / "day=2.csv")
    use_parquet(workspace, "data/live")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    model = run.json["models"][0]  # type: ignore[index]
    assert [v["file"] for v in model["validation"]] == [
        "data/live/day=1/part-0.parquet", "data/live/day=2.csv"]
    assert model["rows"] == 800 and model["drift"]["current_rows"] == 800
    assert [f for v in model["validation"] for f in v["findings"]
            if f["severity"] == "error"] == []
