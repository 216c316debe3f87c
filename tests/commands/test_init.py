"""``mlops-ci init``: what it writes validates, and it never overwrites by surprise."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from mlops_ci.cli import main
from mlops_ci.config.loader import load_config

CSV = "customer_id,tenure,plan,paperless,charges,churned\n" + "".join(
    f"C{i:04d},{i % 70},{['basic', 'pro'][i % 2]},{str(i % 3 > 0).lower()},{i * 1.5},{i % 2}\n"
    for i in range(60)
)


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    return main(argv, stderr=err), err.getvalue()


def test_init_with_data_writes_a_config_that_validates(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "data" / "test.csv").write_text(CSV, encoding="utf-8")
    code, err = run(["init", str(tmp_path), "--model", "churn"])
    assert (code, err) == (0, "")
    (tmp_path / "train.py").write_text("", encoding="utf-8")  # the user's script, as next
    config = load_config(tmp_path / "mlops.yaml")
    columns = {c.name: c for c in config.model("churn").data.columns}
    assert config.model("churn").data.target == "churned"
    assert columns["tenure"].dtype == "int"
    assert columns["charges"].dtype == "float"
    assert columns["paperless"].dtype == "bool"
    assert columns["plan"].dtype == "category"
    assert columns["plan"].allowed == ("basic", "pro")
    assert columns["customer_id"].dtype == "string"


def test_init_writes_a_schema_comment_and_a_valid_workflow(tmp_path: Path) -> None:
    code, _ = run(["init", str(tmp_path)])
    text = (tmp_path / "mlops.yaml").read_text(encoding="utf-8")
    workflow = yaml.safe_load((tmp_path / ".github/workflows/mlops.yml").read_text("utf-8"))
    assert code == 0
    assert text.startswith("# yaml-language-server: $schema=")
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {}
    assert jobs["pull-request"]["permissions"] == {"contents": "read"}  # two phases
    assert jobs["merge"]["permissions"] == {"contents": "write"}
    assert jobs["promote"]["permissions"] == {"contents": "write", "deployments": "write"}
    assert jobs["monitor"]["permissions"] == {"contents": "write", "issues": "write"}


def test_init_without_data_points_at_the_missing_files(tmp_path: Path) -> None:
    run(["init", str(tmp_path)])
    code, err = run(["validate", "-c", str(tmp_path / "mlops.yaml")])
    assert code == 2
    assert "models.model.data.train: 'data/train.csv' does not exist" in err


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / "mlops.yaml").write_text("mine\n", encoding="utf-8")
    code, err = run(["init", str(tmp_path)])
    assert code == 2
    assert "already exists" in err
    assert (tmp_path / "mlops.yaml").read_text(encoding="utf-8") == "mine\n"
    code, _ = run(["init", str(tmp_path), "--force"])
    assert code == 0
    assert (tmp_path / "mlops.yaml").read_text(encoding="utf-8") != "mine\n"


def test_init_refuses_a_bad_model_name(tmp_path: Path) -> None:
    code, err = run(["init", str(tmp_path), "--model", "Churn Model"])
    assert code == 2
    assert "invalid model name" in err


def test_init_refuses_a_target_that_is_not_a_column(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(CSV, encoding="utf-8")
    code, err = run(["init", str(tmp_path), "--train", "train.csv", "--target", "churn"])
    assert code == 2
    assert f"--target 'churn' is not a column of {tmp_path / 'train.csv'}" in err
    assert not (tmp_path / "mlops.yaml").exists()


def test_init_refuses_a_training_file_it_cannot_infer_columns_from(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    (tmp_path / "twice.csv").write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    code, err = run(["init", str(tmp_path), "--train", "empty.csv"])
    assert code == 2 and f"{tmp_path / 'empty.csv'}: no header line" in err
    code, err = run(["init", str(tmp_path), "--train", "twice.csv"])
    assert code == 2 and f"{tmp_path / 'twice.csv'}:1: the header names 'a' more than once" in err
    assert not (tmp_path / "mlops.yaml").exists()


def test_init_where_a_file_stands_for_a_folder_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".github").write_text("not a folder\n", encoding="utf-8")
    code, err = run(["init", str(tmp_path)])
    assert code == 2
    assert f"{tmp_path / '.github'} is a file, not a folder" in err
    assert not (tmp_path / "mlops.yaml").exists()  # nothing half-written
    config = tmp_path / "setup.cfg"
    config.write_text("", encoding="utf-8")
    code, err = run(["init", str(config)])
    assert code == 2 and f"{config} is a file, not a folder" in err


def test_init_where_a_folder_stands_for_the_config_exits_2_even_with_force(tmp_path: Path) -> None:
    (tmp_path / "mlops.yaml").mkdir()
    code, err = run(["init", str(tmp_path), "--force"])
    assert code == 2
    assert f"cannot write {tmp_path / 'mlops.yaml'}: a folder of that name is in the way" in err
    assert not (tmp_path / ".github").exists()


def test_the_workflows_canary_input_is_a_valid_choice_of_what_the_dispatch_accepts(
    tmp_path: Path,
) -> None:
    from mlops_ci.plan import CANARY_STEPS, canary_step

    run(["init", str(tmp_path)])
    workflow = yaml.safe_load((tmp_path / ".github/workflows/mlops.yml").read_text("utf-8"))
    dispatch = workflow[True]["workflow_dispatch"]  # YAML 1.1 reads the key `on` as True
    canary = dispatch["inputs"]["canary"]

    assert canary["type"] == "choice"
    options = canary["options"]
    assert all(isinstance(o, str) and o for o in options), options  # actionlint: no "" option
    assert canary["default"] in options
    assert canary_step(canary["default"], "input") is None  # by default, a plain promotion
    assert tuple(step for o in options if (step := canary_step(o, "input"))) == CANARY_STEPS
