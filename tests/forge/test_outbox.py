"""The local outbox: the same protocol and the same idempotency, as files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.outbox_layout import safe_name
from mlops_ci.forge.protocol import AssetFile, Outcome, ReportStamp
from tests.forge.conftest import MODEL_ASSETS, write_assets


def files_under(root: Path) -> list[str]:
    outbox = root / ".mlops" / "outbox"
    return sorted(str(p.relative_to(outbox)) for p in outbox.rglob("*") if p.is_file())


def test_report_comment_is_one_file_rewritten_by_newer_runs_only(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path)
    assert forge.upsert_report_comment(7, "churn-ci", "a", ReportStamp("a" * 40, 5)).outcome is (
        Outcome.CREATED
    )
    assert forge.upsert_report_comment(7, "churn-ci", "a", ReportStamp("a" * 40, 5)).outcome is (
        Outcome.UNCHANGED
    )
    stale = forge.upsert_report_comment(7, "churn-ci", "old", ReportStamp("0" * 40, 4))
    assert stale.outcome is Outcome.SKIPPED_STALE
    assert forge.upsert_report_comment(7, "churn-ci", "b", ReportStamp("b" * 40, 6)).outcome is (
        Outcome.UPDATED
    )
    assert files_under(tmp_path) == ["comments/pr-7-churn-ci.md"]
    text = (tmp_path / ".mlops/outbox/comments/pr-7-churn-ci.md").read_text()
    assert text.startswith("<!-- mlops-ci:report:churn-ci -->") and text.endswith("b")


def test_release_copies_assets_and_a_rerun_keeps_them(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path / "ws")
    assets = write_assets(tmp_path / "build", MODEL_ASSETS)
    first = forge.ensure_release("churn@v1.4.0", "v", "notes", assets)
    again = forge.ensure_release("churn@v1.4.0", "v", "notes", assets)
    assert (first.outcome, again.outcome) == (Outcome.CREATED, Outcome.UNCHANGED)
    assert sorted(again.kept) == sorted(MODEL_ASSETS)
    record = json.loads(
        (tmp_path / "ws/.mlops/outbox/releases/churn@v1.4.0/release.json").read_text()
    )
    assert (
        record["assets"]["model.skops"] == hashlib.sha256(MODEL_ASSETS["model.skops"]).hexdigest()
    )
    copied = tmp_path / "ws/.mlops/outbox/releases/churn@v1.4.0/assets/model.skops"
    assert copied.read_bytes() == MODEL_ASSETS["model.skops"]


def test_a_published_release_keeps_its_files(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path / "ws")
    forge.ensure_release("t", "v", "n", write_assets(tmp_path / "a", {"m.bin": b"1"}))
    result = forge.ensure_release("t", "v", "n", write_assets(tmp_path / "b", {"m.bin": b"2"}))
    assert result.replaced == ()
    assert result.warning is not None and "kept its m.bin" in result.warning
    copied = tmp_path / "ws/.mlops/outbox/releases/t/assets/m.bin"
    assert copied.read_bytes() == b"1"


def test_deployment_and_statuses_are_one_file(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path)
    deployment = forge.create_deployment("churn-staging", "main", "v1.4.0", "d", {"m": "churn"})
    for state in ("in_progress", "success", "success"):
        forge.set_deployment_status(deployment, state)
    again = forge.create_deployment("churn-staging", "main", "v1.4.0", "d", {"m": "churn"})
    assert again.outcome is Outcome.UNCHANGED and again.latest_state == "success"
    (name,) = files_under(tmp_path)
    record = json.loads((tmp_path / ".mlops/outbox" / name).read_text())
    assert [s["state"] for s in record["statuses"]] == ["in_progress", "success"]


def test_issue_lifecycle_keeps_one_file(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path)
    opened = forge.upsert_issue("drift-churn", "Drift", "x", ["mlops"])
    assert opened.number is not None
    assert forge.upsert_issue("drift-churn", "Drift", "x", ["mlops"]).outcome is Outcome.UNCHANGED
    assert forge.comment_issue(opened.number, "hi", key="run-1").outcome is Outcome.CREATED
    assert forge.comment_issue(opened.number, "hi", key="run-1").outcome is Outcome.UNCHANGED
    assert forge.close_issue(opened.number, "bye", key="close").outcome is Outcome.CLOSED
    assert forge.close_issue(opened.number, "bye", key="close").outcome is Outcome.UNCHANGED
    assert forge.upsert_issue("drift-churn", "Drift", "y", []).outcome is Outcome.REOPENED
    assert files_under(tmp_path) == ["issues/drift-churn.json"]


def test_same_dispatch_twice_is_one_file(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path)
    assert forge.dispatch("retrain", {"model": "churn"}).outcome is Outcome.SENT
    assert forge.dispatch("retrain", {"model": "churn"}).outcome is Outcome.UNCHANGED
    assert forge.dispatch("retrain", {"model": "other"}).outcome is Outcome.SENT
    forge.dispatch_workflow("train.yml", "main", {})
    assert len(files_under(tmp_path)) == 3


def test_untrusted_keys_cannot_escape_the_outbox(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path / "ws")
    asset = write_assets(tmp_path / "b", {"m": b"1"})[0]
    forge.ensure_release("../../escape", "v", "n", [AssetFile("../../../x", asset.path)])
    forge.dispatch("../../evil", {})
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and "ws" not in p.parts]
    assert [p.name for p in outside] == ["m"]
    assert "/" not in safe_name("a/../b") and ".." not in safe_name("..")


def test_unknown_pull_request_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="#7"):
        OutboxForge(tmp_path).read_pull(7)


def test_pull_request_file_is_read(tmp_path: Path) -> None:
    pulls = tmp_path / ".mlops/outbox/pulls"
    pulls.mkdir(parents=True)
    (pulls / "7.json").write_text(
        json.dumps({"head_sha": "a" * 40, "head_ref": "x", "base_ref": "main", "title": "T"})
    )
    pull = OutboxForge(tmp_path).read_pull(7)
    assert (pull.head_sha, pull.base_ref, pull.is_fork) == ("a" * 40, "main", False)


def test_report_id_with_marker_breaking_characters_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="report id"):
        OutboxForge(tmp_path).upsert_report_comment(7, "x -->", "b", ReportStamp("a", 1))


def test_finding_a_deployment_in_the_outbox_writes_nothing(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path)
    assert forge.find_deployment("churn-staging", "v1.0.0") is None
    assert files_under(tmp_path) == []
    created = forge.create_deployment("churn-staging", "main", "v1.0.0", "d", {})
    forge.set_deployment_status(created, "success")
    found = forge.find_deployment("churn-staging", "v1.0.0")
    assert found is not None and found.latest_state == "success"
