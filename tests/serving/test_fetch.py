"""``python -m mlops_ci.serving.fetch``, the init container of a KServe InferenceService, run as
the pod runs it (a subprocess) against the fake GitHub: the release read through the API, the
download redirected to a storage host that refuses the token, the sha256 checked."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakegithub import FakeGitHub

MODEL = b"the model's bytes"
SHA256 = hashlib.sha256(MODEL).hexdigest()
COLUMNS = json.dumps([{"name": "age", "datatype": "INT64", "nullable": False}])


@pytest.fixture
def release(fake_github: FakeGitHub) -> str:
    """The API URL of a private-looking release ``churn@v1.0.0`` holding ``model.skops``."""
    fake_github.create_repo("octo/churn")
    repo = fake_github.client().get_repo("octo/churn")
    made = repo.create_git_release("churn@v1.0.0", "churn v1.0.0", "")
    made.upload_asset_from_memory(io.BytesIO(MODEL), len(MODEL), "model.skops")
    fake_github.redirect_downloads = True
    return f"{fake_github.api_url}/repos/octo/churn/releases/tags/churn%40v1.0.0"


def fetch(release: str, folder: Path, token: str, *extra: str,
          sha256: str = SHA256) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GITHUB_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "mlops_ci.serving.fetch", "--release", release,
         "--asset", "model.skops", "--sha256", sha256, "--dir", str(folder), *extra],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


def test_fetches_the_release_asset_and_writes_the_columns(
    fake_github: FakeGitHub, release: str, tmp_path: Path
) -> None:
    done = fetch(release, tmp_path / "models", fake_github.token, "--columns", COLUMNS)

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "models" / "model.skops").read_bytes() == MODEL
    assert json.loads((tmp_path / "models" / "columns.json").read_text()) == json.loads(COLUMNS)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["columns.json",
                                                                      "model.skops"]


def test_a_checksum_that_differs_leaves_no_file_and_exits_2(
    fake_github: FakeGitHub, release: str, tmp_path: Path
) -> None:
    done = fetch(release, tmp_path / "models", fake_github.token, sha256="0" * 64)

    assert done.returncode == 2
    assert f"sha256 {SHA256}, the release records {'0' * 64}" in done.stderr
    assert list((tmp_path / "models").iterdir()) == []


def test_an_asset_the_release_lacks_exits_2_naming_it(
    fake_github: FakeGitHub, release: str, tmp_path: Path
) -> None:
    done = fetch(release.replace("v1.0.0", "v9.9.9"), tmp_path / "models", fake_github.token)

    assert done.returncode == 2
    assert "HTTP 404" in done.stderr
    assert "Traceback" not in done.stderr


def test_compile_of_a_model_that_cannot_be_loaded_says_so_and_still_exits_0(
    fake_github: FakeGitHub, release: str, tmp_path: Path
) -> None:
    done = fetch(release, tmp_path / "models", fake_github.token, "--columns", COLUMNS,
                 "--compile", "--trusted-type", "numpy.dtype")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith(
        f"not compiled: {tmp_path / 'models' / 'model.skops'}: not a skops model file")
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["columns.json",
                                                                      "model.skops"]
