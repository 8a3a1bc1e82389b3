"""The one retry policy and the one retry loop, of the client's ``retry_for`` and the batch
writer: what is retried, back-off, ``Retry-After``, the time budget.

Rule 1: only failures that a later attempt can fix are retried: connection errors and
timeouts, 5xx and 429. A 4xx (including a partial write) is final: the server has decided.
Rule 2: one loop, :meth:`Retry.call_with_retry` (as redis-py's asyncio ``Retry``), serves
every caller; what differs between them (the budget, what to count or log at each retry,
how a foreign exception becomes an ``InfluxDBError``) is an argument, never a second loop.
Rule 3: pure: the loop is handed its clock and its sleep, so it runs (and is tested) without
an event loop of its own.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from .exceptions import (
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBWriteError,
)

__all__ = ["Retry", "backoff_delay", "is_retryable", "retry_after", "retry_delay"]

_T = TypeVar("_T")


def is_retryable(exc: BaseException) -> bool:
    """True for failures a later attempt may fix: no connection, timeout, 5xx, 429."""
    if isinstance(exc, InfluxDBConnectionError):
        return True
    if isinstance(exc, (InfluxDBWriteError, InfluxDBQueryError)):
        return exc.status == 429 or exc.status >= 500
    return False


def retry_after(exc: InfluxDBError, now: datetime | None = None) -> float | None:
    """Seconds to wait that the server asked for in ``Retry-After`` (seconds or a date)."""
    if not isinstance(exc, (InfluxDBWriteError, InfluxDBQueryError)):
        return None
    value = next((v for k, v in exc.headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_delay(
    exc: InfluxDBError,
    attempt: int,
    *,
    left: float,
    base: float,
    cap: float,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1`` after ``exc``, or None to give up:
    when ``exc`` is final, or when the wait (``Retry-After``, else the back-off) would end
    after the ``left`` seconds of the time budget."""
    if not is_retryable(exc):
        return None
    delay = retry_after(exc)
    if delay is None:
        delay = backoff_delay(attempt, base, cap, rng)
    return delay if delay <= left else None


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential back-off with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    limit = min(cap, base * (2 ** min(attempt, 60)))
    return (rng or random).uniform(0, limit)


@dataclass(frozen=True)
class Retry:
    """How long and how often a failed attempt is made again: the policy of the client's
    ``retry_for`` option and of the batch writer.

    The defaults differ between the two, on purpose: the client's ``retry_for`` is 0 (never
    retry), because its caller waits on each call, handles the error itself, and a retried
    write of points without timestamps may store them twice; the batch writer's is 60 s,
    because it writes in the background where no caller waits on one batch, and a batch
    given up is only reported. Both start the back-off at 0.1 s, doubled at each attempt up
    to 10 s, with full jitter, and honour ``Retry-After`` within the budget.

    :param retry_for: seconds after the first attempt's start during which another attempt
        may start; 0 never retries.
    :param backoff: the first back-off, in seconds.
    :param max_backoff: the longest back-off, in seconds.
    :param rng: the source of the jitter (a seeded one in tests).
    """

    retry_for: float
    backoff: float = 0.1
    max_backoff: float = 10.0
    rng: random.Random | None = field(default=None, compare=False)

    def delay(self, exc: InfluxDBError, attempt: int, left: float) -> float | None:
        """Seconds to wait before attempt ``attempt + 1`` after ``exc`` with ``left`` seconds
        of the budget left, or None to give up (see :func:`retry_delay`)."""
        return retry_delay(
            exc, attempt, left=left, base=self.backoff, cap=self.max_backoff, rng=self.rng
        )

    async def call_with_retry(
        self,
        do: Callable[[], Awaitable[_T]],
        *,
        sleep: Callable[[float], Awaitable[object]],
        clock: Callable[[], float],
        on_retry: Callable[[int, float, InfluxDBError], object] | None = None,
        error: Callable[[Exception], InfluxDBError] | None = None,
    ) -> _T:
        """``await do()``, made again after a failure a later attempt may fix, until it
        succeeds or the policy gives up; then the last error is raised.

        :param sleep: waits a number of seconds (``asyncio.sleep``).
        :param clock: the time in seconds (the running loop's ``time``).
        :param on_retry: called as ``on_retry(attempts, delay, exc)`` before each wait, with
            the number of failed attempts so far (the client logs; the writer counts).
        :param error: turns an exception that is not an ``InfluxDBError`` into one (the
            writer makes any failure of a send a final error); without it such an
            exception is raised at once, never retried.
        :raises InfluxDBError: the last attempt's error, once the policy gives up.
        """
        deadline = clock() + self.retry_for
        attempts = 0
        while True:
            try:
                return await do()
            except Exception as caught:
                if isinstance(caught, InfluxDBError):
                    exc = caught
                elif error is None:
                    raise
                else:
                    exc = error(caught)
                delay = self.delay(exc, attempts, deadline - clock())
                if delay is None:
                    if exc is caught:
                        raise
                    raise exc from caught
                attempts += 1
                if on_retry is not None:
                    on_retry(attempts, delay, exc)
            await sleep(delay)
