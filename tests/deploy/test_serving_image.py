"""The serving image's build context: unchanged without requirements, the layer with them, and
the step that compiles the model (run here as the build runs it)."""

from __future__ import annotations

import dataclasses
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from mlops_ci.config.model import Environment
from mlops_ci.deploy.serving_image import REQUIREMENTS_VENV, WHEELS_INSIDE, write_context
from mlops_ci.digest import sha256_file
from mlops_ci.serving.compiled import read_compiled
from tests.deploy.conftest import MakeRequest

BASE = "mlops-ci:dev"


def entrypoint(dockerfile: str) -> list[str]:
    (line,) = [line for line in dockerfile.splitlines() if line.startswith("ENTRYPOINT ")]
    return list(json.loads(line.removeprefix("ENTRYPOINT ")))


def test_without_requirements_the_image_is_the_model_over_the_base(
    make_request: MakeRequest, churn_model_file: Path, tmp_path: Path
) -> None:
    request = make_request(Environment("staging", "staging", "docker"), "v1.0.0", churn_model_file)

    args = write_context(request, BASE, tmp_path / "context")

    dockerfile = (tmp_path / "context" / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.splitlines()[:2] == [f"FROM {BASE}",
                                           "COPY model.skops columns.json /srv/model/"]
    assert entrypoint(dockerfile)[:3] == ["python", "-m", "mlops_ci.serving"]
    assert args == {} and not (tmp_path / "context" / "requirements").exists()


def test_with_requirements_the_file_is_installed_with_the_deployers_pip_settings(
    make_request: MakeRequest, churn_model_file: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "tinyreq-0.1-py3-none-any.whl").write_bytes(b"a wheel")
    environ = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_INDEX_URL": "",
               "GITHUB_TOKEN": "ghs_secret"}
    request = dataclasses.replace(
        make_request(Environment("staging", "staging", "docker"), "v1.0.0", churn_model_file,
                     environ=environ),
        requirements=b"tinyreq==0.1\n",
    )

    args = write_context(request, BASE, tmp_path / "context")

    folder = tmp_path / "context" / "requirements"
    dockerfile = (tmp_path / "context" / "Dockerfile").read_text(encoding="utf-8")
    assert (folder / "requirements.txt").read_bytes() == b"tinyreq==0.1\n"
    assert (folder / "wheels" / "tinyreq-0.1-py3-none-any.whl").is_file()
    assert args == {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELS_INSIDE}  # no token, no ""
    assert f"RUN python3 /srv/requirements/layer.py {REQUIREMENTS_VENV}" in dockerfile
    assert dockerfile.index("layer.py") < dockerfile.index("COPY model.skops")  # cached layer
    assert entrypoint(dockerfile)[0] == f"{REQUIREMENTS_VENV}/bin/python"


def run_step(dockerfile: str, context: Path, model_dir: Path) -> subprocess.CompletedProcess[str]:
    """The Dockerfile's RUN line after the model's COPY, run by ``sh`` as the build runs it,
    with ``/srv/model`` moved to ``model_dir`` (filled as the COPY fills it) and this
    interpreter for ``python``."""
    lines = dockerfile.splitlines()
    copy = lines.index("COPY model.skops columns.json /srv/model/")
    command = lines[copy + 1].removeprefix("RUN ")
    assert lines[copy + 1].startswith("RUN ") and lines[copy + 2].startswith("ENTRYPOINT ")
    model_dir.mkdir()
    for name in ("model.skops", "columns.json"):
        shutil.copyfile(context / name, model_dir / name)
    command = command.replace("/srv/model", str(model_dir))
    command = command.replace("python -m", f"{shlex.quote(sys.executable)} -m", 1)
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120,
                          check=False)


def test_the_image_compiles_the_model_with_the_servers_own_arguments(
    make_request: MakeRequest, churn_model_file: Path, tmp_path: Path
) -> None:
    request = make_request(Environment("staging", "staging", "docker"), "v1.0.0", churn_model_file)
    write_context(request, BASE, tmp_path / "context")
    dockerfile = (tmp_path / "context" / "Dockerfile").read_text(encoding="utf-8")
    run = [line for line in dockerfile.splitlines() if line.startswith("RUN ")]
    assert len(run) == 1
    assert run[0].startswith("RUN " + " ".join(
        shlex.quote(part) for part in [*entrypoint(dockerfile), "--compile-only"]) + " || ")

    done = run_step(dockerfile, tmp_path / "context", tmp_path / "srv")

    assert done.returncode == 0, done.stderr
    assert "(ColumnTransformer -> LogisticRegression (fused))" in done.stdout
    compiled = read_compiled(tmp_path / "srv" / "model.skops.fused.npz")
    assert compiled.model_sha256 == sha256_file(churn_model_file)
    assert compiled.schema == request.columns  # the columns.json the server reads


def test_a_model_that_cannot_be_loaded_does_not_fail_the_build(
    make_request: MakeRequest, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.skops"
    broken.write_bytes(b"\x80\x04 a pickle, not a skops file")
    request = make_request(Environment("staging", "staging", "docker"), "v1.1.0", broken)
    write_context(request, BASE, tmp_path / "context")
    dockerfile = (tmp_path / "context" / "Dockerfile").read_text(encoding="utf-8")

    done = run_step(dockerfile, tmp_path / "context", tmp_path / "srv")

    assert done.returncode == 0  # the server says what is wrong when the container starts
    assert "not a skops model file" in done.stderr
    assert "no compiled form: the server loads the model at its start" in done.stdout
    assert not (tmp_path / "srv" / "model.skops.fused.npz").exists()
