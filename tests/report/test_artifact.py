"""The report artifact: its shipped schema, what the posting job refuses, what it renders.

The artifact is written by a pull request's code: every test here plays that code.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.errors import UserError
from mlops_ci.report.artifact_schema import SCHEMA_FILE, schema_text
from mlops_ci.report.escape import defang
from mlops_ci.report.markdown import render_report
from mlops_ci.report.stored import ARTIFACT_FILE, read_artifact
from tests.report.gfm import read
from tests.report.hostile_artifact import hostile_document

ROOT = Path(__file__).resolve().parents[2]
META = {
    "config_id": "churn-ci", "head_sha": "a" * 40, "run_id": 100, "pr_number": 7,
    "head_ref": "feature", "base_ref": "main", "repository": "octo/churn",
}


def write(folder: Path, document: object, *, raw: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = raw if raw is not None else json.dumps(document)
    (folder / ARTIFACT_FILE).write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_schema_is_the_one_the_report_types_generate() -> None:
    shipped = ROOT / "mlops_ci" / "schema" / SCHEMA_FILE
    link = ROOT / "schemas" / SCHEMA_FILE
    assert shipped.read_text(encoding="utf-8") == schema_text(), (
        "run `python -m mlops_ci.report.artifact_schema` to regenerate it")
    assert link.resolve() == shipped.resolve()


@pytest.mark.parametrize("collapse", [True, False])
def test_every_hostile_string_renders_inert(tmp_path: Path, collapse: bool) -> None:
    stored = read_artifact(write(tmp_path / "a", hostile_document(META)))
    markdown = render_report(stored.report, collapse=collapse)

    rendered = read(markdown)

    details = [result.detail for model in stored.report.models for result in model.results]
    live = sorted({"a", "img", "h1", "script"} & set(rendered.tags))
    text = rendered.text()
    prose = "".join(t for stack, t in rendered.texts if "code" not in stack)  # code pings no one
    assert all(detail is not None for detail in details)  # every detail was read back
    assert len(rendered.comments) == 0  # no comment opened, so none can hide what follows
    assert live == []
    assert "evil.example" in text  # shown, as text
    assert "://evil" not in text and "www.evil" not in text
    assert re.search(r"@(?!\u200b)\w", prose) is None  # no mention pings anyone
    assert markdown.count("<!--") == 0


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["report"].update(extra=1), "$.report"),
        (lambda d: d.update(format=1), "$.format"),
        (lambda d: d["report"]["models"][0]["results"][0].update(status="approved"),
         "$.report.models[0].results[0].status"),
        (lambda d: d["report"]["models"][0]["results"][0].update(seconds=float("nan")),
         "$.report.models[0].results[0].seconds"),
        (lambda d: d["report"]["run"].update(title="x" * 100_000), "$.report.run.title"),
        (lambda d: d["meta"].update(head_sha="<!-- mlops-ci -->"), "$.meta.head_sha"),
        (lambda d: d["report"]["notes"].extend(["n"] * 10_001), "$.report.notes"),
    ],
    ids=["extra key", "old format", "unknown enum", "NaN", "long string", "bad sha", "long array"],
)
def test_an_invalid_artifact_is_refused_naming_the_file_and_json_path(
    tmp_path: Path, change: Any, path: str
) -> None:
    document = copy.deepcopy(hostile_document(META))
    change(document)
    folder = write(tmp_path / "a", None, raw=json.dumps(document))

    with pytest.raises(UserError) as refused:
        read_artifact(folder)

    assert refused.value.exit_code == 2
    assert str(folder / ARTIFACT_FILE) in refused.value.message
    assert f"  {path}: " in refused.value.message
    assert len(refused.value.message) < 5_000  # a huge value is not quoted back


def test_an_overflowing_number_is_refused(tmp_path: Path) -> None:
    text = json.dumps(hostile_document(META)).replace('"seconds": 0.25', '"seconds": 1e400', 1)
    with pytest.raises(UserError, match=r"\$\.report\.models\[0\]\.results\[0\]\.seconds: a "
                                        r"number must be finite"):
        read_artifact(write(tmp_path / "a", None, raw=text))


def test_a_ten_megabyte_artifact_is_refused_unread(tmp_path: Path) -> None:
    document = hostile_document(META)
    document["report"]["run"]["title"] = "x" * 10_000_000
    with pytest.raises(UserError, match=r"holds 10,\d{3},\d{3} bytes; at most 4,194,304"):
        read_artifact(write(tmp_path / "a", document))


def test_markdown_beside_the_results_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "a", hostile_document(META))
    (folder / "report.md").write_text("<!--\n| all | passed |\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"unexpected entries 'report\.md'"):
        read_artifact(folder)


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    raw = json.dumps(hostile_document(META)).replace('{"format": 2', '{"format": 2, "format": 2')
    with pytest.raises(UserError, match="key 'format' appears twice"):
        read_artifact(write(tmp_path / "a", None, raw=raw))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("see https://evil.example/x", "see https[:]//evil.example/x"),
        ("HTTP://A and ftp://b", "HTTP[:]//A and ftp[:]//b"),
        ("www.evil.example", "www[.]evil.example"),
        ("<!-- mlops-ci:x -->", "<!\u2010\u2010 mlops-ci:x \u2010\u2010>"),
        ("accuracy >= 0.7 - fine", "accuracy >= 0.7 - fine"),
    ],
)
def test_defang_breaks_links_and_comments_only(text: str, shown: str) -> None:
    assert defang(text) == shown
