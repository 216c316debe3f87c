"""``mlops-ci schema``: the JSON Schema of mlops.yaml on stdout."""

from __future__ import annotations

import json
import sys

from mlops_ci.config.schema import load_schema
from mlops_ci.errors import EXIT_OK


def print_schema() -> int:
    json.dump(load_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK
