"""GitHub's own documents some tests check against, kept outside the repository.

``webhooks/`` holds GitHub's example webhook payloads (octokit/webhooks-examples) and
``api.github.com.openapi.json.gz`` the REST API's OpenAPI description
(github/rest-api-description). Both are read in place from ``../shared/github/`` beside the
checkout, or from the folder ``$MLOPS_CI_GITHUB_CORPUS`` names (``$GITHUB_OPENAPI_SPEC`` may
name the description's file on its own).

A user's clone has no such folder: the tests that read it skip, saying where it was looked
for. Under ``CI=true`` a missing corpus fails them instead, as a missing Docker engine fails
the Docker tests (``tests/deploy/docker_engine.py``): CI must run them. A test declares it
reads the webhook examples with ``@pytest.mark.github_corpus`` (checked before it runs, so
before a parametrised file name or a Hypothesis draw is used; ``tests.events.payloads.webhook``
checks too); the OpenAPI tests call ``require(OPENAPI)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS_ENV = "MLOPS_CI_GITHUB_CORPUS"
MARKER = "github_corpus"
CORPUS = Path(
    os.environ.get(CORPUS_ENV) or Path(__file__).resolve().parents[1].parent / "shared" / "github"
)
WEBHOOKS = CORPUS / "webhooks"
OPENAPI = Path(os.environ.get("GITHUB_OPENAPI_SPEC") or CORPUS / "api.github.com.openapi.json.gz")


def require(part: Path) -> None:
    """Skip the running test when ``part`` of the corpus (``WEBHOOKS`` or ``OPENAPI``) is
    missing or empty; fail it instead under ``CI=true``."""
    if part.is_file() or (part.is_dir() and any(part.iterdir())):
        return
    reason = (
        f"GitHub's corpus is missing: no {part} "
        f"(../shared/github beside the checkout, or ${CORPUS_ENV})"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the tests that read it: {reason}", pytrace=False)
    pytest.skip(reason)
