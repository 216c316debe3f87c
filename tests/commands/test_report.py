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
from mlops_ci.errors import InputProblems, UserError
from mlops_ci.report.model import RunInfo, build_report
from mlops_ci.report.stored import (
    MAX_REPORT_BYTES,
    META_FILE,
    REPORT_FILE,
    ReportMeta,
    parse_meta,
    read_artifact,
    report_to_json,
    strip_markers,
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


def test_an_artifact_round_trips(tmp_path: Path) -> None:
    write_artifact(tmp_path / "a", "# report\n", META)
    stored = read_artifact(tmp_path / "a")
    assert stored.meta == META
    assert stored.markdown == "# report\n"


@pytest.mark.parametrize(
    "text",
    [
        "<!-- mlops-ci:report:x -->",
        "<!--mlops-ci:stamp head=0 run=9 -->",
        "<!--  \n MLOPS-CI:issue:drift -->",
        "<!--<!-- mlops-ci:report:x -->-- mlops-ci:report:y -->",
    ],
)
def test_every_marker_is_defused(text: str) -> None:
    cleaned = strip_markers(f"before {text} after")
    assert re.search(r"<!--\s*mlops-ci", cleaned, re.IGNORECASE) is None
    assert "<!-- mlops-ci:report:" not in cleaned
    assert cleaned.startswith("before ") and cleaned.endswith(" after")


def test_a_forged_marker_is_gone_from_what_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    write_artifact(folder, "ok\n", META)
    (folder / REPORT_FILE).write_text("<!-- mlops-ci:report:other -->\nok\n", encoding="utf-8")
    assert "<!-- mlops-ci:" not in read_artifact(folder).markdown


def test_meta_problems_are_all_listed_with_their_lines() -> None:
    text = (
        '{\n  "format": 1,\n  "config_id": "churn ci",\n  "head_sha": "HEAD",\n'
        '  "run_id": -1,\n  "pr_number": true,\n  "extra": 1\n}\n'
    )
    with pytest.raises(InputProblems) as raised:
        parse_meta(text)
    found = {(p.path, p.line) for p in raised.value.problems}
    assert found == {
        ("config_id", 3),
        ("head_sha", 4),
        ("run_id", 5),
        ("pr_number", 6),
        ("extra", 7),
    }
    assert raised.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "expected a JSON object"),
        ('{"format": 1,', "not JSON"),
        ('{"format": 1, "format": 1}', "appears twice"),
        ('{"format": 2}', "expected 1, got 2"),
    ],
)
def test_malformed_meta_is_refused(text: str, message: str) -> None:
    with pytest.raises(InputProblems) as raised:
        parse_meta(text)
    assert any(message in problem.message for problem in raised.value.problems)


def test_meta_with_an_integer_too_long_to_read_is_refused() -> None:
    text = '{"format": 1, "run_id": ' + "9" * 5000 + "}"
    with pytest.raises(UserError, match=r"report-meta\.json: a number in it is too long"):
        parse_meta(text)


def test_unexpected_files_are_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", "ok\n", META)
    (folder / "run.sh").write_text("echo hi\n", encoding="utf-8")
    with pytest.raises(UserError, match=re.escape("unexpected entries 'run.sh'")):
        read_artifact(folder)


def test_a_symlinked_report_is_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", "ok\n", META)
    secret = tmp_path / "secret.txt"
    secret.write_text("token\n", encoding="utf-8")
    (folder / REPORT_FILE).unlink()
    (folder / REPORT_FILE).symlink_to(secret)
    with pytest.raises(UserError, match="not a regular file"):
        read_artifact(folder)


def test_an_oversized_report_is_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", "x" * (MAX_REPORT_BYTES + 1), META)
    with pytest.raises(UserError, match=f"holds {MAX_REPORT_BYTES + 1:,} bytes"):
        read_artifact(folder)


def test_a_report_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", "ok\n", META)
    (folder / REPORT_FILE).write_bytes(b"\xff\xfe report")
    with pytest.raises(UserError, match="not UTF-8"):
        read_artifact(folder)


def test_a_missing_meta_is_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path / "a", "ok\n", META)
    (folder / META_FILE).unlink()
    with pytest.raises(UserError, match=re.escape("report-meta.json is missing")):
        read_artifact(folder)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=10,
)
META_LIKE = st.fixed_dictionaries(
    {},
    optional={key: JSON_VALUES | st.just(value) for key, value in META.to_json().items()},
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(META_LIKE.map(json.dumps), JSON_VALUES.map(json.dumps), st.text(max_size=80)))
def test_any_meta_text_is_read_or_refused_never_a_traceback(text: str) -> None:
    try:
        meta = parse_meta(text)
    except UserError as error:
        assert error.message
        return
    assert meta.head_sha == HEAD
