"""``mlops-ci plan`` through the real entry point, in-process: output, exit codes, errors."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.cli import main
from tests.events import payloads as p
from tests.plan.conftest import TWO_MODELS


@pytest.fixture(autouse=True)
def outside_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite itself may run under GitHub Actions: hide the runner's own event."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "INPUT_")):
            monkeypatch.delenv(name)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    for name in ("train.csv", "test.csv"):
        (tmp_path / "data" / name).write_text("x,churned\n1,0\n2,1\n", encoding="utf-8")
    (tmp_path / "train.py").write_text("", encoding="utf-8")  # what train.command runs
    path = tmp_path / "mlops.yaml"
    path.write_text(TWO_MODELS.format(branch="main", triggers=""), encoding="utf-8")
    return path


def write_event(tmp_path: Path, payload: dict[str, Any]) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    code = main(argv, stderr=err)
    return code, err.getvalue()


def test_plan_json_for_a_pull_request(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path, p.pull_request("opened", number=12))
    args = ["--event-name", "pull_request", "--event-path", str(event), "--json"]
    code, err = run(["plan", "-c", str(config), *args])
    data = json.loads(capsys.readouterr().out)
    assert (code, err) == (0, "")
    assert data["trigger"] == "pull_request"
    assert data["event"]["pull_request"]["number"] == 12
    assert data["event"]["sha"] == p.HEAD_SHA
    assert [(s["stage"], s["model"]) for s in data["steps"]][:2] == [
        ("validate", "churn"),
        ("validate", "fraud"),
    ]
    assert data["steps"][-1]["stage"] == "report"
    assert data["reasons"] == ["pull_request #12 opened -> triggers.pull_request"]


def test_plan_text_for_a_promotion_tag(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path, p.push("refs/tags/churn#production#3"))
    code, _ = run(["plan", "-c", str(config), "--event-name", "push", "--event-path", str(event)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines() == [
        f"event: push of tag churn#production#3 at {p.PUSH_SHA[:12]} in octo/models",
        "trigger: triggers.promotion_tag",
        "steps: 1",
        "   1. deploy  churn -> production (tag churn#production#3)",
        "why:",
        "  - push of tag churn#production#3 (promotion of churn to production; deploys the "
        "version production holds when it runs) "
        "-> triggers.promotion_tag",
    ]


def test_plan_reads_the_runner_variables(
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = write_event(tmp_path, p.push("refs/heads/main"))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("INPUT_CONFIG", str(config))
    code, _ = run(["plan", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["trigger"] == "push"
    assert "register" in {step["stage"] for step in data["steps"]}


def test_plan_without_an_event_is_a_local_run(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(["plan", "-c", str(config), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["event"]["kind"] == "local"
    assert {step["stage"] for step in data["steps"]}.isdisjoint({"register", "deploy"})


def test_an_empty_plan_exits_0_and_says_why(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path, p.push("refs/heads/feature"))
    code, _ = run(["plan", "-c", str(config), "--event-name", "push", "--event-path", str(event)])
    out = capsys.readouterr().out
    assert code == 0
    assert "steps: none" in out
    assert "  - push to branch feature: nothing to plan" in out


def test_payload_that_is_not_json_exits_2_naming_the_file(config: Path, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text("not json", encoding="utf-8")
    code, err = run(["plan", "-c", str(config), "--event-name", "push", "--event-path", str(event)])
    assert code == 2
    assert err.startswith("error: event.json:1:1: not JSON: ")
    assert "Traceback" not in err


def test_payload_missing_a_field_exits_2_naming_it(config: Path, tmp_path: Path) -> None:
    payload = p.pull_request("opened")
    del payload["pull_request"]["head"]["sha"]
    event = write_event(tmp_path, payload)
    code, err = run(
        ["plan", "-c", str(config), "--event-name", "pull_request", "--event-path", str(event)]
    )
    assert code == 2
    assert err.splitlines()[0] == "error: event.json: pull_request.head.sha: missing"


def test_unknown_event_name_exits_2(config: Path, tmp_path: Path) -> None:
    event = write_event(tmp_path, {})
    code, err = run(
        ["plan", "-c", str(config), "--event-name", "issue_comment", "--event-path", str(event)]
    )
    assert code == 2
    assert "event 'issue_comment' is not one mlops-ci handles" in err


def test_missing_payload_file_exits_2(config: Path, tmp_path: Path) -> None:
    missing = tmp_path / "gone.json"
    code, err = run(
        ["plan", "-c", str(config), "--event-name", "push", "--event-path", str(missing)]
    )
    assert code == 2
    assert f"event payload not found: {missing}" in err


def test_bad_dispatch_inputs_exit_2(config: Path, tmp_path: Path) -> None:
    event = write_event(tmp_path, p.workflow_dispatch(model="nope"))
    code, err = run(
        ["plan", "-c", str(config), "--event-name", "workflow_dispatch", "--event-path", str(event)]
    )
    assert code == 2
    assert "workflow_dispatch input model: 'nope' is not a model" in err


def test_dispatch_promotion_without_model_among_several_exits_2_naming_the_input(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path, p.workflow_dispatch(version="v1.4.0", stage="production"))
    code, err = run(
        ["plan", "-c", str(config), "--event-name", "workflow_dispatch", "--event-path", str(event)]
    )
    assert code == 2
    assert "workflow_dispatch input model: missing; promoting v1.4.0 to production" in err
    assert "one of: churn, fraud" in err
    assert capsys.readouterr().out == ""


def test_untrusted_text_cannot_start_a_workflow_command(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path, p.push("refs/heads/x\n::error::forged\x1b[2J"))
    code, _ = run(["plan", "-c", str(config), "--event-name", "push", "--event-path", str(event)])
    out = capsys.readouterr().out
    assert code == 0
    assert "forged" in out
    assert not any(line.startswith("::") for line in out.splitlines())
    assert "\x1b" not in out


@pytest.mark.parametrize(
    ("branch", "shown"),
    [
        ("x\n::error::forged\x1b[2J", r"x\n::error::forged\x1b[2J"),
        ("##[add-mask]x", r"##\x5badd-mask]x"),
        ("evil\u202egnp.exe", r"evil\u202egnp.exe"),
    ],
)
def test_untrusted_branch_names_are_shown_readably_and_command_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], branch: str, shown: str
) -> None:
    event = write_event(tmp_path, p.push(f"refs/heads/{branch}"))
    code, _ = run(["plan", "-c", str(config), "--event-name", "push", "--event-path", str(event)])
    out = capsys.readouterr().out
    assert code == 0
    event_line = f"event: push to branch {shown} at {p.PUSH_SHA[:12]} in octo/models"
    assert out.splitlines()[0] == event_line
    assert f"  - push to branch {shown}: nothing to plan" in out
    assert "##[" not in out and out.isascii()


def test_untrusted_pull_request_branch_is_shown_readably(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = p.pull_request("opened")
    payload["pull_request"]["head"]["ref"] = "evil\x1b[31m##[add-mask]x"
    event = write_event(tmp_path, payload)
    args = ["--event-name", "pull_request", "--event-path", str(event)]
    code, _ = run(["plan", "-c", str(config), *args])
    out = capsys.readouterr().out
    assert code == 0
    assert r"(evil\x1b[31m##\x5badd-mask]x -> main)" in out.splitlines()[0]
    assert "##[" not in out and "\x1b" not in out


def test_plan_is_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "plan" in capsys.readouterr().out
