"""The git wrapper: where it runs, the user errors for a repository that is not one, and how it
authenticates to the GitHub server without a token in ``.git/config``."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from mlops_ci.backends.git import Git, token_config
from mlops_ci.errors import UserError


def test_a_file_given_as_the_repository_is_a_user_error(tmp_path: Path) -> None:
    config = tmp_path / "mlops.yaml"
    config.write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"mlops\.yaml: a file, not a directory"):
        Git(config).run(["status"])


def test_a_missing_repository_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nope: no such directory"):
        Git(tmp_path / "nope").run(["status"])


def test_stream_yields_the_whole_output_in_chunks(tmp_path: Path) -> None:
    git = Git(tmp_path)
    git.run(["init", "-q"])
    big = b"x" * 300_000
    blob = git.run(["hash-object", "-w", "--stdin"], stdin=big).text.strip()

    chunks = list(git.stream(["cat-file", "blob", blob], chunk_bytes=4096))

    assert len(chunks) > 1
    assert b"".join(chunks) == big


def test_stream_raises_with_gits_reason_when_git_fails(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is not a git repository"):
        list(Git(tmp_path).stream(["for-each-ref", "refs/tags/"]))


def test_stream_in_a_missing_repository_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="nope: no such directory"):
        list(Git(tmp_path / "nope").stream(["status"]))


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[list[str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get_all("Authorization") or [])
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_git_authenticates_with_the_token_without_writing_it_to_git_config(
    tmp_path: Path, server: str
) -> None:
    repo = tmp_path / "repo"
    setup = Git(tmp_path, environ={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    setup.run(["init", "--quiet", str(repo)])
    Git(repo).run(["remote", "add", "origin", f"{server}/octo/churn.git"])
    # what actions/checkout leaves when credentials persist: it must not be sent twice
    Git(repo).run(["config", f"http.{server}/.extraheader", "AUTHORIZATION: basic stale"])
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GITHUB_SERVER_URL": server,
               "GITHUB_TOKEN": "ghs_secret0123"}

    Git(repo, environ=environ).run(["ls-remote", "origin"], check=False)

    expected = "basic " + base64.b64encode(b"x-access-token:ghs_secret0123").decode()
    assert _Recorder.seen
    assert all(sent == [expected] for sent in _Recorder.seen)
    assert "ghs_secret0123" not in (repo / ".git" / "config").read_text(encoding="utf-8")
    assert token_config({"GITHUB_SERVER_URL": server}) == {}  # no token, nothing added
