"""Read back the monitoring issue of a model: its number, state and body (where the trend is).

The ``Forge`` protocol writes issues but has no read; the trend kept in the issue body needs
one. Until the protocol grows ``read_issue(marker)``, this module reads through the two forges
it knows, with their own lookup rules: on GitHub ``gh_issues.find_issue`` (our marker, our
author, an open issue preferred), in the outbox the issue's file. A forge that offers
``read_issue`` itself is asked directly, so the protocol can adopt it without touching callers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from mlops_ci.errors import UserError
from mlops_ci.forge.protocol import Forge


@dataclass(frozen=True, slots=True)
class ExistingIssue:
    number: int
    state: Literal["open", "closed"]
    body: str
    title: str = ""
    url: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def read_issue(forge: Forge, marker: str) -> ExistingIssue | None:
    """The issue carrying ``marker`` (open preferred), or ``None`` when there is none yet."""
    from mlops_ci.forge import markers
    from mlops_ci.forge.github_forge import GitHubForge
    from mlops_ci.forge.outbox import OutboxForge, safe_name

    own = getattr(forge, "read_issue", None)
    if callable(own):
        found = own(marker)
        return None if found is None else _from_fields(vars_of(found))
    if isinstance(forge, GitHubForge):
        from mlops_ci.forge import gh_issues

        issue = gh_issues.find_issue(forge.api, markers.issue_marker(marker))
        return None if issue is None else _from_fields(issue)
    if isinstance(forge, OutboxForge):
        markers.check_key("issue marker", marker)
        path = forge.directory / "issues" / f"{safe_name(marker)}.json"
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UserError(f"{path}: unreadable outbox issue: {error}") from None
        return _from_fields({**record, "html_url": path.as_uri()})
    raise UserError(f"{type(forge).__name__} cannot read issues back for monitoring")


def vars_of(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    names = getattr(type(value), "__slots__", ()) or getattr(value, "__dict__", {})
    return {name: getattr(value, name) for name in names}


def _from_fields(fields: dict[str, Any]) -> ExistingIssue | None:
    number = fields.get("number")
    if not isinstance(number, int):
        return None
    state: Literal["open", "closed"] = "closed" if fields.get("state") == "closed" else "open"
    body = fields.get("body")
    title = fields.get("title")
    url = fields.get("html_url") or fields.get("url")
    return ExistingIssue(
        number=number,
        state=state,
        body=body if isinstance(body, str) else "",
        title=title if isinstance(title, str) else "",
        url=url if isinstance(url, str) else None,
    )
