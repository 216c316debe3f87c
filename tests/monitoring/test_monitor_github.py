"""``mlops-ci monitor`` against the fake GitHub: one issue per model, one dispatch per run.

Each run is a new job: a new forge from the environment, the same workspace. A rerun is the
same ``GITHUB_RUN_ID`` again; it must not write anything (no request other than GET).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_ci.monitoring.history import parse_history
from tests.fakegithub import FakeGitHub, Fault
from tests.monitoring.conftest import (
    CLOCK,
    REPOSITORY,
    github_environ,
    run_monitor,
    use_production,
)

MARKER = "<!-- mlops-ci:issue:monitor:churn -->"


def issues(fake: FakeGitHub) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = fake.snapshot()[REPOSITORY]["issues"]
    return found


def dispatches(fake: FakeGitHub) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = fake.snapshot()[REPOSITORY]["dispatches"]
    return found


def rerun_writes_nothing(fake: FakeGitHub, workspace: Path, run_id: str, code: int) -> None:
    before = fake.snapshot()
    fake.clear_requests()
    an_hour_later = CLOCK + 3600  # a rerun happens later: its first timestamp must be kept
    again = run_monitor(workspace, github_environ(fake, run_id), clock=an_hour_later)
    assert again.code == code
    assert [(r.method, r.path) for r in fake.writes()] == []
    assert fake.snapshot() == before


def test_drifted_sample_opens_one_issue_and_sends_one_dispatch(
    fake: FakeGitHub, workspace: Path
) -> None:
    run = run_monitor(workspace, github_environ(fake, "1001"))

    assert run.code == 1
    [issue] = issues(fake)
    assert issue["state"] == "open"
    assert issue["body"].startswith(MARKER)
    assert issue["title"] == "Data drift in production for churn v0.1.0"
    assert issue["labels"] == ["drift", "mlops"]
    assert "monthly\\_charges" in issue["body"]
    [dispatch] = dispatches(fake)
    assert dispatch["kind"] == "repository_dispatch"
    assert dispatch["event_type"] == "mlops-retrain"
    assert dispatch["client_payload"] == {
        "model": "churn", "version": "v0.1.0", "reason": "drift in production data",
        "run_id": "1001",
    }
    [gate] = issue["comments"]
    assert "Retraining requested" in gate["body"]
    model = run.json["models"][0]  # type: ignore[index]
    assert model["issue"]["number"] == 1 and model["dispatch"]["outcome"] == "sent"


def test_rerun_of_a_drifted_run_changes_nothing(fake: FakeGitHub, workspace: Path) -> None:
    assert run_monitor(workspace, github_environ(fake, "1001")).code == 1
    rerun_writes_nothing(fake, workspace, "1001", code=1)
    assert len(dispatches(fake)) == 1


def test_second_drifted_run_updates_the_same_issue(fake: FakeGitHub, workspace: Path) -> None:
    run_monitor(workspace, github_environ(fake, "1001"))
    second = run_monitor(workspace, github_environ(fake, "1002"))

    assert second.code == 1
    [issue] = issues(fake)
    trend = parse_history(issue["body"]).entries
    assert [entry.run_id for entry in trend] == ["1001", "1002"]
    assert "last 2 runs" in issue["body"]
    assert [d["client_payload"]["run_id"] for d in dispatches(fake)] == ["1001", "1002"]
    rerun_writes_nothing(fake, workspace, "1002", code=1)


def test_clean_run_comments_and_closes_the_issue(fake: FakeGitHub, workspace: Path) -> None:
    run_monitor(workspace, github_environ(fake, "1001"))
    use_production(workspace, "production_clean.csv")
    clean = run_monitor(workspace, github_environ(fake, "1003"))

    assert clean.code == 0
    [issue] = issues(fake)
    assert issue["state"] == "closed"
    assert "Cleared by monitoring run 1003" in issue["comments"][-1]["body"]
    trend = parse_history(issue["body"]).entries
    assert [(e.run_id, e.alert) for e in trend] == [("1001", True), ("1003", False)]
    assert len(dispatches(fake)) == 1
    rerun_writes_nothing(fake, workspace, "1003", code=0)


def test_clean_run_without_an_issue_writes_nothing(fake: FakeGitHub, workspace: Path) -> None:
    use_production(workspace, "production_clean.csv")
    run = run_monitor(workspace, github_environ(fake, "1001"))
    assert run.code == 0
    assert fake.writes() == []
    assert issues(fake) == []


def test_drift_after_closing_reopens_the_same_issue_with_its_trend(
    fake: FakeGitHub, workspace: Path
) -> None:
    run_monitor(workspace, github_environ(fake, "1001"))
    use_production(workspace, "production_clean.csv")
    run_monitor(workspace, github_environ(fake, "1002"))
    use_production(workspace, "production.csv")
    again = run_monitor(workspace, github_environ(fake, "1003"))

    assert again.code == 1
    [issue] = issues(fake)
    assert issue["state"] == "open"
    assert [e.run_id for e in parse_history(issue["body"]).entries] == ["1001", "1002", "1003"]


def test_second_attempt_of_a_run_does_not_dispatch_again(
    fake: FakeGitHub, workspace: Path
) -> None:
    run_monitor(workspace, github_environ(fake, "1001"))
    attempt = run_monitor(workspace, github_environ(fake, "1001", GITHUB_RUN_ATTEMPT="2"))
    assert attempt.code == 1
    assert len(dispatches(fake)) == 1
    assert "already requested" in attempt.json["models"][0]["dispatch"]["note"]  # type: ignore[index]


def test_edited_history_block_is_reset_with_a_note(fake: FakeGitHub, workspace: Path) -> None:
    run_monitor(workspace, github_environ(fake, "1001"))
    client = fake.client()
    issue = client.get_repo(REPOSITORY).get_issue(1)
    issue.edit(body=issue.body.replace('{"schema":1', '{"schema":1,,,'))

    run = run_monitor(workspace, github_environ(fake, "1002"))

    assert run.code == 1
    [stored] = issues(fake)
    assert [e.run_id for e in parse_history(stored["body"]).entries] == ["1002"]
    assert "has been reset" in stored["body"]


def test_dry_run_measures_but_writes_nothing(fake: FakeGitHub, workspace: Path) -> None:
    run = run_monitor(workspace, github_environ(fake, "1001"), dry_run=True)
    assert run.code == 1
    assert fake.writes() == []
    model = run.json["models"][0]  # type: ignore[index]
    assert model["decision"] == {"issue": "upsert", "dispatch": True,
                                 "reason": "drift in production data",
                                 "labels": ["mlops", "drift"]}
    assert model["issue"] is None


def test_dry_run_says_in_words_what_it_would_write(fake: FakeGitHub, workspace: Path) -> None:
    run = run_monitor(workspace, github_environ(fake, "1001"), dry_run=True, as_json=False)

    assert "dry run: would open or update the model's issue and request retraining" in run.output
    assert "would upsert" not in run.output and "would none" not in run.output
    assert fake.writes() == []


def test_github_failing_after_retries_exits_3(fake: FakeGitHub, workspace: Path) -> None:
    from mlops_ci.errors import ExternalError

    fake.inject(Fault.HTTP_502, path_regex=r"/issues", times=100)
    try:
        run_monitor(workspace, github_environ(fake, "1001"))
    except ExternalError as error:
        assert error.exit_code == 3
        assert error.attempts > 1
    else:
        raise AssertionError("expected the GitHub failure to surface")
    assert issues(fake) == []
    assert dispatches(fake) == []


def test_workflow_dispatch_when_a_workflow_is_named(fake: FakeGitHub, workspace: Path) -> None:
    config = workspace / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("        dispatch: true\n",
                     "        dispatch: true\n        workflow: retrain.yml\n"),
        encoding="utf-8",
    )
    assert run_monitor(workspace, github_environ(fake, "1001")).code == 1
    [dispatch] = dispatches(fake)
    assert dispatch["kind"] == "workflow_dispatch"
    assert dispatch["workflow"] == "retrain.yml" and dispatch["ref"] == "main"
    assert dispatch["inputs"]["run_id"] == "1001"


def test_rerun_of_an_old_drifted_run_does_not_reopen_a_closed_issue(
    fake: FakeGitHub, workspace: Path
) -> None:
    run_monitor(workspace, github_environ(fake, "1001"))
    use_production(workspace, "production_clean.csv")
    run_monitor(workspace, github_environ(fake, "1002"))
    use_production(workspace, "production.csv")

    rerun_writes_nothing(fake, workspace, "1001", code=1)
    [issue] = issues(fake)
    assert issue["state"] == "closed"


def test_scheduled_event_names_its_run_in_the_issue(
    fake: FakeGitHub, workspace: Path, tmp_path: Path
) -> None:
    payload = tmp_path / "event.json"
    payload.write_text('{"schedule": "0 6 * * *"}', encoding="utf-8")
    environ = github_environ(fake, "4242", GITHUB_EVENT_NAME="schedule",
                             GITHUB_EVENT_PATH=str(payload),
                             GITHUB_SERVER_URL="https://ghe.example.com")
    assert run_monitor(workspace, environ).code == 1
    [issue] = issues(fake)
    assert "[4242](https://ghe.example.com/octo/churn/actions/runs/4242)" in issue["body"]


def test_without_issues_the_first_attempt_alone_dispatches(
    fake: FakeGitHub, workspace: Path
) -> None:
    config = workspace / "mlops.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("issue: true", "issue: false"),
                      encoding="utf-8")
    assert run_monitor(workspace, github_environ(fake, "1001")).code == 1
    second = run_monitor(workspace, github_environ(fake, "1001", GITHUB_RUN_ATTEMPT="2"))
    assert second.code == 1
    assert issues(fake) == []
    assert len(dispatches(fake)) == 1
