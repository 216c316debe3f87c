"""The ``kubernetes`` deploy target: GitOps. Render manifests into the repository, commit them.

mlops-ci does not talk to a cluster: Argo CD or Flux syncs the path. With ``kind: deployment``
(the default) it writes ``<manifests_path>/deployment.yaml`` and ``<manifests_path>/service.yaml``
(a Deployment of ``replicas`` pods running the model server on port 8080, with readiness and
liveness probes on the OIP health paths, and a ClusterIP Service in front); with
``kind: inferenceservice``, ``<manifests_path>/inferenceservice.yaml``, a KServe
InferenceService (see ``deploy.inferenceservice``, also for canaries), and it removes the other
kind's files. Then it commits them with the message ``deploy MODEL VERSION to ENVIRONMENT``;
the same promotion rendered again changes nothing and commits nothing. Pushing the commit is
left to the workflow (a tag event's checkout is a detached HEAD; the branch Argo CD watches is
yours).

The image is named by ``MLOPS_K8S_IMAGE``, a template with ``{model}``, ``{version}`` and
``{repository}`` (default ``ghcr.io/{repository}/{model}-serving:{version}``, ``repository``
from ``GITHUB_REPOSITORY``, lowercased): build and push it with the docker backend's image
recipe. When ``kubectl`` is on PATH, the manifests are checked with
``kubectl apply --dry-run=client --validate=false -f`` (which needs a reachable cluster to
know the kinds; without one the check is reported as not done). ``current_version`` reads the
committed Deployment's ``mlops-ci.version`` label, or the InferenceService's annotations.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mlops_ci.backends.git import Git
from mlops_ci.config.model import Backend, Environment
from mlops_ci.deploy.inferenceservice import FILE_NAME as ISVC_FILE
from mlops_ci.deploy.inferenceservice import RUNTIME_FILE_NAME as RUNTIME_FILE
from mlops_ci.deploy.inferenceservice import (
    Rollout,
    committed_rollout,
    decide_rollout,
    release_api_url,
    render_inferenceservice,
    render_servingruntime,
    server_image,
)
from mlops_ci.deploy.protocol import Deployed, DeployFailed, DeployRequest
from mlops_ci.errors import UserError

IMAGE_VARIABLE = "MLOPS_K8S_IMAGE"
DEFAULT_IMAGE = "ghcr.io/{repository}/{model}-serving:{version}"
CONTAINER_PORT = 8080
LABEL_VERSION = "mlops-ci.version"
MANIFEST_FILES = frozenset({"deployment.yaml", "service.yaml", ISVC_FILE, RUNTIME_FILE})
_NO_CLUSTER = ("couldn't get current server API group list", "connection refused",
               "no configuration has been provided", "Unable to connect to the server")
FALLBACK_IDENTITY = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


def dns_name(text: str) -> str:
    """``text`` as a Kubernetes object name (RFC 1123 label: ``[a-z0-9-]``, at most 63)."""
    cleaned = "".join(c if c.isalnum() and c.isascii() else "-" for c in text.lower())
    return cleaned.strip("-")[:63].rstrip("-") or "model"


def image_for(request: DeployRequest) -> str:
    template = request.environ.get(IMAGE_VARIABLE) or DEFAULT_IMAGE
    repository = request.environ.get("GITHUB_REPOSITORY", "owner/repo").lower()
    try:
        return template.format(model=dns_name(request.model), version=request.version,
                               repository=repository)
    except (KeyError, IndexError, ValueError) as error:
        raise UserError(f"{IMAGE_VARIABLE}={template!r} is not a valid template: {error}",
                        hint="use the fields {model}, {version} and {repository}") from None


def _labels(request: DeployRequest) -> tuple[str, dict[str, str], dict[str, str]]:
    """The objects' name, their common labels and the version label."""
    environment = request.environment
    name = dns_name(f"{request.model}-{environment.name}")
    labels = {"app.kubernetes.io/name": dns_name(request.model),
              "app.kubernetes.io/instance": name,
              "app.kubernetes.io/managed-by": "mlops-ci",
              "mlops-ci.environment": dns_name(environment.name)}
    return name, labels, {LABEL_VERSION: request.version.replace("+", "_")}


def render(request: DeployRequest, committed: Rollout | None = None) -> dict[str, dict[str, Any]]:
    """The manifests as values, by file name; ``committed`` is the roll-out the environment's
    committed ``InferenceService`` records (``kind: inferenceservice`` only)."""
    environment = request.environment
    name, labels, version_label = _labels(request)
    if environment.kind == "inferenceservice":
        rollout = decide_rollout(committed, request.version, request.promotion,
                                 environment.canary)
        served = {**labels, LABEL_VERSION: rollout.version.replace("+", "_")}
        return {RUNTIME_FILE: render_servingruntime(request, name, labels),
                ISVC_FILE: render_inferenceservice(request, rollout, name, served)}
    selector = {"app.kubernetes.io/instance": name}
    probe_path = environment.health.path
    args = ["--name", request.model, "--version", request.version, "--port",
            str(CONTAINER_PORT)]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": environment.namespace,
                     "labels": {**labels, **version_label}},
        "spec": {
            "replicas": environment.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": {**labels, **version_label}},
                "spec": {"containers": [{
                    "name": "server",
                    "image": image_for(request),
                    "args": args,
                    "ports": [{"name": "http", "containerPort": CONTAINER_PORT}],
                    "readinessProbe": {"httpGet": {"path": probe_path, "port": "http"},
                                       "periodSeconds": max(1, int(
                                           environment.health.interval_seconds))},
                    "livenessProbe": {"httpGet": {"path": "/v2/health/live", "port": "http"}},
                    "resources": environment.resources.to_manifest(),
                }]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": environment.namespace, "labels": labels},
        "spec": {"selector": selector,
                 "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
    return {"deployment.yaml": deployment, "service.yaml": service}


def _folder(environment: Environment, workspace: Path) -> Path:
    if not environment.manifests_path:
        raise UserError(
            f"environment {environment.name!r} uses the kubernetes backend but has no "
            "manifests_path",
            hint=f"set deploy.environments.{environment.name}.manifests_path to a folder in "
            "the repository that Argo CD or Flux syncs",
        )
    folder = (workspace / environment.manifests_path).resolve()
    if not folder.is_relative_to(workspace.resolve()):
        raise UserError(f"manifests_path {environment.manifests_path!r} leaves the repository")
    return folder


class KubernetesTarget:
    name: Backend = "kubernetes"

    def deploy(self, request: DeployRequest) -> Deployed:
        import yaml

        folder = _folder(request.environment, request.workspace)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        manifests = render(request, committed_rollout(_load(folder / ISVC_FILE)))
        for file_name, manifest in manifests.items():
            path = folder / file_name
            path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
            written.append(path)
        written += _remove_stale(request, folder, manifests.keys())
        checked = _dry_run(folder)
        commit = _commit(request, written)
        detail = f"manifests in {folder.relative_to(request.workspace.resolve())} ({checked})"
        rollout = committed_rollout(manifests.get(ISVC_FILE))
        if rollout is not None and rollout.percent is not None:
            detail += (f", canary: {rollout.percent}% of the traffic, {rollout.stable} keeps "
                       "the rest")
        detail += f", committed {commit[:12]}" if commit else ", unchanged"
        return Deployed(request.version, request.environment.url, detail)

    def rollback(self, request: DeployRequest) -> Deployed:
        return self.deploy(request)

    def preflight(self, request: DeployRequest) -> None:
        """``manifests_path`` is set, inside the repository, and writable: the folder, or the
        nearest existing folder above it (``deploy`` creates the rest); for an
        InferenceService, the image template and the release's repository are known."""
        folder = _folder(request.environment, request.workspace)
        if request.environment.kind == "inferenceservice":
            server_image(request)
            release_api_url(request)
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            raise UserError(
                f"manifests_path {request.environment.manifests_path!r} of "
                f"{request.environment.name} cannot be written: {existing} is not a writable "
                "folder",
                hint="check the folder's owner and mode in the checkout",
            )

    def current_version(
        self, environment: Environment, workspace: Path, environ: Mapping[str, str]
    ) -> str | None:
        """The committed manifests' version (during a canary, the canary's)."""
        if environment.kind == "inferenceservice":
            rollout = committed_rollout_of(environment, workspace)
            return None if rollout is None else rollout.version
        try:
            path = _folder(environment, workspace) / "deployment.yaml"
            version = _load(path)["metadata"]["labels"][LABEL_VERSION]
        except (KeyError, TypeError):
            return None
        return str(version)

    def current_promotion(
        self, environment: Environment, workspace: Path, environ: Mapping[str, str]
    ) -> str | None:
        """The stage tag the committed InferenceService records (a Deployment records none)."""
        rollout = committed_rollout_of(environment, workspace)
        return None if rollout is None else rollout.promotion


def committed_rollout_of(environment: Environment, workspace: Path) -> Rollout | None:
    """The roll-out the committed ``InferenceService`` of ``environment`` records; ``None``
    for another backend or kind, or when none is committed yet."""
    if environment.backend != "kubernetes" or environment.kind != "inferenceservice":
        return None
    return committed_rollout(_load(_folder(environment, workspace) / ISVC_FILE))


def _load(path: Path) -> Any:
    """The YAML document at ``path``; ``None`` when there is none or it is not YAML."""
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _dry_run(folder: Path) -> str:
    """Check the manifests with kubectl when it is on PATH; what was checked, as text.

    A client-side dry run still asks a cluster which kinds exist: without a reachable one
    (no kubeconfig in CI), nothing can be checked and that is said, not failed.
    """
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return "kubectl not on PATH: not checked"
    done = subprocess.run(
        [kubectl, "apply", "--dry-run=client", "--validate=false", "-o", "name", "-f",
         str(folder)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    if done.returncode == 0:
        return "checked with kubectl --dry-run=client"
    if any(mark in done.stderr for mark in _NO_CLUSTER):
        return "kubectl reaches no cluster: not checked"
    raise DeployFailed(f"kubectl rejects the manifests in {folder}: "
                       f"{done.stderr.strip()[:500]}", previous_serving=True)


def _remove_stale(request: DeployRequest, folder: Path, rendered: Iterable[str]) -> list[Path]:
    """Remove the other kind's manifests (after a switch of ``kind``), so Argo CD or Flux stops
    applying them; the removed files git tracks, for the commit."""
    git = Git(request.workspace, environ=request.environ)
    removed = []
    for file_name in sorted(MANIFEST_FILES - set(rendered)):
        path = folder / file_name
        if not path.is_file():
            continue
        relative = str(path.relative_to(request.workspace.resolve()))
        if git.run(["ls-files", "--error-unmatch", "--", relative], check=False).ok:
            git.run(["rm", "-q", "-f", "--", relative])
            removed.append(path)
        else:
            path.unlink()
    return removed


def _commit(request: DeployRequest, paths: list[Path]) -> str | None:
    """Commit ``paths``; the new commit's id, or ``None`` when they did not change."""
    git = Git(request.workspace, environ=request.environ)
    relative = [str(p.relative_to(request.workspace.resolve())) for p in paths]
    git.run(["add", "--", *(r for r, p in zip(relative, paths, strict=True) if p.exists())])
    if git.run(["diff", "--cached", "--quiet", "--", *relative], check=False).ok:
        return None
    identity: list[str] = []
    if not git.run(["config", "user.email"], check=False).ok:
        identity = ["-c", f"user.name={FALLBACK_IDENTITY[0]}",
                    "-c", f"user.email={FALLBACK_IDENTITY[1]}"]
    message = (f"deploy {request.model} {request.version} to {request.environment.name}\n\n"
               f"Rendered by mlops-ci for stage {request.stage}.")
    git.run([*identity, "commit", "--quiet", "-m", message, "--", *relative])
    return git.output(["rev-parse", "HEAD"])
