"""``python -m mlops_ci.serving.fetch``: put a version's model file where the server reads it.

The init container of a KServe ``InferenceService`` runs it before the model server starts.
``--release`` is the GitHub API URL of the version's release
(``{api}/repos/OWNER/REPO/releases/tags/TAG``), ``--asset`` the model file's name in it,
``--sha256`` the checksum the release recorded, ``--dir`` the shared volume (``/mnt/models``).
The release is read through the API (github.com or GitHub Enterprise, public or private alike),
the asset downloaded with ``Accept: application/octet-stream`` to a temporary name, its sha256
checked, and only then renamed to ``model.skops``: a checksum that differs leaves nothing behind
and exits 2, so the server never starts on bytes that are not the release's. A token in
``GITHUB_TOKEN`` (from a Secret; needed for a private repository) goes to the API host only,
never to the storage host GitHub redirects the download to. ``--columns`` (a JSON list, see
``serving.columns``) is written beside the model as ``columns.json``. With ``--compile`` (and
the server's ``--trusted-type`` options), the checked model is then compiled into the same
folder (``model.skops.fused.npz``, ``serving.precompile``), so that the server starts without
scikit-learn; a model the compiled form does not cover, or one that cannot be loaded, is only
said on a line of output (the server then loads the model itself and says what is wrong with
it). Exit 2 for what retrying cannot fix (no such release or asset, a refused token, a checksum
that differs), 3 when the network or GitHub still fails after a few tries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from http.client import HTTPResponse
from pathlib import Path

from mlops_ci.errors import MlopsError
from mlops_ci.serving.columns import read_columns
from mlops_ci.serving.precompile import compile_model

MODEL_FILE = "model.skops"
COLUMNS_FILE = "columns.json"
ATTEMPTS = 4
CHUNK = 1 << 20
TIMEOUT_SECONDS = 60


class FetchRefused(Exception):
    """What retrying cannot fix (exit 2)."""


def _open(url: str, accept: str, environ: Mapping[str, str]) -> HTTPResponse:
    request = urllib.request.Request(  # noqa: S310 -- the http(s) URL of our own manifest
        url, headers={"Accept": accept, "User-Agent": "mlops-ci-fetch"}
    )
    token = environ.get("GITHUB_TOKEN")
    if token:  # unredirected: the storage host's signed URL refuses a second credential
        request.add_unredirected_header("Authorization", f"Bearer {token}")
    try:
        answer: HTTPResponse = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)  # noqa: S310
        return answer
    except urllib.error.HTTPError as error:
        if error.code < 500 and error.code not in (408, 429):
            raise FetchRefused(f"{url}: HTTP {error.code} {error.reason}") from None
        raise


def asset_url(release_url: str, asset: str, environ: Mapping[str, str]) -> str:
    """The API URL of the release's asset named ``asset``."""
    with _open(release_url, "application/vnd.github+json", environ) as answer:
        release = json.load(answer)
    for entry in release.get("assets") or ():
        if entry.get("name") == asset:
            return str(entry["url"])
    raise FetchRefused(f"the release at {release_url} has no asset {asset!r}")


def fetch(release_url: str, asset: str, sha256: str, folder: Path,
          environ: Mapping[str, str]) -> Path:
    """Download the asset into ``folder/model.skops`` once its sha256 is ``sha256``."""
    url = asset_url(release_url, asset, environ)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{MODEL_FILE}.partial"
    digest = hashlib.sha256()
    with _open(url, "application/octet-stream", environ) as answer, partial.open("wb") as out:
        while chunk := answer.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256.lower():
        partial.unlink()
        raise FetchRefused(f"{asset} of {release_url}: sha256 {digest.hexdigest()}, the release "
                           f"records {sha256}")
    destination = folder / MODEL_FILE
    partial.replace(destination)
    return destination


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlops_ci.serving.fetch", description=__doc__)
    parser.add_argument("--release", required=True, help="the release's API URL, by tag")
    parser.add_argument("--asset", required=True, help="the model file's name in the release")
    parser.add_argument("--sha256", required=True)
    parser.add_argument("--dir", type=Path, required=True, dest="folder")
    parser.add_argument("--columns", default=None, help="the inputs' schema, a JSON list")
    parser.add_argument("--compile", action="store_true",
                        help="compile the model beside it for a fast server start")
    parser.add_argument("--trusted-type", action="append", default=[], dest="trusted_types",
                        help="as the server's: the types the model file may hold")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not args.release.startswith(("https://", "http://")):
        sys.stderr.write(f"error: --release {args.release!r} is not an http(s) URL\n")
        return 2
    for attempt in range(1, ATTEMPTS + 1):
        try:
            path = fetch(args.release, args.asset, args.sha256, args.folder, environ)
            break
        except FetchRefused as error:
            sys.stderr.write(f"error: {error}\n")
            return 2
        except (urllib.error.URLError, OSError, ValueError) as error:
            if attempt == ATTEMPTS:
                sys.stderr.write(f"error: fetching {args.asset} from {args.release} failed "
                                 f"{ATTEMPTS} times, last: {error}\n")
                return 3
        time.sleep(2**attempt)
    if args.columns is not None:
        (args.folder / COLUMNS_FILE).write_text(args.columns + "\n", encoding="utf-8")
    sys.stdout.write(f"fetched {path} (sha256 {args.sha256})\n")
    if args.compile:
        sys.stdout.write(compiled(path, args.trusted_types,
                                  args.folder / COLUMNS_FILE if args.columns is not None else None))
    return 0


def compiled(model: Path, trusted_types: Sequence[str], columns_file: Path | None) -> str:
    """The line that says what compiling ``model`` gave: never an error here."""
    try:
        columns = read_columns(columns_file) if columns_file is not None else ()
        done = compile_model(model, trusted_types, columns)
    except MlopsError as error:
        return f"not compiled: {error.message.splitlines()[0]}\n"
    if done.written is None:
        return f"not compiled: {done.reason}\n"
    return f"compiled {done.written} ({done.reason})\n"


if __name__ == "__main__":
    sys.exit(main())
