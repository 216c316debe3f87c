"""The real Docker engine for tests: required under CI, a skip elsewhere when absent.

The serving image's base is the action image (``mlops-ci:dev``, built by scripts/build-image)
with this working tree's ``mlops_ci`` copied over it, so the tests exercise the code under
test, not whatever the image was built from.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACTION_IMAGE = os.environ.get("MLOPS_CI_SERVING_BASE", "mlops-ci:dev")
TEST_LABEL = "mlops-ci-test"
BASE_REPOSITORY = "mlops-ci-test/serving-base"


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the Docker tests must run in CI: {reason}")
    pytest.skip(reason)


def engine() -> Any:
    docker: Any = importlib.import_module("docker")
    try:
        client = docker.from_env()
        client.ping()
    except Exception as error:
        unavailable(f"no Docker engine: {error}")
    return client


def _tree_digest(folder: Path, image_id: str) -> str:
    digest = hashlib.sha256(image_id.encode())
    for path in sorted(folder.rglob("*.py")) + sorted(folder.rglob("*.json")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def serving_base(client: Any) -> str:
    """A base image holding this tree's ``mlops_ci``, built once per change of the code or of
    the action image it starts from (a rebuilt image, e.g. one more system library, makes a new
    base)."""
    errors: Any = importlib.import_module("docker.errors")
    package = ROOT / "mlops_ci"
    try:
        action = client.images.get(ACTION_IMAGE)
    except errors.ImageNotFound:
        unavailable(f"the action image {ACTION_IMAGE} is missing: run scripts/build-image")
    tag = f"{BASE_REPOSITORY}:{_tree_digest(package, str(action.id))}"
    _remove_stale_bases(client, keep=tag)
    try:
        client.images.get(tag)
        return tag
    except errors.ImageNotFound:
        pass
    where = client.containers.run(
        ACTION_IMAGE, entrypoint=["python", "-c",
                                  "import mlops_ci, os; print(os.path.dirname(mlops_ci.__file__))"],
        network_mode="none", remove=True,
    ).decode().strip()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        # The image's bytecode is compiled unchecked (not compared with the source): drop it.
        dockerfile = (
            f"FROM {ACTION_IMAGE}\n"
            f"RUN python -c \"import pathlib, shutil; [shutil.rmtree(p) for p in "
            f"pathlib.Path('{where}').rglob('__pycache__')]\"\n"
            f"COPY mlops_ci/ {where}/\n"
            f"LABEL {TEST_LABEL}=base\n"
        ).encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        tar.add(package, arcname="mlops_ci",
                filter=lambda item: None if "__pycache__" in item.name else item)
    archive.seek(0)
    client.images.build(fileobj=archive, custom_context=True, tag=tag, rm=True, pull=False)
    return tag


def _remove_stale_bases(client: Any, *, keep: str) -> None:
    """Bases built from earlier states of the code (one per change): not needed again."""
    for image in client.images.list(name=BASE_REPOSITORY):
        if keep not in image.tags:
            with contextlib.suppress(Exception):  # in use by a parallel run, or gone already
                client.images.remove(image.id, force=False)


def remove_labelled(client: Any, label: str) -> None:
    for container in client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True)
