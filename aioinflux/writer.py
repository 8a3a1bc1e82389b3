"""Batched, retrying background writes that lose nothing.

Rule 1: data is serialized when ``write()`` is called (``serialization.write_lines()``, the
dispatcher ``client.write()`` uses), so bad input raises there, for the caller; what is
buffered is valid line protocol, as bodies of whole lines with their number (``Lines``),
each slice packed by ``serialization.bodies()`` (the packer ``client.write()`` uses) into
pieces of ``batch_size`` lines. A batch is cut from them at a line boundary found by
counting newlines in C: no Python object or loop step per line between ``write()`` and the
socket. Where a slice is encoded is said by serialization (``LineSlices.on_demand``: a
DataFrame's slices in the worker thread), never guessed.
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
Rule 5: lines go where they were told to go when they were queued: the destination
(database, retention policy, precision, consistency) is fixed by ``write()``, and a batch
never mixes destinations.
Rule 6: the background work is never cancelled by the caller's cancellation: a cancelled
``close()`` stops waiting, the writer keeps sending and reporting failures, and a later
``close()`` waits for the rest and raises them. Any exception of a send is a failed batch,
reported with its lines.
Rule 7: a block that ends by cancellation, ``KeyboardInterrupt`` or ``SystemExit`` is a
stop: the writer sends what it holds for at most ``grace`` seconds, then gives up on the
rest, which goes to ``on_error`` and to one ERROR record naming the number of lines, and
the cancellation or interrupt goes on unchanged. Nothing else ends the background work
early; lines of a batch whose task is cancelled by someone else (the loop ending) go back
to the queue, so that the counts and the warning of a writer never closed tell the truth.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import inspect
import logging
import os
import random
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, cast

from . import _batching, _config
from ._spool import SEGMENT_BYTES, Spool
from ._types import Consistency, Precision
from .blocking import in_worker, is_private_loop, run_to_end, runner
from .exceptions import FailedBatch, InfluxDBBatchError, InfluxDBError
from .serialization import Lines, LineSlices, bodies, write_lines
from .serialization._stamp import stamped

__all__ = ["BatchWriter", "WriterStats"]


class _Owner(Protocol):
    """What the writer reads of the client that made it: public settings only."""

    @property
    def mode(self) -> str: ...

    @property
    def db(self) -> str | None: ...


class _Send(Protocol):
    """Sends one encoded body to ``/write`` and raises unless the server stored it; given to
    the writer by the client (the writer never reaches into the client)."""

    async def __call__(
        self,
        body: bytes,
        *,
        db: str | None,
        precision: Precision | None,
        rp: str | None,
        consistency: Consistency | None,
        gzip: bool | None,
    ) -> None: ...


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
    #: lines in the writer's spool that the server has not stored yet (with ``spool=``)
    spooled_lines: int = 0
    #: bytes of the spool's files (with ``spool=``)
    spooled_bytes: int = 0


OnError = Callable[[list[bytes], InfluxDBError], Any]

#: keywords of ``write()`` that name an option of a write or of the writer: refused, never
#: written as tags (``writer.write(data, gzip=True)`` would otherwise store a tag gzip=True)
_NOT_TAGS = {
    "progress": "the writer reports its progress in writer.stats",
    "gzip": "compression is the writer's option: client.batch_writer(gzip=True)",
    **{
        name: f"{name} is an option of the writer: client.batch_writer({name}=...)"
        for name in (
            "batch_size",
            "flush_interval",
            "max_pending",
            "max_in_flight",
            "retry_for",
            "backoff",
            "max_backoff",
            "on_error",
            "grace",
            "spool",
            "spool_max_bytes",
            "spool_fsync",
        )
    },
}


@dataclass(frozen=True)
class _Destination:
    """Where lines go, fixed when they are queued."""

    db: str
    rp: str | None
    precision: Precision | None
    consistency: Consistency | None


class _Run:
    """Lines queued for one destination: the bodies of the writes, taken from the front a
    batch at a time (a batch costs one slice of a body, or a few at the seams of writes)."""

    __slots__ = ("chunks", "first", "offset", "size")

    def __init__(self) -> None:
        self.chunks: deque[Lines] = deque()
        self.first = 0  # the first line of chunks[0] not taken yet...
        self.offset = 0  # ...starts here
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def extend(self, lines: Lines) -> None:
        self.chunks.append(lines)
        self.size += lines.count

    def take(self, count: int) -> list[Lines]:
        """The next ``count`` lines (or fewer, all there are), as parts of the bodies."""
        parts = []
        while count and self.chunks:
            chunk = self.chunks[0]
            taken = min(count, chunk.count - self.first)
            part, self.offset = chunk.part(self.first, self.offset, taken)
            parts.append(part)
            self.first += taken
            if self.first == chunk.count:
                self.chunks.popleft()
                self.first = self.offset = 0
            count -= taken
            self.size -= taken
        return parts


@dataclass
class _OutgoingBatch:
    """Lines taken from the queue for one request, from the moment they are taken until
    they are written, failed or put back."""

    destination: _Destination
    parts: list[Lines]
    #: number of lines
    count: int
    #: number of the first line, counting every line ever queued (flush() waits by it)
    start: int
    #: written, failed or given up: counted once, whatever happens to its task afterwards
    done: bool = False

    def body(self) -> bytes:
        if len(self.parts) == 1:
            return self.parts[0].body
        return b"\n".join(part.body for part in self.parts)

    def lines(self) -> list[bytes]:
        """Each line on its own: made only to report a failed batch."""
        return [line for part in self.parts for line in part.lines()]


class BatchWriter:
    """Buffers points and writes them in batches in the background.

    Get one from :meth:`InfluxDBClient.batch_writer`. Use it with ``async with`` (or with
    ``with`` in blocking mode); leaving the block flushes everything and waits for it. A
    block that ends by cancellation, ``KeyboardInterrupt`` or ``SystemExit`` (Ctrl-C,
    SIGTERM, a timeout) sends what the writer holds for at most ``grace`` seconds, reports
    what it could not send, and lets the cancellation or interrupt go on (see
    :doc:`services`).

    :param client: the client the writer belongs to: its mode and default database are
        followed.
    :param send: the coroutine function that sends a batch, given by the client.
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
        each batch that finally fails, and once with every line a stop gave up on.
    :param db: database; default the client's :attr:`~InfluxDBClient.db` at the time of
        each ``write()``.
    :param rp: retention policy.
    :param precision: precision of integer timestamps.
    :param consistency: write consistency (InfluxDB Enterprise).
    :param gzip: compress the bodies; default the client's ``gzip``.
    :param grace: seconds the writer goes on sending what it holds when its block ends by
        cancellation, ``KeyboardInterrupt`` or ``SystemExit`` (Ctrl-C, SIGTERM, a timeout
        around the block); 0 for none. What is still unsent then is passed to ``on_error``
        and logged at ERROR, and the cancellation or interrupt goes on.
    :param spool: a directory (made if missing) where every line ``write()`` accepts is
        kept on disk until the server stored it, so that lines survive the process being
        killed: a writer opened on the same directory sends what it holds first. A line
        without a timestamp is given the time ``write()`` accepted it. One writer per
        directory. See :ref:`spool`.
    :param spool_max_bytes: the most bytes the spool's files hold (default 1 GiB): when it
        is reached, ``write()`` waits for room, as it waits for ``max_pending``.
    :param spool_fsync: ``os.fsync`` each write to the spool before ``write()`` returns, so
        that its lines survive a power cut too (without it they survive the process being
        killed, not the machine going down).

    ``db``, ``rp``, ``precision`` and ``consistency`` (and the client's ``db``) may be changed
    between writes: each ``write()`` takes them as they are then, and its lines are sent
    there, whatever changes afterwards.
    """

    def __init__(
        self,
        client: _Owner,
        *,
        send: _Send,
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
        grace: float = 5.0,
        spool: str | os.PathLike[str] | None = None,
        spool_max_bytes: int = 1 << 30,
        spool_fsync: bool = False,
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
            ("grace", grace),
        ):
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {number!r}")
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be > 0, got {flush_interval!r}")
        if not (db or client.db):
            raise ValueError("a batch writer needs a database: pass db=... or set client.db")
        # checked now, not when the first batch is sent
        _config.check_write_options(precision, consistency)
        if (
            isinstance(spool_max_bytes, bool)
            or not isinstance(spool_max_bytes, int)
            or spool_max_bytes < 1
        ):
            raise ValueError(f"spool_max_bytes must be a positive integer, got {spool_max_bytes!r}")
        if spool is not None and not isinstance(spool, (str, os.PathLike)):
            raise TypeError(f"spool must be a directory (str or path), got {spool!r}")
        self.client = client
        self._send_body = send
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
        self.grace = float(grace)
        #: Counters, updated as batches are written, retried or fail.
        self.stats = WriterStats()
        # queued lines, in runs of one destination each
        self._queue: deque[tuple[_Destination, _Run]] = deque()
        self._pending = 0
        self._queued = 0  # lines ever queued
        self._taken = 0  # lines ever taken into batches
        self._unfinished = 0  # lines queued or in flight: neither written nor failed
        self._flush_mark = 0  # lines numbered below it are sent without waiting
        self._waiting = 0  # write() calls waiting for room
        self._failures: list[FailedBatch] = []
        self._closing = False
        self._stopped = False  # stopped by a cancellation or an interrupt: see _stop()
        self._last_error: InfluxDBError | None = None  # of the last failed attempt
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Condition | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._in_flight: dict[asyncio.Task[None], _OutgoingBatch] = {}
        self._rng = random.Random()
        # lines on disk until written (see _spool.py): opened last, as it takes a lock
        self._spool: Spool | None = None
        self._acked = 0  # lines (numbered as queued) acknowledged to the spool
        self._done: dict[int, int] = {}  # batches ended out of order: start -> count
        if spool is not None:
            self._spool = Spool(
                spool,
                max_bytes=spool_max_bytes,
                fsync=bool(spool_fsync),
                # files small enough that the bound is felt file by file
                segment_bytes=min(SEGMENT_BYTES, max(1 << 16, spool_max_bytes // 16)),
            )
            self._unfinished = self._spool.lines  # what a previous writer left: sent first
            self._spool_stats()

    @property
    def mode(self) -> str:
        """The client's mode: the writer's methods follow it."""
        return self.client.mode

    @property
    def pending(self) -> int:
        """Lines waiting to be sent (not counting batches being sent)."""
        return self._pending

    @property
    def in_flight(self) -> int:
        """Batches being sent or retried."""
        return len(self._in_flight)

    def __repr__(self) -> str:
        spool = "" if self._spool is None else f" spool={str(self._spool.path)!r}"
        return (
            f"<BatchWriter batch_size={self.batch_size} pending={self.pending} "
            f"in_flight={self.in_flight}{spool} {self.stats}>"
        )

    def _spool_stats(self) -> None:
        if self._spool is not None:
            self.stats.spooled_lines = self._spool.lines
            self.stats.spooled_bytes = self._spool.size

    def _start(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._changed = asyncio.Condition()
            if is_private_loop(loop):
                _ON_PRIVATE_LOOP.add(self)
        elif loop is not self._loop:
            raise RuntimeError("a BatchWriter is used from the event loop it started in only")
        if self._flusher is None or (self._flusher.done() and self._pending):
            self._flusher = loop.create_task(self._flush_loop())
        assert self._changed is not None
        return self._changed

    def _destination(
        self,
        db: str | None,
        rp: str | None,
        precision: Precision | None,
        consistency: Consistency | None,
    ) -> tuple[_Destination, int]:
        """Where a write's lines go (its own options, else the writer's, else the client's),
        and the nanoseconds per unit of its precision."""
        for name, value in (("db", db), ("rp", rp)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a str or None, got {value!r}")
            if value == "":
                raise ValueError(f"{name} must be a name or None, got ''")
        db = db or self.db or self.client.db
        if not db:
            raise ValueError("a batch writer needs a database: pass db=... or set client.db")
        destination = _Destination(
            db,
            self.rp if rp is None else rp,
            self.precision if precision is None else precision,
            self.consistency if consistency is None else consistency,
        )
        factor = _config.check_write_options(destination.precision, destination.consistency)
        return destination, factor

    # -- public API --------------------------------------------------------------------------

    @runner
    async def write(
        self,
        /,
        data: Any,
        measurement: str | None = None,
        tag_columns: list[str] | None = None,
        *,
        db: str | None = None,
        rp: str | None = None,
        precision: Precision | None = None,
        consistency: Consistency | None = None,
        **extra_tags: Any,
    ) -> None:
        """Serialize ``data`` now and queue its lines; wait while the buffer is full.

        Accepts everything :meth:`InfluxDBClient.write` accepts. The lines go to the
        database, retention policy, precision and consistency given here, else to the
        writer's in effect now (a batch never mixes destinations).

        :param data: points, as :meth:`InfluxDBClient.write` takes them.
        :param measurement: measurement of points that do not name one.
        :param tag_columns: DataFrame columns to write as tags.
        :param db: database of these lines; default the writer's ``db``, else the client's.
        :param rp: retention policy of these lines; default the writer's ``rp``.
        :param precision: precision of these lines' integer timestamps (other times are
            floored to it); default the writer's ``precision``.
        :param consistency: write consistency of these lines; default the writer's.
        :param extra_tags: tags added to every point. A keyword that names an option of a
            write or of the writer (``progress``, ``gzip``, ``batch_size``, ...) is refused
            with ``TypeError``, never written as a tag.

        A DataFrame is checked whole first, then encoded and queued slice by slice (at most
        100,000 rows, and at most ``max_pending``), each slice as room is made: a huge frame
        is never held whole as lines.

        :raises ValueError: or TypeError, for data that cannot be written (nothing is queued).
        :raises RuntimeError: after :meth:`close` (also when :meth:`close` is called while a
            DataFrame is being queued: the slices queued before it are written, the rest
            is not).
        """
        if isinstance(tag_columns, (str, bytes)):
            # client.write()'s third argument is db: writer.write(data, 'm', 'mydb') is
            # a port of it, and a str would be taken as columns named by its characters
            raise TypeError(
                f"tag_columns must be a list of column names, got {tag_columns!r}: "
                "BatchWriter.write() takes data, measurement and tag_columns by position, "
                "and db, rp, precision and consistency by keyword (db='mydb')"
            )
        refused = sorted(extra_tags.keys() & _NOT_TAGS.keys())
        if refused:
            name = refused[0]
            raise TypeError(
                f"write() got {name}={extra_tags[name]!r}: {_NOT_TAGS[name]}; a tag named "
                f"{name!r} goes in the points' own tags"
            )
        if self._closing:
            raise RuntimeError("this BatchWriter is closed")
        destination, factor = self._destination(db, rp, precision, consistency)
        stamp = time.time_ns()
        # checked whole now (bad data raises before anything is queued); a DataFrame then
        # comes slice by slice, each queued when there is room for it: never held whole
        slices = write_lines(
            data,
            measurement,
            tag_columns,
            factor=factor,
            extra_tags=extra_tags,
            slice_rows=self.max_pending,
        )
        while True:
            if not slices.on_demand:  # all but a DataFrame: encoded whole already
                pieces = _next_slice(slices, self.batch_size)
            else:
                # a DataFrame: each slice is encoded in aioinflux's worker thread, so that
                # the event loop goes on sending the batches queued before it meanwhile
                # (polars lets go of the GIL as it encodes); one slice at a time, in order
                pieces = await in_worker(_next_slice, slices, self.batch_size)
            if pieces is None:
                return
            if pieces:
                if self._spool is not None and not slices.on_demand:
                    # sent once more after a crash, a line without a time would be a
                    # second point: it gets the time it was accepted, at its precision (a
                    # DataFrame's rows all have theirs, from its index)
                    pieces = [stamped(piece, stamp // factor) for piece in pieces]
                await self._queue_lines(destination, pieces)

    async def _queue_lines(self, destination: _Destination, pieces: list[Lines]) -> None:
        changed = self._start()
        count = sum(piece.count for piece in pieces)
        if self._spool is not None:
            await self._spool_lines(changed, destination, pieces, count)
            return
        async with changed:
            await self._wait_for_room(changed, lambda: self._memory_room(count))
            self._enqueue(destination, pieces, count)
            self._unfinished += count
            changed.notify_all()

    def _memory_room(self, count: int) -> bool:
        """Whether ``count`` more lines may be queued in memory (always, when none is)."""
        return not self._pending or self._pending + count <= self.max_pending

    async def _wait_for_room(self, changed: asyncio.Condition, room: Callable[[], bool]) -> None:
        """Wait, holding ``changed``, until ``room()``; raises if the writer is closed."""
        if not room():
            # the lines queued cannot grow until these fit: they go now, without waiting
            # for a full batch or for flush_interval
            self._waiting += 1
            changed.notify_all()
            try:
                await changed.wait_for(room)
            finally:
                self._waiting -= 1
        if self._closing:
            raise RuntimeError("this BatchWriter is closed")

    def _enqueue(self, destination: _Destination, pieces: list[Lines], count: int) -> None:
        """Queue lines in memory (numbered from ``_queued`` on, in this order)."""
        if not self._queue or self._queue[-1][0] != destination:
            self._queue.append((destination, _Run()))
        run = self._queue[-1][1]
        for piece in pieces:
            run.extend(piece)
        self._pending += count
        self._queued += count

    async def _spool_lines(
        self,
        changed: asyncio.Condition,
        destination: _Destination,
        pieces: list[Lines],
        count: int,
    ) -> None:
        """Append a write's lines to the spool, waiting for room there; queue them in memory
        too when there is room and nothing older waits on disk (else they are loaded from
        the spool when room is made)."""
        spool = self._spool
        assert spool is not None
        size = sum(piece.stop for piece in pieces)
        async with changed:
            await self._wait_for_room(changed, lambda: spool.room(size) or self._closing)
            memory = not spool.unloaded and self._memory_room(count)
            where = (destination.db, destination.rp, destination.precision, destination.consistency)
            try:
                spool.append(where, pieces, loaded=memory)
            except OSError as exc:
                raise OSError(
                    exc.errno,
                    f"the spool {spool.path} could not take the {count} line(s) of this "
                    f"write, so none of them was accepted: {exc.strerror}",
                ) from None
            if memory:
                self._enqueue(destination, pieces, count)
            self._unfinished += count
            self._spool_stats()
            changed.notify_all()

    def _load(self) -> None:
        """Queue lines from the spool (oldest first) while memory has room for them."""
        while self._loadable():
            assert self._spool is not None
            for record in self._spool.load(self.max_pending - self._pending):
                db, rp, precision, consistency = record.destination
                destination = _Destination(
                    db, rp, cast(Precision | None, precision), cast(Consistency | None, consistency)
                )
                self._enqueue(destination, [record.lines], record.lines.count)

    def _acknowledge(self, batch: _OutgoingBatch) -> None:
        """``batch`` is written or reported as failed: the spool lets go of its lines once
        every line queued before them is too."""
        spool = self._spool
        if spool is None:
            return
        self._done[batch.start] = batch.count
        while (count := self._done.pop(self._acked, None)) is not None:
            spool.acknowledge(count)
            self._acked += count
        self._spool_stats()

    @runner
    async def flush(self) -> None:
        """Send everything queued so far, without waiting for full batches, and wait until
        it is written or has finally failed. Lines queued meanwhile (by other tasks) are not
        waited for. Failed batches are raised by :meth:`close`.
        """
        changed = self._start()
        async with changed:
            # lines on disk only are numbered as they are loaded, in order
            mark = self._queued + (self._spool.unloaded_lines if self._spool else 0)
            self._flush_mark = max(self._flush_mark, mark)
            changed.notify_all()
            await changed.wait_for(lambda: self._finished_below() >= mark)

    def _finished_below(self) -> int:
        """Every line numbered below this one is written or has failed."""
        return min((batch.start for batch in self._in_flight.values()), default=self._taken)

    @runner
    async def close(self) -> None:
        """Flush everything, wait for it, and stop; ``write()`` is refused from now on.

        Cancelling the call (a timeout around it) stops the waiting only: the writer goes on
        sending in the background, and a later ``close()`` waits for the rest. Each failed
        batch is raised once; a ``close()`` with nothing left to report returns at once.

        :raises InfluxDBBatchError: listing every batch that could not be written (and was
            not raised by an earlier ``close()``).
        """
        self._closing = True
        if self._loop is None and not self._unfinished:
            self._close_spool()
            return
        changed = self._start()
        async with changed:
            changed.notify_all()
            await changed.wait_for(self._drained)
        self._close_spool()
        if self._failures:
            failures, self._failures = self._failures, []
            raise InfluxDBBatchError(failures)

    async def __aenter__(self) -> BatchWriter:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is not None and not issubclass(exc_type, Exception):
            # cancelled, KeyboardInterrupt, SystemExit: send for the grace, report the rest;
            # returning None lets the cancellation or interrupt go on unchanged
            await self._stop(exc_type.__name__)
            return
        try:
            await self.close()
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit) as stop:
            # cancelled while the block's exit waited for the last batches (Ctrl-C as a
            # service flushes): a stop too, or the loop's end would take the lines silently
            await self._stop(type(stop).__name__)
            raise

    def _drained(self) -> bool:
        """Nothing is queued, in flight, or on disk only."""
        return (
            not self._pending
            and not self._in_flight
            and not (self._spool is not None and self._spool.unloaded)
        )

    def _close_spool(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool_stats()

    def __enter__(self) -> BatchWriter:
        if self.mode != "blocking":
            raise RuntimeError("use 'async with' with a client in async mode")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        # blocking mode (checked on entry): the calls run to completion on the private loop
        if exc_type is not None and not issubclass(exc_type, Exception):
            # KeyboardInterrupt or SystemExit in the caller's thread: the writer's work is on
            # the private loop, which goes on; a second Ctrl-C ends the grace at once, and
            # what is unsent is still reported before this returns
            run_to_end(self._stop(exc_type.__name__))
            return
        try:
            self.close()
        except (KeyboardInterrupt, SystemExit) as stop:
            run_to_end(self._stop(type(stop).__name__))
            raise

    def __del__(self) -> None:
        lost = getattr(self, "_unfinished", 0)
        # failures a stop gave up on were reported then (on_error and an ERROR record)
        unraised = () if getattr(self, "_stopped", True) else getattr(self, "_failures", ())
        if not lost and not unraised:
            return
        what = []
        spool = getattr(self, "_spool", None)
        if lost and spool is not None:
            what.append(f"{lost} line(s) were never written (they are kept in {spool.path})")
        elif lost:
            sending = lost - self._pending  # batches whose tasks were cancelled unstarted
            what.append(
                f"{lost} line(s) were never written ({self._pending} queued"
                + (f", {sending} in batches whose sending never ended)" if sending else ")")
            )
        if unraised:
            points = sum(len(f.lines) for f in unraised)
            what.append(f"{len(unraised)} failed batch(es) ({points} line(s)) were never raised")
        warnings.warn(
            f"{self!r} was not closed: {' and '.join(what)}; close a writer in the event loop "
            "that runs it, before the loop ends: 'async with client.batch_writer() as "
            "writer:' inside the coroutine that asyncio.run() runs (or 'with' in blocking "
            "mode), or 'await writer.close()' in a 'finally:'",
            ResourceWarning,
            source=self,
            stacklevel=2,
        )

    # -- stopping ----------------------------------------------------------------------------

    async def _stop(self, why: str) -> None:
        """Send what is held for at most ``grace`` seconds, then give up on the rest.

        Interrupted itself (a second Ctrl-C, another cancellation), it gives up at once and
        lets that go on. Either way what was not written is reported before it returns.
        """
        self._closing = True
        if self._loop is None and not self._unfinished:  # nothing was ever queued
            self._close_spool()
            return
        changed = self._start()
        held, written = self._unfinished, self.stats.points_written
        try:
            if self.grace > 0 and held:

                async def drained() -> None:
                    async with changed:
                        changed.notify_all()  # closing: the flusher sends what it holds now
                        await changed.wait_for(self._drained)

                # not asyncio.timeout(): the task running this may be cancelled already,
                # and a bare wait does not depend on how its cancellations are counted
                waiter = asyncio.get_running_loop().create_task(drained())
                try:
                    await asyncio.wait({waiter}, timeout=self.grace)
                finally:
                    waiter.cancel()
        finally:
            tasks, on_error = self._give_up(why, held - (self.stats.points_written - written))
            try:
                if on_error is not None:
                    await on_error
            finally:
                async with changed:  # flush() and close() waiting elsewhere see the end
                    changed.notify_all()
                if tasks:
                    await asyncio.wait(tasks)

    def _give_up(
        self, why: str, not_written: int
    ) -> tuple[set[asyncio.Task[None]], Coroutine[Any, Any, None] | None]:
        """End the background work now; report the lines it could not send (with no await
        before the ERROR record: an interrupt cannot come between). Returns the tasks it
        cancelled and what ``on_error`` returned, for the caller to await."""
        self._stopped = True
        flusher = self._flusher
        tasks = {task for task in (flusher,) if task is not None and not task.done()}
        batches = sorted(self._in_flight.values(), key=lambda batch: batch.start)
        tasks.update(task for task in self._in_flight if not task.done())
        self._in_flight.clear()
        for task in tasks:
            task.cancel()
        if self._spool is not None:
            self._keep_in_spool(why, batches, not_written)
            return tasks, None
        lines = [line for batch in batches if not batch.done for line in batch.lines()]
        for batch in batches:
            batch.done = True
        for _, run in self._queue:
            lines.extend(line for part in run.take(len(run)) for line in part.lines())
        self._queue.clear()
        self._pending = 0
        self._taken = self._queued  # flush() waits by line numbers: every one has an end
        if not not_written and not lines:
            return tasks, None
        unsent = len(lines)
        failed = not_written - unsent  # in batches that failed during the grace
        last = f"; last error: {self._last_error}" if self._last_error is not None else ""
        parts = [f"{unsent} unsent when its grace of {self.grace:g} s ended"] if unsent else []
        parts += [f"{failed} in batches that failed"] if failed else []
        logger.error(
            "the batch writer was stopped (%s) with %d line(s) not written: %s%s%s",
            why,
            not_written,
            ", ".join(parts),
            ", passed to on_error" if self.on_error is not None else "",
            last,
        )
        if not lines:
            return tasks, None
        error = InfluxDBError(
            f"{unsent} line(s) not sent: the batch writer was stopped ({why}) and its grace "
            f"of {self.grace:g} s ended{last}"
        )
        error.__cause__ = self._last_error
        return tasks, self._failed(lines, error)

    def _keep_in_spool(self, why: str, batches: list[_OutgoingBatch], not_written: int) -> None:
        """A stop of a writer with a spool: what it could not send stays there, for the next
        writer opened on it; said once, at WARNING (nothing is lost)."""
        spool = self._spool
        assert spool is not None
        kept = sum(batch.count for batch in batches if not batch.done)
        kept += self._pending + spool.unloaded_lines
        for batch in batches:
            batch.done = True
        self._queue.clear()
        self._pending = 0
        # flush() waits by line numbers (those on disk only counted too): every one has an end
        self._taken = self._queued + spool.unloaded_lines
        self._unfinished -= kept
        failed = not_written - kept  # in batches that failed during the grace: reported
        if kept:
            logger.warning(
                "the batch writer was stopped (%s) with %d line(s) not written: they are "
                "kept in its spool %s, and a writer opened on it sends them first%s",
                why,
                kept,
                spool.path,
                f" ({failed} more in batches that failed)" if failed > 0 else "",
            )
        self._close_spool()

    # -- background work ---------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        try:
            await self._flush_batches()
        except asyncio.CancelledError:
            self._cancelled_by_others()
            raise

    def _cancelled_by_others(self) -> None:
        """The background work was cancelled, not by the writer: the event loop is ending
        (``asyncio.run()`` returning) before the writer was closed. Said loudly, once."""
        if self._stopped or not self._unfinished:
            return
        self._stopped = True
        if self._spool is not None:
            logger.warning(
                "the batch writer's background work was cancelled with %d line(s) not "
                "written: its event loop is ending before the writer was closed; they are "
                "kept in its spool %s, and a writer opened on it sends them first",
                self._unfinished,
                self._spool.path,
            )
            return
        logger.error(
            "the batch writer's background work was cancelled with %d line(s) not written: "
            "its event loop is ending before the writer was closed; close a writer in the "
            "loop that runs it ('async with client.batch_writer() as writer:' inside the "
            "coroutine that asyncio.run() runs, or 'await writer.close()' in a 'finally:')",
            self._unfinished,
        )

    async def _flush_batches(self) -> None:
        changed = self._changed
        assert changed is not None
        while True:
            async with changed:
                self._load()
                if not self._batch_ready():
                    # when the interval is up, send what there is
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(
                            changed.wait_for(self._batch_ready), self.flush_interval
                        )
                    self._load()
                if not self._queue:
                    if self._closing:
                        return
                    continue
                # a free slot before taking the lines, so that waiting keeps them counted
                await changed.wait_for(lambda: len(self._in_flight) < self.max_in_flight)
                # then every free slot at once, before another task (a write() encoding
                # its data) runs: requests that ended together are replaced together
                loop = asyncio.get_running_loop()
                while True:
                    batch = self._take()
                    self._in_flight[loop.create_task(self._run_batch(batch))] = batch
                    self._load()
                    if not (
                        self._queue
                        and len(self._in_flight) < self.max_in_flight
                        and self._batch_ready()
                    ):
                        break
                changed.notify_all()

    def _batch_ready(self) -> bool:
        # closing (send the rest, or stop); a full batch; a run of lines that cannot grow
        # (lines for another destination follow it, or a write() waits for room); a flush
        # waiting for queued lines; or lines on disk only, with room in memory for them
        return (
            self._closing
            or self._loadable()
            or (bool(self._queue) and len(self._queue[0][1]) >= self.batch_size)
            or len(self._queue) > 1
            or (self._waiting > 0 and bool(self._queue))
            or self._taken < self._flush_mark
        )

    def _loadable(self) -> bool:
        spool = self._spool
        return spool is not None and bool(spool.unloaded) and self._pending < self.max_pending

    def _take(self) -> _OutgoingBatch:
        """The next batch: up to ``batch_size`` lines of the first run (one destination)."""
        destination, run = self._queue[0]
        count = min(self.batch_size, len(run))
        batch = _OutgoingBatch(destination, run.take(count), count, self._taken)
        if not run:
            self._queue.popleft()
        self._pending -= count
        self._taken += count
        return batch

    async def _run_batch(self, batch: _OutgoingBatch) -> None:
        changed = self._changed
        assert changed is not None
        try:
            await self._send(batch)
        finally:
            if not batch.done:
                # cancelled by someone else than the writer (the event loop ending): the
                # lines go back to the queue, where pending counts them and a close() on
                # this loop still sends them
                run = _Run()
                for part in batch.parts:
                    run.extend(part)
                self._queue.appendleft((batch.destination, run))
                self._pending += batch.count
                batch.done = True
                self._cancelled_by_others()
            async with changed:
                task = asyncio.current_task()
                if task is not None:
                    self._in_flight.pop(task, None)
                changed.notify_all()

    async def _send(self, batch: _OutgoingBatch) -> None:
        count, destination = batch.count, batch.destination
        body = batch.body()
        loop = asyncio.get_running_loop()

        async def attempt() -> None:
            await self._send_body(
                body,
                db=destination.db,
                precision=destination.precision,
                rp=destination.rp,
                consistency=destination.consistency,
                gzip=self.gzip,
            )

        def on_retry(attempts: int, delay: float, exc: InfluxDBError) -> None:
            self._last_error = exc
            self.stats.retries += 1
            self.stats.points_retried += count
            logger.debug("%d lines: retry in %.2fs: %s", count, delay, exc)

        policy = _batching.Retry(self.retry_for, self.backoff, self.max_backoff, rng=self._rng)
        try:
            await policy.call_with_retry(
                attempt,
                sleep=asyncio.sleep,
                clock=loop.time,
                on_retry=on_retry,
                # anything else than the client's own errors (a bad session option, a bug
                # in a create_session() override) fails the batch too, never silently
                error=lambda error: _unexpected(error, count),
            )
        except InfluxDBError as exc:
            self._last_error = exc
            batch.done = True
            # reported (on_error, close()): a spool lets go of them, or every writer opened
            # on it would send them again, and fail again
            self._acknowledge(batch)
            await self._fail(batch.lines(), exc)
            return
        batch.done = True
        self._acknowledge(batch)
        self._unfinished -= count
        self.stats.points_written += count
        self.stats.batches_written += 1
        self.stats.bytes_written += len(body)

    async def _fail(self, batch: list[bytes], exc: InfluxDBError) -> None:
        logger.error("a batch of %d lines could not be written: %s", len(batch), exc)
        reported = self._failed(batch, exc)
        if reported is not None:
            await reported

    def _failed(self, lines: list[bytes], exc: InfluxDBError) -> Coroutine[Any, Any, None] | None:
        """Count ``lines`` as finally failed, keep them for close() to raise, and call
        ``on_error``: what is left to await of it (a coroutine function's), or None. No
        await here: a stop reports before an interrupt can come between."""
        self._unfinished -= len(lines)
        self.stats.points_failed += len(lines)
        self.stats.batches_failed += 1
        self._failures.append(FailedBatch(lines, exc))
        if self.on_error is None:
            return None
        try:
            result = self.on_error(lines, exc)
        except Exception:
            logger.exception(
                "on_error raised for %d failed line(s) (they stay reported)", len(lines)
            )
            return None
        return _awaited(result, len(lines)) if inspect.isawaitable(result) else None


async def _awaited(result: Any, count: int) -> None:
    """Await what ``on_error`` returned; its exception is logged (the lines stay reported)."""
    try:
        await result
    except Exception:
        logger.exception("on_error raised for %d failed line(s) (they stay reported)", count)


#: Writers of blocking mode, on its private loop. That loop's thread is a daemon, which ends
#: with the interpreter and would take the lines of a writer never closed with it, without a
#: word: at exit, each one still holding lines is stopped as Ctrl-C stops it (it sends for
#: its grace, then reports the rest; tests/test_writer_stopping.py runs such a script).
_ON_PRIVATE_LOOP: weakref.WeakSet[BatchWriter] = weakref.WeakSet()


@atexit.register
def _stop_at_exit() -> None:
    for writer in list(_ON_PRIVATE_LOOP):
        if writer._unfinished and not writer._stopped:
            run_to_end(writer._stop("the interpreter exited"))


def _next_slice(slices: LineSlices, batch_size: int) -> list[Lines] | None:
    """The next slice of a write, in pieces of at most ``batch_size`` lines (each a batch's
    body as it is, when batches fall on them); None after the last."""
    taken = next(slices, None)
    return None if taken is None else list(bodies(taken[0], batch_size))


def _unexpected(error: Exception, count: int) -> InfluxDBError:
    """An error of a send that is not one of the client's, as a final InfluxDBError."""
    exc = InfluxDBError(
        f"sending a batch of {count} line(s) raised {type(error).__name__}: {error}"
    )
    exc.__cause__ = error
    return exc
