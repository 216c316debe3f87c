"""argparse for the core commands: ``init``, ``validate``, ``schema``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="the config file, or a folder holding mlops.yaml "
        "(default: the action's `config` input, else ./mlops.yaml)",
    )


def add_parsers(commands: Any) -> None:
    init = commands.add_parser(
        "init",
        help="write a commented mlops.yaml and the GitHub workflow",
        description="Write a commented mlops.yaml (columns inferred from --train when it "
        "exists, and a snapshot of it as the drift reference) and the workflows "
        ".github/workflows/mlops.yml and mlops-report.yml at the git repository's root. "
        "Never overwrites a file without --force, nor a data file at all.",
    )
    init.add_argument("directory", nargs="?", type=Path, default=Path(), help="where to write")
    init.add_argument("--model", default="model", help="the model's name (default: model)")
    init.add_argument("--train", default="data/train.csv", help="training data path")
    init.add_argument("--test", default="data/test.csv", help="held-out test data path")
    init.add_argument("--target", default=None, help="target column (default: last column)")
    init.add_argument("--reference", default=None,
                      help="drift baseline data path (default: a snapshot of --train written "
                      "beside it as reference.csv, when --train exists)")
    init.add_argument("--task", choices=("classification", "regression"), default="classification")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.add_argument(
        "--single-job-pr",
        action="store_true",
        help="one-job mode: the pull-request job comments itself with pull-requests: write, "
        "a token the pull request's code could reach (default: two phases, a read-only job "
        "and mlops-report.yml posting; see docs/SECURITY.md)",
    )
    init.set_defaults(handler=_init)

    validate = commands.add_parser(
        "validate",
        help="check mlops.yaml: schema, references, files (exit 0 valid, 2 invalid)",
        description="Check mlops.yaml against the schema and for consistency. Prints every "
        "problem as FILE:LINE:COL: YAML.PATH: message, sorted by line.",
    )
    add_config_option(validate)
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(handler=_validate)

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of mlops.yaml",
        description="Print the JSON "
        "Schema (draft 2020-12) of mlops.yaml, for editors and other tools.",
    )
    schema.set_defaults(handler=_schema)
    add_action_parser(commands)


def _init(args: argparse.Namespace) -> int:
    from mlops_ci.commands.init import InitRequest, init

    return init(
        InitRequest(
            directory=args.directory,
            model=args.model,
            train=args.train,
            test=args.test,
            target=args.target,
            task=args.task,
            force=args.force,
            single_job_pr=args.single_job_pr,
            reference=args.reference,
        )
    )


def _validate(args: argparse.Namespace) -> int:
    from mlops_ci.commands.validate import ValidateRequest, validate

    return validate(ValidateRequest(config=args.config, json=args.json))


def _schema(_args: argparse.Namespace) -> int:
    from mlops_ci.commands.schema import print_schema

    return print_schema()


def add_action_parser(commands: Any) -> None:
    action = commands.add_parser(
        "action",
        help="the GitHub Action's entry point: run the command its inputs name",
        description="Read the action's inputs (INPUT_COMMAND, INPUT_CONFIG, INPUT_MODEL, "
        "INPUT_DRY_RUN, INPUT_WORKING_DIRECTORY, INPUT_VERSION, INPUT_STAGE, INPUT_CANARY, "
        "INPUT_GITHUB_TOKEN) and run that command. See action.yml.",
    )
    action.set_defaults(handler=_action)


def _action(_args: argparse.Namespace) -> int:
    from mlops_ci.commands.action import action

    return action()
