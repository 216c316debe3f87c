"""The core commands through the real entry point: exit codes, output formats, laziness."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_ci.cli import main
from tests.config.samples import MINIMAL, WriteConfig

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "mlops_ci" / "examples" / "churn" / "mlops.yaml"


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    code = main(argv, stderr=err)
    return code, err.getvalue()


def test_example_config_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["validate", "-c", str(EXAMPLE)])
    assert (code, err) == (0, "")
    assert "is valid: 1 model (churn)" in capsys.readouterr().out


def test_invalid_config_exits_2_with_file_line_col_path(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(MINIMAL.replace("task: classification", "task: clasification"))
    monkeypatch.chdir(path.parent)
    code, err = run(["validate"])
    assert code == 2
    first = err.splitlines()[0]
    assert first.startswith("mlops.yaml:15:13: models.churn.evaluate.task: 'clasification' is not")
    assert "Traceback" not in err


def test_validate_refuses_a_canary_on_docker_with_file_line_and_path(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = "{stage: production, backend: docker, port: 8080, canary: 10}"
    deploy = f"    deploy:\n      environments:\n        prod: {environment}\n"
    path = write_config(MINIMAL + deploy)
    monkeypatch.chdir(path.parent)
    code, err = run(["validate"])
    assert code == 2
    assert err.splitlines()[0].startswith(
        "mlops.yaml:21:72: models.churn.deploy.environments.prod.canary: backend 'docker' cannot "
        "split traffic between two versions")
    assert "Traceback" not in err


def test_validate_json_lists_problems(
    write_config: WriteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(MINIMAL.replace("version: 1", "version: 2"))
    code, _ = run(["validate", "-c", str(path), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 2
    assert result["valid"] is False
    assert result["problems"][0]["path"] == "version"
    assert result["problems"][0]["line"] == 1


def test_annotations_under_github_actions(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(MINIMAL.replace("task: classification", "task: 5"))
    monkeypatch.chdir(path.parent)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, _ = run(["validate"])
    out = capsys.readouterr().out
    assert code == 2
    assert (
        "::error file=mlops.yaml,line=15,col=13,title=mlops-ci::models.churn.evaluate.task: " in out
    )


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["validate", "--no-such-flag"])
    assert code == 2
    assert "unrecognized arguments: --no-such-flag" in err


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(["schema"])
    schema = json.loads(capsys.readouterr().out)
    assert code == 0
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_version_and_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlops_ci", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("mlops-ci ")


@pytest.mark.parametrize("command", [[], ["init"], ["validate"], ["schema"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlops_ci", *command, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "usage: mlops-ci" in result.stdout


HEAVY = ("pandas", "sklearn", "scipy", "docker", "github", "numpy", "pyarrow", "skops")


def test_validate_and_help_import_nothing_heavy() -> None:
    script = (
        "import sys, io, contextlib\n"
        "from mlops_ci.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['validate', '-c', {str(EXAMPLE)!r}]) == 0\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_error_lines_quote_outside_text_inertly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Error messages quote paths and names from outside: no runner command (``##[...]`` is
    read anywhere in a line) and no terminal control sequence reaches stderr."""
    monkeypatch.chdir(tmp_path)
    code, err = run(["validate", "-c", "missing##[add-mask]x\x1b[31m.yaml"])

    assert code == 2
    assert "config file not found: missing##\\x5badd-mask]x\\x1b[31m.yaml" in err
    assert "##[" not in err and "\x1b" not in err
