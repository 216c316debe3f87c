"""A project's own metrics (``evaluate.metrics_file``) and the positive class, through
``mlops-ci run`` on a real repository: breast cancer data, a training command that writes
its own metrics file, gates on those metrics, the merge flow's tag evidence and release.

The data: scikit-learn's breast cancer set (target 0 = malignant, 1 = benign), 5 features.
"""

from __future__ import annotations

import hashlib
import io
import json
import textwrap
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.commands.run import RunRequest, execute
from mlops_ci.registry.evidence import parse_evidence
from tests.commands.repos import git, push_payload

TRAIN_PY = '''\
import os
from pathlib import Path

import pandas as pd
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = pd.read_csv(os.environ["MLOPS_TRAIN_DATA"])
target = os.environ["MLOPS_TARGET"]
model = make_pipeline(StandardScaler(), LogisticRegression())
model.fit(data.drop(columns=[target]), data[target])
out = Path(os.environ["MLOPS_OUTPUT_DIR"])
skops.io.dump(model, out / "model.skops")
(out / os.environ.get("METRICS_NAME", "eval.json")).write_text(os.environ["OWN_METRICS"])
'''


def cancer_repo(
    root: Path,
    *,
    own: str = '{"my_score": 0.91, "latency_ms": 12}',
    evaluate: str = "",
    metrics_name: str = "eval.json",
) -> Path:
    """``root/cancer``: breast cancer CSVs, train.py and mlops.yaml, committed on main and
    pushed to ``root/remote.git``; train.py writes ``own`` as its metrics file."""
    from sklearn.datasets import load_breast_cancer

    repo = root / "cancer"
    repo.mkdir(parents=True)
    frame = load_breast_cancer(as_frame=True).frame
    frame = frame[[*frame.columns[:5], "target"]].rename(columns=lambda c: c.replace(" ", "_"))
    frame.iloc[::2].to_csv(repo / "train.csv", index=False)
    frame.iloc[1::2].to_csv(repo / "test.csv", index=False)
    (repo / "train.py").write_text(TRAIN_PY, encoding="utf-8")
    evaluate = evaluate or (
        "metrics_file: eval.json\n"
        "custom_metrics:\n"
        "  my_score: {direction: higher}\n"
        "gates:\n"
        "  - {metric: my_score, min: 0.9}\n"
    )
    (repo / "mlops.yaml").write_text(
        "version: 1\n"
        "models:\n"
        "  cancer:\n"
        "    data: {train: train.csv, test: test.csv, target: target}\n"
        "    train:\n"
        "      command: python train.py\n"
        "      env:\n"
        f"        OWN_METRICS: {json.dumps(own)}\n"
        f"        METRICS_NAME: {metrics_name}\n"
        "    evaluate:\n"
        "      task: classification\n"
        "      metrics: [accuracy, recall]\n"
        + textwrap.indent(evaluate, " " * 6),
        encoding="utf-8",
    )
    (repo / ".gitignore").write_text(".mlops/\n", encoding="utf-8")
    git(root, "init", "-q", "--bare", "remote.git")
    git(repo, "init", "-q", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "cancer")
    git(repo, "remote", "add", "origin", str(root / "remote.git"))
    git(repo, "push", "-q", "origin", "main")
    return repo


def local_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """``mlops-ci run`` in ``repo`` with no GitHub event: (exit code, stderr)."""
    for name in ("GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_EVENT_NAME", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    err = io.StringIO()
    code = main(["run", "--config", str(repo / "mlops.yaml")], stderr=err)
    return code, err.getvalue()


def report(repo: Path) -> str:
    return (repo / ".mlops" / "run" / "report.md").read_text(encoding="utf-8")


def test_a_gate_on_an_own_metric_passes_and_the_table_shows_the_files_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = cancer_repo(tmp_path)

    code, err = local_run(repo, monkeypatch)

    assert (code, err) == (0, "")
    text = report(repo)
    assert "| my\\_score ↑ ✎ | 0.91" in text
    assert "| latency\\_ms ✎ | 12" in text  # undeclared: shown, with no direction
    assert "my\\_score 0.91 &gt;= 0.9" in text
    written = json.loads((repo / ".mlops/run/cancer/metrics.json").read_text())
    assert (written["my_score"], written["latency_ms"]) == (0.91, 12.0)
    assert set(written) == {"accuracy", "recall", "my_score", "latency_ms"}


def test_a_failed_gate_on_an_own_metric_fails_the_run_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = cancer_repo(tmp_path, own='{"my_score": 0.42}')

    code, _ = local_run(repo, monkeypatch)

    assert code == 1
    assert "my\\_score 0.42 &lt; 0.9" in report(repo)


def test_a_lower_is_better_own_metric_is_gated_in_its_direction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluate = (
        "metrics_file: eval.json\n"
        "custom_metrics: {latency_ms: {direction: lower}}\n"
        "gates: [{metric: latency_ms, max: 10}]\n"
    )
    repo = cancer_repo(tmp_path, evaluate=evaluate)

    code, _ = local_run(repo, monkeypatch)

    assert code == 1
    assert "latency\\_ms 12 &gt; 10" in report(repo)
    assert "| latency\\_ms ↓ ✎ | 12" in report(repo)


@pytest.mark.parametrize(
    ("own", "name", "expected"),
    [
        ('{"my_score": 0.95}', "other.json",
         "eval.json (models.cancer.evaluate.metrics_file): no such metrics file"),
        ('{"my_score": {"value": 0.95}}', "eval.json",
         "metric 'my_score' is {\"value\": 0.95}, not a number"),
        ('{"my_score": NaN}', "eval.json", "metric 'my_score' is nan, not a finite number"),
        ('{"my_score": Infinity}', "eval.json", "metric 'my_score' is inf, not a finite number"),
        ('{"my_score": 1e999}', "eval.json", "metric 'my_score' is inf, not a finite number"),
        ('[0.95]', "eval.json", "a metrics file holds one mapping of names to numbers, found list"),
        ('{"other": 0.95}', "eval.json",
         "metric 'my_score' (declared in evaluate.custom_metrics) is not in the file"),
        ('{"my_score": 0.95, "accuracy": 0.99}', "eval.json",
         "metric 'accuracy' has the name of a built-in metric"),
    ],
    ids=["missing", "nested", "nan", "infinity", "overflow", "not-a-mapping", "declared-absent",
         "built-in-name"],
)
def test_a_bad_metrics_file_exits_2_naming_the_file_and_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own: str, name: str, expected: str
) -> None:
    repo = cancer_repo(tmp_path, own=own, metrics_name=name)

    code, err = local_run(repo, monkeypatch)

    assert code == 2, err
    assert "eval.json (models.cancer.evaluate.metrics_file)" in err
    assert expected in err
    assert "Traceback" not in err


def test_a_yaml_metrics_file_is_read_like_a_json_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluate = (
        "metrics_file: eval.yaml\n"
        "custom_metrics: {my_score: {direction: higher}}\n"
        "gates: [{metric: my_score, min: 0.9}]\n"
    )
    repo = cancer_repo(tmp_path, own="my_score: 0.93\nnested: .nan\n", evaluate=evaluate,
                       metrics_name="eval.yaml")

    code, err = local_run(repo, monkeypatch)

    assert code == 2
    assert "eval.yaml (models.cancer.evaluate.metrics_file): metric 'nested' is nan" in err


def push_run(repo: Path, run_id: int) -> int:
    """A push to main, as the workflow would run it, with the local (outbox) forge."""
    sha = git(repo, "rev-parse", "HEAD")
    event = repo.parent / f"push-{run_id}.json"
    event.write_text(json.dumps(push_payload(sha)), encoding="utf-8")
    environ = {"PATH": "/usr/bin:/bin", "GITHUB_SHA": sha, "GITHUB_REPOSITORY": "acme/cancer",
               "GITHUB_RUN_ID": str(run_id)}
    outcome = execute(
        RunRequest(config=repo / "mlops.yaml", event_name="push", event_path=event),
        environ=environ, out=io.StringIO(),
    )
    return outcome.exit_code


def test_the_merge_flow_records_own_metrics_in_the_tag_evidence_and_the_release(
    tmp_path: Path,
) -> None:
    evaluate = (
        "metrics_file: eval.json\n"
        "custom_metrics: {my_score: {direction: higher}}\n"
        "gates:\n"
        "  - {metric: my_score, min: 0.5}\n"
        "  - {metric: my_score, against: base, max_regression: 0.05}\n"
    )
    repo = cancer_repo(tmp_path, evaluate=evaluate)

    assert push_run(repo, 1) == 0

    evidence = parse_evidence(git(repo, "tag", "--list", "--format=%(contents)", "cancer@v0.1.0"))
    assert evidence is not None
    assert (evidence.metric("my_score"), evidence.metric("latency_ms")) == (0.91, 12.0)
    released = repo / ".mlops" / "outbox" / "releases" / "cancer@v0.1.0" / "assets"
    assert json.loads((released / "metrics.json").read_text())["my_score"] == 0.91
    # the evidence names the released model's sha256, so two runs can be compared by it
    model_sha256 = hashlib.sha256((released / "model.skops").read_bytes()).hexdigest()
    assert dict(evidence.extra)["model_sha256"] == model_sha256

    # The next candidate's own metric is compared with the one v0.1.0's release recorded.
    config = repo / "mlops.yaml"
    config.write_text(config.read_text().replace('0.91', '0.7'), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "worse")

    assert push_run(repo, 2) == 1
    evaluation = json.loads((repo / ".mlops/run/cancer/evaluation.json").read_text())
    [against_base] = [g for g in evaluation["gates"] if g["against"] == "base"]
    assert (against_base["status"], against_base["reference"], against_base["value"]) == (
        "failed", 0.91, 0.7
    )
    assert "base 0.91" in against_base["explanation"]


def test_a_metrics_file_left_by_an_earlier_run_does_not_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = cancer_repo(tmp_path)
    assert local_run(repo, monkeypatch)[0] == 0
    config = repo / "mlops.yaml"
    config.write_text(config.read_text().replace("METRICS_NAME: eval.json",
                                                 "METRICS_NAME: other.json"), encoding="utf-8")

    code, err = local_run(repo, monkeypatch)

    assert code == 2
    assert "eval.json (models.cancer.evaluate.metrics_file): no such metrics file" in err
