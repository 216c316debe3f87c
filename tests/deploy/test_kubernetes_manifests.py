"""Every manifest the kubernetes target renders is valid against the real schemas: the core
kinds against Kubernetes' OpenAPI schemas, the InferenceService against KServe's CRD schema."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_ci.config.model import Environment, Resources
from mlops_ci.deploy.kubernetes import KubernetesTarget, render
from tests.deploy.conftest import MakeRequest
from tests.deploy.manifest_schemas import ManifestInvalid, kserve_container, validate_manifest
from tests.deploy.workspace import kubernetes_environment, one_commit_repo

ENVIRON = {"GITHUB_REPOSITORY": "Octo/Churn"}


def environment(**changes: object) -> Environment:
    return kubernetes_environment(**changes)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return one_commit_repo(tmp_path / "repo")


def committed_manifests(folder: Path) -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))}


@pytest.mark.parametrize(
    ("changes", "files"),
    [
        ({}, ["deployment.yaml", "service.yaml"]),
        ({"kind": "inferenceservice"}, ["inferenceservice.yaml", "servingruntime.yaml"]),
        ({"kind": "inferenceservice", "canary": 10},
         ["inferenceservice.yaml", "servingruntime.yaml"]),
        ({"kind": "inferenceservice", "resources": Resources(
            (("cpu", "2"), ("memory", "1.5Gi")), (("cpu", "4"), ("ephemeral-storage", "1G")))},
         ["inferenceservice.yaml", "servingruntime.yaml"]),
    ],
    ids=["deployment", "inferenceservice", "inferenceservice-canary", "resources"],
)
def test_every_committed_manifest_is_valid_against_its_schema(
    make_request: MakeRequest, repo: Path, churn_model_file: Path,
    changes: dict[str, object], files: list[str],
) -> None:
    env = environment(**changes)
    target = KubernetesTarget()
    for number, version in enumerate(("v1.0.0", "v1.1.0+build.7"), start=1):
        request = replace(make_request(env, version, churn_model_file, environ=ENVIRON),
                          workspace=repo, release_tag=f"churn@{version}",
                          promotion=f"churn#production#{number}")
        target.deploy(request)
        manifests = committed_manifests(repo / "deploy" / "production")

        assert sorted(manifests) == files
        for path in (repo / "deploy" / "production").iterdir():  # plain YAML, no anchors
            assert "&id" not in path.read_text() and "*id" not in path.read_text()
        for manifest in manifests.values():
            validate_manifest(manifest)
    if changes.get("canary"):
        assert manifests["inferenceservice.yaml"]["spec"]["predictor"]["canaryTrafficPercent"] == 10


def test_resources_go_to_the_serving_container_of_either_kind(
    make_request: MakeRequest, churn_model_file: Path
) -> None:
    resources = Resources((("cpu", "500m"),), ())
    for kind in ("deployment", "inferenceservice"):
        request = replace(make_request(environment(kind=kind, resources=resources), "v1.0.0",
                                       churn_model_file, environ=ENVIRON),
                          release_tag="churn@v1.0.0")
        manifests = render(request)
        manifest = manifests[f"{kind}.yaml"]
        if kind == "deployment":
            container = manifest["spec"]["template"]["spec"]["containers"][0]
        else:
            container = kserve_container(manifests["servingruntime.yaml"],
                                         manifest["spec"]["predictor"])
        assert container["resources"] == {"requests": {"cpu": "500m"}}


def test_the_core_schemas_refuse_a_misspelt_field(
    make_request: MakeRequest, churn_model_file: Path
) -> None:
    manifests = render(make_request(environment(), "v1.0.0", churn_model_file))
    deployment = copy.deepcopy(manifests["deployment.yaml"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(ManifestInvalid, match="readinesProbe"):
        validate_manifest(deployment)
    service = copy.deepcopy(manifests["service.yaml"])
    service["spec"]["ports"][0]["port"] = "eighty"
    with pytest.raises(ManifestInvalid, match="eighty"):
        validate_manifest(service)


def test_the_kserve_schemas_refuse_what_the_crds_do_not_allow(
    make_request: MakeRequest, churn_model_file: Path
) -> None:
    request = replace(make_request(environment(kind="inferenceservice"), "v1.0.0",
                                   churn_model_file, environ=ENVIRON), release_tag="churn@v1.0.0")
    manifests = render(request)
    isvc, runtime = manifests["inferenceservice.yaml"], manifests["servingruntime.yaml"]
    validate_manifest(isvc)
    validate_manifest(runtime)
    for manifest, path, value, message in [
        (isvc, ("spec", "predictor", "canaryTrafficPercent"), "10", "not of type 'integer'"),
        (isvc, ("spec", "predictor", "protocol"), "v2", "'protocol' was unexpected"),
        (isvc, ("spec", "predictor", "model", "protocolVersion"), 2, "not of type 'string'"),
        (isvc, ("spec", "predictor", "model", "modelFormat"), {"version": "1"},
         "'name' is a required property"),
        (isvc, ("spec", "predictor", "model", "resources", "request"), {},
         "'request' was unexpected"),
        (isvc, ("spec", "predictor", "volumes", 0, "emptyDirectory"), {}, "emptyDirectory"),
        (isvc, ("metadata", "annotations", "mlops-ci.version"), 1, "not of type 'string'"),
        (runtime, ("spec", "containers", 0, "readinessProbe", "httpGet", "port"), [8080],
         "not valid under any of the given schemas"),
        (runtime, ("spec", "supportedModelFormats", 0, "autoselect"), True,
         "'autoselect' was unexpected"),
        (runtime, ("spec", "protocolVersions"), "v2", "not of type 'array'"),
    ]:
        broken = copy.deepcopy(manifest)
        parent: Any = broken
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
        with pytest.raises(ManifestInvalid, match=message):
            validate_manifest(broken)
