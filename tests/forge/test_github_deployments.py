"""Deployments on the fake GitHub: one per environment and version, statuses without repeats."""

from __future__ import annotations

from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import DeploymentState, Outcome
from tests.fakegithub import FakeGitHub
from tests.forge.conftest import REPO, make_forge

ENV = "churn-production"


def deploy(forge: GitHubForge, version: str = "v1.4.0") -> object:
    return forge.create_deployment(ENV, "main", version, "deploy churn", {"model": "churn"})


def test_deployment_never_merges_and_waits_on_no_checks(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    result = forge.create_deployment(ENV, "main", "v1.4.0", "deploy", {"model": "churn"})
    assert result.outcome is Outcome.CREATED
    (posted,) = [w for w in fake.writes() if w.path.endswith("/deployments")]
    assert posted.body_json["auto_merge"] is False
    assert posted.body_json["required_contexts"] == []
    assert posted.body_json["payload"] == {"model": "churn", "mlops_ci_version": "v1.4.0"}


def test_rerun_finds_the_deployment_of_that_version_and_its_latest_state(
    fake: FakeGitHub, forge: GitHubForge
) -> None:
    first = forge.create_deployment(ENV, "main", "v1.4.0", "d", {})
    forge.set_deployment_status(first, "success", environment_url="http://127.0.0.1:8080")
    again = make_forge(fake).create_deployment(ENV, "main", "v1.4.0", "d", {})
    assert again.outcome is Outcome.UNCHANGED
    assert again.deployment_id == first.deployment_id
    assert again.latest_state == "success"
    assert len(fake.repo(REPO).deployments) == 1


def test_another_version_is_another_deployment(fake: FakeGitHub, forge: GitHubForge) -> None:
    forge.create_deployment(ENV, "main", "v1.4.0", "d", {})
    other = forge.create_deployment(ENV, "main", "v1.5.0", "d", {})
    assert other.outcome is Outcome.CREATED
    assert len(fake.repo(REPO).deployments) == 2


def test_status_equal_to_the_latest_is_not_sent_again(fake: FakeGitHub, forge: GitHubForge) -> None:
    deployment = forge.create_deployment(ENV, "main", "v1.4.0", "d", {})
    states: list[DeploymentState] = ["queued", "in_progress", "in_progress", "success"]
    outcomes = [forge.set_deployment_status(deployment, s).outcome for s in states]
    assert outcomes == [Outcome.CREATED, Outcome.CREATED, Outcome.UNCHANGED, Outcome.CREATED]
    assert deployment.deployment_id is not None
    recorded = fake.repo(REPO).deployment_statuses(deployment.deployment_id)
    assert [s.state for s in recorded] == ["queued", "in_progress", "success"]
    rerun = make_forge(fake)
    fake.clear_requests()
    assert rerun.set_deployment_status(deployment, "success").outcome is Outcome.UNCHANGED
    assert fake.writes() == []


def test_superseded_deployment_is_marked_inactive(fake: FakeGitHub, forge: GitHubForge) -> None:
    old = forge.create_deployment(ENV, "main", "v1.3.0", "d", {})
    forge.set_deployment_status(old, "success")
    result = forge.mark_inactive(old)
    assert result.outcome is Outcome.CREATED
    assert old.deployment_id is not None
    assert fake.repo(REPO).deployment_statuses(old.deployment_id)[-1].state == "inactive"


def test_finding_a_deployment_writes_nothing(fake: FakeGitHub, forge: GitHubForge) -> None:
    assert forge.find_deployment("churn-staging", "v1.0.0") is None
    created = forge.create_deployment("churn-staging", "main", "v1.0.0", "d", {})
    forge.set_deployment_status(created, "success")
    writes = len(fake.writes())

    found = forge.find_deployment("churn-staging", "v1.0.0")

    assert found is not None
    assert (found.deployment_id, found.latest_state) == (created.deployment_id, "success")
    assert forge.find_deployment("churn-staging", "v2.0.0") is None
    assert len(fake.writes()) == writes
    assert len(fake.repo(REPO).deployments) == 1
