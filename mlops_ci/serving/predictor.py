"""One loaded model and the single way it is asked for predictions.

The model is loaded once, with skops and an explicit trusted-type list (``modelio``); or, when
a compiled form beside the model file stands for that very file (``serving.compiled``, written
by ``serving.precompile``), the server starts from it without importing scikit-learn and
loads the model itself only for the first request the compiled form does not cover (a null in
a one-hot column, say): that request waits for the load, which happens once per process.

Two paths answer a request. The *fused* path (``serving.fused``): a ``ColumnTransformer``
pipeline (or a plain ``LogisticRegression``) compiled into numpy steps, used only when, at
load, it gave bit-for-bit the outputs of the generic path on probe rows that touch every
category and imputed column (``fast_path`` says which path is on, and why). The *generic*
path: a pipeline fitted on a DataFrame (``feature_names_in_``) gets one DataFrame per
request, built from the decoded column arrays without copying them; a model fitted on a plain
matrix gets a 2-D array. A request the fused path does not handle (a null in a one-hot
column) takes the generic path. A pipeline's transforms run once per request, shared by
``predict`` and ``predict_proba``. Outputs follow the names of MLServer's scikit-learn runtime
(``predict``, ``predict_proba``), so a
client written against MLServer or KServe reads ours unchanged.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_ci.digest import sha256_file
from mlops_ci.errors import MlopsError, UserError
from mlops_ci.modelio import check_trusted, check_trusted_names, load_model
from mlops_ci.serving.columns import InputColumn, model_inputs
from mlops_ci.serving.compiled import (
    Compiled,
    CompiledUnusable,
    compiled_path,
    library_versions,
    read_compiled,
)
from mlops_ci.serving.decode import Batch
from mlops_ci.serving.fused import FusedPipeline, NotFusable, compile_pipeline, probe_columns
from mlops_ci.serving.values import RequestError, column_array

if TYPE_CHECKING:
    import numpy.typing as npt

PREDICT = "predict"
PREDICT_PROBA = "predict_proba"


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    datatype: str
    shape: tuple[int, ...]
    array: npt.NDArray[Any]


def oip_datatype(array: npt.NDArray[Any]) -> str:
    """The Open Inference Protocol datatype of a numpy array."""
    kind = array.dtype.kind
    if kind == "b":
        return "BOOL"
    if kind in "iu":
        return f"{'U' if kind == 'u' else ''}INT{array.dtype.itemsize * 8}"
    if kind == "f":
        return f"FP{array.dtype.itemsize * 8}"
    return "BYTES"


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """The model object and the parts of it the generic path calls."""

    model: Any
    transform: Any  # a pipeline's steps before the last, run once per request; or None
    final: Any  # the last step (the model itself when it is not a pipeline)
    by_name: bool  # fitted on a DataFrame: fed one with the columns' names

    @classmethod
    def of(cls, model: Any) -> LoadedModel:
        # A pipeline's transforms run once per request, not once per output: predict and
        # predict_proba of the last step then share them (a Pipeline's own predict does the
        # same steps, so the answers are identical).
        steps = getattr(model, "steps", None)
        transform = model[:-1] if isinstance(steps, list) and len(steps) > 1 else None
        return cls(model, transform, model[-1] if transform is not None else model,
                   getattr(model, "feature_names_in_", None) is not None)


class Predictor:
    """A model ready to predict. Safe to call from several threads at once (read-only, but for
    a lazy load, which happens once under a lock)."""

    def __init__(self, name: str, version: str | None, model: Any,
                 columns: Sequence[InputColumn]) -> None:
        feature_names = getattr(model, "feature_names_in_", None)
        names = None if feature_names is None else [str(n) for n in feature_names]
        labelled = hasattr(model, "predict_proba") and hasattr(model, "classes_")
        self._describe(name, version, model_inputs(columns, names, source=name), columns,
                       model.classes_ if labelled else None)
        self._loaded: LoadedModel | None = LoadedModel.of(model)
        self._loader: Callable[[], LoadedModel] | None = None

    def _describe(self, name: str, version: str | None, inputs: tuple[InputColumn, ...],
                  schema: Sequence[InputColumn], classes: Any) -> None:
        self.name = name
        self.version = version
        self.columns = inputs
        used = {column.name for column in inputs}
        # Columns the schema declares that the model does not take (an id column): rows of the
        # data carry them, so ``/predict`` accepts them, and does not feed them to the model.
        self.unused_columns = tuple(c.name for c in schema if c.name not in used)
        self.classes: tuple[object, ...] | None = None
        self.predict_datatype = "FP64"
        if classes is not None:
            self.classes = tuple(classes.tolist())
            self.predict_datatype = oip_datatype(classes)
        self.output_names: tuple[str, ...] = (
            (PREDICT, PREDICT_PROBA) if self.classes is not None else (PREDICT,)
        )
        self.fused: FusedPipeline | None = None
        self.fast_path = "generic: not tried"
        self._lock = threading.Lock()
        self._load_error: str | None = None

    @classmethod
    def from_compiled(cls, name: str, version: str | None, compiled: Compiled,
                      schema: Sequence[InputColumn], loader: Callable[[], Any]) -> Predictor:
        """A predictor that answers with ``compiled`` and calls ``loader`` for the model
        itself only when a request needs the generic path (once, whichever thread asks)."""
        predictor = cls.__new__(cls)
        head = compiled.fused.logistic
        predictor._describe(name, version, compiled.inputs, schema,
                            None if head is None else head.classes)
        predictor._loaded = None
        predictor._loader = lambda: LoadedModel.of(loader())
        predictor.fused = compiled.fused
        predictor.fast_path = f"fused: {compiled.fused.description}, compiled ahead of time"
        return predictor

    def loaded(self) -> LoadedModel:
        """The model, loaded now if it was not (a ``RequestError`` 500 if it cannot be)."""
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None and self._load_error is None and self._loader is not None:
                try:
                    self._loaded = self._loader()
                except MlopsError as error:
                    self._load_error = error.message.split("\n")[0]
            if self._loaded is None:
                raise RequestError(500, f"the model could not be loaded: {self._load_error}")
            return self._loaded

    @property
    def model(self) -> Any:
        return self.loaded().model

    def enable_fused(self) -> str:
        """Compile the fused path and keep it if it equals the generic path on probe rows.

        Returns (and keeps in ``fast_path``) which path is on and why.
        """
        self.fused = None
        try:
            fused = compile_pipeline(self.model, self.columns)
        except NotFusable as reason:
            self.fast_path = f"generic: {reason}"
            return self.fast_path
        mismatch = fused_mismatch(self, fused)
        if mismatch is not None:
            self.fast_path = f"generic: the fused path differs from scikit-learn: {mismatch}"
            return self.fast_path
        self.fused = fused
        self.fast_path = f"fused: {fused.description}"
        return self.fast_path

    @classmethod
    def load(
        cls,
        name: str,
        path: Path,
        trusted_types: Sequence[str],
        columns: Sequence[InputColumn] = (),
        version: str | None = None,
        *,
        note: Callable[[str], None] = lambda _: None,
    ) -> Predictor:
        """The model at ``path``: from its compiled form when one beside it stands for this
        very file (``serving.compiled``), else the skops file itself; ``UserError`` if it is
        not a trusted model. ``note`` hears, in a line, why a compiled form was ignored and
        when the model itself is loaded later."""
        compiled_file = compiled_path(path)
        if compiled_file.is_file():
            try:
                compiled = usable_compiled(compiled_file, path, columns)
            except CompiledUnusable as reason:
                note(f"ignoring {compiled_file}: {reason}; loading the model")
            else:
                check_trusted_names(trusted_types)
                check_trusted(path, compiled.untrusted_types, trusted_types)
                return cls.from_compiled(
                    name, version, compiled, columns,
                    lambda: _load_later(path, compiled.model_sha256, trusted_types, note))
        predictor = cls(name, version, load_model(path, trusted_types), columns)
        predictor.enable_fused()
        return predictor

    def features(self, batch: Batch) -> Any:
        """What the model is fed for ``batch``."""
        import numpy as np

        if self.loaded().by_name:
            import pandas as pd

            return pd.DataFrame(
                dict(zip((c.name for c in self.columns), batch.arrays, strict=True)),
                copy=False,
            )
        return np.column_stack(batch.arrays)

    def generic(self, batch: Batch, wanted: Sequence[str]) -> list[npt.NDArray[Any]]:
        """The outputs named ``wanted`` the way scikit-learn computes them."""
        loaded = self.loaded()
        features = self.features(batch)
        if loaded.transform is not None:
            features = loaded.transform.transform(features)
        return [getattr(loaded.final, name)(features) for name in wanted]

    def wanted_outputs(self, batch: Batch) -> tuple[str, ...]:
        """The outputs ``batch`` asks for (all by default); an unknown one is a 400."""
        wanted = batch.outputs or self.output_names
        unknown = [name for name in wanted if name not in self.output_names]
        if unknown:
            raise RequestError(
                400, f"unknown output {unknown[0]!r}; this model gives: "
                f"{', '.join(self.output_names)}"
            )
        return wanted

    def predict(self, batch: Batch) -> tuple[Output, ...]:
        """The requested outputs for ``batch``; a model that rejects the inputs is a 422."""
        wanted = self.wanted_outputs(batch)
        results = []
        try:
            fused = self.fused
            matrix = None if fused is None else fused.features(batch.arrays, batch.rows)
            if fused is not None and matrix is not None:
                arrays = [fused.heads[name](matrix) for name in wanted]
            else:
                arrays = self.generic(batch, wanted)
            for name, array in zip(wanted, arrays, strict=True):
                results.append(Output(name, oip_datatype(array), tuple(array.shape), array))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError,
                ArithmeticError) as error:
            raise RequestError(
                422, f"the model cannot predict these inputs: {type(error).__name__}: "
                f"{str(error)[:300]}"
            ) from None
        return tuple(results)


def usable_compiled(compiled_file: Path, model_file: Path,
                    schema: Sequence[InputColumn]) -> Compiled:
    """The compiled form in ``compiled_file`` if it stands for ``model_file`` served with
    ``schema`` and this process's libraries; ``CompiledUnusable`` says why not."""
    compiled = read_compiled(compiled_file)
    try:
        digest = sha256_file(model_file)
    except OSError as error:
        raise CompiledUnusable(f"the model file cannot be read: {error.strerror}") from None
    mismatch = compiled.mismatch(digest, tuple(schema), library_versions())
    if mismatch is not None:
        raise CompiledUnusable(mismatch)
    return compiled


def _load_later(path: Path, sha256: str, trusted_types: Sequence[str],
                note: Callable[[str], None]) -> object:
    """The model a compiled predictor was started for, loaded on its first generic request:
    refused if the file changed since (its answers would not be the compiled form's)."""
    note(f"loading {path} for a request the compiled form does not cover")
    try:
        digest = sha256_file(path)
    except OSError as error:
        raise UserError(f"{path}: cannot read the model file: {error.strerror}") from None
    if digest != sha256:
        raise UserError(f"{path}: the model file changed since the server started",
                        hint="restart the server")
    return load_model(path, trusted_types)


SINGLE_ROW_PROBES = 4


def fused_mismatch(predictor: Predictor, fused: FusedPipeline) -> str | None:
    """Where ``fused`` and the generic path disagree on the probe rows (None: nowhere).

    Checked on all probe rows at once and on the first few one at a time (a one-row matrix
    product may take another BLAS kernel than a many-row one).
    """
    import numpy as np

    columns = predictor.columns
    values = probe_columns(fused, columns)
    count = len(values[0]) if values else 0
    batches = [(0, count)] + [(row, row + 1) for row in range(min(count, SINGLE_ROW_PROBES))]
    names = [name for name in predictor.output_names if name in fused.heads]
    if len(names) != len(predictor.output_names):
        return "it lacks an output"
    for start, stop in batches:
        try:
            arrays = tuple(column_array(column, cells[start:stop], column.name)
                           for column, cells in zip(columns, values, strict=True))
            batch = Batch(stop - start, arrays)
            with warnings.catch_warnings():  # unseen probe categories: expected, not news
                warnings.simplefilter("ignore")
                expected = predictor.generic(batch, names)
            matrix = fused.features(batch.arrays, batch.rows)
            if matrix is None:
                return f"probe rows {start}..{stop - 1} were not handled"
            got = [fused.heads[name](matrix) for name in names]
        except (RequestError, ValueError, TypeError, KeyError, IndexError) as error:
            return f"probe rows {start}..{stop - 1}: {type(error).__name__}: {error}"
        for name, want, have in zip(names, expected, got, strict=True):
            if want.dtype != have.dtype or not np.array_equal(want, have):
                return f"{name} of probe rows {start}..{stop - 1}"
    return None
