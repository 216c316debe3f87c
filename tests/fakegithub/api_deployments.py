"""Deployments, deployment statuses, ``repository_dispatch`` and ``workflow_dispatch``.

Creating a deployment answers 201 unless the repository is told otherwise: with
``repo.auto_merge_answer = 202`` (or 409) a request whose ``auto_merge`` is not false gets
GitHub's "Auto-merged ..." 202 (or the 409 merge conflict) and no deployment is created, which
is what GitHub does when the default branch is ahead of the ref. ``required_contexts`` is
recorded but never blocks (the fake has no commit statuses).

``auto_inactive`` (default true) follows GitHub's documentation: a new ``success`` status marks
every earlier non-transient, non-production deployment to the same environment whose latest
status is ``success`` as ``inactive``.
"""

from __future__ import annotations

from typing import Any

from . import paging, shapes
from .routing import Answer, Call, Reply, Router, field_error, invalid, not_found
from .state import Deployment, DeploymentStatus, Dispatch, RepoState, now_iso

DEPLOYMENTS = "/api/v3/repos/{owner}/{repo}/deployments"
STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


def register(router: Router) -> None:
    router.add("GET", DEPLOYMENTS, list_deployments)
    router.add("POST", DEPLOYMENTS, create_deployment)
    router.add("GET", DEPLOYMENTS + "/{deployment_id}", get_deployment)
    router.add("GET", DEPLOYMENTS + "/{deployment_id}/statuses", list_statuses)
    router.add("POST", DEPLOYMENTS + "/{deployment_id}/statuses", create_status)
    router.add("GET", DEPLOYMENTS + "/{deployment_id}/statuses/{status_id}", get_status)
    router.add("POST", "/api/v3/repos/{owner}/{repo}/dispatches", repository_dispatch)
    router.add("POST", "/api/v3/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
               workflow_dispatch)


def _deployment(call: Call, repo: RepoState) -> Deployment:
    deployment = repo.deployment_map.get(call.int_param("deployment_id"))
    if deployment is None:
        raise not_found()
    return deployment


def _typed(body: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = body.get(key, default)
    if value is not None and not isinstance(value, kind):
        raise invalid(f"Invalid request.\n\nFor '{key}', {value!r} is not a {kind.__name__}.")
    return value


def create_deployment(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    ref = _typed(body, "ref", str, None)
    if not ref:
        raise field_error("Deployment", "ref", "missing_field")
    sha = repo.resolve(ref)
    if sha is None:
        raise invalid(f"No ref found for: {ref}")
    auto_merge = _typed(body, "auto_merge", bool, True)
    if auto_merge and repo.auto_merge_answer == 202:
        return Reply(202, {"message": f"Auto-merged {repo.default_branch} into {ref} on "
                                      "deployment."})
    if auto_merge and repo.auto_merge_answer == 409:
        raise Answer(Reply(409, shapes.error(
            f"Conflict merging {repo.default_branch} into {ref}.")))
    contexts = _typed(body, "required_contexts", list, None)
    environment = _typed(body, "environment", str, "production") or "production"
    payload = body.get("payload", {})
    if not isinstance(payload, dict | str):
        raise field_error("Deployment", "payload", "invalid")
    deployment = Deployment(
        id=call.store.ids.next(), ref=ref, sha=sha,
        task=_typed(body, "task", str, "deploy") or "deploy", environment=environment,
        payload=payload, description=_typed(body, "description", str, ""),
        creator=call.token.user,
        transient_environment=_typed(body, "transient_environment", bool, False),
        production_environment=_typed(body, "production_environment", bool,
                                      environment == "production"),
        auto_merge=auto_merge, required_contexts=contexts, created_at=now_iso(),
    )
    repo.deployment_map[deployment.id] = deployment
    return Reply(201, shapes.deployment(call.urls, repo, deployment))


def list_deployments(call: Call) -> Reply:
    repo = call.repo
    filters = {key: call.query[key] for key in ("sha", "ref", "task", "environment")
               if key in call.query}
    deployments = [
        d for d in sorted(repo.deployment_map.values(), key=lambda d: -d.id)
        if all(getattr(d, key) == value for key, value in filters.items())
    ]
    return paging.page(call, [shapes.deployment(call.urls, repo, d) for d in deployments])


def get_deployment(call: Call) -> Reply:
    repo = call.repo
    return Reply(200, shapes.deployment(call.urls, repo, _deployment(call, repo)))


def _mark_earlier_inactive(call: Call, repo: RepoState, current: Deployment) -> None:
    for other in repo.deployment_map.values():
        if (other.id == current.id or other.environment != current.environment
                or other.transient_environment or other.production_environment
                or not other.statuses or other.statuses[-1].state != "success"):
            continue
        other.statuses.append(DeploymentStatus(
            id=call.store.ids.next(), deployment_id=other.id, state="inactive",
            description="", environment=other.environment, environment_url="", log_url="",
            creator=call.token.user, created_at=now_iso()))


def create_status(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    deployment = _deployment(call, repo)
    state = body.get("state")
    if state not in STATES:
        raise field_error("DeploymentStatus", "state", "invalid")
    environment = _typed(body, "environment", str, None)
    if environment:
        deployment.environment = environment
    log_url = _typed(body, "log_url", str, None) or _typed(body, "target_url", str, "") or ""
    status = DeploymentStatus(
        id=call.store.ids.next(), deployment_id=deployment.id, state=state,
        description=_typed(body, "description", str, "") or "",
        environment=deployment.environment,
        environment_url=_typed(body, "environment_url", str, "") or "", log_url=log_url,
        creator=call.token.user, created_at=now_iso(),
    )
    deployment.statuses.append(status)
    if state == "success" and _typed(body, "auto_inactive", bool, True):
        _mark_earlier_inactive(call, repo, deployment)
    return Reply(201, shapes.deployment_status(call.urls, repo, status))


def list_statuses(call: Call) -> Reply:
    repo = call.repo
    deployment = _deployment(call, repo)
    statuses = sorted(deployment.statuses, key=lambda s: -s.id)
    return paging.page(call, [shapes.deployment_status(call.urls, repo, s) for s in statuses])


def get_status(call: Call) -> Reply:
    repo = call.repo
    deployment = _deployment(call, repo)
    for status in deployment.statuses:
        if str(status.id) == call.params["status_id"]:
            return Reply(200, shapes.deployment_status(call.urls, repo, status))
    raise not_found()


def repository_dispatch(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or not 1 <= len(event_type) <= 100:
        raise field_error("RepositoryDispatch", "event_type", "missing_field")
    payload = body.get("client_payload", {})
    if not isinstance(payload, dict) or len(payload) > 10:
        raise invalid("client_payload is an object with at most 10 top-level properties")
    repo.dispatch_list.append(Dispatch("repository_dispatch", event_type=event_type,
                                       client_payload=payload))
    return Reply(204)


def workflow_dispatch(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    ref = body.get("ref")
    if not isinstance(ref, str) or not ref:
        raise field_error("WorkflowDispatch", "ref", "missing_field")
    if repo.resolve(ref) is None:
        raise invalid(f"No ref found for: {ref}")
    inputs = body.get("inputs", {})
    if not isinstance(inputs, dict) or len(inputs) > 10:
        raise invalid("inputs is an object with at most 10 properties")
    repo.dispatch_list.append(Dispatch("workflow_dispatch", workflow=call.params["workflow_id"],
                                       ref=ref, inputs=inputs))
    return Reply(204)
