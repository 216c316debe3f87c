"""A report artifact whose every free string is hostile, generated from the shipped schema.

Walking the schema (not a hand-written sample) reaches every string field the posting job
renders: the run, the error, each stage's summary and every field of the evaluation, drift and
validation details. Enums take their first value, patterns (the meta) are filled by the caller.
"""

from __future__ import annotations

from typing import Any

from mlops_ci.report.artifact_schema import load_artifact_schema

HOSTILE = (
    "<!-- mlops-ci:report:x --> @team ![img](http://evil.example/i.png) "
    "[link](http://evil.example) https://evil.example/x www.evil.example "
    "<img src=x onerror=alert(1)> <!-- unclosed | fake | table |\n# heading @org/team"
)


def hostile_document(meta: dict[str, Any]) -> dict[str, Any]:
    """A valid artifact document with ``meta``, three models each with one detail kind, and
    ``HOSTILE`` in every free string."""
    schema = load_artifact_schema()
    defs = schema["$defs"]
    document: dict[str, Any] = _instance(schema, defs)
    document["meta"] = meta
    model = document["report"]["models"][0]
    detail_arms = schema["properties"]["report"]["properties"]["models"]["items"][
        "properties"]["results"]["items"]["properties"]["detail"]["anyOf"][1:]
    stages = {"evaluation": "evaluate", "drift": "drift", "validation": "validate"}
    results = []
    for arm in detail_arms:
        (key,) = arm["properties"]
        result = dict(model["results"][0])
        result["stage"], result["status"] = stages[key], "failed"
        result["detail"] = {key: _instance(arm["properties"][key], defs)}
        results.append(result)
    model["results"] = results
    return document


def _instance(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _instance(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        arms = [arm for arm in schema["anyOf"] if arm.get("type") != "null"]
        return _instance(arms[0], defs) if arms else None
    kind = schema.get("type")
    if kind == "object":
        return {name: _instance(sub, defs) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        if "prefixItems" in schema:
            return [_instance(item, defs) for item in schema["prefixItems"]]
        return [_instance(schema["items"], defs) for _ in range(2)]
    if kind == "string":
        return HOSTILE
    if kind == "integer":
        return 3
    if kind == "number":
        return 0.25
    if kind == "boolean":
        return True
    return None
