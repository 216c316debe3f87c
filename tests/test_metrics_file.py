"""metrics.json: flat, sorted, strict JSON; undefined metrics left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_ci.errors import UserError
from mlops_ci.metrics import MetricValue
from mlops_ci.metrics_file import metrics_json, read_metrics, write_metrics


def test_written_metrics_are_flat_sorted_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "out" / "metrics.json"
    write_metrics(path, [MetricValue("roc_auc", 0.87), MetricValue("accuracy", 0.81)])
    text = path.read_text()
    assert list(json.loads(text)) == ["accuracy", "roc_auc"]
    assert read_metrics(path) == {"accuracy": 0.81, "roc_auc": 0.87}


def test_undefined_metrics_are_omitted_so_no_nan_is_written() -> None:
    text = metrics_json([MetricValue("accuracy", 1.0),
                         MetricValue("roc_auc", None, "the test set holds one class only")])
    assert json.loads(text) == {"accuracy": 1.0}
    assert "NaN" not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"accuracy": NaN}', "NaN is not valid JSON"),
        ('{"accuracy": Infinity}', "Infinity is not valid JSON"),
        ('{"accuracy": 1e999}', "not a finite number"),
        ('{"accuracy": "high"}', "not a number"),
        ('{"accuracy": true}', "not a number"),
        ('[0.5]', "one JSON object"),
        ('{"accuracy": 0.5', r"metrics.json:1:\d+: not a valid metrics file"),
    ],
)
def test_a_bad_metrics_file_is_a_user_error_naming_it(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "metrics.json"
    path.write_text(text)
    with pytest.raises(UserError, match=expected) as caught:
        read_metrics(path)
    assert str(path) in caught.value.message


def test_the_examples_own_metrics_format_is_read(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text('{"accuracy": 0.821, "f1": 0.627859, "log_loss": 0.392266}\n')
    assert read_metrics(path)["f1"] == pytest.approx(0.627859)
