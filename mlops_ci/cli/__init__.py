"""The ``mlops-ci`` command line: argparse only.

Each command family has a module here that adds its parser and, when chosen, builds a typed
request and calls one library function that returns an exit code. This module owns the root
parser and the single error boundary: only ``main`` prints errors or decides the exit code.
Heavy libraries are imported inside the command functions, never here, so ``--help`` and
``validate`` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from mlops_ci import __version__
from mlops_ci.actions import annotate_error
from mlops_ci.backends.handoff import hand_off, receive
from mlops_ci.cli import core, data, monitor, plan, registry, report, run
from mlops_ci.errors import EXIT_USER_ERROR, MlopsError
from mlops_ci.report.terminal import shown

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors exit 2 through ``main``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(self, message)


class UsageError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


# One module per command family, each with ``add_parsers(commands)``; argparse only.
FAMILIES = (core, registry, data, plan, run, report, monitor)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mlops-ci",
        description="GitOps CI/CD for machine learning, driven by one mlops.yaml.",
        epilog="Exit codes: 0 ok, 1 a gate or check failed, 2 user error, 3 an outside "
        "system failed after retries. Docs: README.md.",
    )
    parser.add_argument("--version", action="version", version=f"mlops-ci {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks for unexpected errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for family in FAMILIES:
        family.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, stderr: TextIO | None = None) -> int:
    """Run one command; return its exit code. The one place that turns errors into output.

    Run as a program (``argv`` None), it first moves the job's secrets out of its environment
    block (``backends/handoff.py``: it re-executes itself once when there are any)."""
    err = stderr if stderr is not None else sys.stderr
    if argv is None and not receive():
        hand_off(sys.argv[1:])
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list or os.environ.get("MLOPS_CI_DEBUG") == "1"
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
        handler: Handler = args.handler
        return handler(args)
    except UsageError as error:
        error.parser.print_usage(err)
        print(shown(f"{error.parser.prog}: error: {error.message}"), file=err)
        return EXIT_USER_ERROR
    except MlopsError as error:
        if debug:
            import traceback

            traceback.print_exc(file=err)
        for line in error.lines():  # they quote names from outside: shown as a terminal should
            print(shown(line), file=err)
        annotate_error(error)
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (``mlops-ci registry show | head``): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
    except Exception as error:
        if debug:
            raise
        print(
            shown(f"internal error: {type(error).__name__}: {error}") + "\n"
            "this is a bug in mlops-ci; rerun with --debug for the traceback and report it",
            file=err,
        )
        return 70
