"""Two processes register against one bare remote at the same moment."""

from __future__ import annotations

import multiprocessing
import subprocess
from pathlib import Path

import pytest

from mlops_ci.errors import MlopsError
from mlops_ci.registry import RegistryStore
from tests.registry.gitutil import commits, git


def _register(clone: str, ref: str, version: str | None, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        done = RegistryStore(Path(clone)).register("churn", version=version, ref=ref)
        results.put((done.version, done.created, None))  # type: ignore[attr-defined]
    except MlopsError as error:
        results.put((None, False, f"{type(error).__name__}: {error.message}"))  # type: ignore[attr-defined]


Outcome = tuple[str | None, bool, str | None]


def race(clones: list[Path], refs: list[str], versions: list[str | None]) -> list[Outcome]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(clones))
    results = context.Queue()
    workers = [
        context.Process(target=_register, args=(str(c), r, v, barrier, results))
        for c, r, v in zip(clones, refs, versions, strict=True)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return sorted(outcomes, key=str)


@pytest.fixture
def clones(repo: Path, remote: Path, tmp_path: Path) -> list[Path]:
    RegistryStore(repo).register("churn", version="v1.0.0", ref=commits(repo)[0])
    second = tmp_path / "second"
    subprocess.run(["git", "clone", "-q", remote.as_uri(), str(second)], check=True)
    return [repo, second]


def remote_versions(remote: Path) -> dict[str, str]:
    lines = git(remote, "for-each-ref", "--format=%(refname:strip=2) %(*objectname)",
                "refs/tags").splitlines()
    return dict(line.split() for line in lines)


@pytest.mark.slow
def test_bump_race_ends_with_distinct_versions(clones: list[Path], remote: Path) -> None:
    _, second, third = commits(clones[0])
    outcomes = race(clones, [second, third], [None, None])
    assert sorted(o[0] or "" for o in outcomes) == ["v1.0.1", "v1.0.2"]
    tags = remote_versions(remote)
    assert set(tags) == {"churn@v1.0.0", "churn@v1.0.1", "churn@v1.0.2"}
    assert len(set(tags.values())) == 3  # three versions, three commits


@pytest.mark.slow
def test_explicit_version_race_has_one_winner_and_one_clear_refusal(
    clones: list[Path], remote: Path
) -> None:
    _, second, third = commits(clones[0])
    outcomes = race(clones, [second, third], ["v2.0.0", "v2.0.0"])
    winners = [o for o in outcomes if o[0] == "v2.0.0"]
    refusals = [o for o in outcomes if o[2] is not None]
    assert len(winners) == 1 and len(refusals) == 1
    assert "UserError" in (refusals[0][2] or "") and "already registered" in (refusals[0][2] or "")
    assert remote_versions(remote)["churn@v2.0.0"] in (second, third)


@pytest.mark.slow
def test_same_commit_race_registers_once(clones: list[Path], remote: Path) -> None:
    _, second, _ = commits(clones[0])
    outcomes = race(clones, [second, second], [None, None])
    assert [o[0] for o in outcomes] == ["v1.0.1", "v1.0.1"]
    # Both writers may build byte-identical tag objects in the same second; then the second
    # push is "up to date" and both report it created. Either way: one version, one tag.
    assert True in [o[1] for o in outcomes]
    assert set(remote_versions(remote)) == {"churn@v1.0.0", "churn@v1.0.1"}
