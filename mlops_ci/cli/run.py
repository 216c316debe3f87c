"""argparse for ``run``: the whole lifecycle for the event that triggered this run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_ci.cli.core import add_config_option
from mlops_ci.errors import UserError

EVENT_KINDS = ("pull-request", "merge", "promotion", "schedule", "dispatch")


def add_parsers(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run the stages the event and mlops.yaml call for, and report",
        description="Read the event (GITHUB_EVENT_NAME/GITHUB_EVENT_PATH, or --event-name/"
        "--event-path; a local run without either), plan the stages from mlops.yaml's "
        "triggers, run them, and write the report (job summary; PR comment on a pull "
        "request). Exit 1 when a gate or check fails. Locally, --event builds the event of "
        "a lifecycle step from this repository: pull-request (the current branch against "
        "default_branch), merge (a push of this commit to default_branch), promotion (the "
        "latest NAME#STAGE#N tag, or --tag), schedule (the monitor schedule), dispatch "
        "(workflow_dispatch with --input key=value).",
    )
    add_config_option(run)
    run.add_argument(
        "--event",
        choices=EVENT_KINDS,
        default=None,
        help="build this lifecycle step's event from the local repository and run it",
    )
    run.add_argument(
        "--tag", default=None, metavar="TAG", help="with --event promotion: this promotion tag"
    )
    run.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --event dispatch: a workflow_dispatch input (repeatable)",
    )
    run.add_argument("--event-name", default=None, help="e.g. pull_request, push, schedule")
    run.add_argument("--event-path", type=Path, default=None, help="the webhook payload (JSON)")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="run read-only work only; print what would be written (tags, releases, comments)",
    )
    run.add_argument(
        "--model", action="append", default=[], metavar="NAME", help="only this model (repeatable)"
    )
    run.add_argument(
        "--run-dir", type=Path, default=None, help="scratch folder (default: .mlops/run)"
    )
    run.add_argument(
        "--pull-request-report",
        choices=("comment", "artifact"),
        default="comment",
        help="on a pull request: post the report comment (default; needs a write token), or "
        "store the results as an artifact that a workflow_run job renders and posts",
    )
    run.set_defaults(handler=_run)
    add_demo_parser(commands)


def _run(args: argparse.Namespace) -> int:
    from mlops_ci.commands.local_events import LocalEventRequest, run_event
    from mlops_ci.commands.run import RunRequest, run

    request = RunRequest(
        config=args.config,
        event_name=args.event_name,
        event_path=args.event_path,
        dry_run=args.dry_run,
        models=tuple(args.model),
        run_dir=args.run_dir,
        pull_request_report=args.pull_request_report,
    )
    if args.event is not None:
        return run_event(
            LocalEventRequest(args.event, request, tag=args.tag, inputs=tuple(args.input))
        )
    if args.tag is not None or args.input:
        raise UserError("--tag and --input go with --event (promotion, dispatch)")
    return run(request)


def add_demo_parser(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="play the whole lifecycle of the bundled example locally",
        description="Copy the churn example shipped in the package into a fresh git "
        "repository and play a pull request, its merge, a promotion to production, a second "
        "pull request compared with production, and monitoring runs, each as a real "
        "`mlops-ci run` with the local outbox as the forge. Prints where everything is.",
    )
    demo.add_argument("--dir", type=Path, default=None, help="an empty folder to build it in")
    demo.add_argument("--example", type=Path, default=None, help="another example folder")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from mlops_ci.commands.demo import DemoRequest, demo

    return demo(DemoRequest(directory=args.dir, example=args.example))
