"""Tiny workspaces and the runner environment for the train and evaluate tests."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

from mlops_ci.config.loader import load_config
from mlops_ci.config.model import ModelSpec

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops_ci" / "examples" / "churn"


def runner_environ() -> dict[str, str]:
    """This process's environment with its own Python first on PATH (``python`` = this venv)."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "GITHUB_ACTIONS": "false"}


TINY_TRAIN = "x,colour,flag,y\n" + "".join(
    f"{i / 10},{'red' if i % 3 else 'blue'},{'true' if i % 2 else 'false'},{int(i >= 10)}\n"
    for i in range(20)
)
TINY_TEST = "x,colour,flag,y\n0.1,red,true,0\n1.9,blue,false,1\n0.5,green,true,0\n1.5,red,,1\n"


def tiny_workspace(
    root: Path,
    train: str,
    *,
    evaluate: str = "",
    test_csv: str = TINY_TEST,
    files: Mapping[str, str] | None = None,
) -> ModelSpec:
    """A workspace with a 20-row binary problem and an mlops.yaml whose ``train:`` is given."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "train.csv").write_text(TINY_TRAIN)
    (root / "data" / "test.csv").write_text(test_csv)
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    evaluate_yaml = evaluate or (
        "task: classification\n"
        "metrics: [accuracy, roc_auc]\n"
        "trusted_types: [numpy.dtype]\n"
        "gates:\n  - {metric: accuracy, min: 0.6}\n"
    )
    (root / "mlops.yaml").write_text(
        "version: 1\n"
        "models:\n"
        "  tiny:\n"
        "    data:\n"
        "      train: data/train.csv\n"
        "      test: data/test.csv\n"
        "      target: y\n"
        "      columns:\n"
        "        x: {dtype: float}\n"
        "        colour: {dtype: category}\n"
        "        flag: {dtype: bool}\n"
        "        y: {dtype: int}\n"
        "    train:\n" + textwrap.indent(train.strip() + "\n", "      ")
        + "    evaluate:\n" + textwrap.indent(evaluate_yaml, "      ")
    )
    return load_config(root / "mlops.yaml").model("tiny")
