"""``plan_promotion`` against real git: it names the tag ``promote`` writes, or raises the error
``promote`` raises, and writes nothing itself."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.registry import RegistryStore
from tests.registry.gitutil import commits, git


def tags(repository: Path) -> list[str]:
    return git(repository, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()


def test_the_plan_names_the_tag_promote_writes_and_writes_nothing(
    repo: Path, remote: Path
) -> None:
    first, second, _ = commits(repo)
    store = RegistryStore(repo)
    store.register("churn", ref=first)
    store.register("churn", ref=second)
    store.promote("churn", "v0.1.1", "staging")
    before = (tags(repo), tags(remote))

    plan = store.plan_promotion("churn", "v0.1.0", "production")

    assert (tags(repo), tags(remote)) == before
    done = store.promote("churn", "v0.1.0", "production")
    assert plan.new and done.created
    assert (plan.tag, plan.commit, plan.counter) == (done.tag, done.commit, done.counter)
    assert plan.tag == "churn#production#2" and plan.commit == first


def test_the_plan_of_a_promotion_already_made_names_the_tag_that_holds_the_stage(
    repo: Path,
) -> None:
    store = RegistryStore(repo)
    store.register("churn")
    done = store.promote("churn", "v0.1.0", "production")

    plan = store.plan_promotion("churn", "v0.1.0", "production")
    again = store.promote("churn", "v0.1.0", "production")

    assert not plan.new and not again.created
    assert plan.tag == again.tag == done.tag


def test_a_stale_clone_plans_the_counter_promote_would_take(
    repo: Path, remote: Path, tmp_path: Path
) -> None:
    RegistryStore(repo).register("churn")
    stale = tmp_path / "stale"
    subprocess.run(["git", "clone", "-q", remote.as_uri(), str(stale)], check=True)
    RegistryStore(repo).promote("churn", "v0.1.0", "staging")  # the stale clone has not seen it

    plan = RegistryStore(stale).plan_promotion("churn", "v0.1.0", "production")
    done = RegistryStore(stale).promote("churn", "v0.1.0", "production")

    assert plan.tag == done.tag == "churn#production#2"


@pytest.mark.parametrize(
    ("setup", "version", "message"),
    [
        (lambda store: None, "v9.9.9", "churn v9.9.9 is not registered"),
        (lambda store: store.deregister("churn", "v0.1.0"), "v0.1.0", "was deregistered"),
    ],
)
def test_the_plan_refuses_with_the_error_promote_raises(
    repo: Path,
    remote: Path,
    setup: Callable[[RegistryStore], object],
    version: str,
    message: str,
) -> None:
    store = RegistryStore(repo)
    store.register("churn")
    setup(store)
    before = (tags(repo), tags(remote))

    with pytest.raises(UserError) as planned:
        store.plan_promotion("churn", version, "production")
    with pytest.raises(UserError) as promoted:
        store.promote("churn", version, "production")

    assert message in planned.value.message
    assert (planned.value.message, planned.value.hint) == (
        promoted.value.message,
        promoted.value.hint,
    )
    assert (tags(repo), tags(remote)) == before


def test_the_plan_checks_names_as_promote_does(repo: Path) -> None:
    store = RegistryStore(repo, remote=None)
    with pytest.raises(UserError, match="invalid stage name"):
        store.plan_promotion("churn", "v0.1.0", "prod!")
    with pytest.raises(UserError, match="invalid model name"):
        store.plan_promotion("-churn", "v0.1.0", "production")
