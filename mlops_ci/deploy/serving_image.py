"""The build context of a version's serving image: the model, its input columns, and the
packages of its ``train.requirements``.

The image is ``FROM`` the serving base (the action image, which holds mlops-ci and its
dependencies in ``/opt/venv``). A version whose request carries a requirements file (its
content as it was at the version's commit) gets one more layer: ``layer.py`` (below) creates
``/opt/mlops-requirements``, a venv whose ``.pth`` file adds the base's site folders after its
own, and pip-installs the file there constrained to the base's versions (the same layering
the action uses for training, ``requirements.layer``); the server then runs with that venv's
interpreter. pip's settings come from the deploying environment: ``PIP_INDEX_URL``,
``PIP_EXTRA_INDEX_URL``, ``PIP_TRUSTED_HOST`` and ``PIP_NO_INDEX`` are passed as build
arguments, and a local ``PIP_FIND_LINKS`` folder is copied into the build (offline builds).

Once the model is in the image, a ``RUN`` step compiles it with the server's own interpreter
and arguments (``--compile-only``, ``serving.precompile``) into
``/srv/model/model.skops.fused.npz``, from which the server starts without scikit-learn. The
step never fails the build: a model the compiled form does not cover gets none, and one that
cannot be loaded fails at the server's start with its message, as without the step.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from mlops_ci.deploy.protocol import DeployRequest
from mlops_ci.requirements.layer import pip_reasons
from mlops_ci.serving.columns import write_columns

REQUIREMENTS_VENV = "/opt/mlops-requirements"
PIP_SETTINGS = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_NO_INDEX")
WHEELS_INSIDE = "/srv/requirements/wheels"
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")

DOCKERFILE = """\
FROM {base}
{requirements}COPY model.skops columns.json /srv/model/
RUN {compile} || echo "no compiled form: the server loads the model at its start"
ENTRYPOINT {entrypoint}
"""

REQUIREMENTS_LAYER = """\
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
COPY requirements/ /srv/requirements/
RUN python3 /srv/requirements/layer.py {venv} /srv/requirements/requirements.txt
"""

LAYER_SCRIPT = '''\
"""Install a requirements file into a venv layered over this interpreter's packages."""
import os, re, subprocess, sys, sysconfig
from importlib import metadata
from pathlib import Path

target, requirements = Path(sys.argv[1]), sys.argv[2]
subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
paths = sysconfig.get_paths()
sites = list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
(own,) = target.glob("lib/python*/site-packages")
calls = "".join(f"site.addsitedir({site!r}); " for site in sites)
(own / "zz-mlops-ci-base.pth").write_text(f"import site; {calls}\\n")
found = {}  # the first on sys.path of each name, as an import finds it
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if name:
        found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), f"{name}=={dist.version}")
pins = sorted(found.values())
constraints = target / "action-constraints.txt"
constraints.write_text("".join(pin + "\\n" for pin in pins))
env = {k: v for k, v in os.environ.items() if not (k.startswith("PIP_") and not v)}
subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "--no-input",
                "--disable-pip-version-check", "--no-cache-dir", "--progress-bar", "off",
                "-r", requirements, "-c", str(constraints)], check=True, env=env)
'''


def write_context(request: DeployRequest, base: str, context: Path) -> dict[str, str]:
    """Fill ``context`` (made empty) with the Dockerfile and its files; the build arguments."""
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    shutil.copyfile(request.model_file, context / "model.skops")
    write_columns(request.columns, context / "columns.json")
    python = "python"
    layer = ""
    build_args: dict[str, str] = {}
    if request.requirements is not None:
        python = f"{REQUIREMENTS_VENV}/bin/python"
        layer = REQUIREMENTS_LAYER.format(venv=REQUIREMENTS_VENV)
        build_args = _requirements_context(request.requirements, request.environ, context)
    entrypoint = [python, "-m", "mlops_ci.serving", "--model", "/srv/model/model.skops",
                  "--columns-json", "/srv/model/columns.json", "--name", request.model,
                  "--version", request.version]
    for trusted in request.trusted_types:
        entrypoint += ["--trusted-type", trusted]
    compile_step = " ".join(shlex.quote(part) for part in [*entrypoint, "--compile-only"])
    (context / "Dockerfile").write_text(
        DOCKERFILE.format(base=base, requirements=layer, compile=compile_step,
                          entrypoint=json.dumps(entrypoint)),
        encoding="utf-8",
    )
    return build_args


def pip_failure(build_log: Iterable[Mapping[str, object]]) -> list[str]:
    """pip's reasons in a failed build's log (``requirements.layer.pip_reasons``); empty when
    the build failed elsewhere."""
    text = "".join(str(entry.get("stream", "")) for entry in build_log)
    lines = _COLOUR.sub("", text).splitlines()  # the builder paints a step's stderr red
    if not any(line.startswith("ERROR") for line in lines):
        return []
    return pip_reasons(lines)


def _requirements_context(
    content: bytes, environ: Mapping[str, str], context: Path
) -> dict[str, str]:
    folder = context / "requirements"
    folder.mkdir()
    (folder / "requirements.txt").write_bytes(content)
    (folder / "layer.py").write_text(LAYER_SCRIPT, encoding="utf-8")
    build_args = {name: environ[name] for name in PIP_SETTINGS if environ.get(name)}
    links = environ.get("PIP_FIND_LINKS", "")
    if links and Path(links).is_dir():
        shutil.copytree(links, folder / "wheels")
        build_args["PIP_FIND_LINKS"] = WHEELS_INSIDE
    elif links:
        build_args["PIP_FIND_LINKS"] = links  # a URL: pip reads it from inside the build
    return build_args
