"""The hostile training script (tests/backends/hostile) in the action's image, run as GitHub
runs a docker action: the checkout at /github/workspace owned by the runner's uid, with
checkout's credential in .git/config, the runner's file-command folder at
/github/file_commands (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH,
GITHUB_STATE in it), the engine's socket, the token in INPUT_GITHUB_TOKEN. The image's own
mlops-train user runs the command; it must find nothing, and the model must still be trained
and registered.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from tests.backends.test_sandbox import FILE_COMMANDS, installation_token, prepare_job
from tests.commands.repos import git
from tests.docker.runner import RUNNER_UID, chown_tree
from tests.fakegithub import FakeGitHub

pytestmark = [pytest.mark.docker, pytest.mark.slow]

INSIDE = {"workspace": "/github/workspace", "workflow": "/github/workflow",
          "file_commands": "/github/file_commands", "home": "/github/home"}


def findings_of(workspace: Path) -> list[dict[str, object]]:
    path = workspace / ".mlops" / "run" / "tiny" / "findings.json"
    return json.loads(path.read_text()) if path.is_file() else []


def test_hostile_training_in_the_image_finds_no_token_and_registers_its_model(
    tmp_path: Path, fake_github: FakeGitHub, image: str
) -> None:
    token = installation_token()
    workspace, environ = prepare_job(tmp_path, fake_github, token)
    remote = tmp_path / "remote.git"
    commands = tmp_path / "work" / "_temp" / "_runner_file_commands"
    workflow = tmp_path / "work" / "_temp" / "_github_workflow"
    home = tmp_path / "home"
    inside = {
        "GITHUB_WORKSPACE": INSIDE["workspace"], "HOME": INSIDE["home"],
        "GITHUB_EVENT_PATH": f"{INSIDE['workflow']}/event.json",
        **{name: f"{INSIDE['file_commands']}/{Path(environ[name]).name}" for name in FILE_COMMANDS},
    }
    for name in ("PATH", "PYTHONPATH", "MLOPS_CI_TRAINING_USER", "GIT_CONFIG_GLOBAL"):
        environ.pop(name)
    environ.update(inside)
    env_file = commands / Path(environ["GITHUB_ENV"]).name
    env_before = env_file.read_text(encoding="utf-8")
    job = tmp_path / "work"
    for folder in (job, home):  # the checkout is the runner's; origin stands for github.com
        chown_tree(image, folder, RUNNER_UID, RUNNER_UID)
    command = ["docker", "run", "--rm", "--network", "host", "--workdir", INSIDE["workspace"],
               "--name", f"mlops-ci-sandbox-{secrets.token_hex(4)}"]
    for name in environ:
        command += ["-e", name]
    for host, path in ((workspace, INSIDE["workspace"]), (workflow, INSIDE["workflow"]),
                       (commands, INSIDE["file_commands"]), (home, INSIDE["home"]),
                       (remote, str(remote))):
        command += ["-v", f"{host}:{path}"]
    if Path("/var/run/docker.sock").exists():  # the runner mounts the engine's socket too
        command += ["-v", "/var/run/docker.sock:/var/run/docker.sock"]
    try:
        done = subprocess.run([*command, image], env={**os.environ, **environ},
                              capture_output=True, text=True, timeout=300, check=False)
    finally:
        for folder in (job, home, remote):
            chown_tree(image, folder, os.getuid(), os.getgid())
    print(json.dumps(findings_of(workspace), indent=1))
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    findings = findings_of(workspace)
    assert [f for f in findings if f["leaked"]] == [], json.dumps(findings, indent=1)
    routes = {f["route"]: f["outcome"] for f in findings}
    assert "PermissionError" in routes["/proc/1/environ"], routes["/proc/1/environ"]
    assert "PermissionError" in routes["/proc/1/mem"], routes["/proc/1/mem"]
    assert "PermissionError" in routes[f"{INSIDE['workspace']}/.git/config"]
    assert "PermissionError" in routes["list /github/file_commands"]
    assert "running as user mlops-train" in log
    assert env_file.read_text(encoding="utf-8") == env_before
    assert "tiny@v" in git(remote, "tag", "--list")
