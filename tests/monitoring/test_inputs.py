"""What a monitoring run compares: the production version's reference, the production files."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.registry.store import RegistryStore
from tests.monitoring.conftest import EXAMPLE, git, run_monitor, use_production

LOCAL = {"GITHUB_RUN_ID": "42"}


def edit_config(workspace: Path, old: str, new: str) -> None:
    config = workspace / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")


def cli(workspace: Path, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(["monitor", "-c", str(workspace / "mlops.yaml"), "--dry-run", *args], stderr=err)
    return code, err.getvalue()


def test_reference_is_read_at_the_production_versions_commit(workspace: Path) -> None:
    # After the release, the reference file is refreshed with data like today's production:
    # compared with it nothing would drift; compared with what v0.1.0 knew, it does.
    shutil.copyfile(EXAMPLE / "data" / "production.csv", workspace / "data" / "reference.csv")
    git(workspace, "commit", "-q", "-am", "refresh the reference data")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    assert run.code == 1
    model = run.json["models"][0]  # type: ignore[index]
    assert model["reference"]["at_version"] is True
    assert model["reference"]["commit"] == git(workspace, "rev-parse", "HEAD~1")


def test_reference_missing_at_that_commit_falls_back_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "late"
    shutil.copytree(EXAMPLE, root)
    (root / "data" / "reference.csv").unlink()
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "no reference yet")
    store = RegistryStore(root, remote=None)
    store.register("churn", version="v0.1.0")
    store.promote("churn", "v0.1.0", "production")
    shutil.copyfile(EXAMPLE / "data" / "reference.csv", root / "data" / "reference.csv")

    run = run_monitor(root, LOCAL, dry_run=True)

    model = run.json["models"][0]  # type: ignore[index]
    assert model["reference"]["at_version"] is False
    assert "did not exist at" in model["reference"]["note"]
    assert run.code == 1


def test_no_version_in_production_is_said_and_exits_0(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    shutil.copytree(EXAMPLE, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")

    run = run_monitor(root, LOCAL, dry_run=True)

    assert run.code == 0
    [model] = run.json["models"]  # type: ignore[misc]
    assert model["status"] == "skipped"
    assert "no version in production" in model["summary"]


def test_data_quality_errors_alert_like_drift(workspace: Path) -> None:
    clean = (EXAMPLE / "data" / "production_clean.csv").read_text(encoding="utf-8")
    lines = clean.splitlines()
    fields = lines[5].split(",")
    fields[1] = "-7"  # tenure_months below its min of 0, on line 6
    lines[5] = ",".join(fields)
    (workspace / "data" / "production.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    assert run.code == 1
    model = run.json["models"][0]  # type: ignore[index]
    assert model["drifted"] is False and model["data_errors"] == 1
    [finding] = model["validation"][0]["findings"]
    assert finding["column"] == "tenure_months" and finding["lines"] == [6]
    assert model["decision"]["reason"] == "data-quality errors in production data"


def test_production_without_the_target_column_is_not_a_finding(workspace: Path) -> None:
    import csv

    with (EXAMPLE / "data" / "production_clean.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = [name for name in rows[0] if name != "churned"]
    with (workspace / "data" / "production.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, names, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    run = run_monitor(workspace, LOCAL, dry_run=True)

    assert run.code == 0
    assert run.json["models"][0]["validation"][0]["findings"] == []  # type: ignore[index]


def test_glob_compares_the_union_of_the_files(workspace: Path) -> None:
    edit_config(workspace, "production_data: [data/production.csv]",
                "production_data: [\"data/daily/*.csv\"]")
    daily = workspace / "data" / "daily"
    daily.mkdir()
    lines = (EXAMPLE / "data" / "production.csv").read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    for day in range(4):
        part = body[day * 250:(day + 1) * 250]
        (daily / f"2026-11-0{day + 1}.csv").write_text("\n".join([header, *part]) + "\n",
                                                       encoding="utf-8")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    assert run.code == 1
    model = run.json["models"][0]  # type: ignore[index]
    assert model["rows"] == 1000 and len(model["production"]) == 4
    assert model["drift"]["current_rows"] == 1000


def test_files_with_different_headers_are_refused(workspace: Path) -> None:
    edit_config(workspace, "production_data: [data/production.csv]",
                "production_data: [data/production.csv, data/other.csv]")
    (workspace / "data" / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    code, err = cli(workspace)
    assert code == 2
    assert "data/production.csv: its columns differ from data/other.csv's: it lacks 'a', 'b'" \
        in err


def test_pattern_matching_nothing_is_a_user_error(workspace: Path) -> None:
    edit_config(workspace, "production_data: [data/production.csv]",
                "production_data: [\"data/live/*.parquet\"]")
    code, err = cli(workspace)
    assert code == 2
    assert "monitor.production_data[0]: 'data/live/*.parquet' matches no file" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--model", "nope"), "no model 'nope'"), (("--model", "churn"), None)],
)
def test_model_choice(workspace: Path, args: tuple[str, ...], message: str | None) -> None:
    use_production(workspace, "production_clean.csv")
    code, err = cli(workspace, *args)
    if message is None:
        assert code == 0, err
    else:
        assert code == 2 and message in err


def test_actions_outputs_and_summary(workspace: Path, tmp_path: Path) -> None:
    output, summary = tmp_path / "output", tmp_path / "summary"
    environ = {"GITHUB_RUN_ID": "9", "GITHUB_OUTPUT": str(output),
               "GITHUB_STEP_SUMMARY": str(summary)}
    run = run_monitor(workspace, environ, as_json=False)
    assert run.code == 1
    written = output.read_text(encoding="utf-8").splitlines()
    assert written[0].startswith("drift<<") and written[1] == "true"
    assert written[3].startswith("issue_url<<") and written[4].startswith("file://")
    assert "Monitoring churn" in summary.read_text(encoding="utf-8")
    assert "issue #1: created" in run.output


def test_parquet_files_are_compared_as_one_table(workspace: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    edit_config(workspace, "production_data: [data/production.csv]",
                "production_data: [\"data/live/*.parquet\"]")
    live = workspace / "data" / "live"
    live.mkdir()
    table = pacsv.read_csv(EXAMPLE / "data" / "production.csv")
    pq.write_table(table.slice(0, 400), live / "part-0.parquet")
    pq.write_table(table.slice(400), live / "part-1.parquet")

    run = run_monitor(workspace, LOCAL, dry_run=True)

    assert run.code == 1
    model = run.json["models"][0]  # type: ignore[index]
    assert model["drift"]["current_rows"] == 1000
    assert model["production"] == ["data/live/part-0.parquet", "data/live/part-1.parquet"]


def _example_repo(root: Path, *, stages: str, path: str | None = None) -> Path:
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", ".mlops"))
    config = root / "mlops.yaml"
    text = config.read_text().replace("stages: [staging, production]", f"stages: {stages}")
    if "production" not in stages:
        text = text.replace("stage: production", "stage: prod")
    if path is not None:
        text = text.replace("  churn:\n", f"  churn:\n    path: {path}\n", 1)
    config.write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "churn example")
    return root


def test_without_a_production_stage_the_last_stage_is_monitored(tmp_path: Path) -> None:
    """The stage a full release deploys to and gates compare with is the one monitored."""
    root = _example_repo(tmp_path / "churn", stages="[staging, prod]")
    RegistryStore(root, remote=None).register("churn", version="v0.1.0")
    RegistryStore(root, remote=None).promote("churn", "v0.1.0", "prod")

    run = run_monitor(root, LOCAL, dry_run=True)

    [model] = run.json["models"]  # type: ignore[misc]
    assert model["version"] == "v0.1.0", model
    assert run.code == 1  # the example's production sample drifts


def test_a_model_kept_in_a_subfolder_is_found_by_its_registry_name(tmp_path: Path) -> None:
    root = _example_repo(tmp_path / "churn", stages="[staging, production]", path="models/churn")
    store = RegistryStore(root, remote=None)
    store.register("models/churn:churn", version="v0.1.0")
    store.promote("models/churn:churn", "v0.1.0", "production")

    run = run_monitor(root, LOCAL, dry_run=True)

    [model] = run.json["models"]  # type: ignore[misc]
    assert model["version"] == "v0.1.0", model
