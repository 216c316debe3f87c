"""The store against real git: a clone pushing to a bare remote."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_ci.errors import ExternalError, UserError
from mlops_ci.registry import Evidence, RegistryStore
from tests.registry.gitutil import BASE_TIME, commits, git


def remote_tags(remote: Path) -> list[str]:
    return sorted(git(remote, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags").split())


def test_register_bumps_from_the_remote_not_the_stale_clone(
    repo: Path, remote: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", remote.as_uri(), str(other)], check=True)
    first, second, _ = commits(repo)
    RegistryStore(other).register("churn", ref=first)
    done = RegistryStore(repo).register("churn", bump="minor", ref=second)
    assert (done.version, done.created) == ("v0.2.0", True)
    assert remote_tags(remote) == ["churn@v0.1.0", "churn@v0.2.0"]


def test_rerun_on_the_same_commit_is_a_no_op(repo: Path, remote: Path) -> None:
    store = RegistryStore(repo)
    first = store.register("churn", evidence=Evidence(metrics=(("auc", 0.9),)))
    again = store.register("churn")
    same_version = store.register("churn", version="v0.1.0")
    assert first.created and not again.created and not same_version.created
    assert again.tag == first.tag == "churn@v0.1.0"
    assert remote_tags(remote) == ["churn@v0.1.0"]


def test_explicit_version_taken_by_another_commit_is_a_user_error(repo: Path) -> None:
    first, second, _ = commits(repo)
    store = RegistryStore(repo)
    store.register("churn", version="v1.0.0", ref=first)
    with pytest.raises(UserError, match=r"v1\.0\.0 is already registered at commit"):
        store.register("churn", version="v1.0.0", ref=second)
    with pytest.raises(UserError, match="cannot also be"):
        store.register("churn", version="v2.0.0", ref=first)


def test_promote_writes_the_next_shared_counter(repo: Path, remote: Path) -> None:
    first, second, _ = commits(repo)
    store = RegistryStore(repo)
    store.register("churn", ref=first)
    store.register("churn", ref=second)
    staging = store.promote("churn", "v0.1.1", "staging")
    production = store.promote("churn", "v0.1.0", "production")
    repeat = store.promote("churn", "v0.1.0", "production")
    assert (staging.tag, production.tag) == ("churn#staging#1", "churn#production#2")
    assert not repeat.created and repeat.tag == production.tag
    state = store.state()
    assert state.production_version("churn") == "v0.1.0"
    assert state.stage_version("churn", "staging") == "v0.1.1"
    assert "churn#production#2" in remote_tags(remote)


def test_promote_unknown_or_deregistered_version_is_refused(repo: Path) -> None:
    store = RegistryStore(repo)
    store.register("churn")
    with pytest.raises(UserError, match="not registered"):
        store.promote("churn", "v9.0.0", "production")
    store.deregister("churn", "v0.1.0")
    with pytest.raises(UserError, match="deregistered"):
        store.promote("churn", "v0.1.0", "production")


def test_shallow_clone_fetches_the_registry(repo: Path, remote: Path, tmp_path: Path) -> None:
    RegistryStore(repo).register("churn", evidence=Evidence(compared_to="v0.0.9"))
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--no-tags", remote.as_uri(), str(shallow)],
        check=True, capture_output=True,
    )
    state = RegistryStore(shallow).state()
    assert state.fetched_from == "origin"
    assert state.latest_version("churn") == "v0.1.0"
    (event,) = state.history("churn")
    assert event.evidence == Evidence(compared_to="v0.0.9")


def test_shallow_clone_with_some_tags_fetches_the_rest(
    repo: Path, remote: Path, tmp_path: Path
) -> None:
    first, _, last = commits(repo)
    store = RegistryStore(repo)
    store.register("churn", ref=first)
    store.register("churn", bump="minor", ref=last)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", remote.as_uri(), str(shallow)],
                   check=True, capture_output=True)
    assert git(shallow, "tag") == "churn@v0.2.0"  # the clone followed HEAD's tag only

    state = RegistryStore(shallow).state()

    assert state.fetched_from == "origin"
    assert [v.version for v in state.versions("churn")] == ["v0.2.0", "v0.1.0"]


def test_reading_a_clone_with_tags_stays_offline(repo: Path) -> None:
    RegistryStore(repo).register("churn")
    git(repo, "remote", "set-url", "origin", "file:///nonexistent/remote.git")
    state = RegistryStore(repo).state()
    assert state.fetched_from is None and state.latest_version("churn") == "v0.1.0"


def test_lightweight_look_alike_is_reported(repo: Path) -> None:
    RegistryStore(repo, remote=None).register("churn")
    git(repo, "tag", "churn@v5.0.0")
    state = RegistryStore(repo, remote=None).state()
    assert state.latest_version("churn") == "v0.1.0"
    assert [w.tag for w in state.warnings] == ["churn@v5.0.0"]


def test_pushes_never_carry_more_than_three_tags(repo: Path, remote: Path) -> None:
    log = remote / "pushes.log"
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f'#!/bin/sh\nwc -l >> "{log}"\n')
    hook.chmod(0o755)
    store = RegistryStore(repo)
    names = []
    for number in range(7):
        name = f"m{number}@v1.0.0"
        git(repo, "tag", "-a", "-m", f"Registering artifact m{number} version v1.0.0", name)
        names.append(name)
    store._push(names)  # the one place pushes go through, with more tags than one push may carry
    sizes = [int(line) for line in log.read_text().split()]
    assert sizes == [3, 3, 1]
    assert len(remote_tags(remote)) == 7


def test_unreachable_remote_is_retried_then_an_external_error(repo: Path) -> None:
    git(repo, "remote", "set-url", "origin", "file:///nonexistent/remote.git")
    waits: list[float] = []
    with pytest.raises(ExternalError) as caught:
        RegistryStore(repo, sleep=waits.append).register("churn")
    assert caught.value.attempts == 3 and waits == [1.0, 2.0]


def test_remote_hook_refusal_is_an_external_error_without_retry(repo: Path, remote: Path) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho protected tags >&2\nexit 1\n")
    hook.chmod(0o755)
    waits: list[float] = []
    with pytest.raises(ExternalError, match="refused"):
        RegistryStore(repo, sleep=waits.append).register("churn")
    assert waits == []


def test_local_only_store_writes_nothing_to_the_remote(repo: Path, remote: Path) -> None:
    RegistryStore(repo, remote=None).register("churn")
    assert remote_tags(remote) == []
    assert git(repo, "tag", "--list") == "churn@v0.1.0"


def test_bad_names_and_refs_are_user_errors(repo: Path) -> None:
    store = RegistryStore(repo, remote=None)
    with pytest.raises(UserError, match="invalid model name"):
        store.register("-churn")
    with pytest.raises(UserError, match="is not a commit"):
        store.register("churn", ref="no-such-branch")
    with pytest.raises(UserError, match="invalid version"):
        store.register("churn", version="1.0.0")
    with pytest.raises(UserError, match="invalid stage"):
        store.promote("churn", "v0.1.0", "prod!")


def test_deprecate_model_and_unassign(repo: Path) -> None:
    store = RegistryStore(repo)
    store.register("churn")
    store.promote("churn", "v0.1.0", "staging")
    change = store.unassign("churn", "v0.1.0", "staging")
    assert change.tag == "churn#staging!#2"
    assert store.state().stage_version("churn", "staging") is None
    deprecation = store.deprecate("churn")
    assert deprecation.tag == "churn@deprecated"
    model = store.state().model("churn")
    assert model is not None and model.deprecated


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda store: store.register("dir/..:churn"), "invalid model name 'dir/..:churn'"),
        (lambda store: store.register("a//b"), "invalid model name 'a//b'"),
        (lambda store: store.register("m" * 300), "longer than 200 bytes"),
        (lambda store: store.promote("churn", "v0.1.0", "team//prod"), "invalid stage name"),
        (lambda store: store.register("churn", version="v0.2.0+a.lock"), "ends in '.lock'"),
    ],
)
def test_names_git_cannot_keep_are_user_errors_before_any_git_write(
    repo: Path, remote: Path, write: Callable[[RegistryStore], object], message: str
) -> None:
    first, _, _ = commits(repo)
    store = RegistryStore(repo)
    store.register("churn", ref=first)
    before = remote_tags(remote)

    with pytest.raises(UserError, match=re.escape(message)):
        write(store)

    assert remote_tags(remote) == before
    assert git(repo, "tag", "--list").split() == before


def test_a_model_and_stage_too_long_together_for_a_tag_file_are_a_user_error(repo: Path) -> None:
    store = RegistryStore(repo, remote=None)
    model = "m" * 200  # the longest name a model may have
    store.register(model)
    stage = "s" * 60  # m...m#s...s#2 with git's .lock is more than a file name holds

    with pytest.raises(UserError, match=r"git cannot keep a tag named .* longer than 250 bytes"):
        store.promote(model, "v0.1.0", stage)

    assert git(repo, "tag", "--list").split() == [f"{model}@v0.1.0"]


def tagger_times(repo: Path) -> dict[str, int]:
    listed = git(repo, "for-each-ref", "--format=%(refname:strip=2) %(taggerdate:unix)",
                 "refs/tags").splitlines()
    return {name: int(time) for name, time in (line.split() for line in listed)}


def test_tags_are_dated_by_the_injected_clock(repo: Path) -> None:
    now = BASE_TIME + 5000
    store = RegistryStore(repo, clock=lambda: now + 0.75)

    store.register("churn")
    store.promote("churn", "v0.1.0", "production")  # the same second: dated one second later

    assert tagger_times(repo) == {"churn@v0.1.0": now, "churn#production#1": now + 1}
    assert [event.time for event in store.read().history("churn")] == [now, now + 1]


def test_a_pinned_committer_date_dates_the_tag_instead_of_the_clock(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{BASE_TIME + 7000} +0000")

    RegistryStore(repo, clock=lambda: BASE_TIME).register("churn")

    assert tagger_times(repo) == {"churn@v0.1.0": BASE_TIME + 7000}
