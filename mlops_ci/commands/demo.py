"""``mlops-ci demo``: the whole lifecycle of the bundled example, on this machine, in a minute.

It copies the example shipped inside the package (``mlops_ci/examples/churn``, so the demo
works from an installed wheel) into a fresh git repository (with a bare "remote" beside it) and
plays what GitHub would trigger, each as a real ``mlops-ci run`` with a real event payload and
the local outbox as the forge (``.mlops/outbox/``: what would have gone to GitHub):

1. a pull request: validate, drift, train, evaluate, and the report comment;
2. its merge (a push to main): the same, then registration (tag ``churn@vX.Y.Z`` pushed to
   the remote) and the release with its assets;
3. a promotion to production (tag ``churn#production#N``) and the deployment it triggers;
4. a second pull request, on a branch, that drops a feature from ``train.py``: its candidate is
   evaluated beside the production model promoted in step 3, and the gate against production
   (ROC AUC may drop by 0.02 at most) fails it, as it should: exit 1;
5. a scheduled monitoring run on the drifted production sample: the monitoring issue;
6. production feedback whose features hold (no drift) but whose labels in the ``west`` region
   are flipped (concept drift): live quality drops, and the same issue says so;
7. feedback with the labels as expected: live quality holds and the issue closes.

Each step's full log is written beside the repository; the console shows one line per step,
the comparison with production under any step that made one, and a summary of where
everything is.
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

from mlops_ci.backends.container import docker_client
from mlops_ci.backends.git import Git
from mlops_ci.commands import demo_events as events
from mlops_ci.commands.demo_events import REPOSITORY, EventFiles
from mlops_ci.commands.run import RunOutcome, RunRequest, execute
from mlops_ci.errors import EXIT_CHECK_FAILED, EXIT_OK, MlopsError, UserError
from mlops_ci.forge import outbox_directory
from mlops_ci.report.terminal import shown
from mlops_ci.stages.results import Evaluation


@dataclass(frozen=True, slots=True)
class DemoRequest:
    directory: Path | None = None  # where to build the demo repository (default: a temp dir)
    example: Path | None = None  # the example to play (default: mlops_ci/examples/churn)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    name: str
    exit_code: int
    seconds: float
    summary: str
    log: Path
    comparison: tuple[str, ...] = ()  # the candidate against production, when evaluated


def bundled_example() -> Path:
    """The churn example shipped inside the package, as package data (``pyproject.toml``)."""
    example = Path(__file__).resolve().parents[1] / "examples" / "churn"
    if not (example / "mlops.yaml").is_file():
        raise UserError(
            f"the bundled example is missing from this installation: {example}",
            hint="reinstall mlops-ci (pip install --force-reinstall mlops-ci), "
            "or pass --example PATH",
        )
    return example


def demo(request: DemoRequest, *, out: TextIO | None = None) -> int:
    import sys

    stream = out if out is not None else sys.stdout
    example = request.example or bundled_example()
    base = request.directory or Path(tempfile.mkdtemp(prefix="mlops-ci-demo-"))
    repo, remote = _prepare(example, base)
    print(f"demo repository: {repo} (remote: {remote})", file=stream, flush=True)
    started = time.monotonic()
    # (name, event, the exit code the step should end with). The production sample of the
    # example is drifted on purpose, so the monitoring run finds drift: exit 1.
    steps: list[tuple[str, Callable[[Path], EventFiles], int]] = [
        ("pull request #1", events.pull_request, EXIT_OK),
        ("merge to main", events.merge, EXIT_OK),
        ("promotion to production", events.promotion, EXIT_OK),
        # A worse candidate: the gate against the production model of step 3 stops it.
        (f"pull request #2: {events.SECOND_PR_TITLE.lower()}", events.second_pull_request,
         EXIT_CHECK_FAILED),
        ("scheduled monitoring", events.monitoring, EXIT_CHECK_FAILED),
        ("monitoring: labels of the west region flipped", events.flipped_feedback,
         EXIT_CHECK_FAILED),
        ("monitoring: labels as expected", events.clean_feedback, EXIT_OK),
    ]
    unexpected = 0
    outcomes: list[StepOutcome] = []
    for index, (name, event_of, expected) in enumerate(steps, start=1):
        print(f"[{index}/{len(steps)}] {name} ...", file=stream, end=" ", flush=True)
        try:
            env, payload = event_of(repo)
        except MlopsError as error:
            print(f"not played: {error.message}", file=stream)
            unexpected += 1
            continue
        outcome = _play(repo, name, env, payload, index)
        Git(repo).run(["checkout", "--quiet", "main"])  # back from a pull request's branch
        outcomes.append(outcome)
        verdict = "as expected" if outcome.exit_code == expected else f"UNEXPECTED, not {expected}"
        print(
            f"exit {outcome.exit_code} ({verdict}) in {outcome.seconds:.1f} s: {outcome.summary}",
            file=stream,
        )
        for line in outcome.comparison:
            print(f"      {line}", file=stream)
        unexpected += outcome.exit_code != expected
    _summary(repo, outcomes, time.monotonic() - started, stream)
    if unexpected:
        print(f"{unexpected} step(s) did not end as expected: see their logs", file=stream)
        return EXIT_CHECK_FAILED
    return EXIT_OK


def _prepare(example: Path, base: Path) -> tuple[Path, Path]:

    repo = base / "churn"
    remote = base / "remote.git"
    if not (example / "mlops.yaml").is_file():
        raise UserError(
            f"example {example}: no mlops.yaml in it",
            hint="pass --example a folder holding mlops.yaml, its data and scripts",
        )
    if base.exists() and not base.is_dir():
        raise UserError(f"{base}: a file, not a folder", hint="pass an empty --dir")
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
    (repo / ".gitignore").write_text(".mlops/\nout/\ndeployments/\n", encoding="utf-8")
    if not docker_ready():
        print(
            "no Docker engine with the serving base image (scripts/docker-engine, "
            "scripts/build-image): the demo deploys with a command that copies the model",
            flush=True,
        )
        use_command_backend(repo / "mlops.yaml")
    git.run(["add", "--all"])
    git.run(["commit", "--quiet", "-m", "The churn model and its data"])
    git.run(["remote", "add", "origin", str(remote)])
    git.run(["push", "--quiet", "origin", "main"])
    return repo, remote


DEPLOY_SCRIPT = """\
\"\"\"The demo's deploy command: copy the version's model file where a server would read it.\"\"\"
import os
import shutil
from pathlib import Path

target = Path("deployments") / os.environ["MLOPS_ENVIRONMENT"]
target.mkdir(parents=True, exist_ok=True)
shutil.copyfile(os.environ["MLOPS_MODEL_FILE"], target / "model.skops")
(target / "VERSION").write_text(os.environ["MLOPS_MODEL_VERSION"] + "\\n", encoding="utf-8")
print(f"deployed {os.environ['MLOPS_MODEL_VERSION']} to {target}")
"""


def docker_ready(environ: Mapping[str, str] | None = None) -> bool:
    """A reachable Docker engine holding the serving base image the docker backend builds on."""
    import os

    env = os.environ if environ is None else environ
    try:

        client = docker_client(env, hint="")
        client.images.get(env.get("MLOPS_CI_SERVING_BASE") or "mlops-ci:dev")
    except Exception:  # no SDK, no engine, no image: all mean "use the command backend"
        return False
    return True


def use_command_backend(config: Path) -> None:
    """Without Docker, deploy with a command that copies the model file (said in the log)."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for model in data["models"].values():
        for environment in (model.get("deploy") or {}).get("environments", {}).values():
            if environment.get("backend") == "docker":
                stage = environment["stage"]
                environment.clear()
                environment.update(
                    {"stage": stage, "backend": "command", "command": ["python", "deploy.py"]}
                )
    header = "# Demo copy: no Docker engine here, so environments deploy with deploy.py.\n"
    config.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (config.parent / "deploy.py").write_text(DEPLOY_SCRIPT, encoding="utf-8")


def _play(
    repo: Path, name: str, env: Mapping[str, str], payload: dict[str, object], index: int
) -> StepOutcome:

    event_path = repo.parent / f"event-{index}.json"
    event_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    log = repo.parent / f"step-{index}.log"
    environ = {
        **_clean_environ(),
        **env,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": str(1000 + index),
        "GITHUB_SHA": env.get("GITHUB_SHA") or events.head_commit(repo),
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
    return StepOutcome(name, outcome.exit_code, seconds, summary, log, comparison(outcome))


def comparison(outcome: RunOutcome) -> tuple[str, ...]:
    """Each evaluation against a production model: the metrics side by side, then the gates
    against production with their verdicts (none when nothing was in production)."""
    lines: list[str] = []
    for model in outcome.report.models if outcome.report else ():
        for result in model.results:
            evaluation = result.detail
            if not isinstance(evaluation, Evaluation) or evaluation.production_version is None:
                continue
            lines.append(
                f"{shown(evaluation.model_name)}: the candidate against production "
                f"({shown(evaluation.production_version)}) on {shown(evaluation.test_file)}, "
                f"{evaluation.test_rows:,} rows"
            )
            lines.append(f"  {'metric':<12}{'candidate':>12}{'production':>12}{'change':>12}")
            for row in evaluation.rows:
                change = row.delta_production
                lines.append(
                    f"  {shown(row.name):<12}{_value(row.candidate.value):>12}"
                    f"{_value(row.production.value if row.production else None):>12}"
                    f"{'' if change is None else f'{change:+.4f}':>12}"
                )
            lines.extend(
                f"  gate {verdict.config_path} ({verdict.gate.metric} against production): "
                f"{verdict.status.value.upper()}, {shown(verdict.explanation)}"
                for verdict in evaluation.gates
                if verdict.gate.against == "production"
            )
    return tuple(lines)


def _value(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4f}"


def _clean_environ() -> dict[str, str]:
    """This process's environment without anything that would send the demo to GitHub."""
    import os

    drop = ("GITHUB_", "INPUT_", "RUNNER_")
    return {key: value for key, value in os.environ.items() if not key.startswith(drop)}


def _summary(repo: Path, outcomes: list[StepOutcome], seconds: float, out: TextIO) -> None:
    outbox = outbox_directory(repo)
    print(f"\ndone in {seconds:.1f} s. What happened:", file=out)
    for outcome in outcomes:
        print(f"  {outcome.name}: exit {outcome.exit_code}, log {outcome.log}", file=out)
    print("Where to look:", file=out)
    print(f"  the repository and its registry tags: git -C {repo} tag -n1", file=out)
    print(f"  what would have gone to GitHub (comments, releases, issues): {outbox}", file=out)
    print(f"  the pull requests' comments: {outbox / 'comments'}", file=out)
    print(f"  the last run's report: {repo / '.mlops' / 'run' / 'report.md'}", file=out)
