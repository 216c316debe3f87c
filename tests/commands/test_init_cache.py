"""The workflows ``mlops-ci init`` writes keep the venv of ``train.requirements`` between runs."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from mlops_ci.cli import main
from mlops_ci.commands.action import REQUIREMENTS_CACHE, requirements_cache

OWN_ACTION = "mlops-ci/mlops-ci@"


def test_every_job_running_the_action_restores_its_requirements_cache_first(
    tmp_path: Path,
) -> None:
    assert main(["init", str(tmp_path)], stderr=io.StringIO()) == 0
    text = (tmp_path / ".github" / "workflows" / "mlops.yml").read_text(encoding="utf-8")
    jobs = yaml.safe_load(text)["jobs"]

    for name, job in jobs.items():
        uses = [step.get("uses", "") for step in job["steps"]]
        own = next(i for i, ref in enumerate(uses) if ref.startswith(OWN_ACTION))
        checkout = next(i for i, ref in enumerate(uses) if ref.startswith("actions/checkout@"))
        (cache,) = [i for i, ref in enumerate(uses) if ref.startswith("actions/cache@")]
        assert checkout < cache < own, name  # after checkout (which cleans), before mlops-ci
        settings = job["steps"][cache]["with"]
        assert settings["path"] == REQUIREMENTS_CACHE  # relative: under the workspace
        assert "hashFiles('**/requirements*.txt')" in settings["key"]
        assert settings["key"].startswith(settings["restore-keys"])


def test_the_action_caches_under_the_workspace_that_actions_cache_keeps() -> None:
    workspace = Path("/github/workspace")

    assert requirements_cache({"GITHUB_WORKSPACE": str(workspace)}) == (
        workspace / ".mlops" / "cache" / "requirements")
