"""The two-phase report of a pull request, end to end against the fake GitHub.

Phase 1 is a real ``mlops-ci run`` of the example on a ``pull_request`` (from a fork, or from
the same repository in artifact mode), with the read-only token such a run gets; phase 2 is a
real ``mlops-ci run`` (and ``report --post``) on the ``workflow_run`` event, with a write
token, rendering the comment from the results phase 1 left.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.cli import main
from mlops_ci.commands.report import ShowReportRequest, show_report
from mlops_ci.commands.run import RunOutcome, RunRequest, execute
from mlops_ci.config.model import StageName
from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import Outcome, ReportStamp
from mlops_ci.report.artifact import artifact_document
from mlops_ci.report.model import Report, RunInfo, build_report
from mlops_ci.report.stored import ARTIFACT_FILE, ReportMeta, write_artifact
from mlops_ci.stages.base import StageResult, Status
from tests.commands.repos import example_repo, git
from tests.events.payloads import webhook
from tests.fakegithub import FakeGitHub
from tests.report.gfm import read as gfm_read
from tests.report.gfm import render as gfm_render
from tests.report.hostile_artifact import hostile_document

REPOSITORY = "octo/churn"
FORK = "forker/churn"
PR = 7
BRANCH = "better-model"
READ_ONLY = "ghs_forkreadonlytoken0000000000000000"
CONFIG_ID = "churn-ci"


def pr_payload(head_sha: str, *, fork: bool = True) -> dict[str, object]:
    base = {"full_name": REPOSITORY, "default_branch": "main"}
    head_repo = {"full_name": FORK if fork else REPOSITORY}
    return {
        "action": "synchronize",
        "number": PR,
        "pull_request": {
            "number": PR,
            "title": "A better model",
            "merged": False,
            "head": {"ref": BRANCH, "sha": head_sha, "repo": head_repo},
            "base": {"ref": "main", "sha": head_sha, "repo": base},
        },
        "repository": base,
        "sender": {"login": "forker"},
    }


def workflow_run_payload(head_sha: str, run_id: int) -> dict[str, object]:
    """As GitHub sends it for a fork's run: ``pull_requests`` is empty."""
    return {
        "action": "completed",
        "workflow_run": {
            "id": run_id,
            "name": "mlops",
            "event": "pull_request",
            "status": "completed",
            "conclusion": "success",
            "head_branch": BRANCH,
            "head_sha": head_sha,
            "pull_requests": [],
            "head_repository": {"full_name": FORK},
            "repository": {"full_name": REPOSITORY},
        },
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        "sender": {"login": "forker"},
    }


def run_event(
    repo: Path,
    fake: FakeGitHub,
    name: str,
    payload: dict[str, object],
    *,
    run_id: int,
    token: str,
    pull_request_report: str = "comment",
) -> tuple[RunOutcome, str, dict[str, str]]:
    work = repo.parent / f"runner-{name}-{run_id}"
    work.mkdir(exist_ok=True)
    (work / "event.json").write_text(json.dumps(payload), encoding="utf-8")
    environ = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(work / "event.json"),
        "GITHUB_SHA": "f" * 40,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": token,
        "GITHUB_OUTPUT": str(work / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(work / "summary.md"),
        "GITHUB_WORKSPACE": str(repo),
        "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
    }
    out = io.StringIO()
    request = RunRequest(config=repo / "mlops.yaml",
                         pull_request_report=pull_request_report)  # type: ignore[arg-type]
    outcome = execute(request, environ=environ, out=out)
    files = {
        name: (work / f"{name}.{ext}").read_text(encoding="utf-8")
        if (work / f"{name}.{ext}").exists()
        else ""
        for name, ext in (("output", "txt"), ("summary", "md"))
    }
    return outcome, out.getvalue(), files


def outputs(text: str) -> dict[str, str]:
    blocks = re.findall(r"^([\w-]+)<<(ghadelimiter_[0-9a-f]+)\n(.*?)\n\2$", text, re.M | re.S)
    return {name: value for name, _, value in blocks}


def artifact_of(repo: Path) -> Path:
    return repo / ".mlops" / "report-artifact"


def small_report(summary: str, *, title: str = "A better model") -> Report:
    """A report of one validate stage whose summary is ``summary`` (phase 2 alone)."""
    run = RunInfo(event=f"pull_request #{PR}", ref=BRANCH, sha="a" * 40, config_id=CONFIG_ID,
                  title=title)
    result = StageResult(StageName.VALIDATE, "churn", Status.PASSED, summary, seconds=1.0)
    return build_report(run, [result])


def store(repo: Path, head: str, run_id: int, summary: str, **meta: object) -> Path:
    """An artifact as phase 1 writes it, for tests of phase 2 alone (no training)."""
    fields: dict[str, object] = {
        "config_id": CONFIG_ID,
        "head_sha": head,
        "run_id": run_id,
        "pr_number": PR,
        "head_ref": BRANCH,
        "base_ref": "main",
        "repository": REPOSITORY,
    } | meta
    report = small_report(summary)
    return write_artifact(artifact_of(repo), report, ReportMeta(**fields))  # type: ignore[arg-type]


@pytest.fixture
def fake() -> FakeGitHub:
    with FakeGitHub() as server:
        server.create_repo(REPOSITORY)
        server.add_installation_token(READ_ONLY, read_only=True)
        yield server


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return example_repo(tmp_path)


@pytest.fixture
def head(repo: Path, fake: FakeGitHub) -> str:
    sha = git(repo, "rev-parse", "HEAD")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=sha, head_ref=BRANCH, head_repo=FORK)
    return sha


def our_comments(fake: FakeGitHub) -> list[str]:
    return [c.body for c in fake.repo(REPOSITORY).comments(PR)]


@pytest.mark.slow
def test_fork_pr_stores_its_report_and_workflow_run_posts_it_once(
    repo: Path, fake: FakeGitHub, head: str
) -> None:
    phase1, log, files = run_event(
        repo, fake, "pull_request", pr_payload(head), run_id=100, token=READ_ONLY
    )

    assert phase1.exit_code == 0, log
    assert our_comments(fake) == []
    assert fake.writes() == []  # a fork's token is not even tried
    assert outputs(files["output"])["report_artifact"] == ".mlops/report-artifact"
    assert files["summary"].startswith("### ✅ mlops-ci: all checks passed")
    document = json.loads((artifact_of(repo) / ARTIFACT_FILE).read_text(encoding="utf-8"))
    meta = document["meta"]
    assert (meta["pr_number"], meta["head_sha"], meta["run_id"]) == (PR, head, 100)
    assert sorted(p.name for p in artifact_of(repo).iterdir()) == [ARTIFACT_FILE]
    assert "comes from a fork" in log

    phase2, log2, files2 = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 100), run_id=900, token=fake.token
    )
    first_post = [(r.method, r.route) for r in fake.requests]
    fake.clear_requests()
    again, _, _ = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 100), run_id=901, token=fake.token
    )

    comments = our_comments(fake)
    assert phase2.exit_code == again.exit_code == 0, log2
    assert len(comments) == 1
    assert comments[0].startswith(f"<!-- mlops-ci:report:{CONFIG_ID} -->\n")
    assert f"<!-- mlops-ci:stamp head={head} run=100 -->" in comments[0]
    assert "of a pull request from forker/churn, whose token could only read" in comments[0]
    assert "### ✅ mlops-ci: all checks passed" in comments[0]  # rendered from the results
    assert "| accuracy" in comments[0]  # the evaluation's metric table, rendered here
    assert outputs(files2["output"])["report_url"] == phase2.comment_url
    pulls, comments_route = "/api/v3/repos/{owner}/{repo}/pulls", "/api/v3/repos/{owner}/{repo}"
    comments_route += "/issues/{issue_number}/comments"
    assert first_post == [
        ("GET", pulls), ("GET", comments_route), ("POST", comments_route), ("GET", comments_route)
    ]  # the last GET: created comments are read again, so two racing runs keep one
    assert fake.writes() == []  # the rerun found the same comment unchanged
    shown = io.StringIO()
    show_report(ShowReportRequest(run_dir=repo / ".mlops" / "run", json=True), out=shown)
    assert json.loads(shown.getvalue())["run"]["event"] == f"pull_request #{PR}"


def test_init_writes_the_workflow_run_job_with_least_permissions(tmp_path: Path) -> None:
    import yaml

    assert main(["init", str(tmp_path)], stderr=io.StringIO()) == 0
    report = yaml.safe_load((tmp_path / ".github/workflows/mlops-report.yml").read_text("utf-8"))
    main_workflow = yaml.safe_load((tmp_path / ".github/workflows/mlops.yml").read_text("utf-8"))

    job = report["jobs"]["report"]
    steps = [step.get("uses", "") for step in job["steps"]]
    upload = [
        s
        for s in main_workflow["jobs"]["pull-request"]["steps"]
        if "upload-artifact" in s.get("uses", "")
    ]
    assert report[True] == {
        "workflow_run": {"workflows": [main_workflow["name"]], "types": ["completed"]}
    }
    assert report["permissions"] == {}
    assert job["permissions"] == {"pull-requests": "write", "actions": "read"}
    assert steps[1].startswith("actions/download-artifact@")
    assert job["steps"][1]["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert job["steps"][1]["with"]["name"] == upload[0]["with"]["name"]
    assert upload[0]["with"]["path"] == "${{ steps.mlops.outputs.report_artifact }}"
    assert upload[0]["with"]["include-hidden-files"] is True


def test_a_read_only_token_on_a_same_repository_pr_stores_the_report_too(
    repo: Path, fake: FakeGitHub
) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=sha, head_ref=BRANCH)

    outcome, log, files = run_event(
        repo, fake, "pull_request", pr_payload(sha, fork=False), run_id=100, token=READ_ONLY
    )

    refused = [r for r in fake.writes() if r.status == 403]
    assert outcome.exit_code == 0, log
    assert our_comments(fake) == []
    assert len(refused) == 1 and refused[0].path.endswith(f"/issues/{PR}/comments")
    assert "Resource not accessible by integration" in log
    assert outputs(files["output"])["report_artifact"] == ".mlops/report-artifact"
    assert (artifact_of(repo) / ARTIFACT_FILE).is_file()


def test_a_newer_run_edits_the_comment_and_an_older_one_never_replaces_it(
    repo: Path, fake: FakeGitHub, head: str
) -> None:
    store(repo, head, 100, "report of run 100\n")
    first, _, _ = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 100), run_id=900, token=fake.token
    )
    older_artifact = repo.parent / "artifact-100"
    shutil.copytree(artifact_of(repo), older_artifact)
    store(repo, head, 101, "report of run 101\n")
    second, _, _ = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 101), run_id=901, token=fake.token
    )
    shutil.rmtree(artifact_of(repo))
    shutil.copytree(older_artifact, artifact_of(repo))
    late, log, _ = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 100), run_id=902, token=fake.token
    )

    comments = fake.repo(REPOSITORY).comments(PR)
    assert [first.exit_code, second.exit_code, late.exit_code] == [0, 0, 0]
    assert len(comments) == 1
    assert "report of run 101" in comments[0].body
    assert first.comment_url == second.comment_url
    assert "skipped_stale" in log


def test_a_forged_marker_in_the_artifact_cannot_take_over_another_comment(
    repo: Path, fake: FakeGitHub, head: str
) -> None:
    forged = (
        "<!-- mlops-ci:report:other-config -->\n"
        "<!-- mlops-ci:stamp head=0 run=99999999999 -->\n"
        "<!--mlops-ci:issue:drift-churn -->\n"
        "looks like a report"
    )
    store(repo, head, 100, forged)
    posted, log, _ = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 100), run_id=900, token=fake.token
    )
    api = GitHubApi(
        api_url=fake.api_url, token=fake.token, repository=REPOSITORY, seconds_between_writes=0
    )
    other = GitHubForge(api).upsert_report_comment(
        PR, "other-config", "the other config's report", ReportStamp(head, 5)
    )

    bodies = our_comments(fake)
    assert posted.exit_code == 0, log
    assert other.outcome is Outcome.CREATED  # not an edit of the forged comment
    assert len(bodies) == 2
    ours = next(body for body in bodies if "looks like a report" in body)
    assert ours.count("<!-- mlops-ci:") == 2  # only the two markers we generated
    assert f"<!-- mlops-ci:stamp head={head} run=100 -->" in ours
    assert "the other config's report" not in ours


def test_a_tampered_pr_number_is_refused_with_exit_2(
    repo: Path, fake: FakeGitHub, head: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.repo(REPOSITORY).add_pull(8, head_sha="e" * 40, head_ref="victim")
    artifact = store(repo, head, 100, "for the wrong PR\n", pr_number=8)
    event = repo.parent / "event.json"
    event.write_text(json.dumps(workflow_run_payload(head, 100)), encoding="utf-8")
    for name, value in {
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
        "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    err = io.StringIO()

    code = main(["report", "--post", str(artifact), "-c", str(repo / "mlops.yaml")], stderr=err)

    assert code == 2
    assert "claims pull request #8, but the open pull request with head" in err.getvalue()
    assert fake.writes() == []
    assert fake.repo(REPOSITORY).comments(8) == []


def test_an_artifact_for_another_commit_than_the_run_is_refused(
    repo: Path, fake: FakeGitHub, head: str
) -> None:
    store(repo, "d" * 40, 100, "a report of another commit\n")
    with pytest.raises(Exception) as raised:
        run_event(
            repo,
            fake,
            "workflow_run",
            workflow_run_payload(head, 100),
            run_id=900,
            token=fake.token,
        )
    assert "refused: the stored report names commit dddddddddddd of run 100" in str(raised.value)
    assert fake.writes() == []


def test_no_open_pull_with_that_head_posts_nothing(repo: Path, fake: FakeGitHub) -> None:
    head = git(repo, "rev-parse", "HEAD")
    fake.repo(REPOSITORY).add_pull(PR, head_sha="c" * 40, head_ref=BRANCH, head_repo=FORK)
    store(repo, head, 100, "stale: the PR was pushed to since\n")

    outcome, log, _ = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 100), run_id=900, token=fake.token
    )

    assert outcome.exit_code == 0
    assert "no open pull request has head" in log
    assert fake.writes() == []


def test_without_an_artifact_workflow_run_posts_nothing(
    repo: Path, fake: FakeGitHub, head: str
) -> None:
    outcome, log, _ = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 100), run_id=900, token=fake.token
    )
    assert outcome.exit_code == 0
    assert "no stored report at" in log
    assert fake.requests == []


def real_workflow_run(head_sha: str, run_id: int, *, fork: bool = True) -> dict[str, object]:
    """GitHub's own workflow_run example, made to name this repository's pull request run
    (a same-repository run links its pull request; a fork's does not)."""
    payload = webhook("workflow_run.completed.1.json")
    run = payload["workflow_run"]
    run.update(id=run_id, event="pull_request", head_branch=BRANCH, head_sha=head_sha,
               pull_requests=[] if fork else [{"number": PR, "head": {"sha": head_sha}}])
    run["head_repository"]["full_name"] = FORK if fork else REPOSITORY
    run["repository"]["full_name"] = REPOSITORY
    payload["repository"].update(full_name=REPOSITORY, default_branch="main")
    return payload


@pytest.mark.slow
@pytest.mark.github_corpus
def test_a_same_repository_pr_in_artifact_mode_stores_results_and_posts_nothing(
    repo: Path, fake: FakeGitHub
) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=sha, head_ref=BRANCH)

    phase1, log, files = run_event(
        repo, fake, "pull_request", pr_payload(sha, fork=False), run_id=100,
        token=fake.token, pull_request_report="artifact",  # a token that could comment
    )

    assert phase1.exit_code == 0, log
    assert fake.writes() == []  # not even tried: the artifact is the way
    assert our_comments(fake) == []
    assert outputs(files["output"])["report_artifact"] == ".mlops/report-artifact"
    assert [p.name for p in artifact_of(repo).iterdir()] == [ARTIFACT_FILE]
    document = json.loads((artifact_of(repo) / ARTIFACT_FILE).read_text(encoding="utf-8"))
    assert document["format"] == 2 and document["meta"]["head_sha"] == sha

    phase2, log2, _ = run_event(
        repo, fake, "workflow_run", real_workflow_run(sha, 100, fork=False), run_id=900,
        token=fake.token,
    )

    (comment,) = our_comments(fake)
    assert phase2.exit_code == 0, log2
    assert comment.startswith(f"<!-- mlops-ci:report:{CONFIG_ID} -->\n")
    assert phase1.markdown is not None
    headline = phase1.markdown.splitlines()[0]
    assert headline in comment  # the same renderer, the same words
    assert "| accuracy" in comment


@pytest.mark.github_corpus
def test_a_hostile_artifact_is_posted_inert_with_its_footer(
    repo: Path, fake: FakeGitHub, head: str
) -> None:
    meta = {"config_id": CONFIG_ID, "head_sha": head, "run_id": 100, "pr_number": PR,
            "head_ref": BRANCH, "base_ref": "main", "repository": REPOSITORY}
    document = hostile_document(meta)
    document["report"]["run"]["run_url"] = "https://evil.example/phish"
    artifact_of(repo).mkdir(parents=True)
    (artifact_of(repo) / ARTIFACT_FILE).write_text(json.dumps(document), encoding="utf-8")

    posted, log, _ = run_event(
        repo, fake, "workflow_run", real_workflow_run(head, 100), run_id=900, token=fake.token
    )

    (body,) = our_comments(fake)
    rendered = gfm_read(body)
    links = re.findall(r'<a href="([^"]*)"', gfm_render(body))
    assert posted.exit_code == 0, log
    assert body.count("<!-- mlops-ci:") == 2  # only the markers we wrote
    assert [c.strip().split(" ")[0] for c in rendered.comments] == [
        f"mlops-ci:report:{CONFIG_ID}", "mlops-ci:stamp"]
    assert "img" not in rendered.tags
    assert links == [f"https://github.com/{REPOSITORY}/actions/runs/100"] * 2  # ours only
    assert body.rstrip().endswith("posted by the base repository's workflow\\_run job._")
    assert "evil.example/phish" not in body


def test_an_invalid_artifact_is_refused_with_exit_2_naming_the_json_path(
    repo: Path, fake: FakeGitHub, head: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = ReportMeta(CONFIG_ID, head, 100, PR, BRANCH, "main", REPOSITORY)
    document = artifact_document(small_report("ok"), meta)
    document["report"]["models"][0]["results"][0]["status"] = "approved"
    document["report"]["notes"] = ["x" * 5000]
    artifact_of(repo).mkdir(parents=True)
    path = artifact_of(repo) / ARTIFACT_FILE
    path.write_text(json.dumps(document), encoding="utf-8")
    event = repo.parent / "event.json"
    event.write_text(json.dumps(workflow_run_payload(head, 100)), encoding="utf-8")
    for name, value in {
        "GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    err = io.StringIO()

    code = main(["report", "--post", str(artifact_of(repo)), "-c", str(repo / "mlops.yaml")],
                stderr=err)

    assert code == 2
    assert str(path) in err.getvalue()
    assert "$.report.models[0].results[0].status: expected one of" in err.getvalue()
    assert "$.report.notes[0]: longer than 4,000 characters" in err.getvalue()
    assert fake.writes() == []


def _workflows(directory: Path, *flags: str) -> tuple[dict[str, Any], dict[str, Any]]:
    import yaml

    assert main(["init", str(directory), *flags], stderr=io.StringIO()) == 0
    folder = directory / ".github" / "workflows"
    return (yaml.safe_load((folder / "mlops.yml").read_text("utf-8")),
            yaml.safe_load((folder / "mlops-report.yml").read_text("utf-8")))


def _checkouts(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]
            if step.get("uses", "").startswith("actions/checkout@")]


def test_init_runs_every_pull_request_with_a_read_only_token(tmp_path: Path) -> None:
    main_workflow, report = _workflows(tmp_path)

    job = main_workflow["jobs"]["pull-request"]
    action = next(s for s in job["steps"] if s.get("uses", "").startswith("mlops-ci/mlops-ci@"))
    assert job["permissions"] == {"contents": "read"}
    assert action["with"]["pull_request_report"] == "artifact"
    checkouts = _checkouts(main_workflow) + _checkouts(report)
    assert len(checkouts) == len(main_workflow["jobs"]) + 1
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)
    assert report["jobs"]["report"]["permissions"] == {"pull-requests": "write", "actions": "read"}


def test_init_single_job_pr_is_the_opt_in_that_comments_from_the_pr_job(tmp_path: Path) -> None:
    main_workflow, report = _workflows(tmp_path, "--single-job-pr")

    job = main_workflow["jobs"]["pull-request"]
    action = next(s for s in job["steps"] if s.get("uses", "").startswith("mlops-ci/mlops-ci@"))
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert action["with"]["pull_request_report"] == "comment"
    assert all(s["with"]["persist-credentials"] is False for s in _checkouts(main_workflow))
    assert "report" in report["jobs"]  # forks still post through it


def test_a_report_too_long_for_a_comment_is_cut_and_keeps_its_footer(
    repo: Path, fake: FakeGitHub, head: str
) -> None:
    meta = ReportMeta(CONFIG_ID, head, 100, PR, BRANCH, "main", REPOSITORY)
    document = artifact_document(small_report("ok"), meta)
    document["report"]["notes"] = ["<!-- " + "n" * 3_900] * 800  # 3 MB of notes, each unclosed
    artifact_of(repo).mkdir(parents=True)
    (artifact_of(repo) / ARTIFACT_FILE).write_text(json.dumps(document), encoding="utf-8")

    posted, log, _ = run_event(
        repo, fake, "workflow_run", workflow_run_payload(head, 100), run_id=900, token=fake.token
    )

    (body,) = our_comments(fake)
    assert posted.exit_code == 0, log
    assert len(body) <= 65_536
    assert body.count("<!--") == 2  # our two markers; no note opened a comment
    assert body.rstrip().endswith("posted by the base repository's workflow\\_run job._")
