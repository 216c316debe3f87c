"""The retry policy on its own: a scripted request, a recording sleeper and a fixed clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from mlops_ci.errors import EXIT_EXTERNAL_ERROR, ExternalError
from mlops_ci.forge.retry import (
    Failure,
    FailureKind,
    ForgeReadOnly,
    Retrier,
    RetryPolicy,
    UncertainWrite,
)


class Answer(Exception):
    """A scripted failure; its failure is what the classifier will say."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


def classify(error: Exception) -> Failure | None:
    return error.failure if isinstance(error, Answer) else None


SERVER = Failure(FailureKind.SERVER, "Bad Gateway", 502)
NETWORK = Failure(FailureKind.NETWORK, "connection reset")
READ_ONLY = Failure(FailureKind.READ_ONLY, "Resource not accessible by integration", 403)


class Script:
    """A request that fails with the given failures in turn, then returns ``result``."""

    def __init__(self, failures: Iterable[Failure], result: str = "ok") -> None:
        self.failures = list(failures)
        self.result = result
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise Answer(self.failures.pop(0))
        return self.result


def constant(value: float) -> Callable[[], float]:
    return lambda: value


def make(policy: RetryPolicy | None = None, now: float = 1_000.0) -> tuple[Retrier, list[float]]:
    slept: list[float] = []
    retrier = Retrier(
        policy or RetryPolicy(), classify, sleep=slept.append, clock=lambda: now, rand=lambda: 0.5
    )
    return retrier, slept


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_idempotent_methods_are_retried_on_5xx_and_network_errors(method: str) -> None:
    retrier, slept = make()
    request = Script([SERVER, NETWORK, SERVER])
    assert retrier.call("op", method, request) == "ok"
    assert request.calls == 4
    assert slept == [1.0, 2.0, 4.0]  # exponential; rand 0.5 means no jitter


def test_backoff_is_jittered_within_bounds_and_capped() -> None:
    policy = RetryPolicy(attempts=10, base_delay=1.0, max_delay=5.0, jitter=0.25)
    for rand, factor in ((0.0, 0.75), (1.0, 1.25)):
        slept: list[float] = []
        retrier = Retrier(policy, classify, sleep=slept.append, rand=constant(rand))
        retrier.call("op", "GET", Script([SERVER] * 5))
        assert slept == [d * factor for d in (1.0, 2.0, 4.0, 5.0, 5.0)]


def test_post_without_read_back_is_never_repeated_after_a_server_error() -> None:
    retrier, slept = make()
    request = Script([SERVER])
    with pytest.raises(UncertainWrite) as raised:
        retrier.call("POST /dispatches", "POST", request)
    assert request.calls == 1
    assert slept == []
    assert "may or may not have taken effect" in raised.value.message


def test_post_reads_back_and_returns_what_the_lost_write_created() -> None:
    retrier, _ = make()
    request = Script([NETWORK], result="second object")
    reads: list[int] = []

    def read_back() -> str | None:
        reads.append(1)
        return "the object"

    assert retrier.post("create", request, read_back) == "the object"
    assert request.calls == 1
    assert len(reads) == 1


def test_post_is_sent_again_only_when_the_read_back_finds_nothing() -> None:
    retrier, _ = make()
    request = Script([SERVER], result="created")
    assert retrier.post("create", request, lambda: None) == "created"
    assert request.calls == 2


def test_read_back_is_itself_retried() -> None:
    retrier, _ = make()
    read_back = Script([SERVER], result="found")
    assert retrier.post("create", Script([NETWORK]), read_back) == "found"
    assert read_back.calls == 2


def test_retry_after_is_honoured_for_403_and_429_and_even_a_post_is_resent() -> None:
    retrier, slept = make()
    limited_403 = Failure(FailureKind.RATE_LIMITED, "secondary rate limit", 403, retry_after=7)
    limited_429 = Failure(FailureKind.RATE_LIMITED, "too many", 429, retry_after=3)
    request = Script([limited_403, limited_429])
    assert retrier.call("POST /dispatches", "POST", request) == "ok"
    assert slept == [7, 3]


def test_rate_limit_reset_is_used_when_remaining_is_zero_and_no_retry_after() -> None:
    retrier, slept = make(RetryPolicy(reset_margin=1.0), now=1_000.0)
    exhausted = Failure(FailureKind.RATE_LIMITED, "API rate limit exceeded", 429, reset_at=1_010.0)
    assert retrier.call("op", "GET", Script([exhausted])) == "ok"
    assert slept == [11.0]


def test_rate_limit_without_any_hint_waits_the_fallback() -> None:
    retrier, slept = make(RetryPolicy(rate_limit_fallback=60.0))
    bare = Failure(FailureKind.RATE_LIMITED, "too many requests", 429)
    retrier.call("op", "GET", Script([bare]))
    assert slept == [60.0]


def test_total_wait_cap_stops_before_sleeping_past_it() -> None:
    retrier, slept = make(RetryPolicy(total_wait=100.0))
    long_wait = Failure(FailureKind.RATE_LIMITED, "secondary rate limit", 403, retry_after=60)
    with pytest.raises(ExternalError) as raised:
        retrier.call("GET /repos/o/r/releases", "GET", Script([long_wait] * 3))
    assert slept == [60]
    error = raised.value
    assert error.exit_code == EXIT_EXTERNAL_ERROR
    assert error.attempts == 2
    assert "rate limited (last status 403" in error.message
    assert "cap of 100s" in error.message


def test_gives_up_after_the_attempt_limit_naming_what_how_often_and_the_status() -> None:
    retrier, slept = make(RetryPolicy(attempts=3))
    with pytest.raises(ExternalError) as raised:
        retrier.call("PATCH /repos/o/r/issues/comments/1", "PATCH", Script([SERVER] * 5))
    assert len(slept) == 2
    text = str(raised.value)
    assert "PATCH /repos/o/r/issues/comments/1" in text
    assert "last status 502" in text
    assert "gave up after 3 attempts" in text


def test_read_only_is_raised_at_once_as_its_own_kind() -> None:
    retrier, slept = make()
    with pytest.raises(ForgeReadOnly) as raised:
        retrier.call("POST comment", "POST", Script([READ_ONLY]))
    assert slept == []
    assert "Resource not accessible by integration" in raised.value.message


def test_unclassified_errors_pass_through_unchanged() -> None:
    retrier, _ = make()

    def request() -> str:
        raise KeyError("not ours")

    with pytest.raises(KeyError):
        retrier.call("op", "GET", request)


def test_scaled_policy_scales_own_delays_only() -> None:
    policy = RetryPolicy().scaled(0.01)
    assert policy.base_delay == pytest.approx(0.01)
    assert policy.rate_limit_fallback == pytest.approx(0.6)
    assert policy.total_wait == RetryPolicy().total_wait


def _never(_: float) -> None:
    raise AssertionError("must not sleep")


def test_success_first_time_sleeps_never() -> None:
    retrier = Retrier(RetryPolicy(), classify, sleep=_never)
    call: Callable[[], str] = Script([])
    assert retrier.call("op", "GET", call) == "ok"
