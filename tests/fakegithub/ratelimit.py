"""The primary rate limit: a budget of requests per window, reported on every response."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(slots=True)
class RateBudget:
    """``remaining`` requests left until ``reset`` (epoch seconds); at 0 GitHub answers 403."""

    limit: int = 5000
    remaining: int = 5000
    reset: int = 0
    window_seconds: int = 3600

    def __post_init__(self) -> None:
        if not self.reset:
            self.reset = int(time.time()) + self.window_seconds

    @property
    def used(self) -> int:
        return self.limit - self.remaining

    def refresh(self) -> None:
        """A new window once ``reset`` has passed, as GitHub's budget does."""
        if time.time() >= self.reset:
            self.remaining = self.limit
            self.reset = int(time.time()) + self.window_seconds

    def consume(self) -> bool:
        """Spend one request; False (and nothing spent) when the budget is exhausted."""
        self.refresh()
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": "core",
        }

    def overview(self) -> dict[str, object]:
        """The body of ``GET /rate_limit``."""
        core = {"limit": self.limit, "remaining": self.remaining, "reset": self.reset,
                "used": self.used}
        fresh = {"limit": 5000, "remaining": 5000, "reset": self.reset, "used": 0}
        return {"resources": {"core": core, "search": fresh, "graphql": fresh,
                              "integration_manifest": fresh, "code_scanning_upload": fresh},
                "rate": core}
