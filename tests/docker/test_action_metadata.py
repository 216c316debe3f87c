"""action.yml: the contract between a workflow's ``with:`` and the container's INPUT_* variables,
and between the ``GITHUB_OUTPUT`` names the code writes and the outputs it declares.

The written names are read from the code itself (``written_outputs``), so a stage that starts
writing a new output fails here until action.yml declares and describes it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mlops_ci"
EXPECTED_INPUTS = {
    "config",
    "github_token",
    "command",
    "model",
    "dry_run",
    "pull_request_report",
    "working_directory",
    "version",
    "stage",
    "canary",
}


@dataclass
class WrittenOutputs:
    """Output names found in the code, each with the ``file:line`` places that write it."""

    names: dict[str, list[str]] = field(default_factory=dict)
    families: dict[str, list[str]] = field(default_factory=dict)  # f"url_{...}": prefix url_
    unresolved: list[str] = field(default_factory=list)  # a name that is not a literal

    def add(self, node: ast.expr, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.names.setdefault(node.value, []).append(where)
        elif (
            isinstance(node, ast.JoinedStr)
            and node.values
            and isinstance(node.values[0], ast.Constant)
            and isinstance(node.values[0].value, str)
        ):
            self.families.setdefault(node.values[0].value, []).append(where)
        else:
            self.unresolved.append(where)


class _OutputScan(ast.NodeVisitor):
    """Every shape the code writes outputs in, pairs (``StageResult.outputs``) and dicts
    (``write_outputs``) alike:

    - ``write_outputs({...})`` and any call's ``outputs=((name, value), ...)``;
    - a variable ``outputs``: assigned, annotated, ``+=``, ``outputs[name] = ...``,
      ``outputs.append((name, value))``, ``outputs.update({...})``;
    - what a function named ``outputs`` returns.

    Anything else (a variable, ``dict(result.outputs)``) passes names found elsewhere along.
    """

    def __init__(self, file: str, found: WrittenOutputs) -> None:
        self.file, self.found = file, found
        self.functions: list[str] = []

    def where(self, node: ast.AST) -> str:
        return f"{self.file}:{getattr(node, 'lineno', 0)}"

    def collect(self, node: ast.expr | None) -> None:
        if node is None:
            return
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:  # None: a ``**spread``, passed along
                    self.found.add(key, self.where(key))
        elif isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                if _is_pair(element):
                    assert isinstance(element, ast.Tuple)
                    self.found.add(element.elts[0], self.where(element))
                elif isinstance(element, ast.Tuple | ast.List):
                    self.collect(element)
                elif not isinstance(element, ast.Starred):
                    self.found.unresolved.append(self.where(element))
        elif isinstance(node, ast.DictComp | ast.ListComp | ast.SetComp | ast.GeneratorExp):
            self.found.unresolved.append(self.where(node))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    def visit_Return(self, node: ast.Return) -> None:
        if self.functions and self.functions[-1] == "outputs":
            self.collect(node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name == "write_outputs" and node.args:
            self.collect(node.args[0])
        if _is_outputs(function, "append") and node.args:
            self.collect(ast.Tuple(elts=[node.args[0]], ctx=ast.Load()))
        if (_is_outputs(function, "update") or _is_outputs(function, "extend")) and node.args:
            self.collect(node.args[0])
        for keyword in node.keywords:
            if keyword.arg == "outputs":
                self.collect(keyword.value)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == "outputs":
                self.collect(node.value)
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "outputs"
            ):
                self.found.add(target.slice, self.where(target))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and node.target.id == "outputs":
            self.collect(node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name) and node.target.id == "outputs":
            self.collect(node.value)
        self.generic_visit(node)


def _is_pair(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Tuple)
        and len(node.elts) == 2
        and isinstance(node.elts[0], ast.Constant | ast.JoinedStr)
    )


def _is_outputs(function: ast.expr, method: str) -> bool:
    return (
        isinstance(function, ast.Attribute)
        and function.attr == method
        and isinstance(function.value, ast.Name)
        and function.value.id == "outputs"
    )


def scan_source(source: str, file: str, found: WrittenOutputs) -> None:
    _OutputScan(file, found).visit(ast.parse(source))


def written_outputs(package: Path = PACKAGE) -> WrittenOutputs:
    """The outputs the modules that write them (those naming ``write_outputs`` or
    ``StageResult``) can write; the model server's own "outputs" are another thing."""
    found = WrittenOutputs()
    for path in sorted(package.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "write_outputs" in source or "StageResult" in source:
            scan_source(source, path.relative_to(package.parent).as_posix(), found)
    return found


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return loaded


def test_action_runs_the_repository_dockerfile(action: dict[str, Any]) -> None:
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert (ROOT / action["runs"]["image"]).is_file()


def test_inputs_are_the_documented_set(action: dict[str, Any]) -> None:
    assert set(action["inputs"]) == EXPECTED_INPUTS


def test_a_pull_request_report_goes_by_artifact_unless_asked(action: dict[str, Any]) -> None:
    """Two phases by default: the pull request's job needs no token that can write."""
    assert action["inputs"]["pull_request_report"]["default"] == "artifact"


def test_input_names_are_readable_from_a_posix_shell(action: dict[str, Any]) -> None:
    """GitHub keeps hyphens (INPUT_DRY-RUN), which no POSIX shell can read."""
    for name in action["inputs"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name


def test_every_input_has_a_description_and_a_default(action: dict[str, Any]) -> None:
    """A default makes GitHub set INPUT_* even when the workflow leaves the input out."""
    for name, spec in action["inputs"].items():
        assert spec.get("description", "").strip(), name
        assert "default" in spec, name
        assert isinstance(spec["default"], str), f"{name}: a default is passed as text"


def test_token_defaults_to_the_workflow_token(action: dict[str, Any]) -> None:
    assert action["inputs"]["github_token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["dry_run"]["default"] == "false"
    assert action["inputs"]["config"]["default"] == "mlops.yaml"
    assert action["inputs"]["command"]["default"] == "run"


def test_declared_outputs_are_exactly_the_outputs_the_code_writes(
    action: dict[str, Any],
) -> None:
    written = written_outputs().names
    undeclared = {name: places for name, places in written.items() if name not in action["outputs"]}
    never_written = sorted(set(action["outputs"]) - set(written))
    assert not undeclared, f"written but not declared in action.yml: {undeclared}"
    assert not never_written, f"declared in action.yml but written nowhere: {never_written}"


def test_every_output_name_is_a_literal_or_a_documented_family(action: dict[str, Any]) -> None:
    """A name built at run time (``url_<environment>``) cannot be declared: its family is
    described instead, spelled `prefix<...>` in some output's description."""
    written = written_outputs()
    described = " ".join(spec["description"] for spec in action["outputs"].values())
    assert not written.unresolved, f"output names that are not literals: {written.unresolved}"
    assert set(written.families) == {"url_"}
    for prefix in written.families:
        assert f"`{prefix}<" in described, f"outputs {prefix}...: no description names them"


def test_outputs_are_each_described_and_set_by_the_container(action: dict[str, Any]) -> None:
    for name, spec in action["outputs"].items():
        assert spec.get("description", "").strip(), name
        assert "value" not in spec, f"{name}: a docker action's outputs come from GITHUB_OUTPUT"


@pytest.mark.parametrize(
    ("source", "names", "families"),
    [
        ('write_outputs({"report_url": url}, environ=env)', {"report_url"}, set()),
        ('StageResult(a, b, c, d, outputs=(("gates", str(x)),))', {"gates"}, set()),
        ('outputs: list[tuple[str, str]] = [("stage", s)]\noutputs.append((f"url_{n}", u))',
         {"stage"}, {"url_"}),
        ('outputs = {"verdict": v}\noutputs["report_artifact"] = a\noutputs += (("tag", t),)',
         {"verdict", "report_artifact", "tag"}, set()),
        ('def outputs(results):\n    return {"drift": d, "verdict": v}', {"drift", "verdict"},
         set()),
        ('outputs.update(dict(result.outputs))\nwrite_outputs(outputs)', set(), set()),
        ('def predict(batch):\n    return {"name": n}', set(), set()),
    ],
)
def test_the_output_scan_reads_each_way_the_code_writes_outputs(
    source: str, names: set[str], families: set[str]
) -> None:
    found = WrittenOutputs()
    scan_source(source, "example.py", found)
    assert (set(found.names), set(found.families), found.unresolved) == (names, families, [])


def test_the_output_scan_flags_a_name_it_cannot_read() -> None:
    found = WrittenOutputs()
    scan_source("write_outputs({name: value for name, value in pairs})", "example.py", found)
    assert found.unresolved == ["example.py:1"]


def test_every_dockerfile_stage_starts_from_the_python_slim_base_pinned_by_digest() -> None:
    """The base is python:3.11-slim pinned by digest (a tag moves to new bytes); offline,
    scripts/build-image names the stand-in scripts/base-image builds under the plain tag."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, flags=re.MULTILINE | re.I))
    assert bases
    assert {base for base in bases if base not in stages} == {"${BASE_IMAGE}"}
    default = re.findall(r"^ARG BASE_IMAGE=(\S+)$", dockerfile, flags=re.MULTILINE)
    assert len(default) == 1
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", default[0]), default
    build_image = (ROOT / "scripts" / "build-image").read_text()
    assert "--build-arg BASE_IMAGE=python:3.11-slim)" in build_image
