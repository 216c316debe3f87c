"""Every injected fault is observable by a real client, and the log shows what happened."""

from __future__ import annotations

import threading
import time

import github
import pytest
import requests

from tests.fakegithub import FakeGitHub, Fault

ISSUES = "/repos/octo/churn/issues"


def _post_issue(gh: FakeGitHub, title: str, timeout: float = 5) -> requests.Response:
    return requests.post(f"{gh.api_url}{ISSUES}", json={"title": title}, timeout=timeout,
                         headers={"Authorization": f"token {gh.token}"})


@pytest.mark.parametrize(("fault", "status"), [
    (Fault.HTTP_500, 500), (Fault.HTTP_502, 502), (Fault.HTTP_503, 503),
])
def test_server_errors_answer_their_status_and_write_nothing(
        fake_github: FakeGitHub, fault: Fault, status: int) -> None:
    state = fake_github.create_repo("octo/churn")
    fake_github.inject(fault, method="POST", path_regex=r"/issues$")

    faulted = _post_issue(fake_github, "first")
    retried = _post_issue(fake_github, "second")

    assert (faulted.status_code, retried.status_code) == (status, 201)
    assert [issue.title for issue in state.issues] == ["second"]
    assert "X-RateLimit-Remaining" in faulted.headers


def test_timeout_stalls_past_the_client_timeout_and_writes_nothing(
        fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    fake_github.inject(Fault.TIMEOUT, method="POST", path_regex=r"/issues$", sleep=0.6)

    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        _post_issue(fake_github, "stalled", timeout=0.2)
    time.sleep(0.6)

    assert time.monotonic() - started >= 0.6
    assert state.issues == []
    assert fake_github.requests[-1].status is None
    assert fake_github.requests[-1].fault is Fault.TIMEOUT


def test_lost_response_performs_the_write_then_drops_the_connection(
        fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    fake_github.inject(Fault.LOST_RESPONSE, method="POST", path_regex=r"/releases$")
    repo = fake_github.client().get_repo("octo/churn")

    with pytest.raises(requests.ConnectionError):
        repo.create_git_release("churn@v1.0.0", "churn v1.0.0", "")

    assert [release.tag_name for release in state.releases] == ["churn@v1.0.0"]
    assert (fake_github.requests[-1].status, fake_github.requests[-1].fault) == (
        201, Fault.LOST_RESPONSE)


def test_slow_response_performs_the_request_at_once_and_answers_late(
        fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    fake_github.inject(Fault.SLOW_RESPONSE, method="POST", path_regex=r"/issues$", sleep=0.5)
    seen: list[int] = []

    started = time.monotonic()
    answering = threading.Thread(target=lambda: seen.append(_post_issue(fake_github, "x")
                                                            .status_code))
    answering.start()
    time.sleep(0.25)
    created_before_the_answer = [issue.title for issue in state.issues]
    answering.join()

    assert created_before_the_answer == ["x"]
    assert seen == [201]
    assert time.monotonic() - started >= 0.5
    assert fake_github.requests[-1].fault is Fault.SLOW_RESPONSE


def test_secondary_rate_limit_is_403_with_retry_after(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    fake_github.inject(Fault.SECONDARY_RATE_LIMIT, method="GET")

    with pytest.raises(github.RateLimitExceededException) as raised:
        fake_github.client().get_repo("octo/churn")

    assert raised.value.status == 403
    assert (raised.value.headers or {})["retry-after"] == "1"
    assert raised.value.data["message"].startswith("You have exceeded a secondary rate limit")


def test_rate_limit_429_carries_retry_after(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    fake_github.inject(Fault.RATE_LIMIT_429)

    with pytest.raises(github.GithubException) as raised:
        fake_github.client().get_repo("octo/churn")

    assert raised.value.status == 429
    assert (raised.value.headers or {})["retry-after"] == "1"


def test_rate_limit_429_without_retry_after_points_at_the_reset(
        fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    fake_github.inject(Fault.RATE_LIMIT_429_NO_RETRY_AFTER)

    with pytest.raises(github.GithubException) as raised:
        fake_github.client().get_repo("octo/churn")

    headers = raised.value.headers or {}
    assert raised.value.status == 429
    assert "retry-after" not in headers
    assert headers["x-ratelimit-remaining"] == "0"
    assert 0 <= int(headers["x-ratelimit-reset"]) - time.time() <= 2


def test_nth_and_times_pick_consecutive_matching_requests(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    fake_github.inject(Fault.HTTP_502, method="POST", path_regex=r"/issues$", nth=2, times=2)

    statuses = [_post_issue(fake_github, f"issue {n}").status_code for n in range(4)]
    requests.get(f"{fake_github.api_url}{ISSUES}", timeout=5,
                 headers={"Authorization": f"token {fake_github.token}"})

    assert statuses == [201, 502, 502, 201]
    assert [r.fault for r in fake_github.writes()] == [None, Fault.HTTP_502, Fault.HTTP_502,
                                                       None]


def test_a_rule_counts_only_the_requests_it_matches(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    fake_github.inject(Fault.HTTP_500, method="POST", path_regex=r"/issues$", nth=2)
    api = fake_github.client().get_repo("octo/churn")

    api.get_issues().totalCount  # noqa: B018 - a GET that must not count
    first = _post_issue(fake_github, "one")
    second = _post_issue(fake_github, "two")

    assert (first.status_code, second.status_code) == (201, 500)


def test_request_log_counts_reads_and_writes(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    state.add_pull(7, head_sha="a" * 40, head_ref="topic")
    repo = fake_github.client().get_repo("octo/churn")

    repo.get_issue(7).create_comment("report")
    repo.get_pull(7)

    assert [(r.method, r.path) for r in fake_github.requests] == [
        ("GET", "/api/v3/repos/octo/churn"),
        ("GET", "/api/v3/repos/octo/churn/issues/7"),
        ("POST", "/api/v3/repos/octo/churn/issues/7/comments"),
        ("GET", "/api/v3/repos/octo/churn/pulls/7"),
    ]
    assert [(r.method, r.status, r.body_json) for r in fake_github.writes()] == [
        ("POST", 201, {"body": "report"})]
