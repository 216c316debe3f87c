"""The section of a report whose run an error stopped: where, why, what it printed last.

A failed training script, a refused token or a broken event still leave a report (exit 2 or
3 all the same): the stage or step that stopped the run, the error in one line, the last
lines the command printed kept as lines inside a fenced block no backtick run can close
(``escape.code_block``), the error's further lines, its hint, and what the exit code means.
Everything but our own wording is untrusted and escaped.
"""

from __future__ import annotations

import re

from mlops_ci.errors import EXIT_EXTERNAL_ERROR, EXIT_USER_ERROR
from mlops_ci.report.escape import code_block, escape_markdown
from mlops_ci.report.model import RunError
from mlops_ci.report.terminal import printable

ERROR_ICON = "⛔"
MAX_LINE = 500  # characters of one output line shown (a progress bar redrawn with \r is long)
EXIT_MEANINGS = {
    EXIT_USER_ERROR: "the input, the config or the command needs fixing",
    EXIT_EXTERNAL_ERROR: "an outside system failed after retries: rerun the job",
}
# ANSI escape sequences (colours, cursor moves) that tools print to a terminal.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def error_headline(error: RunError) -> str:
    """The report's first line for a run an error stopped (after the icon and our name)."""
    return f"stopped by an error in {escape_markdown(error.where)}"


def error_section(error: RunError) -> str:
    """The error's section: see the module docstring."""
    meaning = EXIT_MEANINGS.get(error.exit_code, "an error")
    parts = [
        f"#### {ERROR_ICON} {escape_markdown(error.where)} stopped the run "
        f"(exit {error.exit_code}: {meaning})",
        "",
        escape_markdown(error.summary),
    ]
    if error.output:
        count = len(error.output)
        parts += [
            "",
            f"Its last {count} line{'s' if count != 1 else ''} of output:",
            "",
            code_block(_lines(error.output), "text"),
        ]
    if error.details:
        parts += ["", code_block(_lines(error.details), "text")]
    if error.hint:
        parts += ["", f"Hint: {escape_markdown(error.hint)}"]
    return "\n".join(parts) + "\n"


def _lines(lines: tuple[str, ...]) -> str:
    """Each line as a reader should see it: no terminal escapes, every other unprintable
    character (bidirectional overrides included) shown as its escape, long lines cut."""
    shown = []
    for line in lines:
        text = printable(_ANSI.sub("", line.rstrip("\r\n")))
        shown.append(text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "…")
    return "\n".join(shown)
