"""Image benchmark: what the action's image adds to its base, and how long it takes to build.

Builds, in one run and on the same wheels (``scripts/build-image`` prepares them), on the local
stand-in for python:3.11-slim with git and Perl purged (``scripts/base-image --without-git``),
because the real python:3.11-slim has no git and the image must bring it:

* ours: the repository's Dockerfile (two stages; git without Perl; a pruned, stripped and
  deduplicated venv whose imported modules ship as bytecode), cold (``--no-cache``), cached
  (nothing changed) and after a one-line code change;
* the peer: the single-stage Dockerfile most projects start from (``apt-get install git``, then
  ``pip install`` of the checkout into a venv in the base image), cold.

Prints each image's total size and what it adds over its base (from ``docker history``; the
peer's wheels layer, which a PyPI build would not have, is left out of its figure), the build
times (both include fetching git from the Debian mirror), the ratios, and the time of
``validate`` and ``data drift`` (pandas, pyarrow, scipy) on the example in a fresh container,
best of three. Builds run on a snapshot of the build context in a temporary folder, so neither
the base swap nor the code change touches the checkout.

Run: ``.venv/bin/python bench/image/run.py`` (about 3 minutes; needs the Docker engine and the
Debian mirror). Goal: under 450 MB total on the real python:3.11-slim (about 130 MB), i.e.
under 320 MB added.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[2]
BASE = "mlops-ci-base:no-git"
REAL_BASE_MB = 130  # the real python:3.11-slim, uncompressed
GOAL_MB = 450
OURS = "mlops-ci:bench"
PEER = "mlops-ci:bench-naive"
MB = 1_000_000
DRIFT = ("data", "drift", "--reference", "data/reference.csv", "--current", "data/production.csv")
BUILD_ARGS = ("--network=host", "--build-arg", "PIP_NO_INDEX=1", "--build-arg",
              "PIP_FIND_LINKS=/wheels")
NAIVE_DOCKERFILE = f"""\
FROM {BASE}
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
RUN apt-get update && apt-get install -y --no-install-recommends git && apt-get clean \\
    && rm -rf /var/lib/apt/lists/*
COPY docker/wheels/ /wheels/
COPY . /src
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir /src
ENTRYPOINT ["/opt/venv/bin/mlops-ci"]
"""


@dataclass(frozen=True, slots=True)
class Layer:
    created_by: str
    size: int


def docker(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"docker {' '.join(args[:3])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def timed_build(context: Path, tag: str, *options: str, dockerfile: Path | None = None) -> float:
    legacy = {**os.environ, "DOCKER_BUILDKIT": "0"}  # the same builder for both, everywhere
    file_option = ("--file", str(dockerfile)) if dockerfile else ()
    start = time.perf_counter()
    docker("build", *BUILD_ARGS, *file_option, "--tag", tag, *options, str(context), env=legacy)
    return time.perf_counter() - start


def snapshot(into: Path) -> Path:
    """A copy of what the build context holds, so a code change can be made on the copy."""
    context = into / "context"
    context.mkdir()
    for name in ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, context / name)
    for name in ("mlops_ci", "docker"):
        shutil.copytree(ROOT / name, context / name, symlinks=True)
    dockerfile = context / "Dockerfile"
    text = re.sub(r"^ARG BASE_IMAGE=.*$", f"ARG BASE_IMAGE={BASE}", dockerfile.read_text(),
                  count=1, flags=re.MULTILINE)
    dockerfile.write_text(text)
    return context


def layers(image: str) -> list[Layer]:
    lines = docker("history", "--no-trunc", "--human=false", "--format", "{{json .}}", image)
    return [
        Layer(created_by=row["CreatedBy"], size=int(row["Size"]))
        for row in map(json.loads, lines.splitlines())
    ]


def added_over_base(image: str, *, leave_out: str = "") -> int:
    base_ids = {layer.created_by for layer in layers(BASE)}
    return sum(
        layer.size
        for layer in layers(image)
        if layer.created_by not in base_ids and not (leave_out and leave_out in layer.created_by)
    )


def total_size(image: str) -> int:
    return int(json.loads(docker("image", "inspect", image))[0]["Size"])


def run_seconds(image: str, *command: str) -> float:
    """Best of three: a fresh container running one command on the example, as a step would."""
    workspace = ROOT / "mlops_ci" / "examples" / "churn"
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(
            ["docker", "run", "--rm", "--network=none", "--volume",
             f"{workspace}:/github/workspace", "--workdir", "/github/workspace",
             "--entrypoint", "/opt/venv/bin/mlops-ci", image, *command],
            capture_output=True, text=True, check=False,
        )
        if done.returncode not in (0, 1):
            raise SystemExit(f"{image} {' '.join(command)} failed:\n{done.stderr[-3000:]}")
        best = min(best, time.perf_counter() - start)
    return best


def command_seconds(image: str) -> list[str]:
    validate = run_seconds(image, "validate", "-c", "mlops.yaml")
    drift = run_seconds(image, *DRIFT)
    return [f"{validate:.2f}", f"{drift:.2f}"]


def main() -> None:
    subprocess.run([str(ROOT / "scripts" / "build-image"), OURS], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([str(ROOT / "scripts" / "base-image"), "--without-git", BASE], check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as scratch:
        context = snapshot(Path(scratch))
        ours_cold = timed_build(context, OURS, "--no-cache")
        ours_cached = timed_build(context, OURS)
        (context / "mlops_ci" / "_bench_marker.py").write_text("# a one-line code change\n")
        ours_code_change = timed_build(context, OURS)
        naive = Path(scratch) / "Dockerfile.naive"
        naive.write_text(NAIVE_DOCKERFILE)
        peer_cold = timed_build(context, PEER, "--no-cache", dockerfile=naive)

    ours_added = added_over_base(OURS)
    peer_added = added_over_base(PEER, leave_out=" in /wheels/")
    rows = [
        ["base " + BASE, f"{total_size(BASE) / MB:.0f}", "", "", "", "", "", ""],
        ["ours (Dockerfile)", f"{total_size(OURS) / MB:.0f}", f"{ours_added / MB:.0f}",
         f"{ours_cold:.1f}", f"{ours_cached:.1f}", f"{ours_code_change:.1f}",
         *command_seconds(OURS)],
        ["peer (single stage)", f"{total_size(PEER) / MB:.0f}", f"{peer_added / MB:.0f}",
         f"{peer_cold:.1f}", "", "", *command_seconds(PEER)],
    ]
    print(tabulate(rows, headers=["image", "total MB", "added MB", "cold build s",
                                  "cached s", "code change s", "validate s", "drift s"]))
    print(f"\nadded over base, ours/peer: {ours_added / peer_added:.2f}")
    print(f"cold build, ours/peer: {ours_cold / peer_cold:.2f}")
    on_real_base = REAL_BASE_MB + ours_added / MB
    print(f"on the real python:3.11-slim (about {REAL_BASE_MB} MB, no git): about "
          f"{on_real_base:.0f} MB, goal under {GOAL_MB} MB: "
          f"{'met' if on_real_base < GOAL_MB else 'NOT met'}")
    print("\nours, layers over the base:")
    base_ids = {layer.created_by for layer in layers(BASE)}
    for layer in layers(OURS):
        if layer.created_by not in base_ids and layer.size:
            print(f"  {layer.size / MB:8.1f} MB  {layer.created_by[:90]}")


if __name__ == "__main__":
    main()
