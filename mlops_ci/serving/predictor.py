"""One loaded model and the single way it is asked for predictions.

The model is loaded once, with skops and an explicit trusted-type list (``modelio``).

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

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_ci.modelio import load_model
from mlops_ci.serving.columns import InputColumn, model_inputs
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


class Predictor:
    """A model ready to predict. Safe to call from several threads at once (read-only)."""

    def __init__(self, name: str, version: str | None, model: Any,
                 columns: Sequence[InputColumn]) -> None:
        feature_names = getattr(model, "feature_names_in_", None)
        names = None if feature_names is None else [str(n) for n in feature_names]
        self.name = name
        self.version = version
        self.model = model
        self.columns = model_inputs(columns, names, source=name)
        used = {column.name for column in self.columns}
        # Columns the schema declares that the model does not take (an id column): rows of the
        # data carry them, so ``/predict`` accepts them, and does not feed them to the model.
        self.unused_columns = tuple(c.name for c in columns if c.name not in used)
        self.by_name = names is not None
        self.classes: tuple[object, ...] | None = None
        self.predict_datatype = "FP64"
        if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
            self.classes = tuple(model.classes_.tolist())
            self.predict_datatype = oip_datatype(model.classes_)
        self.output_names: tuple[str, ...] = (
            (PREDICT, PREDICT_PROBA) if self.classes is not None else (PREDICT,)
        )
        # A pipeline's transforms run once per request, not once per output: predict and
        # predict_proba of the last step then share them (a Pipeline's own predict does the same
        # steps, so the answers are identical).
        steps = getattr(model, "steps", None)
        self.transform: Any = model[:-1] if isinstance(steps, list) and len(steps) > 1 else None
        self.final: Any = model[-1] if self.transform is not None else model
        self.fused: FusedPipeline | None = None
        self.fast_path = "generic: not tried"

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
    ) -> Predictor:
        """Load the skops file at ``path``; ``UserError`` if it is not a trusted model."""

        predictor = cls(name, version, load_model(path, trusted_types), columns)
        predictor.enable_fused()
        return predictor

    def features(self, batch: Batch) -> Any:
        """What the model is fed for ``batch``."""
        import numpy as np

        if self.by_name:
            import pandas as pd

            return pd.DataFrame(
                dict(zip((c.name for c in self.columns), batch.arrays, strict=True)),
                copy=False,
            )
        return np.column_stack(batch.arrays)

    def generic(self, batch: Batch, wanted: Sequence[str]) -> list[npt.NDArray[Any]]:
        """The outputs named ``wanted`` the way scikit-learn computes them."""
        features = self.features(batch)
        if self.transform is not None:
            features = self.transform.transform(features)
        return [getattr(self.final, name)(features) for name in wanted]

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
