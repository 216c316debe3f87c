"""Cold start: `mlops-ci --help` and `mlops-ci validate` against `gto --help`, in one run.

Usage: .venv/bin/python bench/cold_start/run.py [--runs N]
Prints the median wall time of each command over N runs (after one warm-up run that fills
the OS file cache for everyone alike) and the ratio of ours to gto's. Goal: validate at most
0.5x of `gto --help`, `--help` at most 0.2x.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.peers import peer_venv

REPO = Path(__file__).resolve().parents[2]


def median_seconds(argv: list[str], runs: int) -> float:
    subprocess.run(argv, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    ours = str(Path(sys.executable).parent / "mlops-ci")
    # A pip install compiles the package to bytecode; an editable checkout under
    # PYTHONDONTWRITEBYTECODE never does. Compile it, as an install would, so both tools
    # start from bytecode (gto's venv was compiled by pip).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "mlops_ci")], check=True)
    gto = str(peer_venv("gto", ["gto"]) / "gto")
    example = str(REPO / "mlops_ci" / "examples" / "churn" / "mlops.yaml")
    gto_help = median_seconds([gto, "--help"], args.runs)
    rows = [
        ("gto --help", gto_help, None),
        ("mlops-ci --help", median_seconds([ours, "--help"], args.runs), 0.2),
        ("mlops-ci validate", median_seconds([ours, "validate", "-c", example], args.runs), 0.5),
    ]
    print(f"{'command':<20} {'median s':>9} {'vs gto':>8} {'goal':>6}")
    for name, seconds, goal in rows:
        ratio = seconds / gto_help
        goal_text = f"<={goal}x" if goal else ""
        verdict = "" if goal is None else ("ok" if ratio <= goal else "MISSED")
        print(f"{name:<20} {seconds:>9.3f} {ratio:>7.2f}x {goal_text:>6} {verdict}")


if __name__ == "__main__":
    main()
