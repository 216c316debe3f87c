"""Server errors, timeouts and rate limits from the fake GitHub, through PyGithub, end to end."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from mlops_ci.actions import annotate_error
from mlops_ci.errors import EXIT_EXTERNAL_ERROR, ExternalError
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import Outcome, ReportStamp
from mlops_ci.forge.retry import RetryPolicy
from tests.fakegithub import FakeGitHub, Fault
from tests.forge.conftest import HEAD, PR, REPO, make_forge

COMMENTS = rf"/issues/{PR}/comments$"
TAG = "churn@v0.1.0"
TRANSIENT = [Fault.HTTP_500, Fault.HTTP_502, Fault.HTTP_503, Fault.TIMEOUT]
RATE_LIMITS = [
    Fault.SECONDARY_RATE_LIMIT,
    Fault.RATE_LIMIT_429,
    Fault.RATE_LIMIT_429_NO_RETRY_AFTER,
]


def report(forge: GitHubForge) -> Outcome:
    return forge.upsert_report_comment(PR, "churn-ci", "## Report", ReportStamp(HEAD, 1)).outcome


def trail(fake: FakeGitHub) -> list[str]:
    return [f"{r.method} {r.fault.name if r.fault else r.status}" for r in fake.requests]


@pytest.mark.parametrize("fault", TRANSIENT + RATE_LIMITS, ids=lambda f: f.name)
def test_a_failed_read_is_retried(fault: Fault, fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.inject(fault, method="GET", path_regex=COMMENTS)
    assert report(forge) is Outcome.CREATED
    assert trail(fake) == [f"GET {fault.name}", "GET 200", "POST 201", "GET 200"]


@pytest.mark.parametrize("fault", TRANSIENT, ids=lambda f: f.name)
def test_a_failed_create_reads_back_before_posting_again(
    fault: Fault, fake: FakeGitHub, forge: GitHubForge
) -> None:
    fake.inject(fault, method="POST", path_regex=COMMENTS)
    assert report(forge) is Outcome.CREATED
    assert trail(fake) == ["GET 200", f"POST {fault.name}", "GET 200", "POST 201", "GET 200"]
    assert len(fake.repo(REPO).comments(PR)) == 1


@pytest.mark.parametrize("fault", RATE_LIMITS, ids=lambda f: f.name)
def test_a_rate_limited_create_waits_and_is_sent_again(
    fault: Fault, fake: FakeGitHub, forge: GitHubForge
) -> None:
    fake.inject(fault, method="POST", path_regex=COMMENTS)
    started = time.monotonic()
    assert report(forge) is Outcome.CREATED
    (limited,) = [r for r in fake.requests if r.fault is fault]
    headers = {k.lower(): v for k, v in limited.response_headers.items()}
    if "retry-after" in headers:
        assert time.monotonic() - started >= float(headers["retry-after"])
    else:  # waited until the budget's reset, a whole-second epoch time
        assert headers["x-ratelimit-remaining"] == "0"
        assert time.time() >= float(headers["x-ratelimit-reset"])
    assert trail(fake) == ["GET 200", f"POST {fault.name}", "POST 201", "GET 200"]
    assert len(fake.repo(REPO).comments(PR)) == 1


def test_a_rate_limited_update_waits_and_is_sent_again(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    report(forge)
    fake.inject(Fault.SECONDARY_RATE_LIMIT, method="PATCH")
    result = forge.upsert_report_comment(PR, "churn-ci", "v2", ReportStamp(HEAD, 2))
    assert result.outcome is Outcome.UPDATED
    assert [w.fault for w in fake.writes()][-2:] == [Fault.SECONDARY_RATE_LIMIT, None]


def test_exhausted_primary_rate_limit_waits_for_the_reset(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    fake.set_rate_limit(remaining=0, reset_in=1)
    started = time.monotonic()
    assert report(forge) is Outcome.CREATED
    assert time.monotonic() - started >= 0.5


def test_persistent_outage_gives_up_with_exit_3_saying_what_and_how_often(
    fake: FakeGitHub,
) -> None:
    fake.inject(Fault.HTTP_503, method="GET", path_regex=COMMENTS, times=100)
    forge = make_forge(fake, policy=RetryPolicy(attempts=4).scaled(0.001))
    with pytest.raises(ExternalError) as raised:
        report(forge)
    error = raised.value
    assert error.exit_code == EXIT_EXTERNAL_ERROR
    assert error.attempts == 4
    assert f"GET /repos/{REPO}/issues/{PR}/comments" in error.message
    assert "last status 503" in error.message
    assert "gave up after 4 attempts" in str(error)
    assert len(fake.requests) == 4


def test_rate_limit_longer_than_the_cap_gives_up_without_waiting(fake: FakeGitHub) -> None:
    fake.inject(Fault.SECONDARY_RATE_LIMIT, method="GET", times=100)
    forge = make_forge(fake, policy=RetryPolicy(total_wait=0.5))
    started = time.monotonic()
    with pytest.raises(ExternalError) as raised:
        report(forge)
    assert time.monotonic() - started < 0.5
    assert "cap of 0s" in raised.value.message or "cap of 1s" in raised.value.message
    assert "last status 403" in raised.value.message


def test_unexpected_client_error_is_an_external_error_not_a_traceback(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    with pytest.raises(ExternalError) as raised:
        forge.create_deployment("staging", "no-such-branch", "v1", "d", {})
    assert raised.value.exit_code == EXIT_EXTERNAL_ERROR
    assert "POST /repos/octo/churn/deployments" in raised.value.message


def fetch_in_outage(fake: FakeGitHub, tmp_path: Path) -> ExternalError:
    fake.inject(Fault.HTTP_503, method="GET", path_regex="/releases/tags/", times=100)
    forge = make_forge(fake, policy=RetryPolicy(attempts=2).scaled(0.001))
    with pytest.raises(ExternalError) as raised:
        forge.fetch_release_asset(TAG, "model.skops", tmp_path / "model.skops")
    return raised.value


def test_an_error_names_the_tag_as_written_not_url_encoded(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    error = fetch_in_outage(fake, tmp_path)
    assert f"GET /repos/{REPO}/releases/tags/{TAG}: server error" in error.message
    assert "%40" not in str(error)
    assert "%25" not in str(error)
    assert [r.path for r in fake.requests] == [f"/api/v3/repos/{REPO}/releases/tags/{TAG}"] * 2


def test_an_error_annotation_names_the_tag_as_written(fake: FakeGitHub, tmp_path: Path) -> None:
    error = fetch_in_outage(fake, tmp_path)
    out = io.StringIO()
    annotate_error(error, environ={"GITHUB_ACTIONS": "true"}, out=out)
    (annotation,) = out.getvalue().splitlines()
    assert f"/releases/tags/{TAG}:" in annotation
    assert "%25" not in annotation
