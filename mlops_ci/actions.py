"""The GitHub Actions runner's side channels: workflow commands, outputs, summary, masks.

Formats follow the runner's parser exactly: workflow-command data escapes ``%``, CR and LF;
property values also escape ``:`` and ``,``. Outputs use the heredoc form with a random
delimiter so a value cannot end its own block. Everything takes its environment and stream
as parameters so tests read what a runner would read.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from mlops_ci.errors import InputProblems, MlopsError, Problem, UserError

MAX_ANNOTATIONS_PER_KIND = 10
MAX_SUMMARY_BYTES = 1024 * 1024


def in_actions(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", properties: Mapping[str, object] | None = None) -> str:
    """One workflow command line, e.g. ``::error file=a.yaml,line=3,col=5::bad``."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (properties or {}).items()
        if value is not None
    )
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(message)}"


def annotation_lines(
    kind: str, problems: list[Problem], *, limit: int = MAX_ANNOTATIONS_PER_KIND
) -> list[str]:
    """At most ``limit`` annotations (GitHub shows 10 of a kind per step), the rest summed up."""
    lines = [
        command(
            kind,
            f"{p.path}: {p.message}" + (f" ({p.hint})" if p.hint else "") if p.path else p.message,
            {"file": p.file, "line": p.line, "col": p.column, "title": "mlops-ci"},
        )
        for p in problems[:limit]
    ]
    if len(problems) > limit:
        rest = len(problems) - limit
        lines.append(command(kind, f"{rest} more problem(s) not annotated; see the log"))
    return lines


def annotate_error(
    error: MlopsError, *, environ: Mapping[str, str] | None = None, out: TextIO | None = None
) -> None:
    """Under GitHub Actions, repeat an error as annotations on its file and line."""
    if not in_actions(environ):
        return
    stream = out if out is not None else sys.stdout
    if isinstance(error, InputProblems):
        lines = annotation_lines("error", list(error.problems))
    else:
        lines = [command("error", "\n".join(error.lines()), {"title": "mlops-ci"})]
    for line in lines:
        print(line, file=stream)
    stream.flush()


def add_mask(secret: str, *, out: TextIO | None = None) -> None:
    """Ask the runner to hide ``secret`` in every later log line (each line of it)."""
    stream = out if out is not None else sys.stdout
    for part in secret.splitlines() or [secret]:
        if part.strip():
            print(command("add-mask", part), file=stream)


@contextmanager
def group(
    title: str, *, environ: Mapping[str, str] | None = None, out: TextIO | None = None
) -> Iterator[None]:
    """A collapsible log group under Actions; a plain heading elsewhere."""
    stream = out if out is not None else sys.stdout
    if in_actions(environ):
        print(command("group", title), file=stream)
    else:
        print(f"== {title}", file=stream)
    try:
        yield
    finally:
        if in_actions(environ):
            print("::endgroup::", file=stream)
        stream.flush()


def write_outputs(values: Mapping[str, str], *, environ: Mapping[str, str] | None = None) -> bool:
    """Append outputs to ``$GITHUB_OUTPUT`` in the heredoc form; False when not in Actions."""
    env = os.environ if environ is None else environ
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return False
    text = ""
    for name, raw in values.items():
        # The runner reads lines with CR, LF and CRLF all ending a line: say so plainly.
        value = raw.replace("\r\n", "\n").replace("\r", "\n")
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        text += f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
    _append("GITHUB_OUTPUT", Path(target), text.encode("utf-8"))
    return True


def _append(variable: str, path: Path, data: bytes) -> None:
    """Append to a runner file; ``UserError`` naming the variable when it is not one."""
    try:
        with path.open("ab") as handle:
            handle.write(data)
    except OSError as error:
        raise UserError(
            f"{variable}={path}: cannot append to it: {error.strerror}",
            hint="the runner sets it to a file it created; unset it outside GitHub Actions",
        ) from None


def append_summary(markdown: str, *, environ: Mapping[str, str] | None = None) -> bool:
    """Append to ``$GITHUB_STEP_SUMMARY``, kept under the 1 MiB GitHub shows at all."""
    env = os.environ if environ is None else environ
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    path = Path(target)
    used = path.stat().st_size if path.exists() else 0
    room = MAX_SUMMARY_BYTES - used - 256
    data = markdown.encode("utf-8")
    if len(data) > room:
        note = b"\n\n_(summary shortened: GitHub shows at most 1 MiB)_\n"
        data = data[: max(0, room - len(note))].decode("utf-8", "ignore").encode() + note
    _append("GITHUB_STEP_SUMMARY", path, data + b"\n")
    return True
