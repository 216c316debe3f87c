"""Which forge a run writes to: GitHub when a token is present, the local outbox otherwise."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.protocol import Forge


def open_forge(workspace: Path, environ: Mapping[str, str] = os.environ, **options: Any) -> Forge:
    """``GitHubForge`` if ``INPUT_GITHUB_TOKEN`` or ``GITHUB_TOKEN`` is set, else the outbox.

    ``options`` go to ``GitHubApi`` (retry policy, timeout, pacing, login). Opening the GitHub
    forge sends no request; a missing ``GITHUB_REPOSITORY`` next to a token is a ``UserError``.
    """
    github = GitHubForge.from_environ(environ, **options)
    if github is not None:
        return github
    return OutboxForge(workspace)
