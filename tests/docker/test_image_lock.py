"""The image's hash-locked requirements: current, and what the Dockerfile installs.

``scripts/image-lock --check`` is what CI runs; these tests run it on the repository (a stale lock
fails the suite) and on copies of the repository changed the ways a lock goes stale.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ("docker/requirements.lock", "docker/build-requirements.lock")


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "image-lock"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in ("scripts/image-lock", "pyproject.toml", *LOCKS):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_locks_in_the_repository_are_current() -> None:
    done = _check(ROOT)
    assert done.returncode == 0, done.stderr


def test_a_changed_dependency_makes_the_lock_stale(copy: Path) -> None:
    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('"tabulate>=0.9",', '"tabulate>=0.9",\n  "rich>=13",'))
    done = _check(copy)
    assert done.returncode == 1
    assert "docker/requirements.lock: made from other requirements" in done.stderr
    assert "scripts/image-lock" in done.stderr


def test_a_changed_build_requirement_makes_the_build_lock_stale(copy: Path) -> None:
    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('"setuptools>=69"', '"setuptools>=70"'))
    done = _check(copy)
    assert done.returncode == 1
    assert "docker/build-requirements.lock: made from other" in done.stderr
    assert "docker/requirements.lock" not in done.stderr.replace("build-requirements.lock", "")


def test_a_pin_outside_pyprojects_range_is_named(copy: Path) -> None:
    lock = copy / "docker/requirements.lock"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(re.sub(r"^skops==\S+", "skops==0.10.0", text, flags=re.MULTILINE))
    done = _check(copy)
    assert done.returncode == 1
    assert "skops==0.10.0 is outside 'skops>=0.12" in done.stderr


def test_a_lock_without_hashes_or_missing_is_refused(copy: Path) -> None:
    lock = copy / "docker/requirements.lock"
    lines = lock.read_text(encoding="utf-8").splitlines()
    lock.write_text("\n".join(line for line in lines if "--hash=" not in line) + "\n")
    (copy / "docker/build-requirements.lock").unlink()
    done = _check(copy)
    assert done.returncode == 1
    assert "docker/requirements.lock: has no hashes" in done.stderr
    assert "docker/build-requirements.lock: missing" in done.stderr


def test_every_pin_in_the_locks_carries_a_hash() -> None:
    for name in LOCKS:
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / name).read_text(encoding="utf-8"))
        pins = [entry for entry in entries if re.match(r"[A-Za-z0-9][\w.-]*==", entry)]
        assert pins, name
        for pin in pins:
            assert "--hash=sha256:" in pin, f"{name}: {pin.splitlines()[0]}"


def test_the_dockerfile_installs_only_from_the_locks() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    installs = re.findall(r"pip install ([^&]*?)(?:\\\n\s*)?(?=&&|\n\S|\Z)", dockerfile, re.DOTALL)
    assert installs
    for arguments in installs:
        flat = " ".join(arguments.replace("\\\n", " ").split())
        hashed = "--require-hashes" in flat and re.search(r"-r /src/\S+\.lock", flat)
        assert hashed or "--no-deps" in flat, f"pip install {flat}"
    assert "pyproject.toml'))['project']['dependencies']" not in dockerfile
