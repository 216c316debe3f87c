"""Which version each production environment actually serves, asked over HTTP.

The registry says which version is in production; an environment may serve another (a failed
rollout, a manual change, a rollback the registry never heard of). ``ask_served_version`` asks
the model server's Open Inference Protocol model metadata, ``GET {url}/v2/models/NAME``, whose
``versions`` list names what it serves (``mlops_ci.serving`` answers with the one version it
loaded). One short attempt, no retries: an environment that cannot be asked is reported as
such (``error``), never as a mismatch, so a network blip opens no issue.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ServedVersion:
    """What one environment answered (or why it could not be asked)."""

    environment: str
    url: str
    expected: str  # the registry's version in the production stage
    served: tuple[str, ...] = ()  # the versions the server names (empty: it names none)
    error: str | None = None  # why it could not be asked; then ``served`` means nothing
    serves_model: bool = True  # False: the server answered 404 for the model

    @property
    def mismatch(self) -> bool:
        """The server does not serve the model, or names versions without the registry's."""
        if self.error is not None:
            return False
        return not self.serves_model or (bool(self.served) and self.expected not in self.served)


def ask_served_version(
    environment: str, url: str, model: str, expected: str, *, timeout: float = TIMEOUT_SECONDS
) -> ServedVersion:
    """Ask the server at ``url`` which versions of ``model`` it serves."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ServedVersion(environment, url, expected, error=f"not an http(s) URL: {url!r}")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = f"{parts.path.rstrip('/')}/v2/models/{quote(model, safe='')}"
    connection = kind(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept": "application/json"})
        response = connection.getresponse()
        status, body = response.status, response.read(1 << 20)
    except (OSError, http.client.HTTPException) as error:
        return ServedVersion(environment, url, expected,
                             error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()
    if status == 404:
        return ServedVersion(environment, url, expected, serves_model=False)
    if status != 200:
        return ServedVersion(environment, url, expected, error=f"HTTP {status} from {path}")
    return ServedVersion(environment, url, expected, served=_versions(body), error=(
        None if _is_metadata(body) else f"{path} did not answer model metadata (JSON)"))


def _is_metadata(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


def _versions(body: bytes) -> tuple[str, ...]:
    try:
        value = json.loads(body)
    except ValueError:
        return ()
    versions = value.get("versions") if isinstance(value, dict) else None
    if not isinstance(versions, list):
        return ()
    return tuple(str(item)[:100] for item in versions if isinstance(item, str | int))
