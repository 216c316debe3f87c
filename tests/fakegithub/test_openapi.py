"""Every endpoint of the fake answers as GitHub's OpenAPI description says it does."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
import requests

from tests.fakegithub import FakeGitHub, RecordedRequest
from tests.fakegithub.conformance import SPEC_PATH, load_openapi, problems
from tests.github_corpus import require


@pytest.fixture(autouse=True)
def _openapi_description() -> None:
    """Without the description: a skip, or a failure under ``CI=true`` (tests/github_corpus.py)."""
    require(SPEC_PATH)


NOT_API = {("GET", "/{owner}/{repo}/releases/download/{tag}/{name}"),
           ("GET", "/_storage/releases/{asset_id}/{name}")}
"""Routes outside the REST API (browser downloads, the storage host), not in the description."""


@pytest.fixture(scope="session")
def github_openapi() -> Any:
    require(SPEC_PATH)  # set up before the autouse check above: session scope comes first
    return load_openapi()


def _raw(gh: FakeGitHub, method: str, path: str, *, token: str | None = None,
         **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"token {token or gh.token}",
               "Accept": "application/vnd.github+json"} | kwargs.pop("headers", {})
    return requests.request(method, gh.api_url + path, headers=headers, timeout=5, **kwargs)


def drive_every_endpoint(gh: FakeGitHub) -> None:
    """One pass over every route, through PyGithub where it has a method, raw HTTP otherwise,
    including the error answers a client must handle (401, 403, 404, 422)."""
    import github

    state = gh.create_repo("octo/churn")
    state.add_pull(7, head_sha="a" * 40, head_ref="topic", title="Retrain")
    state.add_pull(8, head_sha="b" * 40, head_ref="fork-topic", head_repo="forker/churn")
    for number in range(3):
        state.add_comment(7, f"earlier {number}")
    gh.add_user_token("ghp_user", "octocat")
    api = gh.client(per_page=2)
    repo = api.get_repo("octo/churn")

    api.get_rate_limit()
    gh.client(token="ghp_user").get_user().login  # noqa: B018 - the request is the point
    assert _raw(gh, "GET", "/user").status_code == 403
    assert _raw(gh, "GET", "/repos/octo/churn", token="wrong").status_code == 401
    assert _raw(gh, "GET", "/repos/octo/missing").status_code == 404
    gh.add_user_token("ghp_reader", "reader", push=False)
    assert _raw(gh, "GET", "/repos/octo/churn", token="ghp_reader").json()["permissions"][
        "push"] is False
    gh.add_installation_token("ghs_fork", read_only=True)
    refused = _raw(gh, "POST", "/repos/octo/churn/issues/7/comments", token="ghs_fork",
                   json={"body": "from a fork"})
    assert refused.status_code == 403
    assert refused.headers["X-Accepted-GitHub-Permissions"] == (
        "issues=write; pull_requests=write")

    issue = repo.create_issue("Drift on churn", body="psi 0.31", labels=["drift"])
    issue.edit(state="closed", body="psi 0.12", title="Drift on churn (fixed)", labels=["ok"])
    repo.get_issue(issue.number)
    list(repo.get_issues(state="all", labels=[repo.get_label("ok")]))
    pr_issue = repo.get_issue(7)
    comment = pr_issue.create_comment("<!-- mlops-ci:report:churn -->")
    list(pr_issue.get_comments())
    pr_issue.get_comment(comment.id).edit("<!-- mlops-ci:report:churn --> v2")
    comment.delete()
    assert _raw(gh, "POST", "/repos/octo/churn/issues/7/comments",
                json={"body": "x" * 65537}).status_code == 422
    repo.get_pull(8)
    list(repo.get_pulls(state="all"))

    release = repo.create_git_release("churn@v1.0.0", "churn v1.0.0", "metrics")
    with pytest.raises(github.GithubException):
        repo.create_git_release("churn@v1.0.0", "again", "")
    draft = repo.create_git_release("churn@v1.1.0", "churn v1.1.0", "", draft=True)
    draft.update_release("churn v1.1.0", "published", draft=False)
    repo.get_release(release.id)
    repo.get_release("churn@v1.0.0")
    with pytest.raises(github.UnknownObjectException):
        repo.get_release("churn@v9.9.9")
    list(repo.get_releases())
    repo.get_latest_release()
    asset = release.upload_asset_from_memory(_bytes(b"model"), 5, "model.skops")
    with pytest.raises(github.GithubException):
        release.upload_asset_from_memory(_bytes(b"model"), 5, "model.skops")
    list(release.get_assets())
    assert _raw(gh, "GET", f"/repos/octo/churn/releases/assets/{asset.id}").status_code == 200
    asset.update_asset("model.skops", label="the model")
    asset.delete_asset()
    draft.delete_release()

    ref = repo.create_git_ref("refs/tags/churn#production#1", "c" * 40)
    with pytest.raises(github.GithubException):
        repo.create_git_ref("refs/tags/churn#production#1", "c" * 40)
    repo.get_git_ref("tags/churn#production#1")
    list(repo.get_git_matching_refs("tags/churn"))
    ref.edit("d" * 40, force=True)
    ref.delete()
    tag = repo.create_git_tag("churn@v1.2.0", "registered", "e" * 40, "commit",
                              tagger=github.InputGitAuthor("ci", "ci@example.com"))
    repo.get_git_tag(tag.sha)

    deployment = repo.create_deployment("main", environment="staging", auto_merge=False,
                                        required_contexts=[], payload={"version": "v1.0.0"},
                                        transient_environment=False,
                                        production_environment=False, description="deploy")
    list(repo.get_deployments(environment="staging", ref="main"))
    repo.get_deployment(deployment.id)
    status = deployment.create_status("success", environment_url="http://svc",
                                      description="healthy", auto_inactive=True)
    list(deployment.get_statuses())
    deployment.get_status(status.id)
    repo.create_repository_dispatch("retrain", {"model": "churn"})
    assert _raw(gh, "POST", "/repos/octo/churn/actions/workflows/retrain.yml/dispatches",
                json={"ref": "main", "inputs": {"model": "churn"}}).status_code == 204


def _bytes(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def _conformance_problems(api: Any, gh: FakeGitHub, recorded: list[RecordedRequest]) -> list[str]:
    found: list[str] = []
    for entry in recorded:
        if (entry.method, entry.route) in NOT_API:
            continue
        if entry.response_headers.get("Content-Type") == "application/octet-stream":
            continue  # asset bytes: GitHub answers 302 to storage, the fake serves them directly
        found.extend(problems(api, gh.web_url, entry))
    return found


def test_every_route_answers_as_the_openapi_description_says(
        fake_github: FakeGitHub, github_openapi: Any) -> None:
    drive_every_endpoint(fake_github)

    recorded = fake_github.requests
    served = set(fake_github.engine.router.routes()) - NOT_API
    exercised = {(entry.method, entry.route) for entry in recorded}
    assert served - exercised == set(), "routes the scenario never called"
    assert _conformance_problems(github_openapi, fake_github, recorded) == []


def test_conformance_check_catches_a_shape_drift(
        fake_github: FakeGitHub, github_openapi: Any) -> None:
    fake_github.create_repo("octo/churn")
    fake_github.client().get_repo("octo/churn").create_git_release("v1", "v1", "")
    created = fake_github.requests[-1]
    body = json.loads(created.response_body)
    body["id"] = str(body["id"])
    del body["upload_url"]
    drifted = dataclasses.replace(created, response_body=json.dumps(body).encode())

    assert problems(github_openapi, fake_github.web_url, created) == []
    found = problems(github_openapi, fake_github.web_url, drifted)
    assert len(found) == 1
    assert "upload_url" in found[0]
    assert "at id:" in found[0]
