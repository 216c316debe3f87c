"""A cache of the registry's tags, for the read-only ``registry show`` and ``history``.

Reading 10,000 annotated tags costs git a peel of every tag object (``%(*objectname)``) and a
read of its message; the answer depends only on which tag names point at which tag objects, and
tag objects never change. So the cache holds git's own output for that exact set of tags, keyed
by the sha256 of ``git for-each-ref --format=LISTING`` (names and object ids only: no object is
read, about ten times cheaper than the full read) and of the full read's format. Any tag added,
deleted or moved changes the key, and the next read asks git again and rewrites the cache.

The first read costs no extra git call and no serialisation: the key is the listing the full
read's own output holds (:attr:`RefsParser.listing`), and the file is the bytes git wrote, after
one header line ``mlops-ci-registry-cache KEY LENGTH``. So the key always describes the records
beside it, even when a tag changes while they are read. A read with the cache parses the stored
bytes with the same parser, and runs only the listing.

It lives in ``.git/mlops-ci/registry-cache`` (never in the worktree), is written atomically (a
temporary file, then a rename), and a cache that cannot be read, written or understood is
ignored: the tags are read as without it. Only the human-facing read commands use it; what
registers, promotes or deploys always reads the tags themselves.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from mlops_ci.backends.git import Git
from mlops_ci.registry.refs import FORMAT, LISTING, RefsParser
from mlops_ci.registry.state import TagRecord

CACHE_FILE = Path("mlops-ci") / "registry-cache"
MAGIC = b"mlops-ci-registry-cache"
Records = tuple[list[TagRecord], list[str]]


def cache_path(repo: Path) -> Path | None:
    """Where the cache of ``repo`` lives: inside its ``.git`` folder; None without one (a
    worktree or submodule, whose ``.git`` is a file: no cache there)."""
    git_dir = repo / ".git"
    return git_dir / CACHE_FILE if git_dir.is_dir() else None


def cached_records(git: Git, path: Path, read: Callable[[], Iterable[bytes]]) -> Records:
    """The registry tags in the output ``read`` streams (``git for-each-ref --format=FORMAT
    refs/tags/``), or in the cache at ``path`` when it holds this set of tags."""
    stored = _load(path)
    if stored is not None:
        key, output = stored
        listing = git.run(["for-each-ref", f"--format={LISTING}", "refs/tags/"])
        if key == listing_key(listing.stdout.decode("utf-8", errors="replace")):
            parsed = _parse([output])
            if parsed is not None:
                return parsed.records, parsed.lightweight
    kept: list[bytes] = []
    parser = RefsParser()
    for chunk in _keeping(read(), kept):
        parser.feed(chunk)
    parser.close()
    _store(path, listing_key(parser.listing), kept)
    return parser.records, parser.lightweight


def listing_key(listing: str) -> str:
    """The cache key of the tags ``listing`` (``for-each-ref --format=LISTING``'s output) names,
    read with :data:`FORMAT`: a cache written by another format is another cache."""
    return hashlib.sha256(f"{FORMAT}\n{listing}".encode()).hexdigest()


def _keeping(chunks: Iterable[bytes], kept: list[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        kept.append(chunk)
        yield chunk


def _parse(chunks: Iterable[bytes]) -> RefsParser | None:
    parser = RefsParser()
    try:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    except ValueError:  # not git's output (a tagger date that is no number, fields missing)
        return None
    return parser


def _load(path: Path) -> tuple[str, bytes] | None:
    """The key and git's output the cache at ``path`` holds, if it is whole."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header, newline, output = data.partition(b"\n")
    fields = header.split(b" ")
    if not newline or len(fields) != 3 or fields[0] != MAGIC or not fields[2].isdigit():
        return None
    if int(fields[2]) != len(output):
        return None  # cut short: its key is no promise about the records
    return fields[1].decode("ascii", errors="replace"), output


def _store(path: Path, key: str, output: list[bytes]) -> None:
    length = sum(len(chunk) for chunk in output)
    try:
        path.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".registry-cache-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(b"%s %s %d\n" % (MAGIC, key.encode(), length))
                out.writelines(output)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return  # a read-only checkout: no cache, and no harm
