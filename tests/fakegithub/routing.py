"""Requests in, replies out: the types every endpoint handler shares, and the route table.

A handler is a function ``(Call) -> Reply``. It runs with the store's lock held, so it may
read and change state freely; it raises ``Answer`` to reply early with an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import shapes
from .state import RepoState, Store, Token

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None
    """JSON-able value, or ``bytes`` sent as is; None sends no body (204)."""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


class Answer(Exception):
    """Raised by a handler to reply at once (404, 422, ...)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def not_found() -> Answer:
    return Answer(Reply(404, shapes.error("Not Found")))


def invalid(message: str = "Validation Failed", errors: list[JSON] | None = None) -> Answer:
    return Answer(Reply(422, shapes.error(message, errors)))


def field_error(resource: str, field_name: str, code: str, message: str | None = None) -> Answer:
    entry: JSON = {"resource": resource, "code": code, "field": field_name}
    if message is not None:
        entry["message"] = message
    return invalid("Validation Failed", [entry])


@dataclass(frozen=True, slots=True)
class Call:
    """One request, parsed, with the caller's token and the store."""

    store: Store
    urls: shapes.Urls
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased names."""
    raw_body: bytes
    json_body: Any
    token: Token
    params: dict[str, str]

    @property
    def repo(self) -> RepoState:
        key = f"{self.params['owner']}/{self.params['repo']}".lower()
        repo = self.store.repos.get(key)
        if repo is None:
            raise not_found()
        return repo

    def body(self) -> JSON:
        """The JSON object sent; 400 "Problems parsing JSON" otherwise, as GitHub answers."""
        if isinstance(self.json_body, dict):
            return self.json_body
        if not self.raw_body:
            return {}
        raise Answer(Reply(400, shapes.error("Problems parsing JSON")))

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise not_found() from None


Handler = Callable[[Call], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    pattern: str
    """As registered, ``{ref+}`` written ``{ref}``, e.g. ``/api/v3/repos/{owner}/{repo}/issues``."""
    handler: Handler
    params: dict[str, str]


class Router:
    """Maps (method, path) to a handler; ``{name}`` in a pattern matches one path segment,
    ``{name+}`` the rest of the path."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", pattern)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        self._routes.append((method, pattern, re.compile(f"^{regex}$"), handler))

    def routes(self) -> list[tuple[str, str]]:
        """Every (method, pattern) served, patterns written as ``Route.pattern``."""
        return [(method, pattern.replace("+}", "}")) for method, pattern, _, _ in self._routes]

    def find(self, method: str, path: str) -> Route | None:
        for route_method, pattern, regex, handler in self._routes:
            match = regex.match(path)
            if match and route_method == method:
                return Route(pattern.replace("+}", "}"), handler, match.groupdict())
        return None
