"""Which events deploy what: promotion tags, published releases, workflow_dispatch."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mlops_ci.config.model import ModelSpec
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.stages.base import StageContext
from mlops_ci.stages.deploy import DeployOrder, deploy_order
from mlops_ci.webhooks import parse_event
from tests.serving.example import EXAMPLE

REPO = {"full_name": "octo/churn", "default_branch": "main"}


def order(churn: ModelSpec, tmp_path: Path, name: str, payload: dict[str, object]
          ) -> DeployOrder | None:
    from mlops_ci.config.loader import load_config

    event = parse_event(name, payload, {"GITHUB_REPOSITORY": "octo/churn"})
    context = StageContext(config=load_config(EXAMPLE / "mlops.yaml"), event=event,
                           forge=OutboxForge(tmp_path), workspace=tmp_path, run_dir=tmp_path,
                           environ={}, out=io.StringIO())
    return deploy_order(context, churn)


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


@pytest.mark.parametrize(("name", "payload"), [
    ("push", {"ref": "refs/tags/churn@v1.0.0", "after": "a" * 40, "repository": REPO}),
    ("push", {"ref": "refs/tags/fraud#production#2", "after": "a" * 40, "repository": REPO}),
    ("push", {"ref": "refs/tags/churn#production!#3", "after": "a" * 40, "repository": REPO}),
    ("push", {"ref": "refs/heads/main", "after": "a" * 40, "repository": REPO}),
    ("release", release("churn@v1.4.0", prerelease=False, action="edited")),
    ("release", release("fraud@v1.4.0", prerelease=False)),
    ("workflow_dispatch", {"ref": "refs/heads/main", "repository": REPO, "inputs": {}}),
])
def test_other_events_deploy_nothing(
    churn: ModelSpec, tmp_path: Path, name: str, payload: dict[str, object]
) -> None:
    assert order(churn, tmp_path, name, payload) is None
