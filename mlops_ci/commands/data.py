"""``mlops-ci data validate`` and ``mlops-ci data drift``: typed requests, exit codes.

``data validate`` exits 1 when a file breaks its schema (errors, not warnings), 0 otherwise.
``data drift`` exits 1 when the dataset drifted, 0 otherwise. Bad input (missing files,
unreadable data, unknown columns, a bad config) raises a ``UserError``: exit 2.

Both print plain text for a person (``report.validation.render_validation_text`` and
``report.drift.render_drift_text``: names as they are, control characters shown as escapes),
or with ``--json`` the results exactly as ``results.to_json`` makes them (names unchanged;
``json.dump`` escapes control characters and non-ASCII). The markdown beside them in
``report.validation`` and ``report.drift`` is for PR comments and job summaries, not for a
terminal.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mlops_ci.config.loader import default_config_path, load_config
from mlops_ci.config.model import (
    P_VALUE_METHODS,
    ColumnDrift,
    ColumnSpec,
    Config,
    DriftMethod,
    DriftSpec,
    ModelSpec,
)
from mlops_ci.data.reader import read_header
from mlops_ci.data.results import to_json
from mlops_ci.data.stream import open_parts
from mlops_ci.data.stream_drift import drift_stream
from mlops_ci.data.validate import validate_file
from mlops_ci.errors import EXIT_CHECK_FAILED, EXIT_OK, UserError
from mlops_ci.report.drift import render_drift_text
from mlops_ci.report.validation import render_validation_text


@dataclass(frozen=True, slots=True)
class ValidateDataRequest:
    config: Path | None = None  # None: the action's input or ./mlops.yaml
    model: str | None = None  # None: the only model of the config
    file: Path | None = None  # None: the model's train, test and reference files
    json: bool = False


@dataclass(frozen=True, slots=True)
class DriftRequest:
    current: Path
    reference: Path | None = None  # None: the model's reference data (needs a config)
    config: Path | None = None  # None: no config, column types inferred, default rules
    model: str | None = None
    columns: tuple[str, ...] | None = None
    method: DriftMethod | None = None
    threshold: float | None = None
    json: bool = False


def validate_data(request: ValidateDataRequest, *, out: TextIO | None = None) -> int:

    stream = out if out is not None else sys.stdout
    config = load_config(request.config if request.config is not None else default_config_path())
    model = choose_model(config, request.model)
    data = model.data
    if request.file is not None:
        files = [request.file]
    else:
        candidates = [data.train, data.test, data.reference_path]
        files = [config.root / path for path in dict.fromkeys(candidates)]
    results = [validate_file(path, data) for path in files]
    ok = all(result.ok for result in results)
    if request.json:
        payload = {"ok": ok, "model": model.name, "files": [to_json(r) for r in results]}
        json.dump(payload, stream, indent=2)
        stream.write("\n")
    else:
        stream.write("\n".join(render_validation_text(r) for r in results))
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def measure_drift(request: DriftRequest, *, out: TextIO | None = None) -> int:

    stream = out if out is not None else sys.stdout
    spec = DriftSpec()
    column_specs: tuple[ColumnSpec, ...] = ()
    exclude: tuple[str, ...] = ()
    reference = request.reference
    data_format = None
    if request.config is not None:

        config = load_config(request.config)
        model = choose_model(config, request.model)
        spec = model.drift
        column_specs = model.data.columns
        exclude = (model.data.target,) + ((model.data.id_column,) if model.data.id_column else ())
        data_format = model.data.format
        if reference is None:
            reference = config.root / model.data.reference_path
    if reference is None:
        raise UserError(
            "data drift needs --reference FILE (or -c mlops.yaml to use the model's reference)"
        )
    spec = _with_overrides(spec, request)
    read_header(request.current, data_format)  # a missing or empty file, said plainly
    # streamed, CSV and Parquet alike: memory holds the reference and one batch of the current
    result = drift_stream(reference, open_parts([request.current], None, data_format), spec,
                          column_specs=column_specs, exclude=exclude, data_format=data_format)
    if request.json:
        json.dump(to_json(result), stream, indent=2)
        stream.write("\n")
    else:
        stream.write(render_drift_text(result))
    return EXIT_CHECK_FAILED if result.drifted else EXIT_OK


def _with_overrides(spec: DriftSpec, request: DriftRequest) -> DriftSpec:
    """The config's drift rules with the command line's choices on top."""
    changes: dict[str, object] = {}
    if request.columns is not None:
        changes["columns"] = request.columns
        changes["key_columns"] = tuple(k for k in spec.key_columns if k in request.columns)
    if request.method is not None:
        changes["method"] = request.method
        # the command line's method is for every column: per-column methods step aside
        changes["overrides"] = tuple(
            ColumnDrift(o.column, None, o.threshold) for o in spec.overrides
        )
    if request.threshold is not None:
        if not (math.isfinite(request.threshold) and request.threshold > 0):
            raise UserError(f"--threshold must be a number > 0, not {request.threshold}")
        method = request.method or spec.method
        if method in P_VALUE_METHODS and request.threshold > 1:
            raise UserError(
                f"--threshold {request.threshold:g} with {method}: a p-value is at most 1, "
                "so every column would drift",
                hint=f"{method} drifts when its p-value is below the threshold (default 0.05)",
            )
        changes["threshold"] = request.threshold
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def choose_model(config: Config, name: str | None) -> ModelSpec:
    names = ", ".join(m.name for m in config.models)
    if name is None:
        if len(config.models) == 1:
            return config.models[0]
        raise UserError(
            f"{config.file} defines {len(config.models)} models ({names}): choose one",
            hint="pass --model NAME",
        )
    try:
        return config.model(name)
    except KeyError:
        raise UserError(f"no model {name!r} in {config.file}", hint=f"models: {names}") from None
