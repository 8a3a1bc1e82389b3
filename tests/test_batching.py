"""Pure helpers of the batch writer and the client: retries, back-off, the retry loop."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from aioinflux import InfluxDBConnectionError, InfluxDBError, InfluxDBQueryError, InfluxDBWriteError
from aioinflux._batching import (
    Retry,
    backoff_delay,
    is_retryable,
    retry_after,
    retry_delay,
)


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (InfluxDBConnectionError("refused", url="u"), True),
        (InfluxDBWriteError("x", status=500), True),
        (InfluxDBWriteError("x", status=503), True),
        (InfluxDBWriteError("x", status=429), True),
        (InfluxDBWriteError("partial write: x dropped=1", status=400), False),
        (InfluxDBWriteError("database not found", status=404), False),
        (InfluxDBWriteError("authorization failed", status=401), False),
        (InfluxDBQueryError("x", status=500, errors=[]), True),
        (InfluxDBQueryError("x", status=429, errors=[]), True),
        (InfluxDBQueryError("error parsing query", status=400, errors=[]), False),
        (InfluxDBQueryError("statement 0: x", status=200, errors=[(0, "x")]), False),
        (InfluxDBError("unexpected answer"), False),
    ],
)
def test_is_retryable(exc, retry):
    assert is_retryable(exc) is retry


def test_retry_delay_gives_up_on_final_errors_and_at_the_end_of_the_budget():
    rng = random.Random(1)
    final = InfluxDBWriteError("partial write: x dropped=1", status=400)
    assert retry_delay(final, 0, left=60, base=0.1, cap=10, rng=rng) is None
    busy = InfluxDBQueryError("busy", status=503, errors=[], headers={"Retry-After": "5"})
    assert retry_delay(busy, 0, left=60, base=0.1, cap=10, rng=rng) == 5.0
    assert retry_delay(busy, 0, left=4.9, base=0.1, cap=10, rng=rng) is None
    refused = InfluxDBConnectionError("refused", url="u")
    delay = retry_delay(refused, 2, left=60, base=0.1, cap=10, rng=rng)
    assert delay is not None
    assert 0 <= delay <= 0.4
    assert retry_delay(refused, 2, left=0, base=0.1, cap=10, rng=random.Random(2)) is None


def test_retry_after_seconds_and_dates():
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert retry_after(InfluxDBWriteError("x", status=503, headers={"Retry-After": "3"})) == 3.0
    assert (
        retry_after(InfluxDBWriteError("x", status=429, headers={"retry-after": later}), now) == 7.0
    )
    assert retry_after(InfluxDBWriteError("x", status=503, headers={"Retry-After": "soon"})) is None
    assert retry_after(InfluxDBWriteError("x", status=503)) is None
    assert retry_after(InfluxDBConnectionError("x", url="u")) is None
    query_error = InfluxDBQueryError("x", status=429, errors=[], headers={"Retry-After": "2"})
    assert retry_after(query_error) == 2.0


def test_backoff_grows_exponentially_up_to_the_cap_with_full_jitter():
    rng = random.Random(1)
    for attempt, limit in [(0, 0.1), (1, 0.2), (3, 0.8), (10, 5.0), (500, 5.0)]:
        delays = [backoff_delay(attempt, 0.1, 5.0, rng) for _ in range(200)]
        assert all(0 <= d <= limit for d in delays)
        assert max(delays) > limit * 0.8  # jitter spans the range


class _Clock:
    """A clock that only moves when the loop under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _attempts(*outcomes):
    """A coroutine function failing with each exception of ``outcomes``, then returning the
    first non-exception."""
    calls = []

    async def do():
        outcome = outcomes[len(calls)]
        calls.append(outcome)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return do, calls


def _run(coroutine):
    import asyncio

    return asyncio.run(coroutine)


def test_the_retry_loop_retries_what_may_pass_and_reports_each_retry():
    clock = _Clock()
    busy = InfluxDBWriteError("busy", status=503, headers={"Retry-After": "2"})
    refused = InfluxDBConnectionError("refused", url="u")
    do, calls = _attempts(busy, refused, "stored")
    seen = []
    policy = Retry(60, rng=random.Random(1))
    result = _run(
        policy.call_with_retry(
            do, sleep=clock.sleep, clock=clock, on_retry=lambda *a: seen.append(a)
        )
    )
    assert result == "stored"
    assert len(calls) == 3
    assert clock.sleeps[0] == 2.0  # Retry-After, not the back-off
    assert 0 <= clock.sleeps[1] <= 0.2  # the back-off of the second attempt
    assert seen == [(1, 2.0, busy), (2, clock.sleeps[1], refused)]


def test_the_retry_loop_gives_up_on_a_final_error_and_at_the_end_of_the_budget():
    clock = _Clock()
    final = InfluxDBWriteError("partial write: x dropped=1", status=400)
    do, calls = _attempts(final, "never")
    with pytest.raises(InfluxDBWriteError) as info:
        _run(Retry(60).call_with_retry(do, sleep=clock.sleep, clock=clock))
    assert info.value is final
    assert len(calls) == 1
    busy = InfluxDBWriteError("busy", status=503, headers={"Retry-After": "4"})
    do, calls = _attempts(busy, busy, busy, "never")
    with pytest.raises(InfluxDBWriteError):
        _run(Retry(10).call_with_retry(do, sleep=clock.sleep, clock=clock))
    assert len(calls) == 3  # waits of 4 s fit twice in 10 s, not a third time
    do, calls = _attempts(busy, "never")
    with pytest.raises(InfluxDBWriteError):
        _run(Retry(0).call_with_retry(do, sleep=clock.sleep, clock=clock))
    assert len(calls) == 1


def test_the_retry_loop_maps_foreign_errors_only_when_told():
    clock = _Clock()
    bug = KeyError("x")
    do, calls = _attempts(bug, "never")
    with pytest.raises(KeyError):
        _run(Retry(60).call_with_retry(do, sleep=clock.sleep, clock=clock))
    do, calls = _attempts(bug, "never")
    with pytest.raises(InfluxDBError, match="a send raised KeyError") as info:
        _run(
            Retry(60).call_with_retry(
                do,
                sleep=clock.sleep,
                clock=clock,
                error=lambda e: InfluxDBError(f"a send raised {type(e).__name__}"),
            )
        )
    assert info.value.__cause__ is bug
    assert len(calls) == 1
