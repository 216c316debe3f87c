"""Property: whatever is done to a valid config, the loader answers 0 or 2, never a traceback."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_ci.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "mlops_ci" / "examples" / "churn"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["yes", "no", "on", "08", "1.10", "~", "/etc/passwd", "../x", "*", "<<"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths_of(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += paths_of(value, (*prefix, index))
    return out


def mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(value)[:12]] = parent.pop(last)
    else:
        parent[last] = value
    return data


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(EXAMPLE / "data", root / "data")
    return root


def check(workspace: Path, text: str) -> None:
    path = workspace / "mlops.yaml"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    code = main(["validate", "-c", str(path)], stderr=err)
    assert code in (0, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert "internal error" not in err.getvalue()
    if code == 2:
        assert err.getvalue().strip(), "an invalid config must say why"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_structural_mutations_answer_0_or_2(workspace: Path, data: st.DataObject) -> None:
    config = yaml.safe_load((EXAMPLE / "mlops.yaml").read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths_of(config)))
        action = data.draw(st.sampled_from(["delete", "replace", "rename"]))
        if action == "delete" and not path:
            continue
        config = mutate(config, path, action, data.draw(values))
    check(workspace, yaml.safe_dump(config, allow_unicode=True))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(0, 10_000), junk=st.text(max_size=12), cut=st.integers(0, 40))
def test_text_mutations_answer_0_or_2(workspace: Path, position: int, junk: str, cut: int) -> None:
    text = (EXAMPLE / "mlops.yaml").read_text(encoding="utf-8")
    where = position % (len(text) + 1)
    check(workspace, text[:where] + junk + text[where + cut :])
