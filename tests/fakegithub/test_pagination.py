"""Lists page like GitHub's: per_page (max 100), page, and the Link header."""

from __future__ import annotations

import json
import re

import requests

from tests.fakegithub import FakeGitHub


def _links(header: str) -> dict[str, str]:
    """rel -> page number, in the header's order."""
    return {rel: page for page, rel in re.findall(r'<[^>]*[?&]page=(\d+)[^>]*>; rel="(\w+)"',
                                                  header)}


def test_250_comments_come_in_three_pages_of_100(fake_github: FakeGitHub) -> None:
    repo = fake_github.create_repo("octo/churn")
    repo.add_pull(7, head_sha="a" * 40, head_ref="topic")
    for number in range(250):
        repo.add_comment(7, f"comment {number}")

    comments = list(fake_github.client(per_page=100).get_repo("octo/churn").get_issue(7)
                    .get_comments())

    assert [c.body for c in comments] == [f"comment {n}" for n in range(250)]
    pages = [r for r in fake_github.requests if r.path.endswith("/issues/7/comments")]
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
    assert [len(json.loads(r.response_body)) for r in pages] == [100, 100, 50]


def test_link_header_names_prev_next_last_first_in_githubs_order(
        fake_github: FakeGitHub) -> None:
    repo = fake_github.create_repo("octo/churn")
    for number in range(250):
        repo.add_comment(7, f"comment {number}")
    url = f"{fake_github.api_url}/repos/octo/churn/issues/7/comments"
    auth = {"Authorization": f"Bearer {fake_github.token}"}

    def link(page: int) -> str:
        response = requests.get(url, params={"per_page": 100, "page": page}, headers=auth,
                                timeout=5)
        return response.headers.get("Link", "")

    first, middle, last = link(1), link(2), link(3)

    assert list(_links(first).items()) == [("next", "2"), ("last", "3")]
    assert list(_links(middle).items()) == [("prev", "1"), ("next", "3"), ("last", "3"),
                                            ("first", "1")]
    assert list(_links(last).items()) == [("prev", "2"), ("first", "1")]
    assert first.startswith(f"<{url}?per_page=100&page=2>")


def test_per_page_is_capped_at_100_and_defaults_to_30(fake_github: FakeGitHub) -> None:
    repo = fake_github.create_repo("octo/churn")
    for number in range(150):
        repo.add_comment(7, f"comment {number}")
    url = f"{fake_github.api_url}/repos/octo/churn/issues/7/comments"
    auth = {"Authorization": f"token {fake_github.token}"}

    capped = requests.get(url, params={"per_page": 500}, headers=auth, timeout=5)
    default = requests.get(url, headers=auth, timeout=5)

    assert len(capped.json()) == 100
    assert len(default.json()) == 30
    assert _links(default.headers["Link"])["last"] == "5"


def test_a_single_page_has_no_link_header(fake_github: FakeGitHub) -> None:
    repo = fake_github.create_repo("octo/churn")
    repo.add_comment(7, "only")

    response = requests.get(f"{fake_github.api_url}/repos/octo/churn/issues/7/comments",
                            headers={"Authorization": f"token {fake_github.token}"}, timeout=5)

    assert response.status_code == 200
    assert "Link" not in response.headers
