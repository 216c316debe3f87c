"""``mlops-ci registry {show,history,register,promote,deprecate}``: argparse only."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parsers(commands: Any) -> None:
    registry = commands.add_parser(
        "registry",
        help="the model registry in git tags (GTO-compatible)",
        description="Read and write the model registry kept in annotated git tags, in GTO's "
        "format: NAME@vX.Y.Z registers a version, NAME#STAGE#N assigns a stage.",
    )
    sub = registry.add_subparsers(dest="registry_command", metavar="COMMAND")
    sub.required = True

    show = sub.add_parser("show", help="models, their latest version and the version per stage")
    show.add_argument("model", nargs="?", help="show every version of this model")
    show.add_argument("--deprecated", action="store_true", help="include deprecated models")
    _reading_options(show)
    show.set_defaults(handler=_show)

    history = sub.add_parser("history", help="a model's registry events, oldest first")
    history.add_argument("model")
    _reading_options(history)
    history.set_defaults(handler=_history)

    register = sub.add_parser("register", help="register a commit as a new model version")
    register.add_argument("model", help="name, or dir/path:name for a model in a subfolder")
    which = register.add_mutually_exclusive_group()
    which.add_argument("--version", help="the version to register, e.g. v1.4.0")
    which.add_argument("--bump", choices=["patch", "minor", "major"],
                       help="bump the highest registered version (default: patch)")
    register.add_argument("--ref", default="HEAD", help="the commit to register (default HEAD)")
    register.add_argument("--first-version", default="v0.1.0",
                          help="the version when none exists yet (default v0.1.0)")
    _writing_options(register)
    register.set_defaults(handler=_register)

    promote = sub.add_parser("promote", help="assign a stage to a version (NAME#STAGE#N)")
    promote.add_argument("model")
    promote.add_argument("version")
    promote.add_argument("stage")
    promote.add_argument(
        "--complete", action="store_true",
        help="write a new stage tag for the version the stage holds now: its deploy completes "
        "the canary (all traffic to it). Roll a canary back by promoting the version before.")
    _writing_options(promote)
    promote.set_defaults(handler=_promote)

    deprecate = sub.add_parser(
        "deprecate",
        help="deprecate a model, deregister a version, or unassign a stage",
        description="MODEL alone deprecates the model (NAME@deprecated); MODEL VERSION "
        "deregisters the version (NAME@vX.Y.Z!); MODEL VERSION STAGE unassigns the stage.",
    )
    deprecate.add_argument("model")
    deprecate.add_argument("version", nargs="?")
    deprecate.add_argument("stage", nargs="?")
    _writing_options(deprecate)
    deprecate.set_defaults(handler=_deprecate)


def _reading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (stable, documented)")
    parser.add_argument("--repo", type=Path, default=Path(), help="the git repository")
    parser.add_argument("--remote", default="origin",
                        help="fetch tags from here when the checkout is shallow or has none")


def _writing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path(), help="the git repository")
    parser.add_argument("--remote", default=None,
                        help="where tags are read and pushed (default: origin; a repository "
                        "without one keeps the tag local and says so)")
    parser.add_argument("--push", action=argparse.BooleanOptionalAction, default=True,
                        help="push the tag to the remote (default) or keep it local")
    parser.add_argument("-c", "--config", type=Path, default=None, metavar="FILE",
                        help="the mlops.yaml whose models and stages a tag must name (default: "
                        "mlops.yaml in --repo, when there is one)")
    parser.add_argument("--force", action="store_true",
                        help="write the tag even for a model or stage the config does not declare")


def _show(args: argparse.Namespace) -> int:
    from mlops_ci.commands import registry

    request = registry.ShowRequest(args.repo, args.model, args.json, args.deprecated, args.remote)
    return registry.show(request)


def _history(args: argparse.Namespace) -> int:
    from mlops_ci.commands import registry

    return registry.history(registry.HistoryRequest(args.repo, args.model, args.json, args.remote))


def _register(args: argparse.Namespace) -> int:
    from mlops_ci.commands import registry_write as registry

    request = registry.RegisterRequest(
        repo=args.repo, model=args.model, version=args.version, bump=args.bump, ref=args.ref,
        push=args.push, remote=args.remote, first_version=args.first_version,
        config=args.config, force=args.force,
    )
    return registry.register(request)


def _promote(args: argparse.Namespace) -> int:
    from mlops_ci.commands import registry_write as registry

    request = registry.PromoteRequest(
        repo=args.repo, model=args.model, version=args.version, stage=args.stage,
        push=args.push, remote=args.remote, config=args.config, force=args.force,
        complete=args.complete,
    )
    return registry.promote(request)


def _deprecate(args: argparse.Namespace) -> int:
    from mlops_ci.commands import registry_write as registry

    request = registry.DeprecateRequest(
        repo=args.repo, model=args.model, version=args.version, stage=args.stage,
        push=args.push, remote=args.remote, config=args.config, force=args.force,
    )
    return registry.deprecate(request)
