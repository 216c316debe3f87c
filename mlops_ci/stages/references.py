"""The models a candidate is compared against: the one in production, the latest registered.

Both come from the registry (git tags) and their files from the versions' releases, checked
against the release's recorded sha256 before anything loads them. "Production" is the stage
named ``production`` when the config declares it, else the last declared stage. The base
branch's model is the latest registered version: versions are registered from the default
branch only. No version at all (the first model of a repository) leaves nothing to compare
with. A version the registry names whose model cannot be had (no published release, no model
file in it, a file whose sha256 is not the one recorded, as after ``mlops-ci registry
register`` from a laptop, which writes the tag only) is an ``UnavailableReference``: the
gates comparing with it fail, naming the version and what is missing. Except the version
registered at the very commit under evaluation: that is the candidate itself, whose release
this run is to complete (a tag pushed by ``gto register``, a rerun after an outage), so its
comparisons are skipped with a note instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mlops_ci.backends.git import Git
from mlops_ci.config.model import ModelSpec
from mlops_ci.forge.checksums import ChecksumMismatch
from mlops_ci.forge.protocol import FetchResult, Outcome
from mlops_ci.gates import Reference, UnavailableReference
from mlops_ci.registry.store import RegistryStore
from mlops_ci.registry.tags import Action, RegistryTag
from mlops_ci.stages.base import StageContext

PRODUCTION_DIR: Final = "production"
BASE_DIR: Final = "base"
TAG_ONLY = (
    "a version registered without `mlops-ci run` (`mlops-ci registry register`, `gto "
    "register`) has its tag only: register it from a run on the default branch, or publish "
    "its release with the model file"
)


@dataclass(frozen=True, slots=True)
class ReferenceModels:
    production_version: str | None
    base_version: str | None
    production_file: Path | None
    base_file: Path | None
    notes: tuple[str, ...]
    unavailable: tuple[tuple[Reference, UnavailableReference], ...] = ()


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
    pr = context.event.pr
    commit = pr.head_sha if pr is not None else context.event.sha
    own = state.version_at_commit(name, commit) if commit else None
    notes: list[str] = []
    files: dict[str, Path | None] = {}
    unavailable: list[tuple[Reference, UnavailableReference]] = []
    roles: tuple[tuple[Reference, str | None], ...] = (
        (PRODUCTION_DIR, production_version), (BASE_DIR, base_version))
    for role, version in roles:
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
        try:
            result = context.forge.fetch_release_asset(tag, model.train.model_file, dest)
        except ChecksumMismatch as mismatch:
            lost = UnavailableReference(version, mismatch.message)
            why = mismatch.hint or ""
        else:
            if result.found and result.path is not None:
                files[role] = result.path
                continue
            lost = UnavailableReference(version, _missing(result))
            why = TAG_ONLY
        if own is not None and own.version == version:
            notes.append(f"{role} model {version} is this commit's own version, its release not "
                         f"complete yet ({lost.missing}): comparisons with it are skipped")
            continue
        unavailable.append((role, lost))
        notes.append(f"{role} model {version} cannot be fetched: {lost.missing}; the gates "
                     f"comparing with it fail. {why}".rstrip())
    return ReferenceModels(
        production_version=production_version,
        base_version=base_version,
        production_file=files[PRODUCTION_DIR],
        base_file=files[BASE_DIR],
        notes=tuple(notes),
        unavailable=tuple(unavailable),
    )


def _missing(result: FetchResult) -> str:
    """What a fetch that found nothing lacks."""
    if result.outcome is Outcome.MISSING_RELEASE:
        return f"no published release {result.tag}"
    return f"release {result.tag} has no asset {result.name}"
