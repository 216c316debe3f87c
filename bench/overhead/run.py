"""Overhead of a whole PR run against the user's own train and evaluate scripts, in one run.

Usage: .venv/bin/python bench/overhead/run.py [--runs N]

Both sides work on a fresh copy of examples/churn in a git repository:
- the user's scripts alone: `python train.py` then `python evaluate.py`, as a user would
  run them by hand (the floor: what training and scoring cost anyway);
- `mlops-ci run` for a pull_request event with the local outbox: config validation, data
  validation of three files, drift, the same train.py, evaluation of the candidate, gates,
  the report and the PR comment (in the outbox).
Prints the median of N runs of each and our overhead. Goal: at most 15% + 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "mlops_ci" / "examples" / "churn"
BIN = Path(sys.executable).parent


def workspace(root: Path) -> Path:
    work = root / "churn"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns(".mlops", "out", "__pycache__"))
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b.invalid",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@b.invalid",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True)
    return work


def user_scripts(work: Path) -> float:
    env = {
        **os.environ,
        "MLOPS_OUTPUT_DIR": str(work / "out"),
        "MLOPS_MODEL_DIR": str(work / "out"),
    }
    start = time.perf_counter()
    for script in ("train.py", "evaluate.py"):
        subprocess.run(
            [str(BIN / "python"), script], cwd=work, env=env, check=True, capture_output=True
        )
    return time.perf_counter() - start


def pr_run(work: Path) -> float:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()
    repo = {"full_name": "bench/churn", "default_branch": "main"}
    payload = {
        "action": "synchronize",
        "number": 1,
        "repository": repo,
        "pull_request": {
            "number": 1,
            "title": "bench",
            "merged": False,
            "head": {"ref": "bench", "sha": head, "repo": repo},
            "base": {"ref": "main", "sha": head, "repo": repo},
        },
    }
    event = work.parent / "event.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update(
        {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "bench/churn",
            "GITHUB_SHA": "f" * 40,
        }
    )
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "mlops-ci"), "run"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mlops-ci run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "mlops_ci")], check=True)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = workspace(Path(tmp))
        user_scripts(work)  # warm the OS file cache for both sides alike
        for _ in range(args.runs):
            theirs.append(user_scripts(work))
            ours.append(pr_run(work))
    floor, total = statistics.median(theirs), statistics.median(ours)
    allowed = floor * 1.15 + 1.0
    print(f"{'what':<34} {'median s':>9}")
    print(f"{'train.py + evaluate.py alone':<34} {floor:>9.2f}")
    print(f"{'mlops-ci run (pull_request)':<34} {total:>9.2f}")
    print(
        f"overhead: {total - floor:+.2f} s ({(total / floor - 1) * 100:+.0f}%); "
        f"goal <= {allowed:.2f} s (15% + 1 s): {'ok' if total <= allowed else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
