"""Tokens, GET /user, authorship and the primary rate limit, as GitHub answers them."""

from __future__ import annotations

import time

import github
import pytest
import requests

from tests.fakegithub import FakeGitHub


def test_wrong_or_missing_token_is_401_bad_credentials(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    url = f"{fake_github.api_url}/repos/octo/churn"

    missing = requests.get(url, timeout=5)
    with pytest.raises(github.BadCredentialsException) as raised:
        fake_github.client(token="ghs_not_issued").get_repo("octo/churn")

    assert missing.status_code == 401
    assert missing.json()["message"] == "Bad credentials"
    assert raised.value.status == 401


def test_installation_token_cannot_read_user_and_comments_as_the_bot(
        fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn").add_pull(7, head_sha="a" * 40, head_ref="topic")
    api = fake_github.client()

    with pytest.raises(github.GithubException) as raised:
        api.get_user().login  # noqa: B018 - the request is the point
    comment = api.get_repo("octo/churn").get_issue(7).create_comment("report")

    assert raised.value.status == 403
    assert raised.value.data["message"] == "Resource not accessible by integration"
    assert (comment.user.login, comment.user.type) == ("github-actions[bot]", "Bot")


def test_personal_token_reads_its_user_and_comments_as_it(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn").add_pull(7, head_sha="a" * 40, head_ref="topic")
    fake_github.add_user_token("ghp_octocat", "octocat")
    api = fake_github.client(token="ghp_octocat")

    comment = api.get_repo("octo/churn").get_issue(7).create_comment("report")

    assert api.get_user().login == "octocat"
    assert comment.user.login == "octocat"


def test_every_response_reports_the_rate_budget(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    api = fake_github.client()

    api.get_repo("octo/churn")
    api.get_repo("octo/churn")

    remaining = [int(r.response_headers["X-RateLimit-Remaining"]) for r in fake_github.requests]
    assert remaining == [4999, 4998]
    assert {r.response_headers["X-RateLimit-Resource"] for r in fake_github.requests} == {"core"}
    assert fake_github.requests[-1].response_headers["X-RateLimit-Used"] == "2"


def test_exhausted_budget_is_403_until_the_reset(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    # The window outlasts the two requests even on a loaded machine (1 s once did not); the
    # test then sleeps until the reset anyway.
    fake_github.set_rate_limit(remaining=1, reset_in=4)
    api = fake_github.client()

    api.get_repo("octo/churn")
    with pytest.raises(github.RateLimitExceededException) as raised:
        api.get_repo("octo/churn")
    limits = api.get_rate_limit()
    headers = raised.value.headers or {}

    assert raised.value.status == 403
    assert headers["x-ratelimit-remaining"] == "0"
    assert limits.resources.core.remaining == 0
    time.sleep(max(0.0, int(headers["x-ratelimit-reset"]) - time.time()) + 0.05)
    assert api.get_repo("octo/churn").full_name == "octo/churn"
