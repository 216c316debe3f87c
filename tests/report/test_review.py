"""The review sections as GitHub shows them: confusion matrices and the parameters diff."""

from __future__ import annotations

from mlops_ci.report.review import MAX_PARAM_ROWS, confusion_section, params_section
from mlops_ci.stages.confusion import OTHERS
from mlops_ci.stages.review_results import ConfusionMatrix, ParamChange, ParamsComparison
from tests.report.gfm import read, rendering_problems

HOSTILE = "x|y <b>z</b> `q` @team"


def test_many_classes_collapse_one_table_per_model_with_the_cap_said() -> None:
    labels = (*(f"c{i}" for i in range(19)), OTHERS)
    square = tuple(tuple(int(i == j) for j in range(20)) for i in range(20))
    confusion = ConfusionMatrix(labels, (("candidate", square), ("production", square)),
                                folded=11, total_classes=30)

    markdown = confusion_section(confusion, "data/test.csv", "v1.2.0")
    rendered = read(markdown)

    assert rendered.texts_in("summary") == ["Confusion matrix (30 classes)"]
    assert len(rendered.tables) == 2 and all(len(t) == 21 for t in rendered.tables)
    assert ("The 19 most frequent of 30 classes in the test set are shown; the other 11 are "
            f"counted together as {OTHERS}.") in rendered.text()
    assert rendering_problems(markdown) == []


def test_a_hostile_label_and_parameter_stay_one_cell_of_text() -> None:
    confusion = ConfusionMatrix((HOSTILE, "ok"), (("candidate", ((1, 2), (3, 4))),))
    changes = (ParamChange("params.yaml", HOSTILE, HOSTILE, None),)
    markdown = (confusion_section(confusion, "t.csv", None) + "\n"
                + params_section(ParamsComparison("v1", changes, 3)))
    rendered = read(markdown)

    [matrix, params] = rendered.tables
    assert [row[0] for row in matrix[1:]] == [HOSTILE.replace("@", "@\u200b"), "ok"]
    assert params[1] == ["params.yaml", *[HOSTILE.replace("@", "@\u200b")] * 2, "—"]
    assert set(rendered.tags) <= {"p", "table", "thead", "tbody", "tr", "th", "td", "strong"}


def test_a_long_parameters_diff_shows_the_first_rows_and_says_so() -> None:
    changes = tuple(ParamChange("params.yaml", f"k{i:03d}", "1", "2") for i in range(80))
    rendered = read(params_section(ParamsComparison("v2.0.0", changes, 120)))

    [table] = rendered.tables
    assert len(table) == MAX_PARAM_ROWS + 1
    assert "Parameters changed from production v2.0.0 (80 of 120 parameters):" in rendered.text()
    assert f"The first {MAX_PARAM_ROWS} of 80 changes are shown" in rendered.text()
