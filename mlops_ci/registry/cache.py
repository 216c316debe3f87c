"""A cache of the parsed registry tags, for the read-only ``registry show`` and ``history``.

Reading 10,000 annotated tags costs git a peel of every tag object (``%(*objectname)``) and us
a parse of each; the answer depends only on which tag names point at which tag objects, and tag
objects never change. So the cache is keyed by the sha256 of ``git for-each-ref
--format='%(refname) %(objectname)'`` (names and object ids only: no object is read, about 30
times cheaper than the full read), and holds the parsed records of that exact set of tags. Any
tag added, deleted or moved changes the key, and the next read parses again and rewrites it.

It lives in ``.git/mlops-ci/registry-cache.json`` (never in the worktree), is written
atomically (a temporary file, then a rename), and a cache that cannot be read, written or
understood is ignored: the tags are read as without it. Only the human-facing read commands use
it; what registers, promotes or deploys always reads the tags themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from mlops_ci.backends.git import Git
from mlops_ci.registry.state import TagRecord
from mlops_ci.registry.tags import Action, RegistryTag

FORMAT_VERSION = 1
CACHE_FILE = Path("mlops-ci") / "registry-cache.json"
Records = tuple[list[TagRecord], list[str]]


def cache_path(repo: Path) -> Path | None:
    """Where the cache of ``repo`` lives: inside its ``.git`` folder; None without one (a
    worktree or submodule, whose ``.git`` is a file: no cache there)."""
    git_dir = repo / ".git"
    return git_dir / CACHE_FILE if git_dir.is_dir() else None


def cached_records(git: Git, path: Path, read: Callable[[], Records]) -> Records:
    """The records ``read`` returns, from the cache at ``path`` when it holds this set of tags."""
    listing = git.run(["for-each-ref", "--format=%(refname) %(objectname)", "refs/tags/"])
    key = hashlib.sha256(listing.stdout).hexdigest()
    found = _load(path, key)
    if found is not None:
        return found
    records = read()
    _store(path, key, records)
    return records


def _load(path: Path, key: str) -> Records | None:
    try:
        data = json.loads(path.read_bytes())
        if data.get("format") != FORMAT_VERSION or data.get("key") != key:
            return None
        records = [
            TagRecord(name, RegistryTag(model, Action(action), version, stage, counter),
                      commit, time, tagger, email, subject, body)
            for (name, model, action, version, stage, counter, commit, time, tagger, email,
                 subject, body) in data["records"]
        ]
        return records, [str(name) for name in data["lightweight"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _store(path: Path, key: str, records: Records) -> None:
    annotated, lightweight = records
    data = {
        "format": FORMAT_VERSION,
        "key": key,
        "records": [
            [r.name, r.tag.model, r.tag.action.value, r.tag.version, r.tag.stage,
             r.tag.counter, r.commit, r.time, r.tagger, r.tagger_email, r.subject, r.body]
            for r in annotated
        ],
        "lightweight": lightweight,
    }
    try:
        path.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".registry-cache-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, separators=(",", ":"))
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return  # a read-only checkout: no cache, and no harm
