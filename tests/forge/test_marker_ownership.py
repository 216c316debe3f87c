"""Which comments and issues are ours: the body STARTS with our marker and the token wrote it.

Every workflow's token is ``github-actions[bot]``, so the author alone proves little: another
workflow's bot comment may quote our marker (a report of ours pasted into a discussion, a
bot echoing a PR's text). Such a comment is neither edited nor deleted, by the look-up, the
read-back after a create or the re-read that collapses racing duplicates. And no marker can be
forged into what we write: hostile text holding marker pieces that shortening would join
(``<!-<details>x</details>- mlops-ci:...``) leaves a body whose only marker is on top.
"""

from __future__ import annotations

import re

from mlops_ci.config.model import StageName
from mlops_ci.forge import markers
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.limits import COMMENT_LIMIT, fit_comment
from mlops_ci.forge.protocol import Outcome, ReportStamp
from mlops_ci.report.markdown import render_report
from mlops_ci.report.model import RunError, RunInfo, build_report
from mlops_ci.stages.base import StageResult, Status
from tests.fakegithub import FakeGitHub
from tests.forge.conftest import HEAD, PR, REPO, make_forge
from tests.report import gfm

BOT = "github-actions[bot]"
REPORT_ID = "churn-ci"
OUR_MARKER = markers.report_marker(REPORT_ID)
# Pieces of our marker that dropping the <details> block between them would join.
PIECES = f"<!-<details>x</details>- mlops-ci:report:{REPORT_ID} -->"
LOOKALIKE = re.compile(r"<!--\s*mlops-ci", re.IGNORECASE)


def comments(fake: FakeGitHub, number: int = PR) -> dict[int, tuple[str, str]]:
    """Every comment on ``number``: id -> (author, body)."""
    return {c.id: (c.author.login, c.body or "") for c in fake.repo(REPO).comments(number)}


def quoting(marker_text: str) -> str:
    return f"Another workflow's note, quoting a report:\n\n> {marker_text}\n> all green\n"


def test_an_older_bot_comment_quoting_our_marker_is_neither_edited_nor_deleted(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    quote = fake.repo(REPO).add_comment(PR, quoting(OUR_MARKER), author=BOT)
    first = forge.upsert_report_comment(PR, REPORT_ID, "## Report", ReportStamp(HEAD, 1))
    again = make_forge(fake).upsert_report_comment(PR, REPORT_ID, "## New", ReportStamp(HEAD, 2))
    assert first.outcome is Outcome.CREATED and first.comment_id != quote.id
    assert first.deleted_duplicates == 0  # the re-read after the create left the quote alone
    assert again.outcome is Outcome.UPDATED and again.comment_id == first.comment_id
    now = comments(fake)
    assert now[quote.id] == (BOT, quoting(OUR_MARKER))
    assert first.comment_id is not None
    assert now[first.comment_id][1].startswith(OUR_MARKER + "\n")
    assert len(now) == 2


def test_a_quoted_keyed_comment_marker_is_not_ours_either(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    issue = fake.repo(REPO).add_issue("Drift in churn", "body", author=BOT)
    marker = markers.comment_marker("close-1")
    quote = fake.repo(REPO).add_comment(issue.number, quoting(marker), author=BOT)
    result = forge.comment_issue(issue.number, "closing", key="close-1")
    assert result.outcome is Outcome.CREATED and result.comment_id != quote.id
    assert comments(fake, issue.number)[quote.id] == (BOT, quoting(marker))


def test_a_comment_by_another_user_starting_with_our_marker_is_ignored(fake: FakeGitHub) -> None:
    fake.add_user_token("ghp_octocat_personal_token", "octocat")
    pasted = markers.report_body(REPORT_ID, ReportStamp(HEAD, 99), "pasted")
    by_bot = fake.repo(REPO).add_comment(PR, pasted, author=BOT)
    by_mallory = fake.repo(REPO).add_comment(PR, pasted, author="mallory")
    personal = make_forge(fake, token="ghp_octocat_personal_token")
    result = personal.upsert_report_comment(PR, REPORT_ID, "## Report", ReportStamp(HEAD, 1))
    assert result.outcome is Outcome.CREATED  # neither run=99 stamp made ours stale
    now = comments(fake)
    assert now[by_bot.id] == (BOT, pasted) and now[by_mallory.id] == ("mallory", pasted)
    assert result.comment_id is not None and now[result.comment_id][0] == "octocat"


def test_an_older_bot_issue_quoting_our_issue_marker_is_left_alone(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    marker = markers.issue_marker("drift-churn")
    quote = fake.repo(REPO).add_issue("Not ours", quoting(marker), author=BOT)
    assert forge.read_issue("drift-churn") is None
    result = forge.upsert_issue("drift-churn", "Drift in churn", "2 columns", ["drift"])
    assert result.outcome is Outcome.CREATED and result.number != quote.number
    assert quote.title == "Not ours" and quote.body == quoting(marker)
    existing = make_forge(fake).read_issue("drift-churn")
    assert existing is not None and existing.number == result.number


def hostile_report_markdown() -> str:
    """A report too long for a comment, every hostile field holding marker pieces."""
    run = RunInfo(
        event="pull_request #7",
        ref=f"topic/{PIECES}",
        sha=HEAD,
        config_id=REPORT_ID,
        title=f"Tune {PIECES}",
    )
    results = [
        StageResult(StageName.VALIDATE, "churn", Status.FAILED, f"column {PIECES} is missing"),
    ]
    output = (PIECES, f"{PIECES} {PIECES}", *("x" * 400 for _ in range(300)), PIECES)
    error = RunError("train", "churn", 1, f"command failed {PIECES}", output=output)
    return render_report(build_report(run, results, error=error))


def test_hostile_marker_pieces_leave_one_marker_on_top_after_shortening(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    markdown = hostile_report_markdown()
    assert len(markdown) > COMMENT_LIMIT and PIECES in markdown  # it must be shortened
    result = forge.upsert_report_comment(
        PR, REPORT_ID, fit_comment(markdown), ReportStamp(HEAD, 3)
    )
    assert result.outcome is Outcome.CREATED and result.comment_id is not None
    body = comments(fake)[result.comment_id][1]
    assert len(body) <= COMMENT_LIMIT
    stamp = markers.stamp_marker(ReportStamp(HEAD, 3))
    assert body.startswith(f"{OUR_MARKER}\n{stamp}\n")
    assert [m.start() for m in LOOKALIKE.finditer(body)] == [0, len(OUR_MARKER) + 1]
    assert body.count(OUR_MARKER) == 1
    rendered = gfm.read(body)
    assert rendered.comments == [OUR_MARKER[4:-3], stamp[4:-3]]  # GitHub sees only ours
    assert "mlops-ci:report:" in rendered.text()  # the pieces are shown, as text


def test_shortening_never_rebuilds_a_marker_from_pieces() -> None:
    pieces = "\n".join([PIECES] * 50 + ["y" * 200] * 50)
    for limit in (2_000, 5_000, 8_000, 12_000):
        fitted = fit_comment(pieces, limit=limit)
        assert len(fitted) <= limit
        assert LOOKALIKE.search(fitted) is None, limit
