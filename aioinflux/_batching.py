"""Pure helpers of the batch writer and the client's retries: retry decisions, back-off.


Rule 1: only failures that a later attempt can fix are retried: connection errors and
timeouts, 5xx and 429. A 4xx (including a partial write) is final: the server has decided.
The same policy serves the batch writer and the client's ``retry_for`` option.
"""

from __future__ import annotations

import email.utils
import random
from datetime import UTC, datetime

from .exceptions import (
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBWriteError,
)

__all__ = ["backoff_delay", "is_retryable", "retry_after", "retry_delay"]


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
