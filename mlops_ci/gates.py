"""Gate verdicts: does the candidate's metric meet the conditions ``evaluate.gates`` sets?

What a caller may rely on:

- Each condition of a gate is judged on its own, in config order: a gate with both ``min``
  and ``max`` (or ``max_regression`` and ``min_improvement``) gives two verdicts.
- Every verdict carries the numbers: the candidate's ``value``, the ``reference`` it is
  compared with (production's or base's value; ``None`` for absolute bounds), ``delta``
  (value - reference), the ``threshold`` the value had to reach, the comparison ``>=`` or
  ``<=``, and a one-line explanation.
- Direction-aware: for lower-is-better metrics (log_loss, mae...) a regression is an
  increase, so ``max_regression: 0.02`` allows the value to rise by 0.02. A metric of the
  training command's own file (``evaluate.custom_metrics``) has the direction declared there.
- ``relative: true`` reads ``max_regression``/``min_improvement`` as fractions of the
  reference's magnitude (0.05 = 5% of |reference|).
- Comparisons allow for float rounding (1e-9 relative): a drop of exactly the allowed
  regression passes.
- A comparison is SKIPPED ("no model in production yet") only when the registry names no
  version to compare with. When it names one whose model could not be fetched (no release,
  no model file in it, a checksum that does not match: an ``UnavailableReference``), the
  comparison FAILS, naming the version and what is missing: registering a version without
  its release must not switch the regression gate off. A candidate metric without a value
  (undefined) FAILS its gates too: a gate that cannot be checked does not let a model through.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mlops_ci.config.model import Gate
from mlops_ci.metrics import Direction, MetricValue, direction, format_change, format_metric

Condition = Literal["min", "max", "max_regression", "min_improvement"]
Reference = Literal["production", "base"]
Comparison = Literal[">=", "<="]
NO_PRODUCTION = "no model in production yet"
NO_BASE = "no model for the base branch"
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


class GateStatus(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class UnavailableReference:
    """A reference model the registry names but whose file could not be had.

    ``missing`` says what is missing, e.g. ``no published release churn@v0.2.0``.
    """

    version: str
    missing: str


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """One condition of one gate, judged."""

    index: int  # the gate's position in evaluate.gates
    gate: Gate
    condition: Condition
    status: GateStatus
    value: float | None
    reference: float | None
    delta: float | None
    threshold: float | None
    comparison: Comparison
    explanation: str

    @property
    def config_path(self) -> str:
        return f"evaluate.gates[{self.index}].{self.condition}"


def decide_gates(
    gates: Sequence[Gate],
    *,
    candidate: Mapping[str, MetricValue],
    production: Mapping[str, MetricValue] | None,
    base: Mapping[str, MetricValue] | None,
    directions: Mapping[str, Direction] | None = None,
    unavailable: Mapping[Reference, UnavailableReference] | None = None,
) -> tuple[GateVerdict, ...]:
    """Every condition of every gate, judged on the metric values given (by metric name).

    ``production``/``base`` are ``None`` when there is no such model: no version at all, or
    (``unavailable`` says so) a version whose model could not be fetched. ``directions`` gives
    the direction of each metric that is not built in (``evaluate.custom_metrics``).
    """
    verdicts: list[GateVerdict] = []
    for index, gate in enumerate(gates):
        better = (directions or {}).get(gate.metric) or direction(gate.metric)
        for condition, limit in _conditions(gate):
            verdict = _judge(index, gate, condition, limit, better == "higher",
                             candidate, production, base)
            against: Reference = "production" if gate.against == "production" else "base"
            lost = (unavailable or {}).get(against) if gate.against != "absolute" else None
            if lost is not None and verdict.status is GateStatus.SKIPPED:
                verdict = dataclasses.replace(
                    verdict,
                    status=GateStatus.FAILED,
                    explanation=unavailable_explanation(against, lost),
                )
            verdicts.append(verdict)
    return tuple(verdicts)


def unavailable_explanation(against: Reference, lost: UnavailableReference) -> str:
    """Why a comparison with a version whose model could not be fetched fails."""
    return (
        f"the {against} model {lost.version} cannot be fetched: {lost.missing}; "
        "a comparison gate does not pass without it"
    )


def _conditions(gate: Gate) -> list[tuple[Condition, float]]:
    found: list[tuple[Condition, float]] = []
    if gate.against == "absolute":
        if gate.min is not None:
            found.append(("min", gate.min))
        if gate.max is not None:
            found.append(("max", gate.max))
    else:
        if gate.max_regression is not None:
            found.append(("max_regression", gate.max_regression))
        if gate.min_improvement is not None:
            found.append(("min_improvement", gate.min_improvement))
    return found


def _judge(
    index: int,
    gate: Gate,
    condition: Condition,
    limit: float,
    higher_is_better: bool,
    candidate: Mapping[str, MetricValue],
    production: Mapping[str, MetricValue] | None,
    base: Mapping[str, MetricValue] | None,
) -> GateVerdict:
    name = gate.metric
    comparison: Comparison = ">=" if higher_is_better else "<="

    def verdict(
        status: GateStatus, explanation: str, *, value: float | None = None,
        reference: float | None = None, threshold: float | None = None,
        compare: Comparison = comparison,
    ) -> GateVerdict:
        delta = value - reference if value is not None and reference is not None else None
        return GateVerdict(index, gate, condition, status, value, reference, delta, threshold,
                           compare, explanation)

    own = candidate.get(name)
    if condition in ("min", "max"):
        compare: Comparison = ">=" if condition == "min" else "<="
        if own is None or own.value is None:
            return verdict(GateStatus.FAILED, _undefined(name, "the candidate", own),
                           threshold=limit, compare=compare)
        ok = _meets(own.value, compare, limit)
        shown_value, shown_limit = _apart(own.value, limit, ok)
        return verdict(
            GateStatus.PASSED if ok else GateStatus.FAILED,
            f"{name} {shown_value} {compare if ok else _negate(compare)} {shown_limit}",
            value=own.value, threshold=limit, compare=compare,
        )

    against = "production" if gate.against == "production" else "base"
    others = production if gate.against == "production" else base
    if others is None:
        return verdict(GateStatus.SKIPPED, NO_PRODUCTION if against == "production" else NO_BASE)
    other = others.get(name)
    if other is None or other.value is None:
        return verdict(GateStatus.SKIPPED, _undefined(name, f"the {against} model", other))
    reference = other.value
    if own is None or own.value is None:
        return verdict(GateStatus.FAILED, _undefined(name, "the candidate", own),
                       reference=reference)
    amount = limit * abs(reference) if gate.relative else limit
    shown = f"{_num(limit * 100)}% of {_num(abs(reference))}" if gate.relative else _num(limit)
    # gain: how much better than the reference (positive = better), whichever direction.
    allowed_gain = -amount if condition == "max_regression" else amount
    threshold = reference + allowed_gain if higher_is_better else reference - allowed_gain
    ok = _meets(own.value, comparison, threshold)
    change = own.value - reference
    what = "regression" if condition == "max_regression" else "improvement"
    bound = "allowed" if condition == "max_regression" else "required"
    sign = comparison if ok else _negate(comparison)
    shown_value, shown_threshold = _apart(own.value, threshold, ok)
    explanation = (
        f"{name} {shown_value} {sign} {shown_threshold} ({against} {_num(reference)}, "
        f"change {_signed(change)}, {bound} {what} {shown})"
    )
    return verdict(GateStatus.PASSED if ok else GateStatus.FAILED, explanation, value=own.value,
                   reference=reference, threshold=threshold)


def _meets(value: float, comparison: Comparison, threshold: float) -> bool:
    if math.isclose(value, threshold, rel_tol=_REL_TOL, abs_tol=_ABS_TOL):
        return True
    return value >= threshold if comparison == ">=" else value <= threshold


def _undefined(name: str, whose: str, value: MetricValue | None) -> str:
    if value is None:
        return f"{name} was not computed for {whose}"
    return f"{name} is undefined for {whose}: {value.undefined_reason}"


def _negate(comparison: Comparison) -> str:
    return "<" if comparison == ">=" else ">"


def _num(value: float) -> str:
    return format_metric(value)


def _apart(value: float, bound: float, ok: bool) -> tuple[str, str]:
    """Both numbers in the one format, unless that shows a failed ``0.7 < 0.7``: then with the
    digits that tell them apart."""
    shown = _num(value), _num(bound)
    if ok or shown[0] != shown[1]:
        return shown
    return f"{value:.6g}", f"{bound:.6g}"


def _signed(value: float) -> str:
    return format_change(value)
