"""Git refs and annotated tags, including GTO's tag names with '@' and '#'."""

from __future__ import annotations

import github
import pytest

from tests.fakegithub import FakeGitHub

SHA = "c" * 40


def test_refs_with_at_and_hash_round_trip(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")

    repo.create_git_ref("refs/tags/churn#production#1", SHA)
    repo.create_git_ref("refs/tags/churn@v1.0.0", SHA)

    assert repo.get_git_ref("tags/churn#production#1").object.sha == SHA
    assert [r.ref for r in repo.get_git_matching_refs("tags/churn#")] == [
        "refs/tags/churn#production#1"]
    assert state.tags == {"churn#production#1": SHA, "churn@v1.0.0": SHA}


def test_duplicate_ref_is_422_reference_already_exists(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    repo.create_git_ref("refs/tags/churn@v1.0.0", SHA)

    with pytest.raises(github.GithubException) as raised:
        repo.create_git_ref("refs/tags/churn@v1.0.0", "d" * 40)

    assert raised.value.status == 422
    assert raised.value.data["message"] == "Reference already exists"
    assert fake_github.repo("octo/churn").tags["churn@v1.0.0"] == SHA


def test_update_and_delete_a_ref(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    ref = repo.create_git_ref("refs/heads/topic", SHA)

    ref.edit("d" * 40, force=True)
    assert state.refs["refs/heads/topic"] == "d" * 40
    ref.delete()

    assert "refs/heads/topic" not in state.refs
    with pytest.raises(github.GithubException) as raised:
        ref.delete()
    assert raised.value.status == 422
    with pytest.raises(github.UnknownObjectException):
        repo.get_git_ref("heads/topic")


def test_annotated_tag_object_and_its_ref(fake_github: FakeGitHub) -> None:
    state = fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")

    tag = repo.create_git_tag("churn@v1.0.0", "Registering artifact churn version v1.0.0",
                              SHA, "commit",
                              tagger=github.InputGitAuthor("ci", "ci@example.com",
                                                           "2024-05-01T12:00:00Z"))
    ref = repo.create_git_ref("refs/tags/churn@v1.0.0", tag.sha)
    read_back = repo.get_git_tag(tag.sha)

    assert (read_back.tag, read_back.object.sha, read_back.tagger.name) == (
        "churn@v1.0.0", SHA, "ci")
    assert ref.object.type == "tag"
    assert state.resolve("churn@v1.0.0") == SHA


def test_bad_ref_name_and_sha_are_422(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")

    for ref, sha in (("tags/no-refs-prefix", SHA), ("refs/tags/ok", "not-a-sha")):
        with pytest.raises(github.GithubException) as raised:
            repo.create_git_ref(ref, sha)
        assert raised.value.status == 422
