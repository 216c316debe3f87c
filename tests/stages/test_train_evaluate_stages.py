"""TrainStage and EvaluateStage: the run's folder layout the register stage relies on."""

from __future__ import annotations

import io
import json
from pathlib import Path

from mlops_ci.config.loader import load_config
from mlops_ci.events import Event, EventKind
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.metrics_file import read_metrics
from mlops_ci.report.renderings import ReportRenderings
from mlops_ci.stages.base import StageContext, Status
from mlops_ci.stages.evaluate import EvaluateStage
from mlops_ci.stages.results import Evaluation, TrainResult
from mlops_ci.stages.train import TrainStage
from tests.stages.workspaces import runner_environ, tiny_workspace


def _context(root: Path) -> StageContext:
    return StageContext(
        config=load_config(root / "mlops.yaml"),
        event=Event(name="local", kind=EventKind.LOCAL, sha="a" * 40),
        forge=OutboxForge(root),  # type: ignore[arg-type]  # the stages here never use it
        workspace=root,
        run_dir=root / ".mlops" / "run",
        environ=runner_environ(),
        out=io.StringIO(),
        render=ReportRenderings(),
    )


def test_train_then_evaluate_leaves_model_metrics_and_evaluation_in_the_model_folder(
    tmp_path: Path,
) -> None:
    model = tiny_workspace(tmp_path, "estimator: {class: sklearn.linear_model.LogisticRegression}")
    context = _context(tmp_path)

    trained = TrainStage().run(context, model)
    assert trained.status is Status.PASSED
    assert isinstance(trained.detail, TrainResult)
    assert trained.detail.git_sha == "a" * 40
    folder = context.model_dir(model)
    assert (folder / "model.skops").is_file()

    evaluated = EvaluateStage().run(context, model)
    assert isinstance(evaluated.detail, Evaluation)
    assert evaluated.status is Status.PASSED, evaluated.summary
    assert set(read_metrics(folder / "metrics.json")) == {"accuracy", "roc_auc"}
    record = json.loads((folder / "evaluation.json").read_text())
    assert record["outcome"] == "passed"
    assert "no model in production yet" in record["notes"][0]
    assert any("not a git repository" in note for note in record["notes"])


def test_evaluate_without_a_trained_model_is_skipped(tmp_path: Path) -> None:
    model = tiny_workspace(tmp_path, "estimator: {class: sklearn.linear_model.LogisticRegression}")
    result = EvaluateStage().run(_context(tmp_path), model)
    assert result.status is Status.SKIPPED
