"""Read mlops.yaml into a frozen ``Config``, or fail with every problem at its line.

Order: read (exists, UTF-8) -> YAML with marks (syntax, duplicate keys) -> JSON Schema (all
errors, YAML 1.1 traps explained) -> semantic checks (references, files, cron) -> build.
Each step reports everything it finds before the next is skipped, sorted by line.

Relative paths in the file are relative to the file's folder (the workspace); absolute
paths, '..' and symlinks that lead outside it are refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from mlops_ci.config.build import BuildError, build_config
from mlops_ci.config.model import Config
from mlops_ci.config.schema import load_schema
from mlops_ci.config.semantic import semantic_problems
from mlops_ci.config.validation import schema_problems
from mlops_ci.config.yamlmarks import Document, format_path, load_document
from mlops_ci.errors import ConfigError, Problem, UserError
from mlops_ci.payload import NotUtf8, TooLarge, read_text

DEFAULT_CONFIG = "mlops.yaml"
MAX_CONFIG_BYTES = 1_000_000


def display_name(path: Path, cwd: Path | None = None) -> str:
    """The file as a user and GitHub annotations want it: relative to the cwd when inside."""
    base = cwd or Path.cwd()
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def read_config_text(path: Path) -> str:
    name = display_name(path)
    if path.is_dir():
        path = path / DEFAULT_CONFIG
        name = display_name(path)
    if not path.exists():
        raise UserError(
            f"config file not found: {name}",
            hint="run `mlops-ci init` to write one, or pass -c PATH",
        )
    try:
        text = read_text(path, limit=MAX_CONFIG_BYTES)
    except OSError as error:
        raise UserError(f"cannot read {name}: {error.strerror}") from None
    except TooLarge as error:
        size = f"over {error.limit:,}" if error.size is None else f"{error.size:,}"
        raise UserError(f"{name} is {size} bytes; a config over 1 MB is refused") from None
    except NotUtf8 as error:
        message = f"not UTF-8 (byte 0x{error.byte:02x})"
        problem = Problem(name, error.line, error.column, "", message)
        raise ConfigError([problem], file=name) from None
    if "\x00" in text:
        raise ConfigError(
            [Problem(name, 1, 1, "", "a NUL byte: this is not a text file")], file=name
        )
    return text


def load_document_checked(path: Path) -> tuple[Document, str, Path]:
    """Read, parse and schema-validate; returns the document, display name and root."""

    if path.is_dir():
        path = path / DEFAULT_CONFIG
    text = read_config_text(path)
    name = display_name(path)
    doc, problems = load_document(text, name)
    if problems:
        raise ConfigError(problems, file=name)
    if not isinstance(doc.data, dict):
        got = "an empty file" if doc.data is None else "not a mapping"
        raise ConfigError(
            [Problem(name, 1, 1, "", f"the config must be a mapping of keys, got {got}")],
            file=name,
        )
    problems = schema_problems(doc, load_schema(), name)
    if problems:
        raise ConfigError(problems, file=name)
    return doc, name, path.parent


def load_config(path: Path, *, root: Path | None = None, cwd: Path | None = None) -> Config:
    """The validated config at ``path`` (a file, or a folder holding mlops.yaml).

    A relative ``path`` is read from ``cwd`` (default: the process's working directory).
    """

    if cwd is not None:
        path = cwd / path  # an absolute path stays as it is
    doc, name, folder = load_document_checked(path)
    workspace = (root if root is not None else folder).absolute()
    problems = semantic_problems(doc, name, workspace)
    if problems:
        raise ConfigError(problems, file=name)
    config_file = path / DEFAULT_CONFIG if path.is_dir() else path
    try:
        return build_config(doc.data, file=config_file, root=workspace)  # type: ignore[arg-type]
    except BuildError as error:
        mark = doc.mark_of(error.path)
        problem = Problem(name, mark.line, mark.column, format_path(error.path), error.message)
        raise ConfigError([problem], file=name) from None


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``INPUT_CONFIG`` (the action's input) or ``mlops.yaml`` in the current folder."""
    env = os.environ if environ is None else environ
    return Path(env.get("INPUT_CONFIG") or DEFAULT_CONFIG)
