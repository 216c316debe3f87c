"""``mlops-ci demo``: the whole lifecycle of the bundled example, on this machine, in a minute.

It copies ``examples/churn`` into a fresh git repository (with a bare "remote" beside it) and
plays what GitHub would trigger, each as a real ``mlops-ci run`` with a real event payload and
the local outbox as the forge (``.mlops/outbox/``: what would have gone to GitHub):

1. a pull request: validate, drift, train, evaluate, and the report comment;
2. its merge (a push to main): the same, then registration (tag ``churn@vX.Y.Z`` pushed to
   the remote) and the release with its assets;
3. a promotion to production (tag ``churn#production#N``) and the deployment it triggers;
4. a scheduled monitoring run on the drifted production sample: the monitoring issue.

Each step's full log is written beside the repository; the console shows one line per step
and a summary of where everything is.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mlops_ci.errors import EXIT_OK, MlopsError, UserError

REPOSITORY = "demo/churn"


@dataclass(frozen=True, slots=True)
class DemoRequest:
    directory: Path | None = None  # where to build the demo repository (default: a temp dir)
    example: Path | None = None  # the example to play (default: the bundled examples/churn)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    name: str
    exit_code: int
    seconds: float
    summary: str
    log: Path


def bundled_example() -> Path:
    """``examples/churn`` of the source tree (the demo needs its data and scripts)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "examples" / "churn"
        if (candidate / "mlops.yaml").is_file():
            return candidate
    raise UserError(
        "cannot find examples/churn beside the mlops_ci package",
        hint="run the demo from a source checkout, or pass --example PATH",
    )


def demo(request: DemoRequest, *, out: TextIO | None = None) -> int:
    import sys

    stream = out if out is not None else sys.stdout
    example = request.example or bundled_example()
    base = request.directory or Path(tempfile.mkdtemp(prefix="mlops-ci-demo-"))
    repo, remote = _prepare(example, base)
    print(f"demo repository: {repo} (remote: {remote})", file=stream, flush=True)
    started = time.monotonic()
    steps: list[tuple[str, Callable[[Path], EventFiles]]] = [
        ("pull request #1", _pull_request),
        ("merge to main", _merge),
        ("promotion to production", _promotion),
        ("scheduled monitoring", _monitoring),
    ]
    outcomes: list[StepOutcome] = []
    for index, (name, event_of) in enumerate(steps, start=1):
        print(f"[{index}/{len(steps)}] {name} ...", file=stream, end=" ", flush=True)
        try:
            env, payload = event_of(repo)
        except MlopsError as error:
            print(f"not played: {error.message}", file=stream)
            continue
        outcome = _play(repo, name, env, payload, index)
        outcomes.append(outcome)
        print(
            f"exit {outcome.exit_code} in {outcome.seconds:.1f} s: {outcome.summary}", file=stream
        )
    _summary(repo, outcomes, time.monotonic() - started, stream)
    return EXIT_OK


def _prepare(example: Path, base: Path) -> tuple[Path, Path]:
    from mlops_ci.backends.git import Git

    repo = base / "churn"
    remote = base / "remote.git"
    if repo.exists() or remote.exists():
        raise UserError(f"{base} already holds a demo", hint="pass an empty --dir")
    ignore = shutil.ignore_patterns(".mlops", "out", "__pycache__", "*.pyc")
    shutil.copytree(example, repo, ignore=ignore)
    base.mkdir(parents=True, exist_ok=True)
    Git(base).run(["init", "--quiet", "--bare", str(remote)])
    git = Git(repo)
    git.run(["init", "--quiet", "--initial-branch=main"])
    for key, value in (("user.name", "mlops-ci demo"), ("user.email", "demo@mlops-ci.invalid")):
        git.run(["config", key, value])
    (repo / ".gitignore").write_text(".mlops/\nout/\n", encoding="utf-8")
    git.run(["add", "--all"])
    git.run(["commit", "--quiet", "-m", "The churn model and its data"])
    git.run(["remote", "add", "origin", str(remote)])
    git.run(["push", "--quiet", "origin", "main"])
    return repo, remote


def _head(repo: Path) -> str:
    from mlops_ci.backends.git import Git

    return Git(repo).resolve_commit("HEAD")


def _repository() -> dict[str, str]:
    return {"full_name": REPOSITORY, "default_branch": "main"}


EventFiles = tuple[dict[str, str], dict[str, object]]


def _pull_request(repo: Path) -> EventFiles:
    head = _head(repo)
    payload: dict[str, object] = {
        "action": "opened",
        "number": 1,
        "pull_request": {
            "number": 1,
            "title": "Retrain the churn model",
            "merged": False,
            "head": {"ref": "retrain", "sha": head, "repo": {"full_name": REPOSITORY}},
            "base": {"ref": "main", "sha": head, "repo": {"full_name": REPOSITORY}},
        },
        "repository": _repository(),
        "sender": {"login": "demo"},
    }
    return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": "f" * 40}, payload


def _merge(repo: Path) -> EventFiles:
    head = _head(repo)
    payload: dict[str, object] = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": head,
        "repository": _repository(),
        "sender": {"login": "demo"},
    }
    return {"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": head}, payload


def _promotion(repo: Path) -> EventFiles:
    """What a person (or ``mlops-ci registry promote``) does: the latest version to
    production, pushed as a tag; the tag's push event then runs the deploy."""
    from mlops_ci.registry.store import RegistryStore

    store = RegistryStore(repo, remote="origin")
    version = store.state().latest_version("churn")
    if version is None:
        raise UserError("the merge registered no version, so there is nothing to promote")
    assignment = store.promote("churn", version, "production")
    payload: dict[str, object] = {
        "ref": f"refs/tags/{assignment.tag}",
        "before": "0" * 40,
        "after": assignment.commit,
        "repository": _repository(),
        "sender": {"login": "demo"},
    }
    return {"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": assignment.commit}, payload


def _monitoring(repo: Path) -> EventFiles:
    payload: dict[str, object] = {"schedule": "0 6 * * *", "repository": _repository()}
    return {"GITHUB_EVENT_NAME": "schedule", "GITHUB_SHA": _head(repo)}, payload


def _play(
    repo: Path, name: str, env: Mapping[str, str], payload: dict[str, object], index: int
) -> StepOutcome:
    from mlops_ci.commands.run import RunRequest, execute

    event_path = repo.parent / f"event-{index}.json"
    event_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    log = repo.parent / f"step-{index}.log"
    environ = {
        **_clean_environ(),
        **env,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": str(1000 + index),
        "GITHUB_SHA": env.get("GITHUB_SHA") or _head(repo),
    }
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as handle:
        try:
            outcome = execute(RunRequest(config=repo / "mlops.yaml"), environ=environ, out=handle)
        except MlopsError as error:
            handle.write("\n".join(error.lines()) + "\n")
            return StepOutcome(
                name, error.exit_code, time.monotonic() - started, error.message, log
            )
    seconds = time.monotonic() - started
    summary = "; ".join(
        f"{result.stage.value} {result.status.value}"
        for model in (outcome.report.models if outcome.report else ())
        for result in model.results
    ) or "; ".join(outcome.plan.reasons)
    return StepOutcome(name, outcome.exit_code, seconds, summary, log)


def _clean_environ() -> dict[str, str]:
    """This process's environment without anything that would send the demo to GitHub."""
    import os

    drop = ("GITHUB_", "INPUT_", "RUNNER_")
    return {key: value for key, value in os.environ.items() if not key.startswith(drop)}


def _summary(repo: Path, outcomes: list[StepOutcome], seconds: float, out: TextIO) -> None:
    outbox = repo / ".mlops" / "outbox"
    print(f"\ndone in {seconds:.1f} s. What happened:", file=out)
    for outcome in outcomes:
        print(f"  {outcome.name}: exit {outcome.exit_code}, log {outcome.log}", file=out)
    print("Where to look:", file=out)
    print(f"  the repository and its registry tags: git -C {repo} tag -n1", file=out)
    print(f"  what would have gone to GitHub (comments, releases, issues): {outbox}", file=out)
    print(f"  the last run's report: {repo / '.mlops' / 'run' / 'report.md'}", file=out)
