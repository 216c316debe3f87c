"""A column's values, as a request sends them, checked and turned into the array the model is fed.

Numbers are checked by their JSON type, not coerced: a string where a number belongs, a boolean
where an integer belongs are refused. Every value must fit the column's datatype: an integer
column takes the integers of its width (``INT64``: -2**63 to 2**63-1, ``UINT8``: 0 to 255...), a
float column the finite numbers of its width; an integer of 400 digits, ``1e400`` (which JSON
parsers read as infinity), ``NaN`` or infinity from a binary tensor are each a 400 naming the
column and the row. ``null`` is accepted in a nullable column (a missing value for the model's
imputer), and is no licence for an infinity beside it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlops_ci.serving.columns import FLOAT_TYPES, INT_TYPES, InputColumn

if TYPE_CHECKING:
    import numpy.typing as npt

_NONE = type(None)
_MAX_SHOWN = 40
_INT_RANGES = {
    name: ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if name[0] == "I" else (0, (1 << bits) - 1))
    for name, bits in (("INT8", 8), ("INT16", 16), ("INT32", 32), ("INT64", 64), ("UINT8", 8),
                       ("UINT16", 16), ("UINT32", 32), ("UINT64", 64))
}
_INT64_MAX = (1 << 63) - 1
_FLOAT_MAX = {"FP16": 65504.0, "FP32": 3.4028234663852886e38, "FP64": 1.7976931348623157e308}


class RequestError(Exception):
    """A request the server refuses, with the status to answer (4xx) and a precise message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def shown(text: object) -> str:
    """``text`` quoted for a message, cut to a readable length."""
    value = str(text)
    return repr(value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 3] + "...")


def column_array(column: InputColumn, values: Sequence[object], where: str) -> npt.NDArray[Any]:
    """``values`` as the array the model is fed for ``column``, or a 400 naming the problem.

    ``where`` names the column in messages (``input 'x'``, ``column 'x'``); a value's position
    is said as its row.
    """
    import numpy as np

    kinds = set(map(type, values))
    has_null = _NONE in kinds
    if has_null:
        if not column.nullable:
            raise RequestError(400, f"{where} may not be null (row {values.index(None)})")
        kinds.discard(_NONE)
    datatype = column.datatype
    if datatype is None:
        if not kinds <= {int, float, str, bool}:
            raise RequestError(400, f"{where}: {_kind_names(kinds)} values are not scalars")
        if kinds <= {int, float}:
            if kinds == {int} and not has_null:
                with contextlib.suppress(OverflowError):
                    return np.asarray(values, dtype=np.int64)
            return _floats(values, "FP64", where, has_null)
        if float in kinds:
            _refuse_infinite_floats(values, where)
        return np.asarray(values, dtype=object)
    if datatype in INT_TYPES:
        _expect(kinds <= {int}, datatype, kinds, where, "integers")
        _check_int_range(values, datatype, where, has_null)
        if has_null:
            return np.asarray(values, dtype=np.float64)
        try:
            return np.asarray(values, dtype=np.int64)
        except OverflowError:  # UINT64 beyond INT64: checked to fit above
            return np.asarray(values, dtype=np.uint64)
    if datatype in FLOAT_TYPES:
        _expect(kinds <= {int, float}, datatype, kinds, where, "numbers")
        return _floats(values, datatype, where, has_null)
    if datatype == "BOOL":
        _expect(kinds <= {bool}, datatype, kinds, where, "true or false")
        return np.asarray(values, dtype=object if has_null else np.bool_)
    _expect(kinds <= {str}, datatype, kinds, where, "strings")
    return np.asarray(values, dtype=object)


def float_columns(columns: Sequence[InputColumn], data: Sequence[object],
                  width: int) -> tuple[npt.NDArray[Any], ...] | None:
    """The columns of a row-major matrix of numbers (``data``, ``width`` values a row: JSON
    values, or float64 numbers ``serving.numbers`` read), each as ``column_array`` gives it,
    checked all at once: or None when a column is not a float column or a value is not a
    finite number its column takes (no null either), and then ``column_array`` must check
    each column and say what is wrong.

    The common request of a model on numbers, one ``FP64`` tensor of rows, then costs one type
    pass and one conversion over its values instead of one per column.
    """
    import numpy as np

    if any(column.datatype not in FLOAT_TYPES for column in columns):
        return None
    if not isinstance(data, np.ndarray) and not set(map(type, data)) <= {float, int}:
        return None
    try:
        matrix = np.asarray(data, dtype=np.float64).reshape(-1, width)
    except OverflowError:
        return None
    limits = np.array([_FLOAT_MAX[str(column.datatype)] for column in columns])
    if not bool((np.abs(matrix) <= limits).all()):  # NaN compares false: refused too
        return None
    return tuple(matrix[:, index] for index in range(width))


def _check_int_range(values: Sequence[object], datatype: str, where: str,
                     has_null: bool) -> None:
    low, high = _INT_RANGES[datatype]
    present: Sequence[Any] = [v for v in values if v is not None] if has_null else values
    if not present or (low <= min(present) and max(present) <= high):
        return
    row, value = next((row, v) for row, v in enumerate(values)
                      if v is not None and not low <= v <= high)  # type: ignore[operator]
    bits = datatype.removeprefix("U").removeprefix("INT")
    raise RequestError(
        400, f"{where}: {_number(value)} does not fit in {bits} bits as {datatype} takes them, "
        f"from {low} to {high} (row {row})"
    )


def _floats(values: Sequence[object], datatype: str, where: str,
            has_null: bool) -> npt.NDArray[Any]:
    import numpy as np

    limit = _FLOAT_MAX[datatype]
    bits = datatype.removeprefix("FP")
    try:
        array = np.asarray(values, dtype=np.float64)
    except OverflowError:  # an integer beyond any float
        row, value = next((row, v) for row, v in enumerate(values)
                          if type(v) is int and abs(v) > limit)
        raise RequestError(
            400, f"{where}: {_number(value)} is too large for a {bits}-bit float (row {row})"
        ) from None
    magnitude = np.abs(array)
    bad = magnitude > limit if has_null else ~(magnitude <= limit)  # NaN only from a binary
    if bool(bad.any()):
        row = int(np.argmax(bad))
        raise RequestError(
            400, f"{where}: a number is NaN, infinite or too large for a {bits}-bit float "
            f"(row {row})"
        )
    return array


def _refuse_infinite_floats(values: Sequence[object], where: str) -> None:
    for row, value in enumerate(values):
        if type(value) is float and not math.isfinite(value):
            raise RequestError(400, f"{where}: a number is infinite or too large for a "
                               f"64-bit float (row {row})")


def _number(value: object) -> str:
    """``value`` for a message; an integer too long to read is said by its length."""
    if isinstance(value, int) and abs(value) >= 10**24:
        return f"an integer of {len(str(abs(value)))} digits"
    return str(value)


def _kind_names(kinds: set[type]) -> str:
    names = {int: "integer", float: "number", str: "string", bool: "boolean", list: "list",
             dict: "object"}
    return ", ".join(sorted(names.get(kind, kind.__name__) for kind in kinds))


def _expect(ok: bool, datatype: str, kinds: set[type], where: str, wanted: str) -> None:
    if not ok:
        raise RequestError(
            400, f"{where} ({datatype}) takes {wanted}, got {_kind_names(kinds)} values"
        )
