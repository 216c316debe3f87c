"""Deploy targets by name, as ``deploy.environments.*.backend`` names them."""

from __future__ import annotations

from collections.abc import Callable

from mlops_ci.config.model import Backend
from mlops_ci.deploy.command import CommandTarget
from mlops_ci.deploy.docker import DockerTarget
from mlops_ci.deploy.kubernetes import KubernetesTarget
from mlops_ci.deploy.protocol import DeployTarget
from mlops_ci.errors import UserError

TARGETS: dict[Backend, Callable[[], DeployTarget]] = {
    "docker": DockerTarget,
    "command": CommandTarget,
    "kubernetes": KubernetesTarget,
}


def target_for(backend: Backend) -> DeployTarget:
    """A fresh target implementing ``backend``."""
    make = TARGETS.get(backend)
    if make is None:
        raise UserError(
            f"unknown deploy backend {backend!r}", hint="use docker, command or kubernetes"
        )
    return make()
