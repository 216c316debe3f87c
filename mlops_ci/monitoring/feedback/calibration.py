"""The calibrator a performance estimate relies on: fitted at registration, kept as plain JSON.

A binary classifier's probability of its positive class (``classes_[-1]``) is mapped to a
calibrated probability, fitted on the held-out test set when the version is registered:

- ``platt``: a logistic fit on the log-odds of the score (two numbers, smooth);
- ``isotonic``: a monotone step fit (knots), linear between knots and clipped outside them,
  as scikit-learn's ``IsotonicRegression(out_of_bounds="clip")`` predicts;
- ``auto``: isotonic from ``ISOTONIC_MIN_ROWS`` test rows, else Platt. Isotonic overfits small
  sets and, clipped at its outer knots, cannot follow scores beyond the test set's range, which
  covariate shift brings: on the tests' generated data its ROC AUC intervals covered 80% of
  seeds where Platt's covered over 90%.

The release keeps it as ``calibration.json``: numbers only, so reading it back runs no code
(unlike a pickled or even a skops-loaded estimator). ``CalibrationQuality`` says how well the
estimate can be trusted: Brier score and expected calibration error (ECE, 10 equal-width
bins) of the raw scores, and of the calibrated ones cross-fitted (5 folds, each scored by a
calibrator fitted on the others), so the figures are not measured on the rows they were fitted
on. A file that is not such a calibrator is a ``UserError`` naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlops_ci.errors import UserError

if TYPE_CHECKING:
    import numpy.typing as npt

CALIBRATION_FILE = "calibration.json"
SCHEMA = 1
ISOTONIC_MIN_ROWS = 5000
ECE_BINS = 10
FOLDS = 5
REPLICATES = 40
_EPSILON = 1e-6
Method = Literal["isotonic", "platt"]
Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class CalibrationQuality:
    """How well probabilities match outcomes on the test set, before and after calibration."""

    rows: int
    brier_raw: float
    ece_raw: float
    brier: float  # calibrated, cross-fitted
    ece: float  # calibrated, cross-fitted


@dataclass(frozen=True, slots=True)
class Fit:
    """One fitted map: Platt's two numbers, or isotonic knots."""

    method: Method
    slope: float = 1.0  # platt
    intercept: float = 0.0  # platt
    knots_x: tuple[float, ...] = ()  # isotonic
    knots_y: tuple[float, ...] = ()  # isotonic

    def apply(self, scores: npt.ArrayLike) -> npt.NDArray[Any]:
        """Calibrated probabilities of the positive class for ``scores`` (same shape)."""
        import numpy as np

        values = np.asarray(scores, dtype=float)
        if self.method == "platt":
            return _sigmoid(self.slope * _logit(values) + self.intercept)
        calibrated: npt.NDArray[Any] = np.interp(
            values, np.asarray(self.knots_x), np.asarray(self.knots_y)
        )
        return calibrated

    def to_json(self) -> dict[str, object]:
        if self.method == "platt":
            return {"slope": self.slope, "intercept": self.intercept}
        return {"x": [round(v, 6) for v in self.knots_x], "y": [round(v, 6) for v in self.knots_y]}


@dataclass(frozen=True, slots=True)
class Calibrator:
    """The fitted map, and ``replicates`` fitted on bootstrap resamples of the same test rows.

    The replicates carry the calibrator's own uncertainty (it was fitted on a few hundred or
    thousand rows) into the estimate's interval; without them the interval would only cover
    the luck of the production sample and be too narrow.
    """

    fit: Fit
    replicates: tuple[Fit, ...]
    positive_class: Scalar
    classes: tuple[Scalar, ...]
    quality: CalibrationQuality
    fitted_on: str = ""  # the test file, as mlops.yaml names it

    @property
    def method(self) -> Method:
        return self.fit.method

    def apply(self, scores: npt.ArrayLike) -> npt.NDArray[Any]:
        return self.fit.apply(scores)

    def to_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "kind": "mlops-ci calibration",
            "method": self.method,
            "positive_class": self.positive_class,
            "classes": list(self.classes),
            "fitted_on": self.fitted_on,
            "fit": self.fit.to_json(),
            "replicates": [replicate.to_json() for replicate in self.replicates],
            "quality": {
                "rows": self.quality.rows,
                "brier_raw": self.quality.brier_raw,
                "ece_raw": self.quality.ece_raw,
                "brier": self.quality.brier,
                "ece": self.quality.ece,
            },
        }


def choose_method(method: Literal["auto", "isotonic", "platt"], rows: int) -> Method:
    if method != "auto":
        return method
    return "isotonic" if rows >= ISOTONIC_MIN_ROWS else "platt"


def fit_calibrator(
    scores: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    *,
    method: Literal["auto", "isotonic", "platt"] = "auto",
    positive_class: Scalar = 1,
    classes: tuple[Scalar, ...] = (0, 1),
    fitted_on: str = "",
) -> Calibrator:
    """Fit on ``scores`` (positive-class probabilities) and ``outcomes`` (1 positive, 0 not)."""
    import numpy as np

    x = np.asarray(scores, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    if len(x) != len(y) or len(x) < 2 * FOLDS:
        raise UserError(f"calibration needs at least {2 * FOLDS} test rows, got {len(x)}")
    if len(np.unique(y)) < 2:
        raise UserError("calibration needs both classes in the test set; it holds one only")
    chosen = choose_method(method, len(x))
    crossed = np.empty_like(x)
    for train, held in _folds(len(x)):
        crossed[held] = _fit(chosen, x[train], y[train]).apply(x[held])
    quality = CalibrationQuality(
        rows=len(x),
        brier_raw=brier(x, y),
        ece_raw=expected_calibration_error(x, y),
        brier=brier(crossed, y),
        ece=expected_calibration_error(crossed, y),
    )
    rng = np.random.default_rng(0)
    replicates = []
    for _ in range(REPLICATES):
        sample = rng.integers(0, len(x), len(x))
        if len(np.unique(y[sample])) == 2:
            replicates.append(_fit(chosen, x[sample], y[sample]))
    return Calibrator(
        fit=_fit(chosen, x, y), replicates=tuple(replicates), positive_class=positive_class,
        classes=classes, quality=quality, fitted_on=fitted_on,
    )


def brier(probabilities: npt.ArrayLike, outcomes: npt.ArrayLike) -> float:
    import numpy as np

    p, y = np.asarray(probabilities, dtype=float), np.asarray(outcomes, dtype=float)
    return float(np.mean((p - y) ** 2))


def expected_calibration_error(
    probabilities: npt.ArrayLike, outcomes: npt.ArrayLike, bins: int = ECE_BINS
) -> float:
    """Mean |predicted - observed| over equal-width probability bins, weighted by bin size."""
    import numpy as np

    p, y = np.asarray(probabilities, dtype=float), np.asarray(outcomes, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += abs(float(p[members].mean() - y[members].mean())) * int(members.sum())
    return total / len(p)


def write_calibrator(calibrator: Calibrator, path: Path) -> None:
    text = json.dumps(calibrator.to_json(), indent=2, allow_nan=False) + "\n"
    path.write_text(text, encoding="utf-8")


def read_calibrator(path: Path, *, display: str | None = None) -> Calibrator:
    """The calibrator in ``path``; ``UserError`` naming the file when it is not one."""
    name = display or str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserError(f"{name}: not a readable calibration file: {error}") from None
    try:
        return calibrator_from_json(data)
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(
            f"{name}: not an mlops-ci calibration file ({error})",
            hint="it is written by the register stage; register the version again",
        ) from None


def calibrator_from_json(data: object) -> Calibrator:
    """Parse the JSON form; ``ValueError``/``KeyError``/``TypeError`` when it is not one."""
    if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
        raise ValueError("unknown format")
    method = data["method"]
    if method != "platt" and method != "isotonic":
        raise ValueError(f"unknown method {method!r}")
    raw_quality = data["quality"]
    quality = CalibrationQuality(
        rows=int(raw_quality["rows"]),
        **{key: _finite(raw_quality[key], key) for key in ("brier_raw", "ece_raw", "brier", "ece")},
    )
    replicates = data["replicates"]
    if not isinstance(replicates, list):
        raise ValueError("replicates must be a list")
    return Calibrator(
        fit=_fit_from_json(method, data["fit"]),
        replicates=tuple(_fit_from_json(method, item) for item in replicates),
        positive_class=_scalar(data["positive_class"]),
        classes=tuple(_scalar(value) for value in data["classes"]),
        quality=quality,
        fitted_on=str(data.get("fitted_on") or ""),
    )


def _fit_from_json(method: Method, fit: Any) -> Fit:
    if method == "platt":
        return Fit("platt", slope=_finite(fit["slope"], "slope"),
                   intercept=_finite(fit["intercept"], "intercept"))
    xs = tuple(_finite(value, "x") for value in fit["x"])
    ys = tuple(_finite(value, "y") for value in fit["y"])
    if not xs or len(xs) != len(ys) or any(b < a for a, b in pairwise(xs)):
        raise ValueError("isotonic knots must be non-empty, paired and increasing")
    if any(not 0.0 <= value <= 1.0 for value in ys):
        raise ValueError("isotonic values must be probabilities")
    return Fit("isotonic", knots_x=xs, knots_y=ys)


def _fit(method: Method, x: npt.NDArray[Any], y: npt.NDArray[Any]) -> Fit:
    if method == "platt":
        slope, intercept = _platt(_logit(x), y)
        return Fit("platt", slope=slope, intercept=intercept)
    from sklearn.isotonic import IsotonicRegression

    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
    return Fit("isotonic", knots_x=tuple(float(v) for v in isotonic.X_thresholds_),
               knots_y=tuple(float(v) for v in isotonic.y_thresholds_))


def _platt(z: npt.NDArray[Any], y: npt.NDArray[Any]) -> tuple[float, float]:
    """Maximum-likelihood ``(slope, intercept)`` of ``P(y) = sigmoid(slope * z + intercept)``.

    Newton's method on two parameters, with a tiny ridge so a separable set still converges.
    """
    import numpy as np

    design = np.column_stack([z, np.ones_like(z)])

    def loss(beta: npt.NDArray[Any]) -> float:
        margin = design @ beta
        return float(np.sum(np.logaddexp(0.0, margin) - y * margin) + 5e-7 * beta @ beta)

    beta = np.array([1.0, 0.0])
    current = loss(beta)
    for _ in range(100):
        p = _sigmoid(design @ beta)
        weights = p * (1 - p)
        gradient = design.T @ (y - p) - 1e-6 * beta
        hessian = (design * weights[:, None]).T @ design + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-6 and loss(beta + scale * step) > current:
            scale /= 2  # damped: a full Newton step can overshoot on extreme scores
        beta = beta + scale * step
        previous, current = current, loss(beta)
        if float(np.max(np.abs(scale * step))) < 1e-10 or previous - current < 1e-12:
            break
    return float(beta[0]), float(beta[1])


def _folds(rows: int) -> list[tuple[npt.NDArray[Any], npt.NDArray[Any]]]:
    import numpy as np

    order = np.random.default_rng(0).permutation(rows)
    parts = np.array_split(order, FOLDS)
    return [
        (np.concatenate([p for j, p in enumerate(parts) if j != i]), parts[i])
        for i in range(FOLDS)
    ]


def _logit(p: npt.NDArray[Any]) -> npt.NDArray[Any]:
    import numpy as np

    clipped = np.clip(p, _EPSILON, 1 - _EPSILON)
    return np.log(clipped / (1 - clipped))  # type: ignore[no-any-return]


def _sigmoid(z: npt.NDArray[Any]) -> npt.NDArray[Any]:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))  # type: ignore[no-any-return]


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _scalar(value: object) -> Scalar:
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError(f"a class must be a string, number or boolean, got {value!r}")
