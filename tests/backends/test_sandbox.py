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
import io
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

from mlops_ci.backends.process import run_streamed
from mlops_ci.backends.sandbox import USER_VARIABLE, TrainingUser, training_user
from mlops_ci.errors import UserError
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
    print(json.dumps(findings, indent=1))  # the routes and their outcomes, for -s
    leaks = [f for f in findings if f["leaked"]]
    assert leaks == [], json.dumps(leaks, indent=1)
    routes = {f["route"]: f["outcome"] for f in findings}
    parent = next(route for route in routes if route.endswith("/mem"))  # mlops-ci's
    assert "PermissionError" in routes[parent], routes[parent]
    parent_environ = parent.replace("/mem", "/environ")
    assert "PermissionError" in routes[parent_environ], routes[parent_environ]
    assert "PermissionError" in routes[f"{workspace}/.git/config"]
    assert not any(route.startswith("$GITHUB_") for route in routes), routes
    assert any("_runner_file_commands" in route for route in routes), routes
    assert Path(environ["GITHUB_ENV"]).read_text(encoding="utf-8") == env_before
    assert f"running as user {TRAINING_USER}" in log
    assert "made it unreadable to the training command" in log
    assert "tiny@v" in git(runner_disk / "remote.git", "tag", "--list")
    assert token not in done.stdout.replace(f"::add-mask::{token}", "")


# --- the sandbox's parts, with a shell command the training user can run ----------------------

@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder every user may enter (pytest's tmp_path is private to root)."""
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="mlops-ci-sandbox-"))
    top.chmod(0o755)
    try:
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def nobody() -> TrainingUser:
    user = training_user({USER_VARIABLE: TRAINING_USER})
    assert user is not None
    return user


def sh(script: str, cwd: Path, environ: dict[str, str], *, writable: tuple[Path, ...] = ()
       ) -> str:
    out = io.StringIO()
    run_streamed(["/bin/sh", "-c", script], cwd=cwd, environ={"PATH": "/usr/bin:/bin", **environ},
                 out=out, timeout_seconds=30, user=nobody(), writable=writable)
    return out.getvalue()


@needs_root
def test_a_link_left_in_the_output_folder_fails_the_run_and_is_removed(
    shared_folder: Path,
) -> None:
    output = shared_folder / "out"
    output.mkdir()
    with pytest.raises(UserError, match="symbolic links") as raised:
        sh('ln -s /etc/shadow "$OUT/model.skops"; echo data > "$OUT/params.json"',
           shared_folder, {"OUT": str(output)}, writable=(output,))
    assert raised.value.exit_code == 2
    assert not (output / "model.skops").is_symlink()
    assert all(path.stat().st_uid == 0 for path in (output, output / "params.json"))


def live_processes_of(uid: int) -> list[str]:
    """Processes of ``uid`` that are not zombies (a killed one waits for its reaper)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields and fields["Uid"].split()[0] == str(uid) and not fields["State"].strip(
        ).startswith("Z"):
            found.append(f"{entry.name}: {fields['Name'].strip()}")
    return found


@needs_root
def test_a_process_the_command_leaves_behind_is_killed(shared_folder: Path) -> None:
    import time

    user = nobody()
    assert live_processes_of(user.uid) == [], "the training user must run nothing else"
    sh("setsid sleep 300 </dev/null >/dev/null 2>&1 &", shared_folder, {})
    deadline = time.monotonic() + 5
    while live_processes_of(user.uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_processes_of(user.uid) == []


@needs_root
def test_the_command_cannot_read_or_write_the_runner_files_nor_a_credentialed_git_config(
    shared_folder: Path,
) -> None:
    commands = shared_folder / "_runner_file_commands"
    commands.mkdir()
    env_file = commands / "set_env_1"
    env_file.write_text("SECRET=1\n", encoding="utf-8")
    repo = shared_folder / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "--local", "http.https://github.com/.extraheader", "AUTHORIZATION: x")
    log = sh(f'cat "{env_file}" || echo cannot-read; echo X=1 >> "{env_file}" || echo cannot-write;'
             f' ls "{commands}" || echo cannot-list; cat .git/config || echo cannot-read-config',
             repo, {"GITHUB_ENV": str(env_file)})
    assert "SECRET" not in log and "extraheader" not in log, log
    for word in ("cannot-read", "cannot-write", "cannot-list", "cannot-read-config"):
        assert word in log, log
    assert env_file.read_text(encoding="utf-8") == "SECRET=1\n"
    assert "made it unreadable to the training command" in log


def test_a_training_user_that_does_not_exist_is_a_user_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(UserError, match="no such user") as raised:
        training_user({USER_VARIABLE: "no-such-user-mlops"})
    assert raised.value.exit_code == 2
    with pytest.raises(UserError, match="is root"):
        training_user({USER_VARIABLE: "root"})


def test_not_root_runs_the_command_as_its_own_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert training_user({USER_VARIABLE: TRAINING_USER}) is None
