"""argparse for ``report``: print the last run's report, or post a stored one (``--post``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_ci.cli.core import add_config_option


def add_parsers(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="print the last run's report, or post a stored report to its pull request",
        description="Without --post: print the report of the last `mlops-ci run` (markdown, "
        "or JSON with --json). With --post DIR: render the results a pull request's run "
        "stored in DIR (its token could only read) and post them as the one report comment "
        "of the open pull request whose head is that run's commit. Meant for a "
        "`workflow_run` job that downloaded the artifact; DIR is checked as untrusted input "
        "against schemas/report-artifact.schema.json.",
    )
    add_config_option(report)
    report.add_argument(
        "--run-dir", type=Path, default=None, help="the run's folder (default: .mlops/run)"
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument(
        "--post",
        type=Path,
        default=None,
        metavar="DIR",
        help="render and post the stored results in DIR (report-artifact.json)",
    )
    report.add_argument("--event-name", default=None, help="e.g. workflow_run (with --post)")
    report.add_argument(
        "--event-path", type=Path, default=None, help="the webhook payload (with --post)"
    )
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.post is None:
        from mlops_ci.commands.report import ShowReportRequest, show_report

        return show_report(
            ShowReportRequest(config=args.config, run_dir=args.run_dir, json=args.json)
        )
    from mlops_ci.commands.report import PostReportRequest, post_report

    return post_report(
        PostReportRequest(
            artifact=args.post,
            config=args.config,
            event_name=args.event_name,
            event_path=args.event_path,
        )
    )
