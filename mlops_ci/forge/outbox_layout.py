"""The outbox's files: where each object lives, safe file names, atomic writes and reads.

What ``OutboxForge`` writes, under ``<workspace>/.mlops/outbox/`` (``outbox_directory``)::

    comments/pr-<N>-<report id>.md          the PR comment, hidden markers included
    releases/<tag>/release.json             name, body, prerelease, draft, assets and sha256s
                                            (read back by ``fetch_release_asset``)
    releases/<tag>/assets/<asset name>      each asset, copied
    deployments/<environment>/<version>.json   ref, description, payload, statuses
    issues/<marker>.json                    title, body, labels, state, comments by key
                                            (read back by ``read_issue``)
    dispatches/<event type>-<sha256>.json   one file per distinct (event type, payload)
    workflow-dispatches/<workflow>-<sha256>.json
    pulls/<N>.json                          read by ``read_pull``, written by whoever knows the PR

File names are made of the keys with unsafe characters replaced (and a short hash added then),
so an untrusted tag or marker can never escape the outbox directory. Callers outside the forge
may rely on ``outbox_directory`` (to point a user at the folder), not on the layout inside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_ci.errors import UserError

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,100}")


def outbox_directory(workspace: Path) -> Path:
    """The folder the outbox forge of ``workspace`` writes to."""
    return workspace / ".mlops" / "outbox"


def safe_name(key: str) -> str:
    """A file name for ``key``: itself when harmless, else a cleaned form plus a short hash."""
    if _SAFE.fullmatch(key) and ".." not in key:
        return key
    cleaned = re.sub(r"[^A-Za-z0-9._@+-]", "_", key).strip("._")[:80]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{cleaned}-{digest}" if cleaned else digest


def payload_digest(value: object) -> str:
    """A short hash of ``value``'s canonical JSON: one file name per distinct payload."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    Path(temporary).replace(path)


def write_json(path: Path, value: Mapping[str, Any]) -> None:
    write_atomic(path, json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``UserError`` when it is unreadable or not an object."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"{path}: unreadable outbox file ({error})") from None
    if not isinstance(loaded, dict):
        raise UserError(f"{path}: outbox file does not hold a JSON object")
    return loaded
