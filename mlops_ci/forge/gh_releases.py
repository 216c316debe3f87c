"""The GitHub release of a registered model version, idempotent by its tag.

``ensure_release`` finds the release by tag (drafts included), or creates it as a DRAFT; uploads
each asset unless one of that name with the same sha256 is there (a different one is deleted
and uploaded again); edits name, body and prerelease when they differ; and publishes only when
every asset is present and verified. A rerun after any failure completes what is missing.

Checksums come from the ``digest`` GitHub reports for each asset (``sha256:<hex>``). A server
that reports none (older GitHub Enterprise) cannot prove an asset unchanged, so the asset is
replaced; correct, at the cost of bandwidth. The git tag itself is pushed by the registry;
creating the release names that tag, so GitHub attaches the release to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlops_ci.digest import sha256_file
from mlops_ci.errors import ExternalError, UserError
from mlops_ci.forge.checksums import digest_of
from mlops_ci.forge.github import GitHubApi, quote
from mlops_ci.forge.protocol import AssetFile, Outcome, ReleaseResult, kept_published_warning
from mlops_ci.forge.retry import ForgeReadOnly


def find_release(api: GitHubApi, tag: str) -> dict[str, Any] | None:
    """The release of ``tag``, draft or published, or ``None``.

    ``GET /releases/tags/{tag}`` does not see drafts, so the list is searched: its first page
    (newest first) holds a draft we just made; past it, the tag endpoint answers for
    published releases before the remaining pages are read.
    """
    pages = api.pages(f"{api.repo}/releases")
    first = next(pages, [])
    for release in first:
        if release.get("tag_name") == tag:
            return dict(release)
    if len(first) < 100:
        return None
    published = api.get_or_none(f"{api.repo}/releases/tags/{quote(tag)}")
    if published is not None:
        return dict(published)
    for page in pages:
        for release in page:
            if release.get("tag_name") == tag:
                return dict(release)
    return None


def _assets(api: GitHubApi, release_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in api.pages(f"{api.repo}/releases/{release_id}/assets"):
        found.extend(page)
    return found


def _upload(
    api: GitHubApi, release: dict[str, Any], asset: AssetFile, digest: str
) -> dict[str, Any]:
    release_id = int(release["id"])

    def read_back() -> dict[str, Any] | None:
        for present in _assets(api, release_id):
            if present.get("name") != asset.name:
                continue
            if digest_of(present) == digest and present.get("state", "uploaded") == "uploaded":
                return present
            api.delete_if_present(f"{api.repo}/releases/assets/{present['id']}")  # partial
        return None

    uploaded = api.upload(str(release["upload_url"]), asset.name, asset.path, read_back)
    return dict(uploaded)


def _check_assets(assets: Sequence[AssetFile]) -> dict[str, str]:
    digests: dict[str, str] = {}
    for asset in assets:
        if not asset.path.is_file():
            raise UserError(f"release asset {asset.name!r}: {asset.path} is not a file")
        if asset.name in digests:
            raise UserError(f"release asset name {asset.name!r} is given twice")
        digests[asset.name] = sha256_file(asset.path)
    return digests


def ensure_release(
    api: GitHubApi,
    tag: str,
    name: str,
    body: str,
    assets: Sequence[AssetFile],
    *,
    prerelease: bool = False,
) -> ReleaseResult:
    digests = _check_assets(assets)
    try:
        return _ensure(api, tag, name, body, assets, digests, prerelease)
    except ForgeReadOnly as error:
        return ReleaseResult(Outcome.READ_ONLY, tag, warning=error.message)


def _published_since(api: GitHubApi, tag: str) -> bool:
    """Whether another run published the release since this one read it (re-read before a
    delete, so a concurrent run never takes a file out of a published version)."""
    current = find_release(api, tag)
    return current is not None and not current.get("draft")


def _ensure(
    api: GitHubApi,
    tag: str,
    name: str,
    body: str,
    assets: Sequence[AssetFile],
    digests: dict[str, str],
    prerelease: bool,
) -> ReleaseResult:
    release = find_release(api, tag)
    created = release is None
    if release is None:
        release = dict(
            api.create(
                f"release {tag}",
                f"{api.repo}/releases",
                {
                    "tag_name": tag,
                    "name": name,
                    "body": body,
                    "draft": True,
                    "prerelease": prerelease,
                },
                lambda: find_release(api, tag),
            )
        )
    release_id = int(release["id"])
    present = {str(a.get("name")): dict(a) for a in release.get("assets") or []}
    uploaded: list[str] = []
    kept: list[str] = []
    replaced: list[str] = []
    verified: dict[str, str | None] = {}
    published_differs: list[str] = []
    for asset in assets:
        existing = present.get(asset.name)
        if existing is not None and digest_of(existing) == digests[asset.name]:
            kept.append(asset.name)
            verified[asset.name] = digests[asset.name]
            continue
        if existing is not None and (not release.get("draft") or _published_since(api, tag)):
            # A published release was complete and verified when it was published: its files
            # are the version's and are never replaced (a concurrent or later run's retrained
            # file differs in bytes, not in meaning). Missing files are still added.
            kept.append(asset.name)
            published_differs.append(asset.name)
            continue
        if existing is not None:
            api.delete_if_present(f"{api.repo}/releases/assets/{existing['id']}")
            replaced.append(asset.name)
        else:
            uploaded.append(asset.name)
        answer = _upload(api, release, asset, digests[asset.name])
        verified[asset.name] = digest_of(answer)
    mismatched = [n for n, d in verified.items() if d is not None and d != digests[n]]
    if mismatched:
        raise ExternalError(
            f"release {tag}: GitHub reports another sha256 for {', '.join(mismatched)}"
            " than the uploaded file; the release stays a draft",
            hint="rerun the job to upload the assets again",
        )
    changes: dict[str, Any] = {}
    if release.get("name") != name:
        changes["name"] = name
    if (release.get("body") or "") != body:
        changes["body"] = body
    if bool(release.get("prerelease")) != prerelease:
        changes["prerelease"] = prerelease
    was_draft = bool(release.get("draft"))
    if was_draft:
        changes["draft"] = False  # every asset is present and verified by now
    if changes:
        release = dict(api.send("PATCH", f"{api.repo}/releases/{release_id}", changes))
    if created:
        outcome = Outcome.CREATED
    elif changes or uploaded or replaced:
        outcome = Outcome.UPDATED
    else:
        outcome = Outcome.UNCHANGED
    return ReleaseResult(
        outcome,
        tag,
        release_id,
        str(release.get("html_url") or ""),
        uploaded=tuple(uploaded),
        kept=tuple(kept),
        replaced=tuple(replaced),
        published=not bool(release.get("draft")),
        warning=kept_published_warning(tag, published_differs),
    )
