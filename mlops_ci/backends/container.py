"""Run one command in a throwaway container through the Docker engine (docker SDK).

Used by training with ``train.image``. What a caller may rely on:

- The engine is the one ``DOCKER_HOST`` (etc.) in ``environ`` names, so training can run on
  a bigger machine. An engine that does not answer is an ``ExternalError`` (exit 3).
- A missing image is pulled once; if that fails too it is a ``UserError`` naming the image.
- Mounts are explicit (read-only or read-write), the network is off (``network_mode=none``),
  the process runs as the calling user's uid:gid so files it writes belong to the caller,
  output is streamed live line by line (fenced under GitHub Actions, like
  ``backends.process``), and the container is removed afterwards whatever happened.
- A timeout kills the container and raises ``CommandTimedOut`` (no hint: where the limit is
  set is the caller's to say); a non-zero exit is a ``CommandFailed`` with its last lines.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from mlops_ci.backends.process import (
    TAIL_LINES,
    CommandFailed,
    CommandTimedOut,
    OutputSink,
    ProcessResult,
    describe,
)
from mlops_ci.errors import ExternalError, UserError


@dataclass(frozen=True, slots=True)
class Mount:
    source: Path  # on the engine's host
    target: str  # inside the container
    read_only: bool


def run_in_container(
    image: str,
    argv: Sequence[str],
    *,
    mounts: Sequence[Mount],
    workdir: str,
    env: Mapping[str, str],
    environ: Mapping[str, str],
    out: TextIO,
    timeout_seconds: float,
    what: str | None = None,
) -> ProcessResult:
    """Run ``argv`` in a fresh container of ``image``; ``env`` is the container's environment.

    ``environ`` is this process's environment: it locates the engine and decides whether
    output is fenced for GitHub Actions.
    """
    errors = docker_errors()
    args = tuple(argv)
    label = what or f"`{describe(args)}` in image {image}"
    client = docker_client(
        environ,
        hint="start Docker, or point DOCKER_HOST at a running engine; without "
        "train.image the command runs on this machine instead",
    )
    try:
        ensure_image(client, image, role="the image",
                     hint="build or pull it before the run, or fix train.image in mlops.yaml")
        try:
            container = client.containers.create(
                image,
                command=list(args),
                working_dir=workdir,
                environment=dict(env),
                volumes={
                    str(mount.source): {
                        "bind": mount.target,
                        "mode": "ro" if mount.read_only else "rw",
                    }
                    for mount in mounts
                },
                network_mode="none",
                user=f"{os.getuid()}:{os.getgid()}",
                detach=True,
            )
        except errors.APIError as error:
            raise UserError(f"{label} cannot start: {explain(error)}") from None
        try:
            return _run(container, args, label, environ, out, timeout_seconds)
        finally:
            with contextlib.suppress(errors.APIError):  # already gone
                container.remove(force=True)
    except errors.DockerException as error:
        if isinstance(error, errors.APIError) and not error.is_server_error():
            raise UserError(f"{label}: the Docker engine refused: {explain(error)}") from None
        raise ExternalError(f"{label}: the Docker engine failed: {explain(error)}") from None
    finally:
        client.close()


def docker_errors() -> Any:
    """``docker.errors``, typed ``Any``: the SDK ships no types (and a ``docker/`` folder in a
    repository root would otherwise shadow it for mypy)."""
    return importlib.import_module("docker.errors")


def docker_client(environ: Mapping[str, str], *, hint: str) -> Any:
    """A client of the engine ``environ`` names (``DOCKER_HOST`` etc.), answering a ping;
    ``ExternalError`` (exit 3) with ``hint`` when it does not answer."""
    docker: Any = importlib.import_module("docker")
    errors = docker_errors()
    try:
        client = docker.from_env(environment=dict(environ))
        client.ping()
    except errors.DockerException as error:
        raise ExternalError(
            f"the Docker engine is not reachable: {explain(error)}", hint=hint
        ) from None
    return client


def ensure_image(client: Any, image: str, *, role: str, hint: str) -> None:
    """``image`` on the engine, pulled if missing; ``UserError`` naming it (as ``role``) when
    it can be neither found nor pulled."""
    errors = docker_errors()
    try:
        client.images.get(image)
        return
    except errors.ImageNotFound:
        pass
    try:
        client.images.pull(image)
    except errors.DockerException as error:
        raise UserError(
            f"{role} {image!r} is not on the Docker engine and cannot be pulled: "
            f"{explain(error)}",
            hint=hint,
        ) from None


def _run(
    container: Any,
    args: tuple[str, ...],
    label: str,
    environ: Mapping[str, str],
    out: TextIO,
    timeout_seconds: float,
) -> ProcessResult:
    import requests.exceptions

    started = time.monotonic()
    with OutputSink(out, environ=environ, tail_lines=TAIL_LINES) as sink:
        container.start()
        reader = threading.Thread(target=_pump_logs, args=(container, sink), daemon=True)
        reader.start()
        timed_out = False
        try:
            status = container.wait(timeout=timeout_seconds)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            timed_out = True
            container.kill()
            status = container.wait(timeout=30)
        reader.join(timeout=5)
    duration = time.monotonic() - started
    code = int(status.get("StatusCode", -1))
    if timed_out:
        raise CommandTimedOut(label, timeout_seconds, sink.tail)
    if code != 0:
        raise CommandFailed(label, f"failed with exit code {code}", sink.tail)
    return ProcessResult(args, code, duration, sink.tail)


def _pump_logs(container: Any, sink: OutputSink) -> None:
    pending = b""
    for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            sink.line(line.decode("utf-8", errors="replace"))
    if pending:
        sink.line(pending.decode("utf-8", errors="replace"))


def explain(error: BaseException) -> str:
    """What the engine said, without the SDK's wrapping."""
    explanation = getattr(error, "explanation", None)
    return str(explanation or error).strip()
