"""Requests to the model server, decoded and checked into typed column arrays.

Everything a client can get wrong is a :class:`RequestError` with the HTTP status to answer
and a message naming the problem (input, row, column); nothing here raises anything else on
any JSON body. ``NaN`` and ``Infinity`` are refused wherever they stand; what each column's
values may be is checked by ``serving.values``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from typing import TYPE_CHECKING, Any

from mlops_ci.serving.columns import DATATYPES, FLOAT_TYPES, INT_TYPES, InputColumn
from mlops_ci.serving.json_cost import DecodeBudget
from mlops_ci.serving.values import RequestError, column_array, float_columns
from mlops_ci.serving.values import shown as _shown

if TYPE_CHECKING:
    import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Batch:
    """The decoded inputs: one array per model column, all ``rows`` long, in model order."""

    rows: int
    arrays: tuple[npt.NDArray[Any], ...]
    request_id: str | None = None
    outputs: tuple[str, ...] | None = None  # requested output names; None: all
    ids: tuple[str | None, ...] | None = None  # each row's value in the id column, if sent


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(body: bytes, budget: DecodeBudget | None = None) -> object:
    """The JSON value in ``body``; ``NaN``/``Infinity`` and bad UTF-8 are refused (400), and
    a body that would take more memory decoded than ``budget`` allows (413, see
    ``serving.json_cost``; by default the budget of a request of this body)."""
    if not body.strip():
        raise RequestError(400, "the request body is empty; send a JSON object")
    (budget or DecodeBudget(len(body))).charge_json(body)
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
    data: Sequence[object]  # a list, or the float64 array of numbers taken from the body


def _tensor(entry: object, index: int, numbers: npt.NDArray[Any] | None = None) -> _Tensor:
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
    flat: Any = _flatten(data, len(shape), where) if numbers is None else numbers
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


NUMBERS_DATATYPES = frozenset({"FP64", "FP32"})
"""Columns whose every value ``serving.numbers`` reads (its numbers are under 10**15)."""


def decode_numbers_infer(
    payload: object, numbers: npt.NDArray[Any], columns: Sequence[InputColumn]
) -> Batch | None:
    """``decode_infer`` of a request whose one 2-D tensor had its data, ``numbers``, taken out
    of the body (``serving.numbers``: the tensor's ``data`` is left empty in ``payload``), for
    a model of float columns only; or None when the request or the model is not of that kind,
    and the caller decodes the whole body."""
    if any(column.datatype not in NUMBERS_DATATYPES for column in columns):
        return None
    inputs = payload.get("inputs") if isinstance(payload, dict) else None
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        return None
    shape = inputs[0].get("shape")
    if (inputs[0].get("data") != [] or not isinstance(shape, list) or len(shape) != 2
            or type(shape[1]) is not int or shape[1] < 2):
        return None
    return decode_infer(payload, columns, numbers=numbers)


def decode_infer(
    payload: object, columns: Sequence[InputColumn], id_column: str | None = None,
    *, numbers: npt.NDArray[Any] | None = None,
) -> Batch:
    """An OIP inference request: one tensor per column, or one 2-D tensor of all columns.

    A tensor named ``id_column`` (not a model input) holds the rows' ids: kept in
    ``Batch.ids``, not fed to the model. ``numbers``: see ``decode_numbers_infer``.
    """
    if not isinstance(payload, dict):
        raise RequestError(400, "an inference request is a JSON object with \"inputs\"")
    raw_inputs = payload.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise RequestError(400, "\"inputs\" must be a non-empty list of tensors")
    request_id = payload.get("id")
    outputs = _requested_outputs(payload.get("outputs"))
    tensors = [_tensor(entry, index, numbers) for index, entry in enumerate(raw_inputs)]
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
    for tensor in tensors:
        if tensor.name in by_name:
            raise RequestError(400, f"input {_shown(tensor.name)} is given twice")
        by_name[tensor.name] = tensor
    _check_names(by_name, (), columns, "input")
    for tensor in tensors:
        if len(tensor.shape) > 2 or (len(tensor.shape) == 2 and tensor.shape[1] != 1):
            raise RequestError(
                400, f"input {_shown(tensor.name)}: shape {list(tensor.shape)}; a column's "
                "shape is [rows] or [rows, 1]"
            )
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
    arrays = float_columns(columns, data, width) or tuple(
        column_array(column, data[index::width], f"{where}, column {_shown(column.name)}")
        for index, column in enumerate(columns)
    )
    return Batch(rows, arrays, request_id, outputs)


def decode_rows(
    payload: object, columns: Sequence[InputColumn], id_column: str | None = None,
    *, unused: Sequence[str] = (),
) -> Batch:
    """``/predict``: ``{"rows": [{column: value}, ...]}`` or the bare list of rows.

    Every row has every model column; a key that is neither a column, nor ``id_column``, nor
    one of ``unused`` (columns of the schema the model does not take, which rows of the data
    carry: not fed to the model) is refused, as the inference endpoint refuses an unknown
    input, and one 400 names every unknown and every missing column. ``id_column``'s values
    are kept in ``Batch.ids``.
    """
    rows = payload.get("rows") if isinstance(payload, dict) else payload
    if not isinstance(rows, list) or not rows:
        raise RequestError(400, "expected {\"rows\": [{column: value, ...}, ...]} with a row")
    for number, row in enumerate(rows):
        if not isinstance(row, dict):
            raise RequestError(400, f"rows[{number}]: expected an object of column: value")
    counts = Counter(chain.from_iterable(rows))  # each key: how many rows have it
    allowed = (*unused, *(() if id_column is None else (id_column,)))
    missing = {column.name: _rows_without(rows, column.name, len(rows) - counts[column.name])
               for column in columns if counts[column.name] < len(rows)}
    _check_names(counts, allowed, columns, "column", missing)
    arrays = tuple(column_array(column, [row[column.name] for row in rows],
                                f"column {_shown(column.name)}") for column in columns)
    ids = None if id_column is None else _ids([row.get(id_column) for row in rows])
    return Batch(len(rows), arrays, ids=ids)


def _rows_without(rows: Sequence[dict[str, object]], name: str, count: int) -> str:
    first = next(number for number, row in enumerate(rows) if name not in row)
    return f"rows[{first}]" + (f" and {count - 1:,} more" if count > 1 else "")


def _check_names(
    given: Iterable[str],
    allowed: Iterable[str],
    columns: Sequence[InputColumn],
    noun: str,
    missing_where: dict[str, str] | None = None,
) -> None:
    """One 400 naming every unknown name (not a column, not ``allowed``) and every column
    missing from ``given`` (or from some rows: ``missing_where`` says which)."""
    known = {column.name for column in columns}.union(allowed)
    unknown = [name for name in given if name not in known]
    if missing_where is None:
        present = set(given)
        missing_where = {c.name: "" for c in columns if c.name not in present}
    if not unknown and not missing_where:
        return
    parts = []
    if unknown:
        names = ", ".join(_shown(name) for name in unknown[:20])
        more = f" and {len(unknown) - 20:,} more" if len(unknown) > 20 else ""
        parts.append(f"unknown {noun}{'s' if len(unknown) > 1 else ''} {names}{more}")
    if missing_where:
        parts.append(f"missing {noun}(s): " + ", ".join(
            name + (f" ({where})" if where else "") for name, where in missing_where.items()
        ))
    if unknown:
        parts.append(f"this model takes: {', '.join(c.name for c in columns)}")
    raise RequestError(400, "; ".join(parts))
