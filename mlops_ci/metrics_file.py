"""``metrics.json``: the flat, DVC-style file of a model's metrics.

``{"accuracy": 0.821, "roc_auc": 0.86614}``: one number per metric name, keys sorted,
strict JSON (``NaN``/``Infinity`` are never written: ``json.dumps(allow_nan=False)``).
``dvc metrics show``/``diff`` and DVC Studio read it as is.

Undefined metrics are left out. DVC's docs describe metrics as numbers (newer ones also
accept strings), and ``dvc metrics diff`` subtracts them, so a reason string beside the
numbers would show up as a metric of its own; the reasons live in the evaluation's own
record instead (``Evaluation.notes`` and the report).

``read_user_metrics`` reads the file a training command writes with its own numbers
(``evaluate.metrics_file``): the same flat format, as JSON or YAML.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from mlops_ci.errors import UserError
from mlops_ci.metrics import MetricValue

METRICS_FILE = "metrics.json"


def metrics_json(values: Iterable[MetricValue]) -> str:
    """The file's text: defined metrics only, sorted by name, with a final newline."""
    flat = {value.name: value.value for value in values if value.value is not None}
    return json.dumps(flat, sort_keys=True, indent=2, allow_nan=False) + "\n"


def write_metrics(path: Path, values: Iterable[MetricValue]) -> None:
    """Write ``metrics_json(values)`` to ``path`` atomically."""
    text = metrics_json(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def read_metrics(path: Path) -> dict[str, float]:
    """The metrics in a flat ``metrics.json`` (ours, or one a user's script wrote).

    Raises ``UserError`` naming the file and key for anything but a JSON object of finite
    numbers (``NaN``/``Infinity`` included: Python's json would otherwise accept them).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such metrics file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read the metrics file: {error}") from None

    def refuse_constant(name: str) -> float:
        raise ValueError(f"{name} is not valid JSON (a metric must be a finite number)")

    try:
        data = json.loads(text, parse_constant=refuse_constant)
    except ValueError as error:
        where = ""
        if isinstance(error, json.JSONDecodeError):
            where = f":{error.lineno}:{error.colno}"
        raise UserError(f"{path}{where}: not a valid metrics file: {error}") from None
    if not isinstance(data, dict):
        found = type(data).__name__
        raise UserError(f"{path}: a metrics file holds one JSON object, found {found}")
    return _numbers(path, data)


def read_user_metrics(path: Path, display: str) -> dict[str, float]:
    """The flat metrics a training command wrote: JSON, or YAML for ``.yaml``/``.yml``.

    ``display`` names the file in errors (``evaluate.metrics_file``'s value). Raises
    ``UserError`` naming it (and the key) for a missing or unreadable file, anything but a
    mapping, a nested or non-numeric value, NaN or infinity (Python's ``json.dump`` writes
    ``NaN``: it is read, then refused by its key).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{display}: no such metrics file (looked in {path.parent})",
                        hint=_WRITE_IT) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{display}: cannot read the metrics file: {error}") from None
    data = _parse_yaml(text, display) if path.suffix.lower() in (".yaml", ".yml") else (
        _parse_json(text, display)
    )
    if not isinstance(data, dict):
        found = type(data).__name__
        raise UserError(f"{display}: a metrics file holds one mapping of names to numbers, "
                        f"found {found}")
    return _numbers(Path(display), {str(key): value for key, value in data.items()})


_WRITE_IT = (
    "the training command must write it in MLOPS_OUTPUT_DIR, e.g. json.dump(scores, "
    "open(Path(os.environ['MLOPS_OUTPUT_DIR']) / 'eval.json', 'w'))"
)


def _parse_json(text: str, display: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f":{error.lineno}:{error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        raise UserError(f"{display}{where}: not a valid metrics file: {error}") from None


def _parse_yaml(text: str, display: str) -> object:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise UserError(f"{display}{where}: not a valid metrics file: {error}") from None


def _numbers(path: Path, data: Mapping[str, object]) -> dict[str, float]:
    found: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserError(
                f"{path}: metric {key!r} is {_shown(value)}, not a number",
                hint="a metrics file is flat: one number per metric name",
            )
        if not math.isfinite(value):
            raise UserError(f"{path}: metric {key!r} is {value}, not a finite number")
        found[key] = float(value)
    return dict(sorted(found.items()))


def _shown(value: object) -> str:
    try:
        return json.dumps(value)[:60]
    except (TypeError, ValueError):
        return repr(value)[:60]
