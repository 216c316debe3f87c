"""Deployments, their statuses, and the two kinds of dispatch."""

from __future__ import annotations

from typing import Literal

import github
import pytest
import requests

from tests.fakegithub import FakeGitHub


def test_deployment_records_what_was_asked(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    state.set_ref("refs/tags/churn@v1.4.0", "e" * 40)
    repo = fake_github.client().get_repo("octo/churn")

    created = repo.create_deployment(
        "churn@v1.4.0", environment="staging", auto_merge=False, required_contexts=[],
        payload={"model": "churn", "version": "v1.4.0"}, description="churn v1.4.0",
        transient_environment=True, production_environment=False)

    deployment = state.deployments[0]
    assert (created.sha, created.environment, created.payload) == (
        "e" * 40, "staging", {"model": "churn", "version": "v1.4.0"})
    assert (deployment.auto_merge, deployment.required_contexts) == (False, [])
    assert (deployment.transient_environment, deployment.production_environment) == (True, False)
    assert fake_github.writes()[-1].status == 201


def test_list_filters_by_environment_ref_and_sha(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    state.set_ref("refs/heads/topic", "f" * 40)
    repo = fake_github.client().get_repo("octo/churn")
    for ref, environment in (("main", "staging"), ("topic", "staging"), ("main", "production")):
        repo.create_deployment(ref, environment=environment, auto_merge=False,
                               required_contexts=[])

    staging = [(d.ref, d.environment) for d in repo.get_deployments(environment="staging")]
    by_sha = [d.ref for d in repo.get_deployments(sha="f" * 40)]

    assert staging == [("topic", "staging"), ("main", "staging")]
    assert by_sha == ["topic"]


def test_statuses_list_newest_first(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    deployment = fake_github.client().get_repo("octo/churn").create_deployment(
        "main", auto_merge=False, required_contexts=[])

    for state in ("queued", "in_progress", "failure"):
        deployment.create_status(state, description=state, target_url="http://log")

    assert [s.state for s in deployment.get_statuses()] == ["failure", "in_progress", "queued"]


def test_success_marks_earlier_deployments_to_the_environment_inactive(
        fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    first = repo.create_deployment("main", environment="staging", auto_merge=False,
                                   required_contexts=[], production_environment=False)
    first.create_status("success")
    second = repo.create_deployment("main", environment="staging", auto_merge=False,
                                    required_contexts=[], production_environment=False)

    second.create_status("success")

    assert [s.state for s in state.deployment_statuses(first.id)] == ["success", "inactive"]
    assert [s.state for s in state.deployment_statuses(second.id)] == ["success"]


@pytest.mark.parametrize("answer", [202, 409])
def test_auto_merge_answers_202_or_409_and_creates_nothing(
        fake_github: FakeGitHub, answer: Literal[202, 409]) -> None:
    state = fake_github.create_repo("octo/churn")
    state.auto_merge_answer = answer
    response = requests.post(f"{fake_github.api_url}/repos/octo/churn/deployments",
                             json={"ref": "main"}, timeout=5,
                             headers={"Authorization": f"token {fake_github.token}"})
    opted_out = fake_github.client().get_repo("octo/churn").create_deployment(
        "main", auto_merge=False, required_contexts=[])

    assert response.status_code == answer
    assert [d.id for d in state.deployments] == [opted_out.id]


def test_unknown_ref_is_422(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")

    with pytest.raises(github.GithubException) as raised:
        fake_github.client().get_repo("octo/churn").create_deployment("nope", auto_merge=False)

    assert raised.value.status == 422
    assert raised.value.data["message"] == "No ref found for: nope"


def test_repository_and_workflow_dispatches_are_recorded(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    fake_github.client().get_repo("octo/churn").create_repository_dispatch(
        "retrain", {"model": "churn"})
    workflow = requests.post(
        f"{fake_github.api_url}/repos/octo/churn/actions/workflows/train.yml/dispatches",
        json={"ref": "main", "inputs": {"model": "churn"}}, timeout=5,
        headers={"Authorization": f"Bearer {fake_github.token}"})

    assert workflow.status_code == 204
    assert [(d.kind, d.event_type, d.client_payload, d.workflow, d.inputs)
            for d in state.dispatches] == [
        ("repository_dispatch", "retrain", {"model": "churn"}, None, None),
        ("workflow_dispatch", None, None, "train.yml", {"model": "churn"})]


def test_dispatch_without_event_type_is_422(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")

    response = requests.post(f"{fake_github.api_url}/repos/octo/churn/dispatches", json={},
                             headers={"Authorization": f"token {fake_github.token}"},
                             timeout=5)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "event_type"
    assert state.dispatches == []
