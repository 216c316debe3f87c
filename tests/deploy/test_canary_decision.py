"""``deploy.canary.decide_canary`` on a real registry (git tags in a tmp repository) and the
roll-outs the stage's manifests record: what a canary step promotes, or why it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.deploy.canary import decide_canary
from mlops_ci.deploy.inferenceservice import Rollout
from mlops_ci.errors import UserError
from mlops_ci.registry.state import RegistryState
from mlops_ci.registry.store import RegistryStore
from tests.deploy.workspace import git, one_commit_repo


@pytest.fixture
def store(tmp_path: Path) -> RegistryStore:
    """churn v1.0.0 then v1.1.0 promoted to production (v1.1.0 holds it)."""
    repo = one_commit_repo(tmp_path / "repo")
    store = RegistryStore(repo, remote=None)
    for version in ("v1.0.0", "v1.1.0"):
        git(repo, "commit", "-q", "--allow-empty", "-m", version)
        store.register("churn", version=version)
        store.promote("churn", version, "production")
    return store


@pytest.fixture
def state(store: RegistryStore) -> RegistryState:
    return store.read()


def test_rollback_refuses_environments_with_different_stable_versions(
    state: RegistryState,
) -> None:
    rollouts = [("eu", Rollout("v1.1.0", "v1.0.0", 10, "churn#production#4")),
                ("us", Rollout("v1.1.0", "v0.9.0", 10, "churn#production#4"))]

    with pytest.raises(UserError) as caught:
        decide_canary("rollback", state, "churn", "v1.1.0", "production", rollouts)

    assert caught.value.message == (
        "the environments of production (eu, us) keep different stable versions "
        "(v0.9.0, v1.0.0): mlops-ci cannot tell which to roll back to")


def test_rollback_of_a_version_serving_fully_is_refused(state: RegistryState) -> None:
    with pytest.raises(UserError) as caught:
        decide_canary("rollback", state, "churn", "v1.1.0", "production",
                      [("eu", Rollout("v1.1.0", promotion="churn#production#4"))])

    assert caught.value.message == ("churn v1.1.0 takes all of production's traffic: there is "
                                    "no canary of it to roll back")


def test_complete_of_a_canary_whose_tag_is_current_writes_a_new_tag(
    state: RegistryState,
) -> None:
    current = state.latest_assignment("churn", "v1.1.0", "production")
    assert current is not None
    rollouts = [("eu", Rollout("v1.1.0", "v1.0.0", 10, current.name))]

    decision = decide_canary("complete", state, "churn", "v1.1.0", "production", rollouts)

    assert (decision.version, decision.reassign) == ("v1.1.0", True)


@pytest.mark.parametrize(
    "rollouts",
    [pytest.param([], id="no-manifest"),
     pytest.param([("eu", Rollout("v1.1.0", "v1.0.0", 10, "churn#production#4"))],
                  id="canary-of-v1.1.0")],
)
def test_rollback_naming_the_stable_version_instead_of_the_canarys_is_refused(
    state: RegistryState, rollouts: list[tuple[str, Rollout]],
) -> None:
    with pytest.raises(UserError) as caught:
        decide_canary("rollback", state, "churn", "v1.0.0", "production", rollouts)

    assert caught.value.message == ("production holds v1.1.0 of churn, not v1.0.0: there is "
                                    "no canary of v1.0.0 to roll back")


def test_rollback_done_already_promotes_the_holder_and_writes_nothing(
    store: RegistryStore,
) -> None:
    """v1.0.0 took over from v1.1.0 (the rollback's tag); its manifest serves it alone."""
    rollback = store.promote("churn", "v1.0.0", "production").tag
    rollouts = [("eu", Rollout("v1.0.0", promotion=rollback))]

    decision = decide_canary("rollback", store.read(), "churn", "v1.1.0", "production", rollouts)

    assert decision.version == "v1.0.0" and not decision.reassign  # the holder: a no-op
    assert "was rolled back already" in decision.note
