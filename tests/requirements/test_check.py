"""The local requirements check against what this environment really holds."""

from __future__ import annotations

from pathlib import Path

from mlops_ci.requirements.check import installed_versions, unmet
from mlops_ci.requirements.file import read_requirements


def _lines(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    return read_requirements(tmp_path / "requirements.txt", "requirements.txt")


def test_a_module_installed_under_another_distribution_name_meets_it_locally(
    tmp_path: Path,
) -> None:
    """This dev environment has xgboost-cpu (the CPU-only build) and no distribution named
    xgboost: a project asking for ``xgboost`` imports the same module, so locally it is met."""
    import xgboost

    lines = _lines(tmp_path, f"xgboost>={xgboost.__version__}\nPyYAML\n")

    assert "xgboost" not in installed_versions()
    assert unmet(lines, installed_versions(by_module=True)) == []
    [problem] = unmet(lines, installed_versions())
    assert "xgboost is not installed" in problem.message


def test_the_module_alias_still_checks_the_version(tmp_path: Path) -> None:
    lines = _lines(tmp_path, "xgboost<0.1\n")

    [problem] = unmet(lines, installed_versions(by_module=True))

    assert problem.message.startswith("xgboost<0.1: this environment has xgboost ")
    assert (problem.file, problem.line) == ("requirements.txt", 1)


def test_a_module_nothing_provides_is_still_missing(tmp_path: Path) -> None:
    lines = _lines(tmp_path, "surely-not-installed-pkg==1.0\n")

    [problem] = unmet(lines, installed_versions(by_module=True))

    assert "surely-not-installed-pkg is not installed in this environment" in problem.message
