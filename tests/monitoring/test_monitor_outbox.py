"""``mlops-ci monitor`` without a token: the same issue, trend and dispatch, in the outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.protocol import AssetFile
from mlops_ci.monitoring.history import parse_history
from tests.monitoring.conftest import EXAMPLE, run_monitor, use_production


def outbox_issue(workspace: Path) -> dict[str, Any]:
    [path] = sorted((workspace / ".mlops" / "outbox" / "issues").glob("*.json"))
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def outbox_files(workspace: Path) -> dict[str, bytes]:
    root = workspace / ".mlops" / "outbox"
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_without_a_token_the_issue_and_dispatch_go_to_the_outbox(workspace: Path) -> None:
    environ = {"GITHUB_RUN_ID": "501"}
    first = run_monitor(workspace, environ, forge=None)

    assert first.code == 1
    issue = outbox_issue(workspace)
    assert issue["state"] == "open" and issue["labels"] == ["drift", "mlops"]
    assert [e.run_id for e in parse_history(issue["body"]).entries] == ["501"]
    assert "dispatch-501" in issue["comments"]
    [dispatch] = (workspace / ".mlops" / "outbox" / "dispatches").glob("*.json")
    sent = json.loads(dispatch.read_text(encoding="utf-8"))
    assert sent["event_type"] == "mlops-retrain"
    assert sent["client_payload"]["run_id"] == "501"

    before = outbox_files(workspace)
    assert run_monitor(workspace, environ).code == 1
    assert outbox_files(workspace) == before

    use_production(workspace, "production_clean.csv")
    assert run_monitor(workspace, {"GITHUB_RUN_ID": "502"}).code == 0
    closed = outbox_issue(workspace)
    assert closed["state"] == "closed" and "clear-502" in closed["comments"]
    assert [e.run_id for e in parse_history(closed["body"]).entries] == ["501", "502"]


def test_production_data_from_the_production_releases_asset(workspace: Path) -> None:
    config = workspace / "mlops.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "      production_data: [data/production.csv]\n",
            "      release_asset: production-week.csv\n",
        ),
        encoding="utf-8",
    )
    outbox = OutboxForge(workspace)
    outbox.ensure_release("churn@v0.1.0", "churn v0.1.0", "",
                          [AssetFile("production-week.csv", EXAMPLE / "data" / "production.csv")])

    run = run_monitor(workspace, {"GITHUB_RUN_ID": "7"}, forge=outbox)

    assert run.code == 1
    model = run.json["models"][0]  # type: ignore[index]
    assert model["production"] == ["production-week.csv from release churn@v0.1.0"]
    assert model["drifted"] is True
