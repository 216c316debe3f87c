"""``mlops-ci init``: a commented mlops.yaml and the workflows, ready to edit.

Two workflows: ``mlops.yml`` runs the lifecycle, ``mlops-report.yml`` (``workflow_run``)
posts the report of a fork's pull request, whose own run has no write token.

When the training file already exists, its header and first rows give the column schema
(dtype, nullability, allowed values of small categoricals), so the first ``validate``
passes and the user edits from something true. Files are never overwritten without
``--force``.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mlops_ci.errors import EXIT_OK, UserError

SAMPLE_ROWS = 2000
MAX_CATEGORIES = 20
_NAME = re.compile(r"[a-z0-9]([a-z0-9-/]*[a-z0-9])?\Z")
_INT = re.compile(r"[-+]?\d+\Z")
_BOOLS = {"true", "false", "True", "False", "TRUE", "FALSE"}


@dataclass(frozen=True, slots=True)
class InitRequest:
    directory: Path
    model: str = "model"
    train: str = "data/train.csv"
    test: str = "data/test.csv"
    target: str | None = None
    task: str = "classification"
    force: bool = False


@dataclass(frozen=True, slots=True)
class InferredColumn:
    name: str
    dtype: str
    nullable: bool
    allowed: tuple[str, ...] = ()


def init(request: InitRequest) -> int:
    if not _NAME.match(request.model):
        raise UserError(
            f"invalid model name {request.model!r}",
            hint="lowercase letters, digits, '-' and '/', as GTO names artifacts",
        )
    config_path = request.directory / "mlops.yaml"
    workflow_path = request.directory / ".github" / "workflows" / "mlops.yml"
    report_workflow_path = workflow_path.with_name("mlops-report.yml")
    existing = [p for p in (config_path, workflow_path, report_workflow_path) if p.exists()]
    if existing and not request.force:
        names = ", ".join(str(p) for p in existing)
        raise UserError(
            f"{names} already exist{'s' if len(existing) == 1 else ''}",
            hint="pass --force to overwrite",
        )
    train = request.directory / request.train
    columns = infer_columns(train)
    if columns and request.target is not None and request.target not in (c.name for c in columns):
        raise UserError(
            f"--target {request.target!r} is not a column of {train}",
            hint=f"its columns: {', '.join(c.name for c in columns[:20])}",
        )
    target = request.target or (columns[-1].name if columns else "target")
    files = {
        config_path: render_config(request, columns, target),
        workflow_path: _template("workflow.yml"),
        report_workflow_path: _template("workflow-report.yml"),
    }
    for path in files:
        _check_writable(path)
    for path, text in files.items():
        _write(path, text)
    print(f"wrote {config_path}")
    print(f"wrote {workflow_path}")
    print(f"wrote {report_workflow_path} (posts the report of a fork's pull request)")
    if columns:
        print(f"inferred {len(columns)} columns from {request.train}; target: {target}")
    else:
        print(f"{request.train} not found: edit data.columns and the paths, then validate")
    print("next: edit mlops.yaml, then run `mlops-ci validate`")
    return EXIT_OK


def _check_writable(path: Path) -> None:
    """Refuse before writing anything when a folder stands where a file goes, or a file
    where a folder goes, so a failed ``init`` leaves no half-written setup behind."""
    if path.is_dir():
        raise UserError(f"cannot write {path}: a folder of that name is in the way")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise UserError(f"cannot write {path}: {parent} is a file, not a folder")


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write {error.filename or path}: {error.strerror}") from None


def render_config(request: InitRequest, columns: list[InferredColumn], target: str) -> str:
    classification = request.task == "classification"
    replacements = {
        "@@MODEL@@": request.model,
        "@@TRAIN@@": _yaml_string(request.train),
        "@@TEST@@": _yaml_string(request.test),
        "@@TARGET@@": _yaml_string(target),
        "@@COLUMNS@@": _columns_block(columns),
        "@@TASK@@": request.task,
        "@@METRICS@@": "accuracy, f1" if classification else "rmse, mae, r2",
        "@@GATE_METRIC@@": "accuracy" if classification else "r2",
        "@@GATE_BOUND@@": "min: 0.7" if classification else "min: 0.5",
        "@@ESTIMATOR@@": "Classifier" if classification else "Regressor",
    }
    text = _template("mlops.yaml")
    for token, value in replacements.items():
        text = text.replace(token, value)
    return text


def infer_columns(train: Path) -> list[InferredColumn]:
    """Column names and types from a CSV's header and first rows; [] when it is absent."""
    if not train.is_file() or train.suffix.lower() != ".csv":
        return []
    try:
        with train.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            rows = [row for _, row in zip(range(SAMPLE_ROWS), reader, strict=False)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"cannot read {train} to infer its columns: {error}") from None
    if not any(name.strip() for name in header):
        raise UserError(
            f"{train}: no header line to infer the columns from",
            hint="the first line must name the columns, separated by commas",
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise UserError(f"{train}:1: the header names {', '.join(map(repr, repeated))} "
                        "more than once")
    columns = []
    for index, name in enumerate(header):
        values = [row[index] for row in rows if index < len(row)]
        columns.append(_infer(name, values))
    return columns


def _infer(name: str, values: list[str]) -> InferredColumn:
    present = [v for v in values if v.strip() != ""]
    nullable = len(present) < len(values) or not values
    if present and all(v in _BOOLS for v in present):
        return InferredColumn(name, "bool", nullable)
    if present and all(_INT.match(v) for v in present):
        return InferredColumn(name, "int", nullable)
    if present and all(_is_float(v) for v in present):
        return InferredColumn(name, "float", nullable)
    distinct = sorted(set(present))
    if 0 < len(distinct) <= MAX_CATEGORIES and len(present) >= 2 * len(distinct):
        return InferredColumn(name, "category", nullable, tuple(distinct))
    return InferredColumn(name, "string", nullable)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _columns_block(columns: list[InferredColumn]) -> str:
    indent = " " * 8
    if not columns:
        return (
            f"{indent}# feature_a: {{dtype: float, nullable: false, min: 0}}\n"
            f"{indent}# segment:   {{dtype: category, allowed: [a, b, c]}}\n"
            f"{indent}target: {{dtype: int, allowed: [0, 1]}}"
        )
    lines = []
    for column in columns:
        fields = [f"dtype: {column.dtype}"]
        if not column.nullable:
            fields.append("nullable: false")
        if column.allowed:
            fields.append(f"allowed: [{', '.join(_yaml_string(v) for v in column.allowed)}]")
        lines.append(f"{indent}{_yaml_string(column.name)}: {{{', '.join(fields)}}}")
    return "\n".join(lines)


def _yaml_string(text: str) -> str:
    """A YAML scalar that reads back as exactly ``text`` (JSON strings are YAML)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./-]*", text) and text.lower() not in {
        "true",
        "false",
        "null",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "~",
    }:
        return text
    return json.dumps(text)


def _template(name: str) -> str:
    return resources.files("mlops_ci.templates").joinpath(name).read_text(encoding="utf-8")
