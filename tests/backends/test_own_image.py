"""Finding the image of the container mlops-ci runs in: from its mount table, asking the engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_ci.backends.own_image import container_image, own_container_id, running_image
from tests.deploy.docker_engine import ACTION_IMAGE, TEST_LABEL, engine

CONTAINER = "4f" * 32
MOUNTINFO = (
    "612 590 0:52 / / rw,relatime master:276 - overlay overlay rw\n"
    f"641 612 254:1 /var/lib/docker/containers/{CONTAINER}/resolv.conf /etc/resolv.conf "
    "rw,relatime - ext4 /dev/vda1 rw\n"
)


def test_the_container_id_is_read_from_its_own_mount_table() -> None:
    assert own_container_id(MOUNTINFO) == CONTAINER
    assert own_container_id("612 590 0:52 / / rw - overlay overlay rw\n") is None


def test_outside_a_container_or_without_an_engine_no_image_is_named(tmp_path: Path) -> None:
    plain = tmp_path / "mountinfo"
    plain.write_text("25 1 8:1 / / rw - ext4 /dev/sda1 rw\n")
    assert running_image({}, plain) is None
    assert running_image({}, tmp_path / "absent") is None
    inside = tmp_path / "inside"
    inside.write_text(MOUNTINFO)
    nowhere = {"DOCKER_HOST": f"unix://{tmp_path}/no.sock"}
    assert running_image(nowhere, inside) is None


@pytest.mark.docker
def test_a_container_finds_the_image_it_was_started_from() -> None:
    client = engine()
    container = client.containers.run(
        ACTION_IMAGE, ["sleep", "30"], entrypoint=[], detach=True, labels={TEST_LABEL: "1"})
    try:
        status, output = container.exec_run(["cat", "/proc/self/mountinfo"])
        assert status == 0
        assert own_container_id(output.decode()) == container.id
        image = client.images.get(ACTION_IMAGE)
        expected = (image.attrs.get("RepoDigests") or [image.id])[0]
        assert container_image(dict(os.environ), container.id) == expected
    finally:
        container.remove(force=True)
