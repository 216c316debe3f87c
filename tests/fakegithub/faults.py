"""Faults the fake GitHub injects on chosen requests, and the rules that pick them.

A rule matches requests by method and a regular expression searched in the URL path
(``/api/v3/...`` or ``/api/uploads/...``, without the query). Matching requests are counted
per rule from 1; the ``nth`` one and the ``times - 1`` matching requests after it get the fault.
"""

from __future__ import annotations

import enum
import re
import threading
from dataclasses import dataclass


class Fault(enum.Enum):
    """What goes wrong, each as a client of the real GitHub would observe it."""

    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    TIMEOUT = "timeout"
    """The server sleeps (default 2 s), does NOT perform the request, then closes the socket."""
    LOST_RESPONSE = "lost_response"
    """The server performs the request (the write happens), then closes the socket unanswered."""
    SLOW_RESPONSE = "slow_response"
    """The server performs the request at once, then waits (the ``sleep``) before answering:
    what two racing clients see when each read is answered after the other's write began."""
    SECONDARY_RATE_LIMIT = "secondary_rate_limit"
    """403 with GitHub's secondary-rate-limit message and ``Retry-After: 1``."""
    RATE_LIMIT_429 = "rate_limit_429"
    """429 with ``Retry-After: 1``."""
    RATE_LIMIT_429_NO_RETRY_AFTER = "rate_limit_429_no_retry_after"
    """429 without Retry-After, ``X-RateLimit-Remaining: 0`` and ``X-RateLimit-Reset: now+1``."""


@dataclass(slots=True)
class FaultRule:
    """One injected fault: which requests it hits and how many of them."""

    fault: Fault
    method: str | None
    path_pattern: re.Pattern[str] | None
    nth: int
    times: int
    sleep_seconds: float
    matched: int = 0

    def claims(self, method: str, path: str) -> bool:
        """Count the request if it matches; True when this request gets the fault."""
        if self.method is not None and self.method != method:
            return False
        if self.path_pattern is not None and not self.path_pattern.search(path):
            return False
        self.matched += 1
        return self.nth <= self.matched < self.nth + self.times


class FaultPlan:
    """The rules injected into one fake server, consulted once per request, thread-safe."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        if rule.nth < 1 or rule.times < 1:
            raise ValueError(f"nth and times count from 1, got nth={rule.nth} times={rule.times}")
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The first rule whose turn it is; every matching rule counts the request."""
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if rule.claims(method, path) and chosen is None:
                    chosen = rule
        return chosen
