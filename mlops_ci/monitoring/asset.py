"""Production data kept as a release asset (``monitor.release_asset``).

The release read is the one of the version now in production (its registration tag, e.g.
``churn@v1.4.0``): the release that serves is where its production logs are collected, and the
forge reads assets by tag. The asset is downloaded into the run's scratch folder and verified
as every release asset is (``SHA256SUMS`` or the forge's digest). A release or asset that is
not there is a ``UserError``: the schedule was told to compare data that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlops_ci.errors import UserError
from mlops_ci.forge.protocol import Forge, Outcome


@dataclass(frozen=True, slots=True)
class FetchedAsset:
    path: Path
    display: str  # "NAME from release TAG"


def fetch_release_data(forge: Forge, tag: str, name: str, scratch: Path) -> FetchedAsset:
    """Asset ``name`` of the published release of ``tag``, downloaded under ``scratch``."""
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise UserError(f"monitor.release_asset {name!r} must be a file name, not a path")
    result = forge.fetch_release_asset(tag, name, scratch / "release-asset" / name)
    if result.outcome is Outcome.MISSING_RELEASE:
        raise UserError(
            f"monitor.release_asset: there is no published release {tag!r} to read {name!r} from",
            hint="publish the release of the version in production, or use production_data",
        )
    if result.outcome is not Outcome.FOUND or result.path is None:
        raise UserError(
            f"monitor.release_asset: release {tag!r} has no asset {name!r}",
            hint="upload the production data to that release, or fix the asset name",
        )
    return FetchedAsset(result.path, f"{name} from release {tag}")
