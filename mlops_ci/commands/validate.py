"""``mlops-ci validate``: is mlops.yaml right? Exit 0 when it is, 2 when it is not."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.config.loader import default_config_path, display_name, load_config
from mlops_ci.errors import EXIT_OK, EXIT_USER_ERROR, ConfigError


@dataclass(frozen=True, slots=True)
class ValidateRequest:
    config: Path | None = None
    json: bool = False


def validate(request: ValidateRequest) -> int:
    path = request.config if request.config is not None else default_config_path()
    if not request.json:
        config = load_config(path)
        models = ", ".join(model.name for model in config.models)
        print(
            f"{display_name(config.file)} is valid: "
            f"{len(config.models)} model{'s' if len(config.models) != 1 else ''} ({models}), "
            f"stages {', '.join(config.stages)}"
        )
        return EXIT_OK
    try:
        config = load_config(path)
    except ConfigError as error:
        problems = [
            {
                "file": p.file,
                "line": p.line,
                "column": p.column,
                "path": p.path,
                "message": p.message,
                "hint": p.hint,
            }
            for p in error.problems
        ]
        json.dump({"valid": False, "problems": problems}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_USER_ERROR
    result = {
        "valid": True,
        "file": display_name(config.file),
        "models": [model.name for model in config.models],
        "stages": list(config.stages),
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK
