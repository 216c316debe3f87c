"""Files of a registered version read from its commit, so they travel with the version.

A version is a commit (its registration tag points there), so what the version was trained
with is read from that commit, not from today's checkout: a promotion deployed from ``main``
weeks later still serves with the requirements file the version was trained and evaluated
with.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlops_ci.backends.git import Git


def requirements_at(
    workspace: Path, tag: str, relative: str | None, environ: Mapping[str, str]
) -> bytes | None:
    """``relative`` (``train.requirements``, relative to the config's folder ``workspace``) as
    it was at the commit of ``tag``; None when there is none, or the commit has no such file."""
    if relative is None:
        return None
    git = Git(workspace, environ=environ)
    blob = f"refs/tags/{tag}^{{commit}}:./{relative}"  # ./: relative to the config's folder
    found = git.run(["rev-parse", "--verify", "--quiet", blob], check=False)
    if not found.ok:
        return None
    return git.run(["cat-file", "blob", found.text.strip()]).stdout
