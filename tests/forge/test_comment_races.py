"""Two runs of one pull request writing its report at once leave exactly one comment.

A push while the previous run is still going starts a second run; both look for the report
comment, find none, and create one. The fake answers each racer's first look-up late
(``Fault.SLOW_RESPONSE``: the read is done at once, its answer held back), so both reads see
no comment and both create one, every round: the interleaving that left two comments.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from mlops_ci.forge import markers
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import CommentResult, Outcome, ReportStamp
from tests.fakegithub import FakeGitHub, Fault
from tests.forge.conftest import HEAD, NEWER_HEAD, REPO, make_forge

BOT = "github-actions[bot]"
ROUNDS = 20
LOOKUP_STALL = 0.3  # longer than the gap between two threads released by one barrier


def ours(fake: FakeGitHub, number: int) -> list[tuple[int, str]]:
    return sorted(
        (c.id, c.body or "") for c in fake.repo(REPO).comments(number) if c.author.login == BOT
    )


def created_ids(fake: FakeGitHub, number: int) -> list[int]:
    return sorted(
        json.loads(r.response_body)["id"]
        for r in fake.requests
        if r.method == "POST" and r.path.endswith(f"/issues/{number}/comments") and r.status == 201
    )


def race(
    fake: FakeGitHub, number: int, *writers: Callable[[GitHubForge, int], CommentResult]
) -> list[CommentResult]:
    """Run each writer on issue ``number`` with its own forge (as its own job would), all
    released at once, the first look-up of each answered only after every racer has read."""
    fake.inject(
        Fault.SLOW_RESPONSE,
        method="GET",
        path_regex=rf"/issues/{number}/comments$",
        times=len(writers),
        sleep=LOOKUP_STALL,
    )
    forges = [make_forge(fake) for _ in writers]
    start = threading.Barrier(len(writers))
    results: list[CommentResult | BaseException | None] = [None] * len(writers)

    def go(index: int) -> None:
        start.wait()
        try:
            results[index] = writers[index](forges[index], number)
        except BaseException as error:  # handed to the test below
            results[index] = error

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for forge in forges:
        forge.close()
    fake.clear_faults()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [result for result in results if isinstance(result, CommentResult)]


def test_two_runs_racing_to_create_the_report_always_leave_one_comment(fake: FakeGitHub) -> None:
    for round_number in range(ROUNDS):
        number = 100 + round_number
        fake.repo(REPO).add_pull(number, head_sha=HEAD, head_ref=f"topic-{round_number}")

        results = race(
            fake,
            number,
            lambda forge, pr: forge.upsert_report_comment(
                pr, "churn-ci", "report of run 1", ReportStamp(HEAD, 1)
            ),
            lambda forge, pr: forge.upsert_report_comment(
                pr, "churn-ci", "report of run 2", ReportStamp(NEWER_HEAD, 2)
            ),
        )

        made = created_ids(fake, number)
        left = ours(fake, number)
        assert len(made) == 2, f"round {round_number}: the race did not happen"
        assert len(left) == 1, f"round {round_number}: {len(left)} report comments"
        (survivor_id, body), = left
        assert survivor_id == min(made)  # both racers converge on the oldest comment
        assert body.endswith("report of run 2")  # and the newer run's report is in it
        assert f"head={NEWER_HEAD} run=2" in body
        assert {result.comment_id for result in results} == {survivor_id}


def test_racing_keyed_comments_on_an_issue_leave_one(fake: FakeGitHub) -> None:
    for round_number in range(5):
        issue = fake.repo(REPO).add_issue(f"drift {round_number}")

        race(
            fake,
            issue.number,
            lambda forge, number: forge.comment_issue(number, "drift measured", key="run-1"),
            lambda forge, number: forge.comment_issue(number, "drift measured", key="run-1"),
        )

        assert len(created_ids(fake, issue.number)) == 2
        assert [body for _, body in ours(fake, issue.number)] == [
            markers.marked(markers.comment_marker("run-1"), "drift measured")
        ]


def test_a_duplicate_left_behind_is_removed_by_the_next_run_keeping_the_oldest(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    repo = fake.repo(REPO)
    older = repo.add_comment(
        7, markers.report_body("churn-ci", ReportStamp(HEAD, 1), "run 1"), author=BOT
    )
    repo.add_comment(7, "a reviewer's comment in between", author="alice")
    repo.add_comment(
        7, markers.report_body("churn-ci", ReportStamp(NEWER_HEAD, 2), "run 2"), author=BOT
    )

    result = forge.upsert_report_comment(7, "churn-ci", "run 3", ReportStamp(NEWER_HEAD, 3))

    assert (result.outcome, result.comment_id, result.deleted_duplicates) == (
        Outcome.UPDATED, older.id, 1)
    ((survivor_id, body),) = ours(fake, 7)
    assert survivor_id == older.id and body.endswith("run 3")
    assert len(repo.comments(7)) == 2  # alice's comment is untouched


def test_a_failed_second_look_keeps_the_comment_just_created(fake: FakeGitHub) -> None:
    """The check for a racing duplicate is best effort: when GitHub fails it after retries,
    the comment written stands as CREATED (a keyed comment gates a once-per-run dispatch)."""
    fake.inject(Fault.HTTP_502, method="GET", path_regex=r"/issues/7/comments$", nth=2,
                times=100)
    forge = make_forge(fake)

    result = forge.upsert_report_comment(7, "churn-ci", "report", ReportStamp(HEAD, 1))

    assert result.outcome is Outcome.CREATED
    ((survivor_id, body),) = ours(fake, 7)
    assert survivor_id == result.comment_id and body.endswith("report")


def test_racers_leave_an_older_bot_comment_quoting_our_marker_alone(fake: FakeGitHub) -> None:
    """The re-read after a create uses the look-up's rule: a quote is not a duplicate of ours,
    so neither racer deletes it or takes it for the survivor."""
    marker = markers.report_marker("churn-ci")
    quote_text = f"Another workflow quoting a report:\n\n> {marker}\n"
    for round_number in range(3):
        number = 200 + round_number
        fake.repo(REPO).add_pull(number, head_sha=HEAD, head_ref=f"quoted-{round_number}")
        quote = fake.repo(REPO).add_comment(number, quote_text, author=BOT)

        race(
            fake,
            number,
            lambda forge, pr: forge.upsert_report_comment(
                pr, "churn-ci", "report of run 1", ReportStamp(HEAD, 1)
            ),
            lambda forge, pr: forge.upsert_report_comment(
                pr, "churn-ci", "report of run 2", ReportStamp(NEWER_HEAD, 2)
            ),
        )

        made = created_ids(fake, number)
        left = ours(fake, number)
        assert len(made) == 2, f"round {round_number}: the race did not happen"
        assert (quote.id, quote_text) in left  # neither edited nor deleted
        reports = [(cid, body) for cid, body in left if body.startswith(marker)]
        assert [cid for cid, _ in reports] == [min(made)]
        assert reports[0][1].endswith("report of run 2")
