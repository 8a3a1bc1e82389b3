"""Batched, retrying background writes that lose nothing.

Rule 1: data is serialized when ``write()`` is called, so bad input raises there, for the
caller; what is buffered is valid line protocol, split into lines as the server splits them.
Rule 2: memory is bounded: when ``max_pending`` lines wait, ``write()`` waits too; at most
``max_in_flight`` batches are being sent (or retried) at once.
Rule 3: nothing is lost silently: failures that a later attempt may fix (no connection,
timeouts, 5xx, 429) are retried with exponential back-off and jitter, honouring
``Retry-After``, for up to ``retry_for`` seconds; a batch that finally fails is passed to
``on_error`` and raised from ``close()`` with its lines, never dropped without a word.
Replaying a batch cannot duplicate data: InfluxDB identifies a point by measurement, tag set
and timestamp, so a second write of the same point overwrites it with the same values.
Rule 4: the writer belongs to the event loop it is first used in (in blocking mode, the
private loop of ``blocking.py``), like the client's sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _batching, _protocol
from ._types import Consistency, Precision
from .blocking import runner
from .exceptions import FailedBatch, InfluxDBBatchError, InfluxDBError
from .serialization import serialize

if TYPE_CHECKING:
    from .client import InfluxDBClient

__all__ = ["BatchWriter", "WriterStats"]

logger = logging.getLogger("aioinflux")


@dataclass
class WriterStats:
    """Counters of a :class:`BatchWriter`."""

    #: points the server accepted
    points_written: int = 0
    #: points sent again after a failed attempt (counted once per retry)
    points_retried: int = 0
    #: points in batches that finally failed
    points_failed: int = 0
    #: batches the server accepted
    batches_written: int = 0
    #: batches that finally failed
    batches_failed: int = 0
    #: attempts that failed and were retried
    retries: int = 0
    #: body bytes of accepted batches (before compression)
    bytes_written: int = 0


OnError = Callable[[list[bytes], InfluxDBError], Any]


class BatchWriter:
    """Buffers points and writes them in batches in the background.

    Get one from :meth:`InfluxDBClient.batch_writer`. Use it with ``async with`` (or with
    ``with`` in blocking mode); leaving the block flushes everything and waits for it.

    :param client: the client that sends the batches.
    :param batch_size: at most this many lines per request.
    :param flush_interval: seconds a line may wait for its batch to fill.
    :param max_pending: lines that may wait to be sent before ``write()`` waits for room;
        default 20 batches. A single ``write()`` larger than that is taken when the buffer
        is empty.
    :param max_in_flight: batches being sent (or retried) at the same time.
    :param retry_for: seconds a batch may be retried before it counts as failed.
    :param backoff: first back-off in seconds; it doubles per attempt, with full jitter.
    :param max_backoff: longest back-off in seconds.
    :param on_error: called as ``on_error(lines, error)`` (may be a coroutine function) for
        each batch that finally fails.
    :param db: database; default the client's.
    :param rp: retention policy.
    :param precision: precision of integer timestamps.
    :param consistency: write consistency (InfluxDB Enterprise).
    :param gzip: compress the bodies; default the client's ``gzip``.
    """

    def __init__(
        self,
        client: InfluxDBClient,
        *,
        batch_size: int = 5000,
        flush_interval: float = 1.0,
        max_pending: int | None = None,
        max_in_flight: int = 2,
        retry_for: float = 60.0,
        backoff: float = 0.1,
        max_backoff: float = 10.0,
        on_error: OnError | None = None,
        db: str | None = None,
        rp: str | None = None,
        precision: Precision | None = None,
        consistency: Consistency | None = None,
        gzip: bool | None = None,
    ):
        for name, value in (("batch_size", batch_size), ("max_in_flight", max_in_flight)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if max_pending is None:
            max_pending = 20 * batch_size
        if isinstance(max_pending, bool) or not isinstance(max_pending, int) or max_pending < 1:
            raise ValueError(f"max_pending must be a positive integer, got {max_pending!r}")
        for name, number in (
            ("flush_interval", flush_interval),
            ("retry_for", retry_for),
            ("backoff", backoff),
            ("max_backoff", max_backoff),
        ):
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {number!r}")
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be > 0, got {flush_interval!r}")
        if not (db or client.db):
            raise ValueError("a batch writer needs a database: pass db=... or set client.db")
        # checked now, not when the first batch is sent
        _protocol.check_write_options(precision, consistency)
        self.client = client
        self.batch_size = batch_size
        self.flush_interval = float(flush_interval)
        self.max_pending = max_pending
        self.max_in_flight = max_in_flight
        self.retry_for = float(retry_for)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.on_error = on_error
        self.db = db
        self.rp = rp
        self.precision = precision
        self.consistency = consistency
        self.gzip = gzip
        #: Counters, updated as batches are written, retried or fail.
        self.stats = WriterStats()
        self._lines: deque[bytes] = deque()
        self._failures: list[FailedBatch] = []
        self._closing = False
        self._flush_now = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Condition | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._rng = random.Random()

    @property
    def mode(self) -> str:
        """The client's mode: the writer's methods follow it."""
        return self.client.mode

    @property
    def pending(self) -> int:
        """Lines waiting to be sent (not counting batches being sent)."""
        return len(self._lines)

    @property
    def in_flight(self) -> int:
        """Batches being sent or retried."""
        return len(self._in_flight)

    def __repr__(self) -> str:
        return (
            f"<BatchWriter batch_size={self.batch_size} pending={self.pending} "
            f"in_flight={self.in_flight} {self.stats}>"
        )

    def _start(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._changed = asyncio.Condition()
            self._flusher = loop.create_task(self._flush_loop())
        elif loop is not self._loop:
            raise RuntimeError("a BatchWriter is used from the event loop it started in only")
        assert self._changed is not None
        return self._changed

    # -- public API --------------------------------------------------------------------------

    @runner
    async def write(
        self,
        /,
        data: Any,
        measurement: str | None = None,
        tag_columns: list[str] | None = None,
        **extra_tags: Any,
    ) -> None:
        """Serialize ``data`` now and queue its lines; wait while the buffer is full.

        Accepts everything :meth:`InfluxDBClient.write` accepts.

        :raises ValueError: or TypeError, for data that cannot be written (nothing is queued).
        :raises RuntimeError: after :meth:`close`.
        """
        if self._closing:
            raise RuntimeError("this BatchWriter is closed")
        body = serialize(data, measurement, tag_columns, self.precision, **extra_tags)
        lines = _batching.split_lines(body)
        if not lines:
            return
        changed = self._start()
        async with changed:
            await changed.wait_for(
                lambda: not self._lines or len(self._lines) + len(lines) <= self.max_pending
            )
            if self._closing:
                raise RuntimeError("this BatchWriter is closed")
            self._lines.extend(lines)
            changed.notify_all()

    @runner
    async def flush(self) -> None:
        """Send everything queued so far, without waiting for full batches, and wait for it."""
        changed = self._start()
        async with changed:
            self._flush_now = True
            changed.notify_all()
            await changed.wait_for(lambda: not self._lines and not self._in_flight)
            self._flush_now = False

    @runner
    async def close(self) -> None:
        """Flush everything, wait for it, and stop. Calling it again does nothing.

        :raises InfluxDBBatchError: listing every batch that could not be written.
        """
        if self._closing:
            return
        self._closing = True
        if self._flusher is None:
            return
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()
        await self._flusher
        if self._in_flight:
            await asyncio.gather(*self._in_flight)
        if self._failures:
            failures, self._failures = self._failures, []
            raise InfluxDBBatchError(failures)

    async def __aenter__(self) -> BatchWriter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.shield(self.close())

    def __enter__(self) -> BatchWriter:
        if self.mode != "blocking":
            raise RuntimeError("use 'async with' with a client in async mode")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()  # blocking mode (checked on entry): runs to completion

    # -- background work ---------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        changed = self._changed
        assert changed is not None
        while True:
            async with changed:
                if not self._batch_ready():
                    # when the interval is up, send what there is
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(
                            changed.wait_for(self._batch_ready), self.flush_interval
                        )
                if not self._lines:
                    if self._closing:
                        return
                    continue
                # a free slot before taking the lines, so that waiting keeps them counted
                await changed.wait_for(lambda: len(self._in_flight) < self.max_in_flight)
                count = min(self.batch_size, len(self._lines))
                batch = [self._lines.popleft() for _ in range(count)]
                task = asyncio.get_running_loop().create_task(self._run_batch(batch))
                self._in_flight.add(task)
                changed.notify_all()

    def _batch_ready(self) -> bool:
        # a full batch; or closing (send the rest, or stop); or a flush with lines queued
        return (
            len(self._lines) >= self.batch_size
            or self._closing
            or (self._flush_now and bool(self._lines))
        )

    async def _run_batch(self, batch: list[bytes]) -> None:
        changed = self._changed
        assert changed is not None
        try:
            await self._send(batch)
        finally:
            async with changed:
                self._in_flight.discard(asyncio.current_task())
                changed.notify_all()

    async def _send(self, batch: list[bytes]) -> None:
        body = b"\n".join(batch)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_for
        attempt = 0
        while True:
            try:
                await self.client._post_write(
                    body,
                    db=self.db,
                    precision=self.precision,
                    rp=self.rp,
                    consistency=self.consistency,
                    gzip=self.gzip,
                )
            except InfluxDBError as exc:
                delay = _batching.retry_delay(
                    exc,
                    attempt,
                    left=deadline - loop.time(),
                    base=self.backoff,
                    cap=self.max_backoff,
                    rng=self._rng,
                )
                if delay is not None:
                    attempt += 1
                    self.stats.retries += 1
                    self.stats.points_retried += len(batch)
                    logger.debug("%d lines: retry in %.2fs: %s", len(batch), delay, exc)
                    await asyncio.sleep(delay)
                    continue
                await self._fail(batch, exc)
                return
            self.stats.points_written += len(batch)
            self.stats.batches_written += 1
            self.stats.bytes_written += len(body)
            return

    async def _fail(self, batch: list[bytes], exc: InfluxDBError) -> None:
        self.stats.points_failed += len(batch)
        self.stats.batches_failed += 1
        self._failures.append(FailedBatch(batch, exc))
        logger.error("a batch of %d lines could not be written: %s", len(batch), exc)
        if self.on_error is not None:
            try:
                result = self.on_error(batch, exc)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("on_error raised for a failed batch (the batch stays reported)")
