"""Registry benchmark: ``show``/``history`` vs ``git for-each-ref`` (the floor) and ``gto show``.

Builds repositories with 1,000, 10,000 and 100,000 registry tags over 20 models (half
registrations, each on its own commit, half stage assignments) with one ``git fast-import`` run,
then times, best of a few runs:

* ours in-process (``RegistryStore.state()`` + the JSON rendering) and via the CLI, both
  ``--json`` and the table a user gets from a plain ``mlops-ci registry show``;
* ``git for-each-ref`` with the same format we read (the floor), and with names only;
* ``gto show`` / ``gto history`` (the dev venv's gto), capped at 60 s;
* ``register`` and ``promote`` at 10,000 tags (local, no remote).

Run: ``.venv/bin/python bench/registry/run.py [--no-100k] [--gto-cap 60]``. Goal: show/history
within 3x of for-each-ref at every size; register/promote under 0.5 s at 10k tags.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tabulate import tabulate

from mlops_ci.commands.registry import HistoryRequest, ShowRequest, history, show
from mlops_ci.registry import RegistryStore
from mlops_ci.registry.refs import FORMAT

BIN = Path(sys.executable).parent
MODELS = 20
STAGES = ("dev", "staging", "production")
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
       "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com"}


def build(repo: Path, tags: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    registrations = tags // 2
    out = io.StringIO()
    stamp = 1_700_000_000
    for n in range(registrations):
        message = f"commit {n}"
        out.write(f"commit refs/heads/main\nmark :{n + 1}\n")
        out.write(f"committer Bench <bench@example.com> {stamp + n} +0000\n")
        out.write(f"data {len(message)}\n{message}\n")
        if n:
            out.write(f"from :{n}\n")
    counters = [0] * MODELS
    for n in range(tags):
        model = f"model-{n % MODELS}"
        index = n // 2
        if n % 2 == 0 or index >= registrations:
            version = f"v{index // 1000}.{index % 1000}.0"
            name = f"{model}@{version}"
            message = f"Registering artifact {model} version {version}"
            mark = index + 1
        else:
            target = index - (index % MODELS) + (n % MODELS) if index >= MODELS else n % MODELS
            target = min(target, registrations - 1)
            stage = STAGES[n % 3]
            model = f"model-{target % MODELS}"
            counters[target % MODELS] += 1
            name = f"{model}#{stage}#{counters[target % MODELS]}"
            message = f"Assigning stage {stage} to artifact {model}"
            mark = target + 1
        out.write(f"tag {name}\nfrom :{mark}\ntagger Bench <bench@example.com> {stamp + n} +0000\n")
        out.write(f"data {len(message)}\n{message}\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=out.getvalue().encode(),
                   check=True, env=ENV)
    subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True, env=ENV)


def best(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(args: list[str], repo: Path, cap: float | None = None) -> float | None:
    start = time.perf_counter()
    try:
        subprocess.run(args, cwd=repo, check=True, env=ENV, capture_output=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def measure(repo: Path, tags: int, gto_cap: float) -> list[list[object]]:
    floor = best(lambda: run(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags/"], repo))
    names = best(lambda: run(["git", "for-each-ref", "--format=%(refname)", "refs/tags/"], repo))
    sink = io.StringIO()
    ours_show = best(lambda: show(ShowRequest(repo, json=True, remote=None), sink, sink))
    ours_hist = best(lambda: history(HistoryRequest(repo, "model-0", json=True, remote=None),
                                     sink, sink))
    cli = [str(BIN / "mlops-ci"), "registry"]
    cli_show = best(lambda: run([*cli, "show", "--json", "--remote", "x"], repo))
    cli_table = best(lambda: run([*cli, "show"], repo))  # as a user types it
    cli_hist = best(lambda: run([*cli, "history", "model-0", "--json"], repo))
    gto = str(BIN / "gto")
    gto_show = run([gto, "show", "--json"], repo, cap=gto_cap)
    gto_hist = run([gto, "history", "model-0", "--json"], repo, cap=gto_cap) if gto_show else None

    def row(what: str, seconds: float | None) -> list[object]:
        if seconds is None:
            return [tags, what, f"did not finish in {gto_cap:.0f} s", "-"]
        return [tags, what, f"{seconds:.3f}", f"{seconds / floor:.2f}x"]

    return [
        row("git for-each-ref (our format, floor)", floor),
        row("git for-each-ref (names only)", names),
        row("ours show, in-process", ours_show),
        row("ours history, in-process", ours_hist),
        row("ours show, CLI (--json)", cli_show),
        row("ours show, CLI (the table, as typed)", cli_table),
        row("ours history, CLI", cli_hist),
        row("gto show", gto_show),
        row("gto history", gto_hist),
    ]


def writes(repo: Path) -> list[list[object]]:
    store = RegistryStore(repo, remote=None)
    start = time.perf_counter()
    done = store.register("model-0", bump="minor", ref="main~0")
    register = time.perf_counter() - start
    start = time.perf_counter()
    store.promote("model-0", done.version, "production")
    promote = time.perf_counter() - start
    return [[10_000, "register (local)", f"{register:.3f}", "goal < 0.5 s"],
            [10_000, "promote (local)", f"{promote:.3f}", "goal < 0.5 s"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-100k", dest="big", action="store_false")
    parser.add_argument("--gto-cap", type=float, default=60.0)
    options = parser.parse_args()
    sizes = [1_000, 10_000, *([100_000] if options.big else [])]
    rows: list[list[object]] = []
    root = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    try:
        for size in sizes:
            repo = root / f"r{size}"
            start = time.perf_counter()
            build(repo, size)
            print(f"built {size} tags in {time.perf_counter() - start:.1f} s", file=sys.stderr)
            rows += measure(repo, size, options.gto_cap)
            if size == 10_000:
                rows += writes(repo)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(tabulate(rows, headers=["tags", "what", "seconds", "vs floor"]))


if __name__ == "__main__":
    main()
