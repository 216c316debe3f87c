"""The GitHub runner's side of a docker container action, for end-to-end tests of the image.

``ActionRunner.run`` starts the image the way the runner's ``ContainerActionHandler`` does: the
checkout at ``/github/workspace`` (the working directory), the event payload at
``/github/workflow/event.json``, the file-command folder at ``/github/file_commands``, a home at
``/github/home``, ``GITHUB_*`` describing the event and one ``INPUT_*`` per input of
``action.yml`` (its default unless the step sets it). ``--network host`` lets the container
reach the fake GitHub on 127.0.0.1. Afterwards it reads the ``GITHUB_OUTPUT`` file back the way
the runner parses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.test_actions import parse_outputs

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = "/github/workspace"
WORKFLOW = "/github/workflow"
FILE_COMMANDS = "/github/file_commands"
HOME = "/github/home"
REPOSITORY = "octo/churn"
DOCKER_SOCKET = "/var/run/docker.sock"
RUNNER_UID = 1234  # the runner's uid owns the checkout; the container runs as root
RUN_TIMEOUT_SECONDS = 240


def action_defaults() -> dict[str, str]:
    """``INPUT_<NAME>`` for every input of ``action.yml`` with its default, as the runner sets
    them (``${{ github.token }}`` is filled in by the caller)."""
    inputs: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    return {f"INPUT_{name.upper()}": str(spec["default"]) for name, spec in inputs.items()}


def chown_tree(image: str, root: Path, uid: int, gid: int) -> None:
    """Give ``root`` and everything in it to ``uid``: directly as root, else through a
    container (its root may chown what the host's user may not)."""
    if os.geteuid() == 0:
        for path in [root, *root.rglob("*")]:
            os.lchown(path, uid, gid)
        return
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "chown",
         "-v", f"{root}:/target", image, "-R", f"{uid}:{gid}", "/target"],
        capture_output=True, check=True, timeout=60,
    )


@dataclass(frozen=True, slots=True)
class ActionRun:
    """What one run of the action left: exit code, log, outputs and job summary."""

    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    seconds: float

    @property
    def log(self) -> str:
        return self.stdout + self.stderr


class ActionRunner:
    """Runs ``image`` as the action of a job on ``workspace`` (a git checkout) against ``api_url``.

    ``scratch`` holds the runner's own folders (event, file commands, home). ``mounts`` are more
    host folders, each mounted at its own absolute path: the bare ``origin``, so pushes work.
    ``environ``: more variables for every run, as a workflow's ``env:`` gives them (say, pip's
    ``PIP_*`` settings). ``docker_socket``: the engine's socket mounted at
    ``/var/run/docker.sock``, as the runner mounts its own into every container action (the
    docker deploy backend builds and starts the serving containers through it).
    """

    def __init__(self, image: str, workspace: Path, scratch: Path, *, api_url: str,
                 web_url: str, token: str, mounts: tuple[Path, ...] = (),
                 environ: Mapping[str, str] | None = None, docker_socket: bool = False) -> None:
        self.image = image
        self.docker_socket = docker_socket
        self.environ = dict(environ or {})
        self.workspace = workspace
        self.scratch = scratch
        self.api_url = api_url
        self.web_url = web_url
        self.token = token
        self.mounts = mounts
        self.runs = 0

    def run(self, event_name: str, payload: Mapping[str, object], *, sha: str, ref: str,
            inputs: Mapping[str, str] | None = None) -> ActionRun:
        self.runs += 1
        job = self.scratch / f"job-{self.runs}"
        workflow, file_commands, home = job / "workflow", job / "file_commands", job / "home"
        for folder in (workflow, file_commands, home):
            folder.mkdir(parents=True)
        (workflow / "event.json").write_text(json.dumps(payload), encoding="utf-8")
        (file_commands / "output").touch()
        (file_commands / "summary").touch()
        for folder in (self.workspace, job):
            chown_tree(self.image, folder, RUNNER_UID, RUNNER_UID)
        environ = {
            **action_defaults(),
            "INPUT_GITHUB_TOKEN": self.token,
            **{f"INPUT_{name.upper()}": value for name, value in (inputs or {}).items()},
            "HOME": HOME,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": f"{WORKFLOW}/event.json",
            "GITHUB_WORKSPACE": WORKSPACE,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_REPOSITORY_OWNER": REPOSITORY.split("/")[0],
            "GITHUB_SHA": sha,
            "GITHUB_REF": ref,
            "GITHUB_RUN_ID": str(4000 + self.runs),
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_ACTOR": "alice",
            "GITHUB_API_URL": self.api_url,
            "GITHUB_SERVER_URL": self.web_url,
            "GITHUB_OUTPUT": f"{FILE_COMMANDS}/output",
            "GITHUB_STEP_SUMMARY": f"{FILE_COMMANDS}/summary",
            "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
            **self.environ,
        }
        command = ["docker", "run", "--rm", "--network", "host", "--workdir", WORKSPACE]
        for name in environ:
            command += ["-e", name]  # values through the environment: the token stays off argv
        for host, inside in ((home, HOME), (workflow, WORKFLOW), (file_commands, FILE_COMMANDS),
                             (self.workspace, WORKSPACE)):
            command += ["-v", f"{host}:{inside}"]
        for mount in self.mounts:
            command += ["-v", f"{mount}:{mount}"]
        if self.docker_socket:  # not among mounts: those are given back to the test's uid after
            engine = os.environ.get("DOCKER_HOST", "")
            socket = engine.removeprefix("unix://") if engine.startswith("unix://") else None
            command += ["-v", f"{socket or DOCKER_SOCKET}:{DOCKER_SOCKET}"]
        started = time.monotonic()
        try:
            done = subprocess.run(
                [*command, self.image], env={**os.environ, **environ},
                capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False,
            )
            seconds = time.monotonic() - started
        finally:  # back to the test's own uid, for its git calls and tmp_path's cleanup
            for folder in (self.workspace, job, *self.mounts):
                chown_tree(self.image, folder, os.getuid(), os.getgid())
        return ActionRun(
            exit_code=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
            outputs=parse_outputs((file_commands / "output").read_text(encoding="utf-8")),
            summary=(file_commands / "summary").read_text(encoding="utf-8"),
            seconds=seconds,
        )
