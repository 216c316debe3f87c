"""A project that is not the example: wine, three cultivars, a RandomForest mlops-ci fits itself.

A merge registers v0.1.0 (its release records params.json and the model card, its tag the
environment); it is promoted to production; a pull request then changes a parameter. The PR
comment shows both confusion matrices over the same classes and the one parameter that changed,
like `dvc params diff`; a release without params.json (an older version) reads "not recorded".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlops_ci.registry.evidence import parse_evidence
from mlops_ci.registry.store import RegistryStore
from tests.commands.repos import PR, REPOSITORY, git, pr_payload, push_payload
from tests.commands.test_run import run_event
from tests.fakegithub import FakeGitHub
from tests.report.gfm import read

HOSTILE = "barbera | <b>x</b>"  # a class label that would break a table or add a tag
CULTIVARS = ("barolo", "grignolino", HOSTILE)
IMAGE = "ghcr.io/octo/mlops-ci@sha256:" + "ab" * 32
CONFIG = """\
version: 1
id: wine-ci
default_branch: main
stages: [production]
models:
  wine:
    description: Tells the cultivar of a wine from its chemistry.
    data:
      train: data/train.csv
      test: data/test.csv
      reference: data/reference.csv
      target: cultivar
    train:
      estimator:
        class: sklearn.ensemble.RandomForestClassifier
        params: {n_estimators: 20, max_depth: 3}
    evaluate:
      task: classification
      metrics: [accuracy, f1]
"""


def wine_repo(root: Path) -> Path:
    """``root/wine``: the wine data and CONFIG on main, pushed to ``root/remote.git``."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame["cultivar"] = [CULTIVARS[int(t)] for t in frame.pop("target")]
    shuffled = frame.sample(frac=1.0, random_state=7)
    repo = root / "wine"
    (repo / "data").mkdir(parents=True)
    shuffled.iloc[:120].to_csv(repo / "data" / "train.csv", index=False)
    shuffled.iloc[120:].to_csv(repo / "data" / "test.csv", index=False)
    shutil.copyfile(repo / "data" / "train.csv", repo / "data" / "reference.csv")
    (repo / "mlops.yaml").write_text(CONFIG, encoding="utf-8")
    (repo / ".gitignore").write_text(".mlops/\n", encoding="utf-8")
    git(root, "init", "-q", "--bare", "remote.git")
    git(repo, "init", "-q", "--initial-branch=main")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "wine")
    git(repo, "remote", "add", "origin", str(root / "remote.git"))
    git(repo, "push", "-q", "origin", "main")
    return repo


@pytest.fixture
def fake() -> FakeGitHub:
    with FakeGitHub() as server:
        server.create_repo(REPOSITORY)
        yield server


def in_production(repo: Path, fake: FakeGitHub) -> None:
    """Register v0.1.0 from a merge (the action's image named) and promote it to production."""
    head = git(repo, "rev-parse", "HEAD")
    merged, log, _ = run_event(repo, fake, "push", push_payload(head), run_id=1, sha=head,
                               extra_env={"MLOPS_IMAGE_DIGEST": IMAGE})
    assert merged.exit_code == 0, log
    RegistryStore(repo).promote("wine", "v0.1.0", "production")


def pull_request_comment(repo: Path, fake: FakeGitHub) -> str:
    """Raise n_estimators on a branch and run the pull request; its one comment."""
    config = repo / "mlops.yaml"
    config.write_text(config.read_text().replace("n_estimators: 20", "n_estimators: 40"))
    git(repo, "commit", "-q", "-am", "more trees")
    head = git(repo, "rev-parse", "HEAD")
    fake.repo(REPOSITORY).add_pull(PR, head_sha=head, head_ref="trees", title="More trees")
    outcome, log, _ = run_event(repo, fake, "pull_request", pr_payload(head), run_id=2)
    assert outcome.exit_code == 0, log
    [comment] = fake.repo(REPOSITORY).comments(PR)
    return comment.body


def test_a_multiclass_pr_shows_both_confusion_matrices_and_the_changed_parameter(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    repo = wine_repo(tmp_path)
    in_production(repo, fake)

    rendered = read(pull_request_comment(repo, fake))

    [confusion] = [t for t in rendered.tables if t[0][0] == "actual ↓ · predicted →"]
    labels = [row[0] for row in confusion[1:]]
    assert sorted(labels) == sorted(CULTIVARS)  # the hostile label is one plain cell
    assert confusion[0][1:] == [f"{side}: {label}" for side in ("candidate",
                                "production (v0.1.0)") for label in labels]
    assert sum(int(c) for row in confusion[1:] for c in row[1:4]) == 58  # the test rows
    assert "<b>" not in rendered.tags
    [params] = [t for t in rendered.tables if t[0][0] == "Path"]
    assert params == [["Path", "Param", "production (v0.1.0)", "candidate"],
                      ["train.estimator.params", "n_estimators", "20", "40"]]


def test_a_production_release_without_params_json_reads_not_recorded(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    repo = wine_repo(tmp_path)
    in_production(repo, fake)
    state = fake.repo(REPOSITORY)
    [asset] = [a for a in state.assets(state.releases[0].id) if a.name == "params.json"]
    del state.asset_map[asset.id]  # as a release registered before parameters were recorded

    text = read(pull_request_comment(repo, fake)).text()

    assert ("Parameters against production v0.1.0: not recorded: the release of v0.1.0 has no "
            "params.json") in text
    assert "n_estimators" not in text


def test_the_release_and_the_tag_record_what_produced_the_model(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    repo = wine_repo(tmp_path)
    in_production(repo, fake)

    state = fake.repo(REPOSITORY)
    [release] = state.releases
    assets = {a.name: a for a in state.assets(release.id)}
    recorded = json.loads(assets["params.json"].data)
    assert recorded["train.estimator.params"]["n_estimators"] == 20
    assert recorded["train.estimator.params"]["random_state"] == 42  # the seed, as used
    card = read(release.body)
    assert card.texts_in("h1") == ["wine v0.1.0"]
    [matrix] = [t for t in card.tables if t[0][0] == "actual ↓ · predicted →"]
    assert sorted(row[0] for row in matrix[1:]) == sorted(CULTIVARS)
    assert "<b>" not in card.tags
    environment = dict(next(t for t in card.tables if t[0][0] == "component")[1:])
    assert environment["image"] == IMAGE
    assert assets["model-card.md"].data.decode() == release.body
    message = git(repo, "cat-file", "-p", "wine@v0.1.0").partition("\n\n")[2]
    evidence = parse_evidence(message.partition("\n\n")[2])
    assert evidence is not None
    assert dict(evidence.environment) == environment  # the same record, in git show
