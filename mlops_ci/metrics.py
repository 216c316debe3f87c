"""Metric name -> how scikit-learn computes it and which way is better.

The names are exactly those ``evaluate.metrics`` allows in the schema. What a caller may
rely on:

- Every result is a finite float or a ``MetricValue`` marked undefined with the reason
  (a test set with one class has no ROC AUC; a model without ``predict_proba`` has no
  log loss). Never NaN, never infinity.
- Binary classification takes ``evaluate.positive_class`` as the positive class, by default
  the model's last class (``classes_[-1]``, e.g. 1 of 0/1): precision, recall, f1,
  average_precision and brier_score use it as ``pos_label``, roc_auc scores its
  probability column. With more classes, precision/recall/f1/average_precision are
  macro-averaged (``MULTICLASS_AVERAGE``) and roc_auc is one-vs-rest (macro); no class is
  positive.
- Probability metrics use ``predict_proba``, with columns in the order of ``classes_``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlops_ci.config.model import ClassLabel, Task
from mlops_ci.config.model import Direction as Direction  # the metrics' word for it too
from mlops_ci.errors import UserError

MULTICLASS_AVERAGE = "macro"


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One metric of one model: a finite ``value``, or ``None`` with ``undefined_reason``."""

    name: str
    value: float | None
    undefined_reason: str | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Predictions:
    """What a model said about the test set, in the form the metric functions take.

    ``proba`` is ``None`` when the model has no ``predict_proba`` (``proba_missing`` says
    why); ``classes`` is the model's ``classes_`` (classification only), and
    ``positive_index`` the position of the positive class among them (binary only).
    ``weight``: the rows each row stands for (``sample_weight``; counted live quality), taken by
    the label metrics and by binary ROC AUC and average precision; ``None``: one each.
    """

    y_true: Any
    y_pred: Any
    proba: Any = None
    classes: tuple[Any, ...] = ()
    proba_missing: str | None = None
    positive_index: int = -1
    weight: Any = None

    @property
    def positive_class(self) -> Any:
        """The class binary metrics treat as positive; ``None`` unless there are two."""
        return _plain(self.classes[self.positive_index]) if _binary(self) else None


@dataclass(frozen=True, slots=True)
class MetricDef:
    name: str
    task: Task
    direction: Direction
    needs_proba: bool
    compute: Callable[[Predictions], float]
    label: str  # how the report names it


class Undefined(Exception):
    """Raised inside a metric function: the metric has no value on this data."""


def _binary(p: Predictions) -> bool:
    return len(p.classes) == 2


def _positive(p: Predictions) -> Any:
    return p.classes[p.positive_index]


def _positive_proba(p: Predictions) -> Any:
    return p.proba[:, p.positive_index]


def _need_two_classes(p: Predictions, what: str) -> None:
    import numpy as np

    present = np.unique(p.y_true)
    if len(present) < 2:
        shown = ", ".join(repr(_plain(value)) for value in present) or "none"
        raise Undefined(f"the test set holds one class only ({shown}); {what} needs two")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _accuracy(p: Predictions) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(p.y_true, p.y_pred, sample_weight=p.weight))


def _balanced_accuracy(p: Predictions) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(p.y_true, p.y_pred, sample_weight=p.weight))


def _averaged(function: Callable[..., Any], p: Predictions, zero_reason: str) -> float:
    import numpy as np

    which: dict[str, Any] = ({"pos_label": _positive(p)} if _binary(p) else
                             {"average": MULTICLASS_AVERAGE, "labels": list(p.classes)})
    value = function(p.y_true, p.y_pred, zero_division=np.nan, sample_weight=p.weight, **which)
    if not math.isfinite(float(value)):
        raise Undefined(zero_reason)
    return float(value)


def _precision(p: Predictions) -> float:
    from sklearn.metrics import precision_score

    return _averaged(precision_score, p, "the model predicts no positive case")


def _recall(p: Predictions) -> float:
    from sklearn.metrics import recall_score

    return _averaged(recall_score, p, "the test set holds no positive case")


def _f1(p: Predictions) -> float:
    from sklearn.metrics import f1_score

    return _averaged(f1_score, p, "no positive case predicted or present")


def _roc_auc(p: Predictions) -> float:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    _need_two_classes(p, "ROC AUC")
    if _binary(p):
        return float(roc_auc_score(np.asarray(p.y_true) == _positive(p), _positive_proba(p),
                                   sample_weight=p.weight))
    return float(roc_auc_score(p.y_true, p.proba, multi_class="ovr", labels=list(p.classes)))


def _average_precision(p: Predictions) -> float:
    import numpy as np
    from sklearn.metrics import average_precision_score
    from sklearn.preprocessing import label_binarize

    _need_two_classes(p, "average precision")
    if _binary(p):
        return float(average_precision_score(p.y_true, _positive_proba(p), pos_label=_positive(p),
                                             sample_weight=p.weight))
    truth = label_binarize(p.y_true, classes=list(p.classes))
    present = truth.sum(axis=0) > 0
    return float(average_precision_score(truth[:, present], np.asarray(p.proba)[:, present]))


def _log_loss(p: Predictions) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(p.y_true, p.proba, labels=list(p.classes)))


def _brier(p: Predictions) -> float:
    from sklearn.metrics import brier_score_loss

    if _binary(p):
        return float(brier_score_loss(p.y_true, _positive_proba(p), pos_label=_positive(p)))
    return float(brier_score_loss(p.y_true, p.proba, labels=list(p.classes)))


def _mae(p: Predictions) -> float:
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(p.y_true, p.y_pred))


def _mse(p: Predictions) -> float:
    from sklearn.metrics import mean_squared_error

    return float(mean_squared_error(p.y_true, p.y_pred))


def _rmse(p: Predictions) -> float:
    return math.sqrt(_mse(p))


def _r2(p: Predictions) -> float:
    import numpy as np
    from sklearn.metrics import r2_score

    if len(p.y_true) < 2 or float(np.var(np.asarray(p.y_true, dtype=float))) == 0.0:
        raise Undefined("the test target is constant; R² compares against its variance")
    return float(r2_score(p.y_true, p.y_pred))


def _mape(p: Predictions) -> float:
    import numpy as np
    from sklearn.metrics import mean_absolute_percentage_error

    zeros = int(np.sum(np.asarray(p.y_true, dtype=float) == 0.0))
    if zeros:
        raise Undefined(f"the test target is 0 in {zeros} row(s); a percentage of 0 is undefined")
    return float(mean_absolute_percentage_error(p.y_true, p.y_pred))


def _median_ae(p: Predictions) -> float:
    from sklearn.metrics import median_absolute_error

    return float(median_absolute_error(p.y_true, p.y_pred))


_C: Task = "classification"
_R: Task = "regression"
METRICS: Mapping[str, MetricDef] = {
    d.name: d
    for d in (
        MetricDef("accuracy", _C, "higher", False, _accuracy, "Accuracy"),
        MetricDef("balanced_accuracy", _C, "higher", False, _balanced_accuracy,
                  "Balanced accuracy"),
        MetricDef("precision", _C, "higher", False, _precision, "Precision"),
        MetricDef("recall", _C, "higher", False, _recall, "Recall"),
        MetricDef("f1", _C, "higher", False, _f1, "F1"),
        MetricDef("roc_auc", _C, "higher", True, _roc_auc, "ROC AUC"),
        MetricDef("log_loss", _C, "lower", True, _log_loss, "Log loss"),
        MetricDef("brier_score", _C, "lower", True, _brier, "Brier score"),
        MetricDef("average_precision", _C, "higher", True, _average_precision,
                  "Average precision"),
        MetricDef("mae", _R, "lower", False, _mae, "MAE"),
        MetricDef("mse", _R, "lower", False, _mse, "MSE"),
        MetricDef("rmse", _R, "lower", False, _rmse, "RMSE"),
        MetricDef("r2", _R, "higher", False, _r2, "R²"),
        MetricDef("mape", _R, "lower", False, _mape, "MAPE"),
        MetricDef("median_ae", _R, "lower", False, _median_ae, "Median absolute error"),
    )
}
"""Every metric mlops-ci computes, by the name ``mlops.yaml`` uses."""


def format_metric(value: float) -> str:
    """How a metric value, a gate's bound or a change is written, everywhere it is shown.

    One format, so a value reads the same in the metrics table, the gates' explanations and
    the release: up to 4 decimals without trailing zeros (0.8661, 0.7, 12), 3 significant
    digits for values too small or too large for that (0.000123, 1.23e+05).
    """
    if value == 0:
        return "0"
    if 0.001 <= abs(value) < 100_000:
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def format_change(value: float) -> str:
    """A signed change in ``format_metric``'s format: ``+0.02``, ``-0.0013``, ``±0``."""
    if value == 0 or format_metric(abs(value)) == "0":
        return "±0"
    return ("+" if value > 0 else "-") + format_metric(abs(value))


def metric(name: str) -> MetricDef:
    """The definition of ``name``; ``UserError`` listing the known names otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        known = ", ".join(METRICS)
        raise UserError(f"unknown metric {name!r}", hint=f"known metrics: {known}") from None


def direction(name: str) -> Direction:
    return metric(name).direction


def metric_names(task: Task) -> tuple[str, ...]:
    return tuple(name for name, d in METRICS.items() if d.task == task)


def predict(
    model: object, features: Any, labels: Any, task: Task,
    positive_class: ClassLabel | None = None,
) -> Predictions:
    """Run ``model`` on ``features`` (predictions, and probabilities when it has them).

    ``positive_class`` (binary only; by default the last class) must be one of the model's
    classes: ``UserError`` naming it and them otherwise. A model that records the columns it
    was fitted on (``feature_names_in_``) gets those, in that order, as the model server
    gives them: the test set may hold columns the model does not use.
    """
    import numpy as np

    features = model_columns(model, features)
    y_pred = _call(model, "predict", features)
    if task == "regression":
        return Predictions(np.asarray(labels), np.asarray(y_pred))
    predict_proba = getattr(model, "predict_proba", None)
    raw_classes = getattr(model, "classes_", None)
    classes: tuple[Any, ...] = (
        tuple(raw_classes) if raw_classes is not None
        else tuple(np.unique(np.concatenate([np.asarray(labels), np.asarray(y_pred)])))
    )
    index = -1
    if positive_class is not None and len(classes) == 2:
        index = positive_index(classes, positive_class)
    if not callable(predict_proba):
        return Predictions(np.asarray(labels), np.asarray(y_pred), None, classes,
                           f"the model ({type(model).__name__}) has no predict_proba", index)
    try:
        proba = np.asarray(predict_proba(features), dtype=float)
    except AttributeError as error:  # e.g. SVC(probability=False) raises on access
        return Predictions(np.asarray(labels), np.asarray(y_pred), None, classes,
                           f"the model cannot give probabilities: {error}", index)
    return Predictions(np.asarray(labels), np.asarray(y_pred), proba, classes, None, index)


def positive_index(classes: Sequence[Any], positive_class: ClassLabel) -> int:
    """Where ``positive_class`` (as ``mlops.yaml`` writes it) is among ``classes``: the same
    value, else the same text (``"0"`` for 0, ``true`` for True)."""
    plain = [_plain(value) for value in classes]
    for index, value in enumerate(plain):
        if type(value) is type(positive_class) and value == positive_class:
            return index
    wanted = str(positive_class).casefold()
    for index, value in enumerate(plain):
        if str(value).casefold() == wanted:
            return index
    shown = ", ".join(repr(value) for value in plain)
    raise UserError(
        f"evaluate.positive_class {positive_class!r} is not one of the model's classes "
        f"({shown})",
        hint="write the class as it appears in the target column",
    )


def compute(names: Sequence[str], predictions: Predictions) -> tuple[MetricValue, ...]:
    """Each named metric on ``predictions``, in the order given; never NaN or infinite."""
    return tuple(_one(metric(name), predictions) for name in names)


def _one(definition: MetricDef, p: Predictions) -> MetricValue:
    if definition.needs_proba and p.proba is None:
        reason = p.proba_missing or "the model gives no probabilities"
        return MetricValue(definition.name, None, f"{reason}; {definition.label} needs them")
    try:
        with warnings.catch_warnings():  # an undefined case is reported with its reason instead
            warnings.simplefilter("ignore")
            value = definition.compute(p)
    except Undefined as undefined:
        return MetricValue(definition.name, None, str(undefined))
    except (ValueError, TypeError) as error:
        return MetricValue(definition.name, None, f"scikit-learn cannot compute it: {error}")
    if not math.isfinite(value):
        return MetricValue(definition.name, None, f"the result is not a finite number ({value})")
    return MetricValue(definition.name, value)


def model_columns(model: object, features: Any) -> Any:
    """``features`` restricted to the model's ``feature_names_in_`` when it records them and
    the table holds every one; else ``features`` as they are (the model then says what it
    misses)."""
    names = getattr(model, "feature_names_in_", None)
    columns = getattr(features, "columns", None)
    if names is None or columns is None:
        return features
    wanted = [str(name) for name in names]
    if not set(wanted) <= {str(column) for column in columns} or wanted == list(columns):
        return features
    return features[wanted]


def _call(model: object, method: str, features: Any) -> Any:
    function = getattr(model, method, None)
    if not callable(function):
        raise UserError(f"the model ({type(model).__name__}) has no {method}() method")
    try:
        return function(features)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise UserError(
            f"the model ({type(model).__name__}) failed to {method} on the test data: "
            f"{type(error).__name__}: {error}",
            hint="the test data must have the columns and types the model was trained on",
        ) from None
