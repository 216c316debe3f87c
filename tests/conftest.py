"""Fixtures shared by the whole test tree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakegithub import FakeGitHub


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A fresh fake GitHub server (``tests/fakegithub``) on 127.0.0.1, stopped afterwards.

    Fails the test if the fake itself raised while answering (a defect of the fake, answered
    500), so a test never passes on the fake's bug.
    """
    with FakeGitHub() as server:
        yield server
    assert not server.internal_errors, "\n".join(server.internal_errors)
