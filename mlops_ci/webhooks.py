"""The runner's event read into one typed ``Event``. Pure: (name, payload, environ) in, value out.

The runner names the event in ``GITHUB_EVENT_NAME`` and writes its webhook payload to the file
in ``GITHUB_EVENT_PATH``; ``GITHUB_SHA``, ``GITHUB_REF``, ``GITHUB_REPOSITORY``,
``GITHUB_RUN_ID`` and ``GITHUB_SERVER_URL`` complete it. Without ``GITHUB_EVENT_NAME`` the run
is ``local``. What the resulting fields mean is in :mod:`mlops_ci.events`. Facts a caller may
rely on:

- Only the events in ``SUPPORTED_EVENTS`` are read; any other name is a ``UserError`` whose
  hint lists them.
- Tag names are read with the registry's grammar (``registry.tags.parse_tag``).
- A payload of the wrong shape is a ``UserError`` naming the file and the field
  (``event.json: pull_request.head.sha: missing``), never a ``KeyError``.

:func:`parse_event` is the pure core; :func:`read_event` reads the payload file first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from mlops_ci.errors import UserError
from mlops_ci.events import (
    DEFAULT_SERVER_URL,
    DeploymentEventRef,
    Event,
    EventKind,
    PullRequestRef,
    ReleaseRef,
    WorkflowRunRef,
)
from mlops_ci.payload import (
    NestedTooDeeply,
    NotJson,
    NotUtf8,
    NumberTooLong,
    Payload,
    TooLarge,
    is_commit_sha,
    json_kind,
    parse_json,
    read_text,
)
from mlops_ci.registry.tags import parse_tag

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
_ZERO_SHA = re.compile(r"0+")

SUPPORTED_EVENTS: tuple[str, ...] = (
    "push",
    "pull_request",
    "create",
    "release",
    "schedule",
    "workflow_dispatch",
    "repository_dispatch",
    "deployment",
    "workflow_run",
)


def read_event(
    environ: Mapping[str, str],
    *,
    event_name: str | None = None,
    event_path: Path | None = None,
    local_sha: str | None = None,
) -> Event:
    """The event of this run: flags first, then ``GITHUB_EVENT_NAME``/``GITHUB_EVENT_PATH``.

    With no event name at all the run is ``local`` (``local_sha`` is its commit, if known).
    """
    name = event_name or environ.get("GITHUB_EVENT_NAME") or None
    if name is None:
        if event_path is not None:
            raise UserError(
                "--event-path needs --event-name (or GITHUB_EVENT_NAME)",
                hint="e.g. --event-name pull_request --event-path event.json",
            )
        return local_event(environ, sha=local_sha)
    if event_path is None:
        env_path = environ.get("GITHUB_EVENT_PATH")
        if not env_path:
            raise UserError(
                f"the {name!r} event has no payload: GITHUB_EVENT_PATH is not set",
                hint="pass --event-path FILE with the webhook payload",
            )
        event_path = Path(env_path)
    return parse_event(name, load_payload(event_path), environ, source=event_path.name)


def load_payload(path: Path) -> Mapping[str, object]:
    """The JSON object in ``path``, or a ``UserError`` saying why it is not one."""
    try:
        data = parse_json(read_text(path, limit=MAX_PAYLOAD_BYTES))
    except FileNotFoundError:
        raise UserError(f"event payload not found: {path}") from None
    except OSError as error:
        raise UserError(f"cannot read event payload {path}: {error.strerror}") from None
    except TooLarge as error:
        size = f"over {error.limit:,} bytes" if error.size is None else f"{error.size:,} bytes"
        raise UserError(f"{path.name}: {size}; an event payload over 25 MB is refused") from None
    except NotUtf8 as error:
        raise UserError(
            f"{path.name}: not UTF-8 (byte {error.offset}), so not a JSON event payload"
        ) from None
    except NotJson as error:
        raise UserError(f"{path.name}:{error.line}:{error.column}: not JSON: {error.reason}") \
            from None
    except NumberTooLong as error:
        raise UserError(
            f"{path.name}: a number in the payload is too long: {error.reason}"
        ) from None
    except NestedTooDeeply:
        raise UserError(f"{path.name}: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise UserError(f"{path.name}: an event payload is a JSON object, got {json_kind(data)}")
    return data


def local_event(environ: Mapping[str, str], *, sha: str | None = None) -> Event:
    """A run outside GitHub Actions: no payload, the commit if the caller knows it."""
    return Event(
        name="local",
        kind=EventKind.LOCAL,
        sha=sha,
        ref=environ.get("GITHUB_REF") or None,
        repository=environ.get("GITHUB_REPOSITORY") or None,
        server_url=environ.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL,
    )


def parse_event(
    name: str,
    payload: Mapping[str, object],
    environ: Mapping[str, str],
    *,
    source: str = "event payload",
) -> Event:
    """The typed event for GitHub event ``name`` with webhook ``payload``. Pure.

    Raises ``UserError`` for an event mlops-ci does not handle and for a payload whose fields
    are missing or of the wrong type, naming ``source`` and the field.
    """
    parser = _PARSERS.get(name)
    if parser is None:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise UserError(
            f"event {shown!r} is not one mlops-ci handles",
            hint=f"trigger the workflow on: {', '.join(SUPPORTED_EVENTS)}",
        )
    if not isinstance(payload, Mapping):
        raise UserError(f"{source}: an event payload is a JSON object, got {json_kind(payload)}")
    data = Payload(payload, source, name)
    common = Event(
        name=name,
        kind=EventKind.LOCAL,
        sha=_runner_sha(environ),
        ref=environ.get("GITHUB_REF") or None,
        actor=data.optional_text("sender", "login") or environ.get("GITHUB_ACTOR") or None,
        repository=environ.get("GITHUB_REPOSITORY")
        or data.optional_text("repository", "full_name"),
        default_branch=data.optional_text("repository", "default_branch"),
        run_id=_runner_run_id(environ),
        server_url=environ.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL,
    )
    return parser(data, common)


def _runner_run_id(environ: Mapping[str, str]) -> str | None:
    run_id = environ.get("GITHUB_RUN_ID") or None
    if run_id is not None and not (run_id.isascii() and run_id.isdigit()):
        raise UserError(
            f"GITHUB_RUN_ID: not a workflow run id: {run_id[:80]!r}",
            hint="the runner sets it to a number; leave it unset for a local run",
        )
    return run_id


def _runner_sha(environ: Mapping[str, str]) -> str | None:
    sha = _sha_or_none(environ.get("GITHUB_SHA"))
    if sha is not None and not is_commit_sha(sha):
        raise UserError(f"GITHUB_SHA: not a commit sha: {sha[:80]!r}")
    return sha


def _sha_or_none(text: str | None) -> str | None:
    if not text or _ZERO_SHA.fullmatch(text):
        return None
    return text


def _with_ref(event: Event, ref: str) -> Event:
    """``event`` with ``ref`` set, and ``branch`` or ``tag`` (and its registry reading)."""
    if ref.startswith("refs/heads/"):
        return replace(event, ref=ref, branch=ref.removeprefix("refs/heads/"))
    if ref.startswith("refs/tags/"):
        tag = ref.removeprefix("refs/tags/")
        return replace(event, ref=ref, tag=tag, registry_tag=parse_tag(tag))
    return replace(event, ref=ref)


def _push(data: Payload, event: Event) -> Event:
    ref = data.text("ref")
    if not ref.startswith(("refs/heads/", "refs/tags/")):
        raise data.error(("ref",), f"{ref[:80]!r} is neither a branch nor a tag ref")
    deleted = data.flag("deleted", default=False)
    after = _sha_or_none(data.optional_sha("after"))
    sha = None if deleted else (event.sha or after)
    kind = EventKind.PUSH_TAG if ref.startswith("refs/tags/") else EventKind.PUSH_BRANCH
    return _with_ref(replace(event, kind=kind, sha=sha, ref_deleted=deleted), ref)


def _pull_request(data: Payload, event: Event) -> Event:
    action = data.text("action")
    head_repo = data.optional_mapping("pull_request", "head", "repo")
    base_repo_name = data.text("pull_request", "base", "repo", "full_name")
    head_repo_name = (
        None if head_repo is None else data.text("pull_request", "head", "repo", "full_name")
    )
    number_field = ("number",) if data.has("number") else ("pull_request", "number")
    pr = PullRequestRef(
        number=data.integer(*number_field),
        head_sha=data.sha("pull_request", "head", "sha"),
        head_ref=data.text("pull_request", "head", "ref"),
        base_ref=data.text("pull_request", "base", "ref"),
        base_sha=data.sha("pull_request", "base", "sha"),
        title=data.optional_text("pull_request", "title") or "",
        is_fork=head_repo_name is None or head_repo_name != base_repo_name,
        merged=data.flag("pull_request", "merged", default=False),
    )
    ref = event.ref or f"refs/pull/{pr.number}/merge"
    return replace(
        event,
        kind=EventKind.PULL_REQUEST,
        action=action,
        sha=pr.head_sha,
        merge_sha=event.sha,
        ref=ref,
        branch=pr.head_ref,
        pr=pr,
    )


def _create(data: Payload, event: Event) -> Event:
    name = data.text("ref")
    ref_type = data.text("ref_type")
    if ref_type == "tag":
        return _with_ref(replace(event, kind=EventKind.CREATE_TAG), f"refs/tags/{name}")
    if ref_type == "branch":
        return _with_ref(replace(event, kind=EventKind.CREATE_BRANCH), f"refs/heads/{name}")
    raise data.error(("ref_type",), f"expected 'tag' or 'branch', got {ref_type[:40]!r}")


def _release(data: Payload, event: Event) -> Event:
    release = ReleaseRef(
        tag_name=data.text("release", "tag_name"),
        prerelease=data.flag("release", "prerelease", default=False),
        draft=data.flag("release", "draft", default=False),
    )
    typed = replace(event, kind=EventKind.RELEASE, action=data.text("action"), release=release)
    return _with_ref(typed, f"refs/tags/{release.tag_name}")


def _schedule(data: Payload, event: Event) -> Event:
    typed = replace(event, kind=EventKind.SCHEDULE, schedule=data.optional_text("schedule"))
    return _with_ref(typed, event.ref) if event.ref else typed


def _workflow_dispatch(data: Payload, event: Event) -> Event:
    ref = data.optional_text("ref") or event.ref
    typed = replace(event, kind=EventKind.WORKFLOW_DISPATCH, inputs=data.string_pairs("inputs"))
    return _with_ref(typed, ref) if ref else typed


def _repository_dispatch(data: Payload, event: Event) -> Event:
    field = "action" if data.has("action") else "event_type"
    typed = replace(
        event,
        kind=EventKind.REPOSITORY_DISPATCH,
        action=data.text(field),
        inputs=data.string_pairs("client_payload"),
    )
    branch = data.optional_text("branch")
    ref = event.ref or (f"refs/heads/{branch}" if branch else None)
    return _with_ref(typed, ref) if ref else typed


def _deployment(data: Payload, event: Event) -> Event:
    deployment = DeploymentEventRef(
        id=data.integer("deployment", "id"),
        environment=data.text("deployment", "environment"),
        ref=data.text("deployment", "ref"),
        task=data.optional_text("deployment", "task") or "deploy",
    )
    return replace(
        event,
        kind=EventKind.DEPLOYMENT,
        action=data.optional_text("action"),
        sha=data.sha("deployment", "sha"),
        deployment=deployment,
    )


def _workflow_run(data: Payload, event: Event) -> Event:
    field = ("workflow_run",)
    base = data.optional_text("repository", "full_name") or event.repository
    head_repository = data.optional_text(*field, "head_repository", "full_name")
    run = WorkflowRunRef(
        id=data.integer(*field, "id"),
        name=data.optional_text(*field, "name") or "",
        event=data.text(*field, "event"),
        status=data.optional_text(*field, "status"),
        conclusion=data.optional_text(*field, "conclusion"),
        head_sha=data.sha(*field, "head_sha"),
        head_branch=data.optional_text(*field, "head_branch"),
        head_repository=head_repository,
        pull_numbers=data.integers(*field, "pull_requests", key="number"),
        is_fork=head_repository is None or base is None or head_repository != base,
    )
    return replace(
        event,
        kind=EventKind.WORKFLOW_RUN,
        action=data.text("action"),
        sha=run.head_sha,
        ref=f"refs/heads/{run.head_branch}" if run.head_branch else None,
        branch=run.head_branch,
        workflow_run=run,
    )


_PARSERS = {
    "push": _push,
    "pull_request": _pull_request,
    "create": _create,
    "release": _release,
    "schedule": _schedule,
    "workflow_dispatch": _workflow_dispatch,
    "repository_dispatch": _repository_dispatch,
    "deployment": _deployment,
    "workflow_run": _workflow_run,
}
