"""Deploy targets: where a model version goes when a stage is promoted.

A target gets a ``DeployRequest`` (which version, its model file, the environment, what the
server needs and the rows to smoke-test with) and either returns ``Deployed`` or raises
``DeployFailed``. ``DeployFailed.previous_serving`` tells the caller whether the version that
served before is still serving (the docker target never stops it before the new one passed its
checks); when it is not, the deploy stage rolls back by deploying the previous version again
(``rollback``). ``current_version`` says which version an environment serves now, as far as the
target can tell (``None``: nothing, or unknown), and ``current_promotion`` by which stage tag,
where the target records it, so a rerun can be a no-op. ``preflight`` checks
the target's prerequisites before a promotion writes its stage tag, so a deploy that cannot work
leaves the registry as it was.

``deploy.targets.target_for(backend)`` is the name -> implementation table (``docker``,
``command``, ``kubernetes``), as mlops.yaml's ``deploy.environments.*.backend`` names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from mlops_ci.config.model import Backend, Environment
from mlops_ci.deploy.probe import JsonRow
from mlops_ci.errors import CheckFailed
from mlops_ci.serving.columns import InputColumn


@dataclass(frozen=True, slots=True)
class DeployRequest:
    """One version of one model to deploy to one environment."""

    model: str  # the model's name in mlops.yaml (and in the server's URLs)
    version: str  # e.g. v1.4.0
    stage: str  # the stage whose promotion this is
    model_file: Path  # the verified model file of the version
    environment: Environment
    columns: tuple[InputColumn, ...]  # the server's input schema
    trusted_types: tuple[str, ...]
    smoke_rows: tuple[JsonRow, ...]
    workspace: Path
    scratch: Path  # a directory the target may write into
    environ: Mapping[str, str]
    out: TextIO
    id_column: str | None = None  # the rows' ids, for the prediction log
    release_tag: str | None = None  # the registration tag whose release holds the model file
    promotion: str | None = None  # the stage tag (NAME#STAGE#N) whose assignment this deploys
    # train.requirements as it was at the version's commit: the server needs its packages
    requirements: bytes | None = None


@dataclass(frozen=True, slots=True)
class Deployed:
    version: str
    url: str | None  # the environment's URL, for the GitHub deployment status
    detail: str  # one line for the stage summary


class DeployFailed(CheckFailed):
    """The new version failed to start, its readiness or its smoke test (exit 1).

    ``previous_serving``: the version that served before still serves (nothing to roll back).
    """

    def __init__(self, message: str, *, previous_serving: bool) -> None:
        super().__init__(message)
        self.previous_serving = previous_serving


class DeployTarget(Protocol):
    name: Backend

    def deploy(self, request: DeployRequest) -> Deployed:
        """Put ``request.version`` into service; ``DeployFailed`` if it does not pass its checks."""
        ...

    def rollback(self, request: DeployRequest) -> Deployed:
        """Put the earlier version ``request.version`` back into service."""
        ...

    def preflight(self, request: DeployRequest) -> None:
        """Check, without side effects on the environment, what ``deploy`` needs before a
        promotion writes its stage tag (the backend's program, image or folder);
        ``UserError`` (exit 2) or ``ExternalError`` (exit 3) naming the cause."""
        ...

    def current_version(
        self, environment: Environment, workspace: Path, environ: Mapping[str, str]
    ) -> str | None:
        """The version ``environment`` serves now, ``None`` when none or unknown."""
        ...

    def current_promotion(
        self, environment: Environment, workspace: Path, environ: Mapping[str, str]
    ) -> str | None:
        """The stage tag whose deploy ``environment`` holds, when the target records one
        (``None``: not recorded). The version serving now under another stage tag is no rerun:
        that deploy completes its canary (see ``deploy.inferenceservice``)."""
        ...


def environment_url(environment: Environment, environ: Mapping[str, str]) -> str | None:
    """The URL users reach the environment at: ``url`` if set, else the local port."""
    if environment.url:
        return environment.url
    if environment.port is not None:
        host = environ.get("MLOPS_DEPLOY_HOST", "127.0.0.1")
        return f"http://{host}:{environment.port}"
    return None
