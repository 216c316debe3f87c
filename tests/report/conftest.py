"""The monitoring fixtures the ``mlops-ci monitor`` rendering tests run on (a fake GitHub with
the repository, git with a pinned identity and no runner variables)."""

from __future__ import annotations

from tests.monitoring.conftest import fake, pinned_git

__all__ = ["fake", "pinned_git"]
