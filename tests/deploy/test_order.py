"""Which events deploy what: promotion tags, published releases, workflow_dispatch.

The deploy stage reads its order from the plan step, as ``mlops-ci run`` passes it: each case
builds the plan for the event and asks ``deploy_order`` of the model's deploy step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.config.model import Config, ModelSpec, StageName
from mlops_ci.errors import UserError
from mlops_ci.events import Event
from mlops_ci.planner import build_plan
from mlops_ci.stages.deploy_order import DeployOrder, deploy_order
from mlops_ci.webhooks import parse_event
from tests.plan.conftest import TWO_MODELS
from tests.serving.example import EXAMPLE

REPO = {"full_name": "octo/churn", "default_branch": "main"}


def planned_order(config: Config, event: Event, model: str) -> DeployOrder | None:
    """The order of ``model``'s deploy step in the plan for ``event`` (None: no such step)."""
    steps = [step for step in build_plan(config, event).steps
             if step.model == model and step.stage is StageName.DEPLOY]
    return deploy_order(steps[0] if steps else None)


def order(churn: ModelSpec, tmp_path: Path, name: str, payload: dict[str, object]
          ) -> DeployOrder | None:
    from mlops_ci.config.loader import load_config

    event = parse_event(name, payload, {"GITHUB_REPOSITORY": "octo/churn"})
    return planned_order(load_config(EXAMPLE / "mlops.yaml"), event, churn.name)


def release(tag: str, *, prerelease: bool, action: str = "published") -> dict[str, object]:
    return {"action": action, "repository": REPO,
            "release": {"tag_name": tag, "prerelease": prerelease, "draft": False}}


def test_promotion_tag_push_deploys_its_stage(churn: ModelSpec, tmp_path: Path) -> None:
    got = order(churn, tmp_path, "push", {"ref": "refs/tags/churn#staging#4", "after": "a" * 40,
                                          "repository": REPO})
    assert got == DeployOrder("staging", None, "churn#staging#4", False,
                              "promotion tag churn#staging#4")


@pytest.mark.parametrize(("prerelease", "stage"), [(True, "staging"), (False, "production")])
def test_published_release_promotes_by_its_kind(
    churn: ModelSpec, tmp_path: Path, prerelease: bool, stage: str
) -> None:
    got = order(churn, tmp_path, "release", release("churn@v1.4.0", prerelease=prerelease))
    assert got is not None
    assert (got.stage, got.version, got.promote) == (stage, "v1.4.0", True)


def test_workflow_dispatch_with_model_version_and_stage_promotes_and_deploys(
    churn: ModelSpec, tmp_path: Path
) -> None:
    got = order(churn, tmp_path, "workflow_dispatch", {
        "ref": "refs/heads/main", "repository": REPO,
        "inputs": {"model": "churn", "version": "v1.2.0", "stage": "production"}})
    assert got is not None
    assert (got.stage, got.version, got.promote) == ("production", "v1.2.0", True)


def test_workflow_dispatch_without_model_promotes_the_only_model(
    churn: ModelSpec, tmp_path: Path
) -> None:
    got = order(churn, tmp_path, "workflow_dispatch", {
        "ref": "refs/heads/main", "repository": REPO,
        "inputs": {"version": "v1.2.0", "stage": "production"}})
    assert got is not None
    assert (got.stage, got.version, got.promote) == ("production", "v1.2.0", True)


def two_model_orders(tmp_path: Path, inputs: dict[str, str]) -> dict[str, DeployOrder | None]:
    """Each model's order for a workflow_dispatch with ``inputs``, under the plan tests'
    two-model config (fraud kept in models/fraud)."""
    from mlops_ci.config.loader import load_config

    (tmp_path / "data").mkdir()
    for name in ("train.csv", "test.csv"):
        (tmp_path / "data" / name).write_text("x,churned\n1,0\n2,1\n", encoding="utf-8")
    (tmp_path / "train.py").write_text("", encoding="utf-8")  # what train.command runs
    (tmp_path / "mlops.yaml").write_text(TWO_MODELS.format(branch="main", triggers=""))
    config = load_config(tmp_path / "mlops.yaml")
    payload = {"ref": "refs/heads/main", "repository": REPO, "inputs": inputs}
    event = parse_event("workflow_dispatch", payload, {"GITHUB_REPOSITORY": "octo/churn"})
    return {model.name: planned_order(config, event, model.name) for model in config.models}


def test_workflow_dispatch_names_a_subfolder_model_by_its_registry_name(tmp_path: Path) -> None:
    orders = two_model_orders(
        tmp_path, {"model": "models/fraud:fraud", "version": "v1.2.0", "stage": "staging"})
    assert orders["churn"] is None
    assert orders["fraud"] == DeployOrder("staging", "v1.2.0", None, True,
                                          "workflow_dispatch of v1.2.0")


def test_workflow_dispatch_without_model_among_several_deploys_none(tmp_path: Path) -> None:
    # the plan refuses it before any stage runs, so no model is deployed
    with pytest.raises(UserError, match="workflow_dispatch input model: missing"):
        two_model_orders(tmp_path, {"version": "v1.2.0", "stage": "staging"})


@pytest.mark.parametrize(("name", "payload"), [
    ("push", {"ref": "refs/tags/churn@v1.0.0", "after": "a" * 40, "repository": REPO}),
    ("push", {"ref": "refs/tags/fraud#production#2", "after": "a" * 40, "repository": REPO}),
    ("push", {"ref": "refs/tags/churn#production!#3", "after": "a" * 40, "repository": REPO}),
    ("push", {"ref": "refs/heads/main", "after": "a" * 40, "repository": REPO}),
    ("release", release("churn@v1.4.0", prerelease=False, action="edited")),
    ("release", release("churn@v1.4.0", prerelease=True, action="prereleased")),
    ("release", release("fraud@v1.4.0", prerelease=False)),
    ("workflow_dispatch", {"ref": "refs/heads/main", "repository": REPO, "inputs": {}}),
])
def test_other_events_deploy_nothing(
    churn: ModelSpec, tmp_path: Path, name: str, payload: dict[str, object]
) -> None:
    assert order(churn, tmp_path, name, payload) is None
