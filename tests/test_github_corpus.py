"""Without GitHub's corpus (a user's clone has no ``../shared``), the tests that read it skip
and the rest pass; under ``CI=true`` they fail. Played in a pytest subprocess with
``$MLOPS_CI_GITHUB_CORPUS`` pointed at an empty folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.github_corpus import CORPUS_ENV

ROOT = Path(__file__).resolve().parents[1]
# One file mixing tests that read a real payload and tests that build their own, and one
# whose every test needs the OpenAPI description.
SELECTION = ["tests/events/test_workflow_run.py", "tests/fakegithub/test_openapi.py"]


def _pytest(corpus: Path, *, ci: bool) -> tuple[int, dict[str, int], str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("CI", "GITHUB_OPENAPI_SPEC") and not key.startswith("PYTEST_")}
    env.update({CORPUS_ENV: str(corpus), "PYTHONPATH": str(ROOT)})
    if ci:
        env["CI"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", "-p",
         "no:randomly", *SELECTION],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    tail = done.stdout.strip().splitlines()[-1]
    counts = {word: int(number) for number, word in re.findall(r"(\d+) (\w+)", tail)}
    return done.returncode, counts, done.stdout


def test_without_the_corpus_its_tests_skip_saying_where_it_was_looked_for(
    tmp_path: Path,
) -> None:
    code, counts, out = _pytest(tmp_path, ci=False)
    # test_workflow_run: the real sample skipped, the 8 built payloads pass; test_openapi: 2.
    assert (code, counts) == (0, {"passed": 8, "skipped": 3}), out
    assert f"GitHub's corpus is missing: no {tmp_path / 'webhooks'}" in out
    assert f"no {tmp_path / 'api.github.com.openapi.json.gz'}" in out


def test_under_ci_a_missing_corpus_fails_its_tests(tmp_path: Path) -> None:
    code, counts, out = _pytest(tmp_path, ci=True)
    assert (code, counts) == (1, {"passed": 8, "errors": 3}), out  # failed in setup: errors
    assert out.count("CI must run the tests that read it: GitHub's corpus is missing") == 3, out
