"""The batch writer's spool: lines on disk from ``write()`` until the server stored them.

Rule 1: a record is appended (one ``os.write`` of the whole record to a file opened for
appending) before ``write()`` returns, so what ``write()`` accepted survives the process
being killed (the kernel holds the bytes); with ``fsync`` the record is on the disk before
``write()`` returns, so it survives a power cut too.
Rule 2: a record carries its length and a CRC-32 of its content: a record cut short by a
crash in the middle of an append (or damaged on the disk) is found when the spool is opened,
skipped with a warning naming its file, offset and size, and cut off the file; every record
before it is kept.
Rule 3: lines are acknowledged in the order they were spooled (recovered ones first): the
first line not yet written is remembered in ``ack`` (12 bytes: its number and a CRC), and a
segment file is removed once every line in it is acknowledged. Re-sending what was written just
before a crash is harmless (InfluxDB keeps one point per series and time), so the
acknowledgement needs no sync.
Rule 4: one writer per spool: ``lock`` is held with ``flock`` for as long as the spool is
open; the kernel lets it go when the process dies, so a dead process's spool is taken over
by the next writer (its pid, kept in the file, is named in the log).
Rule 5: bounded: the bytes of the files (records not yet acknowledged and, in the segment
being written, those before them) never pass ``max_bytes`` but for one record taken into an
empty spool, and :meth:`Spool.room` says whether a record fits. A full disk makes
:meth:`Spool.append` raise, with the file cut back to its last whole record.

The record format (little-endian)::

    b"AIX1" | length u32 | crc32 u32 | first u64 | count u32 | nends u32
    | 4 x (size u16 | UTF-8) (db, rp, precision, consistency; size 0xFFFF: None)
    | nends x end u32 | body

``length`` counts the bytes after the CRC; the CRC covers them. ``ends`` are the line ends of
a body whose lines hold newlines (see :class:`~aioinflux.serialization.lines.Lines`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import struct
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .serialization.lines import Lines

__all__ = ["Record", "Spool", "decode_records", "encode_record"]

logger = logging.getLogger("aioinflux")

MAGIC = b"AIX1"
_HEAD = struct.Struct("<4sII")  # magic, length, crc32
_META = struct.Struct("<QII")  # first, count, nends
_ACK = struct.Struct("<QI")  # the first line not acknowledged, its crc32
_NONE = 0xFFFF
#: a new segment file is begun when the current one holds this many bytes
SEGMENT_BYTES = 16 << 20
_SUFFIX = ".seg"

#: where a write's lines go, as the spool keeps it: db, rp, precision, consistency
Destination = tuple[str, str | None, str | None, str | None]


@dataclass
class Record:
    """Lines of one destination, numbered from ``first`` in the spool's count of lines."""

    first: int
    destination: Destination
    lines: Lines


# -- the format: pure ---------------------------------------------------------------------------


def encode_record(first: int, destination: Destination, lines: Lines) -> bytes:
    """``lines`` (numbered from ``first``) as one record."""
    names = b"".join(_name(value) for value in destination)
    ends = lines.ends or ()
    rest = b"".join(
        (
            _META.pack(first, lines.count, len(ends)),
            names,
            struct.pack(f"<{len(ends)}I", *ends),
            lines.content,
        )
    )
    if len(rest) >= 1 << 32:
        raise ValueError(f"a write of {len(rest):,} bytes is too large for the spool (4 GiB)")
    return _HEAD.pack(MAGIC, len(rest), zlib.crc32(rest)) + rest


def _name(value: str | None) -> bytes:
    if value is None:
        return struct.pack("<H", _NONE)
    data = value.encode()
    if len(data) >= _NONE:
        raise ValueError(f"a name of {len(data)} bytes is too long for the spool: {value[:40]!r}")
    return struct.pack("<H", len(data)) + data


def decode_records(data: bytes) -> tuple[list[Record], int]:
    """The whole records at the start of ``data``, and where they end (``len(data)`` when
    nothing follows them: anything else is a cut or damaged record)."""
    records = []
    offset = 0
    for record, end in _records(data):
        records.append(record)
        offset = end
    return records, offset


def _records(data: bytes, *, bodies: bool = True) -> Iterator[tuple[Record, int]]:
    """Each whole record at the start of ``data`` and where it ends; ``bodies=False``: its
    lines are only counted, not copied out (indexing a spool)."""
    view = memoryview(data)
    offset, size = 0, len(data)
    while offset + _HEAD.size <= size:
        magic, length, crc = _HEAD.unpack_from(data, offset)
        start = offset + _HEAD.size
        end = start + length
        if magic != MAGIC or end > size or zlib.crc32(view[start:end]) != crc:
            return
        try:
            record = _decode(data, start, end, bodies)
        except (struct.error, UnicodeDecodeError, ValueError):
            return
        yield record, end
        offset = end


def _decode(data: bytes, start: int, end: int, body: bool = True) -> Record:
    first, count, nends = _META.unpack_from(data, start)
    at = start + _META.size
    names: list[str | None] = []
    for _ in range(4):
        (size,) = struct.unpack_from("<H", data, at)
        at += 2
        if size == _NONE:
            names.append(None)
        else:
            names.append(data[at : at + size].decode())
            at += size
    ends = list(struct.unpack_from(f"<{nends}I", data, at)) if nends else None
    at += 4 * nends
    if at > end or names[0] is None:
        raise ValueError("not a record")
    destination: Destination = (names[0], names[1], names[2], names[3])
    return Record(first, destination, Lines(data[at:end] if body else b"", count, ends))


# -- the files ----------------------------------------------------------------------------------


class SpoolInUse(RuntimeError):
    """Another writer holds the spool."""


@dataclass
class _Segment:
    path: Path
    size: int  # bytes
    lines: int = 0  # lines of its records not yet acknowledged


@dataclass
class _Entry:
    """Where a record not yet acknowledged is, and which of its lines are left."""

    segment: _Segment
    offset: int
    size: int
    first: int
    count: int
    #: its first lines acknowledged before the spool was opened, left out when it is loaded
    skip: int = 0


class Spool:
    """Lines on disk in ``directory`` (made if missing), from their append until they are
    acknowledged: the batch writer's queue, of which it loads a window into memory.

    Opening it takes its lock (:class:`SpoolInUse` if another writer holds it) and reads
    every record a previous writer left (checking them; see the module's rules), keeping
    only where each one is: :meth:`load` reads them back, oldest first, as room is made.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_bytes: int,
        fsync: bool = False,
        segment_bytes: int = SEGMENT_BYTES,
    ):
        self.path = Path(directory)
        self.max_bytes = max_bytes
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = _take_lock(self.path / "lock")
        self._fd = -1  # the file appends go to: the last segment's
        self._segments: deque[_Segment] = deque()
        #: records not acknowledged, oldest first; the first ``_loaded`` are in memory
        self._entries: deque[_Entry] = deque()
        self._loaded = 0
        self._lines = 0
        self._unloaded_lines = 0
        self._next = 0  # the spool's number of the next line appended
        try:
            self.recovered = self._recover()
        except BaseException:
            os.close(self._lock)
            raise

    # -- opening

    def _recover(self) -> int:
        """Index the records left in the directory; the number of their lines not yet
        acknowledged."""
        acked = _read_ack(self.path / "ack")
        paths = sorted(self.path.glob("*" + _SUFFIX))
        for index, path in enumerate(paths):
            data = path.read_bytes()
            segment = _Segment(path, 0)
            offset = 0
            for record, end in _records(data, bodies=False):
                self._next = max(self._next, record.first + record.lines.count)
                left = record.first + record.lines.count - max(acked, record.first)
                if left > 0:
                    count = record.lines.count
                    self._entries.append(
                        _Entry(segment, offset, end - offset, record.first, count, count - left)
                    )
                    segment.lines += left
                    self._lines += left
                    self._unloaded_lines += left
                offset = end
            segment.size = offset
            if offset < len(data):
                logger.warning(
                    "spool %s: %d byte(s) at offset %d are not a whole record (an append cut "
                    "short by a crash, or damaged): skipped, and the records before them kept",
                    path,
                    len(data) - offset,
                    offset,
                )
                if index == len(paths) - 1:  # appends go on after the last whole record
                    with open(path, "r+b") as file:
                        file.truncate(offset)
            if segment.lines or index == len(paths) - 1:
                self._segments.append(segment)
            else:
                path.unlink()  # every line in it was acknowledged
        self._next = max(self._next, acked)
        if self._lines:
            logger.warning(
                "spool %s: %d line(s) left by a previous writer are sent first",
                self.path,
                self._lines,
            )
        return self._lines

    # -- state

    @property
    def lines(self) -> int:
        """Lines spooled and not acknowledged."""
        return self._lines

    @property
    def size(self) -> int:
        """Bytes of the spool's segment files."""
        return sum(segment.size for segment in self._segments)

    @property
    def unloaded(self) -> int:
        """Records spooled and not yet loaded into memory."""
        return len(self._entries) - self._loaded

    @property
    def unloaded_lines(self) -> int:
        """Lines spooled and not yet loaded into memory."""
        return self._unloaded_lines

    def room(self, size: int) -> bool:
        """Whether a record of ``size`` bytes may be appended now (also when it alone is
        larger than ``max_bytes``, into a spool holding no line)."""
        return not self._entries or self.size + size <= self.max_bytes

    # -- appending

    def append(
        self, destination: Destination, pieces: Sequence[Lines], *, loaded: bool = False
    ) -> None:
        """Append ``pieces`` (the lines of one write, for ``destination``) as records, in one
        write to the file: all of them, or none with the file as it was and ``OSError``
        raised (a full disk). ``loaded``: their lines are queued in memory already (only when
        every record before them is)."""
        if loaded and self.unloaded:
            raise RuntimeError("records are loaded in order")
        records = []
        first = self._next
        for lines in pieces:
            records.append(encode_record(first, destination, lines))
            first += lines.count
        data = b"".join(records)
        segment = self._current()
        offset = segment.size
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a write cut short by a signal: the rest
                written += os.write(self._fd, memoryview(data)[written:])
            if self.fsync:
                os.fsync(self._fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, offset)
            raise
        segment.size += len(data)
        for record, lines in zip(records, pieces, strict=True):
            count = lines.count
            self._entries.append(_Entry(segment, offset, len(record), self._next, count))
            offset += len(record)
            segment.lines += count
            self._lines += count
            self._next += count
            if loaded:
                self._loaded += 1
            else:
                self._unloaded_lines += count

    def _current(self) -> _Segment:
        """The segment appends go to: a new one when the last is full (or there is none)."""
        last = self._segments[-1] if self._segments else None
        if last is not None and last.size < self.segment_bytes:
            if self._fd < 0:
                self._fd = _open_append(last.path)
            return last
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        path = self.path / f"{self._next:020d}{_SUFFIX}"
        self._fd = _open_append(path)
        if self.fsync:
            _sync_directory(self.path)
        segment = _Segment(path, 0)
        self._segments.append(segment)
        if last is not None and not last.lines:
            self._remove(last)
        return segment

    # -- loading

    def load(self, lines: int) -> list[Record]:
        """The next records not loaded yet, oldest first, read back from the files: as many
        as hold at most ``lines`` lines (at least one, when there is one)."""
        records: list[Record] = []
        total = 0
        while self._loaded < len(self._entries):
            entry = self._entries[self._loaded]
            count = entry.count - entry.skip
            if records and total + count > lines:
                break
            with open(entry.segment.path, "rb") as file:
                file.seek(entry.offset)
                data = file.read(entry.size)
            decoded, end = decode_records(data)
            if end != entry.size or len(decoded) != 1:
                raise OSError(f"spool {entry.segment.path}: the record at {entry.offset} changed")
            record = decoded[0]
            if entry.skip:
                record = _after(record, entry.skip)
            records.append(record)
            total += count
            self._loaded += 1
            self._unloaded_lines -= count
        return records

    # -- acknowledging

    def acknowledge(self, count: int) -> None:
        """The next ``count`` loaded lines (in the order they were spooled) are done:
        written, or reported as failed. Segments left with no such line are removed."""
        self._lines -= count
        while count:
            entry = self._entries[0]
            taken = min(count, entry.count - entry.skip)
            entry.skip += taken
            count -= taken
            segment = entry.segment
            segment.lines -= taken
            if entry.skip == entry.count:
                self._entries.popleft()
                self._loaded -= 1
                if not segment.lines and segment is not self._segments[-1]:
                    self._remove(segment)
        front = self._entries[0] if self._entries else None
        _write_ack(self.path / "ack", front.first + front.skip if front else self._next)

    def _remove(self, segment: _Segment) -> None:
        with contextlib.suppress(ValueError):
            self._segments.remove(segment)
        with contextlib.suppress(FileNotFoundError):
            segment.path.unlink()

    def close(self) -> None:
        """Close the files and let go of the lock; a spool holding no line is left empty."""
        if self._lock < 0:
            return
        try:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
            if not self._entries:
                for segment in list(self._segments):
                    self._remove(segment)
        finally:
            os.close(self._lock)
            self._lock = -1

    def __del__(self) -> None:
        # a spool never closed (its writer never closed): its files stay, the lock goes
        for fd in (getattr(self, "_fd", -1), getattr(self, "_lock", -1)):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __repr__(self) -> str:
        return f"<Spool {str(self.path)!r} lines={self.lines} bytes={self.size}>"


def _after(record: Record, skip: int) -> Record:
    """``record`` without its first ``skip`` lines."""
    lines = record.lines
    _, end = lines.cut(0, 0, skip)
    rest, _ = lines.part(skip, end + 1, lines.count - skip)
    return Record(record.first + skip, record.destination, rest)


def _take_lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
            mine = holder == str(os.getpid())
            raise SpoolInUse(
                f"the spool {path.parent} is in use by another batch writer "
                + ("of this process" if mine else f"(process {holder})")
                + ": one writer per spool"
            ) from None
        raise
    before = os.pread(fd, 32, 0).decode(errors="replace").strip()
    if before and before != str(os.getpid()):
        logger.info("spool %s: taken over from process %s, which ended", path.parent, before)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _open_append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_ack(path: Path) -> int:
    """The first line not acknowledged; 0 when unknown (everything is sent again)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    if len(data) != _ACK.size:
        return 0
    first, crc = _ACK.unpack(data)
    return first if zlib.crc32(data[:8]) == crc else 0


def _write_ack(path: Path, first: int) -> None:
    data = _ACK.pack(first, zlib.crc32(struct.pack("<Q", first)))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, data, 0)
    finally:
        os.close(fd)
