"""The sha256 of a release asset: which hash vouches for it, and how a download is kept or refused.

Both forges read a release asset back the same way (``fetch_release_asset``): the bytes go to a
temporary file next to the destination, hashed as they arrive; the hash is compared with the
best witness there is; only a match is renamed into place. The witnesses, strongest first:

1. ``expected``: the sha256 the caller already knows (the registry recorded it, the deploy
   request names it);
2. ``SHA256SUMS``: the release's own checksum file (``<hex>  <name>`` lines, as ``sha256sum``
   writes them; ``<hex> *<name>`` and BSD ``SHA256 (<name>) = <hex>`` are read too);
3. ``digest``: what the forge itself recorded at upload (GitHub's ``sha256:<hex>``, the
   outbox's ``release.json``).

A mismatch means the model in the release is not the one that was registered: the run must
stop (``UserError``, exit 2), and no file is left at the destination.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from mlops_ci.digest import sha256_file
from mlops_ci.errors import UserError
from mlops_ci.forge.protocol import FetchResult, Outcome, VerifiedBy

SUMS_NAME = "SHA256SUMS"
MAX_SUMS_BYTES = 1 << 20  # a checksum file of a model release is a few lines
CHUNK = 1 << 20

_HEX = re.compile(r"[0-9a-fA-F]{64}")
_GNU_LINE = re.compile(r"\\?([0-9a-fA-F]{64}) [ *](.+)")
_BSD_LINE = re.compile(r"SHA256 \((.+)\) = ([0-9a-fA-F]{64})")
_SOURCES: dict[VerifiedBy, str] = {
    "expected": "the expected sha256",
    "SHA256SUMS": f"the release's {SUMS_NAME}",
    "digest": "the digest the forge recorded at upload",
}


def check_sha256(value: str, what: str = "expected sha256") -> str:
    """``value`` as 64 lower-case hex digits (a ``sha256:`` prefix is accepted)."""
    bare = value.strip().removeprefix("sha256:")
    if _HEX.fullmatch(bare) is None:
        raise UserError(f"{what} {value!r} is not 64 hex digits")
    return bare.lower()


def parse_sha256sums(text: str, source: str) -> dict[str, str]:
    """Asset name -> sha256 from a ``SHA256SUMS`` text; lines of other forms are skipped.

    A name listed twice with different hashes makes the file untrustworthy: ``UserError``.
    """
    sums: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        gnu = _GNU_LINE.fullmatch(line)
        bsd = None if gnu else _BSD_LINE.fullmatch(line)
        if gnu is not None:
            digest, name = gnu.group(1).lower(), gnu.group(2)
        elif bsd is not None:
            name, digest = bsd.group(1), bsd.group(2).lower()
        else:
            continue
        name = name.removeprefix("./")
        if sums.get(name, digest) != digest:
            raise UserError(
                f"{source}: line {number}: {name!r} is listed twice with different sha256"
            )
        sums[name] = digest
    return sums


def render_sha256sums(digests: Mapping[str, str]) -> str:
    """A ``SHA256SUMS`` text (``sha256sum`` format, sorted by name) for ``name -> sha256``."""
    lines = []
    for name in sorted(digests):
        if "\n" in name or "\r" in name or not name.strip():
            raise UserError(f"asset name {name!r} cannot be listed in {SUMS_NAME}")
        lines.append(f"{check_sha256(digests[name], f'sha256 of {name!r}')}  {name}\n")
    return "".join(lines)


def verified_sums(data: bytes, digest: str | None, source: str) -> dict[str, str]:
    """``parse_sha256sums`` of a ``SHA256SUMS`` read back, checked against its own ``digest``.

    A checksum file that is not what was uploaded, too large or not text is ``UserError``.
    """
    actual = hashlib.sha256(data).hexdigest()
    if digest is not None and actual != check_sha256(digest, f"recorded digest of {source}"):
        raise UserError(
            f"{source} has sha256 {actual}, but the forge recorded {digest} at upload",
            hint="the checksum file was changed or corrupted; register the version again",
        )
    if len(data) > MAX_SUMS_BYTES:
        raise UserError(f"{source} is larger than {MAX_SUMS_BYTES} bytes; not a checksum file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{source} is not UTF-8 text; not a checksum file") from None
    return parse_sha256sums(text, source)


@dataclass(frozen=True, slots=True)
class Expected:
    """The sha256 an asset must have, and who says so."""

    sha256: str
    source: VerifiedBy


def expected_hash(
    name: str,
    expected_sha256: str | None,
    sums: Mapping[str, str] | None,
    digest: str | None,
) -> Expected | None:
    """The strongest witness for asset ``name`` (see the module docstring), or ``None``."""
    if expected_sha256 is not None:
        return Expected(check_sha256(expected_sha256), "expected")
    if sums is not None and name in sums:
        return Expected(sums[name], "SHA256SUMS")
    if digest:
        return Expected(check_sha256(digest, f"recorded digest of {name!r}"), "digest")
    return None


def digest_of(asset: Mapping[str, object]) -> str | None:
    """The sha256 in a GitHub asset's ``digest`` (``sha256:<hex>``), if it reports one."""
    digest = asset.get("digest")
    if isinstance(digest, str) and digest.startswith("sha256:"):
        return digest.removeprefix("sha256:")
    return None


def already_there(tag: str, name: str, dest: Path, expected: Expected | None) -> FetchResult | None:
    """``FOUND`` if ``dest`` already holds the expected bytes (a rerun needs no download)."""
    if expected is None or not dest.is_file() or sha256_file(dest) != expected.sha256:
        return None
    return FetchResult(Outcome.FOUND, tag, name, dest, expected.sha256, expected.source)


class PartFile:
    """A temporary file beside ``dest``, hashed as written; ``keep`` renames it into place.

    Leaving the ``with`` block without ``keep`` removes it, so an interrupted or refused
    download never leaves a partial file behind, and ``dest`` only ever holds whole files.
    """

    def __init__(self, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        self.dest = dest
        self.path = Path(name)
        self._stream = os.fdopen(handle, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def __enter__(self) -> PartFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.discard()

    def restart(self) -> None:
        """Forget what was written (a retried download starts over)."""
        self._stream.seek(0)
        self._stream.truncate()
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._stream.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def keep(self) -> None:
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        self.path.chmod(0o644)  # mkstemp's 0600 would hide the model from a container's user
        self.path.replace(self.dest)

    def discard(self) -> None:
        if not self._stream.closed:
            self._stream.close()
        self.path.unlink(missing_ok=True)


class ChecksumMismatch(UserError):
    """A fetched asset's bytes are not the ones its release vouches for (exit 2 where no
    caller knows better); ``tag`` and ``name`` say which asset."""

    def __init__(self, message: str, *, tag: str, name: str, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.tag = tag
        self.name = name


def settle(part: PartFile, tag: str, name: str, expected: Expected | None) -> FetchResult:
    """Keep ``part`` as its destination if it matches ``expected``; else refuse it.

    On a mismatch nothing is left at the destination (a stale file there is removed too, so
    no later step can mistake it for the verified model) and ``ChecksumMismatch`` names the
    tag, the asset, both hashes and who vouched for the expected one.
    """
    actual = part.sha256
    if expected is not None and actual != expected.sha256:
        part.discard()
        part.dest.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"release {tag}: asset {name!r} has sha256 {actual}, but {_SOURCES[expected.source]}"
            f" is {expected.sha256}; the file was not kept",
            tag=tag,
            name=name,
            hint="the release asset was changed or corrupted after it was registered; do not"
            " use it: find out who changed it, then register the version again",
        )
    part.keep()
    verified_by = expected.source if expected is not None else None
    return FetchResult(Outcome.FOUND, tag, name, part.dest, actual, verified_by)


def copy_verified(
    source: Path, dest: Path, tag: str, name: str, expected: Expected | None
) -> FetchResult:
    """Copy a local asset file to ``dest`` the way a download is kept (see ``settle``)."""
    found = already_there(tag, name, dest, expected)
    if found is not None:
        return found
    with PartFile(dest) as part, source.open("rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            part.write(chunk)
        return settle(part, tag, name, expected)
