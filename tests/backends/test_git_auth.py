"""git talks to the GitHub server with the token passed to that one process, never stored."""

from __future__ import annotations

import base64
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_ci.backends.git import Git, token_config
from tests.commands.repos import git

TOKEN = "ghs_" + "GitAuth0" * 4 + "abcd"
STALE = "AUTHORIZATION: basic " + base64.b64encode(b"x-access-token:ghs_stale").decode()


def basic(token: str) -> str:
    return "basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[list[str]]

    def do_GET(self) -> None:
        self.seen.append(self.headers.get_all("Authorization") or [])
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[tuple[str, list[list[str]]]]:
    seen: list[list[str]] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()


def checkout(root: Path, server_url: str) -> Path:
    """A repository whose .git/config holds a stale header for the server, as checkout's."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "--local", f"http.{server_url}/.extraheader", STALE)
    return repo


def test_a_remote_command_sends_the_token_once_and_drops_a_stored_header(
    tmp_path: Path, server: tuple[str, list[list[str]]]
) -> None:
    url, seen = server
    repo = checkout(tmp_path, url)
    environ = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_GLOBAL": "/dev/null",
               "GIT_CONFIG_NOSYSTEM": "1", "INPUT_GITHUB_TOKEN": TOKEN,
               "GITHUB_SERVER_URL": url}
    result = Git(repo, environ=environ).run(["ls-remote", f"{url}/octo/churn.git"], check=False)
    assert not result.ok
    assert seen, "git sent no request"
    assert all(headers == [basic(TOKEN)] for headers in seen), seen


def test_the_token_goes_only_to_commands_that_talk_to_a_remote(tmp_path: Path) -> None:
    repo = checkout(tmp_path, "https://github.com")
    environ = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_GLOBAL": "/dev/null",
               "GIT_CONFIG_NOSYSTEM": "1", "GITHUB_TOKEN": TOKEN}
    local = Git(repo, environ=environ).output(
        ["config", "--get-all", "http.https://github.com/.extraheader"])
    assert local == STALE
    assert "GIT_CONFIG_COUNT" not in Git(repo, environ=environ).environ
    assert not (repo / ".git" / "config").read_text().count(TOKEN[4:])


def test_without_a_token_git_gets_no_configuration() -> None:
    assert token_config({"PATH": "/usr/bin"}) == {}
    assert token_config({"GITHUB_TOKEN": TOKEN, "GIT_CONFIG_COUNT": "1"})["GIT_CONFIG_COUNT"] == "3"
