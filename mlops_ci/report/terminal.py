r"""Make untrusted text harmless on a terminal and in a GitHub Actions job log.

The counterpart of ``report.escape`` for text a person reads as it is: no HTML entities, no
backslashes before markdown punctuation. Only what a terminal or the runner would act on is
changed, and visibly, so the reader still sees what the data holds:

- ``printable`` shows every character that is not printable (ESC and the rest of C0 and C1,
  DEL, line and paragraph separators, bidirectional overrides and other format characters,
  spaces other than the ASCII space) as its Python escape: ``\x1b``, ``\n``, ``\u202e``. A
  column name cannot recolour the screen, move the cursor, set the window title, end a line
  or a table row, or reorder what is shown around it. Backslashes are kept as they are
  (Windows paths stay readable), so ``\x1b`` typed in a name looks like the escaped ESC.
- ``defuse_workflow_commands`` is for a whole rendered text, after ``printable`` did each
  value: the runner obeys ``::command::`` at the start of a line (after spaces) and
  ``##[command]`` anywhere in it, so such a colon or bracket becomes ``\x3a`` / ``\x5b``.
  Our own wording never has either.
- ``shown`` is both for one value (a name, a path, a message from outside), inert wherever
  it lands in a line: the one rule every command's plain-text output follows.
"""

from __future__ import annotations

import re

_WORKFLOW_COMMAND = re.compile(r"^(\s*):(?=:)", flags=re.MULTILINE)
_LEGACY_WORKFLOW_COMMAND = "##["


def printable(text: str) -> str:
    """``text`` on one line, every non-printable character shown as its Python escape."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def defuse_workflow_commands(text: str) -> str:
    r"""``text`` with nothing the Actions runner would take for a workflow command."""
    text = _WORKFLOW_COMMAND.sub(lambda match: match.group(1) + r"\x3a", text)
    return text.replace(_LEGACY_WORKFLOW_COMMAND, r"##\x5b")


def shown(text: str) -> str:
    """A value from outside as a terminal shows it: one printable line, no workflow command.

    Ordinary names come back unchanged; see ``printable`` and ``defuse_workflow_commands``.
    """
    return defuse_workflow_commands(printable(text))
