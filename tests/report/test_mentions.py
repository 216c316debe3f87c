"""A hostile ``@org/team`` in a PR-controlled string never pings anyone.

GitHub renders a body with cmark-gfm, then its mention filter looks for ``@name`` in the
rendered text. ``&#64;`` is decoded back to ``@`` by cmark-gfm before that filter runs, so
the text a test must judge is the rendered one: no ``@`` there may be followed by a name.
"""

from __future__ import annotations

import re

from mlops_ci.report.escape import escape_html, escape_markdown
from mlops_ci.report.markdown import render_report
from mlops_ci.report.model import RunInfo, build_report
from mlops_ci.report.tables import details, table
from tests.report import gfm

HOSTILE = "@org/team and @octocat, mail me@example.com"
# What GitHub's mention filter would take: an @ right before a login's first character.
LIVE_MENTION = re.compile(r"@[A-Za-z0-9]")


def rendered_text(markdown: str) -> str:
    return gfm.read(markdown).text()


def test_an_escaped_mention_renders_as_text_that_pings_no_one() -> None:
    bodies = {
        "paragraph": f"x {escape_markdown(HOSTILE)}",
        "table cell": table(["name"], [[escape_markdown(HOSTILE)]]),
        "details summary": details(HOSTILE, "body", collapse=True),
        "html block": f"<details><summary>{escape_html(HOSTILE)}</summary>\n\nx\n\n</details>",
    }
    for where, markdown in bodies.items():
        text = rendered_text(markdown)
        assert LIVE_MENTION.search(text) is None, (where, text)
        assert "org/team" in text and "octocat" in text, where  # still shown
        assert text.replace("\u200b", "").count("@org/team") == 1, where  # reads as written
        assert "mailto:" not in gfm.render(markdown), where  # no e-mail autolink either


def test_a_pull_request_title_and_branch_naming_a_team_ping_no_one() -> None:
    run = RunInfo("pull_request #7", ref="@org/team", sha="a" * 40, config_id="churn-ci",
                  title=HOSTILE)
    markdown = render_report(build_report(run, []))
    text = rendered_text(markdown)
    assert "org/team" in text
    assert LIVE_MENTION.search(text) is None, text
