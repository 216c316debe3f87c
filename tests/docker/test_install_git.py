"""docker/install-git.sh, run the way the Dockerfile's final stage runs it on the real base.

The real python:3.11-slim has no git; the local stand-in has it. ``scripts/base-image
--without-git`` makes the stand-in without git and Perl, and the script installs git on it from
Debian (``--network=host``: the build reaches the Debian mirror, as on GitHub).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.docker.conftest import ROOT, engine_answers

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE_WITHOUT_GIT = "mlops-ci-base:no-git"
IMAGE = "mlops-ci-test:install-git"
MB = 1_000_000
DOCKERFILE = f"""\
FROM {BASE_WITHOUT_GIT}
COPY install-git.sh /tmp/
RUN sh /tmp/install-git.sh
"""


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    if not engine_answers():
        message = "no Docker engine answers `docker info` (scripts/docker-engine starts one)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    made = subprocess.run([str(ROOT / "scripts" / "base-image"), "--without-git",
                           BASE_WITHOUT_GIT], capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    context = tmp_path_factory.mktemp("install-git")
    (context / "Dockerfile").write_text(DOCKERFILE)
    (context / "install-git.sh").write_bytes((ROOT / "docker" / "install-git.sh").read_bytes())
    built = subprocess.run(
        ["docker", "build", "--network=host", "--tag", IMAGE, str(context)],
        capture_output=True, text=True, check=False, env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return IMAGE


def _sh(image: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "run", "--rm", "--network=none", image, "sh", "-c", script],
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_base_has_no_git_like_the_real_slim_image(image: str) -> None:
    assert _sh(BASE_WITHOUT_GIT, "command -v git").returncode != 0


def test_git_costs_a_fifth_of_a_plain_install(image: str) -> None:
    """A plain `apt-get install git` adds about 100 MB here, most of it Perl."""
    history = subprocess.run(
        ["docker", "history", "--no-trunc", "--human=false", "--format", "{{json .}}", image],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    install = [row for row in map(json.loads, history) if "install-git.sh" in row["CreatedBy"]]

    assert len(install) == 1, history
    assert int(install[0]["Size"]) < 20 * MB  # test_image.py counts on this for its size goal


def test_git_does_what_mlops_ci_runs(image: str, tmp_path: Path) -> None:
    script = """set -e
    export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@example.com
    export GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@example.com
    git init -q --bare /tmp/remote.git
    git init -q -b main /tmp/work && cd /tmp/work
    echo 1 > f && git add f && git commit -q -m one
    git tag --annotate 'churn@v1.0.0' --message 'Registering churn version v1.0.0'
    git push -q --atomic /tmp/remote.git main 'refs/tags/churn@v1.0.0'
    git --git-dir=/tmp/remote.git for-each-ref --format='%(refname) %(contents:subject)' refs/tags
    git show -s --format=%s HEAD
    """

    done = _sh(image, script)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "refs/tags/churn@v1.0.0 Registering churn version v1.0.0", "one"]


def test_https_remotes_reach_curl_not_a_missing_helper(image: str) -> None:
    """git-remote-https and libcurl are there: with no network, the connection itself fails."""
    done = _sh(image, "git ls-remote https://127.0.0.1:9/owner/repo.git")

    assert done.returncode != 0
    assert "Failed to connect" in done.stderr or "Could not connect" in done.stderr, done.stderr
    assert "not a git command" not in done.stderr


def test_perl_scripts_are_left_out_and_apt_still_works(image: str) -> None:
    done = _sh(image, "ls /usr/share/perl 2>/dev/null | wc -l; perl -e 'print 40 + 2, qq(\\n)';"
                      " test ! -e /etc/dpkg/dpkg.cfg.d/mlops-ci-git"
                      " && apt-get check -qq && echo ok")

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "42", "ok"]
