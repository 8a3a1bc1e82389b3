"""Pure helpers of the batch writer: line splitting, retry decisions, back-off.

Rule 1: line boundaries are found exactly as influxd 1.x finds them (``scanLine`` in its
``models/points.go``): a newline ends a line unless it is escaped by a backslash or inside a
quoted string field value, so a string field holding a newline stays one point.
Rule 2: only failures that a later attempt can fix are retried: connection errors and
timeouts, 5xx and 429. A 4xx (including a partial write) is final: the server has decided.
The same policy serves the batch writer and the client's ``retry_for`` option.
"""

from __future__ import annotations

import email.utils
import random
from datetime import datetime, timezone

from .exceptions import (
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBWriteError,
)

__all__ = ["backoff_delay", "is_retryable", "retry_after", "retry_delay", "split_lines"]


def _scan(piece: bytes, state: list[int]) -> None:
    """Advance ``state`` = [fields, quoted, equals, commas] over ``piece`` (no newline)."""
    fields, quoted, equals, commas = state
    i, n = 0, len(piece)
    while i < n:
        c = piece[i]
        if c == 0x5C:  # backslash: skip the escaped byte
            i += 2
            continue
        if c == 0x20:  # space
            fields = 1
        if fields:
            if not quoted and c == 0x3D:  # '='
                equals += 1
            elif not quoted and c == 0x2C:  # ','
                commas += 1
            elif c == 0x22 and equals > commas:  # '"' opening or closing a string value
                quoted = 1 - quoted
        i += 1
    state[:] = [fields, quoted, equals, commas]


def split_lines(body: bytes) -> list[bytes]:
    """The lines of a line-protocol body, without blank lines.

    Costs one ``split`` when the body has no double quote and no backslash before a newline.
    """
    pieces = body.split(b"\n")
    if b'"' not in body and b"\\\n" not in body:
        return [p for p in pieces if p.strip()]
    lines: list[bytes] = []
    current: list[bytes] = []
    state = [0, 0, 0, 0]
    for piece in pieces:
        current.append(piece)
        _scan(piece, state)
        # A newline stays inside the line when quoted, or when escaped by an odd number of
        # trailing backslashes (the scanner skips "\<newline>" as one escaped pair).
        trailing = len(piece) - len(piece.rstrip(b"\\"))
        if state[1] or trailing % 2:
            continue
        line = b"\n".join(current)
        if line.strip():
            lines.append(line)
        current = []
        state = [0, 0, 0, 0]
    if current:
        line = b"\n".join(current)
        if line.strip():
            lines.append(line)
    return lines


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
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


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
