"""The inputs a served model takes: one named, typed column each, as the Open Inference Protocol
describes them (``datatype`` is an OIP tensor type: ``INT64``, ``FP64``, ``BOOL``, ``BYTES``...).

The schema comes from ``mlops.yaml`` (``data.columns``, written by the deploy backends as a
``columns.json`` next to the model) or, without one, from the fitted model's
``feature_names_in_`` with an open datatype. A columns file is a JSON list of objects
``{"name": "tenure_months", "datatype": "INT64", "nullable": false}``; ``nullable`` defaults
to true and ``datatype`` may be ``null`` (any JSON scalar is accepted for that column).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.config.model import ColumnSpec, DType
from mlops_ci.errors import UserError

INT_TYPES = frozenset(
    {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"}
)
FLOAT_TYPES = frozenset({"FP16", "FP32", "FP64"})
DATATYPES = INT_TYPES | FLOAT_TYPES | {"BOOL", "BYTES"}

_FROM_DTYPE: dict[DType, str] = {
    "int": "INT64",
    "float": "FP64",
    "bool": "BOOL",
    "string": "BYTES",
    "category": "BYTES",
    "datetime": "BYTES",
}


@dataclass(frozen=True, slots=True)
class InputColumn:
    """One input of the model. ``datatype`` ``None`` accepts any JSON scalar."""

    name: str
    datatype: str | None
    nullable: bool = True

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "datatype": self.datatype, "nullable": self.nullable}


def columns_from_specs(specs: Sequence[ColumnSpec], *, exclude: Sequence[str] = ()) -> tuple[
    InputColumn, ...
]:
    """The inputs described by ``data.columns`` in mlops.yaml, less ``exclude`` (the target)."""
    skipped = set(exclude)
    return tuple(
        InputColumn(spec.name, _FROM_DTYPE[spec.dtype], spec.nullable)
        for spec in specs
        if spec.name not in skipped
    )


def write_columns(columns: Sequence[InputColumn], path: Path) -> None:
    """Write a columns file that :func:`read_columns` reads back."""
    path.write_text(json.dumps([c.to_json() for c in columns], indent=2) + "\n", encoding="utf-8")


def read_columns(path: Path) -> tuple[InputColumn, ...]:
    """The columns in the JSON file at ``path``; a ``UserError`` naming the entry that is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such columns file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read the columns file: {error}") from None
    except json.JSONDecodeError as error:
        raise UserError(f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from None
    if not isinstance(data, list):
        raise UserError(f"{path}: a columns file is a JSON list of objects")
    columns: list[InputColumn] = []
    seen: set[str] = set()
    for index, entry in enumerate(data):
        where = f"{path}: [{index}]"
        if not isinstance(entry, dict):
            raise UserError(f"{where}: expected an object with name and datatype")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise UserError(f"{where}.name: expected a non-empty string")
        if name in seen:
            raise UserError(f"{where}.name: column {name!r} is listed twice")
        seen.add(name)
        datatype = entry.get("datatype")
        if datatype is not None and datatype not in DATATYPES:
            raise UserError(
                f"{where}.datatype: {datatype!r} is not an Open Inference Protocol datatype",
                hint=f"use one of {', '.join(sorted(DATATYPES))}, or null for any",
            )
        nullable = entry.get("nullable", True)
        if not isinstance(nullable, bool):
            raise UserError(f"{where}.nullable: expected true or false")
        columns.append(InputColumn(name, datatype, nullable))
    return tuple(columns)


def model_inputs(
    schema: Sequence[InputColumn], feature_names: Sequence[str] | None, *, source: str
) -> tuple[InputColumn, ...]:
    """The columns the model is fed, in the order it was fitted with.

    With ``feature_names`` (a fitted estimator's ``feature_names_in_``), each must be in the
    schema (else a ``UserError``); schema columns the model does not use (an id column) are
    left out. Without them, the schema is used as it is.
    """
    if feature_names is None:
        if not schema:
            raise UserError(
                f"{source}: the model does not record its feature names and no columns were "
                "given",
                hint="pass --columns-json FILE listing the model's inputs in order",
            )
        return tuple(schema)
    if not schema:
        return tuple(InputColumn(name, None) for name in feature_names)
    by_name = {column.name: column for column in schema}
    missing = [name for name in feature_names if name not in by_name]
    if missing:
        raise UserError(
            f"{source}: the model was fitted with column(s) {', '.join(missing)} that the "
            "columns schema does not describe",
            hint="list every feature under data.columns in mlops.yaml",
        )
    return tuple(by_name[name] for name in feature_names)
