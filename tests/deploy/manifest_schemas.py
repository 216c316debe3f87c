"""Validate rendered manifests against the real schemas, offline.

Core kinds (Deployment, Service, ...) against the Kubernetes OpenAPI schemas that the
``kubernetes-validate`` package ships (strict: unknown fields refused); the KServe
InferenceService against the trimmed copy of KServe's CRD schema in ``schemas/`` (see its
``$comment`` for source, commit and licence), whose pod fields refer to the same Kubernetes
definitions. On top of the schemas, the API server's own checks of names and labels, which no
OpenAPI schema expresses.
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
KSERVE_SCHEMA = Path(__file__).parent / "schemas" / "kserve-inferenceservice-v1beta1.json"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


class ManifestInvalid(AssertionError):
    pass


def _kserve_validator() -> jsonschema.protocols.Validator:
    definitions = schema_contents(
        f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict/_definitions.json",
        KUBERNETES_VERSION,
    )
    schema = json.loads(KSERVE_SCHEMA.read_text(encoding="utf-8"))
    registry: Registry[Any] = Resource.from_contents(definitions) @ Registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_manifest(manifest: dict[str, Any]) -> None:
    """Raise ``ManifestInvalid`` naming every schema error of ``manifest``."""
    if manifest.get("apiVersion") == "serving.kserve.io/v1beta1":
        errors = sorted(_kserve_validator().iter_errors(manifest), key=lambda e: e.json_path)
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
