"""``mlops-ci report``: the stored report printed again, and the artifact checked as untrusted."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.cli import main
from mlops_ci.config.model import StageName
from mlops_ci.errors import UserError
from mlops_ci.report.artifact import artifact_document
from mlops_ci.report.markdown import render_report
from mlops_ci.report.model import Report, RunInfo, build_report
from mlops_ci.report.stored import (
    ARTIFACT_FILE,
    ReportMeta,
    read_artifact,
    report_to_json,
    write_artifact,
)
from mlops_ci.stages.base import StageResult, Status

HEAD = "a" * 40
META = ReportMeta(config_id="churn-ci", head_sha=HEAD, run_id=100, pr_number=7, head_ref="x")


def cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        code = main(argv, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_report_prints_the_last_runs_markdown_and_json(tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("### ✅ mlops-ci: all checks passed\n", encoding="utf-8")
    (tmp_path / "report.json").write_text('{"format": 1, "status": "passed"}', encoding="utf-8")

    code, out, _ = cli(["report", "--run-dir", str(tmp_path)])
    json_code, json_out, _ = cli(["report", "--run-dir", str(tmp_path), "--json"])

    assert (code, out) == (0, "### ✅ mlops-ci: all checks passed\n")
    assert json_code == 0
    assert json.loads(json_out) == {"format": 1, "status": "passed"}


def test_report_without_a_run_says_how_to_get_one(tmp_path: Path) -> None:
    code, _, err = cli(["report", "--run-dir", str(tmp_path)])
    assert code == 2
    assert f"no report in {tmp_path} (report.md is missing)" in err
    assert "run `mlops-ci run` first" in err


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("report.md", b"\xff\xfe report", "report.md: not UTF-8 (byte 0)"),
        ("report.json", b"{bad", "report.json:1:2: not JSON"),
        ("report.json", b'{"a": ' + b"9" * 5000 + b"}", "report.json: not a report mlops-ci wrote"),
        ("report.json", b'{"a": NaN}', "report.json: not a report mlops-ci wrote"),
    ],
)
def test_a_damaged_stored_report_exits_2_naming_the_file(
    tmp_path: Path, name: str, content: bytes, where: str
) -> None:
    (tmp_path / name).write_bytes(content)

    json_flag = ["--json"] if name.endswith(".json") else []
    code, _, err = cli(["report", "--run-dir", str(tmp_path), *json_flag])

    assert code == 2, err
    assert f"{tmp_path / where}" in err
    assert "internal error" not in err


def test_report_json_is_plain_json_without_nan(tmp_path: Path) -> None:
    detail = {"roc_auc": math.nan, "path": tmp_path, "stages": (StageName.TRAIN,)}
    results = [StageResult(StageName.EVALUATE, "churn", Status.FAILED, "gate", 1.5, detail)]
    report = build_report(RunInfo("pull_request #7", "x", HEAD, "churn-ci"), results)

    data = json.loads(json.dumps(report_to_json(report), allow_nan=False))

    assert data["status"] == "failed"
    assert data["run"]["config_id"] == "churn-ci"
    result = data["models"][0]["results"][0]
    assert result["detail"] == {"roc_auc": None, "path": str(tmp_path), "stages": ["train"]}


def small_report(summary: str = "3 files valid") -> Report:
    run = RunInfo(event="pull_request #7", ref="x", sha=HEAD, config_id="churn-ci", title="T")
    result = StageResult(StageName.VALIDATE, "churn", Status.PASSED, summary, seconds=0.5)
    return build_report(run, [result], notes=("a note",))


def test_an_artifact_round_trips_to_the_same_rendering(tmp_path: Path) -> None:
    report = small_report()
    write_artifact(tmp_path / "a", report, META)
    stored = read_artifact(tmp_path / "a")
    assert stored.meta == META
    assert stored.report == report
    assert render_report(stored.report) == render_report(report)
    assert [p.name for p in (tmp_path / "a").iterdir()] == [ARTIFACT_FILE]


def test_unexpected_files_are_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", small_report(), META)
    (folder / "run.sh").write_text("echo hi\n", encoding="utf-8")
    with pytest.raises(UserError, match=re.escape("unexpected entries 'run.sh'")):
        read_artifact(folder)


def test_a_symlinked_artifact_file_is_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", small_report(), META)
    secret = tmp_path / "secret.json"
    secret.write_text((folder / ARTIFACT_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / ARTIFACT_FILE).unlink()
    (folder / ARTIFACT_FILE).symlink_to(secret)
    with pytest.raises(UserError, match="not a regular file"):
        read_artifact(folder)


def test_an_artifact_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", small_report(), META)
    (folder / ARTIFACT_FILE).write_bytes(b"\xff\xfe {}")
    with pytest.raises(UserError, match="not UTF-8"):
        read_artifact(folder)


def test_a_missing_artifact_file_is_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", small_report(), META)
    (folder / ARTIFACT_FILE).unlink()
    with pytest.raises(UserError, match=re.escape("report-artifact.json is missing")):
        read_artifact(folder)


def test_an_integer_too_long_to_read_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / ARTIFACT_FILE).write_text('{"format": ' + "9" * 5000 + "}", encoding="utf-8")
    with pytest.raises(UserError, match=r"report-artifact\.json: a number in it is too long"):
        read_artifact(folder)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=10,
)
VALID = artifact_document(small_report(), META)
DOCUMENT_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "format": JSON_VALUES | st.just(2),
        "meta": st.fixed_dictionaries(
            {}, optional={key: JSON_VALUES | st.just(value) for key, value in VALID["meta"].items()}
        ),
        "report": st.fixed_dictionaries(
            {}, optional={key: JSON_VALUES | st.just(value)
                          for key, value in VALID["report"].items()}
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(DOCUMENT_LIKE.map(json.dumps), JSON_VALUES.map(json.dumps), st.text(max_size=80)))
def test_any_artifact_text_is_read_or_refused_never_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("artifact")
    (folder / ARTIFACT_FILE).write_text(text, encoding="utf-8")
    try:
        stored = read_artifact(folder)
    except UserError as error:
        assert error.message
        return
    assert stored.meta == META
    render_report(stored.report)
