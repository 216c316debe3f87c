"""Peer tools for benchmarks, each installed from PyPI into its own venv under bench/.venvs."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

VENVS = Path(__file__).resolve().parent / ".venvs"


def peer_venv(name: str, requirements: list[str]) -> Path:
    """The venv's bin folder, created and filled on first use (then reused)."""
    root = VENVS / name
    marker = root / ".installed"
    wanted = "\n".join(requirements)
    if not marker.exists() or marker.read_text(encoding="utf-8") != wanted:
        print(f"installing {' '.join(requirements)} into {root} (first run only)", file=sys.stderr)
        venv.create(root, with_pip=True, clear=True)
        subprocess.run([str(root / "bin" / "pip"), "install", "--quiet", *requirements], check=True)
        marker.write_text(wanted, encoding="utf-8")
    return root / "bin"
