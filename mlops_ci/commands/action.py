"""``mlops-ci action``: the Docker action's entry point, mapping the action's inputs to a command.

GitHub passes every input of ``action.yml`` as ``INPUT_<NAME>`` (names upper-cased, so the
inputs use underscores). This reads them, hides the token from the log (``::add-mask::``),
moves into ``working_directory`` (which must stay inside ``GITHUB_WORKSPACE``), and runs one
command with a typed request, exactly as the CLI would:

- ``run`` (default): the stages the triggering event plans (``mlops-ci run``);
- ``validate``, ``plan``, ``monitor``: as their CLI commands;
- ``promote``: write the stage tag for ``model``/``version``/``stage`` (``registry promote``).
  Deploying it is the promotion tag's run, or, since a tag pushed with the workflow token
  starts no workflow, ``run`` on a ``workflow_dispatch`` with those inputs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from mlops_ci.actions import add_mask
from mlops_ci.errors import UserError

COMMANDS = ("run", "validate", "plan", "monitor", "promote")
TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off", ""})


def action(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    token = _input(env, "github_token")
    if token:
        add_mask(token)
    command = _input(env, "command") or "run"
    if command not in COMMANDS:
        raise UserError(
            f"action input command: {command!r} is not one of {', '.join(COMMANDS)}",
            hint="set `with: command:` in the workflow to one of those",
        )
    _enter_working_directory(env)
    config = Path(_input(env, "config") or "mlops.yaml")
    model = _input(env, "model") or None
    dry_run = _flag(env, "dry_run")
    if command == "run":
        from mlops_ci.commands.run import RunRequest, run

        return run(RunRequest(config=config, dry_run=dry_run, models=(model,) if model else ()))
    if command == "validate":
        from mlops_ci.commands.validate import ValidateRequest, validate

        return validate(ValidateRequest(config=config))
    if command == "plan":
        from mlops_ci.commands.plan import PlanRequest, plan

        return plan(PlanRequest(config=config))
    if command == "monitor":
        from mlops_ci.commands.monitor import MonitorRequest, monitor

        return monitor(MonitorRequest(config=config, model=model, dry_run=dry_run))
    return _promote(env, model)


def _promote(env: Mapping[str, str], model: str | None) -> int:
    from mlops_ci.commands.registry import PromoteRequest, promote

    version, stage = _input(env, "version"), _input(env, "stage")
    if not (model and version and stage):
        raise UserError(
            "command promote needs the inputs model, version and stage",
            hint="e.g. with: {command: promote, model: churn, version: v1.4.0, stage: production}",
        )
    return promote(PromoteRequest(repo=Path.cwd(), model=model, version=version, stage=stage))


def _input(env: Mapping[str, str], name: str) -> str:
    return env.get(f"INPUT_{name.upper()}", "").strip()


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = _input(env, name).lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise UserError(f"action input {name}: {value!r} is not true or false")


def _enter_working_directory(env: Mapping[str, str]) -> None:
    relative = _input(env, "working_directory") or "."
    workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    target = (workspace / relative).resolve()
    if not target.is_relative_to(workspace):
        raise UserError(
            f"action input working_directory: {relative!r} leaves the workspace {workspace}"
        )
    if not target.is_dir():
        raise UserError(f"action input working_directory: {relative!r} is not a folder")
    os.chdir(target)
    sys.stdout.flush()
