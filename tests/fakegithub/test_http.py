"""The fake speaks plain HTTP/1.1: keep-alive, Content-Length, GitHub's headers."""

from __future__ import annotations

import http.client
import json

from tests.fakegithub import FakeGitHub


def test_two_requests_share_one_keep_alive_connection(fake_github: FakeGitHub) -> None:
    fake_github.create_repo("octo/churn")
    connection = http.client.HTTPConnection("127.0.0.1", fake_github.port, timeout=5)
    headers = {"Authorization": f"token {fake_github.token}"}
    try:
        connection.request("GET", "/api/v3/repos/octo/churn", headers=headers)
        first = connection.getresponse()
        first_body = first.read()
        socket_before = connection.sock
        connection.request("GET", "/api/v3/rate_limit", headers=headers)
        second = connection.getresponse()
        second.read()
    finally:
        connection.close()

    assert (first.status, second.status) == (200, 200)
    assert socket_before is not None
    assert int(first.headers["Content-Length"]) == len(first_body)
    assert json.loads(first_body)["full_name"] == "octo/churn"
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"


def test_unknown_path_is_404_not_found(fake_github: FakeGitHub) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", fake_github.port, timeout=5)
    try:
        connection.request("GET", "/api/v3/nothing/here",
                           headers={"Authorization": f"token {fake_github.token}"})
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()

    assert response.status == 404
    assert body["message"] == "Not Found"
    assert body["documentation_url"].startswith("https://docs.github.com/")
