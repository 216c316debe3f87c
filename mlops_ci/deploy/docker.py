"""The ``docker`` deploy target: one serving container per environment, replaced without a gap.

The only module that imports the docker SDK for deploys (lazily). The engine is the one
``DOCKER_HOST`` (etc.) in the environment names.

**Image.** ``mlops-ci-serving/MODEL:VERSION``: ``FROM`` the action image (the tag in
``MLOPS_CI_SERVING_BASE``; else, in the action's container, its own image (``own_image``); else
``mlops-ci:dev``) plus one small layer holding ``model.skops`` and
``columns.json``; its entry point is ``python -m mlops_ci.serving`` for that model. A version
with a ``train.requirements`` file gets its packages layered over the base's
(``serving_image``). An image already built from the same model file and requirements
(labels ``mlops-ci.model-sha256``, ``mlops-ci.requirements-sha256``) is reused.

**Roll-out** (host networking, the environment's ``port``), chosen so that the version that
serves keeps serving until its successor has proven itself:

1. *Check*: the new image runs as ``mlops-ENV-VERSION-check`` on a free temporary port of
   127.0.0.1. mlops-ci waits for the health path (``health.timeout``/``interval``) and posts
   ``health.smoke_rows`` rows of the test set to ``/predict``. A server that exits (a model
   that fails to load), never gets ready or fails the smoke test is removed: the previous
   container was never touched, the deploy fails (exit 1) with the reason and its last lines.
2. *Swap*: the new version starts as ``mlops-ENV-VERSION`` on the environment's port beside
   the old one: both listen with ``SO_REUSEPORT`` and the kernel spreads new connections over
   both. Once it answers, the old container is stopped (SIGTERM: it finishes its requests)
   and removed. An old container that did not listen with ``SO_REUSEPORT`` (or any other
   process on the port) makes the new one fail to bind: then the old one is stopped first and
   started again if the new one does not come up.

Containers carry the labels ``mlops-ci.environment``, ``mlops-ci.version``, ``mlops-ci.model``
and ``mlops-ci.role`` (``serving`` or ``check``); ``current_version`` reads them, and the
serving container restarts with the engine (``unless-stopped``). Checks reach the servers at
``MLOPS_DEPLOY_HOST`` (default 127.0.0.1): the engine's host as seen from mlops-ci.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_ci.backends.container import docker_client, docker_errors, ensure_image
from mlops_ci.config.model import Backend, Environment
from mlops_ci.deploy.own_image import own_image
from mlops_ci.deploy.probe import Probe, smoke_test, wait_ready
from mlops_ci.deploy.protocol import Deployed, DeployFailed, DeployRequest, environment_url
from mlops_ci.deploy.serving_image import pip_failure, write_context
from mlops_ci.digest import sha256_file
from mlops_ci.errors import ExternalError, UserError

BASE_IMAGE_VARIABLE = "MLOPS_CI_SERVING_BASE"
DEFAULT_BASE_IMAGE = "mlops-ci:dev"
ENGINE_HINT = "start it (scripts/docker-engine), or point DOCKER_HOST at one"
PREDICTION_LOG_DIR_VARIABLE = "MLOPS_PREDICTION_LOG_DIR"
LOG_MOUNT = "/var/log/mlops-ci"
LABEL_ENVIRONMENT = "mlops-ci.environment"
LABEL_VERSION = "mlops-ci.version"
LABEL_MODEL = "mlops-ci.model"
LABEL_ROLE = "mlops-ci.role"
LABEL_SHA256 = "mlops-ci.model-sha256"
LABEL_REQUIREMENTS = "mlops-ci.requirements-sha256"
STOP_TIMEOUT_SECONDS = 10
LOG_TAIL_LINES = 15
ANNOUNCEMENT = b"serving "  # the line python -m mlops_ci.serving prints once it listens
_UNSAFE = re.compile(r"[^a-z0-9_.-]+")

def safe_name(text: str) -> str:
    """``text`` as a docker name or tag component: lowercase, ``[a-z0-9_.-]``."""
    cleaned = _UNSAFE.sub("-", text.lower()).strip("-.")
    return cleaned or "x"


def container_name(environment: str, version: str, *, check: bool = False) -> str:
    name = f"mlops-{safe_name(environment)}-{safe_name(version)}"
    return f"{name}-check" if check else name


def image_tag(model: str, version: str) -> str:
    return f"mlops-ci-serving/{safe_name(model)}:{safe_name(version)}"


@dataclass(frozen=True, slots=True)
class _Started:
    container: Any
    url: str


class DockerTarget:
    name: Backend = "docker"

    def deploy(self, request: DeployRequest) -> Deployed:
        client = docker_client(request.environ, hint=ENGINE_HINT)
        return self._roll_out(client, request, self._image(client, request))

    def rollback(self, request: DeployRequest) -> Deployed:
        return self.deploy(request)

    def preflight(self, request: DeployRequest) -> None:
        """The engine answers and, unless this version's image is built already, the serving
        base image is on it or can be pulled."""
        client = docker_client(request.environ, hint=ENGINE_HINT)
        if not _built(client, request):
            _ensure_base(client, request)

    def current_version(
        self, environment: Environment, workspace: Path, environ: Mapping[str, str]
    ) -> str | None:
        client = docker_client(environ, hint=ENGINE_HINT)
        running = _serving(client, environment.name)
        return str(running[0].labels.get(LABEL_VERSION)) if running else None

    def current_promotion(
        self, environment: Environment, workspace: Path, environ: Mapping[str, str]
    ) -> str | None:
        return None  # not recorded: the docker backend has no canary to complete

    # The image

    def _image(self, client: Any, request: DeployRequest) -> str:
        errors = docker_errors()
        tag = image_tag(request.model, request.version)
        digest = sha256_file(request.model_file)
        if _built(client, request):
            return tag
        base = _ensure_base(client, request)
        context = request.scratch / "serving-image"
        build_args = write_context(request, base, context)
        labels = {LABEL_MODEL: request.model, LABEL_VERSION: request.version, LABEL_SHA256: digest,
                  LABEL_REQUIREMENTS: _requirements_digest(request)}
        if request.requirements is not None:
            request.out.write(f"building {tag}: installing its requirements file\n")
            request.out.flush()
        try:
            client.images.build(path=str(context), tag=tag, labels=labels, rm=True,
                                forcerm=True, pull=False, buildargs=build_args)
        except errors.BuildError as error:
            reasons = pip_failure(getattr(error, "build_log", ()))
            if reasons:  # the version's requirements file, not the engine
                raise UserError(f"building the serving image {tag}: pip could not install the "
                                "version's train.requirements:\n" + "\n".join(reasons)) from None
            raise ExternalError(f"building the serving image {tag} failed: {error}") from None
        except errors.APIError as error:
            raise ExternalError(f"building the serving image {tag} failed: {error}") from None
        request.out.write(f"built {tag} from {base}\n")
        return tag

    # The roll-out

    def _roll_out(self, client: Any, request: DeployRequest, image: str) -> Deployed:
        environment = request.environment
        if environment.port is None:
            raise UserError(
                f"environment {environment.name!r} uses the docker backend but has no port",
                hint=f"set deploy.environments.{environment.name}.port",
            )
        previous = [
            c
            for c in _serving(client, environment.name)
            if c.labels.get(LABEL_VERSION) != request.version
            or c.name != container_name(environment.name, request.version)
        ]
        checked = self._check(client, request, image, previous_serving=bool(previous))
        started = self._swap(client, request, image, previous)
        old = ", ".join(sorted({str(c.labels.get(LABEL_VERSION)) for c in previous}))
        detail = f"{checked}; serving on port {environment.port}"
        if old:
            detail += f"; replaced {old}"
        request.out.write(f"{environment.name}: {detail}\n")
        return Deployed(
            request.version, environment_url(environment, request.environ) or started.url, detail
        )

    def _check(
        self, client: Any, request: DeployRequest, image: str, *, previous_serving: bool
    ) -> str:
        environment = request.environment
        name = container_name(environment.name, request.version, check=True)
        port = _free_port()
        started = _run(client, request, image, name, port, role="check", host="127.0.0.1")
        try:
            ready = _wait(started, request)
            probe = ready if not ready.ok else smoke_test(started.url, request.smoke_rows)
            if not probe.ok:
                raise DeployFailed(
                    f"{request.model} {request.version} failed its checks in "
                    f"{environment.name}: {probe.detail}"
                    + (f"{_logs(started.container)}" if not ready.ok else "")
                    + ("; the previous version keeps serving" if previous_serving else ""),
                    previous_serving=previous_serving,
                )
            return f"ready in {ready.seconds:.1f}s, {probe.detail} (port {port})"
        finally:
            _remove(started.container)

    def _swap(
        self, client: Any, request: DeployRequest, image: str, previous: list[Any]
    ) -> _Started:
        environment = request.environment
        port = environment.port
        assert port is not None  # noqa: S101 -- checked by _roll_out
        name = container_name(environment.name, request.version)
        started = _run(client, request, image, name, port, role="serving", host="0.0.0.0")  # noqa: S104
        # The old server answers on the same port too: wait for the new one's own word first.
        ready = _wait(started, request, announced=True)
        if ready.ok:
            for container in previous:
                _stop(container)
            return started
        _remove(started.container)
        if not previous:
            raise DeployFailed(f"{environment.name}: {ready.detail}", previous_serving=False)
        request.out.write(
            f"{environment.name}: the new server did not start beside the old one "
            f"({ready.detail}); stopping the old one first\n"
        )
        for container in previous:
            container.stop(timeout=STOP_TIMEOUT_SECONDS)
        started = _run(client, request, image, name, port, role="serving", host="0.0.0.0")  # noqa: S104
        ready = _wait(started, request)
        if ready.ok:
            for container in previous:
                _remove(container)
            return started
        reason = ready.detail + _logs(started.container)
        _remove(started.container)
        for container in previous:
            container.start()
        raise DeployFailed(
            f"{environment.name}: {reason}; the previous version was restarted",
            previous_serving=True,
        )


def _built(client: Any, request: DeployRequest) -> bool:
    """This version's image is on the engine, built from this very model file."""
    try:
        existing = client.images.get(image_tag(request.model, request.version))
    except docker_errors().ImageNotFound:
        return False
    labels = existing.labels or {}
    return bool(labels.get(LABEL_SHA256) == sha256_file(request.model_file)
                and labels.get(LABEL_REQUIREMENTS, "") == _requirements_digest(request))


def _requirements_digest(request: DeployRequest) -> str:
    """The sha256 of the version's requirements file ("" for none): part of the image."""
    return "" if request.requirements is None else hashlib.sha256(request.requirements).hexdigest()


def _ensure_base(client: Any, request: DeployRequest) -> str:
    """The serving base image, on the engine (pulled if missing); ``UserError`` if it cannot."""
    base = (request.environ.get(BASE_IMAGE_VARIABLE) or own_image(client, request.environ)
            or DEFAULT_BASE_IMAGE)
    ensure_image(client, base, role="the serving base image",
                 hint=f"build it (scripts/build-image), or set {BASE_IMAGE_VARIABLE} to an "
                 "image that has mlops-ci installed")
    return base


def _serving(client: Any, environment: str) -> list[Any]:
    filters = {
        "label": [f"{LABEL_ENVIRONMENT}={environment}", f"{LABEL_ROLE}=serving"],
        "status": "running",
    }
    return list(client.containers.list(filters=filters))


def _run(
    client: Any, request: DeployRequest, image: str, name: str, port: int, *, role: str, host: str
) -> _Started:
    errors = docker_errors()
    _remove_named(client, name)
    labels = {
        LABEL_ENVIRONMENT: request.environment.name,
        LABEL_VERSION: request.version,
        LABEL_MODEL: request.model,
        LABEL_ROLE: role,
    }
    command = ["--port", str(port), "--host", host]
    volumes: dict[str, dict[str, str]] = {}
    environment: dict[str, str] = {}
    if role == "serving":
        command.append("--reuse-port")
        log_dir = request.environ.get(PREDICTION_LOG_DIR_VARIABLE)
        if log_dir:
            # The prediction log (off by default): one JSON Lines file per environment in
            # the host folder MLOPS_PREDICTION_LOG_DIR, for `mlops-ci monitor` to join labels to.
            volumes[str(Path(log_dir).absolute())] = {"bind": LOG_MOUNT, "mode": "rw"}
            environment["MLOPS_PREDICTION_LOG"] = f"{LOG_MOUNT}/{request.environment.name}.jsonl"
            if request.id_column:
                command += ["--id-column", request.id_column]
    try:
        container = client.containers.run(
            image,
            command=command,
            name=name,
            labels=labels,
            network_mode="host",
            detach=True,
            volumes=volumes or None,
            environment=environment or None,
            restart_policy={"Name": "unless-stopped"} if role == "serving" else None,
        )
    except errors.APIError as error:
        raise ExternalError(
            f"cannot start container {name}: {error.explanation or error}"
        ) from None
    probe_host = request.environ.get("MLOPS_DEPLOY_HOST", "127.0.0.1")
    return _Started(container, f"http://{probe_host}:{port}")


def _wait(started: _Started, request: DeployRequest, *, announced: bool = False) -> Probe:
    """Wait until the server answers its health path; with ``announced``, first until it has
    printed that it listens (when another server shares the port, an answer proves nothing)."""
    health = request.environment.health
    container = started.container

    def gone() -> str | None:
        container.reload()
        if container.status in ("exited", "dead"):
            code = container.attrs.get("State", {}).get("ExitCode")
            return f"the server exited with code {code} before it was ready"
        return None

    if announced:
        began = time.monotonic()
        while ANNOUNCEMENT not in container.logs(stderr=False):
            reason = gone()
            if reason is not None:
                return Probe(False, reason, time.monotonic() - began)
            if time.monotonic() - began >= health.timeout_seconds:
                return Probe(
                    False,
                    f"not listening after {health.timeout_seconds}s",
                    time.monotonic() - began,
                )
            time.sleep(0.1)
    return wait_ready(
        started.url,
        health.path,
        timeout_seconds=health.timeout_seconds,
        interval_seconds=min(health.interval_seconds, 0.5),
        gone=gone,
    )


def _logs(container: Any) -> str:
    try:
        text = container.logs(tail=LOG_TAIL_LINES).decode("utf-8", "replace").rstrip()
    except Exception:  # the container may be gone already
        return ""
    if not text:
        return ""
    return "; its last lines:\n" + "\n".join(f"    {line}" for line in text.splitlines())


def _stop(container: Any) -> None:
    errors = docker_errors()
    with contextlib.suppress(errors.NotFound):
        container.stop(timeout=STOP_TIMEOUT_SECONDS)
        container.remove()


def _remove(container: Any) -> None:
    errors = docker_errors()
    with contextlib.suppress(errors.NotFound):
        container.remove(force=True)


def _remove_named(client: Any, name: str) -> None:
    errors = docker_errors()
    with contextlib.suppress(errors.NotFound):
        _remove(client.containers.get(name))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
