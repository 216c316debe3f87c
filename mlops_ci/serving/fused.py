"""A fitted scikit-learn pipeline compiled into plain numpy steps, for small requests.

For a one-row request, scikit-learn's ``ColumnTransformer`` costs milliseconds of input
validation, DataFrame indexing and joblib dispatch around microseconds of arithmetic. The
common pipeline shape::

    Pipeline([("features", ColumnTransformer([...])), ..., ("model", estimator)])

is compiled here, once at load, into blocks that write straight into one float64 matrix:

- a numeric block: ``passthrough``, ``SimpleImputer`` (``missing_values=nan``, numeric
  strategies, no indicator), ``StandardScaler``, or a ``Pipeline`` of these, on numeric columns;
- a one-hot block: ``OneHotEncoder`` (float64 output, no infrequent categories, no missing
  value among its categories), as a dict lookup per column;

then the rest of the pipeline runs on that matrix: ``LogisticRegression`` as its own matrix
product and link function (the very operations scikit-learn performs, with numpy alone:
``serving.logistic``), anything else through its own ``predict``/``predict_proba``. A
``LogisticRegression`` fitted on a plain numeric matrix (no pipeline) is compiled the same way:
its columns are the matrix, then the matrix product; this skips scikit-learn's per-call
validation, most of the time of a small request.

What a caller may rely on: ``compile_pipeline`` raises ``NotFusable`` with the reason for any
model it does not understand; ``FusedPipeline.features`` returns ``None`` for a batch it does not
handle (a null in a one-hot column, a null without an imputer), and the caller then takes the
generic path. Equality with scikit-learn is not assumed: ``Predictor`` checks it on probe rows
at load and uses this path only if every output is bit-for-bit equal (``serving.predictor``).
A pipeline whose heads are a ``LogisticRegression``'s is data only (``FusedPipeline.logistic``):
``serving.compiled`` writes it to a file the server starts from without scikit-learn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlops_ci.serving.columns import FLOAT_TYPES, INT_TYPES, InputColumn
from mlops_ci.serving.logistic import LogisticHead

Array = Any  # numpy arrays (typed loosely: numpy is imported lazily)
NUMERIC_TYPES = INT_TYPES | FLOAT_TYPES
FUSED_LOGISTIC = "LogisticRegression (fused)"


class NotFusable(Exception):
    """The model has a part this module does not compile; the message says which."""


@dataclass(frozen=True, slots=True)
class NumericBlock:
    """Numeric columns, imputed and scaled, into ``out[:, start:start + len(inputs)]``."""

    start: int
    inputs: tuple[int, ...]
    fill: Array | None  # the imputer's statistics, or None: no imputer
    mean: Array | None
    scale: Array | None

    @property
    def width(self) -> int:
        return len(self.inputs)

    def write(self, arrays: Sequence[Array], out: Array) -> bool:
        import numpy as np

        block = np.empty((out.shape[0], len(self.inputs)), dtype=np.float64)
        for position, index in enumerate(self.inputs):
            block[:, position] = arrays[index]
        if self.fill is not None:
            missing = np.isnan(block)
            if missing.any():
                block = np.where(missing, self.fill, block)
        elif np.isnan(block).any():
            return False  # scikit-learn refuses NaN here: let it say so
        if self.mean is not None:
            block -= self.mean
        if self.scale is not None:
            block /= self.scale
        out[:, self.start:self.start + len(self.inputs)] = block
        return True


@dataclass(frozen=True, slots=True)
class OneHotBlock:
    """Categorical columns, each value set to 1.0 at its category's output column."""

    start: int
    inputs: tuple[int, ...]
    lookups: tuple[dict[object, int], ...]  # value -> absolute output column
    width: int
    unknown_is_error: bool
    categories: tuple[tuple[object, ...], ...]  # per column, the dropped category included

    def write(self, arrays: Sequence[Array], out: Array) -> bool:
        out[:, self.start:self.start + self.width] = 0.0
        for index, lookup in zip(self.inputs, self.lookups, strict=True):
            for row, value in enumerate(arrays[index].tolist()):
                if value is None or value != value:  # null, or NaN: scikit-learn decides
                    return False
                column = lookup.get(value)
                if column is None:
                    if self.unknown_is_error:
                        return False  # scikit-learn names the unknown category
                    continue
                out[row, column] = 1.0
        return True


Block = NumericBlock | OneHotBlock
Head = Callable[[Array], Array]


@dataclass(frozen=True, slots=True)
class FusedPipeline:
    """The compiled model: ``features`` builds the matrix, ``heads`` name the outputs.

    ``logistic``: the arrays behind the heads when they are a ``LogisticRegression``'s (then
    the whole pipeline is data, which ``serving.compiled`` writes to a file); None when the
    heads call the final estimator's own methods.
    """

    blocks: tuple[Block, ...]
    width: int
    heads: dict[str, Head]
    description: str
    logistic: LogisticHead | None = None
    order: Literal["C", "F"] = "C"  # "F": the layout scikit-learn gets from a DataFrame

    def features(self, arrays: Sequence[Array], rows: int) -> Array | None:
        """The matrix the pipeline's later steps see, or None: use the generic path."""
        import numpy as np

        out = np.empty((rows, self.width), dtype=np.float64, order=self.order)
        for block in self.blocks:
            if not block.write(arrays, out):
                return None
        return out


def compile_pipeline(model: object, columns: Sequence[InputColumn]) -> FusedPipeline:
    """``model`` compiled for inputs in ``columns`` order; ``NotFusable`` says why not."""
    from sklearn.linear_model import LogisticRegression

    if type(model) is LogisticRegression:
        return _plain_logistic(model, columns)
    steps = getattr(model, "steps", None)
    if not isinstance(steps, list) or len(steps) < 2:
        raise NotFusable("not a scikit-learn Pipeline of a ColumnTransformer and a model")
    from sklearn.compose import ColumnTransformer

    transformer = steps[0][1]
    if type(transformer) is not ColumnTransformer:
        return _numeric_pipeline(model, [step for _, step in steps], columns)
    if getattr(transformer, "sparse_output_", False):
        raise NotFusable("the ColumnTransformer's output is sparse")
    blocks, width = _blocks(transformer, columns)
    rest: Any = model[1:]  # type: ignore[index]
    heads, final, logistic = _heads(rest)
    return FusedPipeline(tuple(blocks), width, heads, f"ColumnTransformer -> {final}", logistic)


def _numeric_pipeline(model: Any, steps: list[Any],
                      columns: Sequence[InputColumn]) -> FusedPipeline:
    """A Pipeline of numeric steps on every column in order (an imputer, a scaler: those of a
    ColumnTransformer's numeric part), then a model, such as ``make_pipeline(StandardScaler(),
    LogisticRegression())``."""
    names = getattr(model, "feature_names_in_", None)
    if names is None and getattr(model, "n_features_in_", None) != len(columns):
        raise NotFusable(f"the Pipeline takes {model.n_features_in_} features, not the "
                         f"{len(columns)} columns given")
    inputs = tuple(range(len(columns))) if names is None else _inputs(
        [str(n) for n in names], [], {c.name: i for i, c in enumerate(columns)}, "steps")
    block = _block(steps[:-1], inputs, [columns[i] for i in inputs], 0, "steps")
    heads, final, logistic = _heads(model[len(steps) - 1:])
    described = " -> ".join(type(step).__name__ for step in steps[:-1])
    return FusedPipeline((block,), block.width, heads, f"{described} -> {final}", logistic,
                         "C" if names is None else "F")  # the product's bits follow the layout


def _plain_logistic(model: Any, columns: Sequence[InputColumn]) -> FusedPipeline:
    """A ``LogisticRegression`` on its own (fitted on a plain matrix, the columns in order):
    the columns go into the matrix as they are, then the matrix product and link function."""
    not_numeric = [c.name for c in columns if c.datatype not in NUMERIC_TYPES]
    if not_numeric:
        raise NotFusable(f"the LogisticRegression takes non-numeric column {not_numeric[0]!r}")
    if getattr(model, "n_features_in_", None) != len(columns):
        raise NotFusable(f"the LogisticRegression takes {model.n_features_in_} features, "
                         f"not the {len(columns)} columns given")
    block = NumericBlock(0, tuple(range(len(columns))), None, None, None)
    head = _logistic_heads(model)
    return FusedPipeline((block,), len(columns), head.heads(), FUSED_LOGISTIC, head)


def _blocks(transformer: Any, columns: Sequence[InputColumn]) -> tuple[list[Block], int]:
    positions = {column.name: index for index, column in enumerate(columns)}
    names = [str(name) for name in getattr(transformer, "feature_names_in_", ())]
    if not names:
        raise NotFusable("the ColumnTransformer was not fitted on named columns")
    blocks: list[Block] = []
    start = 0
    for name, fitted, selected in transformer.transformers_:
        if isinstance(fitted, str) and fitted == "drop":
            continue
        inputs = _inputs(selected, names, positions, name)
        if not inputs:
            continue
        block = _block(fitted, inputs, [columns[i] for i in inputs], start, name)
        blocks.append(block)
        start += block.width
    slices = getattr(transformer, "output_indices_", {})
    if sum((s.stop - s.start) for s in slices.values()) != start:
        raise NotFusable("the ColumnTransformer's output width differs from its parts'")
    return blocks, start


def _inputs(selected: object, names: list[str], positions: dict[str, int],
            part: str) -> tuple[int, ...]:
    if isinstance(selected, str):
        selected = [selected]
    if not isinstance(selected, list | tuple) or not all(isinstance(s, str) for s in selected):
        raise NotFusable(f"part {part!r} selects columns by position, not by name")
    missing = [s for s in selected if s not in positions]
    if missing:
        raise NotFusable(f"part {part!r} reads {missing[0]!r}, which is not an input")
    return tuple(positions[str(s)] for s in selected)


def _block(fitted: Any, inputs: tuple[int, ...], columns: list[InputColumn], start: int,
           part: str) -> Block:  # fitted: a step, a Pipeline or a list of steps
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if type(fitted) is OneHotEncoder:
        return _one_hot(fitted, inputs, columns, start, part)
    steps = fitted if isinstance(fitted, list) else \
        [fitted] if type(fitted) is not Pipeline else [s for _, s in fitted.steps]
    not_numeric = [c.name for c in columns if c.datatype not in NUMERIC_TYPES]
    if not_numeric:
        raise NotFusable(f"part {part!r} takes non-numeric column {not_numeric[0]!r}")
    fill = mean = scale = None
    step: Any
    for step in steps:
        kind = type(step)
        if isinstance(step, str) and step == "passthrough":
            continue
        if kind is SimpleImputer and fill is None and mean is None and scale is None:
            fill = _imputer(step, part)
        elif kind is StandardScaler and mean is None and scale is None:
            mean = step.mean_ if step.with_mean else None
            scale = step.scale_ if step.with_std else None
        else:
            raise NotFusable(f"part {part!r} has a {kind.__name__} step")
    return NumericBlock(start, inputs, fill, mean, scale)


def _imputer(step: Any, part: str) -> Array:
    import numpy as np

    missing = step.missing_values
    if not (isinstance(missing, float) and np.isnan(missing)):
        raise NotFusable(f"part {part!r}: the imputer's missing value is {missing!r}, not NaN")
    if step.add_indicator or step.strategy not in ("mean", "median", "most_frequent",
                                                     "constant"):
        raise NotFusable(f"part {part!r}: an imputer with an indicator or a custom strategy")
    statistics = np.asarray(step.statistics_)
    if statistics.dtype != np.float64 or not bool(np.isfinite(statistics).all()):
        raise NotFusable(f"part {part!r}: the imputer drops a column or fills non-numbers")
    return statistics


def _one_hot(encoder: Any, inputs: tuple[int, ...], columns: list[InputColumn], start: int,
             part: str) -> OneHotBlock:
    import numpy as np

    if encoder.dtype not in (np.float64, float) or getattr(encoder, "_infrequent_enabled", False):
        raise NotFusable(f"part {part!r}: a one-hot encoder with infrequent categories or "
                         "a non-float64 output")
    if encoder.handle_unknown not in ("ignore", "error"):
        raise NotFusable(f"part {part!r}: handle_unknown={encoder.handle_unknown!r}")
    drops = encoder.drop_idx_
    lookups: list[dict[object, int]] = []
    known: list[tuple[object, ...]] = []
    column = start
    for position, (categories, spec) in enumerate(zip(encoder.categories_, columns,
                                                       strict=True)):
        values = categories.tolist()
        expected = _category_type(spec)
        if expected is None or not all(type(v) is expected for v in values):
            raise NotFusable(f"part {part!r}: column {spec.name!r} ({spec.datatype}) has "
                             "categories of another type")
        dropped = None if drops is None or drops[position] is None else int(drops[position])
        lookup: dict[object, int] = {}
        for index, value in enumerate(values):
            if index == dropped:
                continue
            lookup[value] = column
            column += 1
        lookups.append(lookup)
        known.append(tuple(values))
    return OneHotBlock(start, inputs, tuple(lookups), column - start,
                       encoder.handle_unknown == "error", tuple(known))


def _category_type(column: InputColumn) -> type | None:
    """The Python type a request's values have in ``column`` (``decode.column_array``)."""
    if column.datatype == "BYTES":
        return str
    if column.datatype == "BOOL":
        return bool
    if column.datatype in INT_TYPES:
        return int
    return None


def _heads(rest: Any) -> tuple[dict[str, Head], str, LogisticHead | None]:
    """How the steps after the ColumnTransformer turn its matrix into each output."""
    from sklearn.linear_model import LogisticRegression

    steps = [step for _, step in rest.steps]
    if getattr(steps[0], "feature_names_in_", None) is not None:
        raise NotFusable("the step after the ColumnTransformer was fitted on named columns")
    if len(steps) == 1 and type(steps[0]) is LogisticRegression:
        head = _logistic_heads(steps[0])
        return head.heads(), FUSED_LOGISTIC, head
    final = steps[-1]
    transform: Any = rest[:-1] if len(steps) > 1 else None
    heads: dict[str, Head] = {}
    for name in ("predict", "predict_proba"):
        method = getattr(final, name, None)
        if method is None:
            continue
        heads[name] = _through(transform, method)
    return heads, type(final).__name__, None


def _through(transform: Any, method: Callable[[Array], Array]) -> Head:
    if transform is None:
        return method
    return lambda matrix: method(transform.transform(matrix))


def _logistic_heads(model: Any) -> LogisticHead:
    """The outputs of a fitted ``LogisticRegression``, computed by ``serving.logistic``."""
    import numpy as np

    if not isinstance(model.coef_, np.ndarray):
        raise NotFusable("the LogisticRegression's coefficients are sparse")
    head = LogisticHead(model.coef_, model.intercept_, model.classes_)
    if head.binary and model.coef_.shape[0] != 1:
        raise NotFusable("a binary LogisticRegression with more than one coefficient row")
    return head


def probe_columns(fused: FusedPipeline, columns: Sequence[InputColumn]) -> list[list[object]]:
    """Request values, one list per column, that exercise every part of ``fused``: each
    category of each one-hot column and an unknown one, varied numbers, and nulls where the
    imputer fills them. ``Predictor`` compares both paths on them."""
    numbers = [0, 1, 3, 12, 57, 118, 2400, 7, 30, 65, 1, 0, 24, 9, 250, 71]
    fractions = [0.0, 1.5, 70.25, 1234.5, 99.99, 18.3, 8000.0, 42.0, 0.01, 55.5, 3.75,
                 650.0, 20.05, 5.5, 110.1, 0.5]
    count = max([len(numbers), *(len(known) + 2 for block in fused.blocks
                                 if isinstance(block, OneHotBlock) for known in block.categories)])
    values = [_default_cells(column, count) for column in columns]
    for block in fused.blocks:
        if isinstance(block, OneHotBlock):
            for index, categories in zip(block.inputs, block.categories, strict=True):
                known = list(categories)
                unknown = _unknown_category(known)
                cycle = known + ([] if unknown is None or block.unknown_is_error else [unknown])
                values[index] = [cycle[(row * 7 + index) % len(cycle)] for row in range(count)]
            continue
        for index in block.inputs:
            column = columns[index]
            pool: list[object] = list(numbers if column.datatype in INT_TYPES else fractions)
            cells = [pool[(row * 5 + index) % len(pool)] for row in range(count)]
            if block.fill is not None and column.nullable:
                cells[1] = cells[count - 2] = None
            values[index] = cells
    return values


def _default_cells(column: InputColumn, count: int) -> list[object]:
    """Values for a column the pipeline drops: any of the column's type will do."""
    if column.datatype in INT_TYPES:
        return [row % 3 for row in range(count)]
    if column.datatype in FLOAT_TYPES:
        return [row * 0.5 for row in range(count)]
    if column.datatype == "BOOL":
        return [row % 2 == 0 for row in range(count)]
    return [f"value {row % 3}" for row in range(count)]


def _unknown_category(known: list[object]) -> object | None:
    if all(type(v) is str for v in known):
        return "\x00unseen category"
    if all(type(v) is int for v in known):
        return max((int(v) for v in known), default=0) + 1  # type: ignore[call-overload]
    return None
