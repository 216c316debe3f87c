"""The models a candidate is compared against: the one in production, the latest registered.

Both come from the registry (git tags) and their files from the versions' releases, checked
against the release's recorded sha256 before anything loads them. "Production" is the stage
named ``production`` when the config declares it, else the last declared stage. The base
branch's model is the latest registered version: versions are registered from the default
branch only. A version whose release or file is missing is reported, not fatal: the first
model of a repository has neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlops_ci.backends.git import Git
from mlops_ci.config.model import ModelSpec
from mlops_ci.registry.store import RegistryStore
from mlops_ci.registry.tags import Action, RegistryTag
from mlops_ci.stages.base import StageContext

PRODUCTION_DIR = "production"
BASE_DIR = "base"


@dataclass(frozen=True, slots=True)
class ReferenceModels:
    production_version: str | None
    base_version: str | None
    production_file: Path | None
    base_file: Path | None
    notes: tuple[str, ...]


def registry_name(model: ModelSpec) -> str:
    """GTO's artifact name: ``dir/path:name`` for a model in a subfolder."""
    return f"{model.path}:{model.name}" if model.path else model.name


def registry_remote(workspace: Path) -> str | None:

    return "origin" if Git(workspace).has_remote("origin") else None


def fetch_reference_models(
    context: StageContext, model: ModelSpec, folder: Path
) -> ReferenceModels:
    import shutil


    for role in (PRODUCTION_DIR, BASE_DIR):
        shutil.rmtree(folder / role, ignore_errors=True)  # never compare against a stale file
    if not Git(context.workspace).run(["rev-parse", "--git-dir"], check=False).ok:
        note = "not a git repository: no registry, so no production or base model"
        return ReferenceModels(None, None, None, None, (note,))
    store = RegistryStore(context.workspace, remote=registry_remote(context.workspace))
    state = store.state()
    name = registry_name(model)
    production_version = state.stage_version(name, context.config.production_stage)
    base_version = state.latest_version(name)
    notes: list[str] = []
    files: dict[str, Path | None] = {}
    for role, version in ((PRODUCTION_DIR, production_version), (BASE_DIR, base_version)):
        files[role] = None
        if version is None:
            continue
        tag = RegistryTag(name, Action.REGISTER, version=version).format()
        dest = folder / role / model.train.model_file
        dest.parent.mkdir(parents=True, exist_ok=True)
        fetched_production = files.get(PRODUCTION_DIR)
        if role == BASE_DIR and version == production_version and fetched_production is not None:
            shutil.copyfile(fetched_production, dest)  # the same file: fetch it once
            files[role] = dest
            continue
        result = context.forge.fetch_release_asset(tag, model.train.model_file, dest)
        if result.found and result.path is not None:
            files[role] = result.path
        else:
            notes.append(f"{role} model {version}: {result.outcome.value.replace('_', ' ')}")
    return ReferenceModels(
        production_version=production_version,
        base_version=base_version,
        production_file=files[PRODUCTION_DIR],
        base_file=files[BASE_DIR],
        notes=tuple(notes),
    )
