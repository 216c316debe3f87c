"""An environment of the production stage serving another version than the registry's is a
finding: ``monitor`` asks each one's model metadata (``GET /v2/models/NAME``), here of a tiny
local HTTP server standing in for the deployed model server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mlops_ci.monitoring.served import ask_served_version
from tests.monitoring.conftest import run_monitor, use_production
from tests.monitoring.test_monitor_outbox import outbox_issue


class _Server:
    """Answers ``GET /v2/models/churn`` with ``versions``; 404 for any other path."""

    def __init__(self) -> None:
        self.versions: list[str] = ["v0.1.0"]
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                if self.path != "/v2/models/churn":
                    self.send_error(404)
                    return
                body = json.dumps({"name": "churn", "versions": server.versions}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def served() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join()


def _point_production_at(workspace: Path, url: str) -> None:
    config = workspace / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("          port: 8080\n", f"          url: {url}\n"),
                      encoding="utf-8")


def test_an_environment_serving_another_version_is_a_finding_in_the_issue(
    workspace: Path, served: _Server
) -> None:
    use_production(workspace, "production_clean.csv")
    _point_production_at(workspace, served.url)
    served.versions = ["v0.0.9"]

    run = run_monitor(workspace, {"GITHUB_RUN_ID": "601"}, forge=None)

    assert run.code == 1
    assert served.paths == ["/v2/models/churn"]
    model = run.json["models"][0]  # type: ignore[index]
    assert model["findings"] == ["serving"]
    [answer] = model["served"]
    assert (answer["environment"], answer["served"], answer["mismatch"]) == (
        "churn-production", ["v0.0.9"], True)
    issue = outbox_issue(workspace)
    assert issue["title"] == "Production serves another version than the registry's churn v0.1.0"
    assert issue["labels"] == ["deployment", "mlops"]
    assert "churn-production" in issue["body"]
    assert "serves v0.0.9, not the registry's production version v0.1.0" in issue["body"]


def test_an_environment_serving_the_registrys_version_is_no_finding(
    workspace: Path, served: _Server
) -> None:
    use_production(workspace, "production_clean.csv")
    _point_production_at(workspace, served.url)

    run = run_monitor(workspace, {"GITHUB_RUN_ID": "602"}, forge=None)

    assert run.code == 0
    assert served.paths == ["/v2/models/churn"]
    [answer] = run.json["models"][0]["served"]  # type: ignore[index]
    assert answer["mismatch"] is False and answer["served"] == ["v0.1.0"]


def test_a_server_without_the_model_is_a_mismatch(served: _Server) -> None:
    answer = ask_served_version("prod", served.url, "fraud", "v1.0.0")
    assert answer.error is None and not answer.serves_model and answer.mismatch


def test_an_environment_that_cannot_be_asked_is_reported_not_a_finding(
    served: _Server,
) -> None:
    url = served.url
    served.httpd.shutdown()
    served.httpd.server_close()
    answer = ask_served_version("prod", url, "churn", "v0.1.0", timeout=2)
    assert answer.error is not None and "Connection" in answer.error
    assert not answer.mismatch
