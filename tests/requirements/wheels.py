"""Tiny local projects built into real wheels with ``pip wheel``: packages to install offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def build_wheel(root: Path, name: str, version: str, *, requires: tuple[str, ...] = ()) -> Path:
    """Build ``name==version`` (a module of that name saying its version) into ``root/wheels``
    with pip and setuptools, no index and no build isolation: no network."""
    project = root / "projects" / f"{name}-{version}"
    (project / name).mkdir(parents=True)
    (project / name / "__init__.py").write_text(f"VERSION = {version!r}\n", encoding="utf-8")
    (project / "setup.py").write_text(
        "from setuptools import setup\n"
        f"setup(name={name!r}, version={version!r}, packages=[{name!r}], "
        f"install_requires={list(requires)!r})\n",
        encoding="utf-8",
    )
    wheels = root / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--disable-pip-version-check", "-w", str(wheels), str(project)],
        check=True, capture_output=True,
    )
    (built,) = wheels.glob(f"{name}-{version}-*.whl")
    return built


def offline(wheels: Path) -> dict[str, str]:
    """pip's environment for installing only from ``wheels``."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
