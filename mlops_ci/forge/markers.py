"""Hidden markers: how mlops-ci recognises its own comments and issues again.

Pure string functions shared by the GitHub forge and the outbox. Markers are HTML comments
(invisible on GitHub); keys are restricted to a safe alphabet so a key can never close the
comment early or be confused with a longer key.

Ownership: a comment or issue is ours only when its body STARTS with our marker (``owns``)
and its author is the token's identity (checked by the callers); a marker quoted anywhere
else never counts. And no marker-like text survives in what we write: ``defuse`` turns every
``<!-- mlops-ci`` in the text under our markers into visible text, applied to the final text
(after any shortening, which could rebuild one from pieces), so the marker we put on top is the
only one in the body.
"""

from __future__ import annotations

import re

from mlops_ci.errors import UserError
from mlops_ci.forge.protocol import ReportStamp

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@#/+-]{0,199}")
_STAMP = re.compile(r"<!-- mlops-ci:stamp head=([0-9A-Za-z]{0,64}) run=(\d{1,20}) -->")
# The start of anything GitHub would keep as an HTML comment naming mlops-ci.
_LOOKALIKE = re.compile(r"<!--(?=\s*mlops-ci)", re.IGNORECASE)
_DEFUSED = "&lt;!--"
# Our own hidden data at the very top of a body (the monitoring issue's trend: monitoring.history
# writes it, JSON inside, no ">"): kept as written there, and only there.
_LEADING_DATA = re.compile(r"\A<!-- mlops-ci:history [^>]{0,200000}? -->")


def check_key(kind: str, key: str) -> str:
    """``key`` unchanged if it is safe inside a marker, else a ``UserError`` naming it."""
    if _KEY.fullmatch(key) is None:
        raise UserError(
            f"{kind} {key!r} cannot be used as a marker key",
            hint="use letters, digits and . _ : @ # / + - (at most 200, starting alphanumeric)",
        )
    return key


def report_marker(report_id: str) -> str:
    return f"<!-- mlops-ci:report:{check_key('report id', report_id)} -->"


def stamp_marker(stamp: ReportStamp) -> str:
    if re.fullmatch(r"[0-9A-Za-z]{0,64}", stamp.head_sha) is None or stamp.run_key < 0:
        raise UserError(f"invalid report stamp: head sha {stamp.head_sha!r}, run {stamp.run_key}")
    return f"<!-- mlops-ci:stamp head={stamp.head_sha} run={stamp.run_key} -->"


def issue_marker(marker: str) -> str:
    return f"<!-- mlops-ci:issue:{check_key('issue marker', marker)} -->"


def comment_marker(key: str) -> str:
    return f"<!-- mlops-ci:comment:{check_key('comment key', key)} -->"


def defuse(text: str) -> str:
    """``text`` with every ``<!-- mlops-ci`` shown as text, so it is never a marker.

    The replacement holds no ``<``, so it cannot join its neighbours into a new one. A data
    block of ours that opens ``text`` (the monitoring issue's trend, which its renderer puts
    first) stays as written; one anywhere else is defused like any other.
    """
    data = _LEADING_DATA.match(text)
    head = data.group(0) if data else ""
    return head + _LOOKALIKE.sub(_DEFUSED, text[len(head):])


def owns(body: str, marker: str) -> bool:
    """True when ``body`` starts with ``marker``: the only place our marker counts."""
    return body.startswith(marker)


def read_stamp(body: str) -> ReportStamp | None:
    """The stamp on the second line of a report body (where ``report_body`` puts it), or
    ``None`` for a body without one; a stamp anywhere else is not ours."""
    lines = body.replace("\r\n", "\n").split("\n", 2)
    found = _STAMP.fullmatch(lines[1].strip()) if len(lines) > 1 else None
    if found is None:
        return None
    return ReportStamp(head_sha=found.group(1), run_key=int(found.group(2)))


def is_older(new: ReportStamp, existing: ReportStamp | None) -> bool:
    """True when a report stamped ``new`` must not replace one stamped ``existing``."""
    return existing is not None and new.run_key < existing.run_key


def report_body(report_id: str, stamp: ReportStamp, body: str) -> str:
    """The full comment text: both markers on top, then the report (defused)."""
    return f"{report_marker(report_id)}\n{stamp_marker(stamp)}\n{defuse(body)}"


def marked(marker: str, body: str) -> str:
    """``body`` (defused) carrying ``marker`` on its first line."""
    return f"{marker}\n{defuse(body)}"
