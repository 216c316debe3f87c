"""Git references and annotated tag objects (``/git/refs``, ``/git/ref``, ``/git/tags``).

The fake holds no commits: any 40-hex sha is accepted as an object, and a ref update is never
refused as a non-fast-forward.
"""

from __future__ import annotations

import re
from typing import Any

from . import shapes
from .routing import Answer, Call, Reply, Router, field_error, invalid, not_found
from .state import GitTag, RepoState, fake_sha, now_iso

GIT = "/api/v3/repos/{owner}/{repo}/git"
_SHA = re.compile(r"^[0-9a-f]{40}$")


def register(router: Router) -> None:
    router.add("POST", GIT + "/refs", create_ref)
    router.add("GET", GIT + "/ref/{ref+}", get_ref)
    router.add("GET", GIT + "/matching-refs/{ref+}", matching_refs)
    router.add("PATCH", GIT + "/refs/{ref+}", update_ref)
    router.add("DELETE", GIT + "/refs/{ref+}", delete_ref)
    router.add("POST", GIT + "/tags", create_tag)
    router.add("GET", GIT + "/tags/{tag_sha}", get_tag)


def _sha(body: dict[str, Any], key: str = "sha") -> str:
    sha = body.get(key)
    if not isinstance(sha, str):
        raise invalid(f"Invalid request.\n\n\"{key}\" wasn't supplied.")
    if not _SHA.match(sha):
        raise invalid("Object does not exist")
    return sha


def _existing(call: Call, repo: RepoState) -> str:
    ref = f"refs/{call.params['ref']}"
    if ref not in repo.ref_map:
        raise not_found()
    return ref


def create_ref(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    ref = body.get("ref")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        raise invalid("Reference name must start with 'refs/' and have at least two slashes.")
    sha = _sha(body)
    if ref in repo.ref_map:
        raise invalid("Reference already exists")
    repo.ref_map[ref] = sha
    json = shapes.git_ref(call.urls, repo, ref, sha)
    return Reply(201, json, {"Location": json["url"]})


def get_ref(call: Call) -> Reply:
    repo = call.repo
    ref = _existing(call, repo)
    return Reply(200, shapes.git_ref(call.urls, repo, ref, repo.ref_map[ref]))


def matching_refs(call: Call) -> Reply:
    repo = call.repo
    prefix = f"refs/{call.params['ref']}"
    return Reply(200, [shapes.git_ref(call.urls, repo, ref, sha)
                       for ref, sha in sorted(repo.ref_map.items()) if ref.startswith(prefix)])


def update_ref(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    ref = f"refs/{call.params['ref']}"
    if ref not in repo.ref_map:
        raise invalid("Reference does not exist")
    repo.ref_map[ref] = _sha(body)
    return Reply(200, shapes.git_ref(call.urls, repo, ref, repo.ref_map[ref]))


def delete_ref(call: Call) -> Reply:
    repo = call.repo
    ref = f"refs/{call.params['ref']}"
    if ref not in repo.ref_map:
        raise invalid("Reference does not exist")
    del repo.ref_map[ref]
    return Reply(204)


def create_tag(call: Call) -> Reply:
    repo, body = call.repo, call.body()
    tag, message = body.get("tag"), body.get("message")
    if not isinstance(tag, str) or not tag:
        raise field_error("Tag", "tag", "missing_field")
    if not isinstance(message, str):
        raise field_error("Tag", "message", "missing_field")
    object_sha = _sha(body, "object")
    object_type = body.get("type")
    if object_type not in ("commit", "tree", "blob", "tag"):
        raise field_error("Tag", "type", "invalid")
    tagger = body.get("tagger") or {}
    if not isinstance(tagger, dict):
        raise Answer(Reply(400, shapes.error("Problems parsing JSON")))
    name = str(tagger.get("name", call.token.user.login))
    email = str(tagger.get("email", f"{call.token.user.login}@users.noreply.github.com"))
    date = str(tagger.get("date", now_iso()))
    sha = fake_sha("tag", tag, message, object_sha, object_type, name, email, date)
    item = GitTag(sha, tag, message, object_sha, object_type, name, email, date)
    repo.git_tag_map[sha] = item
    json = shapes.git_tag(call.urls, repo, item)
    return Reply(201, json, {"Location": json["url"]})


def get_tag(call: Call) -> Reply:
    repo = call.repo
    item = repo.git_tag_map.get(call.params["tag_sha"])
    if item is None:
        raise not_found()
    return Reply(200, shapes.git_tag(call.urls, repo, item))
