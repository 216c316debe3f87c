"""Releases and assets through PyGithub, uploads on the same host at /api/uploads."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import github
import pytest
import requests

from tests.fakegithub import FakeGitHub


def test_upload_download_and_delete_an_asset(fake_github: FakeGitHub, tmp_path: Path) -> None:
    state = fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    model = tmp_path / "model.skops"
    model.write_bytes(b"\x00model bytes\xff" * 1000)
    release = repo.create_git_release("churn@v1.4.0", "churn v1.4.0", "metrics")

    assert release.upload_url.startswith(f"{fake_github.api_url.removesuffix('/v3')}/uploads/")
    asset = release.upload_asset(str(model), content_type="application/octet-stream")
    _, _, chunks = asset.download_asset(chunk_size=None)
    downloaded = b"".join(chunks)

    assert (asset.name, asset.size) == ("model.skops", model.stat().st_size)
    assert downloaded == model.read_bytes()
    assert asset.digest == f"sha256:{hashlib.sha256(downloaded).hexdigest()}"
    assert [a.name for a in release.get_assets()] == ["model.skops"]
    asset.delete_asset()
    assert state.assets(release.id) == []


def test_browser_download_url_serves_the_bytes(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    release = fake_github.client().get_repo("octo/churn").create_git_release("churn@v1", "", "")
    asset = release.upload_asset_from_memory(io.BytesIO(b"card"), 4, "card.md")

    assert requests.get(asset.browser_download_url, timeout=5).content == b"card"


def test_second_release_for_a_tag_is_422_already_exists(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    repo.create_git_release("churn@v1.4.0", "churn v1.4.0", "")

    with pytest.raises(github.GithubException) as raised:
        repo.create_git_release("churn@v1.4.0", "again", "")

    assert raised.value.status == 422
    assert raised.value.data["errors"][0]["code"] == "already_exists"
    assert raised.value.data["errors"][0]["field"] == "tag_name"
    assert len(fake_github.repo("octo/churn").releases) == 1


def test_duplicate_asset_name_is_422_already_exists(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    release = fake_github.client().get_repo("octo/churn").create_git_release("v1", "", "")
    release.upload_asset_from_memory(io.BytesIO(b"a"), 1, "model.skops")

    with pytest.raises(github.GithubException) as raised:
        release.upload_asset_from_memory(io.BytesIO(b"b"), 1, "model.skops")

    assert raised.value.status == 422
    assert raised.value.data["errors"][0] == {
        "resource": "ReleaseAsset", "code": "already_exists", "field": "name"}


def test_a_draft_owns_no_tag_until_published(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    draft = repo.create_git_release("churn@v2.0.0", "v2", "", draft=True)

    with pytest.raises(github.UnknownObjectException):
        repo.get_release("churn@v2.0.0")
    assert "churn@v2.0.0" not in state.tags
    published = draft.update_release("v2", "", draft=False)

    assert published.draft is False
    assert published.published_at is not None
    assert repo.get_release("churn@v2.0.0").id == draft.id
    assert state.tags["churn@v2.0.0"] == state.refs["refs/heads/main"]


def test_publishing_a_release_tags_its_target_branch(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    state.set_ref("refs/heads/release", "f" * 40)

    fake_github.client().get_repo("octo/churn").create_git_release(
        "churn@v1", "", "", target_commitish="release")

    assert state.tags == {"churn@v1": "f" * 40}


def test_deleting_a_release_removes_it_and_its_assets(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    release = repo.create_git_release("v1", "", "")
    release.upload_asset_from_memory(io.BytesIO(b"a"), 1, "a.bin")

    release.delete_release()

    assert state.releases == []
    assert state.assets(release.id) == []
    with pytest.raises(github.UnknownObjectException):
        repo.get_release(release.id)


def test_publishing_a_draft_onto_a_taken_tag_is_refused_and_changes_nothing(
        fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    repo.create_git_release("churn@v1", "v1", "")
    draft = repo.create_git_release("churn@v2", "v2", "", draft=True)

    with pytest.raises(github.GithubException) as raised:
        draft.update_release("v2", "", draft=False, tag_name="churn@v1")

    assert raised.value.status == 422
    unchanged = next(r for r in state.releases if r.id == draft.id)
    assert (unchanged.tag_name, unchanged.draft) == ("churn@v2", True)


def test_redirected_download_goes_to_a_storage_host_that_refuses_the_token(
        fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    release = fake_github.client().get_repo("octo/churn").create_git_release("churn@v1", "", "")
    asset = release.upload_asset_from_memory(io.BytesIO(b"model"), 5, "model.skops")
    fake_github.redirect_downloads = True
    headers = {"Authorization": f"token {fake_github.token}", "Accept": "application/octet-stream"}

    redirect = requests.get(asset.url, headers=headers, timeout=5, allow_redirects=False)
    location = redirect.headers["Location"]
    with_token = requests.get(location, headers=headers, timeout=5)
    unsigned = requests.get(location.split("?")[0], timeout=5)
    followed = requests.get(asset.url, headers=headers, timeout=5)  # requests drops the token

    assert redirect.status_code == 302
    assert location.startswith(f"http://localhost:{fake_github.port}/_storage/")
    assert (with_token.status_code, unsigned.status_code) == (400, 403)
    assert (followed.status_code, followed.content) == (200, b"model")
