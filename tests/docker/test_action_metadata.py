"""action.yml: the contract between a workflow's ``with:`` and the container's INPUT_* variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_INPUTS = {
    "config",
    "github_token",
    "command",
    "model",
    "dry_run",
    "working_directory",
    "version",
    "stage",
}
EXPECTED_OUTPUTS = {
    "verdict",
    "model_version",
    "stage",
    "report_url",
    "release_url",
    "drift",
    "report_artifact",
}


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return loaded


def test_action_runs_the_repository_dockerfile(action: dict[str, Any]) -> None:
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert (ROOT / action["runs"]["image"]).is_file()


def test_inputs_are_the_documented_set(action: dict[str, Any]) -> None:
    assert set(action["inputs"]) == EXPECTED_INPUTS


def test_input_names_are_readable_from_a_posix_shell(action: dict[str, Any]) -> None:
    """GitHub keeps hyphens (INPUT_DRY-RUN), which no POSIX shell can read."""
    for name in action["inputs"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name


def test_every_input_has_a_description_and_a_default(action: dict[str, Any]) -> None:
    """A default makes GitHub set INPUT_* even when the workflow leaves the input out."""
    for name, spec in action["inputs"].items():
        assert spec.get("description", "").strip(), name
        assert "default" in spec, name
        assert isinstance(spec["default"], str), f"{name}: a default is passed as text"


def test_token_defaults_to_the_workflow_token(action: dict[str, Any]) -> None:
    assert action["inputs"]["github_token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["dry_run"]["default"] == "false"
    assert action["inputs"]["config"]["default"] == "mlops.yaml"
    assert action["inputs"]["command"]["default"] == "run"


def test_outputs_are_the_documented_set_each_described(action: dict[str, Any]) -> None:
    assert set(action["outputs"]) == EXPECTED_OUTPUTS
    for name, spec in action["outputs"].items():
        assert spec.get("description", "").strip(), name
        assert "value" not in spec, f"{name}: a docker action's outputs come from GITHUB_OUTPUT"


def test_every_dockerfile_stage_starts_from_the_python_slim_tag() -> None:
    """scripts/base-image builds exactly this tag offline; any other base breaks that build."""
    bases = re.findall(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)
    stages = set(
        re.findall(
            r"^FROM\s+\S+\s+AS\s+(\S+)",
            (ROOT / "Dockerfile").read_text(),
            flags=re.MULTILINE | re.IGNORECASE,
        )
    )
    assert bases
    assert {base for base in bases if base not in stages} == {"python:3.11-slim"}
