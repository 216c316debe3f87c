"""Issues, comments and pull requests."""

from __future__ import annotations

import github
import pytest
import requests

from tests.fakegithub import FakeGitHub


def test_issue_create_update_and_filtered_list(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    drift = repo.create_issue("Drift on churn", body="psi 0.31", labels=["mlops-ci", "drift"])
    repo.create_issue("Unrelated")

    drift.edit(state="closed", body="psi 0.12", labels=["mlops-ci"])
    label = repo.get_label("mlops-ci")

    assert [i.title for i in repo.get_issues(state="open")] == ["Unrelated"]
    assert [i.title for i in repo.get_issues(state="all", labels=[label])] == ["Drift on churn"]
    closed = repo.get_issue(drift.number)
    assert (closed.state, closed.body, closed.closed_at is not None) == ("closed", "psi 0.12",
                                                                        True)


def test_comment_edit_and_delete(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    state.add_pull(7, head_sha="a" * 40, head_ref="topic")
    issue = fake_github.client().get_repo("octo/churn").get_issue(7)

    comment = issue.create_comment("<!-- mlops-ci:report:churn --> v1")
    comment.edit("<!-- mlops-ci:report:churn --> v2")
    assert [c.body for c in state.comments(7)] == ["<!-- mlops-ci:report:churn --> v2"]
    comment.delete()

    assert state.comments(7) == []
    with pytest.raises(github.UnknownObjectException):
        issue.get_comment(comment.id)


def test_comment_over_65536_characters_is_422(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    state.add_pull(7, head_sha="a" * 40, head_ref="topic")
    issue = fake_github.client().get_repo("octo/churn").get_issue(7)

    issue.create_comment("x" * 65536)
    with pytest.raises(github.GithubException) as raised:
        issue.create_comment("x" * 65537)

    assert raised.value.status == 422
    assert raised.value.data["errors"][0]["field"] == "body"
    assert len(state.comments(7)) == 1


def test_comment_on_a_missing_issue_is_404(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")

    response = requests.post(f"{fake_github.api_url}/repos/octo/churn/issues/99/comments",
                             json={"body": "x"}, timeout=5,
                             headers={"Authorization": f"token {fake_github.token}"})

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_pull_request_names_head_sha_ref_and_fork(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    state.add_pull(7, head_sha="a" * 40, head_ref="topic", title="Retrain")
    state.add_pull(8, head_sha="b" * 40, head_ref="patch-1", head_repo="stranger/churn")
    repo = fake_github.client().get_repo("octo/churn")

    own, fork = repo.get_pull(7), repo.get_pull(8)

    assert (own.head.sha, own.head.ref, own.base.ref) == ("a" * 40, "topic", "main")
    assert own.head.repo.full_name == "octo/churn"
    assert fork.head.repo.full_name == "stranger/churn"
    assert [p.number for p in repo.get_pulls(state="open")] == [8, 7]
    assert repo.get_issue(7).pull_request is not None
