"""A real git workspace holding the churn example with v0.1.0 in production, and run helpers."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_ci.commands.monitor import MonitorRequest, monitor
from mlops_ci.forge.protocol import Forge
from mlops_ci.forge.retry import RetryPolicy
from mlops_ci.forge.select import open_forge
from mlops_ci.registry.store import RegistryStore
from tests.fakegithub import FakeGitHub

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops_ci" / "examples" / "churn"
REPOSITORY = "octo/churn"
FAST = RetryPolicy(attempts=4, total_wait=10.0).scaled(0.01)
IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Tagger",
    "GIT_COMMITTER_EMAIL": "tagger@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}
CLOCK = 1_795_000_000.0  # 2026-11-18 (a fixed "now": timestamps in the trend are stable)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def pinned_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    for key in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN",
                "INPUT_GITHUB_TOKEN", "GITHUB_EVENT_NAME", "GITHUB_RUN_ID"):
        monkeypatch.delenv(key, raising=False)


def use_production(workspace: Path, sample: str) -> None:
    """Make ``data/production.csv`` (what mlops.yaml monitors) a copy of the example's sample."""
    shutil.copyfile(EXAMPLE / "data" / sample, workspace / "data" / "production.csv")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The churn example committed in a fresh repository, v0.1.0 registered and in production."""
    root = tmp_path / "churn"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", ".mlops"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "churn example")
    store = RegistryStore(root, remote=None)
    store.register("churn", version="v0.1.0")
    store.promote("churn", "v0.1.0", "production")
    return root


@dataclass
class Run:
    code: int
    output: str

    @property
    def json(self) -> dict[str, object]:
        data = json.loads(self.output)
        assert isinstance(data, dict)
        return data


def github_environ(fake: FakeGitHub, run_id: str, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": fake.token,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_RUN_ID": run_id,
        **extra,
    }


def github_forge(workspace: Path, environ: Mapping[str, str]) -> Forge:
    """The forge a new job would open from its environment (fast retries for tests)."""
    return open_forge(workspace, environ, policy=FAST, timeout=2, seconds_between_writes=0)


def run_monitor(
    workspace: Path,
    environ: Mapping[str, str],
    *,
    forge: Forge | None = None,
    dry_run: bool = False,
    as_json: bool = True,
    model: str | None = None,
    clock: float = CLOCK,
) -> Run:
    out = io.StringIO()
    used = forge if forge is not None else github_forge(workspace, environ)
    code = monitor(
        MonitorRequest(config=workspace / "mlops.yaml", model=model, dry_run=dry_run,
                       json=as_json),
        environ=environ,
        out=out,
        forge=used,
        clock=lambda: clock,
        remote=None,
    )
    return Run(code, out.getvalue())


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.create_repo(REPOSITORY, default_branch="main")
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)
