"""The environment that produced a version: Python, the libraries, the image it ran in.

Recorded twice, in the same words: in the registration tag's evidence (``environment``, so
``git show NAME@vX.Y.Z`` says what produced the model) and in the model card. What a caller may
rely on:

- ``python`` and ``mlops-ci``, then scikit-learn, numpy, scipy, pandas and skops as installed
  in the process that registers (the one that trained with ``train.estimator`` or a local
  ``train.command``); then xgboost, lightgbm or catboost when the model file holds their types.
- ``image``: the mlops-ci image the run used: ``MLOPS_IMAGE_DIGEST`` when set (e.g.
  ``ghcr.io/OWNER/mlops-ci@sha256:...``, from the step's ``env:``), else what the engine says
  the run's own container runs (``backends.own_image``: the action's container has the
  engine's socket); absent when neither says.
- ``training image``: ``train.image``, when the command ran in a container (the libraries
  above are then mlops-ci's, not necessarily the training's).
- Deterministic for one environment, so a rerun renders the same card and edits nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import metadata as importlib_metadata

from mlops_ci import __version__
from mlops_ci.backends.own_image import running_image
from mlops_ci.stages.results import TrainResult

IMAGE_VARIABLE = "MLOPS_IMAGE_DIGEST"
PACKAGES = ("scikit-learn", "numpy", "scipy", "pandas", "skops")
MODEL_PACKAGES = {"xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost"}
NOT_INSTALLED = "not installed"


def environment_record(
    train: TrainResult | None,
    environ: Mapping[str, str],
    detect_image: Callable[[Mapping[str, str]], str | None] = running_image,
) -> tuple[tuple[str, str], ...]:
    """``(name, version)`` pairs in a fixed order (see the module docstring)."""
    found = [("python", ".".join(str(part) for part in sys.version_info[:3])),
             ("mlops-ci", __version__)]
    found += [(name, _version(name)) for name in PACKAGES]
    used = {type_name.split(".", 1)[0] for type_name in (train.untrusted_types if train else ())}
    found += [(dist, _version(dist)) for module, dist in MODEL_PACKAGES.items() if module in used]
    image = environ.get(IMAGE_VARIABLE, "").strip() or detect_image(environ)
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
