"""Training a declared scikit-learn estimator (``train.estimator``) inside a preprocessing Pipeline.

The class comes from a config a pull request can change, so only classes under
``sklearn.`` are imported: a dotted path elsewhere would run arbitrary code on import.

The pipeline: numeric columns (int, float) get ``SimpleImputer(median)`` and
``StandardScaler``; category, string and bool columns get ``SimpleImputer(most_frequent)``
and a dense ``OneHotEncoder`` (every estimator takes dense input; HistGradientBoosting
refuses sparse), unseen categories encoded as zeros. When a column has over
``MAX_CATEGORIES`` categories, each keeps at most that many and the rarer share one (the
serving's fused path then steps aside: it handles exact categories only). The id column, the
target and datetime columns are not features. A text column with a different value in every
row identifies rows: it is refused with a message naming it, rather than one-hot encoded into
one column per row. Without a column schema, numeric pandas dtypes are numeric and everything
else categorical. ``random_state`` is set to ``train.seed`` when the estimator takes one and
the params do not set it.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops_ci.config.model import DataSpec, Estimator, Task
from mlops_ci.errors import UserError

_ALLOWED_ROOT = "sklearn"
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_PARAM_IN_MESSAGE = re.compile(r"The '(\w+)' parameter")


@dataclass(frozen=True, slots=True)
class FittedEstimator:
    model: Any  # the fitted sklearn Pipeline
    params: tuple[tuple[str, object], ...]  # the estimator's constructor params, as used
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]


def import_estimator(class_path: str, *, config_path: str) -> type[Any]:
    """The estimator class at ``class_path``; ``UserError`` unless it is a sklearn estimator."""
    if not _DOTTED.fullmatch(class_path) or class_path.split(".", 1)[0] != _ALLOWED_ROOT:
        raise UserError(
            f"{config_path}: {class_path!r} is not a scikit-learn class; mlops-ci only "
            "imports estimators under 'sklearn.' (a config from a pull request must not "
            "import arbitrary code)",
            hint="use train.command to run your own training code instead",
        )
    module_name, _, class_name = class_path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise UserError(f"{config_path}: there is no module {module_name!r}") from None
    found = getattr(module, class_name, None)
    from sklearn.base import BaseEstimator

    if found is None:
        close = difflib.get_close_matches(class_name, dir(module), n=1)
        hint = f"did you mean {module_name}.{close[0]}?" if close else None
        raise UserError(f"{config_path}: {module_name} has no {class_name!r}", hint=hint)
    if not (inspect.isclass(found) and issubclass(found, BaseEstimator)):
        raise UserError(f"{config_path}: {class_path} is not a scikit-learn estimator class")
    return found


def check_task(estimator: Any, task: Task, *, config_path: str) -> None:
    """``UserError`` when a classifier is asked to do regression or the other way round."""
    from sklearn.base import is_classifier, is_regressor

    name = type(estimator).__name__
    if task == "classification" and not is_classifier(estimator):
        raise UserError(f"{config_path}: {name} is not a classifier, but evaluate.task is "
                        "classification")
    if task == "regression" and not is_regressor(estimator):
        raise UserError(f"{config_path}: {name} is not a regressor, but evaluate.task is "
                        "regression")


def build_estimator(
    spec: Estimator, *, seed: int, config_path: str, task: Task | None = None
) -> Any:
    """An unfitted instance of the declared estimator with its params (names checked)."""
    cls = import_estimator(spec.class_path, config_path=f"{config_path}.class")
    accepted = _constructor_params(cls)
    params = dict(spec.params)
    for name in params:
        if name not in accepted:
            close = difflib.get_close_matches(name, list(accepted), n=1)
            hint = f"did you mean {close[0]!r}?" if close else (
                f"{cls.__name__} takes: {', '.join(sorted(accepted)) or 'no parameters'}")
            raise UserError(
                f"{config_path}.params.{name}: {cls.__name__} has no parameter {name!r}",
                hint=hint,
            )
    if "random_state" in accepted and "random_state" not in params:
        params["random_state"] = seed
    try:
        estimator = cls(**params)
    except TypeError as error:
        raise UserError(f"{config_path}.params: cannot create {cls.__name__}: {error}") from None
    if task is not None:
        check_task(estimator, task, config_path=f"{config_path}.class")
    return estimator


def _constructor_params(cls: type[Any]) -> tuple[str, ...]:
    signature = inspect.signature(cls.__init__)
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(
        name for name, parameter in signature.parameters.items()
        if name != "self" and parameter.kind in kinds
    )


MAX_CATEGORIES = 100
MIN_ROWS_FOR_IDENTIFIER = 20  # below this, all-distinct values are no evidence of an identifier


def fit_pipeline(
    spec: Estimator,
    data: DataSpec,
    features: Any,
    target: Any,
    *,
    seed: int,
    task: Task,
    config_path: str,
) -> FittedEstimator:
    """Fit preprocessing + the declared estimator on ``features``/``target``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    estimator = build_estimator(spec, seed=seed, config_path=config_path, task=task)
    numeric, categorical = feature_columns(data, features)
    if not numeric and not categorical:
        raise UserError(f"{config_path}: the training data has no feature columns")
    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        parts.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median")),
                                           ("scale", StandardScaler())]), list(numeric)))
    distinct = {name: features[name].nunique(dropna=False) for name in categorical}
    _refuse_identifiers(features, distinct, data, config_path)
    if categorical:
        wide = any(count > MAX_CATEGORIES for count in distinct.values())
        onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False,
                               max_categories=MAX_CATEGORIES if wide else None)
        parts.append(("categorical",
                      Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                ("onehot", onehot)]),
                      list(categorical)))
    pipeline = Pipeline([("features", ColumnTransformer(parts)), ("estimator", estimator)])
    fit_frame = _as_fit_frame(features, categorical)
    try:
        pipeline.fit(fit_frame, target)
    except (ValueError, TypeError) as error:
        raise UserError(_fit_message(error, config_path, type(estimator).__name__)) from None
    return FittedEstimator(
        pipeline,
        tuple(sorted(_json_safe(estimator.get_params(deep=False)).items())),
        numeric,
        categorical,
    )


def feature_columns(data: DataSpec, features: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(numeric, categorical) feature columns, from the schema or the frame's dtypes."""
    declared = {column.name: column.dtype for column in data.columns}
    numeric: list[str] = []
    categorical: list[str] = []
    for name in features.columns:
        dtype = declared.get(name)
        if dtype is None:
            if declared and not data.allow_extra_columns:
                continue
            kind = features[name].dtype.kind
            dtype = "float" if kind in "iuf" else ("datetime" if kind in "mM" else "category")
        if dtype in ("int", "float"):
            numeric.append(name)
        elif dtype in ("category", "string", "bool"):
            categorical.append(name)
    return tuple(numeric), tuple(categorical)


def _refuse_identifiers(
    features: Any, distinct: Mapping[str, int], data: DataSpec, config_path: str
) -> None:
    rows = len(features)
    if rows < MIN_ROWS_FOR_IDENTIFIER:
        return
    for name, count in distinct.items():
        if features[name].dtype.kind != "b" and count == rows:
            hint = (f"declare it as data.id_column: {name}" if data.id_column is None
                    else f"data.id_column is {data.id_column}: drop {name} from the training data")
            raise UserError(
                f"{config_path}: column {name!r} has a different value in each of the {rows:,} "
                "training rows, so it identifies rows and cannot be a feature",
                hint=hint,
            )


def _as_fit_frame(features: Any, categorical: tuple[str, ...]) -> Any:
    """Boolean columns as objects: SimpleImputer refuses a bool dtype when fitting."""
    frame = features.copy()
    for name in categorical:
        if frame[name].dtype.kind == "b":
            frame[name] = frame[name].astype(object)
    return frame


def _fit_message(error: BaseException, config_path: str, estimator: str) -> str:
    match = _PARAM_IN_MESSAGE.search(str(error))
    if match:
        return f"{config_path}.params.{match.group(1)}: {error}"
    return f"{config_path}: fitting {estimator} failed: {error}"


def _json_safe(params: Mapping[str, Any]) -> dict[str, object]:
    safe: dict[str, object] = {}
    for name, value in params.items():
        finite = not isinstance(value, float) or math.isfinite(value)
        if value is None or (isinstance(value, bool | int | float | str) and finite):
            safe[name] = value
        else:
            safe[name] = repr(value)
    return safe
