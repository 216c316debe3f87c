"""parse_event and read_event on plain inputs: one behaviour per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.events import EventKind
from mlops_ci.registry.tags import Action
from mlops_ci.webhooks import parse_event, read_event
from tests.events import payloads
from tests.events.payloads import BASE_SHA, HEAD_SHA, MERGE_SHA, PUSH_SHA

RUNNER = {
    "GITHUB_SHA": MERGE_SHA,
    "GITHUB_REPOSITORY": "octo/models",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_SERVER_URL": "https://ghe.example.com",
}


def test_pull_request_sha_is_the_head_not_the_merge_commit() -> None:
    event = parse_event("pull_request", payloads.pull_request("opened"), RUNNER)
    assert event.kind is EventKind.PULL_REQUEST
    assert event.sha == HEAD_SHA
    assert event.merge_sha == MERGE_SHA


def test_pull_request_ref_carries_number_branches_and_title() -> None:
    event = parse_event("pull_request", payloads.pull_request("synchronize", number=7), RUNNER)
    assert event.pr is not None
    assert (event.pr.number, event.pr.head_ref, event.pr.base_ref) == (7, "feature/x", "main")
    assert (event.pr.head_sha, event.pr.base_sha) == (HEAD_SHA, BASE_SHA)
    assert event.pr.title == "Improve the model"
    assert event.action == "synchronize"
    assert event.branch == "feature/x"
    assert event.ref == "refs/pull/7/merge"


def test_pull_request_from_the_same_repository_is_trusted() -> None:
    event = parse_event("pull_request", payloads.pull_request("opened"), RUNNER)
    assert event.untrusted is False


def test_pull_request_from_a_fork_is_untrusted() -> None:
    payload = payloads.pull_request("opened", head_repo="mallory/models")
    event = parse_event("pull_request", payload, RUNNER)
    assert event.pr is not None and event.pr.is_fork
    assert event.untrusted is True


def test_pull_request_whose_head_repository_was_deleted_is_untrusted() -> None:
    event = parse_event("pull_request", payloads.pull_request("opened", head_repo=None), RUNNER)
    assert event.untrusted is True


def test_merged_pull_request_is_marked_merged() -> None:
    event = parse_event("pull_request", payloads.pull_request("closed", merged=True), RUNNER)
    assert event.pr is not None and event.pr.merged


def test_runner_environment_fills_repository_run_and_server() -> None:
    event = parse_event("pull_request", payloads.pull_request("opened"), RUNNER)
    assert (event.repository, event.run_id) == ("octo/models", "4242")
    assert event.server_url == "https://ghe.example.com"
    assert event.actor == "bob"


def test_push_to_a_branch() -> None:
    event = parse_event("push", payloads.push("refs/heads/main"), {})
    assert (event.kind, event.branch, event.tag) == (EventKind.PUSH_BRANCH, "main", None)
    assert event.sha == PUSH_SHA


def test_push_prefers_github_sha_over_after() -> None:
    """For an annotated tag ``after`` is the tag object; GITHUB_SHA is the commit."""
    event = parse_event("push", payloads.push("refs/tags/churn@v1.2.0"), {"GITHUB_SHA": BASE_SHA})
    assert event.sha == BASE_SHA


def test_push_of_a_registration_tag_reads_the_registry_grammar() -> None:
    event = parse_event("push", payloads.push("refs/tags/churn@v1.2.0"), {})
    assert event.kind is EventKind.PUSH_TAG
    assert event.tag == "churn@v1.2.0"
    assert event.registry_tag is not None
    assert (event.registry_tag.action, event.registry_tag.version) == (Action.REGISTER, "v1.2.0")


def test_push_of_a_promotion_tag_reads_stage_and_counter() -> None:
    event = parse_event("push", payloads.push("refs/tags/churn#production#3"), {})
    assert event.registry_tag is not None
    assert event.registry_tag.action is Action.ASSIGN
    assert (event.registry_tag.stage, event.registry_tag.counter) == ("production", 3)


def test_push_of_another_tag_has_no_registry_reading() -> None:
    event = parse_event("push", payloads.push("refs/tags/release-2024"), {})
    assert event.tag == "release-2024"
    assert event.registry_tag is None


def test_push_that_deletes_its_ref_has_no_sha() -> None:
    event = parse_event("push", payloads.push("refs/heads/old", deleted=True), {})
    assert event.ref_deleted is True
    assert event.sha is None


def test_create_of_a_tag_and_of_a_branch() -> None:
    tag = parse_event("create", payloads.create("churn@v1.0.0"), {})
    branch = parse_event("create", payloads.create("topic", "branch"), {})
    assert (tag.kind, tag.tag, tag.ref) == (
        EventKind.CREATE_TAG,
        "churn@v1.0.0",
        "refs/tags/churn@v1.0.0",
    )
    assert (branch.kind, branch.branch) == (EventKind.CREATE_BRANCH, "topic")


def test_release_carries_tag_and_prerelease_flag() -> None:
    event = parse_event(
        "release", payloads.release("published", "churn@v2.0.0-rc.1", prerelease=True), {}
    )
    assert event.kind is EventKind.RELEASE
    assert event.release is not None
    assert (event.release.tag_name, event.release.prerelease) == ("churn@v2.0.0-rc.1", True)
    assert event.registry_tag is not None and event.registry_tag.version == "v2.0.0-rc.1"


def test_schedule_carries_the_cron_that_fired() -> None:
    event = parse_event(
        "schedule", payloads.schedule("*/5 * * * *"), {"GITHUB_REF": "refs/heads/main"}
    )
    assert (event.kind, event.schedule, event.branch) == (EventKind.SCHEDULE, "*/5 * * * *", "main")


def test_workflow_dispatch_inputs_become_text_pairs() -> None:
    payload = payloads.workflow_dispatch(model="churn", version="v1.4.0")
    payload["inputs"]["dry_run"] = True
    event = parse_event("workflow_dispatch", payload, {})
    assert event.inputs == (("model", "churn"), ("version", "v1.4.0"), ("dry_run", "true"))
    assert event.input("model") == "churn"
    assert event.input("stage") is None


def test_workflow_dispatch_without_inputs_has_none() -> None:
    payload = payloads.workflow_dispatch()
    payload["inputs"] = None
    assert parse_event("workflow_dispatch", payload, {}).inputs == ()


def test_repository_dispatch_reads_event_type_and_client_payload() -> None:
    payload = payloads.repository_dispatch("mlops-retrain", model="churn", extra={"b": 1})
    event = parse_event("repository_dispatch", payload, {})
    assert event.action == "mlops-retrain"
    assert event.input("model") == "churn"
    assert event.input("extra") == '{"b":1}'
    assert event.branch == "main"


def test_deployment_carries_environment_and_sha() -> None:
    event = parse_event("deployment", payloads.deployment("staging"), {})
    assert event.deployment is not None
    assert (event.deployment.environment, event.sha) == ("staging", PUSH_SHA)


def test_missing_field_names_the_file_and_the_path() -> None:
    payload = payloads.pull_request("opened")
    del payload["pull_request"]["head"]["sha"]
    with pytest.raises(UserError) as caught:
        parse_event("pull_request", payload, {}, source="event.json")
    assert caught.value.message == "event.json: pull_request.head.sha: missing"


def test_wrong_type_names_what_was_expected() -> None:
    payload = payloads.pull_request("opened")
    payload["number"] = "12"
    with pytest.raises(UserError) as caught:
        parse_event("pull_request", payload, {}, source="event.json")
    assert caught.value.message == "event.json: number: expected a whole number >= 0, got a string"


def test_a_parent_of_the_wrong_type_is_named() -> None:
    payload = payloads.pull_request("opened")
    payload["pull_request"] = ["not", "an", "object"]
    with pytest.raises(
        UserError, match=r"event\.json: pull_request: expected an object, got an array"
    ):
        parse_event("pull_request", payload, {}, source="event.json")


def test_sha_that_is_not_hex_is_refused() -> None:
    payload = payloads.pull_request("opened")
    payload["pull_request"]["head"]["sha"] = "HEAD; rm -rf /"
    with pytest.raises(UserError, match=r"pull_request\.head\.sha: not a commit sha"):
        parse_event("pull_request", payload, {})


def test_push_of_a_ref_that_is_neither_branch_nor_tag_is_refused() -> None:
    with pytest.raises(UserError, match=r"ref: 'refs/notes/x' is neither a branch nor a tag ref"):
        parse_event("push", payloads.push("refs/notes/x"), {})


def test_unknown_event_name_lists_the_supported_ones() -> None:
    with pytest.raises(UserError) as caught:
        parse_event("pull_request_target", {}, {})
    assert caught.value.message == "event 'pull_request_target' is not one mlops-ci handles"
    assert caught.value.hint is not None and "pull_request" in caught.value.hint


def test_no_event_name_is_a_local_run(tmp_path: Path) -> None:
    event = read_event({}, local_sha=PUSH_SHA)
    assert (event.kind, event.name, event.sha) == (EventKind.LOCAL, "local", PUSH_SHA)


def test_read_event_uses_the_runner_variables(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payloads.pull_request("opened")), encoding="utf-8")
    environ = {**RUNNER, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(path)}
    event = read_event(environ)
    assert (event.kind, event.sha, event.merge_sha) == (EventKind.PULL_REQUEST, HEAD_SHA, MERGE_SHA)


def test_flags_win_over_the_runner_variables(tmp_path: Path) -> None:
    path = tmp_path / "push.json"
    path.write_text(json.dumps(payloads.push("refs/heads/main")), encoding="utf-8")
    environ = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": "/nowhere.json"}
    event = read_event(environ, event_name="push", event_path=path)
    assert event.kind is EventKind.PUSH_BRANCH


def test_missing_payload_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"event payload not found: .*nope\.json"):
        read_event({}, event_name="push", event_path=tmp_path / "nope.json")


def test_payload_that_is_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"ref": "refs/heads/main",\n  oops}', encoding="utf-8")
    with pytest.raises(UserError, match=r"event\.json:2:3: not JSON: "):
        read_event({}, event_name="push", event_path=path)


def test_payload_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(
        UserError, match=r"event\.json: an event payload is a JSON object, got an array"
    ):
        read_event({}, event_name="push", event_path=path)


def test_binary_payload_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UserError, match=r"event\.json: not UTF-8"):
        read_event({}, event_name="push", event_path=path)


def test_event_name_without_payload_path_is_a_user_error() -> None:
    with pytest.raises(UserError, match="GITHUB_EVENT_PATH is not set"):
        read_event({"GITHUB_EVENT_NAME": "push"})


def test_event_path_without_event_name_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--event-path needs --event-name"):
        read_event({}, event_path=tmp_path / "event.json")


def test_to_json_is_plain_json() -> None:
    event = parse_event("pull_request", payloads.pull_request("opened", head_repo="x/y"), RUNNER)
    data = json.loads(json.dumps(event.to_json()))
    assert data["kind"] == "pull_request"
    assert data["pull_request"]["head_sha"] == HEAD_SHA
    assert data["untrusted"] is True


def test_runner_sha_that_is_not_a_commit_is_refused() -> None:
    with pytest.raises(UserError, match="GITHUB_SHA: not a commit sha: '--upload-pack=x'"):
        parse_event("push", payloads.push("refs/heads/main"), {"GITHUB_SHA": "--upload-pack=x"})


def test_payload_with_an_integer_too_long_to_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"after": ' + "9" * 5000 + "}", encoding="utf-8")
    with pytest.raises(UserError, match=r"event\.json: a number in the payload is too long"):
        read_event({}, event_name="push", event_path=path)


@pytest.mark.parametrize("run_id", ["abc", "12 34", "-1", "١٢"])
def test_runner_run_id_that_is_not_a_number_is_refused(tmp_path: Path, run_id: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payloads.push("refs/heads/main")), encoding="utf-8")
    with pytest.raises(UserError, match="GITHUB_RUN_ID: not a workflow run id"):
        read_event({"GITHUB_RUN_ID": run_id}, event_name="push", event_path=path)
