"""A small wrapper around the ``git`` command line.

Arguments are always a list, never a shell string, so tag names, branch names and messages from
untrusted sources are never interpreted by a shell. Every call runs with ``GIT_TERMINAL_PROMPT=0``
(a missing credential fails fast instead of hanging a CI job) and ``LC_ALL=C`` (messages we
parse are in English). Failures become :class:`~mlops_ci.errors.ExternalError` (git itself or a
remote failed) or :class:`~mlops_ci.errors.UserError` (the directory is not a repository), each
naming the command that failed and git's own explanation.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping, Sequence
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


def describe(args: Sequence[str]) -> str:
    """The command as a person would type it, for error messages (never executed)."""
    return "git " + " ".join(args)


def token_auth(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment that lets git fetch and push to the GitHub server with the run's token.

    The generated workflows check out with ``persist-credentials: false``: no token in
    ``.git/config``, where a pull request's training code could read it. Git then gets the
    token (``INPUT_GITHUB_TOKEN``, else ``GITHUB_TOKEN``) as the HTTP header actions/checkout
    would have written, for ``GITHUB_SERVER_URL`` only, through git's own environment
    (``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``): it lives in the git
    process's environment, never in a file. The first entry is empty: it resets any header
    inherited from the config files (a checkout that did persist its credentials), so the
    server never gets two. Nothing is added without a token, or when the caller configured
    git through its environment already.
    """
    token = (environ.get("INPUT_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN") or "").strip()
    server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    if not token or "GIT_CONFIG_COUNT" in environ or not server.startswith(("https://", "http://")):
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    key = f"http.{server}/.extraheader"
    return {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": key,
        "GIT_CONFIG_VALUE_0": "",
        "GIT_CONFIG_KEY_1": key,
        "GIT_CONFIG_VALUE_1": f"AUTHORIZATION: basic {basic}",
    }


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
        base.update(token_auth(base))
        self.environ: dict[str, str] = base

    def run(
        self, args: Sequence[str], *, stdin: bytes | None = None, check: bool = True
    ) -> GitResult:
        """Run ``git ARGS`` in the repository; with ``check``, a non-zero exit raises."""
        argv = [self.executable, *args]
        try:
            done = subprocess.run(
                argv,
                cwd=self.repo,
                env=self.environ,
                input=stdin,
                capture_output=True,
                check=False,
            )
        except (FileNotFoundError, NotADirectoryError) as error:
            if self.repo.exists() and not self.repo.is_dir():
                raise UserError(f"{self.repo}: a file, not a directory") from error
            if not self.repo.is_dir():
                raise UserError(f"{self.repo}: no such directory") from error
            raise ExternalError(
                f"cannot run {self.executable!r}: not found on PATH",
                hint="install git (https://git-scm.com) and try again",
            ) from error
        result = GitResult(
            args=tuple(args),
            returncode=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr.decode("utf-8", errors="replace").strip(),
        )
        if check and not result.ok:
            raise self.failure(result)
        return result

    def output(self, args: Sequence[str]) -> str:
        """Run and return stdout as text without the trailing newline."""
        return self.run(args).text.rstrip("\n")

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
