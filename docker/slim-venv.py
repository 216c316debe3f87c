"""Slim the image's venv, in the Dockerfile's dependencies stage: slim-venv.py VENV

Run with the venv's own python once the dependencies are installed and pip is gone. Four steps,
each printing how it changed the venv's size:

1. prune: what a run never loads. The test suites numpy, scipy, pandas, scikit-learn, pyarrow
   and skops ship; C and Cython headers and sources; bytecode pip left; pyarrow's Flight and S3
   libraries (loaded only by pyarrow.flight and pyarrow.fs.S3FileSystem; Substrait must stay,
   every pyarrow module links it); and cryptography, which PyGithub pulls in through PyJWT only
   to sign GitHub App tokens (mlops-ci authenticates with a token; PyJWT imports without it).
2. strip: debug symbols of the shared libraries (`strip --strip-unneeded`, binutils). Not the
   ones auditwheel bundled into ``*.libs``: patchelf rewrote those, and strip breaks them
   ("ELF load command address/offset not page-aligned"). Then every shared library in the venv is
   loaded once, in a child process; one that does not load fails the build.
3. dedupe: identical files become relative symlinks to one copy. Wheels cannot hold symlinks, so
   pyarrow ships libarrow_python three times, and numpy and scipy bundle the same libgfortran.
4. compile: imports what mlops-ci imports, then ships each third-party module that loaded as
   bytecode only (``name.pyc`` in place of ``name.py``): the image pays for one copy, not two,
   and a run starts as fast as with cached bytecode. Tracebacks through those modules show file
   and line without the source text. Modules a run does not import keep their source and are
   compiled in memory if ever imported (the image sets PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import py_compile
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
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
PACKAGES_WITH_TESTS = ("numpy", "scipy", "pandas", "sklearn", "pyarrow", "skops")
PRUNED_PATHS = (
    "pyarrow/include",
    "pyarrow/src",
    "numpy/_core/include",
    "pyarrow/libarrow_flight.so*",
    "pyarrow/libarrow_python_flight.so*",
    "pyarrow/_flight.*.so",
    "pyarrow/libarrow_s3.so*",
    "pyarrow/_s3fs.*.so",
    "pyarrow/_pyarrow_cpp_tests.*.so",
    "cryptography",
    "cryptography-*.dist-info",
)
SOURCE_SUFFIXES = (".pyx", ".pxd", ".pxi", ".c", ".cpp", ".h", ".hpp")
DEDUPE_MIN_BYTES = 64 * 1024
LOAD_EVERY_LIBRARY = """\
import ctypes, sys
failed = []
for path in sys.argv[1:]:
    try:
        ctypes.CDLL(path)
    except OSError as error:
        failed.append(str(error))
print("\\n".join(failed), end="")
sys.exit(1 if failed else 0)
"""
MB = 1_000_000


def say(line: str) -> None:
    sys.stdout.write(f"slim-venv: {line}\n")


def tree_bytes(root: Path) -> int:
    return sum(
        path.lstat().st_size for path in root.rglob("*") if path.is_file() or path.is_symlink()
    )


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def prune(site: Path) -> None:
    for package in PACKAGES_WITH_TESTS:
        for tests in sorted((site / package).rglob("tests"), reverse=True):
            if tests.is_dir():
                shutil.rmtree(tests)
    for pattern in PRUNED_PATHS:
        for path in site.glob(pattern):
            remove(path)
    for path in list(site.rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and path.is_file():
            path.unlink()
        elif path.name == "__pycache__" and path.is_dir():
            shutil.rmtree(path)


def shared_libraries(site: Path) -> Iterator[Path]:
    for path in sorted(site.rglob("*.so*")):
        if path.is_file() and not path.is_symlink() and path.read_bytes()[:4] == b"\x7fELF":
            yield path


def strip(site: Path) -> None:
    strip_tool = shutil.which("strip")
    if strip_tool is None:
        raise SystemExit("slim-venv: strip is missing (apt-get install binutils)")
    ours = [path for path in shared_libraries(site) if not path.parent.name.endswith(".libs")]
    subprocess.run([strip_tool, "--strip-unneeded", *map(str, ours)], check=True)
    every = [str(path) for path in shared_libraries(site)]
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_EVERY_LIBRARY, *every],
        capture_output=True, text=True, check=False,
    )
    if loaded.returncode != 0:
        raise SystemExit(
            f"slim-venv: shared libraries that no longer load (exit {loaded.returncode}):\n"
            f"{loaded.stdout}{loaded.stderr[-3000:]}"
        )
    say(f"{len(ours)} libraries stripped, all {len(every)} load")


def dedupe(site: Path) -> None:
    first_by_digest: dict[str, Path] = {}
    for path in sorted(site.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size < DEDUPE_MIN_BYTES:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        first = first_by_digest.setdefault(digest, path)
        if first != path:
            path.unlink()
            path.symlink_to(os.path.relpath(first, path.parent))


def compile_imported(site: Path) -> None:
    for name in IMPORTED_MODULES:
        importlib.import_module(name)
    files = (getattr(module, "__file__", None) for module in list(sys.modules.values()))
    sources = sorted({  # a set: a module can sit in sys.modules under two names
        Path(file) for file in files
        if file and file.endswith(".py") and Path(file).is_relative_to(site)
    })
    for source in sources:
        py_compile.compile(str(source), cfile=str(source.with_suffix(".pyc")), doraise=True)
        source.unlink()
    say(f"{len(sources)} imported modules ship as bytecode only")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: slim-venv.py VENV")
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    if not site.is_relative_to(Path(sys.argv[1]).resolve()):
        raise SystemExit(f"slim-venv: run it with {sys.argv[1]}/bin/python, not {sys.executable}")
    for step in (prune, strip, dedupe, compile_imported):
        before = tree_bytes(site)
        step(site)
        say(f"{step.__name__}: {(tree_bytes(site) - before) / MB:+.1f} MB")
    say(f"site-packages is {tree_bytes(site) / MB:.1f} MB")


if __name__ == "__main__":
    main()
