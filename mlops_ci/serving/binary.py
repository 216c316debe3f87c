"""The Open Inference Protocol's binary tensor extension, as Triton and tritonclient send it.

A request with the header ``Inference-Header-Content-Length: N`` carries its JSON in the first
``N`` bytes of the body; every input whose ``parameters`` hold ``binary_data_size: S`` takes
its values from the next ``S`` bytes after the JSON, in the order of ``inputs``: little-endian
numbers, one byte per BOOL, and for BYTES each element as a 4-byte little-endian length and
its bytes (UTF-8 text here). ``inline_binary_inputs`` turns such a request into the plain JSON
form, so that ``decode`` checks both alike. Answers are always JSON (a client that asked for
binary outputs reads JSON outputs as well).
"""

from __future__ import annotations

from typing import Any

from mlops_ci.serving.decode import parse_json
from mlops_ci.serving.json_cost import NUMBER, POINTER, STRING, DecodeBudget
from mlops_ci.serving.values import RequestError

_NUMPY_TYPES = {
    "BOOL": "?", "INT8": "<i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8",
    "UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8",
    "FP16": "<f2", "FP32": "<f4", "FP64": "<f8",
}


def parse_binary_request(body: bytes, header_length: str) -> object:
    """The JSON request in ``body`` with its binary inputs inlined as ``data`` lists."""
    try:
        json_length = int(header_length)
    except ValueError:
        json_length = -1
    if not 0 < json_length <= len(body):
        raise RequestError(
            400, f"Inference-Header-Content-Length is {header_length[:40]!r}; it must be "
            f"the length of the JSON part, between 1 and the body's {len(body):,} bytes"
        )
    budget = DecodeBudget(len(body))
    payload = parse_json(body[:json_length], budget)
    inline_binary_inputs(payload, memoryview(body)[json_length:], budget)
    return payload


def inline_binary_inputs(payload: object, binary: memoryview, budget: DecodeBudget) -> None:
    """Each binary input's values as its ``data`` list, charged to ``budget`` first."""
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), list):
        return  # decode_infer says what is wrong with it
    offset = 0
    for index, entry in enumerate(payload["inputs"]):
        parameters = entry.get("parameters") if isinstance(entry, dict) else None
        if not isinstance(parameters, dict) or "binary_data_size" not in parameters:
            continue
        size = parameters["binary_data_size"]
        where = f"inputs[{index}]"
        if type(size) is not int or size < 0:
            raise RequestError(400, f"{where}.parameters.binary_data_size must be a "
                               "non-negative integer")
        if "data" in entry:
            raise RequestError(400, f"{where}: has both data and binary_data_size")
        if offset + size > len(binary):
            raise RequestError(
                400, f"{where}: binary_data_size {size:,} runs past the end of the body "
                f"({len(binary) - offset:,} bytes left)"
            )
        entry["data"] = _values(entry.get("datatype"), binary[offset:offset + size], where,
                                budget)
        offset += size
    if offset != len(binary):
        raise RequestError(
            400, f"the body has {len(binary) - offset:,} bytes after the binary inputs "
            "that no input's binary_data_size accounts for"
        )


def _values(datatype: object, chunk: memoryview, where: str,
            budget: DecodeBudget) -> list[Any]:
    import numpy as np

    if datatype == "BYTES":
        # An element takes 4 bytes at least; a string at most 4 bytes a byte (UCS-4).
        budget.charge(len(chunk) // 4 * (STRING + POINTER) + 4 * len(chunk), where)
        return _bytes_elements(chunk, where)
    dtype = _NUMPY_TYPES.get(datatype) if isinstance(datatype, str) else None
    if dtype is None:
        raise RequestError(400, f"{where}: datatype {str(datatype)[:40]!r} cannot be sent "
                           "as binary data")
    itemsize = np.dtype(dtype).itemsize
    if len(chunk) % itemsize:
        raise RequestError(
            400, f"{where}: {len(chunk):,} bytes of {datatype} is not a whole number of "
            f"{itemsize}-byte values"
        )
    count = len(chunk) // itemsize
    budget.charge(count * (POINTER if itemsize == 1 else POINTER + NUMBER), where)
    values: list[Any] = np.frombuffer(chunk, dtype=dtype).tolist()
    return values


def _bytes_elements(chunk: memoryview, where: str) -> list[Any]:
    values: list[Any] = []
    offset = 0
    while offset < len(chunk):
        if offset + 4 > len(chunk):
            raise RequestError(400, f"{where}: BYTES data ends inside an element's length")
        length = int.from_bytes(chunk[offset:offset + 4], "little")
        offset += 4
        if offset + length > len(chunk):
            raise RequestError(400, f"{where}: a BYTES element of {length:,} bytes runs past "
                               "its data")
        try:
            values.append(str(chunk[offset:offset + length], "utf-8"))
        except UnicodeDecodeError:
            raise RequestError(400, f"{where}: element {len(values)} is not UTF-8 text") \
                from None
        offset += length
    return values
