"""Reading a requirements file as pip does, each requirement with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_ci.errors import InputProblems
from mlops_ci.requirements.check import conflicts, unmet
from mlops_ci.requirements.file import file_contents, read_requirements

TEXT = """\
# the model's own
--index-url https://pypi.example/simple
XGBoost >= 2.0, < 3   # a comment
lightgbm==4.5.0 ; python_version < "3"
scikit-learn\\
  >=1.0
-e ./vendored
https://example.invalid/pkg-1.0.tar.gz
./wheels/local-1.0-py3-none-any.whl
-r more/extra.txt
"""


def write(tmp_path: Path) -> Path:
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "extra.txt").write_text("\n\nPyYAML>=6\n", encoding="utf-8")
    path = tmp_path / "requirements.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_requirements_keep_their_file_and_line_and_pips_own_lines_are_left_to_pip(
    tmp_path: Path,
) -> None:
    lines = read_requirements(write(tmp_path), "requirements.txt")

    assert [(r.where, r.name, r.specifier) for r in lines] == [
        ("requirements.txt:3", "xgboost", "<3,>=2.0"),
        ("requirements.txt:5", "scikit-learn", ">=1.0"),  # continued: its first line
        ("more/extra.txt:3", "pyyaml", ">=6"),
    ]  # lightgbm's marker is false here; options, URLs and paths are pip's


def test_a_line_pip_cannot_read_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("numpy\nxgboost >>= 2\n", encoding="utf-8")

    with pytest.raises(InputProblems) as caught:
        read_requirements(path, "requirements.txt")

    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("requirements.txt", 2)
    assert "xgboost >>= 2" in problem.message


def test_the_cache_key_content_holds_the_nested_files(tmp_path: Path) -> None:
    path = write(tmp_path)
    before = file_contents(path)

    (tmp_path / "more" / "extra.txt").write_text("PyYAML>=5\n", encoding="utf-8")

    assert file_contents(path) != before
    assert file_contents(path).startswith(path.read_bytes())


def test_unmet_names_missing_and_wrong_versions_and_conflicts_name_both_versions(
    tmp_path: Path,
) -> None:
    lines = read_requirements(write(tmp_path), "requirements.txt")
    installed = {"xgboost": "3.1.0", "scikit-learn": "1.6.1"}

    found = unmet(lines, installed)
    clashes = conflicts(lines, installed)

    assert [(p.file, p.line, p.message) for p in found] == [
        ("requirements.txt", 3, "XGBoost >= 2.0, < 3: this environment has xgboost 3.1.0"),
        ("more/extra.txt", 3, "PyYAML>=6: pyyaml is not installed in this environment"),
    ]  # in the order pip reads them; scikit-learn is met
    assert [p.message for p in clashes] == [
        "XGBoost >= 2.0, < 3 conflicts with the action's own xgboost 3.1.0, which your "
        "packages are layered over and cannot replace"
    ]  # pyyaml is not the action's: pip installs it
