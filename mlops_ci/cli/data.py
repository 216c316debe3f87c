"""argparse for ``mlops-ci data validate`` and ``mlops-ci data drift``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_ci.cli.core import add_config_option

METHODS = ("auto", "psi", "ks", "chi2", "wasserstein", "jensenshannon")


def add_parsers(commands: Any) -> None:
    data = commands.add_parser(
        "data",
        help="validate data against its schema, or measure drift",
        description="Data checks: `data validate` (schema) and `data drift` (reference vs "
        "current).",
    )
    actions = data.add_subparsers(dest="data_command", metavar="ACTION")
    actions.required = True

    validate = actions.add_parser(
        "validate",
        help="check data files against the model's column schema (exit 1 on errors)",
        description="Check FILE (default: the model's train, test and reference files) "
        "against the columns declared in mlops.yaml: missing and unexpected columns, dtypes, "
        "nulls, ranges, allowed values, uniqueness, row counts.",
    )
    add_config_option(validate)
    validate.add_argument("--model", default=None, help="the model (default: the only one)")
    validate.add_argument("file", nargs="?", type=Path, default=None, metavar="FILE")
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(handler=_validate)

    drift = actions.add_parser(
        "drift",
        help="compare current data with the reference (exit 1 on dataset drift)",
        description="Measure drift per column (PSI, KS, chi-square, normalised Wasserstein, "
        "Jensen-Shannon; `auto` picks by type and size) and decide whether the dataset "
        "drifted. With -c, the model's drift rules and column types apply.",
    )
    drift.add_argument("--reference", type=Path, default=None, metavar="FILE",
                       help="reference data (default with -c: the model's reference)")
    drift.add_argument("--current", type=Path, required=True, metavar="FILE",
                       help="current data")
    drift.add_argument("-c", "--config", type=Path, default=None, metavar="FILE",
                       help="use the drift rules and column types of a model in this config")
    drift.add_argument("--model", default=None, help="the model (default: the only one)")
    drift.add_argument("--columns", nargs="+", default=None, metavar="COLUMN",
                       help="only these columns (default: every feature column)")
    drift.add_argument("--method", choices=METHODS, default=None,
                       help="one method for every column (default: auto)")
    drift.add_argument("--threshold", type=float, default=None, metavar="X",
                       help="one threshold for every column (default: the method's own)")
    drift.add_argument("--json", action="store_true", help="print the result as JSON")
    drift.set_defaults(handler=_drift)


def _validate(args: argparse.Namespace) -> int:
    from mlops_ci.commands.data import ValidateDataRequest, validate_data

    return validate_data(
        ValidateDataRequest(config=args.config, model=args.model, file=args.file, json=args.json)
    )


def _drift(args: argparse.Namespace) -> int:
    from mlops_ci.commands.data import DriftRequest, measure_drift

    return measure_drift(
        DriftRequest(
            current=args.current,
            reference=args.reference,
            config=args.config,
            model=args.model,
            columns=tuple(args.columns) if args.columns is not None else None,
            method=args.method,
            threshold=args.threshold,
            json=args.json,
        )
    )
