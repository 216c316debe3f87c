"""A new user's project: scikit-learn's breast cancer data as ``data/train.csv``.

The first hour of a user is not the bundled example: their data has other names, another
target and another size. Tests of ``init``, the registry and drift start from this.
"""

from __future__ import annotations

from pathlib import Path


def write_breast_cancer(folder: Path, name: str = "data/train.csv", target: str = "target") -> Path:
    """scikit-learn's breast cancer set (569 rows, 30 float features), label last as ``target``."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [column.replace(" ", "_") for column in frame.columns[:-1]] + [target]
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path
