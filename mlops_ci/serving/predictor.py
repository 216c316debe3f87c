"""One loaded model and the single way it is asked for predictions.

The model is loaded once, with skops and an explicit trusted-type list (``modelio``). A
pipeline fitted on a DataFrame (``feature_names_in_``: a ``ColumnTransformer`` selecting
columns by name needs them) gets one DataFrame per request, built from the decoded column
arrays without copying them; a model fitted on a plain matrix gets a 2-D array. A pipeline's
transforms run once per request, shared by ``predict`` and ``predict_proba``. Outputs
follow the names of MLServer's scikit-learn runtime (``predict``, ``predict_proba``), so a
client written against MLServer or KServe reads ours unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_ci.serving.columns import InputColumn, model_inputs
from mlops_ci.serving.decode import Batch, RequestError

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
        from mlops_ci.modelio import load_model

        return cls(name, version, load_model(path, trusted_types), columns)

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

    def predict(self, batch: Batch) -> tuple[Output, ...]:
        """The requested outputs for ``batch``; a model that rejects the inputs is a 422."""
        wanted = batch.outputs or self.output_names
        unknown = [name for name in wanted if name not in self.output_names]
        if unknown:
            raise RequestError(
                400, f"unknown output {unknown[0]!r}; this model gives: "
                f"{', '.join(self.output_names)}"
            )
        results = []
        try:
            features = self.features(batch)
            if self.transform is not None:
                features = self.transform.transform(features)
            for name in wanted:
                array = getattr(self.final, name)(features)
                results.append(Output(name, oip_datatype(array), tuple(array.shape), array))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
            raise RequestError(
                422, f"the model cannot predict these inputs: {type(error).__name__}: "
                f"{str(error)[:300]}"
            ) from None
        return tuple(results)
