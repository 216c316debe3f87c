"""A small wrapper around the ``git`` command line.

Arguments are always a list, never a shell string, so tag names, branch names and messages from
untrusted sources are never interpreted by a shell. Every call runs with ``GIT_TERMINAL_PROMPT=0``
(a missing credential fails fast instead of hanging a CI job) and ``LC_ALL=C`` (messages we
parse are in English). Failures become :class:`~mlops_ci.errors.ExternalError` (git itself or a
remote failed) or :class:`~mlops_ci.errors.UserError` (the directory is not a repository), each
naming the command that failed and git's own explanation.

Credentials: mlops-ci needs none stored in ``.git/config``. When the environment holds the
token (``INPUT_GITHUB_TOKEN``, else ``GITHUB_TOKEN``), each git command that talks to a remote
(``push``, ``fetch``, ``ls-remote``) gets it as an ``http.<server>/.extraheader`` through
``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n`` in that process's environment
only (git's own way to pass configuration without a file), after an empty value that drops a
header ``actions/checkout`` may have stored for the same server (two ``Authorization`` headers
are refused). ``<server>`` is ``GITHUB_SERVER_URL`` (default ``https://github.com``).
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.errors import ExternalError, UserError


@dataclass(frozen=True, slots=True)
class GitResult:
    """What one git command returned. ``stdout`` is raw bytes: callers decode what they parse."""

    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")


REMOTE_COMMANDS = frozenset({"push", "fetch", "ls-remote"})


def token_config(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``GIT_CONFIG_*`` variables that authenticate git to the GitHub server with the token
    in ``environ``; empty without a token. Entries already in ``GIT_CONFIG_COUNT`` are kept.

    The generated workflows check out with ``persist-credentials: false``: no token in
    ``.git/config``, where a pull request's training code could read it. Git gets the token as
    the HTTP header actions/checkout would have written, for ``GITHUB_SERVER_URL`` only, in the
    environment of the one git process that talks to the remote, never in a file. The first
    entry is empty: it resets a header inherited from the config files (a checkout that did
    persist its credentials), so the server never gets two."""
    token = environ.get("INPUT_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN") or ""
    if not token:
        return {}
    server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    key = f"http.{server}/.extraheader"
    try:
        first = int(environ.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        first = 0
    return {
        "GIT_CONFIG_COUNT": str(first + 2),
        f"GIT_CONFIG_KEY_{first}": key,
        f"GIT_CONFIG_VALUE_{first}": "",
        f"GIT_CONFIG_KEY_{first + 1}": key,
        f"GIT_CONFIG_VALUE_{first + 1}": f"AUTHORIZATION: basic {basic}",
    }


def describe(args: Sequence[str]) -> str:
    """The command as a person would type it, for error messages (never executed)."""
    return "git " + " ".join(args)


class Git:
    """Runs git in one repository. ``environ`` is the base environment (default: this process's)."""

    def __init__(
        self,
        repo: Path,
        *,
        environ: Mapping[str, str] | None = None,
        executable: str = "git",
    ) -> None:
        self.repo = repo
        self.executable = executable
        base = dict(os.environ if environ is None else environ)
        base["GIT_TERMINAL_PROMPT"] = "0"
        base["LC_ALL"] = "C"
        base.pop("GIT_DIR", None)  # a hook's GIT_DIR would point git at another repository
        self.environ: dict[str, str] = base
        self.remote_environ: dict[str, str] = {**base, **token_config(base)}

    def run(
        self, args: Sequence[str], *, stdin: bytes | None = None, check: bool = True
    ) -> GitResult:
        """Run ``git ARGS`` in the repository; with ``check``, a non-zero exit raises."""
        argv = [self.executable, *args]
        remote = bool(args) and args[0] in REMOTE_COMMANDS
        try:
            done = subprocess.run(
                argv,
                cwd=self.repo,
                env=self.remote_environ if remote else self.environ,
                input=stdin,
                capture_output=True,
                check=False,
            )
        except (FileNotFoundError, NotADirectoryError) as error:
            raise self._not_started(error) from error
        result = GitResult(
            args=tuple(args),
            returncode=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr.decode("utf-8", errors="replace").strip(),
        )
        if check and not result.ok:
            raise self.failure(result)
        return result

    def stream(self, args: Sequence[str], *, chunk_bytes: int = 1 << 16) -> Iterator[bytes]:
        """Run ``git ARGS`` and yield its stdout in chunks while it runs; a failure raises.

        For large outputs (``for-each-ref`` over 100,000 tags): the caller parses one chunk
        while git writes the next, on another core. Stderr goes to a temporary file, so a
        chatty git can never block on a full pipe while we read stdout.
        """
        argv = [self.executable, *args]
        with tempfile.TemporaryFile() as errors:
            try:
                process = subprocess.Popen(
                    argv, cwd=self.repo, env=self.environ, stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=errors,
                )
            except (FileNotFoundError, NotADirectoryError) as error:
                raise self._not_started(error) from error
            with process:
                stdout = process.stdout.fileno() if process.stdout is not None else -1
                while chunk := os.read(stdout, chunk_bytes):
                    yield chunk
            if process.returncode != 0:
                errors.seek(0)
                stderr = errors.read().decode("utf-8", errors="replace").strip()
                raise self.failure(GitResult(tuple(args), process.returncode, b"", stderr))

    def output(self, args: Sequence[str]) -> str:
        """Run and return stdout as text without the trailing newline."""
        return self.run(args).text.rstrip("\n")

    def _not_started(self, error: OSError) -> UserError | ExternalError:
        if self.repo.exists() and not self.repo.is_dir():
            return UserError(f"{self.repo}: a file, not a directory")
        if not self.repo.is_dir():
            return UserError(f"{self.repo}: no such directory")
        return ExternalError(
            f"cannot run {self.executable!r}: not found on PATH",
            hint="install git (https://git-scm.com) and try again",
        )

    def failure(self, result: GitResult) -> ExternalError | UserError:
        """The error for a failed command: a user error when the repository itself is wrong."""
        reason = result.stderr or f"exit code {result.returncode}"
        if "not a git repository" in reason:
            return UserError(
                f"{self.repo} is not a git repository",
                hint="run mlops-ci inside a git checkout, or pass --repo",
            )
        if "dubious ownership" in reason:
            return UserError(
                f"git refuses to work in {self.repo}: dubious ownership",
                hint=f"git config --global --add safe.directory {self.repo}",
            )
        return ExternalError(f"{describe(result.args)} failed: {reason}")

    def is_shallow(self) -> bool:
        """Whether the repository is a shallow clone. At the top of a checkout whose ``.git`` is
        a folder, git's own test is read without starting git: a ``shallow`` file in it."""
        git_dir = self.repo / ".git"
        if git_dir.is_dir() and "GIT_COMMON_DIR" not in self.environ:
            return (git_dir / "shallow").exists()
        return self.output(["rev-parse", "--is-shallow-repository"]) == "true"

    def resolve_commit(self, rev: str) -> str:
        """The full commit id ``rev`` names; a :class:`UserError` when it names none."""
        if rev.startswith("-"):
            raise UserError(f"invalid revision {rev!r}: must not start with '-'")
        result = self.run(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], check=False)
        if not result.ok:
            if "not a git repository" in result.stderr:
                raise self.failure(result)
            raise UserError(f"revision {rev!r} is not a commit in {self.repo}")
        return result.text.strip()

    def has_remote(self, name: str) -> bool:
        return self.run(["remote", "get-url", "--", name], check=False).ok
