"""Fixtures shared by the whole test tree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakegithub import FakeGitHub
from tests.github_corpus import MARKER, WEBHOOKS, require
from tests.report import browser


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: reads GitHub's webhook examples (tests/github_corpus.py)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``github_corpus`` skips without the corpus, one marked ``browser`` without
    Chromium or npm; either fails instead under ``CI=true``."""
    if item.get_closest_marker(MARKER) is not None:
        require(WEBHOOKS)
    if item.get_closest_marker(browser.MARKER) is not None:
        browser.require_browser()


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A fresh fake GitHub server (``tests/fakegithub``) on 127.0.0.1, stopped afterwards.

    Fails the test if the fake itself raised while answering (a defect of the fake, answered
    500), so a test never passes on the fake's bug.
    """
    with FakeGitHub() as server:
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)
