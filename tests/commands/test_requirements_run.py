"""``train.requirements`` through ``mlops-ci run``: checked locally, installed in the action.

Real git repositories holding the example, its own training; in the action's case a real venv
over this test's environment (standing in for the image's /opt/venv) with a real wheel of a
tiny local project installed offline.
"""

from __future__ import annotations

import io
import os
from importlib.metadata import version
from pathlib import Path

import pytest

from mlops_ci.cli import main
from mlops_ci.commands.action import action, requirements_cache
from mlops_ci.commands.run import RunRequest, execute
from mlops_ci.errors import EXIT_OK, EXIT_USER_ERROR, InputProblems
from mlops_ci.requirements.layer import COMPLETE_MARKER
from tests.commands.repos import example_repo, git
from tests.commands.test_run_errors import pr_environ, use_local_pr_environ
from tests.requirements.wheels import build_wheel, offline

USES_TINYREQ = """
import sys
from pathlib import Path

import tinyreq  # the project's own requirement, not one of mlops-ci's

Path(__file__).with_name("python.txt").write_text(
    f"{sys.prefix} {tinyreq.VERSION}", encoding="utf-8")

"""
MAIN = 'if __name__ == "__main__":'


def add_requirements(repo: Path, text: str, *, train_code: str = "") -> str:
    """Commit ``requirements.txt`` (and ``train_code`` run by train.py before it trains)."""
    (repo / "requirements.txt").write_text(text, encoding="utf-8")
    if train_code:
        train = repo / "train.py"
        script = train.read_text(encoding="utf-8")
        assert MAIN in script
        train.write_text(script.replace(MAIN, train_code + MAIN), encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "the project's own requirements")
    return git(repo, "rev-parse", "HEAD")


def test_locally_a_missing_or_wrong_package_is_named_with_its_line_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = example_repo(tmp_path)
    head = add_requirements(
        repo, "# the model's own\nscikit-learn>=1.0\nno-such-package-xyz>=1\nnumpy<1.0\n")
    use_local_pr_environ(monkeypatch, repo, head)

    code = main(["run", "--config", str(repo / "mlops.yaml")])

    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR
    assert ("requirements.txt:3:1: no-such-package-xyz>=1: no-such-package-xyz is not "
            "installed in this environment") in err
    assert "requirements.txt:4:1: numpy<1.0: this environment has numpy " in err
    assert "scikit-learn" not in err  # met
    assert "pip install -r requirements.txt" in err
    assert "Traceback" not in err
    assert not (repo / ".mlops" / "run" / "churn" / "model.skops").exists()  # nothing trained


def test_locally_met_requirements_install_nothing_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = example_repo(tmp_path)
    head = add_requirements(repo, "scikit-learn>=1.0\nnumpy\n")
    use_local_pr_environ(monkeypatch, repo, head)

    code = main(["run", "--config", str(repo / "mlops.yaml")])

    assert code == EXIT_OK
    assert "requirements: requirements.txt met by this environment" in capsys.readouterr().out
    assert not (repo / ".mlops" / "cache").exists()


def test_in_the_action_training_runs_in_the_cached_layered_venv(tmp_path: Path) -> None:
    build_wheel(tmp_path, "tinyreq", "0.3")
    repo = example_repo(tmp_path)
    head = add_requirements(repo, "tinyreq==0.3\n", train_code=USES_TINYREQ)
    cache = requirements_cache({"GITHUB_WORKSPACE": str(repo)})
    environ = {**pr_environ(repo, head, 1), **offline(tmp_path / "wheels"),
               "PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    request = RunRequest(config=repo / "mlops.yaml", requirements_cache=cache)
    first, second = io.StringIO(), io.StringIO()

    assert execute(request, environ=environ, out=first).exit_code == EXIT_OK
    assert execute(request, environ=environ, out=second).exit_code == EXIT_OK

    (venv,) = cache.glob("venv-*")
    assert cache == repo / ".mlops" / "cache" / "requirements"
    assert (venv / COMPLETE_MARKER).is_file()
    prefix, version = (repo / "python.txt").read_text().split()
    assert Path(prefix) == venv and version == "0.3"  # `python train.py` ran in the venv
    assert "requirements: installing requirements.txt" in first.getvalue()
    assert "requirements: requirements.txt is installed already" in second.getvalue()
    assert "Installing collected packages" not in second.getvalue()


@pytest.mark.parametrize("command", ["run", "monitor"])
def test_the_actions_run_and_monitor_check_the_pins_against_the_actions_own_first(
    tmp_path: Path, command: str
) -> None:
    repo = example_repo(tmp_path)
    add_requirements(repo, "# ours\nnumpy<1.0\n")  # the action (this environment) has numpy 2
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GITHUB_WORKSPACE": str(repo),
               "INPUT_COMMAND": command}

    with pytest.raises(InputProblems) as caught:
        action(environ)

    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("requirements.txt", 2)
    assert f"numpy<1.0 conflicts with the action's own numpy {version('numpy')}" in (
        problem.message)
    assert not (repo / ".mlops" / "cache").exists()  # refused before installing anything
    assert not (repo / ".mlops" / "run" / "churn" / "model.skops").exists()
