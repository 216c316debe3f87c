from __future__ import annotations

from tests.config.conftest import workspace, write_config

__all__ = ["workspace", "write_config"]
