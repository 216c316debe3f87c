"""The fold from tags to state, with plain inputs (no git)."""

from __future__ import annotations

from mlops_ci.registry.state import TagRecord, fold
from mlops_ci.registry.tags import parse_tag

A, B, C = "a" * 40, "b" * 40, "c" * 40


def record(name: str, commit: str, time: int, body: str = "") -> TagRecord:
    tag = parse_tag(name)
    assert tag is not None
    return TagRecord(name, tag, commit, time, "T", "t@example.com", name, body)


def test_latest_assignment_by_tagger_time_holds_the_stage() -> None:
    state = fold([
        record("m@v1.0.0", A, 10), record("m@v1.1.0", B, 11),
        record("m#prod#2", A, 30), record("m#prod#1", B, 20),
    ])
    assert state.production_version("m") is None  # the stage is "prod", not "production"
    assert state.stage_version("m", "prod") == "v1.0.0"
    assert state.latest_version("m") == "v1.1.0"


def test_same_second_assignments_are_ordered_by_counter() -> None:
    state = fold([
        record("m@v1.0.0", A, 10), record("m@v1.1.0", B, 10),
        record("m#production#2", A, 20), record("m#production#1", B, 20),
    ])
    assert state.production_version("m") == "v1.0.0"


def test_unassigning_brings_back_the_previous_holder() -> None:
    state = fold([
        record("m@v1.0.0", A, 10), record("m@v1.1.0", B, 11),
        record("m#production#1", A, 20), record("m#production#2", B, 21),
        record("m#production!#3", B, 22),
    ])
    assert state.production_version("m") == "v1.0.0"
    assert state.assigned_stages("m", "v1.1.0") == frozenset()


def test_deregistered_version_loses_its_stages_and_latest() -> None:
    state = fold([
        record("m@v1.0.0", A, 10), record("m@v1.1.0", B, 11),
        record("m#production#1", B, 20), record("m@v1.1.0!", B, 30),
    ])
    assert state.latest_version("m") == "v1.0.0"
    assert state.production_version("m") is None
    deregistered = state.find_version("m", "v1.1.0")
    assert deregistered is not None and deregistered.registered and not deregistered.active
    assert state.next_version("m", "patch", "v0.1.0") == "v1.1.1"


def test_deprecation_holds_until_a_later_event() -> None:
    events = [record("m@v1.0.0", A, 10), record("m@deprecated", A, 20)]
    state = fold(events)
    model = state.model("m")
    assert model is not None and model.deprecated
    revived = fold([*events, record("m@v1.1.0", B, 30)]).model("m")
    assert revived is not None and not revived.deprecated


def test_deprecation_in_the_same_second_loses_to_a_registration_as_in_gto() -> None:
    model = fold([record("m@deprecated", A, 10), record("m@v1.0.0", A, 10)]).model("m")
    assert model is not None and not model.deprecated


def test_assignment_of_an_unregistered_commit_is_a_version_named_by_it() -> None:
    state = fold([record("m#staging#1", C, 10)])
    assert state.stage_version("m", "staging") == C
    assert state.latest_version("m") is None
    (version,) = state.versions("m")
    assert not version.registered and version.active


def test_counter_is_shared_by_all_stages_and_actions() -> None:
    state = fold([
        record("m@v1.0.0", A, 10), record("m#staging#4", A, 11), record("m#prod!#9", A, 12),
        record("n#prod#30", A, 12),
    ])
    assert state.next_counter("m") == 10
    assert state.next_counter("unknown") == 1


def test_lightweight_look_alikes_become_warnings() -> None:
    state = fold([record("m@v1.0.0", A, 10)], lightweight=["m@v2.0.0"])
    assert [w.tag for w in state.warnings] == ["m@v2.0.0"]
    assert "lightweight" in state.warnings[0].message
    assert state.latest_version("m") == "v1.0.0"


def test_one_version_at_two_commits_keeps_the_first_and_warns() -> None:
    state = fold([record("m@v1.0.0", A, 10), record("m@v1.0.0#3", B, 11)])
    version = state.find_version("m", "v1.0.0")
    assert version is not None and version.commit == A
    assert [w.tag for w in state.warnings] == ["m@v1.0.0#3"]


def test_versions_are_listed_highest_first_and_history_oldest_first() -> None:
    state = fold([
        record("m@v1.10.0", B, 30), record("m@v1.9.0", A, 20), record("m@v1.10.0-rc.1", C, 10),
    ])
    assert [v.version for v in state.versions("m")] == ["v1.10.0", "v1.10.0-rc.1", "v1.9.0"]
    assert [e.version for e in state.history("m")] == ["v1.10.0-rc.1", "v1.9.0", "v1.10.0"]
