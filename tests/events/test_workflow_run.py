"""``workflow_run``: the second phase of a fork's pull request report, parsed."""

from __future__ import annotations

import json

import pytest

from mlops_ci.errors import UserError
from mlops_ci.events import EventKind
from mlops_ci.webhooks import parse_event
from tests.events import payloads
from tests.events.payloads import HEAD_SHA, REPO, webhook

RUNNER = {"GITHUB_SHA": "b" * 40, "GITHUB_RUN_ID": "99", "GITHUB_REPOSITORY": REPO}


def test_a_forks_run_is_parsed_with_its_head_commit_and_no_linked_pull() -> None:
    event = parse_event("workflow_run", payloads.workflow_run(), RUNNER)

    run = event.workflow_run
    assert event.kind is EventKind.WORKFLOW_RUN
    assert run is not None
    assert (run.id, run.event, run.conclusion) == (30433642, "pull_request", "success")
    assert (run.head_repository, run.is_fork, run.pull_numbers) == ("forker/models", True, ())
    assert event.sha == HEAD_SHA  # the PR's head, not GITHUB_SHA (the default branch)
    assert event.branch == "feature/x"
    assert event.pr is None
    assert event.describe() == "workflow_run completed of run 30433642 (pull_request)"


def test_a_same_repository_run_lists_its_pull_requests() -> None:
    payload = payloads.workflow_run(head_repo=REPO, pull_numbers=(12, 13))
    run = parse_event("workflow_run", payload, RUNNER).workflow_run
    assert run is not None
    assert (run.is_fork, run.pull_numbers) == (False, (12, 13))


def test_a_deleted_fork_counts_as_a_fork() -> None:
    run = parse_event("workflow_run", payloads.workflow_run(head_repo=None), RUNNER).workflow_run
    assert run is not None and run.is_fork and run.head_repository is None


@pytest.mark.github_corpus
def test_real_sample_with_a_linked_pull_request() -> None:
    event = parse_event("workflow_run", webhook("workflow_run.completed.3.json"), RUNNER)
    assert event.workflow_run is not None
    assert event.workflow_run.pull_numbers == (2,)
    assert json.loads(json.dumps(event.to_json()))["workflow_run"]["pull_numbers"] == [2]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("head_sha", None, "workflow_run.head_sha: missing"),
        ("head_sha", "$(id)", "workflow_run.head_sha: not a commit sha: '$(id)'"),
        ("id", "12", "workflow_run.id: expected a whole number >= 0, got a string"),
        ("pull_requests", [{"number": "1"}], "workflow_run.pull_requests[0].number: expected"),
        ("pull_requests", {"number": 1}, "workflow_run.pull_requests: expected an array"),
    ],
)
def test_a_malformed_run_names_the_field(field: str, value: object, message: str) -> None:
    payload = payloads.workflow_run()
    payload["workflow_run"][field] = value
    with pytest.raises(UserError) as caught:
        parse_event("workflow_run", payload, RUNNER, source="event.json")
    assert caught.value.message.startswith(f"event.json: {message}")
