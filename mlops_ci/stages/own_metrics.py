"""The numbers of the training command's own metrics file, for each model evaluated.

``evaluate.metrics_file`` (relative to ``MLOPS_OUTPUT_DIR``, the run's folder for the model)
holds the candidate's; the production and base models' come from their releases'
``metrics.json``, where register put the candidate's numbers when it became that version.
What a caller may rely on:

- Every number of the candidate's file is a metric; a declared one (``evaluate.
  custom_metrics``) missing from the file, or a name of a built-in metric, is a
  ``UserError`` (exit 2) naming the file and the key, as is a file that is missing, not
  flat or holds NaN or infinity (``metrics_file.read_user_metrics``).
- A production/base model that is compared (its file was fetched) gets a value for each of
  the candidate's names: the number its release recorded, or undefined with the reason (an
  older release without the metric or without ``metrics.json``): its comparison gates are
  then skipped, as for a built-in metric the other model lacks.
"""

from __future__ import annotations

from pathlib import Path

from mlops_ci.config.model import ModelSpec
from mlops_ci.errors import UserError
from mlops_ci.metrics import METRICS, MetricValue
from mlops_ci.metrics_file import METRICS_FILE, read_metrics, read_user_metrics
from mlops_ci.registry.tags import Action, RegistryTag
from mlops_ci.stages.base import StageContext
from mlops_ci.stages.references import BASE_DIR, PRODUCTION_DIR, ReferenceModels, registry_name
from mlops_ci.stages.results import Role

OwnValues = dict[Role, dict[str, MetricValue]]
RELEASED = "release-metrics.json"  # a reference's release metrics.json, beside its model file


def candidate_metrics(model: ModelSpec, folder: Path) -> dict[str, float]:
    """The candidate's numbers from ``evaluate.metrics_file`` in ``folder`` (none without it)."""
    spec = model.evaluate
    if spec.metrics_file is None:
        return {}
    display = f"{spec.metrics_file} (models.{model.name}.evaluate.metrics_file)"
    values = read_user_metrics(folder / spec.metrics_file, display)
    for name in values:
        if name in METRICS:
            raise UserError(
                f"{display}: metric {name!r} has the name of a built-in metric",
                hint=f"rename it in the file, e.g. 'my_{name}'; or list {name!r} in "
                "evaluate.metrics to have mlops-ci compute it",
            )
    for name, _direction in spec.custom_metrics:
        if name not in values:
            found = ", ".join(values) or "no metric"
            raise UserError(
                f"{display}: metric {name!r} (declared in evaluate.custom_metrics) is not in "
                f"the file, which holds {found}",
                hint="write it from the training command, or remove its declaration",
            )
    return values


def own_metrics(
    context: StageContext, model: ModelSpec, folder: Path, references: ReferenceModels
) -> OwnValues:
    """The own metrics of the candidate and of the production and base models compared."""
    candidate = candidate_metrics(model, folder)
    if not candidate:
        return {}
    found: OwnValues = {
        "candidate": {name: MetricValue(name, value) for name, value in candidate.items()}
    }
    compared: tuple[tuple[Role, str, str | None, Path | None], ...] = (
        ("production", PRODUCTION_DIR, references.production_version,
         references.production_file),
        ("base", BASE_DIR, references.base_version, references.base_file),
    )
    for role, subfolder, version, model_file in compared:
        if version is None or model_file is None:
            continue  # not compared: its gates are skipped as "no model"
        recorded, reason = _released(context, model, version, folder / subfolder / RELEASED)
        found[role] = {
            name: MetricValue(name, recorded[name]) if name in recorded
            else MetricValue(name, None, reason or f"the release of {version} has no {name}")
            for name in candidate
        }
    return found


def _released(
    context: StageContext, model: ModelSpec, version: str, dest: Path
) -> tuple[dict[str, float], str | None]:
    tag = RegistryTag(registry_name(model), Action.REGISTER, version=version).format()
    fetched = context.forge.fetch_release_asset(tag, METRICS_FILE, dest)
    if not fetched.found or fetched.path is None:
        return {}, f"the release of {version} has no {METRICS_FILE}"
    try:
        return read_metrics(fetched.path), None
    except UserError as error:  # a release is not the user's input to fix here: a reason
        return {}, f"the {METRICS_FILE} of {version} cannot be read: {error.message}"
