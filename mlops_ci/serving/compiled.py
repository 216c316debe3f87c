"""A fused model on disk, so that the server starts without scikit-learn.

Loading a skops file imports skops, which imports every scikit-learn estimator (and scipy and
pandas with them): most of a server's start. A model the fused path covers *with its own
heads* (``FusedPipeline.logistic``: a ``LogisticRegression``, plain or behind a
``ColumnTransformer`` of numeric and one-hot blocks, see ``serving.fused``) is numbers and
labels only, which this module writes beside the model as ``<model file>.fused.npz``
(``compiled_path``) and reads back with numpy alone.

The file is one ``.npz`` archive written by numpy and read with ``allow_pickle=False``: the
float64 arrays (imputer fills, scaler means and scales, coefficients, intercepts, and class
labels when they are a plain numeric, boolean or unicode array), and one ``metadata`` member,
UTF-8 JSON: the format and its version (``FORMAT_VERSION``), the sha256 of the exact model file
it was compiled from, the numpy and scikit-learn versions it was checked with, the columns
schema it was compiled for and the model's own inputs, the model file's types that skops does
not trust by default (so the server applies its trust check without opening the model), each
block's kind, positions and categories, and the head. Class labels and categories are str,
int, float or bool values only; anything else is not written (``NotCompilable``). Never
pickle.

What a caller may rely on: ``decode`` returns a ``Compiled`` whose parts are consistent
(shapes, positions, widths) or raises ``CompiledUnusable`` with the reason, whatever the
bytes; ``Compiled.mismatch`` says why a well-formed file does not stand for a given model file
and schema (another sha256, another schema, other library versions).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

from mlops_ci.serving.columns import DATATYPES, InputColumn
from mlops_ci.serving.fused import Block, FusedPipeline, NumericBlock, OneHotBlock
from mlops_ci.serving.logistic import LogisticHead

FORMAT = "mlops-ci-fused"
FORMAT_VERSION = 1
SUFFIX = ".fused.npz"
LIBRARIES = ("numpy", "scikit-learn")
_METADATA = "metadata"
_SCALARS = (str, int, float, bool)
_LABEL_KINDS = "biufU"  # numpy dtype kinds a label array may have: bool, ints, floats, unicode

Array = Any


class CompiledUnusable(Exception):
    """The compiled file cannot stand for the model; the message says why."""


class NotCompilable(Exception):
    """The fused model holds something this format does not write; the message says what."""


def compiled_path(model_file: Path) -> Path:
    """Where the compiled form of ``model_file`` lives: beside it."""
    return model_file.with_name(model_file.name + SUFFIX)


def library_versions() -> dict[str, str]:
    """The installed versions of ``LIBRARIES`` ("" for one not installed), without importing
    them."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = ""
    return versions


@dataclass(frozen=True, slots=True)
class Compiled:
    """A fused model with what it was compiled from and for."""

    model_sha256: str
    schema: tuple[InputColumn, ...]  # the columns file given when it was compiled
    inputs: tuple[InputColumn, ...]  # the model's inputs, in its order (``Predictor.columns``)
    untrusted_types: tuple[str, ...]  # the model file's types skops does not trust by default
    versions: dict[str, str]  # ``library_versions()`` when it was compiled
    fused: FusedPipeline

    def mismatch(self, model_sha256: str, schema: tuple[InputColumn, ...],
                 versions: dict[str, str]) -> str | None:
        """Why this does not stand for the model file with ``model_sha256``, served with
        ``schema`` and ``versions`` (None: it does)."""
        if model_sha256 != self.model_sha256:
            return (f"it was compiled from another model file (sha256 {self.model_sha256[:12]}..., "
                    f"the model's is {model_sha256[:12]}...)")
        if schema != self.schema:
            return "it was compiled for another columns schema"
        for name in LIBRARIES:
            if versions.get(name) != self.versions.get(name):
                return (f"it was checked with {name} {self.versions.get(name) or '(none)'}, "
                        f"this is {versions.get(name) or '(none)'}")
        return None


def encode(compiled: Compiled) -> bytes:
    """The ``.npz`` archive of ``compiled``; ``NotCompilable`` for what it cannot hold."""
    import numpy as np

    head = compiled.fused.logistic
    if head is None:
        raise NotCompilable(f"its final step ({compiled.fused.description}) runs through "
                            "scikit-learn: only a LogisticRegression is compiled ahead of time")
    arrays: dict[str, Array] = {"coef": head.coef, "intercept": head.intercept}
    classes = _encode_labels(head.classes, arrays)
    blocks = [_encode_block(index, block, arrays)
              for index, block in enumerate(compiled.fused.blocks)]
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_sha256": compiled.model_sha256,
        "versions": compiled.versions,
        "schema": [column.to_json() for column in compiled.schema],
        "inputs": [column.to_json() for column in compiled.inputs],
        "untrusted_types": list(compiled.untrusted_types),
        "description": compiled.fused.description,
        "width": compiled.fused.width,
        "order": compiled.fused.order,
        "blocks": blocks,
        "head": {"kind": "logistic", "classes": classes},
    }
    try:
        text = json.dumps(document, allow_nan=False)
    except ValueError:
        raise NotCompilable("a class label or category is NaN or infinite") from None
    arrays[_METADATA] = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _encode_labels(classes: Array, arrays: dict[str, Array]) -> dict[str, object]:
    if classes.ndim != 1:
        raise NotCompilable("the class labels are not a 1-D array")
    if classes.dtype.kind in _LABEL_KINDS:
        arrays["classes"] = classes
        return {"array": "classes"}
    values = classes.tolist()
    if classes.dtype.kind != "O" or not all(type(v) in _SCALARS for v in values):
        raise NotCompilable(f"class labels of dtype {classes.dtype} or of types other than "
                            "str, int, float and bool")
    return {"objects": values}


def _encode_block(index: int, block: Block, arrays: dict[str, Array]) -> dict[str, object]:
    if isinstance(block, NumericBlock):
        present = {}
        for field in ("fill", "mean", "scale"):
            value = getattr(block, field)
            present[field] = value is not None
            if value is not None:
                arrays[f"block{index}_{field}"] = value
        return {"kind": "numeric", "start": block.start, "inputs": list(block.inputs),
                **present}
    for values in block.categories:
        if not all(type(v) in _SCALARS for v in values):
            raise NotCompilable("categories of types other than str, int, float and bool")
    return {"kind": "one-hot", "start": block.start, "inputs": list(block.inputs),
            "width": block.width, "unknown_is_error": block.unknown_is_error,
            "categories": [list(values) for values in block.categories],
            "lookups": [list(lookup.items()) for lookup in block.lookups]}


def write_compiled(data: bytes, path: Path) -> None:
    """Write ``data`` (``encode``'s) to ``path`` atomically: a temporary file beside it, then
    renamed, readable by all (the server may run as another user than the compile)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".partial")
    partial = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        partial.chmod(0o644)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def read_compiled(path: Path) -> Compiled:
    """The compiled model in the file at ``path``; ``CompiledUnusable`` says why not."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CompiledUnusable(f"cannot be read: {error.strerror}") from None
    return decode(data)


def decode(data: bytes) -> Compiled:
    """The compiled model in ``data``; ``CompiledUnusable`` for anything else."""
    import numpy as np

    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise CompiledUnusable("not an .npz archive")
        with loaded:
            arrays = {name: loaded[name] for name in loaded.files}
    except CompiledUnusable:
        raise
    except Exception as error:  # numpy and zipfile raise many kinds on damaged bytes
        raise CompiledUnusable(f"not a readable .npz archive: {type(error).__name__}: "
                               f"{error}") from None
    try:
        document = json.loads(bytes(arrays.pop(_METADATA)).decode("ascii"))
        return _decode(document, arrays)
    except CompiledUnusable:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as error:
        raise CompiledUnusable(f"damaged: {type(error).__name__}: {error}") from None


def _decode(document: dict[str, Any], arrays: dict[str, Array]) -> Compiled:
    if document.get("format") != FORMAT:
        raise CompiledUnusable(f"not a {FORMAT} file")
    if document.get("format_version") != FORMAT_VERSION:
        raise CompiledUnusable(f"format version {document.get('format_version')!r}, this server "
                               f"reads {FORMAT_VERSION}")
    inputs = _columns(document["inputs"])
    width = _integer(document["width"], 1, None)
    head = _head(document["head"], arrays, width)
    blocks = tuple(_block(index, entry, arrays, len(inputs))
                   for index, entry in enumerate(document["blocks"]))
    start = 0
    for block in blocks:
        if block.start != start:
            raise CompiledUnusable("the blocks do not tile the feature matrix")
        start += block.width
    if start != width:
        raise CompiledUnusable("the blocks' widths do not add up to the matrix's")
    versions = document["versions"]
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise CompiledUnusable("the versions are not strings")
    untrusted = document["untrusted_types"]
    if not isinstance(untrusted, list) or not all(isinstance(t, str) for t in untrusted):
        raise CompiledUnusable("the untrusted types are not strings")
    order = document.get("order", "C")
    if order not in ("C", "F"):
        raise CompiledUnusable(f"the matrix's layout is {order!r}, not 'C' or 'F'")
    fused = FusedPipeline(blocks, width, head.heads(), str(document["description"]), head,
                          "F" if order == "F" else "C")
    return Compiled(str(document["model_sha256"]), _columns(document["schema"]), inputs,
                    tuple(untrusted), dict(versions), fused)


def _columns(entries: list[dict[str, Any]]) -> tuple[InputColumn, ...]:
    columns = []
    for entry in entries:
        name, datatype, nullable = entry["name"], entry["datatype"], entry["nullable"]
        if not isinstance(name, str) or not isinstance(nullable, bool) or not (
                datatype is None or datatype in DATATYPES):
            raise CompiledUnusable(f"a column is not a name, datatype and nullable: {entry!r}")
        columns.append(InputColumn(name, datatype, nullable))
    return tuple(columns)


def _integer(value: object, low: int, high: int | None) -> int:
    if type(value) is not int or value < low or (high is not None and value >= high):
        raise CompiledUnusable(f"{value!r} is not an integer in [{low}, {high}): damaged")
    return value


def _floats(arrays: dict[str, Array], name: str, shape: tuple[int, ...]) -> Array:
    import numpy as np

    array = arrays[name]
    if array.dtype != np.float64 or array.shape != shape:
        raise CompiledUnusable(f"{name} is {array.dtype} {array.shape}, not float64 {shape}")
    return array.copy(order="K")  # aligned and owned, its C or Fortran order kept


def _head(entry: dict[str, Any], arrays: dict[str, Array], width: int) -> LogisticHead:
    import numpy as np

    if entry["kind"] != "logistic":
        raise CompiledUnusable(f"an unknown head {entry['kind']!r}")
    labels = entry["classes"]
    if "array" in labels:
        classes = arrays["classes"]
        if classes.ndim != 1 or classes.dtype.kind not in _LABEL_KINDS:
            raise CompiledUnusable(f"class labels of dtype {classes.dtype}")
    else:
        values = labels["objects"]
        if not isinstance(values, list) or not all(type(v) in _SCALARS for v in values):
            raise CompiledUnusable("class labels other than str, int, float and bool")
        classes = np.empty(len(values), dtype=object)
        classes[:] = values
    rows = 1 if classes.size <= 2 else classes.size
    coef = _floats(arrays, "coef", (rows, width))
    intercept = _floats(arrays, "intercept", (rows,))
    return LogisticHead(coef, intercept, classes)


def _block(index: int, entry: dict[str, Any], arrays: dict[str, Array], columns: int) -> Block:
    inputs = tuple(_integer(position, 0, columns) for position in entry["inputs"])
    start = _integer(entry["start"], 0, None)
    if entry["kind"] == "numeric":
        shape = (len(inputs),)
        parts = [_floats(arrays, f"block{index}_{field}", shape) if entry[field] is True else None
                 for field in ("fill", "mean", "scale")]
        return NumericBlock(start, inputs, *parts)
    if entry["kind"] != "one-hot":
        raise CompiledUnusable(f"an unknown block kind {entry['kind']!r}")
    width = _integer(entry["width"], 0, None)
    categories = tuple(tuple(values) for values in entry["categories"])
    lookups: list[dict[object, int]] = []
    for pairs in entry["lookups"]:
        lookup: dict[object, int] = {}
        for value, column in pairs:
            if type(value) not in _SCALARS:
                raise CompiledUnusable("a category other than str, int, float and bool")
            lookup[value] = _integer(column, start, start + width)
        lookups.append(lookup)
    if len(lookups) != len(inputs) or len(categories) != len(inputs):
        raise CompiledUnusable("a one-hot block's columns and lookups differ in number")
    if not all(type(v) in _SCALARS for values in categories for v in values):
        raise CompiledUnusable("a category other than str, int, float and bool")
    unknown_is_error = entry["unknown_is_error"]
    if not isinstance(unknown_is_error, bool):
        raise CompiledUnusable("unknown_is_error is not a boolean")
    return OneHotBlock(start, inputs, tuple(lookups), width, unknown_is_error, categories)
