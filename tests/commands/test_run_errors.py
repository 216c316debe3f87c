"""A run an error stops still leaves its own report: summary, PR comment, ``mlops-ci report``.

A pull request whose ``train.py`` raises: the run exits 2 with the error on stderr as ever,
and the job summary, the one PR comment and ``mlops-ci report`` all show this commit's
report, naming the stage and showing the traceback's lines as lines. The next, fixed commit
edits the same comment. Real git repositories, the example's own training, real HTTP to the
fake GitHub or the local outbox.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.commands.report import ShowReportRequest, show_report
from mlops_ci.commands.run import RunRequest, execute
from mlops_ci.errors import EXIT_USER_ERROR, UserError
from tests.commands.repos import PR, REPOSITORY, example_repo, git, pr_payload
from tests.fakegithub import FakeGitHub

BROKEN_TRAIN = '''\
print("reading the training data")
print("```")  # a fence in the output must not close the report's block


def load(column):
    raise ValueError(f"column {column!r} holds text: 'n/a' | <b>@everyone</b>")


load("tenure_months")
'''


def break_training(repo: Path) -> tuple[str, str]:
    """Commit a ``train.py`` that raises; the new head and the working one's text."""
    train = repo / "train.py"
    working = train.read_text(encoding="utf-8")
    train.write_text(BROKEN_TRAIN, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "a training script that raises")
    return git(repo, "rev-parse", "HEAD"), working


def fix_training(repo: Path, working: str) -> str:
    (repo / "train.py").write_text(working, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "fix the training script")
    return git(repo, "rev-parse", "HEAD")


def pr_environ(repo: Path, head: str, run_id: int, **extra: str) -> dict[str, str]:
    event = repo.parent / f"event-{run_id}.json"
    event.write_text(json.dumps(pr_payload(head)), encoding="utf-8")
    return {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": "f" * 40,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_OUTPUT": str(repo.parent / f"output-{run_id}.txt"),
        "GITHUB_STEP_SUMMARY": str(repo.parent / f"summary-{run_id}.md"),
        **extra,
    }


def on_github(fake: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
        "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
    }


def assert_reports_the_failed_training(body: str, head: str) -> None:
    assert "### ⛔ mlops-ci: stopped by an error in churn train" in body
    assert f"commit {head[:12]}" in body
    assert "churn train stopped the run (exit 2:" in body
    assert "failed with exit code 1" in body
    block = re.search(r"^(`{4,})text\n(.*?)\n\1$", body, re.M | re.S)
    assert block is not None, body  # a fence longer than the ``` the script printed
    lines = block.group(2).split("\n")
    assert lines[0] == "reading the training data"
    assert "Traceback (most recent call last):" in lines
    assert lines[-1] == (
        "ValueError: column 'tenure_months' holds text: 'n/a' | <b>@everyone</b>"
    )
    assert "\\n" not in block.group(2)
    outside = body.replace(block.group(0), "")
    assert "<b>" not in outside and "@everyone" not in outside
    assert re.search(r"\| evaluate +\| ⏭️ skipped +\| not run: churn train stopped the run", body)


@pytest.fixture
def fake() -> FakeGitHub:
    with FakeGitHub() as server:
        server.create_repo(REPOSITORY)
        yield server


def test_failed_training_on_a_pr_replaces_the_comment_and_the_fixed_push_edits_it(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    repo = example_repo(tmp_path)
    pull = fake.repo(REPOSITORY).add_pull(
        PR, head_sha=git(repo, "rev-parse", "HEAD"), head_ref="retrain", title="Retrain"
    )
    passed = execute(
        RunRequest(config=repo / "mlops.yaml"),
        environ=pr_environ(repo, pull.head_sha, 100, **on_github(fake)),
        out=io.StringIO(),
    )
    assert passed.exit_code == 0
    broken, working = break_training(repo)
    pull.head_sha = broken
    environ = pr_environ(repo, broken, 101, **on_github(fake))
    log = io.StringIO()

    with pytest.raises(UserError) as raised:
        execute(RunRequest(config=repo / "mlops.yaml"), environ=environ, out=log)

    assert raised.value.exit_code == EXIT_USER_ERROR
    (comment,) = fake.repo(REPOSITORY).comments(PR)
    assert_reports_the_failed_training(comment.body or "", broken)
    assert f"head={broken} run=101" in (comment.body or "")
    summary = Path(environ["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert_reports_the_failed_training(summary, broken)
    output = Path(environ["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert re.search(r"verdict<<(ghadelimiter_[0-9a-f]+)\nerror\n\1\n", output)
    assert "report_url<<" in output

    fixed = fix_training(repo, working)
    pull.head_sha = fixed
    again = execute(
        RunRequest(config=repo / "mlops.yaml"),
        environ=pr_environ(repo, fixed, 102, **on_github(fake)),
        out=io.StringIO(),
    )

    assert again.exit_code == 0
    (edited,) = fake.repo(REPOSITORY).comments(PR)
    assert edited.id == comment.id
    assert "mlops-ci: all checks passed" in (edited.body or "")
    assert "Traceback" not in (edited.body or "")


def use_local_pr_environ(monkeypatch: pytest.MonkeyPatch, repo: Path, head: str) -> None:
    """A pull request run of ``head`` with no token: the report goes to the local outbox."""
    for key, value in pr_environ(repo, head, 0).items():
        monkeypatch.setenv(key, value)
    for key in ("GITHUB_TOKEN", "GH_TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_ACTIONS"):
        monkeypatch.delenv(key, raising=False)


def test_failed_training_with_the_outbox_exits_2_and_mlops_ci_report_shows_this_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = example_repo(tmp_path)
    first = git(repo, "rev-parse", "HEAD")
    use_local_pr_environ(monkeypatch, repo, first)
    assert main(["run", "--config", str(repo / "mlops.yaml")]) == 0
    broken, working = break_training(repo)
    for key, value in pr_environ(repo, broken, 0).items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()

    code = main(["run", "--config", str(repo / "mlops.yaml")])

    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR
    assert re.search(r"^error: the training command of churn .* failed with exit code 1", err,
                     re.M)
    assert "\n    Traceback (most recent call last):\n" in err  # lines, not a literal \n
    outbox = repo / ".mlops" / "outbox" / "comments"
    (comment,) = outbox.iterdir()
    assert_reports_the_failed_training(comment.read_text(encoding="utf-8"), broken)

    assert main(["report", "--config", str(repo / "mlops.yaml")]) == 0
    shown = capsys.readouterr().out
    assert_reports_the_failed_training(shown, broken)
    as_json = io.StringIO()
    show_report(ShowReportRequest(run_dir=repo / ".mlops" / "run", json=True), out=as_json)
    data = json.loads(as_json.getvalue())
    assert data["status"] == "error"
    assert data["error"]["step"] == "train" and data["error"]["model"] == "churn"
    assert data["error"]["exit_code"] == 2
    assert "Traceback (most recent call last):" in data["error"]["output"]

    fixed = fix_training(repo, working)
    for key, value in pr_environ(repo, fixed, 0).items():
        monkeypatch.setenv(key, value)
    assert main(["run", "--config", str(repo / "mlops.yaml")]) == 0
    (edited,) = outbox.iterdir()
    assert edited == comment
    assert "all checks passed" in edited.read_text(encoding="utf-8")


def test_an_error_before_any_stage_still_reports_where_it_stopped(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    environ = pr_environ(repo, head, 7)
    Path(environ["GITHUB_EVENT_PATH"]).write_text("{not json", encoding="utf-8")

    with pytest.raises(UserError):
        execute(RunRequest(config=repo / "mlops.yaml"), environ=environ, out=io.StringIO())

    report = (repo / ".mlops" / "run" / "report.md").read_text(encoding="utf-8")
    summary = Path(environ["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    for text in (report, summary):
        assert text.startswith("### ⛔ mlops-ci: stopped by an error in event\n")
        assert "event stopped the run (exit 2:" in text
        assert f"commit {head[:12]}" in text  # the checkout's own commit


def test_a_run_with_nothing_to_do_leaves_its_own_report_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    use_local_pr_environ(monkeypatch, repo, head)
    assert main(["run", "--config", str(repo / "mlops.yaml")]) == 0  # a report with metrics
    push = repo.parent / "push-feature.json"
    push.write_text(json.dumps({"ref": "refs/heads/feature/<b>x</b>", "after": head,
                                "before": "0" * 40, "repository": {"full_name": REPOSITORY}}),
                    encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(push))
    capsys.readouterr()

    assert main(["run", "--config", str(repo / "mlops.yaml")]) == 0

    assert "plan: nothing to run" in capsys.readouterr().out
    assert main(["report", "--config", str(repo / "mlops.yaml")]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("### ⏭️ mlops-ci: nothing to do\n")
    assert "feature/&lt;b&gt;x&lt;/b&gt;" in shown  # the plan's reason, the branch escaped
    assert "Metrics on" not in shown  # not the previous run's report
    summary = Path(os.environ["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.rstrip().endswith(shown.rstrip().splitlines()[-1])
