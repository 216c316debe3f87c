"""Which image the running process's container was started from, when the engine can say.

GitHub runs a docker action's container with the engine's socket mounted
(``/var/run/docker.sock``), so the container can look itself up: its id appears in its own
mount table (``/var/lib/docker/containers/<id>/hostname``, ``resolv.conf``, ``hosts``), and the
engine knows the image that id runs. What a caller may rely on:

- ``running_image`` returns the image's repository digest (``ghcr.io/o/mlops-ci@sha256:...``)
  when it was pulled by one, else its content id (``sha256:...``, what a locally built action
  image has); ``None`` outside a container, without a reachable engine, or when the engine does
  not know the container (another engine: ``DOCKER_HOST`` elsewhere). It never raises.
- It asks the engine at most twice, with a short timeout: recording the image must never hold
  a run up.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MOUNTINFO = Path("/proc/self/mountinfo")
TIMEOUT_SECONDS = 5
_CONTAINER_FILE = re.compile(r"/containers/([0-9a-f]{64})/(?:hostname|hosts|resolv\.conf)\s")


def own_container_id(mountinfo: str) -> str | None:
    """The id of the container whose mount table ``mountinfo`` is, if it names one."""
    found = _CONTAINER_FILE.search(mountinfo)
    return found.group(1) if found else None


def running_image(environ: Mapping[str, str], mountinfo: Path = MOUNTINFO) -> str | None:
    """The image this process runs in (see the module docstring), or ``None``."""
    try:
        container_id = own_container_id(mountinfo.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    if container_id is None:
        return None
    return container_image(environ, container_id)


def container_image(environ: Mapping[str, str], container_id: str) -> str | None:
    """The repository digest, else the id, of the image container ``container_id`` runs."""
    try:
        docker: Any = importlib.import_module("docker")
        requests: Any = importlib.import_module("requests")
    except ImportError:
        return None
    failures = (docker.errors.DockerException, requests.RequestException, KeyError, OSError)
    client = None
    try:
        client = docker.from_env(environment=dict(environ), timeout=TIMEOUT_SECONDS)
        image_id = str(client.api.inspect_container(container_id)["Image"])
        digests = client.api.inspect_image(image_id).get("RepoDigests") or []
    except failures:  # the engine cannot say: no image recorded, never a failed run
        return None
    finally:
        if client is not None:
            client.close()
    return str(digests[0]) if digests else image_id
