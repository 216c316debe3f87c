"""Config texts the config tests mutate, one line at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

MINIMAL = """\
version: 1
models:
  churn:
    data:
      train: data/train.csv
      test: data/test.csv
      target: churned
      columns:
        tenure: {dtype: int, min: 0}
        plan: {dtype: category, allowed: [basic, pro]}
        churned: {dtype: int, allowed: [0, 1]}
    train:
      command: [python, train.py]
    evaluate:
      task: classification
      metrics: [accuracy, roc_auc]
      gates:
        - {metric: accuracy, min: 0.7}
"""

WriteConfig = Callable[[str], Path]
