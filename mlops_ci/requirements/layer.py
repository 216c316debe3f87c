"""A virtual environment holding the user's packages, layered over the action's own, cached.

In the action's image mlops-ci and its dependencies live in one venv (``/opt/venv``) that
nothing may change. A model's ``train.requirements`` goes into a second venv, created from
the same interpreter, whose ``site-packages`` ends with a ``.pth`` file that adds the action's
site folders after its own (``site.addsitedir``, so their ``.pth`` files are read too). Its
``python`` therefore imports the user's packages and the action's (and mlops-ci itself).

What a caller may rely on:

- ``inspect_base`` asks the action's interpreter for its site folders and its distributions
  (name and version), the packages the user's may not contradict.
- ``layered_venv`` installs the file with pip, constrained to the action's versions
  (``--constraint`` on their freeze, so a transitive conflict fails too), streaming pip's
  output as progress, without pip's own cache (the venv is the cache). It works in
  ``cache_dir/venv-KEY``: KEY is the sha256 of the file's content (nested ``-r`` files
  included), mlops-ci's version, the interpreter's version and the action's freeze. The
  venv is complete once its marker file exists: a later run with the same key reuses it and
  installs nothing. A failed install leaves no marker, and pip's reason is raised as a
  ``UserError`` (exit 2) naming the file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mlops_ci.backends.process import CommandFailed, run_streamed
from mlops_ci.errors import UserError

COMPLETE_MARKER = ".mlops-ci-complete"
BASE_PTH = "zz-mlops-ci-base.pth"  # read after the venv's own .pth files
INSTALL_TIMEOUT_SECONDS = 30 * 60
VENV_TIMEOUT_SECONDS = 5 * 60
_INSPECT = """\
import json, re, sys, sysconfig
from importlib import metadata
paths = sysconfig.get_paths()
found = {}  # the first on sys.path of each name, as an import finds it
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if name:
        found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), (name, dist.version))
print(json.dumps({
    "sites": list(dict.fromkeys([paths["purelib"], paths["platlib"]])),
    "python": ".".join(map(str, sys.version_info[:3])),
    "distributions": sorted(found.values()),
}))
"""


@dataclass(frozen=True, slots=True)
class BaseEnvironment:
    """The action's own interpreter and packages, which the user's are layered over."""

    python: Path
    python_version: str
    site_dirs: tuple[Path, ...]
    distributions: tuple[tuple[str, str], ...]  # (name as published, version), sorted

    def versions(self) -> dict[str, str]:
        """Canonical name -> version."""
        from packaging.utils import canonicalize_name

        return {canonicalize_name(name): version for name, version in self.distributions}

    def freeze(self) -> str:
        """The distributions as pip constraints, one ``name==version`` a line."""
        return "".join(f"{name}=={version}\n" for name, version in self.distributions)


@dataclass(frozen=True, slots=True)
class LayeredVenv:
    """A venv holding a requirements file's packages over the action's own."""

    root: Path
    key: str
    reused: bool  # found complete in the cache: nothing was installed

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"

    @property
    def python(self) -> Path:
        return self.bin_dir / "python"

    def site_dirs(self) -> tuple[Path, ...]:
        """The venv's own site-packages folders (the action's are not among them)."""
        return tuple(sorted(self.root.glob("lib/python*/site-packages")))

    def command_environ(self, environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` with this venv active for a command: its ``bin`` first on PATH."""
        path = environ.get("PATH", "")
        return {**environ, "VIRTUAL_ENV": str(self.root),
                "PATH": f"{self.bin_dir}:{path}" if path else str(self.bin_dir)}


def inspect_base(python: Path, environ: Mapping[str, str], out: TextIO) -> BaseEnvironment:
    """The site folders, version and distributions of the interpreter ``python``."""
    import io

    captured = io.StringIO()
    run_streamed((str(python), "-c", _INSPECT), cwd=python.parent,
                 environ={**environ, "PYTHONNOUSERSITE": "1"}, out=captured,
                 timeout_seconds=VENV_TIMEOUT_SECONDS,
                 what=f"listing the packages of {python}")
    lines = [line for line in captured.getvalue().splitlines() if line.startswith("{")]
    data = json.loads(lines[-1])
    return BaseEnvironment(
        python=python,
        python_version=str(data["python"]),
        site_dirs=tuple(Path(site) for site in data["sites"]),
        distributions=tuple((str(name), str(version)) for name, version in data["distributions"]),
    )


def cache_key(content: bytes, base: BaseEnvironment, mlops_ci_version: str) -> str:
    """The folder name of a file's venv: what it holds depends on exactly these."""
    digest = hashlib.sha256()
    for part in (b"mlops-ci requirements venv 1", content, mlops_ci_version.encode(),
                 base.python_version.encode(), base.freeze().encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:24]


def layered_venv(
    requirements: Path,
    display: str,
    content: bytes,
    *,
    base: BaseEnvironment,
    cache_dir: Path,
    mlops_ci_version: str,
    environ: Mapping[str, str],
    out: TextIO,
) -> LayeredVenv:
    """The venv of ``requirements`` (``content``: it and its nested files), from the cache or
    installed now."""
    key = cache_key(content, base, mlops_ci_version)
    root = cache_dir / f"venv-{key}"
    if (root / COMPLETE_MARKER).is_file():
        out.write(f"requirements: {display} is installed already (cached in {root})\n")
        out.flush()
        return LayeredVenv(root, key, reused=True)
    shutil.rmtree(root, ignore_errors=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    out.write(f"requirements: installing {display} into {root}, over the action's packages; "
              "this can take a minute\n")
    out.flush()
    run_streamed((str(base.python), "-m", "venv", str(root)), cwd=cache_dir, environ=environ,
                 out=out, timeout_seconds=VENV_TIMEOUT_SECONDS,
                 what=f"creating the virtual environment for {display}")
    venv = LayeredVenv(root, key, reused=False)
    _layer_over(venv, base)
    constraints = root / "action-constraints.txt"
    constraints.write_text(base.freeze(), encoding="utf-8")
    # --no-cache-dir: the cached venv is the cache. pip's own would be in HOME, in the action
    # the runner's folder, which its root refuses with a warning on every install.
    argv = (str(venv.python), "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
            "--no-cache-dir", "--progress-bar", "off", "--requirement", str(requirements),
            "--constraint", str(constraints))
    try:
        run_streamed(argv, cwd=requirements.parent, environ=environ, out=out,
                     timeout_seconds=INSTALL_TIMEOUT_SECONDS, what=f"pip install -r {display}")
    except CommandFailed as failed:
        shutil.rmtree(root, ignore_errors=True)
        raise UserError(
            f"{display}: pip could not install its requirements over the action's own "
            "packages:\n" + "\n".join(pip_reasons(failed.tail)),
            hint="a package or version pip cannot find, or one conflicting with the action's "
            f"(its versions were given to pip as constraints); check {display}",
        ) from None
    marker = {"file": display, "key": key, "seconds": round(time.monotonic() - started, 1)}
    (root / COMPLETE_MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
    out.write(f"requirements: {display} installed in {marker['seconds']}s\n")
    out.flush()
    return venv


def pip_reasons(lines: Sequence[str]) -> list[str]:
    """pip's ``ERROR:`` lines and, for a conflict, the lines that say what caused it (the
    constraints there are the action's own versions)."""
    reasons: list[str] = []
    cause = False
    for line in lines:
        if line.startswith("The conflict is caused by"):
            cause = True
        elif cause and not line.startswith(" "):
            cause = False
        if line.startswith("ERROR") or cause:
            reasons.append(line.rstrip())
    return reasons or list(lines[-5:])


def _layer_over(venv: LayeredVenv, base: BaseEnvironment) -> None:
    """A ``.pth`` file that adds the action's site folders after the venv's own."""
    sites = venv.site_dirs()
    if not sites:
        raise UserError(f"{venv.root}: the new virtual environment has no site-packages")
    calls = "".join(f"site.addsitedir({str(site)!r}); " for site in base.site_dirs)
    (sites[0] / BASE_PTH).write_text(f"import site; {calls}\n", encoding="utf-8")


def prune(cache_dir: Path, keep: set[str]) -> None:
    """Remove the cached venvs of other keys (old files, old images): the cache holds what
    the last run used, so ``actions/cache`` does not carry stale ones forever."""
    if not cache_dir.is_dir():
        return
    for folder in cache_dir.glob("venv-*"):
        if folder.name.removeprefix("venv-") not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def extend_sys_path(venv: LayeredVenv) -> None:
    """Make the venv's packages importable in this process, after its own entries (so the
    action's versions win: the user's cannot change mlops-ci's own imports)."""
    import importlib
    import site

    for folder in venv.site_dirs():
        if str(folder) not in sys.path:
            site.addsitedir(str(folder))
    importlib.invalidate_caches()
