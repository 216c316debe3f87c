"""Fixtures for the GitHub forge tests: a fake GitHub over real HTTP, and forges talking to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import AssetFile
from mlops_ci.forge.retry import RetryPolicy
from tests.fakegithub import FakeGitHub

REPO = "octo/churn"
PR = 7
HEAD = "a" * 40
NEWER_HEAD = "b" * 40
# Our own backoff shrunk 100 times; waits the server asks for (Retry-After: 1) stay real.
FAST = RetryPolicy(attempts=6, total_wait=30.0).scaled(0.01)
TIMEOUT_STALL = 1.5  # the fake's Fault.TIMEOUT stall; the client gives up after 1 s


def start_fake() -> FakeGitHub:
    fake = FakeGitHub(timeout_sleep=TIMEOUT_STALL).start()
    repo = fake.create_repo(REPO)
    repo.add_pull(PR, head_sha=HEAD, head_ref="tune-model", base_ref="main", title="Tune")
    return fake


def make_forge(fake: FakeGitHub, token: str | None = None, **options: object) -> GitHubForge:
    """A new forge, as a new run of the job would build it (nothing cached from before)."""
    settings: dict[str, object] = {"policy": FAST, "timeout": 1, "seconds_between_writes": 0}
    settings.update(options)
    api = GitHubApi(
        api_url=fake.api_url,
        token=token or fake.token,
        repository=REPO,
        **settings,  # type: ignore[arg-type]
    )
    return GitHubForge(api)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = start_fake()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def forge(fake: FakeGitHub) -> Iterator[GitHubForge]:
    made = make_forge(fake)
    yield made
    made.close()


def write_assets(folder: Path, contents: dict[str, bytes]) -> list[AssetFile]:
    folder.mkdir(parents=True, exist_ok=True)
    assets = []
    for name, data in contents.items():
        path = folder / name
        path.write_bytes(data)
        assets.append(AssetFile(name, path))
    return assets


MODEL_ASSETS = {
    "model.skops": b"model bytes " * 100,
    "metrics.json": b'{"roc_auc": 0.81}',
    "MODEL_CARD.md": b"# churn v1.4.0\n",
}
