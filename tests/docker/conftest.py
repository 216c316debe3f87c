"""The image every test under ``tests/docker`` runs: built once per session from the working tree.

``scripts/build-image`` builds ``mlops-ci:test`` (cached: seconds when nothing changed); a file
lock keeps xdist workers from building at the same time, so the second worker only finds the
cache. Needs a Docker engine: skipped without one on a developer machine, failed without one in
CI (``CI=true``), where ``.ci/run`` starts it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "mlops-ci:test"


def engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture(scope="session")
def image() -> str:
    """``mlops-ci:test`` built from the working tree; one build at a time across xdist workers.

    ``MLOPS_CI_TEST_IMAGE=TAG`` runs the tests on an image built already (say, by
    ``scripts/build-image TAG`` from another tree, or an older release) and builds nothing."""
    if not engine_answers():
        message = "no Docker engine answers `docker info` (scripts/docker-engine starts one)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    chosen = os.environ.get("MLOPS_CI_TEST_IMAGE")
    if chosen:
        found = subprocess.run(["docker", "image", "inspect", chosen], capture_output=True,
                               check=False)
        assert found.returncode == 0, f"MLOPS_CI_TEST_IMAGE={chosen}: no such image"
        return chosen
    lock_path = Path(tempfile.gettempdir()) / "mlops-ci-build-image.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(
            [str(ROOT / "scripts" / "build-image"), IMAGE],
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == 0, f"build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return IMAGE
