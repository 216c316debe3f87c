"""Training a candidate: the user's command (here or in a container) or a declared estimator.

``train_model`` is what the train stage calls. What a caller may rely on:

- ``train.command`` runs in the workspace as an argv list (never a shell) with the
  environment given plus ``train.env`` plus the documented variables, all paths absolute:
  ``MLOPS_TRAIN_DATA``, ``MLOPS_TEST_DATA``, ``MLOPS_REFERENCE_DATA``, ``MLOPS_TARGET``,
  ``MLOPS_OUTPUT_DIR``, ``MLOPS_SEED``, ``MLOPS_MODEL_NAME``. ``train.env`` cannot set these.
  A bare ``python`` or ``python3`` as the program is the interpreter running mlops-ci.
  Its output is streamed live; failing, timing out or not writing ``train.model_file`` in
  ``MLOPS_OUTPUT_DIR`` is a ``UserError`` (exit 2) with the tail of its log.
- With ``train.image`` the command runs in a container: the workspace mounted read-only at
  ``/workspace`` (also the working directory), the output folder read-write at ``/output``,
  the variables pointing there, no network.
- ``train.estimator`` is fitted by mlops-ci itself (``stages.estimator``).
- The model must be a skops file every type of which is trusted (mlops-ci's vetted defaults
  plus ``evaluate.trusted_types``, ``modelio.check_trusted``): a model the evaluate stage
  would refuse is refused here, where the fix is made.
- The result records the model's sha256, the params (the estimator's as used, or the
  ``params.json`` a command wrote, nested keys flattened with dots), ``train.params_file``'s
  flattened parameters (read before training: a bad file is a ``UserError`` naming it and the
  key), the sha256 of the data files, the git sha, the duration and library versions, and is
  written as ``metadata.json`` beside the model (strict JSON).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Mapping
from importlib import metadata as importlib_metadata
from pathlib import Path, PurePosixPath
from typing import Literal, TextIO

from mlops_ci.backends.container import Mount, run_in_container
from mlops_ci.backends.process import CommandTimedOut, run_streamed
from mlops_ci.backends.sandbox import training_user
from mlops_ci.config.model import ModelSpec, StageName
from mlops_ci.data.dataset import read_split
from mlops_ci.digest import sha256_file
from mlops_ci.errors import UserError
from mlops_ci.modelio import check_trusted, make_reproducible, save_model, untrusted_types
from mlops_ci.requirements.layer import LayeredVenv
from mlops_ci.stages.base import StageContext, StageResult, Status
from mlops_ci.stages.estimator import fit_pipeline
from mlops_ci.stages.params import flatten, read_params_file
from mlops_ci.stages.results import DataFile, Method, ParamValue, TrainResult

METADATA_FILE = "metadata.json"
PARAMS_FILE = "params.json"  # a flat JSON object a training command may write beside the model
CONTAINER_WORKSPACE = "/workspace"
CONTAINER_OUTPUT = "/output"
RESERVED_ENV = (
    "MLOPS_TRAIN_DATA", "MLOPS_TEST_DATA", "MLOPS_REFERENCE_DATA", "MLOPS_TARGET",
    "MLOPS_OUTPUT_DIR", "MLOPS_SEED", "MLOPS_MODEL_NAME",
)
LIBRARIES = ("scikit-learn", "skops", "numpy", "pandas", "scipy")
TIMEOUT_HINT = "make it faster, or raise the limit (train.timeout in mlops.yaml)"

def train_model(
    model: ModelSpec,
    *,
    workspace: Path,
    output_dir: Path,
    environ: Mapping[str, str],
    out: TextIO,
    git_sha: str | None = None,
    venv: LayeredVenv | None = None,
) -> TrainResult:
    """Train ``model``'s candidate into ``output_dir`` (created; a stale model file, and a stale
    ``evaluate.metrics_file``, removed). ``venv``: the model's ``train.requirements`` installed
    in the action; the command runs with it active."""
    spec = model.train
    workspace = workspace.resolve()
    output_dir = output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    model_path = output_dir / spec.model_file
    own_metrics = model.evaluate.metrics_file
    for stale in (model_path, output_dir / METADATA_FILE,
                  *([output_dir / own_metrics] if own_metrics else [])):
        if stale.is_dir() and not stale.is_symlink():  # a training script made a folder there
            shutil.rmtree(stale)
        stale.unlink(missing_ok=True)
    data_files = _hash_data(model, workspace)
    file_params: dict[str, ParamValue] = {}
    if spec.params_file is not None:
        display = f"{spec.params_file} (models.{model.name}.train.params_file)"
        file_params = read_params_file(workspace / spec.params_file, display)
    started = time.monotonic()
    params: tuple[tuple[str, ParamValue], ...]
    if spec.estimator is not None:
        method: Method = "estimator"
        params = _fit_estimator(model, workspace, model_path, out)
    elif spec.command is not None:
        method = "container" if spec.image else "command"
        try:
            _run_command(model, workspace, output_dir, environ, out, venv)
        except CommandTimedOut as timed_out:  # the backend names no config: this stage does
            raise timed_out.with_hint(TIMEOUT_HINT) from None
        params = _read_params(output_dir / PARAMS_FILE)
    else:
        raise UserError(f"models.{model.name}.train: set either 'command' or 'estimator'")
    duration = time.monotonic() - started
    found_types = _check_model_file(model, model_path)
    make_reproducible(model_path)  # a command's skops.io.dump is not: ids, uuids, timestamps
    result = TrainResult(
        model_name=model.name,
        model_path=model_path,
        sha256=sha256_file(model_path),
        method=method,
        command=spec.command if spec.estimator is None else None,
        image=spec.image if spec.estimator is None else None,
        estimator=spec.estimator.class_path if spec.estimator is not None else None,
        seed=spec.seed,
        params=params,
        data_files=data_files,
        git_sha=git_sha,
        duration_seconds=duration,
        versions=library_versions(),
        untrusted_types=found_types,
        metadata_path=output_dir / METADATA_FILE,
        params_file=spec.params_file,
        file_params=tuple(file_params.items()),
    )
    text = json.dumps(result.to_json(), indent=2, sort_keys=True, allow_nan=False)
    result.metadata_path.write_text(text + "\n", encoding="utf-8")
    return result


def training_environment(
    model: ModelSpec, *, data_root: Path | PurePosixPath, output_dir: Path | PurePosixPath
) -> dict[str, str]:
    """The documented ``MLOPS_*`` variables, with data paths under ``data_root``."""
    data = model.data
    return {
        "MLOPS_TRAIN_DATA": str(data_root / data.train),
        "MLOPS_TEST_DATA": str(data_root / data.test),
        "MLOPS_REFERENCE_DATA": str(data_root / data.reference_path),
        "MLOPS_TARGET": data.target,
        "MLOPS_OUTPUT_DIR": str(output_dir),
        "MLOPS_SEED": str(model.train.seed),
        "MLOPS_MODEL_NAME": model.name,
    }


def library_versions() -> tuple[tuple[str, str], ...]:
    """Python's and the model libraries' versions in this environment (installed metadata)."""
    found = [("python", ".".join(str(part) for part in sys.version_info[:3]))]
    for name in LIBRARIES:
        try:
            found.append((name, importlib_metadata.version(name)))
        except importlib_metadata.PackageNotFoundError:
            found.append((name, "not installed"))
    return tuple(found)


def _extra_env(model: ModelSpec) -> dict[str, str]:
    extra = dict(model.train.env)
    clashes = [name for name in extra if name in RESERVED_ENV]
    if clashes:
        raise UserError(
            f"models.{model.name}.train.env.{clashes[0]}: mlops-ci sets this variable itself",
            hint=f"train.env cannot set {', '.join(RESERVED_ENV)}",
        )
    return extra


def local_argv(command: tuple[str, ...], python: Path | None = None) -> tuple[str, ...]:
    """A bare ``python``/``python3`` is ``python`` when given (the venv of the model's
    requirements), else the interpreter running mlops-ci, so the training script sees the
    same environment (packages installed beside mlops-ci); any other program is looked up on
    PATH as written."""
    interpreter = str(python) if python is not None else sys.executable
    if command and command[0] in ("python", "python3") and interpreter:
        return (interpreter, *command[1:])
    return command


def _run_command(
    model: ModelSpec, workspace: Path, output_dir: Path, environ: Mapping[str, str],
    out: TextIO, venv: LayeredVenv | None,
) -> None:
    spec = model.train
    assert spec.command is not None  # noqa: S101 -- the caller checked
    what = f"the training command of {model.name} (`{' '.join(spec.command)}`)"
    if spec.image is None:

        active = venv.command_environ(environ) if venv is not None else environ
        env = {**active, **_extra_env(model),
               **training_environment(model, data_root=workspace, output_dir=output_dir)}
        python = venv.python if venv is not None else None
        run_streamed(local_argv(spec.command, python), cwd=workspace, environ=env, out=out,
                     timeout_seconds=spec.timeout_seconds, what=what,
                     user=training_user(environ), writable=(output_dir,))
    else:

        inside = training_environment(model, data_root=PurePosixPath(CONTAINER_WORKSPACE),
                                      output_dir=PurePosixPath(CONTAINER_OUTPUT))
        run_in_container(
            spec.image,
            spec.command,
            mounts=(Mount(workspace, CONTAINER_WORKSPACE, read_only=True),
                    Mount(output_dir, CONTAINER_OUTPUT, read_only=False)),
            workdir=CONTAINER_WORKSPACE,
            env={"HOME": "/tmp", "PYTHONUNBUFFERED": "1", **_extra_env(model), **inside},  # noqa: S108 -- inside the container
            environ=environ,
            out=out,
            timeout_seconds=spec.timeout_seconds,
            what=f"{what} in image {spec.image}",
        )
    model_path = output_dir / spec.model_file
    if not model_path.is_file():
        written = sorted(p.name for p in output_dir.iterdir())
        listing = ", ".join(written) if written else "nothing"
        raise UserError(
            f"{what} exited 0 but wrote no {spec.model_file} in MLOPS_OUTPUT_DIR "
            f"({output_dir}); it wrote: {listing}",
            hint="save the model with skops.io.dump(model, Path(os.environ['MLOPS_OUTPUT_DIR'])"
            f" / {spec.model_file!r}), or set train.model_file",
        )


def _fit_estimator(
    model: ModelSpec, workspace: Path, model_path: Path, out: TextIO
) -> tuple[tuple[str, ParamValue], ...]:

    spec = model.train
    assert spec.estimator is not None  # noqa: S101 -- the caller checked
    train = read_split(model.data, workspace / model.data.train,
                       display=str(model.data.train))
    out.write(f"fitting {spec.estimator.class_path} on {len(train.target):,} rows of "
              f"{model.data.train}\n")
    fitted = fit_pipeline(spec.estimator, model.data, train.features, train.target,
                          seed=spec.seed, task=model.evaluate.task,
                          config_path=f"models.{model.name}.train.estimator")
    out.write(f"features: {len(fitted.numeric)} numeric, {len(fitted.categorical)} "
              "categorical\n")
    out.flush()
    save_model(fitted.model, model_path)
    return tuple((name, _param(value)) for name, value in fitted.params)


def _check_model_file(model: ModelSpec, model_path: Path) -> tuple[str, ...]:
    found = untrusted_types(model_path)
    check_trusted(model_path, found, model.evaluate.trusted_types,
                  option=f"models.{model.name}.evaluate.trusted_types")
    return found


def _hash_data(model: ModelSpec, workspace: Path) -> tuple[DataFile, ...]:
    data = model.data
    roles: list[tuple[Literal["train", "test", "reference"], Path]] = [
        ("train", data.train), ("test", data.test)]
    if data.reference is not None:
        roles.append(("reference", data.reference))
    files = []
    for role, relative in roles:
        path = workspace / relative
        if not path.is_file():
            raise UserError(f"models.{model.name}.data.{role}: no such file {relative}")
        files.append(DataFile(role, str(relative), sha256_file(path)))
    return tuple(files)


def _read_params(path: Path) -> tuple[tuple[str, ParamValue], ...]:
    """The values of a ``params.json`` the command wrote, nested keys flattened with dots."""
    if not path.is_file():
        return ()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return ()  # params.json is informative only; an unreadable one is left out
    if not isinstance(data, dict):
        return ()
    flat = flatten({str(key): value for key, value in data.items()})
    return tuple(sorted((key, _param(value)) for key, value in flat.items()))


def _param(value: object) -> ParamValue:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)


class TrainStage:
    """The ``train`` stage: ``train_model`` into the run's folder for the model.

    The model file lands at ``context.model_dir(model) / train.model_file`` (where the
    register stage looks for it), with ``metadata.json`` beside it; ``detail`` is the
    ``TrainResult``. A failed training raises ``UserError`` (exit 2), it is not a verdict.
    """

    name = StageName.TRAIN

    def run(self, context: StageContext, model: ModelSpec) -> StageResult:
        result = train_model(model, workspace=context.workspace,
                             output_dir=context.model_dir(model), environ=context.environ,
                             out=context.out, git_sha=context.event.sha,
                             venv=context.venvs.get(model.name))
        how = {"command": "by its command", "container": f"in {result.image}",
               "estimator": f"as {result.estimator}"}[result.method]
        summary = (f"trained {how} in {result.duration_seconds:.1f}s, "
                   f"sha256 {result.sha256[:12]}")
        return StageResult(self.name, model.name, Status.PASSED, summary,
                           seconds=result.duration_seconds, detail=result,
                           outputs=(("model_sha256", result.sha256),))
