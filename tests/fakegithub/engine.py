"""What the fake answers to one request: faults first, then credentials, the rate budget and
the route; every request is recorded, faulted ones included."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from traceback import format_exception
from typing import Any

from . import api_deployments, api_git, api_issues, api_misc, api_releases, shapes
from .faults import Fault, FaultPlan, FaultRule
from .routing import Answer, Call, Reply, Router
from .state import Store, Token

RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID "
    "0000:FAKE."
)
PRIMARY_MESSAGE = "API rate limit exceeded for installation ID 1."


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake saw it, and what it answered.

    ``status`` is None when no response was sent (``Fault.TIMEOUT``); for
    ``Fault.LOST_RESPONSE`` it is the status the write produced, though the client never saw it.
    """

    method: str
    path: str
    """URL path, percent-decoded, with its prefix (``/api/v3/...``, ``/api/uploads/...``)."""
    query: dict[str, str]
    status: int | None
    body_json: Any
    """The request's JSON body, or None."""
    fault: Fault | None = None
    headers: dict[str, str] = field(default_factory=dict)
    """The request's headers, lower-cased names."""
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    route: str | None = None
    """The route pattern the request matched (``/api/v3/repos/{owner}/{repo}/issues``); None
    for an injected fault or a path the fake does not serve."""


@dataclass(frozen=True, slots=True)
class Incoming:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Drop:
    """Send nothing and close the connection, after ``sleep_seconds``."""

    sleep_seconds: float = 0.0


def _router() -> Router:
    router = Router()
    for module in (api_misc, api_issues, api_releases, api_git, api_deployments):
        module.register(router)
    return router


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _token_value(headers: dict[str, str]) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    return None


class Engine:
    """The request-to-reply logic of one fake server, independent of sockets."""

    def __init__(self, store: Store, urls: shapes.Urls, timeout_sleep: float) -> None:
        self.store = store
        self.urls = urls
        self.faults = FaultPlan()
        self.timeout_sleep = timeout_sleep
        self.recorded: list[RecordedRequest] = []
        self.internal_errors: list[str] = []
        """Exceptions raised by the fake's own handlers (each answered 500)."""
        self._record_lock = threading.Lock()
        self.router = _router()
        self._request_ids = iter(range(1, 1 << 62))

    def handle(self, incoming: Incoming) -> tuple[Reply, dict[str, str]] | Drop:
        rule = self.faults.pick(incoming.method, incoming.path)
        if rule is not None and rule.fault is Fault.TIMEOUT:
            self._record(incoming, None, rule.fault, {}, b"", None)
            return Drop(rule.sleep_seconds)
        if rule is not None and rule.fault not in (Fault.LOST_RESPONSE, Fault.SLOW_RESPONSE):
            reply = self._fault_reply(rule)
            headers = self._headers(reply)
            self._record(incoming, reply.status, rule.fault, headers, reply_bytes(reply), None)
            return reply, headers
        with self.store.lock:
            reply, route = self._dispatch(incoming)
            headers = self._headers(reply)
        fault = rule.fault if rule is not None else None
        self._record(incoming, reply.status, fault, headers, reply_bytes(reply), route)
        if fault is Fault.LOST_RESPONSE:
            return Drop()
        if rule is not None and fault is Fault.SLOW_RESPONSE:
            time.sleep(rule.sleep_seconds)  # the request is done; only its answer waits
        return reply, headers

    def recorded_copy(self) -> list[RecordedRequest]:
        with self._record_lock:
            return list(self.recorded)

    def clear_recorded(self) -> None:
        with self._record_lock:
            self.recorded.clear()

    def _dispatch(self, incoming: Incoming) -> tuple[Reply, str | None]:
        api = incoming.path.startswith("/api/")
        route = self.router.find(incoming.method, incoming.path)
        pattern = route.pattern if route is not None else None
        token = self._authenticate(incoming.headers) if api else self._anonymous()
        if token is None:
            return Reply(401, shapes.error("Bad credentials")), pattern
        if api and incoming.path != "/api/v3/rate_limit" and not self.store.rate.consume():
            return Reply(403, shapes.error(PRIMARY_MESSAGE, doc=RATE_DOCS)), pattern
        if route is None:
            return Reply(404, shapes.error("Not Found")), None
        if token.read_only and incoming.method not in ("GET", "HEAD"):
            return _read_only_refusal(incoming.path), route.pattern
        call = Call(self.store, self.urls, incoming.method, incoming.path, incoming.query,
                    incoming.headers, incoming.body, _json_or_none(incoming.body), token,
                    route.params)
        try:
            return route.handler(call), route.pattern
        except Answer as answer:
            return answer.reply, route.pattern
        except Exception as bug:  # a defect of the fake: answer 500, keep it for the test
            self.internal_errors.append(
                f"{incoming.method} {incoming.path}: {''.join(format_exception(bug))}")
            return Reply(500, shapes.error(f"fake GitHub bug: {bug!r}")), route.pattern

    def _authenticate(self, headers: dict[str, str]) -> Token | None:
        value = _token_value(headers)
        return self.store.tokens.get(value) if value else None

    def _anonymous(self) -> Token:
        return Token("", "user", self.store.user("anonymous"))

    def _fault_reply(self, rule: FaultRule) -> Reply:
        fault = rule.fault
        if fault is Fault.HTTP_500:
            return Reply(500, shapes.error("Server Error"))
        if fault is Fault.HTTP_502:
            return Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                         content_type="text/html")
        if fault is Fault.HTTP_503:
            return Reply(503, shapes.error("Service Unavailable"))
        if fault is Fault.SECONDARY_RATE_LIMIT:
            return Reply(403, shapes.error(SECONDARY_MESSAGE, doc=RATE_DOCS),
                         {"Retry-After": "1"})
        if fault is Fault.RATE_LIMIT_429:
            return Reply(429, shapes.error(SECONDARY_MESSAGE, doc=RATE_DOCS),
                         {"Retry-After": "1"})
        return Reply(429, shapes.error(PRIMARY_MESSAGE, doc=RATE_DOCS),
                     {"X-RateLimit-Remaining": "0",
                      "X-RateLimit-Reset": str(int(time.time()) + 1)})

    def _headers(self, reply: Reply) -> dict[str, str]:
        with self.store.lock:
            headers = self.store.rate.headers()
        headers |= {
            "Content-Type": reply.content_type,
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": f"FAKE:{next(self._request_ids)}",
        }
        return headers | reply.headers

    def _record(self, incoming: Incoming, status: int | None, fault: Fault | None,
                headers: dict[str, str], body: bytes, route: str | None) -> None:
        entry = RecordedRequest(incoming.method, incoming.path, dict(incoming.query), status,
                                _json_or_none(incoming.body), fault, dict(incoming.headers),
                                headers, body, route)
        with self._record_lock:
            self.recorded.append(entry)


_ACCEPTED_PERMISSIONS = (
    ("/comments", "issues=write; pull_requests=write"),
    ("/issues", "issues=write"),
    ("/deployments", "deployments=write"),
    ("/actions/", "actions=write"),
    ("", "contents=write"),
)


def _read_only_refusal(path: str) -> Reply:
    """GitHub's answer to a write with a read-only installation token: 403, and the
    ``X-Accepted-GitHub-Permissions`` header naming what would have been accepted."""
    accepted = next(value for part, value in _ACCEPTED_PERMISSIONS if part in path)
    body = shapes.error("Resource not accessible by integration",
                        doc="https://docs.github.com/rest")
    return Reply(403, body, {"X-Accepted-GitHub-Permissions": accepted})


def reply_bytes(reply: Reply) -> bytes:
    if reply.body is None:
        return b""
    if isinstance(reply.body, bytes):
        return reply.body
    return json.dumps(reply.body).encode()
