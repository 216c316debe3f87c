"""The fused prediction path equals scikit-learn bit for bit, or is not used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from mlops_ci.serving.columns import InputColumn
from mlops_ci.serving.decode import decode_rows
from mlops_ci.serving.fused import OneHotBlock, compile_pipeline, probe_columns
from mlops_ci.serving.predictor import Predictor, fused_mismatch
from mlops_ci.serving.values import RequestError
from tests.serving.example import TEST_CSV, rows_of_test_set
from tests.serving.test_http import FEATURES


def outputs_by_name(predictor: Predictor, rows: list[dict[str, object]]) -> dict[str, object]:
    batch = decode_rows({"rows": rows}, predictor.columns)
    return {output.name: output.array for output in predictor.predict(batch)}


def sklearn_outputs(model: object, rows: list[dict[str, object]],
                    names: list[str]) -> dict[str, object]:
    table = pd.DataFrame(rows)[names]
    return {"predict": model.predict(table),  # type: ignore[attr-defined]
            "predict_proba": model.predict_proba(table)}  # type: ignore[attr-defined]


def assert_bitwise_equal(got: dict[str, object], want: dict[str, object]) -> None:
    assert got.keys() == want.keys()
    for name in got:
        have, expected = np.asarray(got[name]), np.asarray(want[name])
        assert have.dtype == expected.dtype, name
        assert np.array_equal(have, expected), name
        assert have.tobytes() == expected.tobytes(), name  # the same bits, not just ==


def test_the_example_pipeline_takes_the_fused_path(churn_predictor: Predictor) -> None:
    assert churn_predictor.fast_path == \
        "fused: ColumnTransformer -> LogisticRegression (fused)"
    assert churn_predictor.fused is not None


def test_fused_equals_sklearn_on_the_whole_test_set(churn_predictor: Predictor) -> None:
    rows = rows_of_test_set()
    assert len(rows) > 500
    assert_bitwise_equal(outputs_by_name(churn_predictor, rows),
                         sklearn_outputs(churn_predictor.model, rows, FEATURES))


def test_fused_equals_sklearn_one_row_at_a_time(churn_predictor: Predictor) -> None:
    for row in rows_of_test_set(120):
        assert_bitwise_equal(outputs_by_name(churn_predictor, [row]),
                             sklearn_outputs(churn_predictor.model, [row], FEATURES))


def test_missing_numbers_and_unseen_categories_equal_sklearn(churn_predictor: Predictor) -> None:
    rows = rows_of_test_set(6)
    rows[0]["total_charges"] = None
    rows[1]["region"] = "atlantis"
    rows[2] |= {"contract": "decade", "payment_method": "cheque", "total_charges": None}
    expected = sklearn_outputs(churn_predictor.model, rows, FEATURES)
    assert churn_predictor.fused is not None
    batch = decode_rows({"rows": rows}, churn_predictor.columns)
    assert churn_predictor.fused.features(batch.arrays, batch.rows) is not None  # fused
    assert_bitwise_equal(outputs_by_name(churn_predictor, rows), expected)


def category(known: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(known) | st.text(max_size=6)


row_values = st.fixed_dictionaries({
    "tenure_months": st.integers(0, 10_000),
    "monthly_charges": st.floats(-1e6, 1e6, allow_nan=False),
    "total_charges": st.none() | st.floats(-1e9, 1e9, allow_nan=False),
    "support_calls": st.integers(-5, 500),
    "contract": category(["month-to-month", "one-year", "two-year"]),
    "payment_method": category(["card", "bank-transfer", "electronic-check", "mailed-check"]),
    "region": category(["north", "south", "east", "west"]),
    "paperless": st.booleans(),
})


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_values, min_size=1, max_size=12))
def test_fused_equals_sklearn_on_any_rows(
    churn_predictor: Predictor, rows: list[dict[str, object]]
) -> None:
    assert_bitwise_equal(outputs_by_name(churn_predictor, rows),
                         sklearn_outputs(churn_predictor.model, rows, FEATURES))


def test_a_null_category_takes_the_generic_path_with_the_same_answer(
    churn_predictor: Predictor,
) -> None:
    rows = rows_of_test_set(3)
    rows[1]["contract"] = None
    assert churn_predictor.fused is not None
    batch = decode_rows({"rows": rows}, churn_predictor.columns)
    assert churn_predictor.fused.features(batch.arrays, batch.rows) is None  # generic
    assert_bitwise_equal(outputs_by_name(churn_predictor, rows),
                         sklearn_outputs(churn_predictor.model, rows, FEATURES))


def test_probe_rows_cover_every_category_an_unseen_one_and_imputed_nulls(
    churn_predictor: Predictor,
) -> None:
    fused = churn_predictor.fused
    assert fused is not None
    columns = churn_predictor.columns
    values = probe_columns(fused, columns)
    for block in fused.blocks:
        if isinstance(block, OneHotBlock):
            for index, categories in zip(block.inputs, block.categories, strict=True):
                assert set(categories) <= set(values[index]), columns[index].name
                if columns[index].datatype == "BYTES":  # and an unseen one
                    assert len(set(values[index])) == len(categories) + 1
    by_name = dict(zip((c.name for c in columns), values, strict=True))
    assert None in by_name["total_charges"]  # nullable: the imputer fills it
    assert None not in by_name["tenure_months"]  # not nullable


def test_a_fused_pipeline_that_disagrees_with_sklearn_is_caught(
    churn_predictor: Predictor,
) -> None:
    fused = compile_pipeline(churn_predictor.model, churn_predictor.columns)
    assert fused_mismatch(churn_predictor, fused) is None
    classifier = churn_predictor.model[-1]
    original = classifier.coef_
    classifier.coef_ = original * (1 + 1e-15)  # the fused copy keeps the old coefficients
    try:
        mismatch = fused_mismatch(churn_predictor, fused)
        assert mismatch is not None
        assert mismatch.startswith("predict") and " of probe rows " in mismatch
    finally:
        classifier.coef_ = original
    assert fused_mismatch(churn_predictor, fused) is None


# Other pipelines, fitted here on the example's data


SCHEMA = (InputColumn("tenure_months", "INT64", False), InputColumn("monthly_charges", "FP64",
          False), InputColumn("total_charges", "FP64", True), InputColumn("support_calls",
          "INT64", False), InputColumn("contract", "BYTES"), InputColumn("payment_method",
          "BYTES"), InputColumn("region", "BYTES"), InputColumn("paperless", "BOOL"))
NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls"]
CATEGORICAL = ["contract", "payment_method", "region"]


@pytest.fixture(scope="module")
def training() -> tuple[pd.DataFrame, pd.Series]:
    table = pd.read_csv(TEST_CSV)
    return table[FEATURES], table["churned"]


def fitted(final: object, numeric: object, training: tuple[pd.DataFrame, pd.Series],
           target: pd.Series | None = None) -> Predictor:
    features = ColumnTransformer([
        ("numeric", numeric, NUMERIC),
        ("categorical", OneHotEncoder(handle_unknown="ignore", drop="first"), CATEGORICAL),
    ])
    model = Pipeline([("features", features), ("model", final)])
    model.fit(training[0], training[1] if target is None else target)
    predictor = Predictor("m", None, model, SCHEMA)
    predictor.enable_fused()
    return predictor


def check_equal(predictor: Predictor) -> None:
    rows = rows_of_test_set(300)
    batch = decode_rows({"rows": rows}, predictor.columns)
    got = {o.name: o.array for o in predictor.predict(batch)}
    table = pd.DataFrame(rows)[FEATURES]
    want = {name: getattr(predictor.model, name)(table) for name in predictor.output_names}
    assert_bitwise_equal(got, want)


def test_multiclass_logistic_regression_is_fused_and_equal(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    three_classes = pd.Series(np.arange(len(training[1])) % 3, index=training[1].index)
    predictor = fitted(LogisticRegression(max_iter=500),
                       make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()),
                       training, three_classes)
    assert predictor.fast_path.startswith("fused:"), predictor.fast_path
    check_equal(predictor)


def test_another_final_estimator_runs_on_the_fused_matrix(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    predictor = fitted(RandomForestClassifier(n_estimators=5, random_state=0),
                       make_pipeline(SimpleImputer(), StandardScaler(with_mean=False)), training)
    assert predictor.fast_path == "fused: ColumnTransformer -> RandomForestClassifier"
    check_equal(predictor)


def test_a_regressor_has_only_predict(training: tuple[pd.DataFrame, pd.Series]) -> None:
    predictor = fitted(Ridge(), SimpleImputer(strategy="median"), training)
    assert predictor.fast_path == "fused: ColumnTransformer -> Ridge"
    assert predictor.output_names == ("predict",)
    check_equal(predictor)


def test_an_unsupported_step_keeps_the_generic_path_and_says_why(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    predictor = fitted(LogisticRegression(), make_pipeline(SimpleImputer(), MinMaxScaler()),
                       training)
    assert predictor.fused is None
    assert predictor.fast_path == "generic: part 'numeric' has a MinMaxScaler step"
    check_equal(predictor)


def test_a_subclass_of_a_supported_step_is_not_trusted_to_behave_alike(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    class Doubled(StandardScaler):
        def transform(self, X: object, copy: bool | None = None) -> object:
            return super().transform(X, copy=copy) * 2

    predictor = fitted(LogisticRegression(), make_pipeline(SimpleImputer(), Doubled()),
                       training)
    assert predictor.fast_path == "generic: part 'numeric' has a Doubled step"
    check_equal(predictor)


def plain_predictor(target: pd.Series, training: tuple[pd.DataFrame, pd.Series]) -> Predictor:
    numbers = training[0][NUMERIC].fillna(0).to_numpy()
    model = LogisticRegression(max_iter=1000).fit(numbers, target)
    predictor = Predictor("m", None, model, SCHEMA[:4])
    predictor.enable_fused()
    return predictor


@pytest.mark.parametrize("classes", [2, 3])
def test_a_logistic_regression_fitted_on_a_matrix_is_fused_and_equal(
    training: tuple[pd.DataFrame, pd.Series], classes: int,
) -> None:
    target = pd.Series(np.arange(len(training[1])) % classes) if classes > 2 else training[1]
    predictor = plain_predictor(target, training)
    assert predictor.fast_path == "fused: LogisticRegression (fused)"
    rows = [{name: row[name] if row[name] is not None else 1.5 for name in NUMERIC}
            for row in rows_of_test_set(300)]
    for chunk in (rows, rows[:1], rows[7:8]):
        batch = decode_rows({"rows": chunk}, predictor.columns)
        got = {o.name: o.array for o in predictor.predict(batch)}
        # Row-major, as the generic path builds it (a column-major copy may take another
        # BLAS kernel, and round otherwise in the last bit).
        matrix = np.ascontiguousarray(pd.DataFrame(chunk)[NUMERIC].to_numpy(dtype=np.float64))
        want = {name: getattr(predictor.model, name)(matrix) for name in predictor.output_names}
        assert_bitwise_equal(got, want)


def test_a_null_in_a_plain_logistic_regression_gets_sklearns_refusal(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    predictor = plain_predictor(training[1], training)
    rows = [{"tenure_months": 1, "monthly_charges": 2.0, "total_charges": None,
             "support_calls": 0}]
    with pytest.raises(RequestError) as raised:
        predictor.predict(decode_rows({"rows": rows}, predictor.columns))
    assert raised.value.status == 422
    assert "Input X contains NaN" in raised.value.message


def test_a_plain_logistic_regression_on_a_text_column_is_generic(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    numbers = training[0][["tenure_months", "monthly_charges"]].to_numpy()
    model = LogisticRegression().fit(numbers, training[1])
    predictor = Predictor("m", None, model, (SCHEMA[0], InputColumn("code", None)))
    assert predictor.enable_fused() == (
        "generic: the LogisticRegression takes non-numeric column 'code'")
    predictor = Predictor("m", None, model, SCHEMA[:3])
    assert predictor.enable_fused() == (
        "generic: the LogisticRegression takes 2 features, not the 3 columns given")


def test_another_model_fitted_on_a_matrix_is_generic(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    numbers = training[0][["tenure_months", "monthly_charges"]].to_numpy()
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(numbers, training[1])
    predictor = Predictor("m", None, model, SCHEMA[:2])
    assert predictor.enable_fused().startswith("generic: not a scikit-learn Pipeline")


def test_a_pipeline_of_numeric_steps_on_every_column_is_fused_and_equal(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
    model.fit(training[0][NUMERIC], training[1])  # named columns, total_charges with gaps
    # the server's columns in another order than the model's: read by name
    predictor = Predictor("m", None, model, tuple(reversed(SCHEMA[:4])))
    assert predictor.enable_fused() == (
        "fused: SimpleImputer -> StandardScaler -> LogisticRegression (fused)")
    rows = [{name: row[name] for name in NUMERIC} for row in rows_of_test_set(300)]
    assert any(row["total_charges"] is None for row in rows)
    for chunk in (rows, rows[:1], rows[7:8]):
        batch = decode_rows({"rows": chunk}, predictor.columns)
        got = {o.name: o.array for o in predictor.predict(batch)}
        table = pd.DataFrame(chunk)[NUMERIC].astype(np.float64)
        want = {name: getattr(model, name)(table) for name in predictor.output_names}
        assert_bitwise_equal(got, want)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # not served
def test_a_pipeline_with_another_leading_step_is_generic_and_says_which(
    training: tuple[pd.DataFrame, pd.Series],
) -> None:
    from sklearn.preprocessing import PolynomialFeatures

    numbers = training[0][NUMERIC].fillna(0.0)
    model = make_pipeline(PolynomialFeatures(), LogisticRegression(max_iter=50))
    model.fit(numbers, training[1])
    predictor = Predictor("m", None, model, SCHEMA[:4])
    assert predictor.enable_fused() == "generic: part 'steps' has a PolynomialFeatures step"
    scaled = make_pipeline(StandardScaler(), LogisticRegression())
    scaled.fit(numbers.to_numpy(), training[1])  # on a matrix: the columns by position
    predictor = Predictor("m", None, scaled, SCHEMA[:3])
    assert predictor.enable_fused() == (
        "generic: the Pipeline takes 4 features, not the 3 columns given")
