"""The read commands' cache of parsed tags: used only for the same set of tags, never trusted
beyond it, and never by what writes."""

from __future__ import annotations

import io
import json
from pathlib import Path

from mlops_ci.commands.registry import HistoryRequest, ShowRequest, history, show
from mlops_ci.registry import RegistryStore
from mlops_ci.registry.cache import CACHE_FILE
from tests.registry.gitutil import commits, git


def _show(repo: Path) -> dict[str, object]:
    out = io.StringIO()
    show(ShowRequest(repo, json=True, remote=None), out, io.StringIO())
    loaded: dict[str, object] = json.loads(out.getvalue())
    return loaded


def _uncached(repo: Path) -> object:
    return RegistryStore(repo, None).state().models


def test_show_writes_the_cache_and_a_changed_set_of_tags_is_read_again(repo: Path) -> None:
    first, second, third = commits(repo)
    store = RegistryStore(repo, None)
    store.register("churn", ref=first)
    cache = repo / ".git" / CACHE_FILE

    before = _show(repo)

    assert cache.is_file()
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    store.register("churn", bump="minor", ref=second)  # a tag added
    assert _show(repo)["models"][0]["latest"] == "v0.2.0"  # type: ignore[index]
    git(repo, "tag", "-d", "churn@v0.2.0")  # a tag deleted
    assert _show(repo) == before
    git(repo, "tag", "-d", "churn@v0.1.0")  # the same name on another commit: another object
    store.register("churn", version="v0.1.0", ref=third)
    shown = _show(repo)
    assert shown == _show(repo)
    versions = RegistryStore(repo, None, cache=True).state().model("churn")
    assert versions is not None and versions.versions[0].commit == third
    assert RegistryStore(repo, None, cache=True).state().models == _uncached(repo)


def test_the_cache_is_what_a_read_uses_while_the_tags_are_the_same(repo: Path) -> None:
    """Proves the cache is read (a key that matches): its records are taken as they are."""
    first, _, _ = commits(repo)
    RegistryStore(repo, None).register("churn", ref=first)
    _show(repo)
    cache = repo / ".git" / CACHE_FILE
    data = json.loads(cache.read_text())
    data["records"][0][10] = "a subject only the cache holds"
    cache.write_text(json.dumps(data))

    out = io.StringIO()
    history(HistoryRequest(repo, "churn", json=True, remote=None), out, io.StringIO())

    assert json.loads(out.getvalue())["events"][0]["message"].startswith(
        "a subject only the cache holds")


def test_a_broken_or_foreign_cache_is_ignored(repo: Path) -> None:
    first, _, _ = commits(repo)
    RegistryStore(repo, None).register("churn", ref=first)
    expected = _show(repo)
    cache = repo / ".git" / CACHE_FILE
    for text in ("not json", "[]", '{"format": 1, "key": "0", "records": []}',
                 json.dumps({**json.loads('{"format": 99}'), "key": "x"})):
        cache.write_text(text)
        assert _show(repo) == expected
    data = json.loads(cache.read_text())
    data["records"] = [["churn@v0.1.0", "churn", "no-such-action"]]
    cache.write_text(json.dumps(data))
    assert _show(repo) == expected


def test_writes_never_read_the_cache(repo: Path) -> None:
    first, second, _ = commits(repo)
    store = RegistryStore(repo, None)
    store.register("churn", ref=first)
    _show(repo)
    cache = repo / ".git" / CACHE_FILE
    data = json.loads(cache.read_text())
    data["records"] = []  # a cache claiming no tags, under the right key
    cache.write_text(json.dumps(data))

    done = store.register("churn", bump="minor", ref=second)

    assert done.version == "v0.2.0"  # decided on the tags themselves


def test_a_worktree_without_a_git_folder_reads_without_a_cache(tmp_path: Path, repo: Path) -> None:
    first, _, _ = commits(repo)
    RegistryStore(repo, None).register("churn", ref=first)
    worktree = tmp_path / "other"
    git(repo, "worktree", "add", "-q", str(worktree))

    assert _show(worktree)["models"][0]["latest"] == "v0.1.0"  # type: ignore[index]
    assert not (worktree / ".git").is_dir()
