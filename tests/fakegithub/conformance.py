"""Check the fake's recorded responses against GitHub's OpenAPI description.

The description (``../shared/github/api.github.com.openapi.json.gz`` beside the checkout, or
``$GITHUB_OPENAPI_SPEC``: ``tests/github_corpus.py``) is read in place, never copied into the
repository. Its servers are
replaced by the fake's layout (``http://127.0.0.1:{port}/api/v3``, and ``/api/uploads`` for
the release-asset upload that GitHub serves from ``uploads.github.com``).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from tests.github_corpus import OPENAPI

from .engine import RecordedRequest

SPEC_PATH = OPENAPI
UPLOAD_PATH = "/repos/{owner}/{repo}/releases/{release_id}/assets"
UNDESCRIBED_ERRORS = frozenset({401, 403, 404, 422, 429, 500, 502, 503})
"""Error statuses GitHub may send on any operation; the description lists them only on
some. An undescribed one is checked against ``basic-error`` instead."""


def load_openapi() -> Any:
    """openapi-core's ``OpenAPI`` for GitHub's description with the fake's servers."""
    from openapi_core import Config, OpenAPI

    with gzip.open(SPEC_PATH) as stream:
        spec = json.load(stream)
    port = {"port": {"default": "80"}}
    spec["servers"] = [{"url": "http://127.0.0.1:{port}/api/v3", "variables": port}]
    spec["paths"][UPLOAD_PATH]["post"]["servers"] = [
        {"url": "http://127.0.0.1:{port}/api/uploads", "variables": port}]
    # None skips openapi-core's self-check of the 10 MB description (seconds, and not ours to
    # fix); its stubs type the parameter without None.
    config = Config(spec_validator_cls=None)  # type: ignore[arg-type]
    return OpenAPI.from_dict(spec, config=config)


@dataclass(frozen=True, slots=True)
class _Request:
    """openapi-core's Request protocol, with the route the fake matched as the pattern."""

    host_url: str
    path: str
    path_pattern: str
    method: str
    content_type: str
    body: bytes | None
    parameters: Any = field(default=None)


@dataclass(frozen=True, slots=True)
class _Response:
    status_code: int
    content_type: str
    headers: Any
    data: bytes | None


def problems(openapi: Any, host_url: str, recorded: RecordedRequest) -> list[str]:
    """What in one recorded response disagrees with the description (empty: conforms)."""
    from openapi_core.datatypes import RequestParameters
    from werkzeug.datastructures import Headers, ImmutableMultiDict

    if recorded.route is None or recorded.status is None:
        return [f"{recorded.method} {recorded.path}: answered by no route ({recorded.status})"]
    request = _Request(
        host_url=host_url, path=recorded.path, path_pattern=recorded.route,
        method=recorded.method.lower(),
        content_type=recorded.headers.get("content-type", "application/json"),
        body=None, parameters=RequestParameters(
            query=ImmutableMultiDict(recorded.query), header=Headers(recorded.headers)),
    )
    headers = Headers(recorded.response_headers)
    response = _Response(recorded.status, headers.get("Content-Type", ""), headers,
                         recorded.response_body or None)
    label = f"{recorded.method} {recorded.path} -> {recorded.status}"
    try:
        openapi.validate_response(request, response)
    except Exception as error:
        if _undescribed(error, recorded.status):
            return _basic_error(label, recorded.response_body)
        return [f"{label}: {_explain(error)}"]
    return []


def _undescribed(error: Exception, status: int) -> bool:
    return type(error).__name__ == "ResponseNotFound" and status in UNDESCRIBED_ERRORS


def _basic_error(label: str, body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return [f"{label}: error body is not JSON"]
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return [f"{label}: error body has no message: {data!r}"]
    return []


def _explain(error: BaseException) -> str:
    """The error's kind and each schema error with its JSON path (not the whole value)."""
    details = [type(error).__name__]
    cause: BaseException | None = error
    while cause is not None:
        for sub in getattr(cause, "schema_errors", ()) or ():
            where = "/".join(map(str, sub.absolute_path)) or "(body)"
            details.append(f"  at {where}: {sub.message[:300]}")
            details.extend(f"    {'/'.join(map(str, c.absolute_path))}: {c.message[:200]}"
                           for c in (sub.context or [])[:8])
        if not getattr(cause, "schema_errors", None) and cause is not error:
            details.append(f"  {type(cause).__name__}: {str(cause)[:300]}")
        cause = cause.__cause__ or cause.__context__
    return "\n".join(details)
