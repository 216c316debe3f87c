"""``mlops-ci registry show|history``: the reads. One function per command.

The writes (register, promote, deprecate) are in :mod:`mlops_ci.commands.registry_write`: they
read the config, which a read never needs, so ``registry show`` loads little and starts fast.

Each takes a typed request and returns an exit code; tables go to ``out``, notes and
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from mlops_ci.errors import EXIT_OK, UserError
from mlops_ci.registry.state import ModelState, RegistryState, TagEvent
from mlops_ci.registry.store import RegistryStore
from mlops_ci.report.tables import text_table
from mlops_ci.report.terminal import shown


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


def show(request: ShowRequest, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    state = RegistryStore(request.repo, request.remote, cache=True).state()
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
    state = RegistryStore(request.repo, request.remote, cache=True).state()
    _notes(state, err)
    events = _model(state, request.model).events()
    if request.json:
        payload = {"model": request.model, "events": [_event_json(e) for e in events]}
        _dump({**payload, **_meta(state)}, out)
        return EXIT_OK
    rows = [
        [_iso(e.time), e.action.value, e.version or "", e.stage or "", e.commit[:7],
         shown(e.tag)]
        for e in events
    ]
    headers = ["time", "event", "version", "stage", "commit", "tag"]
    print(text_table(headers, rows), file=out)
    return EXIT_OK


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
    print(text_table(["model", "latest", *stages], rows), file=out)


def _print_versions(model: ModelState, out: TextIO) -> None:
    rows = [
        [v.version if v.registered else f"({v.commit[:7]})", ", ".join(v.stages) or "-",
         v.commit[:7], "active" if v.active else "deregistered",
         _iso(v.registered_at) if v.registered_at is not None else "-"]
        for v in model.versions
    ]
    headers = ["version", "stages", "commit", "status", "registered"]
    print(text_table(headers, rows), file=out)


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _dump(payload: dict[str, object], out: TextIO) -> None:
    json.dump(payload, out, indent=2, sort_keys=False)
    out.write("\n")
