"""argparse for ``mlops-ci monitor``."""

from __future__ import annotations

import argparse
from typing import Any

from mlops_ci.cli.core import add_config_option


def add_parsers(commands: Any) -> None:
    monitor = commands.add_parser(
        "monitor",
        help="compare production data with the production version's reference (exit 1 on a "
        "finding)",
        description="For each model with a monitor section: validate the recent production "
        "data, measure its drift against the reference data of the version in production, "
        "and open or update one issue per model (with the trend of the last runs), dispatching "
        "retraining when configured; a clean run closes the issue. Exit 0: nothing found. "
        "Exit 1, for any of: the dataset drifted (share or key-column rule); a column drifted "
        "strongly (corrected p-value below 1e-6, or a distance at least twice its threshold); "
        "data-quality errors in the production data; live quality dropped beyond its "
        "tolerance (monitor.feedback); an environment of the production stage serving another "
        "version than the registry's (asked at GET URL/v2/models/NAME; one that cannot be "
        "asked is reported, not a finding). Exit 2: bad config or data. Exit 3: GitHub "
        "failed after retries.",
    )
    add_config_option(monitor)
    monitor.add_argument("--model", default=None, help="only this model (default: every "
                         "model with a monitor section)")
    monitor.add_argument("--dry-run", action="store_true",
                         help="measure and decide, but write nothing (no issue, no dispatch)")
    monitor.add_argument("--json", action="store_true", help="print the result as JSON")
    monitor.set_defaults(handler=_monitor)


def _monitor(args: argparse.Namespace) -> int:
    from mlops_ci.commands.monitor import MonitorRequest, monitor

    return monitor(
        MonitorRequest(config=args.config, model=args.model, dry_run=args.dry_run,
                       json=args.json)
    )
