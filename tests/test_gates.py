"""Gate arithmetic: absolute bounds, regression/improvement vs production or base, directions."""

from __future__ import annotations

import pytest

from mlops_ci.config.model import Gate
from mlops_ci.gates import GateStatus, GateVerdict, UnavailableReference, decide_gates
from mlops_ci.metrics import MetricValue


def _values(**values: float | None) -> dict[str, MetricValue]:
    return {
        name: MetricValue(name, value, None if value is not None else "one class only")
        for name, value in values.items()
    }


def _one(gate: Gate, candidate: float, other: float | None = None) -> GateVerdict:
    others = _values(**{gate.metric: other}) if other is not None else None
    (verdict,) = decide_gates(
        [gate],
        candidate=_values(**{gate.metric: candidate}),
        production=others if gate.against != "base" else {},
        base=others if gate.against == "base" else {},
    )
    return verdict


@pytest.mark.parametrize(
    ("gate", "candidate", "other", "status", "threshold"),
    [
        # absolute bounds
        (Gate("roc_auc", min=0.7), 0.75, None, GateStatus.PASSED, 0.7),
        (Gate("roc_auc", min=0.7), 0.69, None, GateStatus.FAILED, 0.7),
        (Gate("roc_auc", min=0.7), 0.7, None, GateStatus.PASSED, 0.7),
        (Gate("log_loss", max=0.5), 0.51, None, GateStatus.FAILED, 0.5),
        (Gate("log_loss", max=0.5), 0.4, None, GateStatus.PASSED, 0.5),
        # regression vs production, higher is better: may drop by 0.02
        (Gate("roc_auc", "production", max_regression=0.02), 0.86, 0.87, GateStatus.PASSED, 0.85),
        (Gate("roc_auc", "production", max_regression=0.02), 0.849, 0.87, GateStatus.FAILED, 0.85),
        (Gate("roc_auc", "production", max_regression=0.02), 0.85, 0.87, GateStatus.PASSED, 0.85),
        # lower is better: a regression is an increase
        (Gate("log_loss", "production", max_regression=0.02), 0.41, 0.40, GateStatus.PASSED, 0.42),
        (Gate("log_loss", "production", max_regression=0.02), 0.43, 0.40, GateStatus.FAILED, 0.42),
        (Gate("log_loss", "production", max_regression=0.02), 0.30, 0.40, GateStatus.PASSED, 0.42),
        (Gate("mae", "base", max_regression=0.5), 10.6, 10.0, GateStatus.FAILED, 10.5),
        # improvement vs base
        (Gate("f1", "base", min_improvement=0.01), 0.62, 0.60, GateStatus.PASSED, 0.61),
        (Gate("f1", "base", min_improvement=0.01), 0.605, 0.60, GateStatus.FAILED, 0.61),
        (Gate("rmse", "base", min_improvement=1.0), 8.5, 10.0, GateStatus.PASSED, 9.0),
        (Gate("rmse", "base", min_improvement=1.0), 9.5, 10.0, GateStatus.FAILED, 9.0),
        # relative: fractions of the other model's value
        (Gate("roc_auc", "production", max_regression=0.05, relative=True), 0.77, 0.80,
         GateStatus.PASSED, 0.76),
        (Gate("roc_auc", "production", max_regression=0.05, relative=True), 0.75, 0.80,
         GateStatus.FAILED, 0.76),
        (Gate("mae", "production", max_regression=0.1, relative=True), 21.0, 20.0,
         GateStatus.PASSED, 22.0),
        (Gate("mae", "production", max_regression=0.1, relative=True), 23.0, 20.0,
         GateStatus.FAILED, 22.0),
        (Gate("mse", "base", min_improvement=0.1, relative=True), 89.0, 100.0,
         GateStatus.PASSED, 90.0),
        (Gate("r2", "base", min_improvement=0.1, relative=True), -0.5, -0.4,
         GateStatus.FAILED, -0.36),
    ],
)
def test_gate_arithmetic(
    gate: Gate, candidate: float, other: float | None, status: GateStatus, threshold: float
) -> None:
    verdict = _one(gate, candidate, other)
    assert verdict.status is status, verdict.explanation
    assert verdict.threshold == pytest.approx(threshold)
    assert verdict.value == candidate
    assert verdict.reference == other
    if other is not None:
        assert verdict.delta == pytest.approx(candidate - other)


def test_a_gate_with_min_and_max_gives_two_verdicts() -> None:
    verdicts = decide_gates([Gate("accuracy", min=0.5, max=0.99)],
                            candidate=_values(accuracy=0.995), production=None, base=None)
    assert [(v.condition, v.status) for v in verdicts] == [
        ("min", GateStatus.PASSED), ("max", GateStatus.FAILED)]
    assert verdicts[1].config_path == "evaluate.gates[0].max"
    assert verdicts[1].explanation == "accuracy 0.995 > 0.99"


def test_missing_production_skips_visibly_with_the_reason() -> None:
    (verdict,) = decide_gates([Gate("roc_auc", "production", max_regression=0.02)],
                              candidate=_values(roc_auc=0.5), production=None, base=None)
    assert verdict.status is GateStatus.SKIPPED
    assert verdict.explanation == "no model in production yet"
    assert verdict.value is None and verdict.threshold is None


def test_a_named_production_version_without_its_model_fails_the_comparison() -> None:
    lost = UnavailableReference("v0.2.0", "no published release churn@v0.2.0")
    verdicts = decide_gates(
        [Gate("roc_auc", "production", max_regression=0.02), Gate("roc_auc", min=0.7),
         Gate("f1", "base", max_regression=0.05)],
        candidate=_values(roc_auc=0.9, f1=0.5), production=None, base=None,
        unavailable={"production": lost},
    )
    assert [v.status for v in verdicts] == [
        GateStatus.FAILED, GateStatus.PASSED, GateStatus.SKIPPED]
    assert verdicts[0].explanation == (
        "the production model v0.2.0 cannot be fetched: no published release churn@v0.2.0; "
        "a comparison gate does not pass without it")


def test_missing_base_skips() -> None:
    (verdict,) = decide_gates([Gate("f1", "base", min_improvement=0.0)],
                              candidate=_values(f1=0.5), production=_values(f1=0.9), base=None)
    assert verdict.status is GateStatus.SKIPPED
    assert "base branch" in verdict.explanation


def test_an_undefined_candidate_metric_fails_its_gate() -> None:
    (verdict,) = decide_gates([Gate("roc_auc", min=0.7)], candidate=_values(roc_auc=None),
                              production=None, base=None)
    assert verdict.status is GateStatus.FAILED
    assert verdict.explanation == "roc_auc is undefined for the candidate: one class only"


def test_an_undefined_reference_skips_the_comparison() -> None:
    (verdict,) = decide_gates([Gate("roc_auc", "production", max_regression=0.0)],
                              candidate=_values(roc_auc=0.8), production=_values(roc_auc=None),
                              base=None)
    assert verdict.status is GateStatus.SKIPPED
    assert "production model" in verdict.explanation


def test_the_explanation_carries_the_numbers() -> None:
    verdict = _one(Gate("roc_auc", "production", max_regression=0.02), 0.84, 0.87)
    assert verdict.explanation == (
        "roc_auc 0.84 < 0.85 (production 0.87, change -0.03, allowed regression 0.02)")
    relative = _one(Gate("mae", "production", max_regression=0.1, relative=True), 23.0, 20.0)
    assert relative.explanation == (
        "mae 23 > 22 (production 20, change +3, allowed regression 10% of 20)")
