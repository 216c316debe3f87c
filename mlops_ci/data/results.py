"""Typed results of data validation and drift measurement.

Values only: the stages, the renderers (``report.drift``, ``report.validation``) and ``--json``
all read these.
Names and example values are kept exactly as they were in the data; escaping happens only
when they are rendered.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

from mlops_ci.config.model import DriftMethod

ConcreteMethod = Literal["psi", "ks", "chi2", "wasserstein", "jensenshannon"]
ColumnKind = Literal["numeric", "categorical"]
Verdict = Literal["drift", "ok", "untestable"]
Severity = Literal["error", "warning"]
Rule = Literal[
    "missing_column",
    "unexpected_column",
    "dtype",
    "null",
    "min",
    "max",
    "allowed",
    "unique",
    "rows_min",
    "rows_max",
    "all_null",
    "bom",
]

P_VALUE_METHODS: frozenset[str] = frozenset({"ks", "chi2"})
# A drifted column is *strongly* drifted when its (corrected) p-value is below this, or when
# its distance (psi, wasserstein, jensenshannon) is at least this factor times its threshold:
# a change no sampling noise explains, named as a finding even when the share rule does not
# flag the dataset.
STRONG_DRIFT_P_VALUE = 1e-6
STRONG_DRIFT_DISTANCE_FACTOR = 2.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule broken by one column (or by the file, when ``column`` is None)."""

    rule: Rule
    severity: Severity
    column: str | None
    count: int  # offending rows (or columns, for missing/unexpected columns)
    message: str  # plain text; names inside are raw data, escaped by renderers
    examples: tuple[str, ...] = ()  # a few offending values, as text
    lines: tuple[int, ...] = ()  # where the examples are: file lines (CSV) or rows (Parquet)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    file: str
    rows: int
    columns: tuple[str, ...]
    findings: tuple[Finding, ...]
    place: Literal["line", "row"] = "line"  # what ``Finding.lines`` count

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class Histogram:
    """Reference and current shares over the same bins (or categories), for the chart."""

    labels: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ColumnDriftResult:
    column: str
    kind: ColumnKind
    method: ConcreteMethod
    method_reason: str  # which rule chose the method, e.g. "auto: numeric, 3,000 rows > 1,000"
    threshold: float
    verdict: Verdict
    statistic: float | None  # None when untestable
    p_value: float | None  # ks and chi2 only; before correction
    adjusted_p_value: float | None  # after the family-wise correction
    reference_values: int  # values tested (nulls, NaN and infinities excluded)
    current_values: int
    null_share_reference: float
    null_share_current: float
    notes: tuple[str, ...] = ()
    histogram: Histogram | None = None

    @property
    def drifted(self) -> bool:
        return self.verdict == "drift"

    @property
    def strongly_drifted(self) -> bool:
        """Drifted far beyond its threshold (see ``STRONG_DRIFT_P_VALUE``)."""
        if not self.drifted or self.statistic is None:
            return False
        if self.method in P_VALUE_METHODS:
            p_value = self.adjusted_p_value if self.adjusted_p_value is not None else self.p_value
            return p_value is not None and p_value < STRONG_DRIFT_P_VALUE
        return self.statistic >= STRONG_DRIFT_DISTANCE_FACTOR * self.threshold


@dataclass(frozen=True, slots=True)
class Sampled:
    rows: int
    seed: int
    reference_rows: int  # before sampling
    current_rows: int


@dataclass(frozen=True, slots=True)
class DriftResult:
    reference: str
    current: str
    reference_rows: int
    current_rows: int
    columns: tuple[ColumnDriftResult, ...]
    drifted: bool  # the dataset verdict
    reason: str  # why the dataset did or did not drift
    share_drifted: float  # drifted / tested columns
    share_threshold: float
    key_columns: tuple[str, ...]
    correction: str
    sampled: Sampled | None = None
    skipped: tuple[tuple[str, str], ...] = ()  # (column, why it was not compared)
    streamed: bool = False  # current data measured in batches (``data.binned``'s statistics)

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.drifted)

    @property
    def strongly_drifted_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.strongly_drifted)


def method_default_threshold(method: DriftMethod) -> float:
    """The default threshold of each method (p-value for ks/chi2, distance otherwise)."""
    defaults = {"psi": 0.2, "ks": 0.05, "chi2": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1}
    return defaults.get(method, 0.05)


def to_json(value: object) -> object:
    """A result as JSON-ready data: dataclasses as objects, tuples as lists, and
    non-finite floats (an infinite distance) as strings ``"inf"`` / ``"nan"``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, object] = {
            f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
        for name in ("drifted_columns", "ok"):
            if hasattr(type(value), name):
                out[name] = to_json(getattr(value, name))
        return out
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
