"""``mlops-ci run --event KIND``: the GitHub event of a lifecycle step, built from this repository.

A local run without an event runs what a pull request would, and nothing else. To try the rest
of the lifecycle here, ``--event`` builds the webhook payload GitHub would send, from the
repository as it is, and runs it as ``--event-name``/``--event-path`` would:

- ``pull-request``: the current branch opened as a pull request against the config's
  ``default_branch``;
- ``merge``: a push of the current commit to the default branch (registration, on a merge);
- ``promotion``: the push of the latest promotion tag ``NAME#STAGE#N`` in the repository (the
  one ``mlops-ci registry promote`` wrote), or of ``--tag TAG``: the deploy;
- ``schedule``: the monitoring schedule of the config (of ``--model``'s, when given);
- ``dispatch``: ``workflow_dispatch`` on the current branch with the ``--input key=value``
  pairs (e.g. ``model``, ``version``, ``stage``: promote and deploy in one run).

The payload is written to ``.mlops/events/KIND.json``, so the run can be repeated with
``--event-name``/``--event-path`` (or edited first). Without a token the forge is the local
outbox (``.mlops/outbox/``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TextIO

from mlops_ci.backends.git import Git
from mlops_ci.commands import demo_events as payloads
from mlops_ci.commands.run import RunRequest, run
from mlops_ci.config.loader import default_config_path, load_config
from mlops_ci.config.model import Config
from mlops_ci.errors import UserError
from mlops_ci.registry.tags import Action, parse_tag

EVENT_KINDS = ("pull-request", "merge", "promotion", "schedule", "dispatch")
SENDER = "local"


@dataclass(frozen=True, slots=True)
class LocalEventRequest:
    kind: str  # one of EVENT_KINDS
    run: RunRequest  # its event_name and event_path stay None: the event is built here
    tag: str | None = None  # promotion: this tag, not the latest
    inputs: tuple[str, ...] = ()  # dispatch: key=value


@dataclass(frozen=True, slots=True)
class BuiltEvent:
    name: str  # the GitHub event name
    payload: dict[str, object]
    sha: str  # GITHUB_SHA of that event's run
    ref: str  # GITHUB_REF
    says: str  # one line for the log: what was built


def run_event(
    request: LocalEventRequest,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Build the event, write its payload to ``.mlops/events/``, and run it."""
    import sys

    if request.run.event_name is not None or request.run.event_path is not None:
        raise UserError(
            "--event builds the event itself: it does not go with --event-name/--event-path",
            hint="pass either --event KIND or --event-name NAME --event-path FILE",
        )
    env = dict(os.environ if environ is None else environ)
    stream = out if out is not None else sys.stdout
    config = load_config(request.run.config or default_config_path(env), cwd=request.run.cwd)
    built = build_event(request, config)
    folder = config.root / ".mlops" / "events"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{request.kind}.json"
    path.write_text(json.dumps(built.payload, indent=2) + "\n", encoding="utf-8")
    print(f"event: {built.says} ({built.name}, payload in {path})", file=stream, flush=True)
    env.update({"GITHUB_SHA": built.sha, "GITHUB_REF": built.ref})
    env.pop("GITHUB_EVENT_NAME", None)
    env.pop("GITHUB_EVENT_PATH", None)
    return run(
        replace(request.run, event_name=built.name, event_path=path), environ=env, out=stream
    )


def build_event(request: LocalEventRequest, config: Config) -> BuiltEvent:
    git = Git(config.root)
    repo = payloads.repository(_repository_name(config), config.default_branch)
    kind = request.kind
    if request.tag is not None and kind != "promotion":
        raise UserError("--tag goes with --event promotion only")
    if request.inputs and kind != "dispatch":
        raise UserError("--input goes with --event dispatch only")
    if kind == "pull-request":
        return _pull_request(git, config, repo)
    if kind == "merge":
        head = git.resolve_commit("HEAD")
        ref = f"refs/heads/{config.default_branch}"
        payload = payloads.push_payload(ref, head, repo, SENDER)
        return BuiltEvent("push", payload, head, ref, f"push of {head[:12]} to {ref}")
    if kind == "promotion":
        tag = request.tag or _latest_promotion(git)
        commit = git.resolve_commit(f"refs/tags/{tag}")
        ref = f"refs/tags/{tag}"
        payload = payloads.push_payload(ref, commit, repo, SENDER)
        return BuiltEvent("push", payload, commit, ref, f"push of the promotion tag {tag}")
    if kind == "schedule":
        cron = _schedule(config, request.run.models)
        payload = payloads.schedule_payload(cron, repo)
        head = git.resolve_commit("HEAD")
        ref = f"refs/heads/{config.default_branch}"
        return BuiltEvent("schedule", payload, head, ref, f"the schedule {cron!r}")
    if kind == "dispatch":
        inputs = _inputs(request.inputs)
        branch = _branch(git) or config.default_branch
        ref = f"refs/heads/{branch}"
        payload = payloads.dispatch_payload(ref, inputs, repo, SENDER)
        shown = ", ".join(f"{key}={value}" for key, value in inputs.items()) or "no inputs"
        head = git.resolve_commit("HEAD")
        return BuiltEvent("workflow_dispatch", payload, head, ref, f"dispatch on {ref}: {shown}")
    raise UserError(f"--event {kind!r} is not one of {', '.join(EVENT_KINDS)}")


def _pull_request(git: Git, config: Config, repo: dict[str, str]) -> BuiltEvent:
    branch = _branch(git)
    base = config.default_branch
    if branch is None:
        raise UserError(
            "--event pull-request opens the current branch as a pull request, "
            "but HEAD is detached",
            hint="git switch -c my-change",
        )
    if branch == base:
        raise UserError(
            f"--event pull-request opens the current branch against {base}, "
            f"but the current branch is {base}",
            hint="commit the change on a branch: git switch -c my-change",
        )
    head = git.resolve_commit("HEAD")
    base_sha = _base_commit(git, base)
    title = git.output(["log", "-1", "--format=%s", "HEAD"])
    pr = payloads.PullRequest(1, title, branch, head, base, base_sha)
    payload = payloads.pull_request_payload(pr, repo, SENDER)
    # GitHub runs a pull request on its merge commit: no such commit here, so the head's.
    return BuiltEvent(
        "pull_request", payload, head, "refs/pull/1/merge", f"pull request #1 {branch} -> {base}"
    )


def _base_commit(git: Git, base: str) -> str:
    for ref in (f"refs/heads/{base}", f"refs/remotes/origin/{base}"):
        result = git.run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], check=False)
        if result.ok:
            return result.text.strip()
    raise UserError(
        f"--event pull-request: no branch {base!r} (the config's default_branch) here or on "
        "origin to open the pull request against",
        hint="set default_branch in mlops.yaml, or fetch that branch",
    )


def _branch(git: Git) -> str | None:
    result = git.run(["symbolic-ref", "--quiet", "--short", "HEAD"], check=False)
    return result.text.strip() if result.ok else None


def _latest_promotion(git: Git) -> str:
    """The promotion tag ``NAME#STAGE#N`` written last (the highest ``N`` on a tie)."""
    listing = git.output(
        ["for-each-ref", "--format=%(creatordate:unix) %(refname:strip=2)", "refs/tags"]
    )
    found: list[tuple[int, int, str]] = []
    for line in listing.splitlines():
        stamp, _, name = line.partition(" ")
        tag = parse_tag(name)
        if tag is not None and tag.action is Action.ASSIGN:
            found.append((int(stamp or 0), tag.counter or 0, name))
    if not found:
        raise UserError(
            f"--event promotion: no promotion tag (NAME#STAGE#N) in {git.repo}",
            hint="promote a registered version first: mlops-ci registry promote MODEL "
            "VERSION STAGE (or pass --tag TAG)",
        )
    return max(found)[2]


def _schedule(config: Config, models: Sequence[str]) -> str:
    chosen = [m for m in config.models if not models or m.name in models]
    for model in chosen:
        if model.monitor is not None:
            return model.monitor.schedule
    raise UserError(
        f"--event schedule: no model in {config.file.name} has a monitor section, so no "
        "schedule runs anything",
        hint="add monitor: to a model (see docs/config.md)",
    )


def _inputs(pairs: Sequence[str]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise UserError(
                f"--input {pair[:100]!r} is not key=value",
                hint="e.g. --input model=churn --input version=v0.2.0 --input stage=production",
            )
        inputs[key.strip()] = value
    return inputs


def _repository_name(config: Config) -> str:
    """``GITHUB_REPOSITORY``'s shape, for the payload: ``local/<folder>`` (no GitHub here)."""
    return f"local/{config.root.resolve().name or 'repository'}"
