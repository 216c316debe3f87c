"""Which model types load: scikit-learn's own with no configuration, a library's by its name.

Every scikit-learn classifier and regressor is fitted, saved with ``modelio.save_model`` and
loaded through ``modelio.load_model`` with an EMPTY ``trusted_types``. The types those files
hold beyond skops' defaults must be exactly ``trust.DEFAULT_TYPES``: a new scikit-learn that
adds, renames or drops one fails here, and docs/model-files.md must say the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlops_ci.cli import main
from mlops_ci.errors import UserError
from mlops_ci.modelio import check_trusted, load_model, save_model, untrusted_types
from mlops_ci.trust import DEFAULT_TYPES, LIBRARY_TYPES, NEVER_TRUSTED_MODULES
from tests.config.conftest import workspace, write_config
from tests.config.samples import MINIMAL, WriteConfig

__all__ = ["workspace", "write_config"]

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "model-files.md"

# Estimators that need constructor arguments, or data of another shape, to fit at all. Each
# is still fitted, saved and loaded with no trusted types: (constructor, data kind).
_Build = Callable[[], Any]


def _special() -> dict[str, tuple[_Build, str]]:
    from sklearn import (
        cross_decomposition,
        discriminant_analysis,
        ensemble,
        multiclass,
        multioutput,
        semi_supervised,
    )
    from sklearn import model_selection as ms
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    def lr() -> Any:
        return LogisticRegression()

    classifiers = [("tree", DecisionTreeClassifier(max_depth=2)), ("lr", lr())]
    regressors = [("tree", DecisionTreeRegressor(max_depth=2)), ("ridge", Ridge())]
    return {
        "CategoricalNB": (lambda: None, "counts"),
        "ComplementNB": (lambda: None, "counts"),
        "MultinomialNB": (lambda: None, "counts"),
        "IsotonicRegression": (lambda: None, "one_feature"),
        "MultiTaskElasticNet": (lambda: None, "two_targets"),
        "MultiTaskElasticNetCV": (lambda: None, "two_targets"),
        "MultiTaskLasso": (lambda: None, "two_targets"),
        "MultiTaskLassoCV": (lambda: None, "two_targets"),
        "QuadraticDiscriminantAnalysis": (
            lambda: discriminant_analysis.QuadraticDiscriminantAnalysis(reg_param=0.1), "default"),
        "CCA": (lambda: cross_decomposition.CCA(n_components=1), "default"),
        "PLSCanonical": (lambda: cross_decomposition.PLSCanonical(n_components=1), "default"),
        "ClassifierChain": (lambda: multioutput.ClassifierChain(lr()), "two_labels"),
        "MultiOutputClassifier": (lambda: multioutput.MultiOutputClassifier(lr()), "two_labels"),
        "RegressorChain": (lambda: multioutput.RegressorChain(Ridge()), "two_targets"),
        "MultiOutputRegressor": (lambda: multioutput.MultiOutputRegressor(Ridge()),
                                 "two_targets"),
        "OneVsOneClassifier": (lambda: multiclass.OneVsOneClassifier(lr()), "default"),
        "OneVsRestClassifier": (lambda: multiclass.OneVsRestClassifier(lr()), "default"),
        "OutputCodeClassifier": (lambda: multiclass.OutputCodeClassifier(lr(), random_state=0),
                                 "default"),
        "SelfTrainingClassifier": (lambda: semi_supervised.SelfTrainingClassifier(lr()),
                                   "default"),
        "FixedThresholdClassifier": (lambda: ms.FixedThresholdClassifier(lr()), "binary"),
        "TunedThresholdClassifierCV": (lambda: ms.TunedThresholdClassifierCV(lr()), "binary"),
        "StackingClassifier": (lambda: ensemble.StackingClassifier(classifiers), "default"),
        "VotingClassifier": (lambda: ensemble.VotingClassifier(classifiers), "default"),
        "StackingRegressor": (lambda: ensemble.StackingRegressor(regressors), "default"),
        "VotingRegressor": (lambda: ensemble.VotingRegressor(regressors), "default"),
    }


SKIPPED: dict[str, str] = {}
"""Estimators not fitted here, with why. None today: every one listed fits (see _special)."""

NEEDS_MORE: dict[str, str] = {
    "TunedThresholdClassifierCV": "its scorer holds a metric function and routing requests",
}
"""Estimators that, fitted as here, still need an entry in trusted_types (docs/model-files.md)."""


def _data(kind: str, task: str) -> tuple[Any, Any]:
    from sklearn.datasets import make_classification, make_regression

    x, labels = make_classification(n_samples=60, n_features=5, n_informative=3, n_classes=3,
                                    random_state=0)
    xr, target = make_regression(n_samples=60, n_features=5, random_state=0)
    if kind == "counts":
        return np.abs(x * 3).astype(int), labels
    if kind == "one_feature":
        return xr[:, :1], target
    if kind == "two_labels":
        return x, np.c_[labels, labels % 2]
    if kind == "two_targets":
        return xr, np.c_[target, -target]
    if kind == "binary":
        return x, labels % 2
    if task == "regressor":
        return np.abs(xr), np.abs(target) + 1  # positive: Poisson, Gamma and Tweedie fit too
    return x, labels


def _estimators() -> list[tuple[str, str, Any, str]]:
    from sklearn.utils import all_estimators

    special = _special()
    found = []
    for task in ("classifier", "regressor"):
        for name, cls in all_estimators(type_filter=task):
            if name in SKIPPED:
                continue
            build, kind = special.get(name, (lambda: None, "default"))
            built = build()
            estimator = built if built is not None else cls()
            params = estimator.get_params(deep=False)
            if "n_estimators" in params:
                estimator.set_params(n_estimators=3)
            if name.startswith("HistGradientBoosting"):
                estimator.set_params(max_iter=5)
            found.append((name, task, estimator, kind))
    return found


def _round_trip(estimator: Any, x: Any, y: Any, path: Path) -> tuple[str, ...]:
    """Fit, save, load with no trusted types; the loaded model predicts the same."""
    estimator.fit(x, y)
    save_model(estimator, path)
    loaded: Any = load_model(path, ())
    np.testing.assert_allclose(loaded.predict(x), estimator.predict(x))
    return untrusted_types(path)


@pytest.mark.slow
def test_every_sklearn_classifier_and_regressor_loads_with_no_trusted_types(
    tmp_path: Path,
) -> None:
    import warnings

    from sklearn.utils import all_estimators

    listed = {name for task in ("classifier", "regressor")
              for name, _ in all_estimators(type_filter=task)}
    fitted, refused, found = set(), {}, set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on 60 rows
        for name, task, estimator, kind in _estimators():
            x, y = _data(kind, task)
            try:
                found |= set(_round_trip(estimator, x, y, tmp_path / f"{name}.skops"))
            except UserError as error:
                refused[name] = error.message
            fitted.add(name)
    assert fitted | set(SKIPPED) == listed
    assert set(refused) == set(NEEDS_MORE), refused
    assert found <= DEFAULT_TYPES


def _variants() -> list[tuple[str, Any, str]]:
    """Models whose other settings hold the remaining default types, one setting each."""
    from sklearn import calibration, linear_model, neighbors, neural_network
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.ensemble import StackingClassifier
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.gaussian_process import kernels as k
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier

    found: list[tuple[str, Any, str]] = []
    for metric in sorted(neighbors.VALID_METRICS["ball_tree"]):
        params: dict[str, Any] = {
            "mahalanobis": {"VI": np.eye(5)}, "seuclidean": {"V": np.ones(5)}}.get(metric, {})
        kind = "binary_values" if metric in neighbors.VALID_METRICS_SPARSE["ball_tree"] else (
            "latlong" if metric == "haversine" else "default")
        if metric in {"pyfunc", "minkowski", "p", "euclidean"}:
            continue  # a callable (never by default); minkowski below; the others: aliases
        found.append((f"ball_tree/{metric}", neighbors.KNeighborsClassifier(
            algorithm="ball_tree", metric=metric, metric_params=params or None), kind))
    found.append(("kd_tree/minkowski p=3", neighbors.KNeighborsClassifier(
        algorithm="kd_tree", p=3), "default"))
    for kernel in (k.Matern(), k.RationalQuadratic(), k.DotProduct(), k.PairwiseKernel(),
                   k.WhiteKernel() + k.ConstantKernel() * k.RBF() ** 2):
        found.append((f"gpc/{kernel}", GaussianProcessClassifier(kernel=kernel), "default"))
    found += [
        ("temperature", calibration.CalibratedClassifierCV(method="temperature"), "default"),
        ("mlp/sgd", neural_network.MLPClassifier(solver="sgd", max_iter=5), "default"),
        ("tweedie/1.5", linear_model.TweedieRegressor(power=1.5), "positive"),
        ("pipeline", make_pipeline(
            ColumnTransformer([("n", SimpleImputer(), [0, 1]),
                               ("all", "passthrough", make_column_selector(dtype_include=float))]),
            linear_model.LogisticRegression()), "frame"),
        ("stacking", StackingClassifier([("t", DecisionTreeClassifier(max_depth=2))]), "default"),
    ]
    return found


@pytest.mark.slow
def test_every_default_type_is_one_a_fitted_sklearn_model_holds(tmp_path: Path) -> None:
    import warnings

    import pandas as pd

    x, labels = _data("default", "classifier")
    inputs = {
        "default": (x, labels),
        "binary_values": ((x > 0).astype(float), labels),
        "latlong": (np.c_[np.sin(x[:, 0]), np.cos(x[:, 1])], labels),
        "positive": _data("default", "regressor"),
        "frame": (pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])]), labels),
    }
    found: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, (_, estimator, kind) in enumerate(_variants()):
            found |= set(_round_trip(estimator, *inputs[kind], tmp_path / f"{index}.skops"))
        for name, task, estimator, kind in _estimators():
            if name.startswith(("DecisionTree", "HistGradientBoosting", "GaussianProcess",
                                "CalibratedClassifierCV", "MLP", "TweedieRegressor",
                                "OutputCodeClassifier")):
                found |= set(_round_trip(estimator, *_data(kind, task),
                                         tmp_path / f"{name}.skops"))
    assert found == DEFAULT_TYPES


def test_the_docs_list_exactly_the_trusted_and_never_trusted_names() -> None:
    text = DOC.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([\w.]+)` \|", text, flags=re.MULTILINE))
    libraries = {name for names in LIBRARY_TYPES.values() for name in names}
    assert listed == DEFAULT_TYPES | libraries
    for library in LIBRARY_TYPES:
        assert f"### `{library}`" in text
    for module in NEVER_TRUSTED_MODULES:
        assert f"`{module}`" in text


def test_the_schema_accepts_exactly_the_library_names() -> None:
    import json

    schema = json.loads((REPO / "mlops_ci" / "schema" / "mlops.schema.json").read_text())
    names = schema["$defs"]["trustedType"]["anyOf"][1]["enum"]
    assert names == list(LIBRARY_TYPES)


# -- the libraries, by name ----------------------------------------------------------------


def _multiclass() -> tuple[Any, Any]:
    from sklearn.datasets import make_classification

    return make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=3,
                               random_state=0)


def _library_models(library: str) -> list[Any]:
    if library == "xgboost":
        import xgboost

        return [xgboost.XGBClassifier(n_estimators=3), xgboost.XGBRegressor(n_estimators=3),
                xgboost.XGBRFClassifier(n_estimators=3), xgboost.XGBRFRegressor(n_estimators=3)]
    import lightgbm

    return [lightgbm.LGBMClassifier(n_estimators=3, verbose=-1),
            lightgbm.LGBMRegressor(n_estimators=3, verbose=-1)]


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_a_library_model_loads_when_the_library_is_named(library: str, tmp_path: Path) -> None:
    x, y = _multiclass()
    found: set[str] = set()
    for index, model in enumerate(_library_models(library)):
        model.fit(x, y)
        path = tmp_path / f"{index}.skops"
        save_model(model, path)
        loaded: Any = load_model(path, [library])
        np.testing.assert_allclose(loaded.predict(x), model.predict(x))
        if index == 0:
            assert len(set(loaded.predict(x))) == 3  # multiclass
            assert list(loaded.predict_proba(x[:2]).shape) == [2, 3]
        found |= set(untrusted_types(path))
    assert found == LIBRARY_TYPES[library]  # the vetted list is exactly what the models hold


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_a_library_model_is_refused_naming_the_option_that_trusts_it(
    library: str, tmp_path: Path
) -> None:
    x, y = _multiclass()
    model = _library_models(library)[0].fit(x, y)
    path = tmp_path / "model.skops"
    save_model(model, path)
    other = "lightgbm" if library == "xgboost" else "xgboost"
    with pytest.raises(UserError) as caught:
        load_model(path, [other])
    assert f"add `{library}` to evaluate.trusted_types" in caught.value.message
    assert str(path) in caught.value.message


def test_catboost_by_name_trusts_its_vetted_types_only(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    check_trusted(path, ["catboost.core.CatBoostClassifier"], ["catboost"])
    with pytest.raises(UserError, match=r"add `catboost` to evaluate\.trusted_types"):
        check_trusted(path, ["catboost.core.CatBoostClassifier"], ["xgboost"])
    with pytest.raises(UserError, match=r"catboost\.core\.Pool \(trusted only when listed in"):
        check_trusted(path, ["catboost.core.Pool"], ["catboost"])


# -- never trusted -------------------------------------------------------------------------


@pytest.mark.parametrize("func", ["pydoc.locate", "types.new_class", "runpy.run_path",
                                  "importlib.import_module", "shutil.rmtree", "code.interact"])
def test_a_model_holding_a_code_running_function_is_refused_even_when_listed(
    func: str, tmp_path: Path
) -> None:
    import importlib

    from sklearn.preprocessing import FunctionTransformer

    module, _, name = func.rpartition(".")
    path = tmp_path / "model.skops"
    save_model(FunctionTransformer(func=getattr(importlib.import_module(module), name)), path)
    with pytest.raises(UserError, match="never trusts"):
        load_model(path, [func])
    with pytest.raises(UserError) as caught:
        load_model(path, [])
    assert f"never trusted: module {module} can run code" in caught.value.message


def test_validate_refuses_a_code_running_trusted_type_at_its_line(
    write_config: WriteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL.replace("      metrics:", "      trusted_types: [numpy.dtype, xgboost,\n"
                           "                      pydoc.locate]\n      metrics:")
    code = main(["validate", "-c", str(write_config(text))])
    err = capsys.readouterr().err
    assert code == 2
    assert ("mlops.yaml:17:23: models.churn.evaluate.trusted_types[2]: pydoc.locate is never "
            "trusted: module pydoc can run code") in err
    assert "Traceback" not in err


def test_validate_accepts_library_names_and_refuses_other_bare_words(
    write_config: WriteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL.replace("      metrics:", "      trusted_types: [lightgbm, catboost]\n"
                           "      metrics:")
    assert main(["validate", "-c", str(write_config(text))]) == 0
    code = main(["validate", "-c", str(write_config(text.replace("catboost]", "xgbost]")))])
    err = capsys.readouterr().err
    assert code == 2
    assert "mlops.yaml:16:33: models.churn.evaluate.trusted_types[1]: 'xgbost' is not one of" in err
    assert "(did you mean 'xgboost'?)" in err
    assert "xgboost, lightgbm, catboost" in err
