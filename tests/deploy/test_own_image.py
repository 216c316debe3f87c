"""Finding the image of the container mlops-ci runs in (``mlops_ci/deploy/own_image.py``).

The docker end-to-end test (tests/docker/test_action_user_project.py) deploys from inside the
action's container with no ``MLOPS_CI_SERVING_BASE`` and checks the serving image was built
from that container's own image; these check the parts that need no engine.
"""

from __future__ import annotations

from pathlib import Path

from mlops_ci.backends.own_image import own_container_id as container_id
from mlops_ci.deploy.own_image import IMAGE_VARIABLE, own_image

ID = "3f1c" * 16
# /proc/self/mountinfo of a container as Docker starts it (lines shortened to the fields read).
DOCKER_MOUNTINFO = (
    "600 560 0:52 / / rw,relatime master:300 - overlay overlay rw,lowerdir=/var/lib/docker/...\n"
    f"612 600 8:1 /var/lib/docker/containers/{ID}/resolv.conf /etc/resolv.conf rw,relatime - "
    "ext4 /dev/sda1 rw\n"
    f"613 600 8:1 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw,relatime - "
    "ext4 /dev/sda1 rw\n"
)
HOST_MOUNTINFO = (
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "40 22 0:35 / /var/lib/docker/containers rw,relatime - ext4 /dev/sda1 rw\n"
)


def test_the_container_is_named_by_the_files_docker_mounts_into_it() -> None:
    assert container_id(DOCKER_MOUNTINFO) == ID


def test_outside_a_container_there_is_none() -> None:
    assert container_id(HOST_MOUNTINFO) is None


def test_only_mlops_cis_own_image_asks_the_engine(tmp_path: Path) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(DOCKER_MOUNTINFO, encoding="utf-8")
    no_engine = object()  # any use of it would raise AttributeError

    assert own_image(no_engine, {}, mountinfo) is None
    assert own_image(no_engine, {IMAGE_VARIABLE: "0"}, mountinfo) is None


def test_a_missing_mountinfo_is_no_container(tmp_path: Path) -> None:
    assert own_image(object(), {IMAGE_VARIABLE: "1"}, tmp_path / "absent") is None
