"""The root error of mlops-ci and its kinds.

Every error a user can see is one of these. Each kind knows its exit code and formats its
own message; only the entry point (``cli.main``) prints them or exits. Exit codes are a
contract (see README): 1 a gate or check failed as designed, 2 user error (config, data,
arguments, event), 3 an outside system failed after retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_EXTERNAL_ERROR = 3


class MlopsError(Exception):
    """Root of every error mlops-ci raises on purpose."""

    exit_code: int = EXIT_USER_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """The message as printed, one entry per line (a message of several lines, such as a
        failed command's last output, stays several), with the hint last."""
        first, *rest = self.message.split("\n")
        out = [f"error: {first}", *rest]
        if self.hint:
            out.append(f"hint: {self.hint}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


class UserError(MlopsError):
    """Bad input from the user: arguments, config, data, events. Exit 2."""

    exit_code = EXIT_USER_ERROR


@dataclass(frozen=True, slots=True)
class Problem:
    """One precise finding about an input file: where it is and what is wrong."""

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str | None = None

    def format(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputProblems(UserError):
    """One or more problems in one input file, each with its line, column and path."""

    def __init__(self, problems: Sequence[Problem], *, what: str = "invalid input") -> None:
        ordered = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path))
        self.problems: tuple[Problem, ...] = tuple(ordered)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{what}: {count} {noun}")

    def lines(self) -> list[str]:
        return [p.format() for p in self.problems] + [f"error: {self.message}"]


class ConfigError(InputProblems):
    """The mlops.yaml file is malformed, invalid against the schema, or inconsistent."""

    def __init__(self, problems: Sequence[Problem], *, file: str) -> None:
        super().__init__(problems, what=f"{file} is not valid")
        self.file = file


class CheckFailed(MlopsError):
    """A gate or check failed as designed (the verdict, not a crash). Exit 1."""

    exit_code = EXIT_CHECK_FAILED


class ExternalError(MlopsError):
    """An outside system (GitHub, git remote, Docker) failed after retries. Exit 3."""

    exit_code = EXIT_EXTERNAL_ERROR

    def __init__(self, message: str, *, attempts: int = 1, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.attempts = attempts

    def lines(self) -> list[str]:
        first, *rest = self.message.split("\n")
        out = [f"error: {first}", *rest]
        if self.attempts > 1:
            out.append(f"gave up after {self.attempts} attempts")
        if self.hint:
            out.append(f"hint: {self.hint}")
        return out

