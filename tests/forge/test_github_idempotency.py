"""Every write survives a lost response: one object after the retry, and after a whole rerun.

``Fault.LOST_RESPONSE`` makes the fake perform the write and then drop the connection, the case
where PyGithub's default retry duplicates objects. Each case runs its operation with the fault,
counts the objects, reruns the operation from a new forge (a rerun of the job), counts again,
and compares the final state with a fault-free run on a second fake server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.errors import ExternalError
from mlops_ci.forge import markers
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import Outcome, ReportStamp
from tests.fakegithub import FakeGitHub, Fault
from tests.forge.conftest import HEAD, MODEL_ASSETS, PR, REPO, make_forge, start_fake, write_assets

TAG = "churn@v1.4.0"
ENV = "churn-staging"


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path_regex: str
    run: Callable[[GitHubForge, Path, Any], object]
    count: Callable[[FakeGitHub], int]
    prepare: Callable[[FakeGitHub, GitHubForge, Path], Any] = lambda fake, forge, tmp: None


def _report(forge: GitHubForge, body: str, run_key: int) -> object:
    return forge.upsert_report_comment(PR, "churn-ci", body, ReportStamp(HEAD, run_key))


def _our_comments(fake: FakeGitHub, issue: int = PR) -> int:
    return sum(
        1
        for comment in fake.repo(REPO).comments(issue)
        if comment.author.login == "github-actions[bot]"
    )


def _seed_duplicates(fake: FakeGitHub, forge: GitHubForge, tmp: Path) -> None:
    body = markers.report_body("churn-ci", ReportStamp(HEAD, 1), "report")
    for _ in range(2):
        fake.repo(REPO).add_comment(PR, body, author="github-actions[bot]")


def _draft_with_an_old_model(fake: FakeGitHub, forge: Any, tmp: Path) -> None:
    """A half-made release (publishing failed) whose model a rerun replaces."""
    fake.inject(Fault.HTTP_502, method="PATCH", path_regex=r"/releases/\d+$", times=100)
    with contextlib.suppress(ExternalError):
        _release(forge, tmp, {**MODEL_ASSETS, "model.skops": b"old model"})
    fake.clear_faults()


def _release(forge: GitHubForge, tmp: Path, contents: dict[str, bytes] = MODEL_ASSETS) -> object:
    assets = write_assets(tmp / str(hash(tuple(contents.values()))), contents)
    return forge.ensure_release(TAG, "churn v1.4.0", "notes", assets)


def _releases(fake: FakeGitHub) -> int:
    return len([r for r in fake.repo(REPO).releases if r.tag_name == TAG])


def _one_of_each_asset(fake: FakeGitHub) -> int:
    (release,) = fake.repo(REPO).releases
    names = sorted(a.name for a in fake.repo(REPO).assets(release.id))
    return 1 if names == sorted(MODEL_ASSETS) else len(names)


def _published(fake: FakeGitHub) -> int:
    return len([r for r in fake.repo(REPO).releases if not r.draft])


def _deploy(forge: GitHubForge, tmp: Path, context: Any) -> object:
    deployment = forge.create_deployment(ENV, "main", "v1.4.0", "deploy churn", {"model": "churn"})
    if deployment.latest_state == "success":  # a rerun: deployed already
        return deployment
    forge.set_deployment_status(deployment, "in_progress")
    return forge.set_deployment_status(deployment, "success")


def _deployments(fake: FakeGitHub) -> int:
    return len(fake.repo(REPO).deployments)


def _success_statuses(fake: FakeGitHub) -> int:
    (deployment,) = fake.repo(REPO).deployments
    return len([s for s in deployment.statuses if s.state == "success"])


def _open_issue(fake: FakeGitHub, forge: GitHubForge, tmp: Path) -> int | None:
    return forge.upsert_issue("drift-churn", "Drift in churn", "3 columns drift", ["mlops"]).number


def _issues(fake: FakeGitHub) -> int:
    return len([i for i in fake.repo(REPO).issues if not i.is_pull])


def _closed_issues(fake: FakeGitHub) -> int:
    return len([i for i in fake.repo(REPO).issues if not i.is_pull and i.state == "closed"])


def _issue_comments(fake: FakeGitHub) -> int:
    (issue,) = [i for i in fake.repo(REPO).issues if not i.is_pull]
    return _our_comments(fake, issue.number)


CASES = [
    Case(
        "comment create",
        "POST",
        r"/issues/7/comments$",
        lambda f, t, c: _report(f, "report", 1),
        _our_comments,
    ),
    Case(
        "comment update",
        "PATCH",
        r"/issues/comments/\d+$",
        lambda f, t, c: _report(f, "new report", 2),
        _our_comments,
        prepare=lambda fake, f, t: _report(f, "old report", 1),
    ),
    Case(
        "comment delete",
        "DELETE",
        r"/issues/comments/\d+$",
        lambda f, t, c: _report(f, "report", 1),
        _our_comments,
        prepare=_seed_duplicates,
    ),
    Case("release create", "POST", r"/releases$", lambda f, t, c: _release(f, t), _releases),
    Case("asset upload", "POST", r"/assets$", lambda f, t, c: _release(f, t), _one_of_each_asset),
    Case(
        "asset delete",
        "DELETE",
        r"/releases/assets/\d+$",
        lambda f, t, c: _release(f, t),
        _one_of_each_asset,
        prepare=_draft_with_an_old_model,
    ),
    Case("release publish", "PATCH", r"/releases/\d+$", lambda f, t, c: _release(f, t), _published),
    Case("deployment create", "POST", r"/deployments$", _deploy, _deployments),
    Case("deployment status", "POST", r"/statuses$", _deploy, _success_statuses),
    Case(
        "issue create",
        "POST",
        r"/issues$",
        lambda f, t, c: f.upsert_issue(
            "drift-churn", "Drift in churn", "3 columns drift", ["mlops"]
        ),
        _issues,
    ),
    Case(
        "issue update",
        "PATCH",
        r"/issues/\d+$",
        lambda f, t, c: f.upsert_issue("drift-churn", "Drift in churn", "5 columns", ["mlops"]),
        _issues,
        prepare=_open_issue,
    ),
    Case(
        "issue comment",
        "POST",
        r"/issues/\d+/comments$",
        lambda f, t, number: f.comment_issue(number, "retraining started", key="run-42"),
        _issue_comments,
        prepare=_open_issue,
    ),
    Case(
        "issue close",
        "PATCH",
        r"/issues/\d+$",
        lambda f, t, number: f.close_issue(number, "drift is gone", key="close-42"),
        _closed_issues,
        prepare=_open_issue,
    ),
]


def _play(case: Case, tmp: Path, fault: Fault | None) -> tuple[int, int, dict[str, Any], int]:
    fake = start_fake()
    try:
        context = case.prepare(fake, make_forge(fake), tmp)
        if fault is not None:
            fake.inject(fault, method=case.method, path_regex=case.path_regex)
        case.run(make_forge(fake), tmp, context)
        after_retry = case.count(fake)
        fired = len([r for r in fake.requests if r.fault is fault])
        case.run(make_forge(fake), tmp, context)  # the whole job again
        return after_retry, case.count(fake), fake.snapshot(), fired
    finally:
        fake.stop()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_lost_response_leaves_one_object_after_retry_and_after_rerun(
    case: Case, tmp_path: Path
) -> None:
    after_retry, after_rerun, state, fired = _play(case, tmp_path / "faulty", Fault.LOST_RESPONSE)
    assert fired == 1, "the fault must hit the write under test"
    assert after_retry == 1
    assert after_rerun == 1
    _, _, fault_free_state, _ = _play(case, tmp_path / "clean", None)
    assert state == fault_free_state


def test_dispatch_after_lost_response_is_not_sent_again(fake: FakeGitHub) -> None:
    fake.inject(Fault.LOST_RESPONSE, method="POST", path_regex=r"/dispatches$")
    result = make_forge(fake).dispatch("retrain", {"model": "churn"})
    assert result.outcome is Outcome.UNCERTAIN
    assert result.warning is not None and "may or may not have taken effect" in result.warning
    assert len(fake.repo(REPO).dispatches) == 1


def test_workflow_dispatch_after_lost_response_is_not_sent_again(fake: FakeGitHub) -> None:
    fake.inject(Fault.LOST_RESPONSE, method="POST", path_regex=r"/dispatches$")
    result = make_forge(fake).dispatch_workflow("train.yml", "main", {"model": "churn"})
    assert result.outcome is Outcome.UNCERTAIN
    assert len(fake.repo(REPO).dispatches) == 1
