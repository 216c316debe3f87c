"""The image of the container mlops-ci runs in, when that is mlops-ci's own image.

In the action the docker deploy backend builds each serving image ``FROM`` the action image.
On GitHub the runner builds that image from action.yml under a tag of its own making, so the
default base (``mlops-ci:dev``) is not there: the base is then the image of the container
mlops-ci runs in. Docker mounts a container's ``/etc/hostname``, ``/etc/hosts`` and
``/etc/resolv.conf`` from ``.../containers/ID/``, which ``/proc/self/mountinfo`` shows in
every network mode; the engine (the runner mounts its socket into container actions) names
that container's image. Only asked in mlops-ci's image (its Dockerfile sets ``MLOPS_CI_IMAGE``),
never in a developer's container that merely runs mlops-ci.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_ci.backends.container import docker_errors
from mlops_ci.backends.own_image import MOUNTINFO, own_container_id

IMAGE_VARIABLE = "MLOPS_CI_IMAGE"


def own_image(client: Any, environ: Mapping[str, str], mountinfo: Path = MOUNTINFO) -> str | None:
    """A tag (or, untagged, the id) of the image mlops-ci's container was started from; None
    outside mlops-ci's image or when the engine does not know the container."""
    if environ.get(IMAGE_VARIABLE) != "1":
        return None
    try:
        found = own_container_id(mountinfo.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    if found is None:
        return None
    errors = docker_errors()
    try:
        image = client.containers.get(found).image
    except (errors.NotFound, errors.APIError):
        return None
    tags = list(image.tags or ())
    return str(tags[0]) if tags else str(image.id)
