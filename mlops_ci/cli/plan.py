"""``mlops-ci plan``: argparse only."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_ci.cli.core import add_config_option


def add_parsers(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="print which stages would run for this event, and why (runs nothing)",
        description="Read the event (--event-name/--event-path, else GITHUB_EVENT_NAME and "
        "GITHUB_EVENT_PATH, else a local run) and print the stages each model would run, "
        "in order, with the trigger that chose them. Exit 0 even when nothing would run.",
    )
    add_config_option(plan)
    plan.add_argument(
        "--event-name",
        metavar="NAME",
        default=None,
        help="the GitHub event name, e.g. pull_request (default: GITHUB_EVENT_NAME)",
    )
    plan.add_argument(
        "--event-path",
        metavar="FILE",
        type=Path,
        default=None,
        help="the webhook payload JSON (default: GITHUB_EVENT_PATH)",
    )
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(handler=_plan)


def _plan(args: argparse.Namespace) -> int:
    from mlops_ci.commands.plan import PlanRequest, plan

    return plan(
        PlanRequest(
            config=args.config,
            event_name=args.event_name,
            event_path=args.event_path,
            json=args.json,
        )
    )
