"""Byte-compile the dependencies' modules that a run imports, once, at image build time.

Run by the Dockerfile's dependencies stage with the image's venv python. Compiling every module
in site-packages costs about 60 MB, and most are never imported. This imports the libraries
mlops-ci loads (at module level, and inside its stages' functions), then writes unchecked-hash
pycs for every module that came from the venv: the image never changes, so Python need not stat
sources. A module not imported here still works; it is compiled in memory when first imported
(PYTHONDONTWRITEBYTECODE is set). mlops-ci's own code is compiled whole in the app stage.
"""

from __future__ import annotations

import importlib
import py_compile
import sys
import sysconfig
from pathlib import Path

# What mlops-ci imports: light libraries at module level, heavy ones inside stage functions.
IMPORTED_MODULES = (
    "yaml",
    "jsonschema",
    "tabulate",
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.compute",
    "pyarrow.csv",
    "pyarrow.parquet",
    "scipy.stats",
    "sklearn.base",
    "sklearn.compose",
    "sklearn.ensemble",
    "sklearn.impute",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "skops.io",
    "github",
    "docker",
)


def import_everything() -> None:
    for name in IMPORTED_MODULES:
        importlib.import_module(name)


def compile_imported(site_packages: Path) -> int:
    count = 0
    for module in list(sys.modules.values()):
        source = getattr(module, "__file__", None)
        if not source or not source.endswith(".py"):
            continue
        if not Path(source).is_relative_to(site_packages):
            continue
        py_compile.compile(
            source,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        count += 1
    return count


def main() -> None:
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    import_everything()
    compiled = compile_imported(site_packages)
    sys.stdout.write(f"precompile: {compiled} modules compiled\n")


if __name__ == "__main__":
    main()
