"""The README's first two commands: the demo needs only the runtime, and CI runs the test line.

The first line installs ``-e .`` (no extras) and runs the demo, so nothing ``mlops_ci`` imports,
the shipped example's scripts included, may come from the ``dev`` extra: every third-party
import resolves to a runtime dependency or to one of theirs. ``.ci/run`` installs what the
second line installs and ends with its test command.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shlex
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[list[list[str]]]:
    """The README's first code block: each line, split on ``&&`` into shell words."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    assert block is not None
    return [[shlex.split(part) for part in line.split("&&")]
            for line in block.group(1).strip().splitlines()]


def test_the_first_line_installs_the_runtime_only_then_runs_the_demo() -> None:
    first, _ = readme_commands()
    assert first == [
        ["python3", "-m", "venv", ".venv"],
        [".venv/bin/pip", "install", "-e", "."],
        [".venv/bin/mlops-ci", "demo"],
    ]


def test_ci_installs_the_dev_tools_and_runs_the_readme_test_line() -> None:
    _, (install, test) = readme_commands()
    assert (install, test) == ([".venv/bin/pip", "install", "-e", ".[dev]"],
                               [".venv/bin/pytest", "-n", "2"])
    commands = [
        [word for word in shlex.split(line) if word != "--quiet"]
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("\\\n", " ")
        .splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert install in commands
    assert commands[-1] == test


def _runtime_distributions() -> set[str]:
    """The project's dependencies and theirs (markers for this Python, no extras)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pending = [Requirement(text) for text in project["dependencies"]]
    found: set[str] = set()
    while pending:
        requirement = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if name in found:
            continue
        found.add(name)
        pending.extend(Requirement(text) for text in importlib.metadata.requires(name) or ())
    return found


def test_nothing_the_package_imports_needs_the_dev_extra() -> None:
    providers = importlib.metadata.packages_distributions()
    runtime = _runtime_distributions()
    outside: dict[str, str] = {}
    for path in sorted((ROOT / "mlops_ci").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {name.split(".")[0] for name in names}:
                if top in sys.stdlib_module_names or top == "mlops_ci":
                    continue
                dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(top, [top])}
                if not dists & runtime:
                    outside[f"{path.relative_to(ROOT)}: {top}"] = ", ".join(sorted(dists))
    assert "scikit-learn" in runtime and "requests" in runtime  # the closure is followed
    assert outside == {}
