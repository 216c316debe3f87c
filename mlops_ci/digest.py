"""The sha256 of a file: what releases, model files and deployments are checked by."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The file's sha256 as 64 lowercase hex digits, read in 1 MiB chunks (any size)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
