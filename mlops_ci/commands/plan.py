"""``mlops-ci plan``: what a run would do for this event, and why. Runs nothing.

The event comes from ``--event-name``/``--event-path`` or the runner's ``GITHUB_EVENT_NAME``/
``GITHUB_EVENT_PATH``; without either it is a local run. ``--json`` prints ``Plan.to_json()``
(see :mod:`mlops_ci.plan`); the text form is for people. Text from the event (branches,
tags, repositories, actions) goes through ``report.terminal.shown``: control characters are
shown as ``\\x1b``-style escapes and a workflow command (``::x::``, ``##[x]``) is defused,
so a name can neither rewrite the terminal nor command the Actions runner.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mlops_ci.config.loader import default_config_path, load_config
from mlops_ci.config.model import Config, StageName
from mlops_ci.errors import EXIT_OK, MlopsError
from mlops_ci.events import Event
from mlops_ci.plan import Plan, PlanStep
from mlops_ci.planner import build_plan
from mlops_ci.registry.store import RegistryStore
from mlops_ci.report.terminal import defuse_workflow_commands, shown
from mlops_ci.stages.references import registry_name
from mlops_ci.webhooks import read_event


@dataclass(frozen=True, slots=True)
class PlanRequest:
    config: Path | None = None
    event_name: str | None = None
    event_path: Path | None = None
    json: bool = False


def plan(
    request: PlanRequest,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the plan for the event under the config; exit 0 (an empty plan is not an error)."""
    env = os.environ if environ is None else environ
    stream = sys.stdout if out is None else out
    config_path = request.config if request.config is not None else default_config_path(dict(env))
    config = load_config(config_path)
    event = read_event(env, event_name=request.event_name, event_path=request.event_path)
    result = build_plan(config, event)
    if request.json:
        json.dump(result.to_json(), stream, indent=2)
        stream.write("\n")
    else:
        stream.write(render_plan(result))
        for note in superseded_notes(config, result):
            stream.write(f"note: {shown(note)}\n")
    return EXIT_OK


def superseded_notes(config: Config, plan: Plan) -> list[str]:
    """For each deploy of a promotion tag that a later promotion superseded, what the run
    deploys instead (the version the stage holds now), read from the local tags only."""
    notes: list[str] = []
    steps = [s for s in plan.steps if s.stage is StageName.DEPLOY and s.tag and s.registry_stage]
    if not steps:
        return notes
    try:
        state = RegistryStore(config.root, remote=None).state()
    except MlopsError:
        return notes  # no registry to read here: the plan stands as printed
    for step in steps:
        name, stage = registry_name(config.model(step.model)), step.registry_stage or ""
        model_state, holds = state.model(name), state.stage_version(name, stage)
        if model_state is None or holds is None:
            continue
        record = next((r for r in model_state.records if r.name == step.tag), None)
        asked = model_state.version_of_commit.get(record.commit) if record else None
        latest = state.latest_assignment(name, holds, stage)
        if asked is not None and asked != holds and latest is not None:
            notes.append(f"{step.tag} is superseded by {latest.name}: the deploy will deploy "
                         f"{holds}, what {stage} holds now, not {asked}")
    return notes


def render_plan(plan: Plan) -> str:
    """The plan as plain text lines for a terminal or a job log (not markdown)."""
    lines = [f"event: {_describe_event(plan.event)}"]
    if plan.trigger is not None:
        lines.append(f"trigger: triggers.{plan.trigger.value}")
    if plan.is_empty:
        lines.append("steps: none")
    else:
        lines.append(f"steps: {len(plan.steps)}")
        width = max(len(step.stage.value) for step in plan.steps)
        lines += [
            f"  {index:>2}. {_describe_step(step, width)}"
            for index, step in enumerate(plan.steps, 1)
        ]
    lines.append("why:")
    lines += [f"  - {shown(reason)}" for reason in plan.reasons]
    return defuse_workflow_commands("\n".join(lines) + "\n")


def _describe_event(event: Event) -> str:
    parts = [shown(event.describe())]
    if event.sha:
        parts.append(f"at {event.sha[:12]}")
    if event.pr is not None:
        parts.append(f"({shown(event.pr.head_ref)} -> {shown(event.pr.base_ref)})")
    if event.repository:
        parts.append(f"in {shown(event.repository)}")
    if event.untrusted:
        parts.append("[from a fork: untrusted]")
    return " ".join(parts)


def _describe_step(step: PlanStep, width: int) -> str:
    text = f"{step.stage.value:<{width}}  {shown(step.model)}"
    if step.version:
        text += f" {shown(step.version)}"
    if step.registry_stage:
        text += f" -> {shown(step.registry_stage)}"
    if step.tag:
        text += f" (tag {shown(step.tag)})"
    return text
