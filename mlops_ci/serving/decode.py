"""Requests to the model server, decoded and checked into typed column arrays.

Everything a client can get wrong is a :class:`RequestError` with the HTTP status to answer
and a message naming the problem (input, row, column); nothing here raises anything else on
any JSON body. Numbers are checked by their JSON type, not coerced: a string where a number
belongs, a boolean where an integer belongs, ``NaN`` or ``Infinity`` anywhere are refused.
``null`` is accepted in a nullable column (a missing value for the model's imputer).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mlops_ci.serving.columns import DATATYPES, FLOAT_TYPES, INT_TYPES, InputColumn

if TYPE_CHECKING:
    import numpy.typing as npt

_NONE = type(None)
_MAX_SHOWN = 40


class RequestError(Exception):
    """A request the server refuses, with the status to answer (4xx) and a precise message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Batch:
    """The decoded inputs: one array per model column, all ``rows`` long, in model order."""

    rows: int
    arrays: tuple[npt.NDArray[Any], ...]
    request_id: str | None = None
    outputs: tuple[str, ...] | None = None  # requested output names; None: all
    ids: tuple[str | None, ...] | None = None  # each row's value in the id column, if sent


def _shown(text: object) -> str:
    value = str(text)
    return repr(value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 3] + "...")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(body: bytes) -> object:
    """The JSON value in ``body``; ``NaN``/``Infinity`` and bad UTF-8 are refused (400)."""
    if not body.strip():
        raise RequestError(400, "the request body is empty; send a JSON object")
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise RequestError(
            400, f"the request body is not JSON: {error.msg} at line {error.lineno} column "
            f"{error.colno}"
        ) from None
    except UnicodeDecodeError:
        raise RequestError(400, "the request body is not UTF-8 text") from None
    except ValueError as error:  # NaN, Infinity, -Infinity
        raise RequestError(400, f"the request body is not valid JSON: {error}") from None
    except RecursionError:
        raise RequestError(400, "the request body is JSON nested too deeply") from None


def column_array(column: InputColumn, values: Sequence[object], where: str) -> npt.NDArray[Any]:
    """``values`` as the array the model is fed for ``column``, or a 400 naming the problem."""
    import numpy as np

    kinds = set(map(type, values))
    has_null = _NONE in kinds
    if has_null:
        if not column.nullable:
            raise RequestError(400, f"{where}: column {_shown(column.name)} may not be null")
        kinds.discard(_NONE)
    datatype = column.datatype
    if datatype is None:
        if not kinds <= {int, float, str, bool}:
            raise RequestError(400, f"{where}: {_kind_names(kinds)} values are not scalars")
        if kinds <= {int, float} and not (kinds == {int} and has_null):
            return np.asarray(values, dtype=np.float64 if has_null or float in kinds else None)
        return np.asarray(values, dtype=object)
    if datatype in INT_TYPES:
        _expect(kinds <= {int}, column, kinds, where, "integers")
        if has_null:
            return np.asarray(values, dtype=np.float64)
        try:
            return np.asarray(values, dtype=np.int64)
        except OverflowError:
            raise RequestError(400, f"{where}: an integer does not fit in 64 bits") from None
    if datatype in FLOAT_TYPES:
        _expect(kinds <= {int, float}, column, kinds, where, "numbers")
        array = np.asarray(values, dtype=np.float64)
        if not has_null and not bool(np.isfinite(array).all()):
            raise RequestError(
                400, f"{where}: a number is NaN, infinite or too large for a 64-bit float"
            )
        return array
    if datatype == "BOOL":
        _expect(kinds <= {bool}, column, kinds, where, "true or false")
        return np.asarray(values, dtype=object if has_null else np.bool_)
    _expect(kinds <= {str}, column, kinds, where, "strings")
    return np.asarray(values, dtype=object)


def _kind_names(kinds: set[type]) -> str:
    names = {int: "integer", float: "number", str: "string", bool: "boolean", list: "list",
             dict: "object"}
    return ", ".join(sorted(names.get(kind, kind.__name__) for kind in kinds))


def _expect(ok: bool, column: InputColumn, kinds: set[type], where: str, wanted: str) -> None:
    if not ok:
        raise RequestError(
            400,
            f"{where}: column {_shown(column.name)} ({column.datatype}) takes {wanted}, got "
            f"{_kind_names(kinds)} values",
        )


def _compatible(request_type: str, column: InputColumn) -> bool:
    """Whether a tensor of ``request_type`` may feed ``column``."""
    expected = column.datatype
    if expected is None or request_type == expected:
        return True
    if expected in FLOAT_TYPES:
        return request_type in FLOAT_TYPES or request_type in INT_TYPES
    if expected in INT_TYPES:
        return request_type in INT_TYPES
    return False


@dataclass(frozen=True, slots=True)
class _Tensor:
    name: str
    shape: tuple[int, ...]
    datatype: str
    data: list[object]


def _tensor(entry: object, index: int) -> _Tensor:
    where = f"inputs[{index}]"
    if not isinstance(entry, dict):
        raise RequestError(400, f"{where}: expected an object with name, shape, datatype, data")
    name = entry.get("name")
    if not isinstance(name, str):
        raise RequestError(400, f"{where}.name: expected a string")
    where = f"input {_shown(name)}"
    shape = entry.get("shape")
    if (
        not isinstance(shape, list)
        or not shape
        or not all(type(d) is int and d >= 0 for d in shape)
    ):
        raise RequestError(400, f"{where}: shape must be a list of non-negative integers")
    datatype = entry.get("datatype")
    if datatype not in DATATYPES:
        raise RequestError(
            400, f"{where}: datatype {_shown(datatype)} is not an Open Inference Protocol "
            f"datatype ({', '.join(sorted(DATATYPES))})"
        )
    data = entry.get("data")
    if not isinstance(data, list):
        raise RequestError(400, f"{where}: data must be a list")
    flat = _flatten(data, len(shape), where)
    expected = math.prod(shape)
    if len(flat) != expected:
        raise RequestError(
            400, f"{where}: shape {shape} holds {expected} values but data has {len(flat)}"
        )
    return _Tensor(name, tuple(shape), str(datatype), flat)


def _flatten(data: list[object], dims: int, where: str) -> list[object]:
    """OIP data is flat (row-major) or nested as deep as the shape; either is accepted."""
    if dims <= 1 or not data or not isinstance(data[0], list):
        return data
    flat: list[object] = []
    for item in data:
        if not isinstance(item, list):
            raise RequestError(400, f"{where}: data mixes lists and values")
        flat.extend(_flatten(item, dims - 1, where))
    return flat


def decode_infer(
    payload: object, columns: Sequence[InputColumn], id_column: str | None = None
) -> Batch:
    """An OIP inference request: one tensor per column, or one 2-D tensor of all columns.

    A tensor named ``id_column`` (not a model input) holds the rows' ids: kept in
    ``Batch.ids``, not fed to the model.
    """
    if not isinstance(payload, dict):
        raise RequestError(400, "an inference request is a JSON object with \"inputs\"")
    raw_inputs = payload.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise RequestError(400, "\"inputs\" must be a non-empty list of tensors")
    request_id = payload.get("id")
    outputs = _requested_outputs(payload.get("outputs"))
    tensors = [_tensor(entry, index) for index, entry in enumerate(raw_inputs)]
    ident = request_id if isinstance(request_id, str) else None
    if len(tensors) == 1 and len(tensors[0].shape) == 2 and tensors[0].shape[1] > 1:
        return _from_matrix(tensors[0], columns, ident, outputs)
    id_tensor = next((t for t in tensors if id_column is not None and t.name == id_column
                      and all(c.name != id_column for c in columns)), None)
    if id_tensor is None:
        return _from_columns(tensors, columns, ident, outputs)
    batch = _from_columns([t for t in tensors if t is not id_tensor], columns, ident, outputs)
    if len(id_tensor.data) != batch.rows:
        raise RequestError(400, f"input {_shown(id_tensor.name)} (the ids) has "
                           f"{len(id_tensor.data)} values for {batch.rows} rows")
    return replace(batch, ids=_ids(id_tensor.data))


def _ids(values: Sequence[object]) -> tuple[str | None, ...]:
    return tuple(None if v is None or isinstance(v, list | dict) else str(v) for v in values)


def _requested_outputs(raw: object) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(
        isinstance(item, dict) and isinstance(item.get("name"), str) for item in raw
    ):
        raise RequestError(400, "\"outputs\" must be a list of objects with a name")
    return tuple(str(item["name"]) for item in raw)


def _from_columns(
    tensors: Sequence[_Tensor],
    columns: Sequence[InputColumn],
    request_id: str | None,
    outputs: tuple[str, ...] | None,
) -> Batch:
    by_name: dict[str, _Tensor] = {}
    known = {column.name for column in columns}
    for tensor in tensors:
        if tensor.name not in known:
            raise RequestError(
                400, f"unknown input {_shown(tensor.name)}; this model takes: "
                f"{', '.join(c.name for c in columns)}"
            )
        if tensor.name in by_name:
            raise RequestError(400, f"input {_shown(tensor.name)} is given twice")
        if len(tensor.shape) > 2 or (len(tensor.shape) == 2 and tensor.shape[1] != 1):
            raise RequestError(
                400, f"input {_shown(tensor.name)}: shape {list(tensor.shape)}; a column's "
                "shape is [rows] or [rows, 1]"
            )
        by_name[tensor.name] = tensor
    missing = [column.name for column in columns if column.name not in by_name]
    if missing:
        raise RequestError(400, f"missing input(s): {', '.join(missing)}")
    rows = tensors[0].shape[0]
    if rows == 0:
        raise RequestError(400, f"input {_shown(tensors[0].name)}: shape [0] holds no rows; "
                           "send at least one")
    arrays = []
    for column in columns:
        tensor = by_name[column.name]
        where = f"input {_shown(column.name)}"
        if tensor.shape[0] != rows:
            raise RequestError(
                400, f"{where}: {tensor.shape[0]} rows, but input {_shown(tensors[0].name)} "
                f"has {rows}"
            )
        if not _compatible(tensor.datatype, column):
            raise RequestError(
                400, f"{where}: datatype {tensor.datatype}, but the model takes "
                f"{column.datatype}"
            )
        arrays.append(column_array(column, tensor.data, where))
    return Batch(rows, tuple(arrays), request_id, outputs)


def _from_matrix(
    tensor: _Tensor,
    columns: Sequence[InputColumn],
    request_id: str | None,
    outputs: tuple[str, ...] | None,
) -> Batch:
    rows, width = tensor.shape
    where = f"input {_shown(tensor.name)}"
    if rows == 0:
        raise RequestError(400, f"{where}: shape [0, {width}] holds no rows; send at least one")
    if width != len(columns):
        raise RequestError(
            400, f"{where}: shape [{rows}, {width}], but the model takes {len(columns)} "
            f"columns: {', '.join(c.name for c in columns)}"
        )
    if tensor.datatype != "BYTES":
        for column in columns:
            if not _compatible(tensor.datatype, column):
                raise RequestError(
                    400, f"{where}: datatype {tensor.datatype} cannot hold column "
                    f"{_shown(column.name)} ({column.datatype}); send BYTES for mixed columns"
                )
    data = tensor.data
    arrays = tuple(
        column_array(column, data[index::width], f"{where}, column {_shown(column.name)}")
        for index, column in enumerate(columns)
    )
    return Batch(rows, arrays, request_id, outputs)


def decode_rows(
    payload: object, columns: Sequence[InputColumn], id_column: str | None = None
) -> Batch:
    """``/predict``: ``{"rows": [{column: value}, ...]}`` or the bare list of rows.

    Keys a row has beyond the model's columns are ignored, but for ``id_column``: its values
    are kept in ``Batch.ids``.
    """
    rows = payload.get("rows") if isinstance(payload, dict) else payload
    if not isinstance(rows, list) or not rows:
        raise RequestError(400, "expected {\"rows\": [{column: value, ...}, ...]} with a row")
    for number, row in enumerate(rows):
        if not isinstance(row, dict):
            raise RequestError(400, f"rows[{number}]: expected an object of column: value")
    missing_marker = object()
    arrays = []
    for column in columns:
        name = column.name
        values: list[object] = [row.get(name, missing_marker) for row in rows]
        if missing_marker in values:
            number = values.index(missing_marker)
            raise RequestError(400, f"rows[{number}]: missing column {_shown(name)}")
        arrays.append(column_array(column, values, f"column {_shown(name)}"))
    ids = None if id_column is None else _ids([row.get(id_column) for row in rows])
    return Batch(len(rows), tuple(arrays), ids=ids)

