"""Making a run's models' ``train.requirements`` importable, before anything is trained.

``prepare`` is what a command calls once it knows which models it will train, evaluate or
monitor:

- **Outside the action** (``cache_dir`` None) nothing is installed: every requirement must be
  met by the environment mlops-ci runs in, or ``InputProblems`` (exit 2) names each one with
  its file and line and the ``pip install -r`` that fixes it.
- **In the action** (``cache_dir``: a folder ``actions/cache`` keeps) each distinct file is
  checked against the action's own packages first (a conflicting pin: exit 2 naming both
  versions), then installed into a cached venv layered over them (``layer.layered_venv``).
  The result maps each model to its venv: its training command runs with that venv active
  (``LayeredVenv.command_environ``, a bare ``python`` being its interpreter), and mlops-ci's
  own process imports from it after its own packages (``layer.extend_sys_path``, which the
  caller applies). Venvs of other keys are pruned from the cache.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from mlops_ci import __version__
from mlops_ci.config.model import Config, ModelSpec
from mlops_ci.errors import InputProblems
from mlops_ci.requirements.check import conflicts, installed_versions, unmet
from mlops_ci.requirements.file import file_contents, read_requirements
from mlops_ci.requirements.layer import (
    BaseEnvironment,
    LayeredVenv,
    extend_sys_path,
    inspect_base,
    layered_venv,
    prune,
)


def requirement_files(config: Config, models: Iterable[ModelSpec]) -> dict[str, list[str]]:
    """Each requirements file (relative to the config's folder) -> the models that use it."""
    files: dict[str, list[str]] = {}
    for model in models:
        if model.train.requirements is not None:
            files.setdefault(model.train.requirements, []).append(model.name)
    return files


def check_local(config: Config, models: Iterable[ModelSpec], out: TextIO) -> None:
    """Outside the action: every requirement is met here, or ``InputProblems`` says which not."""
    files = requirement_files(config, models)
    if not files:
        return
    installed = installed_versions(by_module=True)
    problems = []
    for relative in files:
        problems.extend(unmet(read_requirements(config.root / relative, relative), installed))
    if problems:
        raise InputProblems(problems, what="requirements not met by this environment")
    out.write(f"requirements: {', '.join(files)} met by this environment\n")


def install_layered(
    config: Config,
    models: Iterable[ModelSpec],
    *,
    cache_dir: Path,
    environ: Mapping[str, str],
    out: TextIO,
    base_python: Path | None = None,
    mlops_ci_version: str | None = None,
) -> dict[str, LayeredVenv]:
    """In the action: each model's venv (by model name), installed or found in ``cache_dir``.

    ``base_python``: the action's interpreter (default: the one running mlops-ci)."""
    files = requirement_files(config, models)
    if not files:
        return {}
    base = inspect_base(base_python or Path(sys.executable), environ, out)
    version = mlops_ci_version or _own_version()
    problems = []
    parsed = {}
    for relative in files:
        parsed[relative] = read_requirements(config.root / relative, relative)
        problems.extend(conflicts(parsed[relative], base.versions()))
    if problems:
        raise InputProblems(problems, what="requirements conflict with the action's packages")
    venvs: dict[str, LayeredVenv] = {}
    for relative, names in files.items():
        path = config.root / relative
        venv = _install(path, relative, base, cache_dir, version, environ, out)
        venvs.update((name, venv) for name in names)
    prune(cache_dir, {venv.key for venv in venvs.values()})
    return venvs


def _install(
    path: Path, relative: str, base: BaseEnvironment, cache_dir: Path, version: str,
    environ: Mapping[str, str], out: TextIO,
) -> LayeredVenv:
    return layered_venv(path, relative, file_contents(path), base=base, cache_dir=cache_dir,
                        mlops_ci_version=version, environ=environ, out=out)


def _own_version() -> str:
    return __version__


def prepare(
    config: Config,
    models: Iterable[ModelSpec],
    *,
    cache_dir: Path | None,
    environ: Mapping[str, str],
    out: TextIO,
) -> dict[str, LayeredVenv]:
    """Outside the action (``cache_dir`` None): ``check_local``, no venvs. In the action:
    ``install_layered``, each venv's packages made importable in this process as well."""
    chosen = list(models)
    if cache_dir is None:
        check_local(config, chosen, out)
        return {}
    venvs = install_layered(config, chosen, cache_dir=cache_dir, environ=environ, out=out)
    for venv in {venv.root: venv for venv in venvs.values()}.values():
        extend_sys_path(venv)
    return venvs
