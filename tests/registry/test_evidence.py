from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from mlops_ci.registry.evidence import Evidence, GateRecord, parse_evidence, tag_message


def full_evidence() -> Evidence:
    return Evidence(
        metrics=(("roc_auc", 0.83), ("f1", 0.61)),
        compared_to="v1.3.0",
        gates=(GateRecord("roc_auc >= 0.7", True, "0.83"), GateRecord("f1 vs base", False)),
        data_fingerprint="sha256:abc",
        config_fingerprint="sha256:def",
        run_url="https://github.example/acme/churn/actions/runs/1",
        extra=(("trigger", "push"),),
        environment=(("python", "3.11.7"), ("scikit-learn", "1.5.0"),
                     ("image", "ghcr.io/acme/mlops-ci@sha256:" + "0" * 64)),
    )


def test_message_starts_with_gtos_line_and_round_trips() -> None:
    message = tag_message("Registering artifact churn version v1.4.0", full_evidence())
    subject, _, body = message.partition("\n\n")
    assert subject == "Registering artifact churn version v1.4.0"
    assert parse_evidence(body) == full_evidence()


def test_the_environment_is_recorded_under_its_own_key_and_older_tags_read_without_it() -> None:
    message = tag_message("x", full_evidence())
    assert '"environment": {\n    "python": "3.11.7",' in message
    older = message.replace(message[message.index(',\n  "environment"'):message.rindex("}")], "\n")
    evidence = parse_evidence(older)
    assert evidence is not None and evidence.environment == ()
    assert evidence.run_url == full_evidence().run_url


def test_non_finite_metric_is_recorded_as_null() -> None:
    message = tag_message("x", Evidence(metrics=(("loss", math.inf),)))
    parsed = parse_evidence(message)
    assert parsed is not None and math.isnan(parsed.metrics[0][1])


def test_message_without_evidence_is_gtos_line_alone() -> None:
    assert tag_message("Registering artifact m version v1.0.0", None) == (
        "Registering artifact m version v1.0.0\n"
    )


def test_malformed_block_gives_none() -> None:
    assert parse_evidence("```mlops-ci\n{not json\n```") is None
    assert parse_evidence('```mlops-ci\n{"schema": 1, "metrics": {"a": "high"}}\n```') is None
    assert parse_evidence('```mlops-ci\n{"schema": 2}\n```') is None


@given(st.text())
def test_never_raises_on_arbitrary_text(body: str) -> None:
    result = parse_evidence("```mlops-ci\n" + body + "\n```")
    assert result is None or isinstance(result, Evidence)


def test_a_metric_too_large_for_a_float_gives_none() -> None:
    body = '```mlops-ci\n{"schema": 1, "metrics": {"auc": ' + "9" * 400 + "}}\n```"
    assert parse_evidence(body) is None


def test_a_block_nested_deeper_than_python_reads_gives_none() -> None:
    assert parse_evidence("```mlops-ci\n" + "[" * 50_000 + "]" * 50_000 + "\n```") is None
