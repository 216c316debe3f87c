"""When and how long to retry a request to the forge, and when never to.

The rule (DESIGN.md, "Retries"): GET, PATCH, PUT and DELETE are retried on 5xx and network
errors with bounded, jittered exponential backoff. A POST is never repeated blindly: a lost
response may hide a write that happened, and repeating it duplicates the object. After a
failed POST the caller's read-back (a lookup by the idempotency key) runs first, and the POST
is sent again only if it finds nothing. Rate limits (403 or 429 alike) wait for
``Retry-After``, else for ``X-RateLimit-Reset`` when ``X-RateLimit-Remaining`` is 0, else for
a fallback; a rate-limited request was not performed, so even a POST is sent again. Every
wait counts against a total cap; past it, or past the attempt limit, ``ExternalError`` (exit 3)
says what was tried, how often, and the last status.

This module knows nothing of PyGithub: the caller passes a ``classify`` function that turns
its client's exceptions into a ``Failure``. ``sleep``, ``clock`` and ``rand`` are injected so
tests run in no time.
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NoReturn, TypeVar

from mlops_ci.errors import ExternalError

T = TypeVar("T")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds of the retry loop for one operation. All durations in seconds."""

    attempts: int = 6  # requests per operation, the first one included
    base_delay: float = 1.0  # first backoff; doubles per attempt
    max_delay: float = 30.0  # one backoff never exceeds this
    jitter: float = 0.25  # each backoff is scaled by a random factor in [1 - j, 1 + j]
    total_wait: float = 300.0  # the sum of all waits of one operation never exceeds this
    rate_limit_fallback: float = 60.0  # a rate limit that names no time: GitHub asks for >= 1 min
    reset_margin: float = 1.0  # added to X-RateLimit-Reset (whole seconds, clocks differ)

    def scaled(self, factor: float) -> RetryPolicy:
        """The same policy with every own delay multiplied by ``factor`` (for tests).

        Waits the server asks for (``Retry-After``, ``X-RateLimit-Reset``) are not scaled.
        """
        return replace(
            self,
            base_delay=self.base_delay * factor,
            max_delay=self.max_delay * factor,
            rate_limit_fallback=self.rate_limit_fallback * factor,
            reset_margin=self.reset_margin * factor,
        )


class FailureKind(enum.Enum):
    SERVER = "server error"  # 5xx: may have been performed (for a POST: read back first)
    NETWORK = "network error"  # timeout, reset, lost response: may have been performed
    RATE_LIMITED = "rate limited"  # not performed; wait and send again
    READ_ONLY = "read-only token"  # the token may not write here; no point retrying
    FATAL = "refused"  # bad credentials and the like; retrying cannot help


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt, as the retry loop needs to see it."""

    kind: FailureKind
    detail: str  # already free of secrets
    status: int | None = None
    retry_after: float | None = None  # seconds, from Retry-After
    reset_at: float | None = None  # epoch seconds, when X-RateLimit-Remaining was 0


class ForgeReadOnly(ExternalError):
    """The token may not make this write (a fork's pull request, a read-only token).

    The forge turns it into ``Outcome.READ_ONLY`` results; callers then report in the job
    summary instead of failing the run.
    """


class UncertainWrite(ExternalError):
    """A POST without a read-back failed in a way that hides whether it took effect."""


Classifier = Callable[[Exception], Failure | None]


class Retrier:
    """Runs requests under a ``RetryPolicy``; see the module docstring for the rules."""

    def __init__(
        self,
        policy: RetryPolicy,
        classify: Classifier,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self._classify = classify
        self._sleep = sleep
        self._clock = clock
        self._rand = rand

    def call(self, what: str, method: str, request: Callable[[], T]) -> T:
        """``request()`` retried as its method allows.

        A POST here has no read-back: it is sent again only after a rate limit, and an
        ambiguous failure raises ``UncertainWrite``.
        """
        run = _Run(self, what)
        while True:
            try:
                return request()
            except Exception as error:
                failure = run.failed(error)
                if failure.kind is FailureKind.RATE_LIMITED:
                    run.wait_for_rate_limit(failure)
                    continue
                if method.upper() not in IDEMPOTENT_METHODS:
                    raise UncertainWrite(
                        f"{what}: {failure.detail}; it may or may not have taken effect",
                        attempts=run.attempts,
                        hint="check the repository before running again",
                    ) from None
                run.back_off(failure)

    def post(self, what: str, request: Callable[[], T], read_back: Callable[[], T | None]) -> T:
        """``request()`` (a POST creating an object), made safe by ``read_back``.

        After a 5xx or a network error, ``read_back()`` (itself retried as a GET) looks for
        the object by its idempotency key; if it is there, that is the result, else the POST
        is sent again.
        """
        run = _Run(self, what)
        while True:
            try:
                return request()
            except Exception as error:
                failure = run.failed(error)
                if failure.kind is FailureKind.RATE_LIMITED:
                    run.wait_for_rate_limit(failure)
                    continue
                run.back_off(failure)
                found = self.call(f"read back after {what}", "GET", read_back)
                if found is not None:
                    return found


class _Run:
    """The bookkeeping of one operation: attempts made, time waited, the last failure."""

    def __init__(self, retrier: Retrier, what: str) -> None:
        self.retrier = retrier
        self.what = what
        self.attempts = 0
        self.waited = 0.0

    def failed(self, error: Exception) -> Failure:
        """Classify ``error``; re-raise what is not ours to handle, give up when we must."""
        self.attempts += 1
        failure = self.retrier._classify(error)
        if failure is None:
            raise error
        if failure.kind is FailureKind.READ_ONLY:
            raise ForgeReadOnly(
                f"{self.what}: {failure.detail}",
                hint="the token cannot write here (a fork's pull request or a read-only token);"
                " the report goes to the job summary instead",
            ) from None
        if failure.kind is FailureKind.FATAL:
            raise ExternalError(f"{self.what}: {failure.detail}", attempts=self.attempts) from None
        if self.attempts >= self.retrier.policy.attempts:
            self.give_up(failure, "no attempts left")
        return failure

    def back_off(self, failure: Failure) -> None:
        policy = self.retrier.policy
        delay = min(policy.max_delay, policy.base_delay * 2 ** (self.attempts - 1))
        factor = 1 - policy.jitter + 2 * policy.jitter * self.retrier._rand()
        self.wait(failure, delay * factor)

    def wait_for_rate_limit(self, failure: Failure) -> None:
        policy = self.retrier.policy
        if failure.retry_after is not None:
            delay = failure.retry_after
        elif failure.reset_at is not None:
            delay = max(failure.reset_at - self.retrier._clock(), 0.0) + policy.reset_margin
        else:
            delay = policy.rate_limit_fallback
        self.wait(failure, delay)

    def wait(self, failure: Failure, delay: float) -> None:
        delay = max(delay, 0.0)
        if self.waited + delay > self.retrier.policy.total_wait:
            self.give_up(
                failure,
                f"waiting {delay:.0f}s more would exceed the cap of"
                f" {self.retrier.policy.total_wait:.0f}s",
            )
        self.waited += delay
        self.retrier._sleep(delay)

    def give_up(self, failure: Failure, why: str) -> NoReturn:
        status = f"last status {failure.status}" if failure.status else "no response"
        raise ExternalError(
            f"{self.what}: {failure.kind.value} ({status}: {failure.detail});"
            f" {why} after {self.attempts} attempts and {self.waited:.1f}s of waiting",
            attempts=self.attempts,
            hint="GitHub may be having an outage (https://www.githubstatus.com); rerun the job",
        ) from None
