"""Every real payload in ``../shared/github/webhooks/`` parses into an Event or is refused.

The corpus is GitHub's own examples (octokit/webhooks-examples). Files are named
``EVENT.ACTION.N.json`` (``push.N.json`` has no action); the event name is the first part.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.events import EventKind
from mlops_ci.webhooks import SUPPORTED_EVENTS, parse_event
from tests.events.payloads import MERGE_SHA, WEBHOOKS, webhook

pytestmark = pytest.mark.github_corpus  # GitHub's real payloads (tests/github_corpus.py)

NOT_HANDLED = {"deployment_status"}
KINDS = {
    "push": {EventKind.PUSH_BRANCH, EventKind.PUSH_TAG},
    "pull_request": {EventKind.PULL_REQUEST},
    "create": {EventKind.CREATE_TAG, EventKind.CREATE_BRANCH},
    "release": {EventKind.RELEASE},
    "workflow_dispatch": {EventKind.WORKFLOW_DISPATCH},
    "repository_dispatch": {EventKind.REPOSITORY_DISPATCH},
    "deployment": {EventKind.DEPLOYMENT},
    "workflow_run": {EventKind.WORKFLOW_RUN},
}
RUNNER = {"GITHUB_SHA": MERGE_SHA, "GITHUB_RUN_ID": "1"}


def _corpus() -> list[str]:
    # A missing folder yields one entry, so the test is reported (skipped, or failed in CI)
    # instead of vanishing.
    files = sorted(path.name for path in WEBHOOKS.glob("*.json"))
    return files or [f"MISSING: {WEBHOOKS}"]


def test_the_corpus_is_there() -> None:
    assert WEBHOOKS.is_dir(), f"the shared webhook corpus is missing: {WEBHOOKS}"
    assert len(list(WEBHOOKS.glob("*.json"))) >= 50


@pytest.mark.parametrize("file_name", _corpus())
def test_payload_parses_or_is_refused_with_a_reason(file_name: str) -> None:
    assert (WEBHOOKS / file_name).is_file(), f"the shared webhook corpus is missing: {WEBHOOKS}"
    name = file_name.split(".")[0]
    payload = webhook(file_name)
    if name in NOT_HANDLED:
        with pytest.raises(UserError) as caught:
            parse_event(name, payload, RUNNER, source=file_name)
        assert caught.value.message == f"event {name!r} is not one mlops-ci handles"
        return
    event = parse_event(name, payload, RUNNER, source=file_name)
    assert event.name == name
    assert event.kind in KINDS[name]
    assert event.repository == payload["repository"]["full_name"]
    if name == "pull_request":
        assert event.sha == payload["pull_request"]["head"]["sha"]
        assert event.merge_sha == MERGE_SHA
        assert event.action == payload["action"]
    if name == "release":
        assert event.tag == payload["release"]["tag_name"]
        assert event.release is not None
        assert event.release.prerelease is payload["release"]["prerelease"]
    if name == "workflow_run":
        run = payload["workflow_run"]
        assert event.workflow_run is not None
        assert event.sha == run["head_sha"]
        assert event.workflow_run.id == run["id"]
        assert event.workflow_run.pull_numbers == tuple(p["number"] for p in run["pull_requests"])


def test_every_supported_event_except_schedule_has_a_sample() -> None:
    """schedule payloads hold only the cron line, so the corpus has none."""
    names = {path.name.split(".")[0] for path in WEBHOOKS.glob("*.json")}
    assert set(SUPPORTED_EVENTS) - names == {"schedule"}


def test_a_real_payload_missing_a_field_is_named(tmp_path: Path) -> None:
    payload = webhook("pull_request.opened.1.json")
    del payload["pull_request"]["base"]["repo"]
    with pytest.raises(UserError) as caught:
        parse_event("pull_request", payload, RUNNER, source="event.json")
    assert caught.value.message == "event.json: pull_request.base.repo.full_name: missing"
