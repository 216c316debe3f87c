"""Where ``mlops-ci init`` may write: never through a symlink, never to a half-fitting place.

A symlink at mlops.yaml, a workflow file or the drift snapshot, or a folder on the way that
is a symlink leaving the repository, would make ``init`` (with ``--force``: overwrite) a
file outside it: a cloned repository could aim ``.github/workflows/mlops.yml`` at
``~/.bashrc``. ``init`` refuses such paths before writing anything, with or without
``--force``, and opens each file with ``O_NOFOLLOW`` in case one appears in between.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from mlops_ci.errors import UserError


def check_writable(paths: Iterable[Path], root: Path) -> None:
    """Refuse before writing anything: a symlink at a file to write, a symlinked folder on
    the way leaving ``root`` (the repository), a folder where a file goes, a file where a
    folder goes; so a failed ``init`` leaves no half-written setup behind."""
    for path in paths:
        if path.is_symlink():
            raise UserError(
                f"cannot write {path}: it is a symlink to {path.readlink()}; init never "
                "writes through a symlink, even with --force",
                hint="remove the link, or write the file where it points yourself",
            )
        for folder in _folders_below(path, root):
            if folder.is_symlink() and not _inside(folder.resolve(), root.resolve()):
                raise UserError(
                    f"cannot write {path}: {folder} is a symlink to {folder.readlink()}, "
                    f"outside the repository {root}",
                    hint="init writes only inside the repository; remove the link",
                )
        if path.is_dir():
            raise UserError(f"cannot write {path}: a folder of that name is in the way")
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                raise UserError(f"cannot write {path}: {parent} is a file, not a folder")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, refusing (``O_NOFOLLOW``) to follow a symlink there."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(path, flags, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UserError(f"cannot write {error.filename or path}: {error.strerror}") from None


def _folders_below(path: Path, root: Path) -> list[Path]:
    """The folders between ``root`` and ``path`` (as written, not resolved); none when
    ``path`` is not under ``root``: there is no repository for a link to leave."""
    resolved_root = root.resolve()
    folders: list[Path] = []
    for parent in path.parents:
        if parent.resolve() == resolved_root:
            return folders
        folders.append(parent)
    return []


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
