"""The PR report comment on the fake GitHub: found again, never hijacked, never rolled back."""

from __future__ import annotations

from mlops_ci.forge import markers
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import Outcome, ReportStamp
from tests.fakegithub import FakeGitHub
from tests.forge.conftest import HEAD, NEWER_HEAD, PR, REPO, make_forge

BOT = "github-actions[bot]"


def comment_gets(fake: FakeGitHub) -> list[str]:
    return [
        r.query.get("page", "")
        for r in fake.requests
        if r.method == "GET" and r.path.endswith(f"/issues/{PR}/comments")
    ]


def bodies(fake: FakeGitHub, author: str = BOT) -> list[str]:
    comments = sorted(fake.repo(REPO).comments(PR), key=lambda c: c.id)
    return [c.body or "" for c in comments if c.author.login == author]


def test_first_report_creates_one_comment_with_both_markers(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    result = forge.upsert_report_comment(PR, "churn-ci", "## Report", ReportStamp(HEAD, 10))
    assert result.outcome is Outcome.CREATED
    (body,) = bodies(fake)
    assert body.startswith("<!-- mlops-ci:report:churn-ci -->\n")
    assert f"<!-- mlops-ci:stamp head={HEAD} run=10 -->" in body
    assert body.endswith("## Report")
    assert result.comment_id is not None and result.url


def test_unchanged_report_sends_no_write(fake: FakeGitHub, forge: GitHubForge) -> None:
    forge.upsert_report_comment(PR, "churn-ci", "## Report", ReportStamp(HEAD, 10))
    fake.clear_requests()
    result = make_forge(fake).upsert_report_comment(
        PR, "churn-ci", "## Report", ReportStamp(HEAD, 10)
    )
    assert result.outcome is Outcome.UNCHANGED
    assert fake.writes() == []
    assert len(fake.requests) == 1


def test_newer_run_edits_the_same_comment(fake: FakeGitHub, forge: GitHubForge) -> None:
    first = forge.upsert_report_comment(PR, "churn-ci", "old", ReportStamp(HEAD, 10))
    second = forge.upsert_report_comment(PR, "churn-ci", "new", ReportStamp(NEWER_HEAD, 11))
    assert second.outcome is Outcome.UPDATED
    assert second.comment_id == first.comment_id
    (body,) = bodies(fake)
    assert body.endswith("new") and NEWER_HEAD in body


def test_older_head_sha_does_not_overwrite_a_newer_report(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    forge.upsert_report_comment(PR, "churn-ci", "newer", ReportStamp(NEWER_HEAD, 11))
    fake.clear_requests()
    late = make_forge(fake).upsert_report_comment(PR, "churn-ci", "older", ReportStamp(HEAD, 10))
    assert late.outcome is Outcome.SKIPPED_STALE
    assert fake.writes() == []
    (body,) = bodies(fake)
    assert body.endswith("newer") and NEWER_HEAD in body


def test_marker_pasted_by_another_user_is_not_hijacked(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    pasted = markers.report_body("churn-ci", ReportStamp(HEAD, 99), "I pasted your marker")
    fake.repo(REPO).add_comment(PR, pasted, author="mallory")
    result = forge.upsert_report_comment(PR, "churn-ci", "## Report", ReportStamp(HEAD, 10))
    assert result.outcome is Outcome.CREATED  # not SKIPPED_STALE by mallory's run=99
    assert bodies(fake, "mallory") == [pasted]
    assert len(bodies(fake)) == 1


def test_marker_on_the_last_of_three_pages_is_found_with_three_requests(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    repo = fake.repo(REPO)
    for index in range(249):
        repo.add_comment(PR, f"comment {index}", author="someone")
    ours = markers.report_body("churn-ci", ReportStamp(HEAD, 1), "old")
    repo.add_comment(PR, ours, author=BOT)
    fake.clear_requests()
    result = forge.upsert_report_comment(PR, "churn-ci", "new", ReportStamp(HEAD, 2))
    assert result.outcome is Outcome.UPDATED
    assert comment_gets(fake) == ["1", "2", "3"]
    assert {r.query.get("per_page") for r in fake.requests if r.method == "GET"} == {"100"}
    assert [w.method for w in fake.writes()] == ["PATCH"]
    assert len(repo.comments(PR)) == 250


def test_search_stops_at_the_first_page_holding_our_comment(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    repo = fake.repo(REPO)
    repo.add_comment(PR, markers.report_body("churn-ci", ReportStamp(HEAD, 1), "x"), author=BOT)
    for index in range(249):
        repo.add_comment(PR, f"comment {index}", author="someone")
    fake.clear_requests()
    forge.upsert_report_comment(PR, "churn-ci", "x", ReportStamp(HEAD, 1))
    assert comment_gets(fake) == ["1"]


def test_duplicate_marker_comments_collapse_to_the_oldest(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    repo = fake.repo(REPO)
    raced = [
        repo.add_comment(PR, markers.report_body("churn-ci", ReportStamp(HEAD, 5), "r"), author=BOT)
        for _ in range(3)
    ]
    result = forge.upsert_report_comment(PR, "churn-ci", "final", ReportStamp(HEAD, 6))
    assert result.outcome is Outcome.UPDATED
    assert result.deleted_duplicates == 2
    assert result.comment_id == min(c.id for c in raced)
    (body,) = bodies(fake)
    assert body.endswith("final")


def test_other_report_ids_have_their_own_comment(fake: FakeGitHub, forge: GitHubForge) -> None:
    forge.upsert_report_comment(PR, "churn-ci", "a", ReportStamp(HEAD, 1))
    forge.upsert_report_comment(PR, "churn-ci-2", "b", ReportStamp(HEAD, 1))
    assert len(bodies(fake)) == 2


def test_personal_token_finds_comments_by_its_own_user(fake: FakeGitHub) -> None:
    fake.add_user_token("ghp_octocat_personal_token", "octocat")
    first = make_forge(fake, token="ghp_octocat_personal_token")
    first.upsert_report_comment(PR, "churn-ci", "a", ReportStamp(HEAD, 1))
    rerun = make_forge(fake, token="ghp_octocat_personal_token")
    result = rerun.upsert_report_comment(PR, "churn-ci", "b", ReportStamp(HEAD, 2))
    assert result.outcome is Outcome.UPDATED
    assert len(bodies(fake, "octocat")) == 1
    assert [r.path for r in fake.requests].count("/api/v3/user") == 2  # once per forge


def test_installation_token_never_asks_who_it_is(fake: FakeGitHub, forge: GitHubForge) -> None:
    forge.upsert_report_comment(PR, "churn-ci", "a", ReportStamp(HEAD, 1))
    assert "/api/v3/user" not in [r.path for r in fake.requests]


def test_oversized_report_is_shortened_to_fit_a_comment(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    rows = "\n".join(f"| feature_{i} | {i / 1000:.3f} |" for i in range(5000))
    huge = f"## Drift\n\n| column | psi |\n|---|---|\n{rows}\n"
    assert len(huge) > 65_536
    result = forge.upsert_report_comment(PR, "churn-ci", huge, ReportStamp(HEAD, 1))
    assert result.outcome is Outcome.CREATED
    (body,) = bodies(fake)
    assert len(body) <= 65_536
    assert body.startswith("<!-- mlops-ci:report:churn-ci -->")
    assert "more rows not shown" in body


def test_unprefixed_installation_token_learns_it_is_the_bot_from_the_403(
    fake: FakeGitHub,
) -> None:
    fake.add_installation_token("v1.0123456789abcdef0123456789abcdef01234567")
    for run in (1, 2):
        forge = make_forge(fake, token="v1.0123456789abcdef0123456789abcdef01234567")
        forge.upsert_report_comment(PR, "churn-ci", f"run {run}", ReportStamp(HEAD, run))
    (body,) = bodies(fake)
    assert body.endswith("run 2")
    assert [r.status for r in fake.requests if r.path == "/api/v3/user"] == [403, 403]
