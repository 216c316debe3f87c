"""The training command cannot reach the job's token nor the runner's side channels.

A real project (``tests/backends/hostile``) whose training script tries every route it knows
(its environment, ``/proc/*/environ`` and ``cmdline`` of every process, the memory of each of
its ancestors, ``.git/config`` and every file of the workspace, the runner's file-command
files, the home folders) runs through ``python -m mlops_ci action`` as root, with the token
where the runner puts it (``INPUT_GITHUB_TOKEN``), checkout's credential in ``.git/config`` and
the runner's file-command folder laid out as on the runner's disk. Training must still succeed
and register the model, and the script must find nothing.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.repos import GIT_ENV, git, push_payload
from tests.docker.runner import action_defaults
from tests.fakegithub import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).resolve().parent / "hostile"
REPOSITORY = "octo/hostile"
TRAINING_USER = "nobody"  # no mlops-train user on a test machine; the image has one
FILE_COMMANDS = {"GITHUB_ENV": "set_env", "GITHUB_OUTPUT": "set_output",
                 "GITHUB_STEP_SUMMARY": "step_summary", "GITHUB_PATH": "add_path",
                 "GITHUB_STATE": "save_state"}

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not Path("/proc/self/environ").exists(),
    reason="switching the training command's user needs root and /proc (CI runs as root)",
)


def installation_token() -> str:
    """A token shaped as the workflow's (``ghs_`` and 36 letters and digits)."""
    alphabet = string.ascii_letters + string.digits
    return "ghs_" + "".join(secrets.choice(alphabet) for _ in range(36))


def checkout_header(token: str) -> str:
    """What actions/checkout stores in .git/config unless ``persist-credentials: false``."""
    return "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()


def write_project(repo: Path) -> None:
    """The hostile project, its data, and the model file its "training" copies."""
    import numpy as np
    import pandas as pd
    import skops.io
    from sklearn.linear_model import LogisticRegression

    shutil.copytree(HOSTILE, repo, ignore=shutil.ignore_patterns("__pycache__"))
    rng = np.random.default_rng(7)
    for name, rows in (("train", 200), ("test", 100)):
        x = rng.normal(size=(rows, 2))
        frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": (x[:, 0] > 0).astype(int)})
        (repo / "data").mkdir(exist_ok=True)
        frame.to_csv(repo / "data" / f"{name}.csv", index=False)
        if name == "train":
            model = LogisticRegression().fit(frame[["x1", "x2"]], frame["y"])
    (repo / "prepared").mkdir()
    skops.io.dump(model, repo / "prepared" / "model.skops")
    (repo / ".gitignore").write_text(".mlops/\n", encoding="utf-8")


def use_system_python(repo: Path) -> None:
    """Train with an interpreter every user can run: on a test machine, pytest's own may live
    under /root (mode 700), which the training user cannot enter."""
    system = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    assert system is not None, "a python3 outside /root is needed to train as another user"
    config = repo / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[python, train.py]", f"[{system}, train.py]"),
                      encoding="utf-8")


@pytest.fixture
def runner_disk(fake_github: FakeGitHub) -> Iterator[Path]:
    """``work/hostile/hostile`` (the checkout) and ``work/_temp`` as on a runner's disk, in a
    folder every user may traverse (pytest's own tmp_path is private to root)."""
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="mlops-ci-sandbox-"))
    top.chmod(0o755)
    try:
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def prepare_job(top: Path, fake: FakeGitHub, token: str, *, system_python: bool = False
                ) -> tuple[Path, dict[str, str]]:
    """The checkout (committed, pushed to ``top/remote.git``, checkout's credential in its
    .git/config), the runner's folders and the environment the action gets."""
    fake.create_repo(REPOSITORY)
    fake.add_installation_token(token)
    work = top / "work"
    workspace = work / "hostile" / "hostile"
    workspace.parent.mkdir(parents=True)
    write_project(workspace)
    if system_python:
        use_system_python(workspace)
    git(top, "init", "-q", "--bare", "remote.git")
    git(workspace, "init", "-q", "--initial-branch=main")
    git(workspace, "add", "--all")
    git(workspace, "commit", "-q", "-m", "hostile training")
    git(workspace, "remote", "add", "origin", str(top / "remote.git"))
    git(workspace, "push", "-q", "origin", "main")
    git(workspace, "config", "--local", "http.https://github.com/.extraheader",
        checkout_header(token))
    sha = git(workspace, "rev-parse", "HEAD")
    temp = work / "_temp"
    commands, workflow = temp / "_runner_file_commands", temp / "_github_workflow"
    home = top / "home"
    for folder in (commands, workflow, home):
        folder.mkdir(parents=True)
    (workflow / "event.json").write_text(json.dumps(push_payload(sha)), encoding="utf-8")
    environ = {
        **action_defaults(),
        "INPUT_GITHUB_TOKEN": token,
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "HOME": str(home),
        **GIT_ENV,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(workflow / "event.json"),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SHA": sha,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_RUN_ID": "77",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_SERVER_URL": fake.web_url,
        "ACTIONS_RUNTIME_TOKEN": token,
        "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
        "MLOPS_CI_TRAINING_USER": TRAINING_USER,
    }
    for variable, prefix in FILE_COMMANDS.items():
        path = commands / f"{prefix}_{secrets.token_hex(8)}"
        path.touch()
        environ[variable] = str(path)
    # An earlier step of the job exported a secret through GITHUB_ENV.
    Path(environ["GITHUB_ENV"]).write_text(f"EARLIER_SECRET={token}\n", encoding="utf-8")
    return workspace, environ


@needs_root
def test_hostile_training_finds_no_token_and_still_registers_its_model(
    runner_disk: Path, fake_github: FakeGitHub
) -> None:
    token = installation_token()
    workspace, environ = prepare_job(runner_disk, fake_github, token, system_python=True)
    env_before = Path(environ["GITHUB_ENV"]).read_text(encoding="utf-8")

    done = subprocess.run([sys.executable, "-m", "mlops_ci", "action"], cwd=workspace,
                          env=environ, capture_output=True, text=True, timeout=300, check=False)

    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    findings = json.loads((workspace / ".mlops" / "run" / "tiny" / "findings.json").read_text())
    leaks = [f for f in findings if f["leaked"]]
    assert leaks == [], json.dumps(leaks, indent=1)
    routes = {f["route"]: f["outcome"] for f in findings}
    assert "denied" in routes["/proc/self/environ"] or "read" in routes["/proc/self/environ"]
    parent = next(route for route in routes if route.endswith("/mem"))
    assert "PermissionError" in routes[parent], routes[parent]
    assert "PermissionError" in routes[f"{workspace}/.git/config"]
    assert not any(route.startswith("$GITHUB_") for route in routes), routes
    assert any("_runner_file_commands" in route for route in routes), routes
    assert Path(environ["GITHUB_ENV"]).read_text(encoding="utf-8") == env_before
    assert f"running as user {TRAINING_USER}" in log
    assert "made it unreadable to the training command" in log
    assert "tiny@v" in git(runner_disk / "remote.git", "tag", "--list")
    assert token not in done.stdout.replace(f"::add-mask::{token}", "")
