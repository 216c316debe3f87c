"""Every markdown body mlops-ci writes, rendered by cmark-gfm as GitHub renders it.

The bodies are the real ones: the PR comment and job summary of a real pull-request run of the
example (after a real merge run registered v0.1.0, promoted to production, so the comparison
has numbers), the release's model card, and the monitoring issue with its comments from real
``mlops-ci monitor`` runs. Each must show no backslash escape or entity as text, no path of the
machine that ran it, and one number format per table; hostile names must stay text.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.config.model import StageName
from mlops_ci.data.results import Finding, ValidationResult
from mlops_ci.registry.store import RegistryStore
from mlops_ci.report.markdown import render_report
from mlops_ci.report.model import RunInfo, build_report
from mlops_ci.stages.base import StageResult, Status
from tests.commands.repos import PR, REPOSITORY, example_repo, git, pr_payload, push_payload
from tests.commands.test_run import run_event
from tests.fakegithub import FakeGitHub
from tests.monitoring import conftest as monitoring
from tests.report.browser import draw
from tests.report.gfm import read, rendering_problems

# The example's absolute roc_auc floor, then a comparison with production the candidate (the
# same model, trained again) cannot meet: a failed gate with numbers on both sides. The
# example's other gates go, so one check passes and one fails.
GATES = ("{metric: roc_auc, min: 0.70}\n"
         "        - {metric: roc_auc, against: production, min_improvement: 0.05}")
OTHER_GATES = ("        - {metric: roc_auc, against: production, max_regression: 0.02}\n"
               "        - {metric: f1, against: base, max_regression: 0.05}\n")
HOSTILE = ["a<!--b", "x|y|z", "`tick` ``two``", "back\\slash\\_here \\(", "<b>bold</b> &amp; -->"]


@pytest.fixture(scope="module")
def pr_bodies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The comment, summary and release notes of a merge run, then a PR against production."""
    root = tmp_path_factory.mktemp("pr")
    with pytest.MonkeyPatch.context() as patch, FakeGitHub() as fake:
        for key, value in monitoring.IDENTITY.items():
            patch.setenv(key, value)
        fake.create_repo(REPOSITORY)
        repo = example_repo(root, gate=GATES)
        config = repo / "mlops.yaml"
        text = config.read_text(encoding="utf-8")
        assert OTHER_GATES in text
        config.write_text(text.replace(OTHER_GATES, ""), encoding="utf-8")
        git(repo, "commit", "-q", "-am", "two gates")
        git(repo, "push", "-q", "origin", "main")
        head = git(repo, "rev-parse", "HEAD")
        merged, log, _ = run_event(repo, fake, "push", push_payload(head), run_id=200, sha=head)
        assert merged.exit_code == 0, log
        RegistryStore(repo, remote=None).promote("churn", "v0.1.0", "production")
        fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref="retrain", title="Retrain")
        outcome, log, files = run_event(repo, fake, "pull_request", pr_payload(head), run_id=201)
        assert outcome.exit_code == 1, log
        [comment] = fake.repo(REPOSITORY).comments(PR)
        [release] = fake.repo(REPOSITORY).releases
        yield {"comment": comment.body, "summary": files["summary"], "release": release.body,
               "root": str(root)}


@pytest.fixture(scope="module")
def issue_bodies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The monitoring issue of a drifted run (with its dispatch comment), then the comment of
    the clean run that closes it."""
    root = tmp_path_factory.mktemp("monitor") / "churn"
    with pytest.MonkeyPatch.context() as patch, FakeGitHub() as fake:
        for key, value in monitoring.IDENTITY.items():
            patch.setenv(key, value)
        fake.create_repo(REPOSITORY, default_branch="main")
        shutil.copytree(monitoring.EXAMPLE, root,
                        ignore=shutil.ignore_patterns("__pycache__", ".mlops"))
        monitoring.git(root, "init", "-q", "-b", "main")
        monitoring.git(root, "add", "-A")
        monitoring.git(root, "commit", "-q", "-m", "churn example")
        store = RegistryStore(root, remote=None)
        store.register("churn", version="v0.1.0")
        store.promote("churn", "v0.1.0", "production")
        drifted = monitoring.run_monitor(root, monitoring.github_environ(fake, "1001"))
        assert drifted.code == 1, drifted.output
        monitoring.use_production(root, "production_clean.csv")
        cleared = monitoring.run_monitor(root, monitoring.github_environ(fake, "1002"))
        assert cleared.code == 0, cleared.output
        [issue] = fake.snapshot()[REPOSITORY]["issues"]
        bodies = {"issue": issue["body"], "root": str(root)}
        for index, comment in enumerate(issue["comments"]):
            bodies[f"comment {index}"] = comment["body"]
        assert len(bodies) >= 4  # the dispatch comment and the closing one
        yield bodies


@pytest.mark.parametrize("kind", ["comment", "summary", "release"])
def test_pull_request_bodies_render_clean_on_github(pr_bodies: dict[str, str], kind: str) -> None:
    body = pr_bodies[kind]
    assert rendering_problems(body) == []
    assert pr_bodies["root"] not in body


def test_monitoring_issue_and_comments_render_clean_on_github(
    issue_bodies: dict[str, str],
) -> None:
    for kind, body in issue_bodies.items():
        if kind != "root":
            assert rendering_problems(body) == [], kind
            assert issue_bodies["root"] not in body, kind


def test_a_collapsed_section_shows_its_summary_as_written(pr_bodies: dict[str, str]) -> None:
    summaries = read(pr_bodies["comment"]).texts_in("summary")
    drift = next(text for text in summaries if text.startswith("drift: "))
    # the drift stage's own words, not "\(0%, below ..."
    assert "(0%, below the 30% share that flags the dataset)" in drift


def test_paths_in_the_comment_are_the_repositorys(pr_bodies: dict[str, str]) -> None:
    text = read(pr_bodies["comment"]).text()
    for name in ("data/train.csv", "data/test.csv", "data/reference.csv"):
        assert f"Data validation: {name}: " in text
    assert "data/train.csv (3,000 rows) vs reference data/reference.csv (1,000 rows)" in text


def _table(rendered: Any, first_header: str) -> list[list[str]]:
    return next(t for t in rendered.tables if t[0][0] == first_header)


def test_a_gate_shows_the_metric_as_the_metrics_table_does(pr_bodies: dict[str, str]) -> None:
    rendered = read(pr_bodies["comment"])
    metrics = {row[0]: row[1:] for row in _table(rendered, "metric")[1:]}
    candidate, production = metrics["roc_auc ↑"][0], metrics["roc_auc ↑"][1]
    assert candidate == production  # the same model, trained again
    whys = [row[2] for row in _table(rendered, "gate")[1:]]
    assert whys[0] == f"roc_auc {candidate} >= 0.7"
    assert whys[1].startswith(f"roc_auc {candidate} < ")
    assert f"(production {production}, change ±0, required improvement 0.05)" in whys[1]


def test_counts_read_in_the_singular_and_plural(pr_bodies: dict[str, str]) -> None:
    rows = {row[0]: row[2] for row in _table(read(pr_bodies["comment"]), "stage")[1:]}
    assert rows["evaluate"] == "1 gate check passed, 1 failed, 0 skipped"
    assert rows["validate"] == "3 files, 5,000 rows: 0 errors, 0 warnings"


def test_model_card_metrics_use_the_reports_number_format(pr_bodies: dict[str, str]) -> None:
    metrics = {row[0]: row[1] for row in _table(read(pr_bodies["release"]), "Metric")[1:]}
    comment = {row[0]: row[1] for row in _table(read(pr_bodies["comment"]), "metric")[1:]}
    assert metrics["roc_auc"] == comment["roc_auc ↑"]


def test_the_comment_shows_both_confusion_matrices_side_by_side(pr_bodies: dict[str, str]) -> None:
    rows = _table(read(pr_bodies["comment"]), "actual ↓ · predicted →")
    assert rows[0] == ["actual ↓ · predicted →", "candidate: 0", "candidate: 1",
                       "production (v0.1.0): 0", "production (v0.1.0): 1"]
    counts = [[int(cell.replace(",", "")) for cell in row[1:]] for row in rows[1:]]
    assert sum(row[0] + row[1] for row in counts) == 1000  # every test row, once per model
    assert [row[:2] for row in counts] == [row[2:] for row in counts]  # the same model retrained


def test_the_comment_says_no_parameter_changed_from_production(pr_bodies: dict[str, str]) -> None:
    assert "Parameters: none changed from production v0.1.0 (10 parameters compared)." in (
        read(pr_bodies["comment"]).text())


def test_the_model_card_records_parameters_data_and_environment(pr_bodies: dict[str, str]) -> None:
    card = read(pr_bodies["release"])
    headings = card.texts_in("h2")
    assert headings[:2] == ["Metrics on the held-out test set", "Confusion matrix"]
    assert {"Hyperparameters", "Data", "Environment"} <= set(headings)
    params = {row[1]: row[2] for row in _table(card, "Path")[1:]}
    assert params["solver"] == "lbfgs" and params["max_iter"] == "1000"
    assert params["features.boolean"] == '["paperless"]'
    data = {row[0]: row[2] for row in _table(card, "role")[1:]}
    assert set(data) == {"train", "test", "reference"} and all(len(v) == 64 for v in data.values())
    environment = dict(row for row in _table(card, "component")[1:])
    assert set(environment) >= {"python", "mlops-ci", "scikit-learn", "numpy", "scipy", "pandas",
                                "skops"}


# hostile names -----------------------------------------------------------------------------


def _hostile_report(name: str) -> str:
    """A report whose run, stage summary (in a collapsed section) and data finding hold
    ``name``: the places an untrusted string reaches the PR comment."""
    finding = Finding("missing_column", "error", name, 1, f"column {name!r} is missing")
    validation = ValidationResult("data/train.csv", 10, ("a",), (finding,))
    result = StageResult(StageName.VALIDATE, "churn", Status.FAILED, f"checked {name}",
                         detail=(validation,))
    run = RunInfo(event="pull_request #7", ref=name, sha="a" * 40, config_id="churn-ci",
                  title=name)
    return render_report(build_report(run, [result]))


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_text_in_html_blocks_and_tables(name: str) -> None:
    markdown = _hostile_report(name)
    clean = _hostile_report("plain")

    rendered, expected = read(markdown), read(clean)

    assert rendered.tags == expected.tags  # no element more or less than for a plain name
    assert rendered.comments == expected.comments  # no comment opened
    assert rendered.tables == [
        [[cell.replace("'plain'", repr(name)).replace("plain", name) for cell in row]
         for row in table]
        for table in expected.tables
    ]
    assert rendered.texts_in("summary")[0] == f"validate: checked {name}"
    assert f"branch {name} ·" in rendered.texts_in("sub")[0]
    assert rendered.text() == expected.text().replace("'plain'", repr(name)).replace(
        "plain", name
    )


def test_the_rendering_check_finds_what_it_looks_for() -> None:
    wrong = (
        "<details><summary>drift \\(0% &lt; 30%\\)</summary>\n\nbody\n\n</details>\n\n"
        "Read /home/runner/work/churn/data/train.csv and &amp;lt;b&amp;gt;\n\n"
        "| metric | value |\n|---|---|\n| a | 0.86614 |\n| b | 0.99 |\n"
    )
    problems = rendering_problems(wrong)
    assert [p.split(":")[0] for p in problems] == [
        "a backslash escape shown as text in <details/summary>",
        "an HTML entity shown as text in <p>",
        "an absolute path",
        "a table mixing number formats",
    ]
    assert rendering_problems("<details><summary>drift (0% &lt; 30%)</summary>\n\nx\n\n"
                              "</details>\n\n| a | 0.002256 |\n|---|---|\n| b | 6.51 |\n") == []


# as a reader sees it: every Mermaid chart drawn -------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["comment", "summary"])
def test_every_chart_of_a_pull_request_report_draws_in_a_browser(
    pr_bodies: dict[str, str], kind: str, tmp_path: Path
) -> None:
    body = pr_bodies[kind]
    drawn = draw(body, tmp_path, kind)
    # drift (one chart) and the curves: ROC, precision-recall, calibration with the map
    assert len(drawn) == body.count("```mermaid") == 4
    assert [d.problem for d in drawn] == [None] * 4
    assert "calibration map" in body


@pytest.mark.browser
def test_every_chart_of_the_monitoring_issue_draws_in_a_browser(
    issue_bodies: dict[str, str], tmp_path: Path
) -> None:
    body = issue_bodies["issue"]
    drawn = draw(body, tmp_path, "issue")
    assert len(drawn) == body.count("```mermaid") >= 1
    assert [d.problem for d in drawn] == [None] * len(drawn)
    assert "Share of drifted columns per run" in drawn[0].text
