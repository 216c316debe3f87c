"""Releases and their assets, uploads at ``/api/uploads`` as GitHub Enterprise Server takes them.

As on GitHub: a draft release owns no tag (``GET /releases/tags/{tag}`` does not find it and
several drafts may share a tag name); publishing a release creates its tag ref from
``target_commitish`` when missing; a second published release for a tag is
``422 already_exists``; an asset name is unique within its release.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from . import paging, shapes
from .routing import Call, Reply, Router, field_error, invalid, not_found
from .state import Asset, Release, RepoState, now_iso

RELEASES = "/api/v3/repos/{owner}/{repo}/releases"
ASSET = RELEASES + "/assets/{asset_id}"
STORAGE = "/_storage/releases/{asset_id}/{name}"
"""The storage host's URL of an asset's bytes (``Store.redirect_downloads``)."""


def register(router: Router) -> None:
    router.add("GET", RELEASES, list_releases)
    router.add("POST", RELEASES, create_release)
    router.add("GET", RELEASES + "/latest", get_latest_release)
    router.add("GET", RELEASES + "/tags/{tag+}", get_release_by_tag)
    router.add("GET", ASSET, get_asset)
    router.add("PATCH", ASSET, update_asset)
    router.add("DELETE", ASSET, delete_asset)
    router.add("GET", RELEASES + "/{release_id}", get_release)
    router.add("PATCH", RELEASES + "/{release_id}", update_release)
    router.add("DELETE", RELEASES + "/{release_id}", delete_release)
    router.add("GET", RELEASES + "/{release_id}/assets", list_assets)
    router.add("POST", "/api/uploads/repos/{owner}/{repo}/releases/{release_id}/assets",
               upload_asset)
    router.add("GET", "/{owner}/{repo}/releases/download/{tag}/{name}", download_by_name)
    router.add("GET", STORAGE, download_from_storage)


def _release(call: Call, repo: RepoState) -> Release:
    release = repo.release_map.get(call.int_param("release_id"))
    if release is None:
        raise not_found()
    return release


def _asset(call: Call, repo: RepoState) -> Asset:
    asset = repo.asset_map.get(call.int_param("asset_id"))
    if asset is None:
        raise not_found()
    return asset


def _string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid(f"Invalid request.\n\nFor '{key}', {value!r} is not a string.")
    return value


def _flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise invalid(f"Invalid request.\n\nFor '{key}', {value!r} is not a boolean.")
    return value


def _claim_tag(repo: RepoState, release: Release) -> None:
    """Publishing: refuse a tag another published release holds; create the ref if missing."""
    for other in repo.release_map.values():
        if other.id != release.id and not other.draft and other.tag_name == release.tag_name:
            raise field_error("Release", "tag_name", "already_exists")
    ref = f"refs/tags/{release.tag_name}"
    if ref in repo.ref_map:
        return
    sha = repo.resolve(release.target_commitish)
    if sha is None:
        raise field_error("Release", "target_commitish", "invalid")
    repo.ref_map[ref] = sha


def list_releases(call: Call) -> Reply:
    repo = call.repo
    releases = sorted(repo.release_map.values(), key=lambda r: -r.id)
    return paging.page(call, [shapes.release(call.urls, repo, r) for r in releases])


def create_release(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    tag_name = _string(body, "tag_name")
    if not tag_name:
        raise field_error("Release", "tag_name", "missing_field")
    draft = _flag(body, "draft", False)
    stamp = now_iso()
    release = Release(
        id=call.store.ids.next(), tag_name=tag_name,
        target_commitish=_string(body, "target_commitish") or repo.default_branch,
        name=_string(body, "name"), body=_string(body, "body"), draft=draft,
        prerelease=_flag(body, "prerelease", False), author=call.token.user,
        created_at=stamp, published_at=None if draft else stamp,
        make_latest=str(body.get("make_latest", "true")),
    )
    if not draft:
        _claim_tag(repo, release)
    repo.release_map[release.id] = release
    json = shapes.release(call.urls, repo, release)
    return Reply(201, json, {"Location": json["url"]})


def get_release(call: Call) -> Reply:
    repo = call.repo
    return Reply(200, shapes.release(call.urls, repo, _release(call, repo)))


def get_latest_release(call: Call) -> Reply:
    repo = call.repo
    published = [r for r in repo.release_map.values() if not r.draft and not r.prerelease]
    if not published:
        raise not_found()
    latest = max(published, key=lambda r: (r.published_at or "", r.id))
    return Reply(200, shapes.release(call.urls, repo, latest))


def get_release_by_tag(call: Call) -> Reply:
    repo = call.repo
    for release in sorted(repo.release_map.values(), key=lambda r: r.id):
        if not release.draft and release.tag_name == call.params["tag"]:
            return Reply(200, shapes.release(call.urls, repo, release))
    raise not_found()


def update_release(call: Call) -> Reply:
    """All or nothing: a refused change (a tag another release holds) leaves it as it was."""
    repo, body = call.repo, call.body()
    current = _release(call, repo)
    changed = replace(current, prerelease=_flag(body, "prerelease", current.prerelease),
                      draft=_flag(body, "draft", current.draft))
    for key in ("tag_name", "target_commitish", "name", "body"):
        if key in body:
            value = _string(body, key)
            if key in ("tag_name", "target_commitish") and not value:
                raise field_error("Release", key, "invalid")
            setattr(changed, key, value)
    if not changed.draft:
        _claim_tag(repo, changed)
        if current.draft:
            changed.published_at = now_iso()
    repo.release_map[changed.id] = changed
    return Reply(200, shapes.release(call.urls, repo, changed))


def delete_release(call: Call) -> Reply:
    repo = call.repo
    release = _release(call, repo)
    for asset_id in [a.id for a in repo.asset_map.values() if a.release_id == release.id]:
        del repo.asset_map[asset_id]
    del repo.release_map[release.id]
    return Reply(204)


def list_assets(call: Call) -> Reply:
    repo = call.repo
    release = _release(call, repo)
    assets = [a for a in repo.asset_map.values() if a.release_id == release.id]
    return paging.page(call, [shapes.asset(call.urls, repo, a) for a in assets])


def upload_asset(call: Call) -> Reply:
    repo = call.repo
    release = _release(call, repo)
    name = call.query.get("name")
    if not name:
        raise field_error("ReleaseAsset", "name", "missing_field")
    if any(a.release_id == release.id and a.name == name for a in repo.asset_map.values()):
        raise field_error("ReleaseAsset", "name", "already_exists")
    stamp = now_iso()
    asset = Asset(
        id=call.store.ids.next(), release_id=release.id, name=name,
        label=call.query.get("label") or None,
        content_type=call.headers.get("content-type") or "application/octet-stream",
        data=call.raw_body, uploader=call.token.user, created_at=stamp, updated_at=stamp,
    )
    repo.asset_map[asset.id] = asset
    return Reply(201, shapes.asset(call.urls, repo, asset))


def _bytes(asset: Asset) -> Reply:
    asset.download_count += 1
    return Reply(200, asset.data, {"Content-Disposition": f"attachment; filename={asset.name}"},
                 content_type="application/octet-stream")


def _signature(asset: Asset) -> str:
    return hashlib.sha256(f"fake-storage:{asset.id}:{asset.name}".encode()).hexdigest()[:32]


def get_asset(call: Call) -> Reply:
    repo = call.repo
    asset = _asset(call, repo)
    if "application/octet-stream" not in call.headers.get("accept", ""):
        return Reply(200, shapes.asset(call.urls, repo, asset))
    if not call.store.redirect_downloads:
        return _bytes(asset)
    location = (f"{call.urls.storage}/releases/{asset.id}/{quote(asset.name, safe='')}"
                f"?X-Fake-Signature={_signature(asset)}")
    return Reply(302, None, {"Location": location})


def download_from_storage(call: Call) -> Reply:
    """The storage host behind a redirect: a signed URL, and, like S3 with a presigned URL,
    a 400 for a request that also carries an ``Authorization`` header."""
    if "authorization" in call.headers:
        return Reply(400, b"<Error><Code>InvalidArgument</Code><Message>Only one auth"
                     b" mechanism allowed</Message></Error>", content_type="application/xml")
    for repo in call.store.repos.values():
        asset = repo.asset_map.get(call.int_param("asset_id"))
        if asset is not None and asset.name == call.params["name"]:
            if call.query.get("X-Fake-Signature") != _signature(asset):
                return Reply(403, b"<Error><Code>AccessDenied</Code></Error>",
                             content_type="application/xml")
            return _bytes(asset)
    raise not_found()


def update_asset(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    asset = _asset(call, repo)
    name = _string(body, "name")
    if name and name != asset.name and any(
        a.release_id == asset.release_id and a.name == name for a in repo.asset_map.values()
    ):
        raise field_error("ReleaseAsset", "name", "already_exists")
    asset.name = name or asset.name
    if "label" in body:
        asset.label = _string(body, "label")
    asset.updated_at = now_iso()
    return Reply(200, shapes.asset(call.urls, repo, asset))


def delete_asset(call: Call) -> Reply:
    repo = call.repo
    del repo.asset_map[_asset(call, repo).id]
    return Reply(204)


def download_by_name(call: Call) -> Reply:
    """``browser_download_url``: the bytes of a published release's asset."""
    repo = call.repo
    for release in repo.release_map.values():
        if release.draft or release.tag_name != call.params["tag"]:
            continue
        for asset in repo.asset_map.values():
            if asset.release_id == release.id and asset.name == call.params["name"]:
                return _bytes(asset)
    raise not_found()
