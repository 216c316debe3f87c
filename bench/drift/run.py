"""Drift on 1,000,000 rows x 25 columns: mlops-ci vs Evidently vs a plain scipy script.

Run by hand: ``.venv/bin/python bench/drift/run.py [--rows N] [--format parquet|csv]``.

Writes reference and current data once (20 numeric + 5 categorical columns; in current,
``num_0`` is shifted by 0.3 sd, ``num_1`` is 1.3x wider and ``cat_0`` has new shares) under
``bench/.cache/drift``, then runs each tool as a whole process on the same files, loading
included, and prints wall time, peak memory (max RSS from ``/usr/bin/time``), the ratios, and
whether the three flag the same columns:

- ours: ``mlops-ci data drift --reference R --current C --json`` (``auto`` methods);
- Evidently's ``DataDriftPreset`` report (its own venv under ``bench/.venvs/evidently``,
  installed on first run with ``pandas<3``: Evidently 0.7 does not import with pandas 3);
- a plain script: pandas reads the files, per column ``scipy.stats.ks_2samp`` or
  ``chi2_contingency`` (Bonferroni over the columns) and a 10-bin quantile PSI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from peers import peer_venv  # noqa: E402  (bench/ is not a package on sys.path)

CACHE = HERE.parent / ".cache" / "drift"
EVIDENTLY = ["evidently", "pandas<3", "pyarrow"]
SHIFTED = ("num_0", "num_1", "cat_0")

PLAIN_SCRIPT = r'''
import json, sys
import numpy as np, pandas as pd
from scipy import stats

def read(path):
    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)

ref, cur = read(sys.argv[1]), read(sys.argv[2])
columns = [c for c in ref.columns if c in cur.columns]
out = {}
for name in columns:
    a, b = ref[name].dropna(), cur[name].dropna()
    if pd.api.types.is_numeric_dtype(a):
        p = stats.ks_2samp(a.to_numpy(), b.to_numpy()).pvalue
        edges = np.unique(np.quantile(a, np.linspace(0, 1, 11))[1:-1])
        ra = np.bincount(np.searchsorted(edges, a, "right"), minlength=len(edges) + 1)
        rb = np.bincount(np.searchsorted(edges, b, "right"), minlength=len(edges) + 1)
    else:
        counts = pd.concat([a.value_counts(), b.value_counts()], axis=1).fillna(0)
        p = stats.chi2_contingency(counts.T.to_numpy(), correction=False).pvalue
        ra, rb = counts.iloc[:, 0].to_numpy(), counts.iloc[:, 1].to_numpy()
    sa = np.maximum(ra / ra.sum(), 1e-4)
    sb = np.maximum(rb / rb.sum(), 1e-4)
    psi = float(np.sum((sb - sa) * np.log(sb / sa)))
    out[name] = {"p": float(p), "psi": psi}
alpha = 0.05 / len(columns)
print(json.dumps({"drifted": sorted(n for n, v in out.items() if v["p"] < alpha), "columns": out}))
'''

EVIDENTLY_SCRIPT = r'''
import json, sys
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

def read(path):
    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)

ref, cur = read(sys.argv[1]), read(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(cur, ref)
print(json.dumps(snapshot.dict(), default=str))
'''


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mb: float
    drifted: tuple[str, ...]


def write_data(rows: int, fmt: str, current_rows: int) -> tuple[Path, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    CACHE.mkdir(parents=True, exist_ok=True)
    reference, current = CACHE / f"ref-{rows}.{fmt}", CACHE / f"cur-{current_rows}.{fmt}"
    levels = np.array(["north", "south", "east", "west"])

    def make(seed: int, drifted: bool, rows: int) -> pa.Table:
        rng = np.random.default_rng(seed)
        columns: dict[str, object] = {}
        for i in range(20):
            values = rng.normal(loc=i, scale=1 + i / 10, size=rows)
            if drifted and i == 0:
                values += 0.3 * (1 + i / 10)
            if drifted and i == 1:
                values = i + (values - i) * 1.3
            columns[f"num_{i}"] = values
        for i in range(5):
            shares = [0.5, 0.3, 0.15, 0.05]
            if drifted and i == 0:
                shares = [0.3, 0.3, 0.25, 0.15]
            chosen = levels[rng.choice(4, size=rows, p=shares)]
            columns[f"cat_{i}"] = pa.array(chosen).dictionary_encode()
        return pa.table(columns)

    for path, seed, drifted, count in ((reference, 1, False, rows),
                                       (current, 2, True, current_rows)):
        if path.exists():
            continue
        data = make(seed, drifted, count)
        if fmt == "parquet":
            pq.write_table(data, path)
        else:
            pacsv.write_csv(data, path)
    return reference, current


def measure(argv: list[str], parse: object) -> Run:
    """Run ``argv`` under /usr/bin/time; wall time and max RSS of the whole process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", "-o", timing.name, *argv],
            capture_output=True, text=True, check=False,
        )
        if done.returncode not in (0, 1):
            raise SystemExit(f"{argv[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        seconds, kilobytes = timing.read().split()[-2:]
    drifted = parse(done.stdout)  # type: ignore[operator]
    return Run(float(seconds), int(kilobytes) / 1024, tuple(sorted(drifted)))


def ours_drifted(stdout: str) -> list[str]:
    return list(json.loads(stdout)["drifted_columns"])


def plain_drifted(stdout: str) -> list[str]:
    return list(json.loads(stdout)["drifted"])


def evidently_drifted(stdout: str) -> list[str]:
    """Columns Evidently 0.7 calls drifted: ValueDrift scores at or past their threshold."""
    snapshot = json.loads(stdout)
    drifted = []
    for metric in snapshot["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            threshold = config.get("threshold")
            method = config.get("method", "")
            value = float(metric["value"])
            p_value_method = "p_value" in method or method in ("ks", "chisquare")
            if threshold is None:
                threshold = 0.05 if p_value_method else 0.1
            flagged = value < threshold if p_value_method else value >= threshold
            if flagged:
                drifted.append(config["column"])
    return drifted


def best(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.seconds)
    median = ordered[len(ordered) // 2]
    return Run(median.seconds, statistics.median(r.max_rss_mb for r in runs), median.drifted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--current-rows", type=int, default=None,
                        help="rows of the current data (default: --rows)")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours and plain (median)")
    parser.add_argument("--skip-evidently", action="store_true")
    args = parser.parse_args()

    current_rows = args.current_rows or args.rows
    reference, current = write_data(args.rows, args.format, current_rows)
    files = [str(reference), str(current)]
    print(f"data: {args.rows:,} reference and {current_rows:,} current rows x 25 columns "
          f"({args.format}), shifted: {', '.join(SHIFTED)}")
    ours_argv = [sys.executable, "-m", "mlops_ci", "data", "drift", "--reference", files[0],
                 "--current", files[1], "--json"]
    plain_argv = [sys.executable, "-c", PLAIN_SCRIPT, *files]
    results: dict[str, Run] = {}
    results["mlops-ci"] = best([measure(ours_argv, ours_drifted) for _ in range(args.repeat)])
    results["plain scipy"] = best([measure(plain_argv, plain_drifted)
                                   for _ in range(args.repeat)])
    if not args.skip_evidently:
        python = str(peer_venv("evidently", EVIDENTLY) / "python")
        evidently_argv = [python, "-c", EVIDENTLY_SCRIPT, *files]
        results["evidently"] = measure(evidently_argv, evidently_drifted)

    ours = results["mlops-ci"]
    print(f"\n{'tool':<12} {'wall s':>8} {'max RSS MB':>11} {'time/ours':>10} "
          f"{'mem/ours':>9}  flagged")
    for name, run in results.items():
        print(f"{name:<12} {run.seconds:8.2f} {run.max_rss_mb:11.0f} "
              f"{run.seconds / ours.seconds:10.2f} {run.max_rss_mb / ours.max_rss_mb:9.2f}  "
              f"{', '.join(run.drifted)}")
    flagged = {run.drifted for run in results.values()}
    print(f"\nsame flagged columns: {'yes' if len(flagged) == 1 else 'NO'}"
          f" (expected {', '.join(sorted(SHIFTED))}); cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
