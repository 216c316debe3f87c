"""``python -m mlops_ci.serving.fetch``: put a version's model file where the server reads it.

The init container of a KServe ``InferenceService`` runs it before the model server starts:
``--url`` is the release asset (the model file of the version's release), ``--sha256`` the
checksum the release recorded, ``--dir`` the shared volume (``/mnt/models``). The file is
downloaded to a temporary name, its sha256 checked, and only then renamed to ``model.skops``; a
checksum that differs leaves nothing behind and exits 2, so the server never starts on bytes that
are not the release's. ``--columns`` (a JSON list, see ``serving.columns``) is written beside it
as ``columns.json``. A token in ``GITHUB_TOKEN`` (from a Secret, for a private repository) is
sent as ``Authorization: Bearer``; network failures are retried a few times, then exit 3.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

MODEL_FILE = "model.skops"
COLUMNS_FILE = "columns.json"
ATTEMPTS = 4
CHUNK = 1 << 20


class ChecksumMismatch(Exception):
    pass


def fetch(url: str, sha256: str, folder: Path, environ: Mapping[str, str]) -> Path:
    """Download ``url`` into ``folder/model.skops`` once its sha256 is ``sha256``."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{MODEL_FILE}.partial"
    headers = {"Accept": "application/octet-stream", "User-Agent": "mlops-ci-fetch"}
    token = environ.get("GITHUB_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 -- http(s) from our manifest
    with urllib.request.urlopen(request, timeout=60) as answer, partial.open("wb") as out:  # noqa: S310
        while chunk := answer.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256.lower():
        partial.unlink()
        raise ChecksumMismatch(f"{url}: sha256 {digest.hexdigest()}, the release records {sha256}")
    destination = folder / MODEL_FILE
    partial.replace(destination)
    return destination


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlops_ci.serving.fetch", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--sha256", required=True)
    parser.add_argument("--dir", type=Path, required=True, dest="folder")
    parser.add_argument("--columns", default=None, help="the inputs' schema, a JSON list")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not args.url.startswith(("https://", "http://")):
        sys.stderr.write(f"error: --url {args.url!r} is not an http(s) URL\n")
        return 2
    for attempt in range(1, ATTEMPTS + 1):
        try:
            path = fetch(args.url, args.sha256, args.folder, environ)
            break
        except ChecksumMismatch as error:
            sys.stderr.write(f"error: {error}\n")
            return 2
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == ATTEMPTS:
                sys.stderr.write(f"error: {args.url}: HTTP {error.code} {error.reason}\n")
                return 2 if error.code < 500 else 3
        except (urllib.error.URLError, OSError) as error:
            if attempt == ATTEMPTS:
                sys.stderr.write(f"error: {args.url}: {error} (tried {ATTEMPTS} times)\n")
                return 3
        time.sleep(2**attempt)
    if args.columns is not None:
        (args.folder / COLUMNS_FILE).write_text(args.columns + "\n", encoding="utf-8")
    sys.stdout.write(f"fetched {path} (sha256 {args.sha256})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
