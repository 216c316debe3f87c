"""Reading a release asset back (evaluate, deploy, monitor), from the fake GitHub and the outbox.

Releases are made with ``ensure_release`` as the register stage makes them, then fetched over
real HTTP; tampering changes the bytes where each forge keeps them (the fake's state, the
outbox's files), as an attacker or a broken storage would.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_ci.errors import EXIT_EXTERNAL_ERROR, EXIT_USER_ERROR, ExternalError, UserError
from mlops_ci.forge.checksums import SUMS_NAME, render_sha256sums
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.outbox_layout import safe_name
from mlops_ci.forge.protocol import AssetFile, Forge, Outcome
from mlops_ci.forge.retry import RetryPolicy
from tests.fakegithub import FakeGitHub, Fault
from tests.forge.conftest import REPO, make_forge, start_fake

TAG = "churn@v1.4.0"
MODEL = b"skops model bytes " * 5000  # ~90 KB: several reads on the way
CARD = b"# churn v1.4.0\n"
ASSET_PATH = r"/releases/assets/\d+$"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def release_files(
    folder: Path, contents: dict[str, bytes], *, sums: bool = True
) -> list[AssetFile]:
    """The files of a release as the register stage writes them, ``SHA256SUMS`` included."""
    folder.mkdir(parents=True, exist_ok=True)
    files = dict(contents)
    if sums:
        files[SUMS_NAME] = render_sha256sums({n: sha(d) for n, d in contents.items()}).encode()
    assets = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        assets.append(AssetFile(name, folder / name))
    return assets


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@dataclass
class World:
    """One forge and the means to publish to it and to tamper with what it holds."""

    forge: Forge
    publish: Callable[[str, list[AssetFile]], None]
    tamper: Callable[[str, str, bytes], None]


def _github_world(tmp_path: Path) -> Iterator[World]:
    fake = start_fake()
    forge = make_forge(fake)

    def tamper(tag: str, name: str, data: bytes) -> None:
        state = fake.repo(REPO)
        (release,) = [r for r in state.releases if r.tag_name == tag and not r.draft]
        (asset,) = [a for a in state.assets(release.id) if a.name == name]
        asset.data = data

    try:
        yield World(forge, lambda tag, files: _published(forge, tag, files), tamper)
        assert fake.internal_errors == []
    finally:
        forge.close()
        fake.stop()


def _outbox_world(tmp_path: Path) -> Iterator[World]:
    forge = OutboxForge(tmp_path / "workspace")

    def tamper(tag: str, name: str, data: bytes) -> None:
        folder = forge.directory / "releases" / safe_name(tag) / "assets"
        (folder / safe_name(name)).write_bytes(data)

    yield World(forge, lambda tag, files: _published(forge, tag, files), tamper)


def _published(forge: Forge, tag: str, files: list[AssetFile]) -> None:
    assert forge.ensure_release(tag, tag, "notes", files).published


@pytest.fixture(params=["github", "outbox"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    make = _github_world if request.param == "github" else _outbox_world
    yield from make(tmp_path)


# Behaviour both forges share --------------------------------------------------------------


def test_published_asset_is_fetched_and_verified_by_sha256sums(
    world: World, tmp_path: Path
) -> None:
    world.publish(TAG, release_files(tmp_path / "build", {"model.skops": MODEL, "card.md": CARD}))
    dest = tmp_path / "production" / "model.skops"

    result = world.forge.fetch_release_asset(TAG, "model.skops", dest)

    assert result.outcome is Outcome.FOUND
    assert (result.tag, result.name, result.path) == (TAG, "model.skops", dest)
    assert dest.read_bytes() == MODEL
    assert result.sha256 == sha(MODEL)
    assert result.verified_by == "SHA256SUMS"
    assert leftovers(dest.parent) == ["model.skops"]


def test_tampered_asset_stops_the_run_and_leaves_no_file(world: World, tmp_path: Path) -> None:
    world.publish(TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    world.tamper(TAG, "model.skops", b"a different model")
    dest = tmp_path / "production" / "model.skops"

    with pytest.raises(UserError) as caught:
        world.forge.fetch_release_asset(TAG, "model.skops", dest)

    message = str(caught.value)
    assert caught.value.exit_code == EXIT_USER_ERROR
    assert TAG in message and "'model.skops'" in message and SUMS_NAME in message
    assert sha(MODEL) in message and sha(b"a different model") in message
    assert leftovers(dest.parent) == []


def test_a_stale_file_at_the_destination_is_removed_when_the_asset_is_refused(
    world: World, tmp_path: Path
) -> None:
    world.publish(TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    world.tamper(TAG, "model.skops", b"evil")
    dest = tmp_path / "production" / "model.skops"
    dest.parent.mkdir()
    dest.write_bytes(b"yesterday's download")

    with pytest.raises(UserError):
        world.forge.fetch_release_asset(TAG, "model.skops", dest)

    assert not dest.exists()


def test_expected_sha256_is_checked_before_anything_else(world: World, tmp_path: Path) -> None:
    world.publish(TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    dest = tmp_path / "model.skops"

    with pytest.raises(UserError, match="the expected sha256 is " + sha(b"registered")):
        world.forge.fetch_release_asset(
            TAG, "model.skops", dest, expected_sha256=sha(b"registered")
        )
    assert not dest.exists()

    result = world.forge.fetch_release_asset(
        TAG, "model.skops", dest, expected_sha256="sha256:" + sha(MODEL).upper()
    )
    assert (result.verified_by, result.sha256) == ("expected", sha(MODEL))
    assert dest.read_bytes() == MODEL


def test_without_sha256sums_the_forge_digest_verifies(world: World, tmp_path: Path) -> None:
    world.publish(TAG, release_files(tmp_path / "build", {"model.skops": MODEL}, sums=False))

    result = world.forge.fetch_release_asset(TAG, "model.skops", tmp_path / "model.skops")

    assert (result.outcome, result.verified_by) == (Outcome.FOUND, "digest")
    assert (tmp_path / "model.skops").read_bytes() == MODEL


def test_missing_release_and_missing_asset_are_outcomes(world: World, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "model.skops"

    first_model = world.forge.fetch_release_asset(TAG, "model.skops", dest)
    world.publish(TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    other_asset = world.forge.fetch_release_asset(TAG, "reference.parquet", dest)

    assert (first_model.outcome, first_model.path, first_model.sha256) == (
        Outcome.MISSING_RELEASE,
        None,
        None,
    )
    assert not first_model.found
    assert other_asset.outcome is Outcome.MISSING_ASSET
    assert not dest.exists()


def test_a_malformed_expected_sha256_is_a_user_error(world: World, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not 64 hex digits"):
        world.forge.fetch_release_asset(TAG, "model.skops", tmp_path / "m", expected_sha256="abc")


def test_rewriting_both_asset_and_sha256sums_is_still_caught(world: World, tmp_path: Path) -> None:
    world.publish(TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    forged = render_sha256sums({"model.skops": sha(b"evil")}).encode()
    world.tamper(TAG, "model.skops", b"evil")
    world.tamper(TAG, SUMS_NAME, forged)
    dest = tmp_path / "model.skops"

    if isinstance(world.forge, GitHubForge):
        # GitHub's digest follows the stored bytes, so a consistent rewrite is only caught by
        # a hash the caller kept: the registry's record of the version.
        with pytest.raises(UserError, match="the expected sha256"):
            world.forge.fetch_release_asset(TAG, "model.skops", dest, expected_sha256=sha(MODEL))
    else:
        with pytest.raises(UserError, match=r"SHA256SUMS of release .* has sha256"):
            world.forge.fetch_release_asset(TAG, "model.skops", dest)
    assert not dest.exists()


# GitHub ------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = start_fake()
    yield server
    assert server.internal_errors == []
    server.stop()


@pytest.fixture
def forge(fake: FakeGitHub) -> Iterator[GitHubForge]:
    made = make_forge(fake)
    yield made
    made.close()


def asset_gets(fake: FakeGitHub) -> list[tuple[str, int | None]]:
    return [
        (r.path.rsplit("/", 1)[1], r.status)
        for r in fake.requests
        if r.method == "GET" and "/releases/assets/" in r.path
    ]


def test_download_asks_for_the_bytes_on_the_asset_api_url_with_the_token(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    fake.clear_requests()

    forge.fetch_release_asset(TAG, "model.skops", tmp_path / "model.skops")

    lookup, sums, model = fake.requests
    assert lookup.path == f"/api/v3/repos/{REPO}/releases/tags/{TAG}"
    for download in (sums, model):
        assert download.path.startswith(f"/api/v3/repos/{REPO}/releases/assets/")
        assert download.headers["accept"] == "application/octet-stream"
        assert download.headers["authorization"] == f"token {fake.token}"
        assert download.status == 200


def test_a_draft_release_is_not_fetched(fake: FakeGitHub, tmp_path: Path) -> None:
    draft = fake.client().get_repo(REPO).create_git_release(TAG, TAG, "", draft=True)
    draft.upload_asset_from_memory(io.BytesIO(MODEL), len(MODEL), "model.skops")

    result = make_forge(fake).fetch_release_asset(TAG, "model.skops", tmp_path / "m.skops")

    assert result.outcome is Outcome.MISSING_RELEASE
    assert not (tmp_path / "m.skops").exists()


def test_the_published_release_wins_over_a_draft_of_the_same_tag(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    draft = fake.client().get_repo(REPO).create_git_release(TAG, "retrain", "", draft=True)
    draft.upload_asset_from_memory(io.BytesIO(b"unfinished"), 10, "model.skops")

    result = forge.fetch_release_asset(TAG, "model.skops", tmp_path / "m.skops")

    assert result.sha256 == sha(MODEL)
    assert (tmp_path / "m.skops").read_bytes() == MODEL


@pytest.mark.parametrize("fault", [Fault.HTTP_502, Fault.LOST_RESPONSE])
def test_a_failed_download_is_retried_from_the_first_byte(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path, fault: Fault
) -> None:
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}, sums=False))
    fake.clear_requests()
    fake.inject(fault, method="GET", path_regex=ASSET_PATH, nth=1, times=2)

    result = forge.fetch_release_asset(TAG, "model.skops", tmp_path / "out" / "model.skops")

    assert result.outcome is Outcome.FOUND
    assert (tmp_path / "out" / "model.skops").read_bytes() == MODEL
    assert [status for _, status in asset_gets(fake)] == [
        502 if fault is Fault.HTTP_502 else 200,
    ] * 2 + [200]
    assert leftovers(tmp_path / "out") == ["model.skops"]


def test_a_download_failing_past_the_policy_is_an_external_error_without_the_token(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    forge = make_forge(fake, policy=RetryPolicy(attempts=3, total_wait=5).scaled(0.01))
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}, sums=False))
    fake.inject(Fault.HTTP_502, method="GET", path_regex=ASSET_PATH, times=10)

    with pytest.raises(ExternalError) as caught:
        forge.fetch_release_asset(TAG, "model.skops", tmp_path / "out" / "model.skops")

    assert caught.value.exit_code == EXIT_EXTERNAL_ERROR
    assert caught.value.attempts == 3
    assert "502" in str(caught.value) and "'model.skops'" in str(caught.value)
    assert fake.token not in str(caught.value) and fake.token not in repr(caught.value)
    assert leftovers(tmp_path / "out") == []


def test_a_rerun_with_the_verified_file_in_place_downloads_nothing(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}, sums=False))
    dest = tmp_path / "model.skops"
    forge.fetch_release_asset(TAG, "model.skops", dest)
    fake.clear_requests()

    again = make_forge(fake).fetch_release_asset(TAG, "model.skops", dest)

    assert (again.outcome, again.sha256, again.verified_by) == (Outcome.FOUND, sha(MODEL), "digest")
    assert asset_gets(fake) == []


# Outbox --------------------------------------------------------------------------------------


def test_outbox_draft_release_is_not_fetched(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path)
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    record = forge.directory / "releases" / safe_name(TAG) / "release.json"
    record.write_text(json.dumps({**json.loads(record.read_text()), "draft": True}))

    result = forge.fetch_release_asset(TAG, "model.skops", tmp_path / "m.skops")

    assert result.outcome is Outcome.MISSING_RELEASE


def test_outbox_asset_listed_but_deleted_is_a_user_error(tmp_path: Path) -> None:
    forge = OutboxForge(tmp_path)
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    (forge.directory / "releases" / safe_name(TAG) / "assets" / "model.skops").unlink()

    with pytest.raises(UserError, match=r"lists asset 'model\.skops'"):
        forge.fetch_release_asset(TAG, "model.skops", tmp_path / "m.skops")


def test_a_redirect_to_storage_is_followed_without_the_token(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}))
    fake.redirect_downloads = True
    fake.inject(Fault.HTTP_502, method="GET", path_regex=r"^/_storage/", nth=1)
    fake.clear_requests()

    result = forge.fetch_release_asset(TAG, "model.skops", tmp_path / "model.skops")

    assert (result.outcome, result.verified_by) == (Outcome.FOUND, "SHA256SUMS")
    assert (tmp_path / "model.skops").read_bytes() == MODEL
    storage = [r for r in fake.requests if r.path.startswith("/_storage/")]
    assert [r.status for r in storage] == [502, 200, 200]  # SHA256SUMS retried, then the model
    assert all("authorization" not in r.headers for r in storage)
    assert all(fake.token not in json.dumps(r.headers) for r in storage)


def test_a_stalled_download_times_out_and_is_sent_again(
    fake: FakeGitHub, forge: GitHubForge, tmp_path: Path
) -> None:
    _published(forge, TAG, release_files(tmp_path / "build", {"model.skops": MODEL}, sums=False))
    fake.clear_requests()
    fake.inject(Fault.TIMEOUT, method="GET", path_regex=ASSET_PATH, nth=1)  # stalls 1.5 s > 1 s

    result = forge.fetch_release_asset(TAG, "model.skops", tmp_path / "model.skops")

    assert result.outcome is Outcome.FOUND
    assert [status for _, status in asset_gets(fake)] == [None, 200]
