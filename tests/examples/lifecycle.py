"""A user's project played through its lifecycle, each step a real ``mlops-ci`` command line.

``mlops-ci run`` runs in this process through the CLI's entry (``mlops_ci.cli.main``), with the
variables a GitHub runner sets: the event's name and payload (GitHub's own example payloads
from the shared corpus, their repository, refs and shas changed to this project's), the API
of the fake GitHub server, the runner's output and summary files. Steps run once each, in
order, when a test first asks for them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.commands.repos import GIT_ENV, git
from tests.events.payloads import webhook
from tests.examples.projects import Built, Project, build
from tests.fakegithub import FakeGitHub

PR = 2  # the number of the corpus's pull_request.synchronize.1.json
CRON = "0 6 * * *"


@dataclass(frozen=True, slots=True)
class Step:
    code: int
    out: str
    err: str
    summary: str = ""

    def __repr__(self) -> str:  # an assertion's message shows what the run said
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def _repository(full_name: str) -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {"full_name": full_name, "name": name, "owner": {"login": owner},
            "default_branch": "main"}


def pull_request_payload(full_name: str, head_sha: str, base_sha: str, branch: str,
                         title: str) -> dict[str, Any]:
    payload = webhook("pull_request.synchronize.1.json")
    repository = _repository(full_name)
    pull = payload["pull_request"]
    pull.update({"title": title, "merged": False})
    pull["head"].update({"ref": branch, "sha": head_sha, "repo": repository})
    pull["base"].update({"ref": "main", "sha": base_sha, "repo": repository})
    payload.update({"repository": repository, "after": head_sha})
    return payload


def push_payload(full_name: str, ref: str, sha: str) -> dict[str, Any]:
    payload = webhook("push.1.json")
    payload.update({"ref": ref, "after": sha, "before": "0" * 40, "created": True,
                    "deleted": False, "base_ref": None, "repository": _repository(full_name)})
    payload["head_commit"] = None
    payload["commits"] = []
    return payload


def schedule_payload(full_name: str) -> dict[str, Any]:
    return {"schedule": CRON, "repository": _repository(full_name)}


@dataclass
class Lifecycle:
    """One project, its repository on the fake GitHub, and the steps run so far."""

    built: Built
    fake: FakeGitHub
    steps: dict[str, Step] = field(default_factory=dict)
    serving_base: str | None = None  # the docker deploy's base image, set by the docker tests
    _runs: int = 0

    @property
    def project(self) -> Project:
        return self.built.project

    @property
    def repo(self) -> Path:
        return self.built.repo

    @property
    def model(self) -> str:
        return self.built.model

    @property
    def full_name(self) -> str:
        return f"users/{self.model}"

    def head(self) -> str:
        return git(self.repo, "rev-parse", "HEAD")

    # --- the lifecycle's steps, each run once --------------------------------------------

    def pull_request(self) -> Step:
        """The pull request that brings the first model, before anything is registered."""
        if "pull_request" not in self.steps:
            self.steps["pull_request"] = self.open_pull_request("first-model", "First model")
        return self.steps["pull_request"]

    def merge(self) -> Step:
        """Its merge: a push to main, registration tag and release."""
        if "merge" not in self.steps:
            head = self.head()
            self.steps["merge"] = self.run(
                "push", push_payload(self.full_name, "refs/heads/main", head), sha=head
            )
        return self.steps["merge"]

    def promote(self) -> Step:
        """``mlops-ci registry promote MODEL v0.1.0 production``: pushes the promotion tag."""
        if "promote" not in self.steps:
            assert self.merge().code == 0, str(self.merge())
            self.steps["promote"] = self.cli(
                ["registry", "promote", self.model, "v0.1.0", "production"]
            )
        return self.steps["promote"]

    def schedule(self) -> Step:
        """The monitoring schedule, once v0.1.0 is in production."""
        if "schedule" not in self.steps:
            assert self.promote().code == 0, str(self.promote())
            self.steps["schedule"] = self.run("schedule", schedule_payload(self.full_name))
        return self.steps["schedule"]

    def deploy(self, serving_base: str, environ: dict[str, str] | None = None) -> Step:
        """The promotion tag's push: the docker backend deploys v0.1.0 to production
        (``environ``: more of the runner's variables, e.g. where pip finds wheels)."""
        if "deploy" not in self.steps:
            assert self.promote().code == 0, str(self.promote())
            tag = f"{self.model}#production#1"
            sha = git(self.repo, "rev-parse", f"{tag}^{{commit}}")
            self.serving_base = serving_base
            self.steps["deploy"] = self.run(
                "push", push_payload(self.full_name, f"refs/tags/{tag}", sha), sha=sha,
                extra={"MLOPS_CI_SERVING_BASE": serving_base, **(environ or {})},
            )
        return self.steps["deploy"]

    # --- running commands ----------------------------------------------------------------

    def open_pull_request(self, branch: str, title: str) -> Step:
        head, base = self.head(), git(self.repo, "rev-parse", "origin/main")
        pulls = self.fake.repo(self.full_name)
        if not any(pull.number == PR for pull in pulls.pulls):
            pulls.add_pull(PR, head_sha=head, head_ref=branch, title=title)
        payload = pull_request_payload(self.full_name, head, base, branch, title)
        return self.run("pull_request", payload, sha=head)

    def run(self, name: str, payload: dict[str, Any], *, sha: str | None = None,
            extra: dict[str, str] | None = None) -> Step:
        """``mlops-ci run`` for this event, as the action's workflow step runs it."""
        self._runs += 1
        scratch = self.repo.parent / f"run-{self._runs}"
        scratch.mkdir()
        event = scratch / "event.json"
        event.write_text(json.dumps(payload), encoding="utf-8")
        environ = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": name,
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SHA": sha or self.head(),
            "GITHUB_REF": str(payload.get("ref", "refs/heads/main")),
            "GITHUB_REPOSITORY": self.full_name,
            "GITHUB_RUN_ID": str(1000 + self._runs),
            "GITHUB_API_URL": self.fake.api_url,
            "GITHUB_TOKEN": self.fake.token,
            "GITHUB_OUTPUT": str(scratch / "output"),
            "GITHUB_STEP_SUMMARY": str(scratch / "summary.md"),
            "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
            **(extra or {}),
        }
        step = self.cli(["run", "--config", str(self.repo / "mlops.yaml")], environ)
        summary = scratch / "summary.md"
        text = summary.read_text(encoding="utf-8") if summary.exists() else ""
        return Step(step.code, step.out, step.err, text)

    def cli(self, args: list[str], environ: dict[str, str] | None = None) -> Step:
        """``mlops-ci ARGS`` in the repository, with only ``environ`` of the runner's set."""
        from mlops_ci.cli import main

        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            for name in [n for n in os.environ if n.startswith(("GITHUB_", "INPUT_", "RUNNER_"))]:
                patch.delenv(name)
            for key, value in {**GIT_ENV, "GIT_CONFIG_GLOBAL": "/dev/null",
                               **(environ or {})}.items():
                patch.setenv(key, value)
            patch.chdir(self.repo)
            with contextlib.redirect_stdout(out):
                code = main(args, stderr=err)
        return Step(code, out.getvalue(), err.getvalue())


def start(project: Project, root: Path, fake: FakeGitHub) -> Lifecycle:
    """The project built in ``root`` (created), with its repository on ``fake``."""
    root.mkdir(parents=True)
    lifecycle = Lifecycle(build(project, root), fake)
    fake.create_repo(lifecycle.full_name)
    return lifecycle


def remove_docker_leftovers(lifecycle: Lifecycle) -> None:
    """The containers and images a deploy of this project made (by their model label)."""
    if lifecycle.serving_base is None:
        return
    from tests.deploy import docker_engine

    client = docker_engine.engine()
    label = f"mlops-ci.model={lifecycle.model}"
    docker_engine.remove_labelled(client, label)
    for image in client.images.list(filters={"label": label}):
        with contextlib.suppress(Exception):
            client.images.remove(image.id, force=True)


def released_model(lifecycle: Lifecycle) -> bytes:
    """The model file of the release ``MODEL@v0.1.0`` on the fake GitHub."""
    repository = lifecycle.fake.repo(lifecycle.full_name)
    [release] = [r for r in repository.releases if r.tag_name == f"{lifecycle.model}@v0.1.0"]
    [asset] = [a for a in repository.assets(release.id) if a.name == "model.skops"]
    return asset.data

