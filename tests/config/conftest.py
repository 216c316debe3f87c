from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.config.samples import WriteConfig


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train.csv", "test.csv"):
        (data / name).write_text("tenure,plan,churned\n1,basic,0\n5,pro,1\n", encoding="utf-8")
    (tmp_path / "train.py").write_text("", encoding="utf-8")  # MINIMAL's train.command
    return tmp_path


@pytest.fixture
def write_config(workspace: Path) -> WriteConfig:
    def write(text: str) -> Path:
        path = workspace / "mlops.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
