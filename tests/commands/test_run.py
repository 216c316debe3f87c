"""``mlops-ci run`` on the example against the fake GitHub: the PR report, gates, the merge flow.

Real git repositories with a bare remote, real HTTP through PyGithub to the fake server, the
example's own train.py as the training command.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from mlops_ci.commands.run import RunOutcome, RunRequest, execute
from mlops_ci.errors import UserError
from tests.commands.repos import (
    PR,
    REPOSITORY,
    example_repo,
    git,
    pr_payload,
    push_payload,
    shallow_clone,
)
from tests.fakegithub import FakeGitHub


def run_event(
    repo: Path,
    fake: FakeGitHub,
    name: str,
    payload: dict[str, object],
    *,
    run_id: int,
    sha: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> tuple[RunOutcome, str, dict[str, str]]:
    event = repo.parent / f"event-{run_id}.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    output = repo.parent / f"output-{run_id}.txt"
    summary = repo.parent / f"summary-{run_id}.md"
    environ = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": sha or "f" * 40,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "MLOPS_CI_SECONDS_BETWEEN_WRITES": "0",
        **(extra_env or {}),
    }
    out = io.StringIO()
    outcome = execute(RunRequest(config=repo / "mlops.yaml"), environ=environ, out=out)
    files = {
        "output": output.read_text(encoding="utf-8") if output.exists() else "",
        "summary": summary.read_text(encoding="utf-8") if summary.exists() else "",
    }
    return outcome, out.getvalue(), files


@pytest.fixture
def fake() -> FakeGitHub:
    with FakeGitHub() as server:
        server.create_repo(REPOSITORY)
        yield server


def test_pr_run_leaves_one_comment_and_a_rerun_edits_it(tmp_path: Path, fake: FakeGitHub) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref="retrain", title="Retrain")

    first, log, _ = run_event(repo, fake, "pull_request", pr_payload(head), run_id=100)
    second, _, _ = run_event(repo, fake, "pull_request", pr_payload(head), run_id=101)

    comments = fake.repo(REPOSITORY).comments(PR)
    assert first.exit_code == 0, log
    assert second.exit_code == 0
    assert len(comments) == 1
    assert "<!-- mlops-ci:report:churn-ci -->" in comments[0].body
    assert "roc\\_auc" in comments[0].body
    assert "calibration for production estimates: platt calibration on 1,000 test rows" in (
        comments[0].body.lower()
    )
    assert first.comment_url is not None and first.comment_url == second.comment_url


def test_worse_candidate_fails_its_gate_with_exit_1_and_the_comment_names_it(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    repo = example_repo(tmp_path, gate="{metric: roc_auc, min: 0.99}")
    head = git(repo, "rev-parse", "HEAD")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref="retrain", title="Retrain")

    outcome, _, files = run_event(repo, fake, "pull_request", pr_payload(head), run_id=100)

    body = fake.repo(REPOSITORY).comments(PR)[0].body
    assert outcome.exit_code == 1
    assert "mlops-ci: checks failed: churn evaluate" in body
    assert "evaluate.gates\\[0\\].min" in body
    assert re.search(r"verdict<<(ghadelimiter_[0-9a-f]+)\nfailed\n\1\n", files["output"])


def test_hostile_branch_and_title_render_inert(tmp_path: Path, fake: FakeGitHub) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    branch = "x<img src=x onerror=alert(1)>|`$(rm -rf ~)`"
    title = "[click](https://evil.example) @everyone <script>alert(1)</script>"
    fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref=branch, title=title)

    outcome, _, files = run_event(
        repo, fake, "pull_request", pr_payload(head, branch=branch, title=title), run_id=100
    )

    body = fake.repo(REPOSITORY).comments(PR)[0].body
    assert outcome.exit_code == 0
    for text in (body, files["summary"]):
        assert "<img" not in text and "<script" not in text
        assert "](https://evil" not in text
        assert "@everyone" not in text
        assert "`$(rm" not in text


def test_runner_files_and_groups_are_in_the_runner_formats(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref="retrain", title="Retrain")

    _, log, files = run_event(repo, fake, "pull_request", pr_payload(head), run_id=100)

    assert "::group::[1/4] churn: validate" in log
    assert log.count("::group::") == log.count("::endgroup::") == 4
    assert files["summary"].startswith("### ✅ mlops-ci: all checks passed")
    blocks = re.findall(
        r"^(\w+)<<(ghadelimiter_[0-9a-f]+)\n(.*?)\n\2$", files["output"], re.M | re.S
    )
    outputs = {name: value for name, _, value in blocks}
    assert set(outputs) >= {"verdict", "report_path", "report_url", "drift", "gates"}
    assert outputs["verdict"] == "passed"


def test_merge_registers_once_and_a_rerun_writes_nothing(tmp_path: Path, fake: FakeGitHub) -> None:
    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")

    first, log, files = run_event(repo, fake, "push", push_payload(head), run_id=200, sha=head)
    snapshot = fake.snapshot()
    writes = len(fake.writes())
    second, _, _ = run_event(repo, fake, "push", push_payload(head), run_id=201, sha=head)

    remote_tags = git(repo, "ls-remote", "--tags", "origin")
    releases = fake.repo(REPOSITORY).releases
    assert first.exit_code == 0, log
    assert second.exit_code == 0
    assert "refs/tags/churn@v0.1.0" in remote_tags
    assert len(releases) == 1
    assets = sorted(a.name for a in fake.repo(REPOSITORY).assets(releases[0].id))
    assert assets == ["SHA256SUMS", "calibration.json", "metrics.json", "model-card.md",
                      "model.skops", "params.json"]
    assert "model_version<<" in files["output"]
    assert fake.snapshot() == snapshot
    assert len(fake.writes()) == writes


def test_a_pushed_registration_tag_gets_its_release_once(tmp_path: Path, fake: FakeGitHub) -> None:
    """`gto register` on a laptop pushes churn@v1.2.0: the run for that tag trains and
    evaluates the commit and releases that version, not the next bump; a rerun writes nothing."""
    from mlops_ci.registry.store import RegistryStore

    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    RegistryStore(repo).register("churn", version="v1.2.0")  # tags and pushes, as gto would
    event = push_payload(head, ref="refs/tags/churn@v1.2.0")

    first, log, files = run_event(repo, fake, "push", event, run_id=250, sha=head)
    writes = len(fake.writes())
    second, _, _ = run_event(repo, fake, "push", event, run_id=251, sha=head)

    assert first.exit_code == 0, log
    assert second.exit_code == 0
    remote_tags = git(repo, "ls-remote", "--tags", "origin")
    assert "refs/tags/churn@v1.2.0" in remote_tags
    assert "churn@v0.1.0" not in remote_tags and "churn@v1.2.1" not in remote_tags
    [release] = fake.repo(REPOSITORY).releases
    assert release.tag_name == "churn@v1.2.0"
    assets = sorted(a.name for a in fake.repo(REPOSITORY).assets(release.id))
    assert assets == ["SHA256SUMS", "calibration.json", "metrics.json", "model-card.md",
                      "model.skops", "params.json"]
    assert "model_version<<" in files["output"] and "\nv1.2.0\n" in files["output"]
    assert len(fake.writes()) == writes


def test_shallow_clone_finds_the_registry_and_compares_with_production(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    from mlops_ci.registry.store import RegistryStore

    repo = example_repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    first, log, _ = run_event(repo, fake, "push", push_payload(head), run_id=300, sha=head)
    assert first.exit_code == 0, log
    RegistryStore(repo).promote("churn", "v0.1.0", "production")
    (repo / "NOTES.md").write_text("a change after v0.1.0\n", encoding="utf-8")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-q", "-m", "notes")
    git(repo, "push", "-q", "origin", "main")
    clone = shallow_clone(repo, tmp_path / "clone")
    new_head = git(clone, "rev-parse", "HEAD")

    outcome, log, _ = run_event(
        clone, fake, "push", push_payload(new_head), run_id=301, sha=new_head
    )

    assert outcome.exit_code == 0, log
    assert outcome.report is not None
    evaluate = outcome.report.models[0].results[3]
    assert getattr(evaluate.detail, "production_version", None) == "v0.1.0"
    assert "refs/tags/churn@v0.2.0" in git(repo, "ls-remote", "--tags", "origin")


def test_an_unknown_model_to_run_is_a_user_error_naming_the_known_ones(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    request = RunRequest(config=repo / "mlops.yaml", models=("churn", "chrun"))
    with pytest.raises(UserError, match=r"no model 'chrun' in .*mlops\.yaml") as caught:
        execute(request, environ={"PATH": "/usr/bin:/bin"}, out=io.StringIO())
    assert caught.value.hint == "models: churn"


def test_a_run_folder_that_is_a_file_is_a_user_error_before_any_stage(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    taken = tmp_path / "run.txt"
    taken.write_text("", encoding="utf-8")
    out = io.StringIO()
    request = RunRequest(config=repo / "mlops.yaml", run_dir=taken)
    message = f"run folder {taken}: a file, not a folder"
    with pytest.raises(UserError, match=re.escape(message)):
        execute(request, environ={"PATH": "/usr/bin:/bin"}, out=out)
    assert "== " not in out.getvalue()  # no stage started
