"""The house keeps its shape: the import contracts hold, and our own imports stand at module top.

docs/ARCHITECTURE.md describes the layers; pyproject.toml's ``[tool.importlinter]`` declares
them. An import of our own module inside a function hides a dependency from readers, mypy and
import-linter, so only ``cli`` may defer one: it imports the command a user chose when it runs.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mlops_ci"


def _deferred_own_imports(path: Path) -> list[str]:
    found = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlops_ci"):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.module}")
            elif isinstance(node, ast.Import) and any(
                alias.name.startswith("mlops_ci") for alias in node.names
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_own_imports_stand_at_module_top_outside_the_cli() -> None:
    deferred = [
        place
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.parent.name != "cli"
        for place in _deferred_own_imports(path)
    ]
    assert deferred == []


def test_the_cli_defers_only_the_commands_it_runs() -> None:
    deferred = [
        place
        for path in sorted((PACKAGE / "cli").glob("*.py"))
        for place in _deferred_own_imports(path)
    ]
    assert deferred, "the cli loads the chosen command on use (cold start)"
    assert all(": mlops_ci.commands" in place for place in deferred), deferred


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
