"""``pip install mlops-ci && mlops-ci demo``: the demo runs from a built wheel, not a checkout.

The wheel is built from a copy of what the package build reads (``pyproject.toml``,
``README.md``, ``mlops_ci/``), installed without its dependencies into a fresh venv that sees
this environment's packages (a ``.pth`` file: no network), and its ``mlops-ci demo`` runs in
a folder outside the checkout with no ``PYTHONPATH``: only the installed package can answer.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{command}: exit {result.returncode}\n" + (
        result.stdout[-4000:] + result.stderr[-4000:]
    )
    return result.stdout


@pytest.mark.slow
def test_demo_runs_from_an_installed_wheel_outside_the_checkout(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", ".mlops", "out")
    shutil.copytree(ROOT / "mlops_ci", source / "mlops_ci", ignore=junk)
    env = {key: value for key, value in os.environ.items()
           if key != "PYTHONPATH" and not key.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--quiet", "--no-deps", str(source), "-w", str(wheels)],
         cwd=tmp_path, env=env, timeout=240)
    (wheel,) = wheels.glob("mlops_ci-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
         cwd=tmp_path, env=env, timeout=120)
    python = venv / "bin" / "python"
    where_installed = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = Path(_run([str(python), "-c", where_installed], cwd=tmp_path, env=env,
                        timeout=60).strip())
    # The dependencies (and pip) from this environment, after the venv's own site-packages.
    (purelib / "environment.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
         cwd=tmp_path, env=env, timeout=120)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # `python train.py` too
    env["DOCKER_HOST"] = f"unix://{tmp_path}/no-engine.sock"  # the command backend: no engine
    where = _run([str(python), "-c", "import mlops_ci; print(mlops_ci.__file__)"],
                 cwd=elsewhere, env=env, timeout=60)
    assert Path(where.strip()).is_relative_to(purelib), where

    out = _run([str(venv / "bin" / "mlops-ci"), "demo", "--dir", str(tmp_path / "demo")],
               cwd=elsewhere, env=env, timeout=180)

    assert out.count("(as expected)") == 7, out
    assert "pull request #2: drop the support_calls feature ... exit 1 (as expected)" in out
    assert "churn: the candidate against production (v0.1.0)" in out
    comments = tmp_path / "demo" / "churn" / ".mlops" / "outbox" / "comments"
    assert sorted(p.name for p in comments.iterdir()) == ["pr-1-churn-ci.md", "pr-2-churn-ci.md"]
