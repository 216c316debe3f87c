"""The JSON Schema of mlops.yaml, as packaged with mlops-ci.

The canonical file is ``mlops_ci/schema/mlops.schema.json`` (``schemas/mlops.schema.json`` at the
repository root links to it for editors). Loading it is cheap and light: only ``json`` and
``importlib.resources``, so the CLI can import this module at start-up.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

SCHEMA_FILE = "mlops.schema.json"


@functools.cache
def load_schema() -> dict[str, object]:
    """The parsed schema. Cached: every caller gets the same dict, which must not be mutated."""
    text = resources.files("mlops_ci").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8")
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise TypeError(f"{SCHEMA_FILE} does not hold a JSON object")
    return schema
