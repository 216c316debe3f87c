"""The read commands' cache of parsed tags: used only for the same set of tags, never trusted
beyond it, and never by what writes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from mlops_ci.backends.git import Git, GitResult
from mlops_ci.commands.registry import HistoryRequest, ShowRequest, history, show
from mlops_ci.registry import RegistryStore
from mlops_ci.registry.cache import CACHE_FILE, MAGIC
from mlops_ci.registry.refs import FORMAT, LISTING
from tests.registry.gitutil import commits, git


def _show(repo: Path) -> dict[str, object]:
    out = io.StringIO()
    show(ShowRequest(repo, json=True, remote=None), out, io.StringIO())
    loaded: dict[str, object] = json.loads(out.getvalue())
    return loaded


def _uncached(repo: Path) -> object:
    return RegistryStore(repo, None).state().models


def _rewrite(cache: Path, change: Callable[[bytes], bytes]) -> None:
    """Change the git output the cache holds, keeping its key (and a length that fits)."""
    header, _, output = cache.read_bytes().partition(b"\n")
    magic, key, _ = header.split(b" ")
    changed = change(output)
    cache.write_bytes(b"%s %s %d\n%s" % (magic, key, len(changed), changed))


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
    """Proves the cache a first read writes is what the next read uses (its key matches)."""
    first, _, _ = commits(repo)
    RegistryStore(repo, None).register("churn", ref=first)
    _show(repo)
    cache = repo / ".git" / CACHE_FILE
    _rewrite(cache, lambda output: output.replace(b"Registering artifact",
                                                  b"a subject only the cache holds"))

    out = io.StringIO()
    history(HistoryRequest(repo, "churn", json=True, remote=None), out, io.StringIO())

    assert json.loads(out.getvalue())["events"][0]["message"].startswith(
        "a subject only the cache holds")


def test_a_broken_or_foreign_cache_is_ignored(repo: Path) -> None:
    first, _, _ = commits(repo)
    RegistryStore(repo, None).register("churn", ref=first)
    expected = _show(repo)
    cache = repo / ".git" / CACHE_FILE
    header, _, output = cache.read_bytes().partition(b"\n")
    key = header.split(b" ")[1]
    for content in (
        b"", b"not a cache", b'{"format": 1, "key": "0", "records": []}',
        MAGIC + b" " + b"0" * 64 + b" %d\n" % len(output) + output,  # another set of tags
        MAGIC + b" " + key + b" %d\n" % len(output) + output[:-20],  # cut short
        MAGIC + b" " + key + b" x\n" + output,
        MAGIC + b"-2 " + key + b" %d\n" % len(output) + output,
    ):
        cache.write_bytes(content)
        assert _show(repo) == expected, content[:80]
    _rewrite(cache, lambda output: output.replace(b"\x001700000", b"\x00no-date"))  # not git's
    assert _show(repo) == expected


def test_writes_never_read_the_cache(repo: Path) -> None:
    first, second, _ = commits(repo)
    store = RegistryStore(repo, None)
    store.register("churn", ref=first)
    _show(repo)
    cache = repo / ".git" / CACHE_FILE
    _rewrite(cache, lambda output: b"")  # a cache claiming no tags, under the right key
    assert _show(repo)["models"] == []

    done = store.register("churn", bump="minor", ref=second)

    assert done.version == "v0.2.0"  # decided on the tags themselves


def test_a_worktree_without_a_git_folder_reads_without_a_cache(tmp_path: Path, repo: Path) -> None:
    first, _, _ = commits(repo)
    RegistryStore(repo, None).register("churn", ref=first)
    worktree = tmp_path / "other"
    git(repo, "worktree", "add", "-q", str(worktree))

    assert _show(worktree)["models"][0]["latest"] == "v0.1.0"  # type: ignore[index]
    assert not (worktree / ".git").is_dir()


class _TagDuringRead(Git):
    """Git whose full read of the tags finds one more tag than was there just before it: a
    writer that pushed a tag between two commands of the read."""

    def __init__(self, repo: Path, name: str, commit: str) -> None:
        super().__init__(repo)
        self.name, self.commit = name, commit

    def stream(self, args: Sequence[str], *, chunk_bytes: int = 1 << 16) -> Iterator[bytes]:
        self.run(["tag", "-a", "-m", "Registering", self.name, self.commit])
        yield from super().stream(args, chunk_bytes=chunk_bytes)


def test_a_tag_that_comes_and_goes_during_a_read_is_not_kept_by_the_cache(repo: Path) -> None:
    """The key describes the very output the cache holds: a tag written while the tags were
    read, then deleted, is not shown from the cache afterwards."""
    first, second, _ = commits(repo)
    RegistryStore(repo, None).register("churn", ref=first)
    racing = _TagDuringRead(repo, "churn@v0.2.0", second)

    during = RegistryStore(repo, None, git=racing, cache=True).state().model("churn")
    git(repo, "tag", "-d", "churn@v0.2.0")

    assert during is not None and during.latest == "v0.2.0"
    assert _show(repo)["models"][0]["latest"] == "v0.1.0"  # type: ignore[index]


class _Recording(Git):
    """Git that records the command of every call, streamed or not."""

    def __init__(self, repo: Path) -> None:
        super().__init__(repo)
        self.commands: list[list[str]] = []

    def run(self, args: Sequence[str], **options: Any) -> GitResult:
        self.commands.append(list(args))
        return super().run(args, **options)

    def stream(self, args: Sequence[str], *, chunk_bytes: int = 1 << 16) -> Iterator[bytes]:
        self.commands.append(list(args))
        yield from super().stream(args, chunk_bytes=chunk_bytes)


def test_a_first_read_runs_one_git_command_and_a_cached_read_only_the_listing(
    repo: Path,
) -> None:
    first, _, _ = commits(repo)
    store = RegistryStore(repo, None)
    store.register("churn", ref=first)
    store.promote("churn", "v0.1.0", "production")
    recording = _Recording(repo)

    cold = RegistryStore(repo, None, git=recording, cache=True).state()
    assert recording.commands == [["for-each-ref", f"--format={FORMAT}", "refs/tags/"]]

    recording.commands.clear()
    warm = RegistryStore(repo, None, git=recording, cache=True).state()
    assert recording.commands == [["for-each-ref", f"--format={LISTING}", "refs/tags/"]]
    assert warm.models == cold.models == _uncached(repo)
