"""The training parameters of a version: read, recorded with the version, and compared.

What a caller may rely on:

- Parameters are flat, as ``dvc params diff`` shows them: nested mappings are flattened with
  dots (``train.lr``), a list is kept as its JSON text, every value a ``ParamValue``.
- Where a parameter comes from is its *path*, the first column of ``dvc params diff``:
  ``train.estimator.params`` (an estimator mlops-ci fits), ``params.json`` (the file a training
  command may write beside its model), or ``train.params_file``'s own path (``params.yaml``).
- ``read_params_file`` reads ``train.params_file``; anything but a mapping of such values is a
  ``UserError`` (exit 2) naming the file and the key.
- The record (``params_record``) goes into the release as ``params.json``:
  ``{"<path>": {"<key>": value}}``, keys sorted. ``compare_params`` fetches production's from
  its release and keeps the keys whose value differs, or says the release recorded none (a
  version registered before mlops-ci recorded parameters): "not recorded".
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from mlops_ci.config.model import ModelSpec, StageName
from mlops_ci.errors import UserError
from mlops_ci.registry.tags import Action, RegistryTag
from mlops_ci.stages.base import StageContext
from mlops_ci.stages.references import PRODUCTION_DIR, ReferenceModels, registry_name
from mlops_ci.stages.results import ParamValue, TrainResult
from mlops_ci.stages.review_results import ParamChange, ParamsComparison

RELEASE_PARAMS = "params.json"  # the release asset holding the version's parameters
ESTIMATOR_SOURCE = "train.estimator.params"
COMMAND_SOURCE = "params.json"  # what a training command writes in MLOPS_OUTPUT_DIR
MAX_PARAMS = 2000  # per source: a larger file is not parameters, and would flood the report

ParamsRecord = dict[str, dict[str, ParamValue]]


def flatten(data: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; a list stays a value."""
    flat: dict[str, object] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def param_value(value: object) -> ParamValue | None:
    """``value`` as a recorded parameter, or ``None`` when it cannot be one (an object, NaN)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple | Mapping):
        try:
            return json.dumps(value, sort_keys=True, allow_nan=False, default=str)
        except ValueError:
            return None
    return None


def read_params_file(path: Path, display: str) -> dict[str, ParamValue]:
    """The flattened parameters of ``train.params_file``: YAML for ``.yaml``/``.yml``, else JSON."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{display}: no such params file",
                        hint="create it, or remove train.params_file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{display}: cannot read the params file: {error}") from None
    try:
        data = (yaml.safe_load(text) if path.suffix in (".yaml", ".yml")
                else json.loads(text))
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise UserError(f"{display}: not a valid params file: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{display}: a params file holds one mapping of names to values, "
                        f"found {type(data).__name__}")
    found: dict[str, ParamValue] = {}
    for key, value in flatten({str(k): v for k, v in data.items()}).items():
        shown = param_value(value)
        if shown is None and value is not None:
            raise UserError(f"{display}: params key {key!r}: {type(value).__name__} "
                            f"{str(value)[:40]!r} is not a parameter value",
                            hint="a value is a number, string, boolean, null or list")
        found[key] = shown
    if len(found) > MAX_PARAMS:
        raise UserError(f"{display}: {len(found)} parameters; at most {MAX_PARAMS} are recorded")
    return dict(sorted(found.items()))


def params_record(train: TrainResult) -> ParamsRecord:
    """The candidate's parameters by path, as the release's ``params.json`` holds them."""
    record: ParamsRecord = {}
    if train.params:
        source = ESTIMATOR_SOURCE if train.method == "estimator" else COMMAND_SOURCE
        record[source] = dict(sorted(train.params))
    if train.params_file is not None:
        record[train.params_file] = dict(sorted(train.file_params))
    return record


def record_json(record: ParamsRecord) -> str:
    return json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n"


def read_record(path: Path) -> ParamsRecord | None:
    """A release's ``params.json``; ``None`` when it is not that form (it is not ours to fix)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    record: ParamsRecord = {}
    for source, values in data.items():
        if not isinstance(values, dict):
            return None
        record[str(source)] = {str(k): param_value(v) for k, v in values.items()}
    return record


def diff_records(production: ParamsRecord, candidate: ParamsRecord) -> tuple[ParamChange, ...]:
    """The keys whose value differs (or that one side lacks), sorted by path and key."""
    changes = []
    for source in sorted({*production, *candidate}):
        before = production.get(source, {})
        after = candidate.get(source, {})
        for key in sorted({*before, *after}):
            old = _shown(before, key)
            new = _shown(after, key)
            if before.get(key) != after.get(key) or (key in before) != (key in after):
                changes.append(ParamChange(source, key, old, new))
    return tuple(changes)


def _shown(values: Mapping[str, ParamValue], key: str) -> str | None:
    """A value as ``dvc params diff`` shows it: a string as it is (a list is kept as its
    JSON text), anything else as JSON (``1.0``, ``true``, ``null``)."""
    if key not in values:
        return None
    return shown_value(values[key])


def shown_value(value: ParamValue) -> str:
    return value if isinstance(value, str) else json.dumps(value, allow_nan=False)


def candidate_record(context: StageContext, model: ModelSpec) -> ParamsRecord | None:
    """The parameters the train stage of this run recorded (``None`` when it did not run)."""
    trained = context.result(model, StageName.TRAIN)
    if trained is None or not isinstance(trained.detail, TrainResult):
        return None
    return params_record(trained.detail)


def compare_params(
    context: StageContext, model: ModelSpec, folder: Path, references: ReferenceModels
) -> ParamsComparison | None:
    """The candidate's parameters against production's release record; ``None`` when there is
    no production version or no candidate record to compare."""
    version = references.production_version
    candidate = candidate_record(context, model)
    if version is None or candidate is None:
        return None
    count = sum(len(values) for values in candidate.values())
    tag = RegistryTag(registry_name(model), Action.REGISTER, version=version).format()
    dest = folder / PRODUCTION_DIR / f"release-{RELEASE_PARAMS}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    fetched = context.forge.fetch_release_asset(tag, RELEASE_PARAMS, dest)
    if not fetched.found or fetched.path is None:
        why = f"not recorded: the release of {version} has no {RELEASE_PARAMS}"
        return ParamsComparison(version, (), count, why)
    production = read_record(fetched.path)
    if production is None:
        why = f"not recorded: the {RELEASE_PARAMS} of {version} is not a parameters record"
        return ParamsComparison(version, (), count, why)
    return ParamsComparison(version, diff_records(production, candidate), count)
