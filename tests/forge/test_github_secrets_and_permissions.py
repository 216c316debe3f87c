"""The token never leaks, and a token that may not write yields READ_ONLY results, not a crash."""

from __future__ import annotations

import json
import logging
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlops_ci.errors import ExternalError
from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import Outcome, ReportStamp
from mlops_ci.forge.retry import RetryPolicy
from tests.fakegithub import FakeGitHub, Fault
from tests.forge.conftest import FAST, HEAD, MODEL_ASSETS, PR, REPO, make_forge, write_assets

SECRET = "ghs_S3CRETtokenValueThatMustNeverBeShown0123"


def everything_printed(
    error: BaseException,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    *objects: object,
) -> str:
    captured = capsys.readouterr()
    parts = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        captured.out,
        captured.err,
        caplog.text,
        *(repr(o) for o in objects),
    ]
    if isinstance(error, ExternalError):
        parts.extend(error.lines())
    return "\n".join(parts)


def test_rejected_token_is_not_in_the_error_or_the_logs(
    fake: FakeGitHub, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forge = make_forge(fake, token=SECRET)
    with pytest.raises(ExternalError) as raised:
        forge.upsert_report_comment(PR, "churn-ci", "x", ReportStamp(HEAD, 1))
    text = everything_printed(raised.value, capsys, caplog, forge, forge.api)
    assert "401" in text or "Bad credentials" in text
    assert SECRET not in text


def test_valid_token_is_not_in_outage_errors_or_debug_logs(
    fake: FakeGitHub, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject(Fault.HTTP_500, times=100)
    forge = make_forge(fake, policy=RetryPolicy(attempts=3).scaled(0.001))
    with pytest.raises(ExternalError) as raised:
        forge.upsert_report_comment(PR, "churn-ci", "x", ReportStamp(HEAD, 1))
    text = everything_printed(raised.value, capsys, caplog, forge)
    assert "/issues/7/comments" in caplog.text  # PyGithub logged each request and its headers
    assert fake.token not in text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_token_is_not_in_network_errors(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = GitHubApi(
        api_url=f"http://127.0.0.1:{_closed_port()}/api/v3",
        token=SECRET,
        repository=REPO,
        policy=RetryPolicy(attempts=2).scaled(0.001),
        timeout=1,
        seconds_between_writes=0,
    )
    with pytest.raises(ExternalError) as raised:
        GitHubForge(api).read_pull(PR)
    text = everything_printed(raised.value, capsys, caplog, api)
    assert "network error" in text
    assert SECRET not in text


class _ReadOnlyGitHub(BaseHTTPRequestHandler):
    """Answers reads with empty lists and every write the way GitHub answers a fork's token."""

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(200, [])

    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer(
            403,
            {
                "message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest",
            },
        )

    do_POST = do_PATCH = do_PUT = do_DELETE = _refuse

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def read_only_forge() -> Iterator[GitHubForge]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ReadOnlyGitHub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    api = GitHubApi(
        api_url=f"http://127.0.0.1:{server.server_address[1]}/api/v3",
        token="ghs_forktoken",
        repository=REPO,
        policy=FAST,
        timeout=1,
        seconds_between_writes=0,
    )
    try:
        yield GitHubForge(api)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_comment_from_a_fork_is_read_only_not_a_crash(read_only_forge: GitHubForge) -> None:
    result = read_only_forge.upsert_report_comment(PR, "churn-ci", "x", ReportStamp(HEAD, 1))
    assert result.outcome is Outcome.READ_ONLY
    assert result.warning is not None
    assert "Resource not accessible by integration" in result.warning


def test_every_write_of_a_read_only_token_is_read_only(
    read_only_forge: GitHubForge, tmp_path: Path
) -> None:
    forge = read_only_forge
    release = forge.ensure_release("churn@v1.0.0", "v", "n", write_assets(tmp_path, MODEL_ASSETS))
    deployment = forge.create_deployment("prod", "main", "v1", "d", {})
    outcomes = [
        release.outcome,
        deployment.outcome,
        forge.set_deployment_status(deployment, "success").outcome,
        forge.upsert_issue("drift", "t", "b", []).outcome,
        forge.dispatch("retrain", {}).outcome,
        forge.dispatch_workflow("train.yml", "main", {}).outcome,
    ]
    assert outcomes == [Outcome.READ_ONLY] * len(outcomes)
