"""``mlops-ci init``: a commented mlops.yaml and the workflows, ready to edit.

Two workflows: ``mlops.yml`` runs the lifecycle, ``mlops-report.yml`` (``workflow_run``)
renders and posts the report of a pull request, whose own run holds a read-only token
(``--single-job-pr``: the pull-request job comments itself, with a write token). GitHub reads
workflows only from ``.github/workflows`` at the repository's root, so in a git repository
they are written there, naming the config's path from the root (``config: ml/mlops.yaml``),
whatever folder ``init`` writes mlops.yaml to; outside one they go beside the config, and
``init`` says where GitHub needs them.

When the training file already exists, its header and first rows give the column schema
(dtype, nullability, allowed values of small categoricals), so the first ``validate``
passes and the user edits from something true; and the drift baseline
(``data.reference``) becomes a snapshot of it written beside it (``reference.csv``; a seeded
sample when it is large): without one, drift would measure the training data against itself.
Without a training file, the columns are placeholders, the target among them under its own
name. Files are never overwritten without ``--force``; data files never; nothing is written
through a symlink (commands/init_paths.py).
"""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from mlops_ci.backends.git import Git
from mlops_ci.commands.init_paths import check_writable, write_text
from mlops_ci.config.loader import DEFAULT_CONFIG, display_name
from mlops_ci.errors import EXIT_OK, MlopsError, UserError

SAMPLE_ROWS = 2000
MAX_CATEGORIES = 20
MAX_REFERENCE_ROWS = 50_000  # a larger training file gives a seeded sample of this many rows
REFERENCE_SEED = 0
TRAIN_SCRIPT = "train.py"  # init trains with it when the config's folder has one
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
    reference: str | None = None  # None: a snapshot of the training file, when it exists
    single_job_pr: bool = False  # the pull-request job comments itself (a write token)


@dataclass(frozen=True, slots=True)
class InferredColumn:
    name: str
    dtype: str
    nullable: bool
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkflowPlace:
    """Where the workflows go and how they name the config from there."""

    folder: Path  # holds .github/workflows
    config: str  # the config's path from ``folder``, in POSIX form
    repository: bool  # ``folder`` is a git repository's root


@dataclass(frozen=True, slots=True)
class ReferencePlan:
    """The drift baseline the config names: a file to snapshot from the training data, or not."""

    path: str | None  # the value of data.reference; None: left commented out
    snapshot: Path | None  # the file to write from the training file (it does not exist yet)


def init(request: InitRequest) -> int:
    if not _NAME.match(request.model):
        raise UserError(
            f"invalid model name {request.model!r}",
            hint="lowercase letters, digits, '-' and '/', as GTO names artifacts",
        )
    config_path = request.directory / DEFAULT_CONFIG
    place = workflow_place(request.directory)
    workflow_path = place.folder / ".github" / "workflows" / "mlops.yml"
    report_workflow_path = workflow_path.with_name("mlops-report.yml")
    root = place.folder if place.repository else request.directory
    check_writable((config_path, workflow_path, report_workflow_path), root)
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
    reference = plan_reference(request, columns)
    files = {
        config_path: render_config(request, columns, target, reference.path),
        workflow_path: render_workflow("workflow.yml", place, single_job_pr=request.single_job_pr),
        report_workflow_path: render_workflow("workflow-report.yml", place),
    }
    check_writable([*files, *([reference.snapshot] if reference.snapshot else [])], root)
    for path, text in files.items():
        write_text(path, text)
    print(f"wrote {display_name(config_path)}")
    _say_workflows(place, workflow_path, report_workflow_path)
    if columns:
        print(f"inferred {len(columns)} columns from {request.train}; target: {target}")
    else:
        print(f"{request.train} not found: data.columns holds placeholders (the target "
              f"{target!r} and commented examples); fill in your columns, then validate")
    if reference.snapshot is not None:
        _say_reference(train, reference.snapshot, write_reference(train, reference.snapshot))
    elif reference.path is not None:
        print(f"drift is measured against {reference.path} (data.reference)")
    print("next: edit mlops.yaml, then run `mlops-ci validate`")
    return EXIT_OK


def workflow_place(directory: Path) -> WorkflowPlace:
    """The root of the git repository holding ``directory``; else ``directory`` itself."""
    beside = WorkflowPlace(directory, DEFAULT_CONFIG, repository=False)
    existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        return beside  # a file stands in the way: check_writable says so
    try:
        found = Git(existing).run(["rev-parse", "--show-toplevel"], check=False)
    except MlopsError:  # no git on PATH: not a repository as far as we can tell
        return beside
    if not found.ok or not found.text.strip():
        return beside
    root = Path(found.text.strip())
    config = (directory.resolve() / DEFAULT_CONFIG).relative_to(root.resolve())  # not the link's
    return WorkflowPlace(root, config.as_posix(), repository=True)


def _say_workflows(place: WorkflowPlace, *paths: Path) -> None:
    workflow, report_workflow = (display_name(path) for path in paths)
    if not place.repository:
        print(f"wrote {workflow} and {report_workflow} (posts the report of a pull "
              "request) beside mlops.yaml: this folder is not in a git repository, and GitHub "
              "reads workflows only from .github/workflows at the repository's root; move them "
              "there, setting `config:` in them to mlops.yaml's path from that root")
        return
    where = "" if place.config == DEFAULT_CONFIG else (
        f" at the repository's root {place.folder}, where GitHub reads workflows; they run "
        f"`config: {place.config}`"
    )
    print(f"wrote {workflow} and {report_workflow} (posts the report of a pull "
          f"request){where}")


def plan_reference(request: InitRequest, columns: list[InferredColumn]) -> ReferencePlan:
    """``--reference`` as given; else a snapshot of the training file beside it, when it is
    there to take one (an existing ``reference.csv`` there is used as it is)."""
    if request.reference is not None:
        return ReferencePlan(request.reference, snapshot=None)
    if not columns:
        return ReferencePlan(None, snapshot=None)
    path = PurePosixPath(request.train).with_name("reference.csv").as_posix()
    file = request.directory / path
    return ReferencePlan(path, snapshot=None if file.exists() else file)


def write_reference(train: Path, dest: Path) -> tuple[int, int]:
    """Snapshot ``train`` into ``dest``: a copy, or a seeded sample of ``MAX_REFERENCE_ROWS``
    rows in file order when it has more. Returns (rows written, rows in ``train``)."""
    rng = random.Random(REFERENCE_SEED)  # noqa: S311 -- a reproducible sample, not a secret
    kept: list[tuple[int, list[str]]] = []
    total = 0
    try:
        with train.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            for total, row in enumerate(reader, start=1):
                if total <= MAX_REFERENCE_ROWS:
                    kept.append((total, row))
                elif (slot := rng.randrange(total)) < MAX_REFERENCE_ROWS:
                    kept[slot] = (total, row)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if total <= MAX_REFERENCE_ROWS:
            shutil.copyfile(train, dest)  # the same bytes: drift knows there is nothing to compare
            return total, total
        with dest.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(row for _, row in sorted(kept))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"cannot write the drift reference {dest} from {train}: {error}") from None
    return len(kept), total


def _say_reference(train: Path, dest: Path, counts: tuple[int, int]) -> None:
    written, total = counts
    what = "a copy of" if written == total else f"a sample of {written:,} of the {total:,} rows of"
    print(f"wrote {display_name(dest)}: {what} {display_name(train)}, the drift baseline "
          "(data.reference); commit it. Drift shows once the training data changes; replace "
          "it with the data your production model learnt from, if you have it")


def render_config(
    request: InitRequest, columns: list[InferredColumn], target: str, reference: str | None
) -> str:
    classification = request.task == "classification"
    replacements = {
        "@@MODEL@@": request.model,
        "@@TRAIN@@": _yaml_string(request.train),
        "@@TEST@@": _yaml_string(request.test),
        "@@TARGET@@": _yaml_string(target),
        "@@REFERENCE@@": _reference_line(reference),
        "@@COLUMNS@@": _columns_block(columns, target, classification),
        "@@TASK@@": request.task,
        "@@METRICS@@": "accuracy, f1" if classification else "rmse, mae, r2",
        "@@GATE_METRIC@@": "accuracy" if classification else "r2",
        "@@GATE_BOUND@@": "min: 0.7" if classification else "min: 0.5",
        "@@TRAIN_BLOCK@@": _train_block(
            (request.directory / TRAIN_SCRIPT).is_file(),
            "Classifier" if classification else "Regressor",
        ),
    }
    text = _template("mlops.yaml")
    for token, value in replacements.items():
        text = text.replace(token, value)
    return text


def _train_block(has_script: bool, kind: str) -> str:
    """Train with the folder's ``train.py`` when there is one; else let mlops-ci fit a
    scikit-learn estimator, so the config is valid and runs before a script is written."""
    script = [
        "# Your own script: it reads MLOPS_TRAIN_DATA, MLOPS_TARGET, MLOPS_SEED and",
        "# writes $MLOPS_OUTPUT_DIR/model.skops. It is run without a shell.",
        f"command: [python, {TRAIN_SCRIPT}]",
        "timeout: 1h",
    ]
    estimator = [
        "estimator:  # mlops-ci fits this scikit-learn estimator itself",
        f"  class: sklearn.ensemble.HistGradientBoosting{kind}",
        "  params: {max_iter: 200}",
    ]
    if has_script:
        lines = [*script, "# Or let mlops-ci train a scikit-learn estimator itself:"]
        lines += [_commented(line) for line in estimator]
    else:
        lines = [*estimator, f"# Or train with your own script ({TRAIN_SCRIPT} is not here yet):"]
        lines += [_commented(line) for line in script]
    return "    train:\n" + "".join(f"      {line}\n" for line in lines)


def _commented(line: str) -> str:
    return line if line.startswith("#") else "# " + line


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


def render_workflow(name: str, place: WorkflowPlace, *, single_job_pr: bool = False) -> str:
    """A workflow template with its paths filled in. The pull-request job is the two-phase
    one (read-only token, results stored for mlops-report.yml) unless ``single_job_pr``."""
    folder = PurePosixPath(place.config).parent
    artifact = (folder / ".mlops" / "report-artifact").as_posix()
    job = _template("pr-job-comment.yml" if single_job_pr else "pr-job-artifact.yml")
    text = _template(name).replace("@@PULL_REQUEST_JOB@@\n", job)
    text = text.replace("@@CONFIG@@", _yaml_string(place.config))
    return text.replace("@@ARTIFACT_DIR@@", _yaml_string(artifact))


def _reference_line(reference: str | None) -> str:
    indent = " " * 6
    if reference is None:
        return (f"{indent}# reference: data/reference.csv   # drift baseline (unset: the "
                "training data itself, so drift has nothing to compare)")
    return f"{indent}reference: {_yaml_string(reference)}   # drift baseline"


def _columns_block(columns: list[InferredColumn], target: str, classification: bool) -> str:
    indent = " " * 8
    if not columns:
        label = "{dtype: int, allowed: [0, 1]}" if classification else "{dtype: float}"
        return (
            f"{indent}# placeholders: replace them with your data's columns\n"
            f"{indent}# feature_a: {{dtype: float, nullable: false, min: 0}}\n"
            f"{indent}# segment:   {{dtype: category, allowed: [a, b, c]}}\n"
            f"{indent}{_yaml_string(target)}: {label}"
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
