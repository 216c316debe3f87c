"""Running a user's command: live streaming, workflow-command fencing, clear failures."""

from __future__ import annotations

import io
import os
import re
import sys
import time
from pathlib import Path

import pytest

from mlops_ci.backends.process import CommandTimedOut, run_streamed
from mlops_ci.errors import EXIT_USER_ERROR, UserError

PLAIN_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
ACTIONS_ENV = {**PLAIN_ENV, "GITHUB_ACTIONS": "true"}


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _run(code: str, tmp_path: Path, env: dict[str, str] | None = None, timeout: float = 20):
    out = io.StringIO()
    result = run_streamed(
        _python(code), cwd=tmp_path, environ=env or PLAIN_ENV, out=out, timeout_seconds=timeout
    )
    return result, out.getvalue().splitlines()


def test_output_lines_reach_the_sink_and_the_tail(tmp_path: Path) -> None:
    result, lines = _run("import sys\nprint('one'); print('two', file=sys.stderr)", tmp_path)
    assert lines == ["one", "two"]
    assert result.returncode == 0
    assert result.tail == ("one", "two")


class _Trigger(io.StringIO):
    """A sink that creates a file when it sees a line: proves lines arrive while running."""

    def __init__(self, flag: Path) -> None:
        super().__init__()
        self.flag = flag

    def write(self, text: str) -> int:
        if "ready" in text:
            self.flag.touch()
        return super().write(text)


def test_output_is_streamed_while_the_command_still_runs(tmp_path: Path) -> None:
    flag = tmp_path / "seen"
    code = (
        "import pathlib, time\n"
        "print('ready')\n"  # no flush: PYTHONUNBUFFERED must make it arrive at once
        f"flag = pathlib.Path({str(flag)!r})\n"
        "deadline = time.time() + 10\n"
        "while not flag.exists():\n"
        "    assert time.time() < deadline, 'the line was not streamed live'\n"
        "    time.sleep(0.01)\n"
        "print('done')\n"
    )
    out = _Trigger(flag)
    run_streamed(_python(code), cwd=tmp_path, environ=PLAIN_ENV, out=out, timeout_seconds=20)
    assert out.getvalue().splitlines() == ["ready", "done"]


def test_under_actions_output_is_fenced_with_stop_commands(tmp_path: Path) -> None:
    _, lines = _run(
        "print('training'); print('::error::x'); print('::add-mask::abc')", tmp_path, ACTIONS_ENV
    )
    start = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0])
    assert start, lines
    token = start.group(1)
    assert lines[-1] == f"::{token}::"
    assert lines[1:-1] == ["training", "::error::x", "::add-mask::abc"]


def test_each_run_gets_a_fresh_token(tmp_path: Path) -> None:
    _, first = _run("print('a')", tmp_path, ACTIONS_ENV)
    _, second = _run("print('a')", tmp_path, ACTIONS_ENV)
    assert first[0] != second[0]


def test_a_command_printing_the_end_token_of_another_run_cannot_resume_commands(
    tmp_path: Path,
) -> None:
    _, first = _run("print('a')", tmp_path, ACTIONS_ENV)
    guessed = first[-1]
    _, lines = _run(f"print({guessed!r}); print('::error::x')", tmp_path, ACTIONS_ENV)
    assert lines[-1] != guessed
    assert lines[-1] == f"::{lines[0].removeprefix('::stop-commands::')}::"


def test_outside_actions_output_is_not_fenced(tmp_path: Path) -> None:
    _, lines = _run("print('::error::x')", tmp_path, {**PLAIN_ENV, "GITHUB_ACTIONS": "false"})
    assert lines == ["::error::x"]


def test_a_failing_command_is_a_user_error_with_its_exit_code_and_last_lines(
    tmp_path: Path,
) -> None:
    code = "import sys\nfor i in range(100): print(f'line {i}')\nsys.exit(3)"
    with pytest.raises(UserError) as caught:
        _run(code, tmp_path)
    message = caught.value.message
    assert caught.value.exit_code == EXIT_USER_ERROR
    assert "failed with exit code 3" in message
    assert "line 99" in message
    assert "line 50" not in message  # only the tail


def test_a_command_that_is_not_found_names_it(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        run_streamed(
            ["no-such-program-xyz", "--flag"],
            cwd=tmp_path,
            environ=PLAIN_ENV,
            out=io.StringIO(),
            timeout_seconds=5,
        )
    assert "'no-such-program-xyz' was not found" in caught.value.message


def test_a_script_that_is_not_executable_says_how_to_run_it(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("print('hi')\n")
    with pytest.raises(UserError) as caught:
        run_streamed(
            ["./train.py"], cwd=tmp_path, environ=PLAIN_ENV, out=io.StringIO(), timeout_seconds=5
        )
    assert "not executable" in caught.value.message
    assert "[python, ./train.py]" in (caught.value.hint or "")


def test_a_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('sleeping', flush=True)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    with pytest.raises(UserError) as caught:
        _run(code, tmp_path, timeout=1)
    assert time.monotonic() - started < 10
    assert "timed out after 1s" in caught.value.message
    assert "sleeping" in caught.value.message
    assert isinstance(caught.value, CommandTimedOut)
    assert caught.value.timeout_seconds == 1
    assert caught.value.hint is None  # a backend knows no config; the caller names the limit
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the grandchild survived the timeout"


def test_a_command_killed_by_a_signal_says_so(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        _run("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", tmp_path)
    assert "killed by SIGKILL" in caught.value.message


def test_the_environment_is_exactly_the_one_given(tmp_path: Path) -> None:
    env = {**PLAIN_ENV, "MLOPS_SEED": "7"}
    _, lines = _run(
        "import os; print(os.environ.get('MLOPS_SEED'), os.environ.get('HOME'))", tmp_path, env
    )
    assert lines == ["7 None"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_the_token_and_action_inputs_never_reach_the_users_command(tmp_path: Path) -> None:
    environ = {
        **os.environ,
        "GITHUB_TOKEN": "ghs_secret_one",
        "INPUT_GITHUB_TOKEN": "ghs_secret_two",
        "INPUT_API_KEY": "secret-three",
        "ACTIONS_RUNTIME_TOKEN": "secret-four",
        "GITHUB_REPOSITORY": "octo/churn",
    }
    out = io.StringIO()
    script = (
        "import os; print(sorted(k for k in os.environ"
        " if 'TOKEN' in k or k.startswith(('INPUT_', 'GITHUB_'))))"
    )
    run_streamed(
        [sys.executable, "-c", script], cwd=tmp_path, environ=environ, out=out, timeout_seconds=30
    )
    assert "['GITHUB_REPOSITORY']" in out.getvalue()
    assert "secret" not in out.getvalue()
