"""One example repository with a bare remote and a fake GitHub: the world a sweep run acts on.

A ``World`` holds the churn example (``tests/commands/repos.py``) made cheap to run: training
is a declared ``sklearn.linear_model.LogisticRegression`` (a tenth of a second, not the
example's script) and deployment is the ``command`` backend running a tiny ``deploy.py`` that
logs each call. Every run is a new job: a new forge opened from the run's environment, with
the retry policy's own delays scaled down and every wait (``Retry-After`` included) recorded in
``waits`` and slept for at most ``SLEEP_CAP`` seconds: the clock is the one thing patched.

``state()`` is everything the outside world keeps of the runs: the fake's ``snapshot()``
(comments, releases, assets, refs, deployments and statuses, issues, dispatches), the tags on
the bare remote (each peeled to its commit), and how many times ``deploy.py`` ran. Commit shas
and run-specific paths are replaced by stable names so the states of two worlds compare equal.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_ci.commands.monitor import MonitorRequest, monitor
from mlops_ci.commands.run import RunRequest, execute
from mlops_ci.forge.protocol import Forge
from mlops_ci.forge.retry import RetryPolicy
from mlops_ci.forge.select import open_forge
from mlops_ci.registry.store import RegistryStore
from tests.commands.repos import (
    EXAMPLE,
    PR,
    REPOSITORY,
    example_repo,
    git,
    pr_payload,
    push_payload,
)
from tests.fakegithub import FakeGitHub

FAST = RetryPolicy(attempts=6, total_wait=120.0).scaled(0.01)
CLIENT_TIMEOUT = 10  # seconds (whole: PyGithub asserts an int); generous on a loaded machine
SLEEP_CAP = 0.02
CLOCK = 1_795_000_000.0  # the monitor's "now": its trend timestamps are stable

_COMMAND_TRAIN = "      command: [python, train.py]\n      timeout: 10m\n"
CHEAP_TRAIN = (
    "      estimator:\n"
    "        class: sklearn.linear_model.LogisticRegression\n"
    "        params: {max_iter: 500}\n"
)
_DOCKER_DEPLOY_START = "    deploy:\n      environments:\n"
COMMAND_DEPLOY = """\
    deploy:
      environments:
        churn-production:
          stage: production
          backend: command
          command: [python, deploy.py]
          health: {timeout: 5s}
"""
DEPLOY_SCRIPT = """\
import os
with open(os.environ["DEPLOY_LOG"], "a") as log:
    log.write(os.environ["MLOPS_ACTION"] + " " + os.environ["MLOPS_MODEL_VERSION"] + "\\n")
"""


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run: its exit code, its log, and the runner files it wrote."""

    exit_code: int
    log: str
    output: str
    summary: str


@dataclass
class World:
    root: Path
    repo: Path
    fake: FakeGitHub
    secrets: Mapping[str, str] = field(default_factory=dict)  # extra environment of every run
    waits: list[float] = field(default_factory=list)
    attempt: int = 0
    client_timeout: int = CLIENT_TIMEOUT

    # runs ----------------------------------------------------------------------------------

    def environ(self, event_name: str, payload: Mapping[str, Any], run_id: int) -> dict[str, str]:
        """The environment of one job of ``run_id`` (a rerun is a new attempt of the same id)."""
        self.attempt += 1
        runner = self.root / "runner" / f"{run_id}-{self.attempt}"
        runner.mkdir(parents=True)
        event = runner / "event.json"
        event.write_text(json.dumps(payload), encoding="utf-8")
        bin_dir = str(Path(sys.executable).parent)
        return {
            "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(self.root),
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SHA": self.head(),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_RUN_ID": str(run_id),
            "GITHUB_RUN_ATTEMPT": str(self.attempt),
            "GITHUB_API_URL": self.fake.api_url,
            "GITHUB_TOKEN": self.fake.token,
            "GITHUB_OUTPUT": str(runner / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
            "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
            "DEPLOY_LOG": str(self.root / "deploy-log"),
            **self.secrets,
        }

    def forge(self, environ: Mapping[str, str]) -> Forge:
        """The forge a new job opens from its environment, with fast retries."""
        return open_forge(
            self.repo,
            environ,
            policy=FAST,
            timeout=self.client_timeout,
            seconds_between_writes=0,
            sleep=self._sleep,
        )

    def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(min(seconds, SLEEP_CAP))

    def run(self, event_name: str, payload: Mapping[str, Any], run_id: int) -> RunResult:
        """``mlops-ci run`` for this event, as the library call the CLI makes."""
        from mlops_ci.errors import MlopsError

        environ = self.environ(event_name, payload, run_id)
        out = io.StringIO()
        forge = self.forge(environ)
        try:
            code = execute(
                RunRequest(config=self.repo / "mlops.yaml"), environ=environ, out=out, forge=forge
            ).exit_code
        except MlopsError as error:
            out.write(str(error) + "\n")
            code = error.exit_code
        finally:
            close = getattr(forge, "close", None)
            if close is not None:
                close()
        return self._result(code, out, environ)

    def monitor(self, run_id: int) -> RunResult:
        """``mlops-ci monitor`` on a schedule event."""
        from mlops_ci.errors import MlopsError

        environ = self.environ("schedule", schedule_payload(), run_id)
        out = io.StringIO()
        forge = self.forge(environ)
        try:
            code = monitor(
                MonitorRequest(config=self.repo / "mlops.yaml"),
                environ=environ,
                out=out,
                forge=forge,
                clock=lambda: CLOCK,
            )
        except MlopsError as error:
            out.write(str(error) + "\n")
            code = error.exit_code
        finally:
            close = getattr(forge, "close", None)
            if close is not None:
                close()
        return self._result(code, out, environ)

    def _result(self, code: int, out: io.StringIO, environ: Mapping[str, str]) -> RunResult:
        def read(name: str) -> str:
            path = Path(environ[name])
            return path.read_text(encoding="utf-8") if path.exists() else ""

        return RunResult(code, out.getvalue(), read("GITHUB_OUTPUT"), read("GITHUB_STEP_SUMMARY"))

    # the lifecycle -------------------------------------------------------------------------

    def head(self) -> str:
        return git(self.repo, "rev-parse", "HEAD")

    def pr_run(self, run_id: int = 100) -> RunResult:
        return self.run("pull_request", pr_payload(self.head()), run_id)

    def merge_run(self, run_id: int = 200) -> RunResult:
        return self.run("push", push_payload(self.head()), run_id)

    def promote(self, version: str = "v0.1.0", stage: str = "production") -> str:
        """A person's ``mlops-ci registry promote``: the assignment tag, pushed to the remote."""
        return RegistryStore(self.repo).promote("churn", version, stage).tag

    def promotion_run(self, tag: str, run_id: int = 300) -> RunResult:
        commit = git(self.repo, "rev-parse", f"{tag}^{{commit}}")
        return self.run("push", push_payload(commit, ref=f"refs/tags/{tag}"), run_id)

    # what the outside world keeps ------------------------------------------------------------

    def remote_tags(self) -> dict[str, str]:
        """Every tag on the bare remote, peeled to the commit it names."""
        tags: dict[str, str] = {}
        listing = git(self.root, "ls-remote", "--tags", str(self.root / "remote.git"))
        for line in listing.splitlines():
            sha, ref = line.split("\t")
            name = ref.removeprefix("refs/tags/")
            if name.endswith("^{}"):
                tags[name[:-3]] = sha
            else:
                tags.setdefault(name, sha)
        return tags

    def deploy_calls(self) -> list[str]:
        log = self.root / "deploy-log"
        return log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    def state(self) -> dict[str, Any]:
        """The fake's snapshot and the remote's tags, with this world's commits and root named."""
        names = {str(self.root): "<world>", str(self.root).replace("_", "\\_"): "<world>"}
        for index, sha in enumerate(git(self.repo, "rev-list", "--all").splitlines()):
            names[sha] = f"<commit {index}>"
            names[sha[:12]] = f"<commit {index}>"

        def named(value: Any) -> Any:
            if isinstance(value, str):
                for text, name in names.items():
                    value = value.replace(text, name)
                return value
            if isinstance(value, dict):
                return {named(key): named(item) for key, item in value.items()}
            if isinstance(value, list):
                return [named(item) for item in value]
            return value

        state: dict[str, Any] = named({"github": self.fake.snapshot(), "tags": self.remote_tags()})
        return state


_TEMPLATES: dict[str, Path] = {}


def _template() -> Path:
    """The cheap example committed and pushed once per process; worlds are copies of it."""
    if "root" not in _TEMPLATES:
        root = Path(tempfile.mkdtemp(prefix="mlops-ci-world-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        repo = example_repo(root)
        config = repo / "mlops.yaml"
        text = config.read_text(encoding="utf-8")
        assert _COMMAND_TRAIN in text and _DOCKER_DEPLOY_START in text
        text = text.replace(_COMMAND_TRAIN, CHEAP_TRAIN)
        head, _, rest = text.partition(_DOCKER_DEPLOY_START)
        _, _, tail = rest.partition("    monitor:\n")
        config.write_text(head + COMMAND_DEPLOY + "    monitor:\n" + tail, encoding="utf-8")
        (repo / "deploy.py").write_text(DEPLOY_SCRIPT, encoding="utf-8")
        git(repo, "add", "--all")
        git(repo, "commit", "-q", "-m", "cheap training, command deploy")
        git(repo, "push", "-q", "origin", "main")
        _TEMPLATES["root"] = root
    return _TEMPLATES["root"]


def make_world(root: Path, fake: FakeGitHub, *, secrets: Mapping[str, str] | None = None) -> World:
    """The cheap example on main, pushed to ``root/remote.git``; the fake's repo and PR #7."""
    shutil.copytree(_template(), root, symlinks=True, dirs_exist_ok=True)
    repo = root / "churn"
    git(repo, "remote", "set-url", "origin", str(root / "remote.git"))
    fake.create_repo(REPOSITORY, default_branch="main")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=git(repo, "rev-parse", "HEAD"),
                                   head_ref="retrain", title="Retrain")
    return World(root, repo, fake, secrets=dict(secrets or {}))


def drifted_production(world: World) -> None:
    """The monitored file becomes the example's drifted production sample (it is already)."""
    shutil.copyfile(EXAMPLE / "data" / "production.csv", world.repo / "data" / "production.csv")


def schedule_payload() -> dict[str, Any]:
    return {"schedule": "0 6 * * *", "repository": {"full_name": REPOSITORY}}
