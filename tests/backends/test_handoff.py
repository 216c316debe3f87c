"""The secrets leave the process's environment block, yet the process still reads them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_ci.backends.process import child_environ

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghs_" + "H4nd0ff" * 5 + "x"
CHILD = """\
import ctypes, json, os, sys
from mlops_ci.backends import handoff

print(json.dumps({"stage": "first", "pid": os.getpid()}), flush=True)
if not handoff.receive():
    handoff.hand_off(sys.argv[1:], program=(__file__,))
    raise SystemExit("hand_off returned although the environment holds a token")
block = open("/proc/self/environ", "rb").read()
print(json.dumps({
    "stage": "second",
    "pid": os.getpid(),
    "argv": sys.argv[1:],
    "block_has_token": b"@TOKEN@" in block,
    "block_has_input": b"INPUT_COMMAND" in block,
    "environ_token": os.environ.get("INPUT_GITHUB_TOKEN"),
    "environ_command": os.environ.get("INPUT_COMMAND"),
    "fd_variable": os.environ.get(handoff.HANDOFF_VARIABLE),
    "dumpable": ctypes.CDLL(None).prctl(3, 0, 0, 0, 0),
    "open_fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
}), flush=True)
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="Linux /proc")


def run_child(tmp_path: Path, environ: dict[str, str]) -> list[dict[str, object]]:
    script = tmp_path / "child.py"
    script.write_text(CHILD.replace("@TOKEN@", TOKEN), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), "--some", "args"],
                          env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **environ},
                          capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_reexecuted_process_has_no_token_in_its_block_but_in_os_environ(
    tmp_path: Path,
) -> None:
    first, second, third = run_child(
        tmp_path, {"INPUT_GITHUB_TOKEN": TOKEN, "INPUT_COMMAND": "run", "GITHUB_ACTIONS": "true"}
    )
    assert first["stage"] == second["stage"] == "first"
    assert first["pid"] == second["pid"] == third["pid"]  # re-executed in place, same pid
    assert third["stage"] == "second"
    assert third["argv"] == ["--some", "args"]
    assert third["block_has_token"] is False
    assert third["block_has_input"] is False
    assert third["environ_token"] == TOKEN
    assert third["environ_command"] == "run"
    assert third["fd_variable"] is None
    assert third["dumpable"] == 0
    assert third["open_fds"] == [0, 1, 2, 3]  # 3: the listing's own; the secrets' fd is closed


def test_without_secrets_nothing_is_reexecuted(tmp_path: Path) -> None:
    script_output = tmp_path / "child.py"
    script_output.write_text(CHILD.replace("@TOKEN@", TOKEN), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script_output)],
                          env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "hand_off returned" in done.stderr


def test_the_runner_file_command_variables_never_reach_a_command() -> None:
    runner = {name: f"/github/file_commands/{name.lower()}" for name in (
        "GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_PATH", "GITHUB_STATE")}
    kept = child_environ({**runner, "GITHUB_WORKSPACE": "/github/workspace"})
    assert kept == {"GITHUB_WORKSPACE": "/github/workspace"}


@pytest.mark.parametrize("stray", ["abc", "0", "1", "99"])
def test_a_stray_descriptor_variable_is_ignored_and_the_secrets_still_move(
    tmp_path: Path, stray: str
) -> None:
    *_, last = run_child(tmp_path, {"INPUT_GITHUB_TOKEN": TOKEN, "MLOPS_CI_SECRETS_FD": stray})
    assert last["stage"] == "second"
    assert last["block_has_token"] is False
    assert last["environ_token"] == TOKEN
