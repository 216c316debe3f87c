"""Validate rendered manifests against the real schemas, offline.

Core kinds (Deployment, Service, ...) against the Kubernetes OpenAPI schemas that the
``kubernetes-validate`` package ships (strict: unknown fields refused); the KServe
InferenceService and ServingRuntime against trimmed copies of KServe's CRD schemas in
``schemas/`` (see each one's ``$comment`` for source, commit and licence), whose pod fields refer
to the same Kubernetes definitions. On top of the schemas, the API server's own checks of names
and labels, which no OpenAPI schema expresses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.30.0"
KSERVE_SCHEMAS = {
    "serving.kserve.io/v1beta1": Path(__file__).parent / "schemas"
    / "kserve-inferenceservice-v1beta1.json",
    "serving.kserve.io/v1alpha1": Path(__file__).parent / "schemas"
    / "kserve-servingruntime-v1alpha1.json",
}
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


class ManifestInvalid(AssertionError):
    pass


def _kserve_validator(api_version: str) -> jsonschema.protocols.Validator:
    definitions = schema_contents(
        f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict/_definitions.json",
        KUBERNETES_VERSION,
    )
    schema = json.loads(KSERVE_SCHEMAS[api_version].read_text(encoding="utf-8"))
    registry: Registry[Any] = Resource.from_contents(definitions) @ Registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_manifest(manifest: dict[str, Any]) -> None:
    """Raise ``ManifestInvalid`` naming every schema error of ``manifest``."""
    api_version = manifest.get("apiVersion")
    if api_version in KSERVE_SCHEMAS:
        validator = _kserve_validator(str(api_version))
        errors = sorted(validator.iter_errors(manifest), key=lambda e: e.json_path)
        if errors:
            raise ManifestInvalid("; ".join(f"{e.json_path}: {e.message}" for e in errors))
    else:
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            raise ManifestInvalid(str(error)) from None
    _check_names(manifest)


def _check_names(manifest: dict[str, Any]) -> None:
    """Names are DNS labels; label keys and values follow Kubernetes' label syntax."""
    metadata = manifest["metadata"]
    if not _DNS_LABEL.match(metadata["name"]) or len(metadata["name"]) > 63:
        raise ManifestInvalid(f"metadata.name {metadata['name']!r} is not a DNS label")
    for path, labels in _label_maps(manifest):
        for key, value in labels.items():
            name = key.rsplit("/", 1)[-1]
            if not _LABEL_NAME.match(name) or len(name) > 63:
                raise ManifestInvalid(f"{path}: label key {key!r} is not valid")
            if not _LABEL_VALUE.match(value) or len(value) > 63:
                raise ManifestInvalid(f"{path}: label {key}={value!r} is not a valid value")


def _label_maps(manifest: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    found = [("metadata.labels", manifest["metadata"].get("labels") or {})]
    spec = manifest.get("spec") or {}
    template = spec.get("template") or {}
    if template:
        found.append(("spec.template.metadata.labels",
                      template.get("metadata", {}).get("labels") or {}))
    if "selector" in spec and manifest["kind"] == "Service":
        found.append(("spec.selector", spec["selector"]))
    return found


_MODEL_ONLY = ("modelFormat", "runtime", "protocolVersion", "runtimeVersion", "storageUri")


def kserve_container(runtime: dict[str, Any], predictor: dict[str, Any]) -> dict[str, Any]:
    """The container KServe runs for ``predictor.model``: the runtime's container with the
    model's container fields over it (KServe merges them; a list such as ``args`` is replaced)."""
    [container] = runtime["spec"]["containers"]
    model = predictor["model"]
    assert model["runtime"] == runtime["metadata"]["name"]
    assert {"name": model["modelFormat"]["name"], "version": model["modelFormat"]["version"],
            "autoSelect": False} in runtime["spec"]["supportedModelFormats"]
    assert model["protocolVersion"] in runtime["spec"]["protocolVersions"]
    return {**container, **{k: v for k, v in model.items() if k not in _MODEL_ONLY}}
