"""Releases on the fake GitHub: draft first, assets verified by sha256, published last."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlops_ci.errors import ExternalError, UserError
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import AssetFile, Outcome
from mlops_ci.forge.retry import RetryPolicy
from tests.fakegithub import FakeGitHub, Fault
from tests.forge.conftest import MODEL_ASSETS, REPO, make_forge, write_assets

TAG = "churn@v1.4.0"


def assets_of(fake: FakeGitHub) -> dict[str, str]:
    (release,) = fake.repo(REPO).releases
    return {a.name: a.sha256 for a in fake.repo(REPO).assets(release.id)}


def test_new_release_is_drafted_filled_then_published(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    result = forge.ensure_release(
        TAG, "churn v1.4.0", "notes", write_assets(tmp_path, MODEL_ASSETS)
    )
    assert result.outcome is Outcome.CREATED
    assert result.published
    assert sorted(result.uploaded) == sorted(MODEL_ASSETS)
    created = next(w for w in fake.writes() if w.path.endswith("/releases"))
    assert created.body_json["draft"] is True
    assert fake.writes()[-1].method == "PATCH"
    assert fake.writes()[-1].body_json == {"draft": False}
    assert assets_of(fake) == {n: hashlib.sha256(d).hexdigest() for n, d in MODEL_ASSETS.items()}
    (release,) = fake.repo(REPO).releases
    assert (release.tag_name, release.name, release.body, release.draft) == (
        TAG,
        "churn v1.4.0",
        "notes",
        False,
    )


def test_rerun_of_a_complete_release_sends_no_write(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    assets = write_assets(tmp_path, MODEL_ASSETS)
    forge.ensure_release(TAG, "churn v1.4.0", "notes", assets)
    fake.clear_requests()
    result = make_forge(fake).ensure_release(TAG, "churn v1.4.0", "notes", assets)
    assert result.outcome is Outcome.UNCHANGED
    assert sorted(result.kept) == sorted(MODEL_ASSETS)
    assert fake.writes() == []
    assert len(fake.requests) == 1


def test_a_published_release_keeps_its_files_and_gains_missing_ones(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    forge.ensure_release(TAG, "v", "n", write_assets(tmp_path / "old", MODEL_ASSETS))
    changed = {**MODEL_ASSETS, "model.skops": b"retrained model", "extra.txt": b"more"}
    result = forge.ensure_release(TAG, "v", "n", write_assets(tmp_path / "new", changed))
    assert result.outcome is Outcome.UPDATED
    assert result.replaced == ()
    assert result.uploaded == ("extra.txt",)
    assert result.warning is not None and "kept its model.skops" in result.warning
    assert assets_of(fake)["model.skops"] == hashlib.sha256(MODEL_ASSETS["model.skops"]).hexdigest()
    assert len(assets_of(fake)) == 4


def test_a_changed_asset_of_a_draft_is_replaced(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.inject(Fault.HTTP_502, method="POST", path_regex=r"/assets$", nth=3, times=100)
    failing = make_forge(fake, policy=RetryPolicy(attempts=2).scaled(0.001))
    with pytest.raises(ExternalError):
        failing.ensure_release(TAG, "v", "n", write_assets(tmp_path / "old", MODEL_ASSETS))
    fake.clear_faults()
    first = next(iter(MODEL_ASSETS))  # uploaded first, before the fault
    changed = {**MODEL_ASSETS, first: b"another file"}
    result = make_forge(fake).ensure_release(TAG, "v", "n", write_assets(tmp_path / "new", changed))
    assert result.replaced == (first,)
    assert result.published
    assert assets_of(fake)[first] == hashlib.sha256(b"another file").hexdigest()


def test_release_stays_a_draft_until_every_asset_is_there_and_a_rerun_completes_it(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    assets = write_assets(tmp_path, MODEL_ASSETS)
    fake.inject(Fault.HTTP_502, method="POST", path_regex=r"/assets$", nth=3, times=100)
    failing = make_forge(fake, policy=RetryPolicy(attempts=2).scaled(0.001))
    with pytest.raises(ExternalError):
        failing.ensure_release(TAG, "v", "n", assets)
    (release,) = fake.repo(REPO).releases
    assert release.draft
    assert len(assets_of(fake)) == 2
    fake.clear_faults()
    result = make_forge(fake).ensure_release(TAG, "v", "n", assets)
    assert result.published
    assert len(result.uploaded) == 1 and len(result.kept) == 2
    assert not fake.repo(REPO).releases[0].draft


def test_edited_notes_update_the_release_in_place(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    assets = write_assets(tmp_path, MODEL_ASSETS)
    forge.ensure_release(TAG, "v", "notes", assets)
    result = forge.ensure_release(TAG, "v", "better notes", assets, prerelease=True)
    assert result.outcome is Outcome.UPDATED
    (release,) = fake.repo(REPO).releases
    assert (release.body, release.prerelease) == ("better notes", True)


def test_release_of_a_published_tag_beyond_the_first_page_is_found(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    empty: list[AssetFile] = []
    forge.ensure_release(TAG, "v", "n", empty)
    for minor in range(100):
        forge.ensure_release(f"other@v0.{minor}.0", "o", "n", empty)
    fake.clear_requests()
    result = make_forge(fake).ensure_release(TAG, "v", "n", empty)
    assert result.outcome is Outcome.UNCHANGED
    assert len(fake.requests) == 2  # the first page, then GET /releases/tags/{tag}
    assert len([r for r in fake.repo(REPO).releases if r.tag_name == TAG]) == 1


def test_missing_asset_file_is_a_user_error_before_any_request(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    with pytest.raises(UserError, match=r"model\.skops"):
        forge.ensure_release(TAG, "v", "n", [AssetFile("model.skops", tmp_path / "missing")])
    assert fake.requests == []
