"""Which types a model file may hold: vetted lists of exact type names, and modules never trusted.

skops trusts scikit-learn's public estimators and numpy's and scipy's own types. A fitted
model holds more: ``DEFAULT_TYPES`` lists, name by name, the types found by fitting every
scikit-learn classifier and regressor (tests/test_trust.py fits them all) that hold only
data; docs/model-files.md says why each one is safe. ``LIBRARY_TYPES`` lists, per library
a user can name in ``evaluate.trusted_types``, the types its scikit-learn API models hold.
Never a prefix rule: a name is trusted only when it is listed here or by the user.

What a caller may rely on:

- ``trusted_set(entries)`` is the default types, plus each library's list for a library
  name in ``entries``, plus every other entry as written.
- ``never_trusted(name)`` is the module of ``name`` when that module can run code (then no
  setting trusts it), else None.
- ``library_trusting(name)`` is the library option whose list holds ``name``, else None.

Pure data: this module imports nothing of ours, so config (to refuse a never-trusted entry at
validation) and modelio (to load) both use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_DIST = "sklearn.metrics._dist_metrics."
_KERNELS = "sklearn.gaussian_process.kernels."

DEFAULT_TYPES: frozenset[str] = frozenset(
    {
        "numpy.dtype",  # SimpleImputer, KBinsDiscretizer: the dtype they fitted on
        "sklearn.tree._tree.Tree",  # every tree ensemble: node and value arrays
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",  # its node arrays
        "sklearn.calibration._CalibratedClassifier",  # CalibratedClassifierCV's fitted pairs
        "sklearn.calibration._SigmoidCalibration",  # two floats
        "sklearn.calibration._TemperatureScaling",  # one float
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
        "sklearn._loss.loss.HalfTweedieLoss",  # TweedieRegressor's loss: its power
        "sklearn._loss.loss.HalfTweedieLossIdentity",
        "sklearn.neighbors._ball_tree.BallTree",  # neighbours: the training points, indexed
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",  # MLP's solver state
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "sklearn.utils._bunch.Bunch",  # a dict: StackingClassifier's named_estimators_
        "sklearn.multiclass._ConstantPredictor",  # one-vs-x: a class seen alone, its label
        "sklearn.compose._column_transformer.make_column_selector",  # dtypes and a name pattern
        *(
            _KERNELS + name  # a Gaussian process's kernel: its hyperparameters
            for name in (
                "ConstantKernel", "DotProduct", "Exponentiation", "Matern", "PairwiseKernel",
                "Product", "RBF", "RationalQuadratic", "Sum", "WhiteKernel",
            )
        ),
        *(
            f"{_DIST}{name}Distance64"  # a neighbours metric: its parameters (p, V, VI, w)
            for name in (
                "BrayCurtis", "Canberra", "Chebyshev", "Dice", "Euclidean", "Hamming",
                "Haversine", "Jaccard", "Mahalanobis", "Manhattan", "Minkowski",
                "RogersTanimoto", "RussellRao", "SEuclidean", "SokalMichener", "SokalSneath",
            )
        ),
    }
)
"""Types mlops-ci trusts with no configuration, beyond skops' own defaults."""

LIBRARY_TYPES: Mapping[str, frozenset[str]] = {
    "xgboost": frozenset(
        {
            "xgboost.core.Booster",  # the trees as XGBoost's own serialized bytes
            "xgboost.sklearn.XGBClassifier",
            "xgboost.sklearn.XGBRegressor",
            "xgboost.sklearn.XGBRFClassifier",
            "xgboost.sklearn.XGBRFRegressor",
        }
    ),
    "lightgbm": frozenset(
        {
            "lightgbm.basic.Booster",  # the trees as LightGBM's model text
            "lightgbm.sklearn.LGBMClassifier",
            "lightgbm.sklearn.LGBMRegressor",
            "collections.OrderedDict",  # best_score_ is a defaultdict(OrderedDict)
        }
    ),
    "catboost": frozenset(
        {
            "catboost.core.CatBoostClassifier",  # params and CatBoost's serialized model
            "catboost.core.CatBoostRegressor",
        }
    ),
}
"""Per library name allowed in ``evaluate.trusted_types``: the types it stands for."""

NEVER_TRUSTED_MODULES: frozenset[str] = frozenset(
    {
        "builtins", "__builtin__", "os", "posix", "nt", "sys", "subprocess", "shutil",
        "importlib", "runpy", "code", "codeop", "pydoc", "types", "pickle", "_pickle",
        "marshal", "ctypes", "socket", "pty", "operator", "webbrowser",
    }
)
"""Modules whose members can run code or touch the system when a loader calls them."""


def trusted_set(entries: Iterable[str]) -> frozenset[str]:
    """The default types, each named library's list, and every other entry as written."""
    found: set[str] = set(DEFAULT_TYPES)
    for entry in entries:
        found |= LIBRARY_TYPES.get(entry, frozenset({entry}))
    return frozenset(found)


def never_trusted(name: str) -> str | None:
    """The module of ``name`` when it can run code (no setting trusts it), else None."""
    module = name.split(".", 1)[0]
    return module if module in NEVER_TRUSTED_MODULES else None


def library_trusting(name: str) -> str | None:
    """The library name whose vetted list holds the type ``name``, else None."""
    for library, names in LIBRARY_TYPES.items():
        if name in names:
            return library
    return None
