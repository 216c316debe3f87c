"""Users' projects that are not the bundled example, built from datasets scikit-learn ships.

Each is what a new user writes: the data as CSV files, a training script of their own (the
``train.command``), an ``mlops.yaml`` and, when the script needs a library, a
``requirements.txt``. Nothing in them is tuned to mlops-ci beyond the keys the docs name:

- ``forest``: a RandomForestClassifier on breast cancer, no ``trusted_types``, malignant (0)
  chosen as the positive class;
- ``boosting``: a HistGradientBoostingRegressor on diabetes, no ``trusted_types``;
- ``xgboost``: an XGBClassifier on breast cancer, ``trusted_types: [xgboost]``;
- ``lightgbm``: a multiclass LGBMClassifier on wine, ``trusted_types: [lightgbm]``;
- ``own-metrics``: a script that evaluates the model itself and writes ``eval.json``
  (``evaluate.metrics_file``), gated on its ``malignant_recall``.

No project declares ``data.columns``: a user starting from their own script often doesn't.
Half the rows train, a quarter test, a quarter is "production", shifted on the key columns
(``drift.key_columns``) so a scheduled run finds drift. The reference is a copy of the training
data, as ``init`` writes it.
"""

from __future__ import annotations

import secrets
import socket
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.commands.repos import git

# What every script starts with: mlops-ci's variables (docs/config.md, train.command).
_PROLOGUE = """\
import os
from pathlib import Path

import pandas as pd
import skops.io

data = pd.read_csv(os.environ["MLOPS_TRAIN_DATA"])
target = os.environ["MLOPS_TARGET"]
seed = int(os.environ["MLOPS_SEED"])
out = Path(os.environ["MLOPS_OUTPUT_DIR"])
features = data.drop(columns=[target])
"""

_FOREST = """\
from sklearn.ensemble import RandomForestClassifier

model = RandomForestClassifier(n_estimators=40, max_depth=6, random_state=seed)
model.fit(features, data[target])
skops.io.dump(model, out / "model.skops")
"""

_BOOSTING = """\
from sklearn.ensemble import HistGradientBoostingRegressor

model = HistGradientBoostingRegressor(max_iter=60, learning_rate=0.05, random_state=seed)
model.fit(features, data[target])
skops.io.dump(model, out / "model.skops")
"""

_XGBOOST = """\
from xgboost import XGBClassifier

model = XGBClassifier(n_estimators=40, max_depth=3, random_state=seed, n_jobs=1)
model.fit(features, data[target])
skops.io.dump(model, out / "model.skops")
"""

_LIGHTGBM = """\
from lightgbm import LGBMClassifier

model = LGBMClassifier(n_estimators=40, min_child_samples=5, random_state=seed, n_jobs=1,
                       verbose=-1)
model.fit(features, data[target])
skops.io.dump(model, out / "model.skops")
"""

# The user's own evaluation: recall of the malignant class (0) on the held-out set, in eval.json.
_OWN_METRICS = """\
import json

from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

used = list(features.columns)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
model.fit(features[used], data[target])
skops.io.dump(model, out / "model.skops")
test = pd.read_csv(os.environ["MLOPS_TEST_DATA"])
recall = recall_score(test[target], model.predict(test[used]), pos_label=0)
(out / "eval.json").write_text(json.dumps({"malignant_recall": round(float(recall), 4)}))
"""


@dataclass(frozen=True, slots=True)
class Project:
    key: str  # the test id
    dataset: str  # load_breast_cancer, load_diabetes or load_wine
    script: str  # train.py after the prologue
    evaluate: str  # the evaluate section's keys, unindented YAML
    stated: str  # what the report says of how class metrics were computed ("" for none)
    requirements: str | None = None  # requirements.txt, when the script needs a library
    drifted: tuple[str, ...] = ()  # production columns shifted; mlops.yaml's key columns

    @property
    def classification(self) -> bool:
        return self.dataset != "load_diabetes"


PROJECTS = (
    Project(
        "forest", "load_breast_cancer", _FOREST,
        "task: classification\n"
        "metrics: [accuracy, f1, recall, roc_auc]\n"
        "positive_class: 0\n"
        "gates:\n"
        "  - {metric: roc_auc, min: 0.9}\n"
        "  - {metric: roc_auc, against: production, max_regression: 0.02}\n",
        "Positive class: `0` (evaluate.positive_class); precision, recall, f1, roc_auc",
        drifted=("mean_radius", "mean_area", "worst_radius", "worst_area"),
    ),
    Project(
        "boosting", "load_diabetes", _BOOSTING,
        "task: regression\n"
        "metrics: [rmse, mae, r2]\n"
        "gates:\n"
        "  - {metric: r2, min: 0.2}\n",
        "",
        drifted=("bmi", "bp", "s5"),
    ),
    Project(
        "xgboost", "load_breast_cancer", _XGBOOST,
        "task: classification\n"
        "metrics: [accuracy, f1, roc_auc]\n"
        "trusted_types: [xgboost]\n"
        "gates:\n"
        "  - {metric: roc_auc, min: 0.9}\n",
        "Positive class: `1` (the default: the last of the model's classes; set "
        "evaluate.positive_class to choose)",
        # XGBoost's own CPU-only wheel (the module is the same ``xgboost``): the full wheel
        # brings about 200 MB of CUDA libraries a CPU server never loads.
        requirements="xgboost-cpu\n",
        drifted=("mean_radius", "mean_area", "worst_radius", "worst_area"),
    ),
    Project(
        "lightgbm", "load_wine", _LIGHTGBM,
        "task: classification\n"
        "metrics: [accuracy, f1, log_loss]\n"
        "trusted_types: [lightgbm]\n"
        "gates:\n"
        "  - {metric: accuracy, min: 0.8}\n",
        "3 classes: precision, recall, f1 and average_precision are macro-averaged",
        requirements="lightgbm\n",
        drifted=("alcohol", "proline", "color_intensity"),
    ),
    Project(
        "own-metrics", "load_breast_cancer", _OWN_METRICS,
        "task: classification\n"
        "metrics: [accuracy]\n"
        "metrics_file: eval.json\n"
        "custom_metrics:\n"
        "  malignant_recall: {direction: higher}\n"
        "gates:\n"
        "  - {metric: malignant_recall, min: 0.85}\n",
        "Positive class: `1` (the default: the last of the model's classes",
        drifted=("mean_radius", "mean_area", "worst_radius", "worst_area"),
    ),
)


@dataclass(frozen=True, slots=True)
class Built:
    """A project committed on main in ``repo`` and pushed to ``repo/../remote.git``."""

    project: Project
    repo: Path
    model: str  # the model's name: unique, as its containers and images are named by it
    environment: str  # the docker environment bound to the production stage
    port: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_data(project: Project, folder: Path) -> None:
    import sklearn.datasets

    loader = getattr(sklearn.datasets, project.dataset)
    frame = loader(as_frame=True).frame
    frame.columns = [str(column).replace(" ", "_").replace("/", "_") for column in frame.columns]
    shuffled = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    half, three_quarters = len(shuffled) // 2, 3 * len(shuffled) // 4
    folder.mkdir(parents=True, exist_ok=True)
    train = shuffled.iloc[:half]
    train.to_csv(folder / "train.csv", index=False)
    train.to_csv(folder / "reference.csv", index=False)
    shuffled.iloc[half:three_quarters].to_csv(folder / "test.csv", index=False)
    production = shuffled.iloc[three_quarters:].drop(columns=["target"])
    for column in project.drifted:  # a location shift of one standard deviation
        production[column] = production[column] + train[column].std()
    production.to_csv(folder / "production.csv", index=False)


def mlops_yaml(project: Project, model: str, environment: str, port: int) -> str:
    return (
        "version: 1\n"
        "models:\n"
        f"  {model}:\n"
        "    data:\n"
        "      train: data/train.csv\n"
        "      test: data/test.csv\n"
        "      reference: data/reference.csv\n"
        "      target: target\n"
        f"    drift: {{key_columns: [{', '.join(project.drifted)}]}}\n"
        "    train:\n"
        "      command: [python, train.py]\n"
        "    evaluate:\n"
        + textwrap.indent(project.evaluate, " " * 6)
        + "    deploy:\n"
        "      environments:\n"
        f"        {environment}:\n"
        "          stage: production\n"
        "          backend: docker\n"
        f"          port: {port}\n"
        "          health: {timeout: 60s, interval: 1s}\n"
        "    monitor:\n"
        "      production_data: [data/production.csv]\n"
        "      schedule: \"0 6 * * *\"\n"
        "      actions: {issue: true, dispatch: true}\n"
        "triggers:\n"
        "  pull_request: [validate, drift, train, evaluate, report]\n"
        "  push: [validate, drift, train, evaluate, register, report]\n"
        "  promotion_tag: [deploy]\n"
        "  schedule: [monitor]\n"
    )


def build(project: Project, root: Path) -> Built:
    """The project in ``root/project``, committed on main and pushed to ``root/remote.git``."""
    suffix = secrets.token_hex(3)
    model = f"{project.key.replace('-', '')}{suffix}"
    environment = f"{model}-production"
    port = free_port()
    repo = root / "project"
    write_data(project, repo / "data")
    (repo / "train.py").write_text(_PROLOGUE + project.script, encoding="utf-8")
    if project.requirements is not None:
        (repo / "requirements.txt").write_text(project.requirements, encoding="utf-8")
    (repo / "mlops.yaml").write_text(mlops_yaml(project, model, environment, port), "utf-8")
    (repo / ".gitignore").write_text(".mlops/\n", encoding="utf-8")
    git(root, "init", "-q", "--bare", "remote.git")
    git(repo, "init", "-q", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", f"{project.key}: first model")
    git(repo, "remote", "add", "origin", str(root / "remote.git"))
    git(repo, "push", "-q", "origin", "main")
    return Built(project, repo, model, environment, port)
