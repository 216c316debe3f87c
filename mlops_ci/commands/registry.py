"""``mlops-ci registry``: show, history, register, promote, deprecate. One function per command.

The writes check their model and stage against the repository's mlops.yaml (or the request's
``config``) when there is one: a tag for a name no run reads is refused unless ``force``. They
push to ``origin`` when the repository has it and otherwise keep the tag local, saying so.

Each takes a typed request and returns an exit code; tables go to ``out`` (tabulate), notes and
warnings to ``err``. Names read from git (tags, models, remotes) are printed through
``report.terminal.shown``: control characters visible as escapes, workflow commands
(``::x::``, ``##[x]``) defused. ``--json`` output is stable:

``registry show --json``::

    {"models": [{"name": "churn", "latest": "v1.4.0", "stages": {"production": "v1.3.0"},
                 "deprecated": false}],
     "warnings": [{"tag": "churn@v9.9.9", "message": "lightweight tag ignored: ..."}],
     "fetched_from": null}

``registry show MODEL --json``: ``{"model", "latest", "stages", "deprecated", "versions":
[{"version", "commit", "registered", "active", "stages", "registered_at", "tag"}], "warnings",
"fetched_from"}``; versions highest first, deregistered ones included with ``"active": false``.

``registry history MODEL --json``: ``{"model", "events": [{"timestamp" (unix seconds), "time"
(ISO 8601, UTC), "event" (registration, deregistration, assignment, unassignment, deprecation),
"version", "stage", "commit", "author", "author_email", "tag", "message", "evidence"}],
"warnings", "fetched_from"}``, oldest first; ``evidence`` is the object documented in
:mod:`mlops_ci.registry.evidence` or null. The human tables hide deprecated models unless asked.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from mlops_ci.backends.git import Git
from mlops_ci.config.declared import DeclaredNames
from mlops_ci.config.loader import DEFAULT_CONFIG, display_name
from mlops_ci.errors import EXIT_OK, MlopsError, UserError
from mlops_ci.registry.evidence import Evidence
from mlops_ci.registry.state import ModelState, RegistryState, TagEvent
from mlops_ci.registry.store import RegistryStore
from mlops_ci.registry.tags import Bump
from mlops_ci.report.terminal import shown

DEFAULT_REMOTE = "origin"


@dataclass(frozen=True, slots=True)
class ShowRequest:
    repo: Path
    model: str | None = None
    json: bool = False
    deprecated: bool = False  # include deprecated models in the table
    remote: str | None = "origin"


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    repo: Path
    model: str
    json: bool = False
    remote: str | None = "origin"


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


def show(request: ShowRequest, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    state = RegistryStore(request.repo, request.remote).state()
    _notes(state, err)
    if request.model is not None:
        model = _model(state, request.model)
        if request.json:
            _dump({**_model_json(model), "versions": _versions_json(model), **_meta(state)}, out)
        else:
            _print_versions(model, out)
        return EXIT_OK
    if request.json:
        _dump({"models": [_model_json(m) for m in state.models.values()], **_meta(state)}, out)
        return EXIT_OK
    _print_models(state, out, deprecated=request.deprecated)
    return EXIT_OK


def history(request: HistoryRequest, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    state = RegistryStore(request.repo, request.remote).state()
    _notes(state, err)
    events = _model(state, request.model).events()
    if request.json:
        payload = {"model": request.model, "events": [_event_json(e) for e in events]}
        _dump({**payload, **_meta(state)}, out)
        return EXIT_OK
    from tabulate import tabulate

    rows = [
        [_iso(e.time), e.action.value, e.version or "", e.stage or "", e.commit[:7],
         shown(e.tag)]
        for e in events
    ]
    headers = ["time", "event", "version", "stage", "commit", "tag"]
    print(tabulate(rows, headers=headers, tablefmt="simple"), file=out)
    return EXIT_OK


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


def _model(state: RegistryState, name: str) -> ModelState:
    model = state.model(name)
    if model is None:
        known = ", ".join(state.models) or "none"
        raise UserError(f"no model {name!r} in the registry", hint=f"models: {known}")
    return model


def _notes(state: RegistryState, err: TextIO) -> None:
    if state.fetched_from:
        print(f"note: fetched registry tags from {shown(state.fetched_from)} "
              "(the checkout was shallow or had no tags)", file=err)
    for warning in state.warnings:
        print(f"warning: {shown(warning.tag)}: {warning.message}", file=err)


def _meta(state: RegistryState) -> dict[str, object]:
    return {
        "warnings": [{"tag": w.tag, "message": w.message} for w in state.warnings],
        "fetched_from": state.fetched_from,
    }


def _model_json(model: ModelState) -> dict[str, object]:
    return {
        "name": model.name,
        "latest": model.latest,
        "stages": dict(model.stages),
        "deprecated": model.deprecated,
    }


def _versions_json(model: ModelState) -> list[dict[str, object]]:
    return [
        {
            "version": v.version,
            "commit": v.commit,
            "registered": v.registered,
            "active": v.active,
            "stages": list(v.stages),
            "registered_at": _iso(v.registered_at) if v.registered_at is not None else None,
            "tag": v.tag,
        }
        for v in model.versions
    ]


def _event_json(event: TagEvent) -> dict[str, object]:
    evidence = event.evidence
    return {
        "timestamp": event.time,
        "time": _iso(event.time),
        "event": event.action.value,
        "version": event.version,
        "stage": event.stage,
        "commit": event.commit,
        "author": event.author,
        "author_email": event.author_email,
        "tag": event.tag,
        "message": event.message,
        "evidence": evidence.to_json() if evidence is not None else None,
    }


def _print_models(state: RegistryState, out: TextIO, *, deprecated: bool) -> None:
    from tabulate import tabulate

    listed = [m for m in state.models.values() if deprecated or not m.deprecated]
    stages = sorted({stage for m in listed for stage in m.stages})
    rows = [
        [shown(m.name) + (" (deprecated)" if m.deprecated else ""), m.latest or "-"]
        + [m.stages.get(stage, "-") for stage in stages]
        for m in listed
    ]
    if not rows:
        print("no models in the registry", file=out)
        return
    print(tabulate(rows, headers=["model", "latest", *stages], tablefmt="simple"), file=out)


def _print_versions(model: ModelState, out: TextIO) -> None:
    from tabulate import tabulate

    rows = [
        [v.version if v.registered else f"({v.commit[:7]})", ", ".join(v.stages) or "-",
         v.commit[:7], "active" if v.active else "deregistered",
         _iso(v.registered_at) if v.registered_at is not None else "-"]
        for v in model.versions
    ]
    headers = ["version", "stages", "commit", "status", "registered"]
    print(tabulate(rows, headers=headers, tablefmt="simple"), file=out)


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _dump(payload: dict[str, object], out: TextIO) -> None:
    json.dump(payload, out, indent=2, sort_keys=False)
    out.write("\n")
