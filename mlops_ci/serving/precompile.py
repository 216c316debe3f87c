"""Compile a model file ahead of time, so that its server starts without scikit-learn.

``python -m mlops_ci.serving --model M --columns-json C [--trusted-type T] --compile-only``
(the server's own arguments: the compiled form is made for the schema the server gets) and the
KServe init container (``serving.fetch --compile``) call ``compile_model``: load the model as
the server does (skops, the trusted-type list), compile its fused path, check it against
scikit-learn on the probe rows as the server does at load (``predictor.fused_mismatch``), then
*read the encoded file back* and check that copy the same way, and only then write it beside
the model (``compiled.compiled_path``: a temporary file, then renamed).

A model the compiled form does not cover is not an error: nothing is written (a compiled file
left from before is removed) and ``Compilation.reason`` says why; its server loads the model
at start, as without a compiled form. What does fail (``UserError``) is what fails the
server's own load: a file that is not a trusted skops model, a columns schema that does not
describe the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.digest import sha256_file
from mlops_ci.modelio import load_model, untrusted_types
from mlops_ci.serving.columns import InputColumn
from mlops_ci.serving.compiled import (
    Compiled,
    CompiledUnusable,
    NotCompilable,
    compiled_path,
    decode,
    encode,
    library_versions,
    write_compiled,
)
from mlops_ci.serving.predictor import Predictor, fused_mismatch


@dataclass(frozen=True, slots=True)
class Compilation:
    """``written``: the compiled file, or None; ``reason``: what it holds, or why none."""

    written: Path | None
    reason: str


def compile_model(model_file: Path, trusted_types: Sequence[str],
                  columns: Sequence[InputColumn]) -> Compilation:
    """Write the compiled form of ``model_file`` for ``columns`` beside it, if it has one."""
    digest = sha256_file(model_file) if model_file.is_file() else ""
    found = untrusted_types(model_file)
    predictor = Predictor("compile", None, load_model(model_file, trusted_types), columns)
    path = compiled_path(model_file)
    try:
        if sha256_file(model_file) != digest:
            raise NotCompilable("the model file changed while it was compiled")
        predictor.enable_fused()
        fused = predictor.fused
        if fused is None:
            raise NotCompilable(predictor.fast_path.removeprefix("generic: "))
        data = encode(Compiled(digest, tuple(columns), predictor.columns, found,
                               library_versions(), fused))
        mismatch = fused_mismatch(predictor, decode(data).fused)
        if mismatch is not None:
            raise NotCompilable(f"read back, it differs from scikit-learn: {mismatch}")
    except (NotCompilable, CompiledUnusable) as reason:
        path.unlink(missing_ok=True)
        return Compilation(None, str(reason))
    write_compiled(data, path)
    return Compilation(path, fused.description)
