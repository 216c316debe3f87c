"""Per-column drift decisions, the method rules, edge values and the dataset verdict."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_ci.config.model import ColumnDrift, ColumnSpec, DriftSpec, Sampling
from mlops_ci.data.drift import choose_method, drift_files, drift_tables
from mlops_ci.data.results import DriftResult
from mlops_ci.errors import InputProblems, UserError
from tests.data.helpers import table, write_csv


def test_auto_rule_says_why_it_chose_each_method() -> None:
    spec = DriftSpec()
    assert choose_method("x", "numeric", 3000, spec).reason == (
        "auto: numeric, 3,000 rows > 1,000 -> wasserstein"
    )
    assert choose_method("x", "numeric", 1000, spec).method == "ks"
    small = choose_method("c", "categorical", 500, spec)
    assert (small.method, small.reason) == ("chi2", "auto: categorical, 500 rows <= 1,000 -> chi2")
    assert choose_method("c", "categorical", 5000, spec).method == "jensenshannon"


def test_default_thresholds_per_method() -> None:
    spec = DriftSpec()
    for method, threshold in [("psi", 0.2), ("ks", 0.05), ("chi2", 0.05),
                              ("wasserstein", 0.1), ("jensenshannon", 0.1)]:
        chosen = choose_method("x", "numeric", 10, DriftSpec(method=method))  # type: ignore[arg-type]
        assert chosen.threshold == threshold
    assert choose_method("x", "numeric", 10, spec).threshold == 0.05


def test_a_column_override_wins_over_the_global_method() -> None:
    spec = DriftSpec(method="ks", threshold=0.01,
                     overrides=(ColumnDrift("calls", method="psi", threshold=0.3),))
    chosen = choose_method("calls", "numeric", 10, spec)
    assert (chosen.method, chosen.threshold) == ("psi", 0.3)
    assert chosen.reason == "override for this column: psi"
    other = choose_method("age", "numeric", 10, spec)
    assert (other.method, other.threshold) == ("ks", 0.01)


def test_a_global_numeric_method_leaves_categoricals_on_auto() -> None:
    chosen = choose_method("plan", "categorical", 10, DriftSpec(method="wasserstein"))
    assert chosen.method == "chi2"
    assert chosen.reason.endswith("(wasserstein applies to numeric columns only)")


def test_a_numeric_override_on_a_categorical_column_is_a_user_error() -> None:
    spec = DriftSpec(overrides=(ColumnDrift("plan", method="ks"),))
    with pytest.raises(UserError, match="ks needs a numeric column"):
        choose_method("plan", "categorical", 10, spec)


def _compare(reference: dict[str, list[object]], current: dict[str, list[object]],
             spec: DriftSpec | None = None, kinds: dict[str, str] | None = None) -> DriftResult:
    names = kinds or dict.fromkeys(reference, "numeric")
    return drift_tables(table(reference), table(current), spec or DriftSpec(), names)  # type: ignore[arg-type]


def test_an_all_null_current_column_cannot_be_tested() -> None:
    result = _compare({"x": [1.0, 2.0, 3.0]}, {"x": [None, None, None]})
    (column,) = result.columns
    assert column.verdict == "untestable"
    assert "all values null in current: cannot test" in column.notes
    assert "null share changed: 0.0% in reference, 100.0% in current" in column.notes
    assert result.reason == "no column could be tested" and not result.drifted


def test_nan_and_infinities_are_excluded_and_reported() -> None:
    result = _compare({"x": [1.0, 2.0, 3.0, 4.0]},
                      {"x": [1.0, math.nan, math.inf, -math.inf, 2.0, 3.0]})
    (column,) = result.columns
    assert column.current_values == 3
    assert column.null_share_current == pytest.approx(1 / 6)
    assert "2 infinite values in current excluded" in column.notes


def test_integers_beyond_float_precision_are_compared_not_refused() -> None:
    ids = [2**60 + n for n in range(50)]
    result = _compare({"id": ids}, {"id": [2**62 + n for n in range(50)]})
    (column,) = result.columns
    assert column.drifted and column.current_values == 50


def test_constant_columns_are_compared_and_noted() -> None:
    result = _compare({"x": [5.0] * 20}, {"x": [5.0] * 19 + [6.0]},
                      DriftSpec(method="wasserstein"))
    (column,) = result.columns
    assert column.statistic == math.inf and column.drifted
    assert "constant in reference (5)" in column.notes


def test_new_and_missing_categories_are_noted() -> None:
    result = _compare({"c": ["a", "b", "a", "b"] * 10}, {"c": ["a", "z", "a", "z"] * 10},
                      kinds={"c": "categorical"})
    (column,) = result.columns
    assert "new in current: 'z'" in column.notes and "missing in current: 'b'" in column.notes
    assert column.method == "chi2" and column.drifted


def test_a_drifted_key_column_fails_the_dataset_whatever_the_share() -> None:
    rng = np.random.default_rng(0)
    same = {f"x{i}": list(rng.normal(size=300)) for i in range(4)}
    current = {f"x{i}": list(rng.normal(size=300)) for i in range(4)}
    current["x0"] = list(rng.normal(size=300) + 2)
    result = _compare(same, current, DriftSpec(key_columns=("x0",), share=0.9))
    assert result.drifted and result.drifted_columns == ("x0",)
    assert result.reason == "key column 'x0' drifted; 1 of 4 columns drifted (25%)"
    not_key = _compare(same, current, DriftSpec(share=0.5))
    assert not not_key.drifted
    assert not_key.reason == (
        "1 of 4 columns drifted (25%, below the 50% share that flags the dataset); "
        "no key column drifted")
    assert _compare(same, current, DriftSpec(share=0.25)).drifted


def test_a_column_far_beyond_its_threshold_is_strongly_drifted_under_the_share_rule() -> None:
    rng = np.random.default_rng(0)
    reference = {f"x{i}": list(rng.normal(size=300)) for i in range(4)}
    current = {f"x{i}": list(rng.normal(size=300)) for i in range(4)}
    current["x0"] = list(rng.normal(size=300) + 2)  # KS p far below 1e-6
    current["x1"] = list(rng.normal(size=300) + 0.2)  # drifted, but p above 1e-6
    result = _compare(reference, current, DriftSpec(share=0.9))
    assert not result.drifted
    assert set(result.drifted_columns) >= {"x0"}
    assert result.strongly_drifted_columns == ("x0",)
    assert result.reason.startswith(f"{len(result.drifted_columns)} of 4 columns drifted (")


def test_a_distance_twice_its_threshold_is_strong() -> None:
    from dataclasses import replace

    result = _compare({"x": list(np.linspace(0, 1, 300))}, {"x": list(np.linspace(2, 3, 300))},
                      DriftSpec(method="psi"))
    (column,) = result.columns
    assert column.strongly_drifted
    mild = replace(column, statistic=column.threshold * 1.5)
    assert mild.drifted and not mild.strongly_drifted


def test_sampling_only_when_asked_and_recorded() -> None:
    rng = np.random.default_rng(1)
    data = {"x": list(rng.normal(size=2000))}
    result = _compare(data, data, DriftSpec(sample=Sampling(rows=500, seed=3)))
    assert result.sampled is not None
    assert (result.sampled.rows, result.sampled.reference_rows) == (500, 2000)
    assert result.columns[0].reference_values == 500
    assert _compare(data, data).sampled is None


def test_drift_files_compares_shared_columns_and_lists_the_rest(tmp_path: Path) -> None:
    reference = write_csv(tmp_path / "ref.csv", "id,a,b,only_ref,y\n" + "1,1.0,x,1,0\n" * 5)
    current = write_csv(tmp_path / "cur.csv", "id,a,b,only_cur,y\n" + "2,1.0,x,1,1\n" * 5)
    result = drift_files(reference, current, DriftSpec(), exclude=("id", "y"))
    assert [c.column for c in result.columns] == ["a", "b"]
    assert [c.kind for c in result.columns] == ["numeric", "categorical"]
    assert result.skipped == (("only_ref", "not in the current data"),
                              ("only_cur", "not in the reference data"))


def test_a_stray_value_in_current_is_reported_with_its_line(tmp_path: Path) -> None:
    reference = write_csv(tmp_path / "ref.csv", "a\n1\n2\n3\n")
    current = write_csv(tmp_path / "cur.csv", "a\n1\noops\n3\n")
    with pytest.raises(InputProblems) as caught:
        drift_files(reference, current, DriftSpec())
    assert "1 value is not float: 'oops' (line 3)" in caught.value.problems[0].message


def test_an_inferred_integer_column_accepts_decimals_in_current(tmp_path: Path) -> None:
    reference = write_csv(tmp_path / "ref.csv", "a\n1\n2\n3\n")
    current = write_csv(tmp_path / "cur.csv", "a\n1\n2.5\n3\n")
    (column,) = drift_files(reference, current, DriftSpec()).columns
    assert column.current_values == 3 and column.kind == "numeric"


def test_a_declared_integer_column_rejects_decimals(tmp_path: Path) -> None:
    reference = write_csv(tmp_path / "ref.csv", "a\n1\n2\n3\n")
    current = write_csv(tmp_path / "cur.csv", "a\n1\n2.5\n3\n")
    with pytest.raises(InputProblems) as caught:
        drift_files(reference, current, DriftSpec(), column_specs=(ColumnSpec("a", "int"),))
    assert caught.value.problems[0].format() == (
        f"{current}:3:1: a: 1 value is not int: '2.5' (line 3)"
    )


def test_requested_and_key_columns_must_exist(tmp_path: Path) -> None:
    reference = write_csv(tmp_path / "ref.csv", "a,b\n1,2\n")
    current = write_csv(tmp_path / "cur.csv", "a\n1\n")
    with pytest.raises(InputProblems, match="lacks drift columns"):
        drift_files(reference, current, DriftSpec(columns=("a", "b")))
    with pytest.raises(UserError, match="key column 'b' is not among the compared columns"):
        drift_files(reference, current, DriftSpec(key_columns=("b",)))


def test_a_header_without_rows_is_a_user_error(tmp_path: Path) -> None:
    reference = write_csv(tmp_path / "ref.csv", "a\n1\n")
    current = write_csv(tmp_path / "cur.csv", "a\n")
    with pytest.raises(UserError, match="the current data has a header but no rows"):
        drift_files(reference, current, DriftSpec(), column_specs=(ColumnSpec("a", "int"),))


values = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0.0, 1.0, 1.0, 1.0]))
texts = st.one_of(st.none(), st.sampled_from(["a", "b", "", "<b>|x", "`"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 12).flatmap(lambda n: st.tuples(
        st.lists(values, min_size=n, max_size=n), st.lists(texts, min_size=n, max_size=n))),
    st.integers(1, 12).flatmap(lambda n: st.tuples(
        st.lists(values, min_size=n, max_size=n), st.lists(texts, min_size=n, max_size=n))),
    st.sampled_from(["auto", "psi", "ks", "wasserstein", "jensenshannon", "chi2"]),
)
def test_never_a_traceback_on_small_frames_with_edge_values(
    reference: tuple[list[float | None], list[str | None]],
    current: tuple[list[float | None], list[str | None]],
    method: str,
) -> None:
    ref = pa.table({"n": pa.array(reference[0], pa.float64()), "c": pa.array(reference[1])})
    cur = pa.table({"n": pa.array(current[0], pa.float64()), "c": pa.array(current[1])})
    from mlops_ci.data.reader import Header, Table
    from mlops_ci.report.drift import render_drift_markdown, render_drift_text

    result = drift_tables(
        Table(Header(Path("r.parquet"), "parquet", ("n", "c")), ref.num_rows, ref),
        Table(Header(Path("c.parquet"), "parquet", ("n", "c")), cur.num_rows, cur),
        DriftSpec(method=method),  # type: ignore[arg-type]
        {"n": "numeric", "c": "categorical"},
    )
    for column in result.columns:
        assert column.verdict in ("drift", "ok", "untestable")
        if column.statistic is not None:
            assert not math.isnan(column.statistic)
    assert render_drift_markdown(result)
    assert render_drift_text(result)


def test_parquet_end_to_end_flags_the_shifted_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = 5000
    levels = np.array(["a", "b", "c"])

    def write(path: Path, shift: float, p: list[float]) -> None:
        pq.write_table(pa.table({
            "x": rng.normal(size=rows) + shift, "y": rng.normal(size=rows),
            "c": pa.array(levels[rng.choice(3, rows, p=p)]).dictionary_encode(),
        }), path)

    write(tmp_path / "r.parquet", 0.0, [0.6, 0.3, 0.1])
    write(tmp_path / "c.parquet", 1.0, [0.6, 0.3, 0.1])
    result = drift_files(tmp_path / "r.parquet", tmp_path / "c.parquet", DriftSpec())
    assert result.drifted_columns == ("x",)
    assert [c.method for c in result.columns] == ["wasserstein", "wasserstein", "jensenshannon"]


def test_json_of_a_result_keeps_infinite_distances_readable() -> None:
    import json

    from mlops_ci.data.results import to_json

    result = _compare({"x": [5.0] * 20}, {"x": [6.0] * 20}, DriftSpec(method="wasserstein"))
    payload = json.loads(json.dumps(to_json(result), allow_nan=False))
    assert payload["columns"][0]["statistic"] == "inf"
    assert payload["drifted_columns"] == ["x"] and payload["drifted"] is True
