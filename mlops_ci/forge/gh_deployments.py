"""GitHub deployments of a model version, idempotent by environment + version.

The version is recorded in the deployment's payload (``mlops_ci_version``); a rerun lists the
environment's deployments (newest first) and finds it there instead of creating a second one.
Deployments are created with ``auto_merge: false`` (else GitHub merges the default branch into
the ref) and ``required_contexts: []`` (else it waits on commit statuses). A status is added
only when the latest one differs; the latest state is remembered per deployment in this
process, so a run adding several statuses asks GitHub once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from mlops_ci.errors import ExternalError
from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.protocol import (
    DeploymentRef,
    DeploymentState,
    JsonValue,
    Outcome,
    StatusResult,
)
from mlops_ci.forge.retry import ForgeReadOnly

VERSION_KEY = "mlops_ci_version"
STATES: tuple[DeploymentState, ...] = get_args(DeploymentState)
_MAX_PAGES = 10  # 1000 deployments of one environment; older ones are history


class Deployments:
    """Deployments and their statuses in one repository, with the latest states remembered."""

    def __init__(self, api: GitHubApi) -> None:
        self.api = api
        self._latest: dict[int, DeploymentState | None] = {}

    def find(self, environment: str, version: str) -> dict[str, Any] | None:
        path = f"{self.api.repo}/deployments"
        for number, page in enumerate(self.api.pages(path, {"environment": environment}), 1):
            for deployment in page:
                payload = deployment.get("payload")
                if isinstance(payload, dict) and payload.get(VERSION_KEY) == version:
                    return dict(deployment)
            if number >= _MAX_PAGES:
                break
        return None

    def existing(self, environment: str, version: str) -> DeploymentRef | None:
        """The deployment of ``version`` to ``environment`` with its latest state, if any."""
        found = self.find(environment, version)
        if found is None:
            return None
        deployment_id = int(found["id"])
        return DeploymentRef(
            Outcome.UNCHANGED,
            environment,
            version,
            str(found.get("ref") or ""),
            deployment_id,
            latest_state=self.latest_state(deployment_id),
        )

    def create(
        self,
        environment: str,
        ref: str,
        version: str,
        description: str,
        payload: Mapping[str, JsonValue],
    ) -> DeploymentRef:
        try:
            found = self.existing(environment, version)
            if found is not None:
                return found
            created = self.api.create(
                f"deployment of {version} to {environment}",
                f"{self.api.repo}/deployments",
                {
                    "ref": ref,
                    "environment": environment,
                    "description": description[:140],
                    "payload": {**payload, VERSION_KEY: version},
                    "auto_merge": False,
                    "required_contexts": [],
                },
                lambda: self.find(environment, version),
            )
        except ForgeReadOnly as error:
            return DeploymentRef(
                Outcome.READ_ONLY, environment, version, ref, warning=error.message
            )
        if "id" not in created:
            raise ExternalError(
                f"deployment of {version} to {environment}: GitHub did not create it"
                f" ({str(created.get('message', 'no message'))[:200]})"
            )
        deployment_id = int(created["id"])
        self._latest.setdefault(deployment_id, None)
        return DeploymentRef(Outcome.CREATED, environment, version, ref, deployment_id)

    def latest_state(self, deployment_id: int) -> DeploymentState | None:
        if deployment_id not in self._latest:
            path = f"{self.api.repo}/deployments/{deployment_id}/statuses"
            newest = self.api.get(path, {"per_page": 1})
            state = str(newest[0]["state"]) if newest else None
            self._latest[deployment_id] = state if state in STATES else None
        return self._latest[deployment_id]

    def set_status(
        self,
        deployment: DeploymentRef,
        state: DeploymentState,
        environment_url: str | None,
        description: str | None,
    ) -> StatusResult:
        deployment_id = deployment.deployment_id
        if deployment_id is None:
            return StatusResult(Outcome.READ_ONLY, state, deployment.warning)
        try:
            if self.latest_state(deployment_id) == state:
                return StatusResult(Outcome.UNCHANGED, state)
            body: dict[str, Any] = {"state": state}
            if environment_url is not None:
                body["environment_url"] = environment_url
            if description is not None:
                body["description"] = description[:140]
            path = f"{self.api.repo}/deployments/{deployment_id}/statuses"

            def read_back() -> Any:
                newest = self.api.get(path, {"per_page": 1})
                return newest[0] if newest and newest[0].get("state") == state else None

            self.api.create(f"deployment status {state}", path, body, read_back)
        except ForgeReadOnly as error:
            return StatusResult(Outcome.READ_ONLY, state, error.message)
        self._latest[deployment_id] = state
        return StatusResult(Outcome.CREATED, state)
