"""The environment that produced a version: Python, the libraries, the image it ran in.

Recorded twice, in the same words: in the registration tag's evidence (``environment``, so
``git show NAME@vX.Y.Z`` says what produced the model) and in the model card. What a caller may
rely on:

- ``python`` and ``mlops-ci``, then scikit-learn, numpy, scipy, pandas and skops as installed
  in the process that registers (the one that trained with ``train.estimator`` or a local
  ``train.command``); then xgboost, lightgbm or catboost when the model file holds their types.
- ``image``: the mlops-ci image the run used, from ``MLOPS_IMAGE_DIGEST`` (e.g.
  ``ghcr.io/OWNER/mlops-ci@sha256:...``: the step's ``env:`` sets it beside
  ``uses: docker://ghcr.io/OWNER/mlops-ci@sha256:...``); absent when unset.
- ``training image``: ``train.image``, when the command ran in a container (the libraries
  above are then mlops-ci's, not necessarily the training's).
- Deterministic for one environment, so a rerun renders the same card and edits nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import metadata as importlib_metadata

from mlops_ci import __version__
from mlops_ci.stages.results import TrainResult

IMAGE_VARIABLE = "MLOPS_IMAGE_DIGEST"
PACKAGES = ("scikit-learn", "numpy", "scipy", "pandas", "skops")
MODEL_PACKAGES = {"xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost"}
NOT_INSTALLED = "not installed"


def environment_record(
    train: TrainResult | None, environ: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """``(name, version)`` pairs in a fixed order (see the module docstring)."""
    found = [("python", ".".join(str(part) for part in sys.version_info[:3])),
             ("mlops-ci", __version__)]
    found += [(name, _version(name)) for name in PACKAGES]
    used = {type_name.split(".", 1)[0] for type_name in (train.untrusted_types if train else ())}
    found += [(dist, _version(dist)) for module, dist in MODEL_PACKAGES.items() if module in used]
    image = environ.get(IMAGE_VARIABLE, "").strip()
    if image:
        found.append(("image", image))
    if train is not None and train.method == "container" and train.image:
        found.append(("training image", train.image))
    return tuple(found)


def _version(distribution: str) -> str:
    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return NOT_INSTALLED
