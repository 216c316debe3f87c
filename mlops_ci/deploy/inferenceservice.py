"""The KServe ``InferenceService`` of the ``kubernetes`` backend (``kind: inferenceservice``).

Two manifests: ``servingruntime.yaml``, a ``ServingRuntime`` (``serving.kserve.io/v1alpha1``)
named ``<service>-runtime`` whose one container is the mlops-ci image running
``python -m mlops_ci.serving`` on port 8080, supporting the model format ``mlops-ci-skops`` with
``protocolVersions: [v2]`` (the Open Inference Protocol), readiness probe on
``/v2/health/ready`` and liveness probe on ``/v2/health/live``; and ``inferenceservice.yaml``
(``serving.kserve.io/v1beta1``), whose predictor is ``model: {modelFormat: mlops-ci-skops,
runtime: <service>-runtime, protocolVersion: v2}`` with this version's server arguments, the
environment's ``resources``, and ``minReplicas`` from ``replicas``. KServe merges the model's
container fields into the runtime's container (the model's ``args`` replace the runtime's).

Before the server starts, the predictor's init container ``fetch-model`` (the same image,
``python -m mlops_ci.serving.fetch``) reads the version's release through the GitHub API
(``GITHUB_API_URL``), downloads its model file into an ``emptyDir`` at ``/mnt/models`` and checks
its sha256 against the one the release recorded (the file this run verified); a mismatch fails
the pod before the server sees the file. It then compiles the model into the same volume
(``--compile``, ``serving.precompile``), so that the server starts without scikit-learn when
the model is one the compiled form covers. No ``storageUri``: KServe's storage initializer would
download without that check. A private repository's release needs a token: the Secret
``mlops-ci-release-token`` (key ``token``), if it exists in the namespace, is passed as
``GITHUB_TOKEN``.

The image is named by ``MLOPS_K8S_SERVER_IMAGE``, a template with ``{owner}`` (the repository's
owner, lowercased) and ``{mlops_ci_version}``; default
``ghcr.io/{owner}/mlops-ci:v{mlops_ci_version}``, the image ``publish-image.yml`` publishes.

**Canary.** With ``canary: P``, a promotion of another version than the one serving renders
``canaryTrafficPercent: P``: KServe sends P % of the requests to the new revision and keeps the
last fully rolled-out one (the stable version) for the rest. The manifest records the stable
version and the promotion tag in the annotations ``mlops-ci.stable-version`` and
``mlops-ci.promotion``; ``decide_rollout`` reads them back to decide the next promotion of the
stage: the canary's own version again completes it (no ``canaryTrafficPercent``: 100 %), the
stable version rolls it back (the stable version rendered alone), any other version starts a
new canary against the same stable version, and the same promotion again (a rerun) changes
nothing. Canary roll-outs need KServe's serverless mode (Knative), as KServe documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import mlops_ci
from mlops_ci.deploy.protocol import DeployRequest
from mlops_ci.digest import sha256_file
from mlops_ci.errors import UserError

FILE_NAME = "inferenceservice.yaml"
RUNTIME_FILE_NAME = "servingruntime.yaml"
MODEL_FORMAT = "mlops-ci-skops"  # a skops file the mlops-ci server loads (format version 1)
SERVER_IMAGE_VARIABLE = "MLOPS_K8S_SERVER_IMAGE"
DEFAULT_SERVER_IMAGE = "ghcr.io/{owner}/mlops-ci:v{mlops_ci_version}"
TOKEN_SECRET = "mlops-ci-release-token"  # noqa: S105 -- the name of a Secret, not a secret
MODEL_DIR = "/mnt/models"
PORT = 8080
ANNOTATION_STABLE = "mlops-ci.stable-version"
ANNOTATION_PROMOTION = "mlops-ci.promotion"


@dataclass(frozen=True, slots=True)
class Rollout:
    """What one ``InferenceService`` manifest deploys: ``version`` as its latest revision, and,
    during a canary, the ``stable`` version keeping ``100 - percent`` % of the traffic."""

    version: str
    stable: str | None = None
    percent: int | None = None
    promotion: str | None = None


def decide_rollout(
    committed: Rollout | None, version: str, promotion: str | None, canary: int | None
) -> Rollout:
    """The roll-out a promotion of ``version`` renders, given the committed one. Pure."""
    if committed is None:
        return Rollout(version, promotion=promotion)
    if committed.version == version and (
        committed.promotion == promotion or committed.stable is None
    ):
        return committed  # a rerun, or a version that serves fully already: nothing changes
    if canary is None or version in (committed.version, committed.stable):
        return Rollout(version, promotion=promotion)  # completed, or rolled back
    stable = committed.stable if committed.stable is not None else committed.version
    return Rollout(version, stable, canary, promotion)


def committed_rollout(manifest: object) -> Rollout | None:
    """The roll-out a committed manifest records; ``None`` when it is not one of ours."""
    try:
        metadata = manifest["metadata"]  # type: ignore[index]
        version = str(metadata["annotations"]["mlops-ci.version"])
        annotations = metadata["annotations"]
        percent = manifest["spec"]["predictor"].get("canaryTrafficPercent")  # type: ignore[index]
    except (KeyError, TypeError, AttributeError):
        return None
    stable = annotations.get(ANNOTATION_STABLE)
    return Rollout(version, None if stable is None else str(stable),
                   percent if isinstance(percent, int) else None,
                   annotations.get(ANNOTATION_PROMOTION))


def server_image(request: DeployRequest) -> str:
    template = request.environ.get(SERVER_IMAGE_VARIABLE) or DEFAULT_SERVER_IMAGE
    owner = request.environ.get("GITHUB_REPOSITORY", "owner/repo").split("/")[0].lower()
    try:
        return template.format(owner=owner, mlops_ci_version=mlops_ci.__version__)
    except (KeyError, IndexError, ValueError) as error:
        raise UserError(f"{SERVER_IMAGE_VARIABLE}={template!r} is not a valid template: {error}",
                        hint="use the fields {owner} and {mlops_ci_version}") from None


def release_api_url(request: DeployRequest) -> str:
    """The GitHub API URL of the version's release, by its tag (``GITHUB_API_URL``, so GitHub
    Enterprise works too)."""
    if not request.release_tag:
        raise UserError(f"cannot render an InferenceService for {request.model} "
                        f"{request.version}: its release tag is unknown")
    api = request.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    repository = request.environ.get("GITHUB_REPOSITORY", "")
    if repository.count("/") != 1 or not all(repository.split("/")):
        raise UserError(
            f"cannot render an InferenceService for {request.model} {request.version}: "
            f"GITHUB_REPOSITORY ({repository or 'unset'}) does not name the repository whose "
            "releases hold the model files",
            hint="set GITHUB_REPOSITORY=OWNER/REPO (GitHub Actions sets it)",
        )
    return f"{api}/repos/{repository}/releases/tags/{quote(request.release_tag, safe='')}"


def runtime_name(name: str) -> str:
    """The ``ServingRuntime`` beside the ``InferenceService`` ``name``."""
    return f"{name}-runtime"


def render_servingruntime(
    request: DeployRequest, name: str, labels: dict[str, str]
) -> dict[str, Any]:
    """The runtime ``name``'s predictor runs in: our server image, OIP (v2) on port 8080."""
    interval = max(1, int(request.environment.health.interval_seconds))
    container = {
        "name": "kserve-container",
        "image": server_image(request),
        "command": ["python", "-m", "mlops_ci.serving"],
        "ports": [{"containerPort": PORT, "protocol": "TCP"}],
        "readinessProbe": {"httpGet": {"path": request.environment.health.path, "port": PORT},
                           "periodSeconds": interval},
        "livenessProbe": {"httpGet": {"path": "/v2/health/live", "port": PORT}},
    }
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": runtime_name(name), "namespace": request.environment.namespace,
                     "labels": labels},
        "spec": {
            "supportedModelFormats": [{"name": MODEL_FORMAT, "version": "1",
                                       "autoSelect": False}],
            "protocolVersions": ["v2"],
            "containers": [container],
        },
    }


def render_inferenceservice(
    request: DeployRequest, rollout: Rollout, name: str, labels: dict[str, str]
) -> dict[str, Any]:
    """The manifest of ``rollout`` (whose ``version`` is ``request.version``)."""
    import json

    image = server_image(request)
    columns = json.dumps([c.to_json() for c in request.columns], separators=(",", ":"))
    fetch = {
        "name": "fetch-model",
        "image": image,
        "command": ["python", "-m", "mlops_ci.serving.fetch"],
        "args": ["--release", release_api_url(request), "--asset", request.model_file.name,
                 "--sha256", sha256_file(request.model_file), "--dir", MODEL_DIR,
                 "--columns", columns, "--compile",
                 *(part for trusted in request.trusted_types
                   for part in ("--trusted-type", trusted))],
        "env": [{"name": "GITHUB_TOKEN", "valueFrom": {"secretKeyRef": {
            "name": TOKEN_SECRET, "key": "token", "optional": True}}}],
        "volumeMounts": [{"name": "model", "mountPath": MODEL_DIR}],
    }
    args = ["--model", f"{MODEL_DIR}/model.skops", "--columns-json", f"{MODEL_DIR}/columns.json",
            "--name", request.model, "--version", request.version, "--port", str(PORT)]
    for trusted in request.trusted_types:
        args += ["--trusted-type", trusted]
    if request.id_column:
        args += ["--id-column", request.id_column]
    model = {
        "modelFormat": {"name": MODEL_FORMAT, "version": "1"},
        "runtime": runtime_name(name),
        "protocolVersion": "v2",
        "args": args,
        "resources": request.environment.resources.to_manifest(),
        "volumeMounts": [{"name": "model", "mountPath": MODEL_DIR, "readOnly": True}],
    }
    predictor: dict[str, Any] = {"minReplicas": request.environment.replicas}
    if rollout.percent is not None:
        predictor["canaryTrafficPercent"] = rollout.percent
    predictor.update({"model": model, "initContainers": [fetch],
                      "volumes": [{"name": "model", "emptyDir": {}}]})
    annotations = {"mlops-ci.version": rollout.version}
    if rollout.stable is not None:
        annotations[ANNOTATION_STABLE] = rollout.stable
    if rollout.promotion is not None:
        annotations[ANNOTATION_PROMOTION] = rollout.promotion
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": request.environment.namespace,
                     "labels": labels, "annotations": annotations},
        "spec": {"predictor": predictor},
    }
