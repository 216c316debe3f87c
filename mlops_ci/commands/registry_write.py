"""``mlops-ci registry register|promote|deprecate``: the writes. One function per command.

They check their model and stage against the repository's mlops.yaml (or the request's
``config``) when there is one: a tag for a name no run reads is refused unless ``force``. They
push to ``origin`` when the repository has it and otherwise keep the tag local, saying so. The
reads (``show``, ``history``) are in :mod:`mlops_ci.commands.registry`, which does not load the
config's modules: a read starts faster.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mlops_ci.backends.git import Git
from mlops_ci.config.declared import DeclaredNames
from mlops_ci.config.loader import DEFAULT_CONFIG, display_name
from mlops_ci.errors import EXIT_OK, MlopsError, UserError
from mlops_ci.registry.evidence import Evidence
from mlops_ci.registry.store import RegistryStore
from mlops_ci.registry.tags import Bump
from mlops_ci.report.terminal import shown

DEFAULT_REMOTE = "origin"


# The writing requests: ``remote=None`` pushes to ``origin`` when the repository has it and
# otherwise writes local tags and says so; a remote named explicitly must exist. ``config`` is
# the mlops.yaml whose models and stages a write must name (None: the repository's mlops.yaml
# when it has one, else nothing is checked); ``force`` writes a name it does not declare.


@dataclass(frozen=True, slots=True)
class RegisterRequest:
    repo: Path
    model: str
    version: str | None = None
    bump: Bump | None = None
    ref: str = "HEAD"
    push: bool = True
    remote: str | None = None
    evidence: Evidence | None = None
    first_version: str = "v0.1.0"
    config: Path | None = None
    force: bool = False


@dataclass(frozen=True, slots=True)
class PromoteRequest:
    repo: Path
    model: str
    version: str
    stage: str
    push: bool = True
    remote: str | None = None
    evidence: Evidence | None = None
    config: Path | None = None
    force: bool = False
    next_step: bool = True  # say what deploys the tag (the action says its own)
    complete: bool = False  # a new assignment of the stage's version: completes its canary


@dataclass(frozen=True, slots=True)
class DeprecateRequest:
    """No version: the whole model; a version: deregister it; version and stage: unassign."""

    repo: Path
    model: str
    version: str | None = None
    stage: str | None = None
    push: bool = True
    remote: str | None = None
    config: Path | None = None
    force: bool = False


def register(
    request: RegisterRequest, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    model = _Names(request.repo, request.config, request.force, err).model(request.model)
    store = RegistryStore(request.repo, _remote(request.repo, request.push, request.remote))
    done = store.register(
        model,
        version=request.version,
        bump=request.bump,
        ref=request.ref,
        evidence=request.evidence,
        first_version=request.first_version,
    )
    verb = "registered" if done.created else "already registered"
    print(f"{verb} {done.model} {done.version} at {done.commit[:12]} (tag {done.tag})"
          + _where(done.remote, done.tag, request.push), file=out)
    return EXIT_OK


def promote(
    request: PromoteRequest,
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Write the stage tag; git runs with ``environ`` (default: this process's environment)."""
    out, err = out or sys.stdout, err or sys.stderr
    names = _Names(request.repo, request.config, request.force, err)
    model, stage = names.model(request.model), names.stage(request.stage)
    git = Git(request.repo, environ=environ)
    remote = _remote(request.repo, request.push, request.remote, git=git)
    store = RegistryStore(request.repo, remote, git=git)
    if request.complete:
        done = store.reassign(model, request.version, stage)
    else:
        done = store.promote(model, request.version, stage, evidence=request.evidence)
    verb = ("promoted again, completing its canary" if request.complete
            else "promoted" if done.created else "already in stage")
    print(f"{verb}: {done.model} {done.version} -> {done.stage} (tag {done.tag})"
          + _where(done.remote, done.tag, request.push), file=out)
    if request.next_step:
        print(_deploys_it(done.tag, done.remote), file=out)
    return EXIT_OK


def _deploys_it(tag: str, remote: str | None) -> str:
    """What deploys a stage tag, on GitHub and here."""
    locally = f"locally: mlops-ci run --event promotion --tag '{shown(tag)}'"
    if remote:
        return (f"pushed {shown(tag)}: the promotion workflow (on: push: tags) deploys it on "
                f"GitHub; {locally}")
    return (f"not pushed: push {shown(tag)} for the promotion workflow to deploy it on GitHub; "
            f"{locally}")


def deprecate(
    request: DeprecateRequest, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    if request.version is None and request.stage is not None:
        raise UserError("a stage needs a version: registry deprecate MODEL VERSION STAGE")
    names = _Names(request.repo, request.config, request.force, err)
    model = names.model(request.model)
    store = RegistryStore(request.repo, _remote(request.repo, request.push, request.remote))
    if request.version is None:
        done = store.deprecate(model)
    elif request.stage is None:
        done = store.deregister(model, request.version)
    else:
        done = store.unassign(model, request.version, names.stage(request.stage))
    print(f"{done.action.value}: wrote tag {done.tag}"
          + _where(done.remote, done.tag, request.push), file=out)
    return EXIT_OK


class _Names:
    """A write's model and stage checked against the config's names (``names`` None: none)."""

    def __init__(self, repo: Path, config: Path | None, force: bool, err: TextIO) -> None:
        self.force, self.err = force, err
        self.names = _declared_names(repo, config, force, err)

    def model(self, model: str) -> str:
        """The registry name of ``model`` (a config name becomes ``dir/path:name``)."""
        if self.names is None:
            return model
        found = self.names.registry_name(model)
        if found is not None:
            return found
        self._refuse(self.names.unknown_model(model))
        return model

    def stage(self, stage: str) -> str:
        if self.names is not None and stage not in self.names.stages:
            self._refuse(self.names.unknown_stage(stage))
        return stage

    def _refuse(self, error: UserError) -> None:
        if not self.force:
            raise error
        print(f"warning: {shown(error.message)}; writing it anyway (--force)", file=self.err)


def _declared_names(
    repo: Path, config: Path | None, force: bool, err: TextIO
) -> DeclaredNames | None:
    """The names ``config`` declares (default: the repository's mlops.yaml, if it has one)."""
    path = config if config is not None else repo / DEFAULT_CONFIG
    if config is None and not path.is_file():
        return None
    try:
        return DeclaredNames.read(path)
    except MlopsError:
        if not force:
            raise
        print(f"warning: {shown(display_name(path))} cannot be read or is not valid; the names "
              "were not checked against it (--force)", file=err)
        return None


def _remote(repo: Path, push: bool, remote: str | None, *, git: Git | None = None) -> str | None:
    """Where the tags go: ``remote``; by default ``origin`` if the repository has it, else none."""
    if not push:
        return None
    if remote is not None:
        return remote
    return DEFAULT_REMOTE if (git or Git(repo)).has_remote(DEFAULT_REMOTE) else None


def _where(remote: str | None, tag: str, push: bool) -> str:
    if remote:
        return f", pushed to {shown(remote)}"
    if not push:
        return ", local only (not pushed)"
    return (f", local only: the repository has no remote {DEFAULT_REMOTE!r} (push it later "
            f"with `git push {DEFAULT_REMOTE} {shown(tag)}`)")
