"""The ``command`` deploy target: the user's own deploy script, run as an argv (never a shell).

The command (``deploy.environments.NAME.command``) runs in the workspace with this process's
environment plus:

=========================  ==============================================================
``MLOPS_MODEL_FILE``       absolute path of the version's verified model file (skops)
``MLOPS_MODEL_NAME``       the model's name in mlops.yaml
``MLOPS_MODEL_VERSION``    the version being deployed, e.g. ``v1.4.0``
``MLOPS_ENVIRONMENT``      the environment's name
``MLOPS_STAGE``            the stage being deployed (``production``...)
``MLOPS_ACTION``           ``deploy``, or ``rollback`` when an earlier version is put back
``MLOPS_COLUMNS_FILE``     the model's input schema (see ``serving.columns``)
``MLOPS_TRUSTED_TYPES``    the model's extra trusted types, comma-separated
``MLOPS_ENVIRONMENT_URL``  the environment's ``url`` (empty when not set)
``MLOPS_REQUIREMENTS_FILE``  the version's ``train.requirements`` as it was at its commit,
                           for the server's environment (empty when it has none)
=========================  ==============================================================

It must exit 0 once the version is in service. When the environment has a ``url``, mlops-ci
then waits for its health path and smoke-tests ``/predict`` there. A command that fails, or a
server that fails those checks, is a ``DeployFailed``; the deploy stage then runs the command
again for the previous version (``MLOPS_ACTION=rollback``) when ``rollback`` is on.
mlops-ci cannot ask a command which version is live, so ``current_version`` is unknown (None).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from mlops_ci.backends.process import run_streamed
from mlops_ci.config.model import Backend, Environment
from mlops_ci.deploy.probe import smoke_test, wait_ready
from mlops_ci.deploy.protocol import Deployed, DeployFailed, DeployRequest, environment_url
from mlops_ci.errors import UserError
from mlops_ci.serving.columns import write_columns

COMMAND_TIMEOUT_SECONDS = 1800


def command_environ(request: DeployRequest, action: Literal["deploy", "rollback"],
                    columns_file: Path, requirements_file: Path | None = None) -> dict[str, str]:
    """The environment the user's command runs with (see the module's table)."""
    environment = request.environment
    return {
        **request.environ,
        "MLOPS_MODEL_FILE": str(request.model_file.resolve()),
        "MLOPS_MODEL_NAME": request.model,
        "MLOPS_MODEL_VERSION": request.version,
        "MLOPS_ENVIRONMENT": environment.name,
        "MLOPS_STAGE": request.stage,
        "MLOPS_ACTION": action,
        "MLOPS_COLUMNS_FILE": str(columns_file.resolve()),
        "MLOPS_TRUSTED_TYPES": ",".join(request.trusted_types),
        "MLOPS_ENVIRONMENT_URL": environment.url or "",
        "MLOPS_REQUIREMENTS_FILE": str(requirements_file.resolve()) if requirements_file else "",
    }


class CommandTarget:
    name: Backend = "command"

    def deploy(self, request: DeployRequest) -> Deployed:
        return self._run(request, "deploy")

    def rollback(self, request: DeployRequest) -> Deployed:
        return self._run(request, "rollback")

    def current_version(
        self, environment: Environment, workspace: Path, environ: Mapping[str, str]
    ) -> str | None:
        return None

    def current_promotion(
        self, environment: Environment, workspace: Path, environ: Mapping[str, str]
    ) -> str | None:
        return None

    def preflight(self, request: DeployRequest) -> None:
        """The command is set and its program exists: a name on ``PATH``, or a path (relative
        to the workspace, where the command runs) to an executable file."""
        environment = request.environment
        program = _command(environment)[0]
        if os.sep in program or (os.altsep is not None and os.altsep in program):
            path = request.workspace / program
            found = path.is_file() and os.access(path, os.X_OK)
        else:
            found = shutil.which(program, path=request.environ.get("PATH", "")) is not None
        if not found:
            raise UserError(
                f"the deploy command of {environment.name} cannot run: program {program!r} "
                "is not found (it is looked up on PATH, or relative to the workspace)",
                hint=f"fix deploy.environments.{environment.name}.command[0], or install it "
                "in an earlier step of the job",
            )

    def _run(self, request: DeployRequest, action: Literal["deploy", "rollback"]) -> Deployed:
        environment = request.environment
        command = _command(environment)
        columns_file = request.scratch / "columns.json"
        request.scratch.mkdir(parents=True, exist_ok=True)
        write_columns(request.columns, columns_file)
        requirements_file = None
        if request.requirements is not None:
            requirements_file = request.scratch / "requirements.txt"
            requirements_file.write_bytes(request.requirements)
        try:
            result = run_streamed(
                command,
                cwd=request.workspace,
                environ=command_environ(request, action, columns_file, requirements_file),
                out=request.out,
                timeout_seconds=COMMAND_TIMEOUT_SECONDS,
                what=f"the deploy command of {environment.name}",
            )
        except UserError as error:
            raise DeployFailed(error.message, previous_serving=False) from None
        url = environment_url(environment, request.environ)
        detail = f"{action} command finished in {result.duration_seconds:.1f}s"
        if environment.url:
            health = environment.health
            ready = wait_ready(environment.url, health.path,
                               timeout_seconds=health.timeout_seconds,
                               interval_seconds=health.interval_seconds)
            if not ready.ok:
                raise DeployFailed(f"{environment.name}: {ready.detail}", previous_serving=False)
            smoke = smoke_test(environment.url, request.smoke_rows)
            if not smoke.ok:
                raise DeployFailed(f"{environment.name}: {smoke.detail}", previous_serving=False)
            detail += f"; {ready.detail}; {smoke.detail}"
        return Deployed(request.version, url, detail)


def _command(environment: Environment) -> tuple[str, ...]:
    if not environment.command:
        raise UserError(
            f"environment {environment.name!r} uses the command backend but has no command",
            hint=f"set deploy.environments.{environment.name}.command to an argv list",
        )
    return tuple(environment.command)
