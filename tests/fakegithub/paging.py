"""Pagination as GitHub does it: ``per_page`` (default 30, max 100), ``page`` from 1, and a
``Link`` header with ``prev``, ``next``, ``last``, ``first`` in GitHub's order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from .routing import Call, Reply

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def _positive(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default


def page(call: Call, items: Sequence[Any]) -> Reply:
    """One page of ``items`` (already rendered JSON) with GitHub's ``Link`` header."""
    per_page = min(_positive(call.query.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
    number = _positive(call.query.get("page"), 1)
    last = max(1, -(-len(items) // per_page))
    start = (number - 1) * per_page
    headers: dict[str, str] = {}
    links = _links(call, number, last)
    if links:
        headers["Link"] = links
    return Reply(200, list(items[start:start + per_page]), headers)


def _links(call: Call, number: int, last: int) -> str:
    def url(target: int) -> str:
        query = {key: value for key, value in call.query.items() if key != "page"}
        query["page"] = str(target)
        return f"<{call.urls.web}{call.path}?{urlencode(query)}>"

    rels: list[str] = []
    if number > 1:
        rels.append(f'{url(min(number - 1, last))}; rel="prev"')
    if number < last:
        rels.append(f'{url(number + 1)}; rel="next"')
        rels.append(f'{url(last)}; rel="last"')
    if number > 1:
        rels.append(f'{url(1)}; rel="first"')
    return ", ".join(rels)
