"""Registry benchmark: ``show``/``history`` vs ``git for-each-ref`` (the floor) and ``gto show``.

Builds repositories with 1,000, 10,000 and 100,000 registry tags over 20 models (half
registrations, each on its own commit, half stage assignments) with one ``git fast-import`` run,
then times, best of ``--runs`` rounds (each figure once per round, in turn, so that a machine
getting busier or quieter mid-run slows all alike):

* ``git for-each-ref`` with the same format we read (the floor), and with names only;
* ours in-process (``commands.registry.show``/``history``, the JSON rendering);
* ``mlops-ci registry show`` as a user types it (the table), ``show --json`` and ``history``,
  each a whole process (interpreter start-up and imports included), run from compiled bytecode
  as an installed package is (``PYTHONDONTWRITEBYTECODE`` is dropped and the bytecode kept in
  the benchmark's temporary folder; one untimed run compiles it);
* ``gto show`` / ``gto history`` (the dev venv's gto), capped at 60 s;
* ``register`` and ``promote`` at 10,000 tags (local, no remote).

``show`` and ``history`` keep the tags they read in ``.git/mlops-ci/registry-cache``
(``mlops_ci/registry/cache.py``). Each of our figures is marked: *first read* runs with that
cache removed before every timed run (nothing of ours cached: the tags are read and parsed, the
cache written); *cache warm* runs right after another read of the same tags.

Run: ``.venv/bin/python bench/registry/run.py [--sizes 1000 10000 100000] [--runs 5]
[--gto-cap 60]`` (``--no-100k`` is ``--sizes 1000 10000``). Goal: show/history within 3x of
for-each-ref, the first read included: in-process at every size, through the CLI from 10,000
tags (at 1,000 the interpreter's start-up alone is about ten floors); register/promote under
0.5 s at 10k tags.
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
from mlops_ci.registry.cache import cache_path
from mlops_ci.registry.refs import FORMAT

BIN = Path(sys.executable).parent
MODELS = 20
STAGES = ("dev", "staging", "production")
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
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


Case = tuple[str, Callable[[], object], Callable[[], object] | None]


def best(cases: list[Case], runs: int) -> dict[str, float]:
    """The shortest of ``runs`` timings of each case ``(label, fn, before)``; ``before`` runs
    ahead of each timing, untimed. The cases take turns within each round, so a machine that
    gets busier or quieter during the run slows them alike and their ratios stay fair."""
    times: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    for _ in range(runs):
        for label, fn, before in cases:
            if before is not None:
                before()
            start = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - start)
    return {label: min(found) for label, found in times.items()}


def run(args: list[str], repo: Path, cap: float | None = None) -> float | None:
    start = time.perf_counter()
    try:
        subprocess.run(args, cwd=repo, check=True, env=ENV, capture_output=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def measure(repo: Path, tags: int, runs: int, gto_cap: float) -> list[list[object]]:
    cache = cache_path(repo)
    assert cache is not None
    sink = io.StringIO()

    def ours_show() -> object:
        return show(ShowRequest(repo, json=True, remote=None), sink, sink)

    def ours_hist() -> object:
        return history(HistoryRequest(repo, "model-0", json=True, remote=None), sink, sink)

    def forget() -> None:  # the first read: no cache of ours
        cache.unlink(missing_ok=True)

    def keep() -> None:  # the cache warm: another read of the same tags wrote it
        if not cache.is_file():
            ours_show()

    cli = [str(BIN / "mlops-ci"), "registry"]

    def cli_table() -> object:
        return run([*cli, "show"], repo)  # as a user types it

    def cli_show() -> object:
        return run([*cli, "show", "--json", "--remote", "x"], repo)

    def cli_hist() -> object:
        return run([*cli, "history", "model-0", "--json"], repo)

    def git_floor() -> object:
        return run(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags/"], repo)

    def git_names() -> object:
        return run(["git", "for-each-ref", "--format=%(refname)", "refs/tags/"], repo)

    cli_table()  # compiles the bytecode, as installing the package does: untimed
    cli_hist()
    floor_label = "git for-each-ref (our format, floor)"
    timed = best([
        (floor_label, git_floor, None),
        ("git for-each-ref (names only)", git_names, None),
        ("ours show, in-process, first read", ours_show, forget),
        ("ours show, in-process, cache warm", ours_show, keep),
        ("ours history, in-process, cache warm", ours_hist, keep),
        ("ours show, CLI (the table, as typed), first read", cli_table, forget),
        ("ours show, CLI (the table, as typed), cache warm", cli_table, keep),
        ("ours show, CLI (--json), cache warm", cli_show, keep),
        ("ours history, CLI (--json), first read", cli_hist, forget),
        ("ours history, CLI (--json), cache warm", cli_hist, keep),
    ], runs)
    floor = timed[floor_label]
    gto = str(BIN / "gto")
    gto_show = run([gto, "show", "--json"], repo, cap=gto_cap)
    gto_hist = run([gto, "history", "model-0", "--json"], repo, cap=gto_cap) if gto_show else None

    def row(what: str, seconds: float | None) -> list[object]:
        if seconds is None:
            return [tags, what, f"did not finish in {gto_cap:.0f} s", "-"]
        return [tags, what, f"{seconds:.3f}", f"{seconds / floor:.2f}x"]

    return [
        *(row(what, seconds) for what, seconds in timed.items()),
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000],
                        help="tags per repository (default: 1000 10000 100000)")
    parser.add_argument("--no-100k", dest="big", action="store_false",
                        help="leave out the 100,000-tag repository")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (best kept)")
    parser.add_argument("--gto-cap", type=float, default=60.0)
    options = parser.parse_args()
    sizes = [size for size in options.sizes if options.big or size < 100_000]
    rows: list[list[object]] = []
    root = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    ENV["PYTHONPYCACHEPREFIX"] = str(root / "bytecode")  # ours and gto's, not in the source tree
    try:
        for size in sizes:
            repo = root / f"r{size}"
            start = time.perf_counter()
            build(repo, size)
            print(f"built {size} tags in {time.perf_counter() - start:.1f} s", file=sys.stderr)
            rows += measure(repo, size, options.runs, options.gto_cap)
            if size == 10_000:
                rows += writes(repo)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(tabulate(rows, headers=["tags", "what", "seconds", "vs floor"]))


if __name__ == "__main__":
    main()
