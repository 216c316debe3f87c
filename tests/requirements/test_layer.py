"""The action's side: a model's requirements installed into a cached venv over the action's.

A real venv stands in for the image's ``/opt/venv`` (it holds ``basepkg 1.0``, one of "the
action's own packages"); real wheels of tiny local projects are installed by real pip,
offline (``PIP_NO_INDEX``, ``PIP_FIND_LINKS``).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_ci.config.loader import load_config
from mlops_ci.config.model import Config
from mlops_ci.errors import InputProblems, UserError
from mlops_ci.requirements.environment import install_layered
from mlops_ci.requirements.layer import COMPLETE_MARKER, LayeredVenv, inspect_base
from tests.config.samples import MINIMAL
from tests.requirements.wheels import build_wheel, offline

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheels")
    for name, version, requires in (("tinyreq", "0.1", ()), ("tinyreq", "0.2", ()),
                                    ("basepkg", "1.0", ()), ("basepkg", "2.0", ()),
                                    ("needsbase", "1.0", ("basepkg>=2",))):
        build_wheel(root, name, version, requires=requires)
    return root / "wheels"


@pytest.fixture(scope="module")
def base_python(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    """A venv standing in for the image's /opt/venv: the action's packages, basepkg 1.0."""
    base = tmp_path_factory.mktemp("opt") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(base)], check=True)
    python = base / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "basepkg==1.0"],
                   env={**os.environ, **offline(wheels)}, check=True)
    return python


def project(root: Path, requirements: str) -> Config:
    (root / "data").mkdir(parents=True, exist_ok=True)
    for name in ("train.csv", "test.csv"):
        (root / "data" / name).write_text("tenure,plan,churned\n1,basic,0\n", encoding="utf-8")
    (root / "train.py").write_text("", encoding="utf-8")
    (root / "requirements.txt").write_text(requirements, encoding="utf-8")
    (root / "mlops.yaml").write_text(MINIMAL, encoding="utf-8")
    return load_config(root / "mlops.yaml")


def install(config: Config, cache: Path, base_python: Path, wheels: Path,
            out: io.StringIO | None = None) -> LayeredVenv:
    venvs = install_layered(config, config.models, cache_dir=cache,
                            environ={**os.environ, **offline(wheels)},
                            out=out or io.StringIO(), base_python=base_python)
    return venvs["churn"]


def imports(python: Path, code: str, environ: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                          env=environ, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, base_python: Path, wheels: Path
) -> tuple[Config, Path, LayeredVenv, str]:
    """``tinyreq==0.1`` installed once for the tests that only look: config, cache, venv, log."""
    root = tmp_path_factory.mktemp("installed")
    config = project(root / "repo", "# the model's own\ntinyreq==0.1\n")
    log = io.StringIO()
    venv = install(config, root / "cache", base_python, wheels, log)
    return config, root / "cache", venv, log.getvalue()


def test_the_venv_imports_the_users_packages_and_the_actions(
    installed: tuple[Config, Path, LayeredVenv, str], base_python: Path
) -> None:
    venv = installed[2]

    shown = imports(venv.python, "import tinyreq, basepkg; print(tinyreq.VERSION, "
                    "basepkg.VERSION, tinyreq.__file__, basepkg.__file__)").split()

    assert shown[:2] == ["0.1", "1.0"]
    assert Path(shown[2]).is_relative_to(venv.root)  # the user's package: in the new venv
    assert Path(shown[3]).is_relative_to(base_python.parents[1])  # the action's: left there
    assert not list(venv.root.glob("lib/python*/site-packages/basepkg"))


def test_a_bare_python_on_the_commands_path_is_the_venvs(
    installed: tuple[Config, Path, LayeredVenv, str],
) -> None:
    venv = installed[2]
    environ = venv.command_environ({"PATH": "/usr/bin:/bin"})

    found = subprocess.run(["python", "-c", "import sys, tinyreq; print(sys.prefix)"],
                           env=environ, capture_output=True, text=True, check=True)

    assert environ["VIRTUAL_ENV"] == str(venv.root)
    assert Path(found.stdout.strip()) == venv.root


def test_the_install_shows_its_progress(installed: tuple[Config, Path, LayeredVenv, str]) -> None:
    text = installed[3]

    assert "requirements: installing requirements.txt" in text
    assert "tinyreq" in text and "requirements: requirements.txt installed in" in text


def test_a_second_run_reuses_the_cached_venv_without_installing(
    installed: tuple[Config, Path, LayeredVenv, str], base_python: Path, wheels: Path
) -> None:
    config, cache, first, _ = installed
    marker = first.root / COMPLETE_MARKER
    written = marker.stat().st_mtime_ns
    log = io.StringIO()

    again = install(config, cache, base_python, wheels, log)

    assert again.root == first.root and again.reused and not first.reused
    assert marker.stat().st_mtime_ns == written
    assert "installed already" in log.getvalue()
    assert "Installing collected packages" not in log.getvalue()  # pip did not run


def test_a_changed_file_gets_a_new_key_and_the_old_venv_is_pruned(
    tmp_path: Path, base_python: Path, wheels: Path
) -> None:
    repo = tmp_path / "repo"
    first = install(project(repo, "tinyreq==0.1\n"), tmp_path / "cache", base_python, wheels)

    second = install(project(repo, "tinyreq==0.2\n"), tmp_path / "cache", base_python, wheels)

    assert second.key != first.key and not second.reused
    assert imports(second.python, "import tinyreq; print(tinyreq.VERSION)") == "0.2"
    assert not first.root.exists()
    marker = json.loads((second.root / COMPLETE_MARKER).read_text(encoding="utf-8"))
    assert marker["file"] == "requirements.txt" and marker["key"] == second.key


def test_a_pin_against_the_actions_own_version_fails_before_installing(
    tmp_path: Path, base_python: Path, wheels: Path
) -> None:
    config = project(tmp_path / "repo", "tinyreq\n\nbasepkg==2.0\n")

    with pytest.raises(InputProblems) as caught:
        install(config, tmp_path / "cache", base_python, wheels)

    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("requirements.txt", 3)
    assert "basepkg==2.0" in problem.message and "basepkg 1.0" in problem.message
    assert caught.value.exit_code == 2
    assert not (tmp_path / "cache").exists()  # nothing was installed


def test_a_transitive_conflict_is_pips_refusal_naming_the_file(
    tmp_path: Path, base_python: Path, wheels: Path
) -> None:
    config = project(tmp_path / "repo", "needsbase\n")  # needs basepkg>=2; the action has 1.0

    with pytest.raises(UserError) as caught:
        install(config, tmp_path / "cache", base_python, wheels)

    message = caught.value.message
    assert message.startswith("requirements.txt: pip could not install")
    assert "basepkg" in message
    assert caught.value.exit_code == 2
    assert not list((tmp_path / "cache").glob("venv-*"))  # no half-made venv left to reuse


def test_a_package_pip_cannot_find_is_pips_reason_naming_the_file(
    tmp_path: Path, base_python: Path, wheels: Path
) -> None:
    config = project(tmp_path / "repo", "no-such-package-anywhere>=1\n")

    with pytest.raises(UserError) as caught:
        install(config, tmp_path / "cache", base_python, wheels)

    message = caught.value.message
    assert message.startswith("requirements.txt: pip could not install")
    assert "no-such-package-anywhere" in message
    assert "No matching distribution" in message


def test_mlops_cis_own_process_imports_them_after_its_own(
    installed: tuple[Config, Path, LayeredVenv, str],
) -> None:
    venv = installed[2]
    code = (
        "import sys, json; from pathlib import Path\n"
        "from mlops_ci.requirements.layer import LayeredVenv, extend_sys_path\n"
        "own = list(sys.path)\n"
        f"extend_sys_path(LayeredVenv(Path({str(venv.root)!r}), 'k', reused=True))\n"
        "import tinyreq\n"
        "print(json.dumps([sys.path[:len(own)] == own, tinyreq.__file__]))\n"
    )

    kept, where = json.loads(imports(Path(sys.executable), code,
                                     {**os.environ, "PYTHONPATH": str(REPO)}))

    assert kept  # the process's own entries first, unchanged: the action's pins win
    assert Path(where).is_relative_to(venv.root)


def test_the_base_environment_lists_its_distributions(base_python: Path) -> None:
    base = inspect_base(base_python, dict(os.environ), io.StringIO())

    assert base.versions()["basepkg"] == "1.0"
    assert "basepkg==1.0\n" in base.freeze()
    assert all(site.is_relative_to(base_python.parents[1]) for site in base.site_dirs)


def test_pip_keeps_no_cache_of_its_own_in_the_runners_home(
    tmp_path: Path, base_python: Path, wheels: Path
) -> None:
    """In the action's container HOME is the runner's folder, owned by the runner's uid, not
    the container's root: pip's own cache there is refused with a warning on every install
    (and would leave root's files in the runner's home). The cached venv is the cache."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)  # not writable by a user other than root ...
    if os.geteuid() == 0:
        os.chown(home, 1234, 1234)  # ... and, for root, owned by someone else (pip's own check)
    config = project(tmp_path / "repo", "tinyreq==0.1\n")
    environ = {name: value for name, value in os.environ.items()
               if name not in ("XDG_CACHE_HOME", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR")}
    log = io.StringIO()

    venv = install_layered(config, config.models, cache_dir=tmp_path / "cache",
                           environ={**environ, **offline(wheels), "HOME": str(home)},
                           out=log, base_python=base_python)["churn"]

    assert imports(venv.python, "import tinyreq; print(tinyreq.VERSION)") == "0.1"
    assert "cache has been disabled" not in log.getvalue(), log.getvalue()
    assert not (home / ".cache").exists()
