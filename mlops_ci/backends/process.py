"""Run a user's command (an argv list, never a shell) and stream its output live.

What a caller may rely on:

- The command runs in its own process group with stdout and stderr merged; every line is
  written to ``out`` as it arrives (``PYTHONUNBUFFERED=1`` is set unless the environment
  says otherwise, so a Python script's prints are not held back in a buffer).
- Under GitHub Actions (``GITHUB_ACTIONS=true`` in ``environ``) the streamed lines are
  wrapped in ``::stop-commands::TOKEN`` ... ``::TOKEN::`` with a fresh random token, so a
  line the command prints (``::error::``, ``::add-mask::``, ``::set-output``) is shown as
  text and never obeyed by the runner.
- On timeout the whole process group gets SIGTERM, then SIGKILL after a grace period.
- Given a ``user`` (``sandbox.training_user``: mlops-ci runs as root), the command runs as that
  user with no supplementary groups, its own ``HOME``, and write access only to ``writable``
  (see ``backends/sandbox.py`` for what is hidden from it and taken back afterwards).
- The command's environment never holds the runner's file-command variables (``GITHUB_ENV``,
  ``GITHUB_OUTPUT``...): a line it writes there would set outputs or the environment of later
  steps.
- A command that is not found or not executable raises ``UserError`` (exit 2); one that exits
  non-zero raises ``CommandFailed`` (a ``UserError``) naming the command, its exit code and
  the last lines it printed; one that times out raises ``CommandTimedOut`` (a ``UserError``)
  saying what ran and for how long. Both keep ``headline`` (what happened, one line) and
  ``tail`` (the lines, apart) for a report. Where the limit is set is the caller's to say
  (``CommandTimedOut.with_hint``): a backend knows no config.
"""

from __future__ import annotations

import collections
import contextlib
import os
import secrets
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from mlops_ci.backends.sandbox import FILE_COMMAND_VARIABLES, TrainingUser, confined
from mlops_ci.errors import UserError

TAIL_LINES = 30
KILL_GRACE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """A command that ran to completion with exit code 0."""

    argv: tuple[str, ...]
    returncode: int
    duration_seconds: float
    tail: tuple[str, ...]  # the last lines it printed, for reports


def describe(argv: Sequence[str]) -> str:
    """The command as a person would type it, for messages (never executed)."""
    return shlex.join(argv)


class OutputSink:
    """Writes streamed lines to ``out``, keeps the last ones, and fences workflow commands.

    Used as a context manager: entering prints ``::stop-commands::TOKEN`` under Actions,
    leaving prints ``::TOKEN::`` so the runner obeys workflow commands again.
    """

    def __init__(self, out: TextIO, *, environ: Mapping[str, str], tail_lines: int = TAIL_LINES):
        self.out = out
        self.fenced = environ.get("GITHUB_ACTIONS") == "true"
        self.token = secrets.token_hex(16)
        self._tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        self._lock = threading.Lock()

    def __enter__(self) -> OutputSink:
        if self.fenced:
            self._write(f"::stop-commands::{self.token}")
        return self

    def __exit__(self, *_: object) -> None:
        if self.fenced:
            self._write(f"::{self.token}::")

    def line(self, text: str) -> None:
        text = text.rstrip("\r\n")
        with self._lock:
            self._tail.append(text)
            self._write(text)

    def lines(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.line(text)

    @property
    def tail(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._tail)

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


class CommandFailed(UserError):
    """``what`` ran and failed: ``detail`` says how (its exit code, the signal that killed
    it); ``tail``: its last lines. The message holds both, as ``failure_message`` words it."""

    def __init__(self, what: str, detail: str, tail: Sequence[str]) -> None:
        super().__init__(failure_message(what, detail, tail))
        self.what = what
        self.headline = f"{what} {detail}"
        self.tail = tuple(tail)


class CommandTimedOut(UserError):
    """``what`` ran past ``timeout_seconds`` and was stopped; ``tail``: its last lines."""

    def __init__(
        self, what: str, timeout_seconds: float, tail: Sequence[str], *, hint: str | None = None
    ) -> None:
        detail = f"timed out after {timeout_seconds:g}s and was stopped"
        super().__init__(failure_message(what, detail, tail), hint=hint)
        self.what = what
        self.headline = f"{what} {detail}"
        self.timeout_seconds = timeout_seconds
        self.tail = tuple(tail)

    def with_hint(self, hint: str) -> CommandTimedOut:
        """The same timeout, with ``hint`` (where its caller sets the limit, say)."""
        return CommandTimedOut(self.what, self.timeout_seconds, self.tail, hint=hint)


def failure_message(what: str, detail: str, tail: Sequence[str]) -> str:
    """``what`` failed, with ``detail`` and the indented last lines of its output."""
    if not tail:
        return f"{what} {detail} (it printed nothing)"
    shown = "\n".join(f"    {line}" for line in tail)
    return f"{what} {detail}; its last {len(tail)} line(s) of output:\n{shown}"


# Never handed to a user's command: the API token (a pull request's train.py is code its
# author controls), the runner's own credentials, and every action input (a secret may be
# passed as one). An ordinary workflow step does not see these unless they are passed in.
# Nor the runner's file-command files: writing GITHUB_ENV or GITHUB_PATH changes later steps.
SECRET_NAMES = frozenset({
    "GITHUB_TOKEN", "GH_TOKEN", "INPUT_GITHUB_TOKEN", *FILE_COMMAND_VARIABLES,
})
SECRET_PREFIXES = (
    "INPUT_",
    "ACTIONS_RUNTIME",
    "ACTIONS_ID_TOKEN",
    "ACTIONS_CACHE",
    "ACTIONS_RESULTS",
)


def child_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without the secrets a user's command must not inherit (see above)."""
    return {
        key: value
        for key, value in environ.items()
        if key not in SECRET_NAMES and not key.startswith(SECRET_PREFIXES)
    }


def run_streamed(
    argv: Sequence[str],
    *,
    cwd: Path,
    environ: Mapping[str, str],
    out: TextIO,
    timeout_seconds: float,
    what: str | None = None,
    tail_lines: int = TAIL_LINES,
    user: TrainingUser | None = None,
    writable: Sequence[Path] = (),
) -> ProcessResult:
    """Run ``argv`` in ``cwd`` with ``environ`` less its secrets (``child_environ``),
    streaming its output to ``out``; as ``user`` when given, who may write ``writable``.

    ``what`` names the command in errors (default: the command line itself). Returns only
    when the command exits 0; a timeout raises ``CommandTimedOut``, every other outcome
    ``UserError``.
    """
    args = tuple(argv)
    if not args:
        raise UserError("the command is empty")
    label = what or f"`{describe(args)}`"
    env = child_environ(environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if user is None:
        return _run(args, cwd=cwd, env=env, environ=environ, out=out, label=label,
                    timeout_seconds=timeout_seconds, tail_lines=tail_lines, user=None)
    notice: list[str] = []
    with confined(user, cwd=cwd, environ=environ, writable=writable, notice=notice) as extra:
        for line in notice:
            out.write(line + "\n")
        out.write(f"running as user {user.name} (uid {user.uid})\n")
        out.flush()
        return _run(args, cwd=cwd, env={**env, **extra}, environ=environ, out=out,
                    label=label, timeout_seconds=timeout_seconds, tail_lines=tail_lines,
                    user=user)


def _run(
    args: tuple[str, ...], *, cwd: Path, env: Mapping[str, str], environ: Mapping[str, str],
    out: TextIO, label: str, timeout_seconds: float, tail_lines: int, user: TrainingUser | None,
) -> ProcessResult:
    started = time.monotonic()
    with OutputSink(out, environ=environ, tail_lines=tail_lines) as sink:
        process = _start(args, cwd=cwd, env=env, label=label, user=user)
        assert process.stdout is not None  # noqa: S101 -- Popen(stdout=PIPE) always sets it
        reader = threading.Thread(target=_pump, args=(process.stdout, sink), daemon=True)
        reader.start()
        timed_out = False
        try:
            returncode = process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            returncode = _stop_group(process)
        finally:
            if process.poll() is None:  # interrupted (e.g. KeyboardInterrupt): leave no orphans
                _stop_group(process)
        reader.join(timeout=KILL_GRACE_SECONDS)
        if not reader.is_alive():  # a detached grandchild may still hold the pipe open
            process.stdout.close()
    duration = time.monotonic() - started
    if timed_out:
        raise CommandTimedOut(label, timeout_seconds, sink.tail)
    if returncode != 0:
        raise CommandFailed(label, _exit_detail(returncode), sink.tail)
    return ProcessResult(args, returncode, duration, sink.tail)


def _start(
    args: tuple[str, ...], *, cwd: Path, env: Mapping[str, str], label: str,
    user: TrainingUser | None,
) -> subprocess.Popen[bytes]:
    if not cwd.is_dir():
        raise UserError(f"{label} cannot start: the folder {cwd} does not exist")
    try:
        return subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=None if user is None else user.uid,
            group=None if user is None else user.gid,
            extra_groups=None if user is None else [],
        )
    except FileNotFoundError:
        raise UserError(
            f"{label} cannot start: {args[0]!r} was not found",
            hint=f"the command's first word must be a program on PATH or a path relative to {cwd}",
        ) from None
    except PermissionError:
        if user is not None:
            raise UserError(
                f"{label} cannot start as user {user.name}: {args[0]!r} (or a folder on its "
                f"path, or {cwd}) is not readable and executable by that user",
                hint="install the interpreter and the project where every user can read them "
                "(mode 755), or run mlops-ci as an unprivileged user",
            ) from None
        raise UserError(
            f"{label} cannot start: {args[0]!r} is not executable",
            hint=f"chmod +x it, or name its interpreter first: [python, {args[0]}]",
        ) from None
    except OSError as error:
        raise UserError(f"{label} cannot start: {error.strerror or error}") from None


def _pump(stream: IO[bytes], sink: OutputSink) -> None:
    for raw in iter(stream.readline, b""):
        sink.line(raw.decode("utf-8", errors="replace"))


def _stop_group(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM the process group, SIGKILL it after a grace period; the exit code."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            return process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return process.wait()


def _exit_detail(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"failed with exit code {returncode}"
