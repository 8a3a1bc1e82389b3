"""Lines of line protocol: where one ends, and request bodies of bounded size made of them.

Rule 1: in line protocol the user gave (``str``/``bytes``), line boundaries are found exactly
as influxd 1.x finds them (``scanLine`` in its ``models/points.go``): a newline ends a line
unless it is escaped by a backslash or inside a quoted string field value, so a string field
holding a newline stays one point. That text is checked by influxd's grammar as it is
split (_textcheck.py); comment and blank lines are no lines.
Rule 2: lines the encoders made (mappings, DataFrames, ``@lineprotocol`` objects) are never
scanned: the encoders hand them over one by one, so their boundaries are known.
Rule 3: :class:`Lines` (whole lines kept as one body, with their number) is the one currency
of the write path: where a line ends is found by counting newlines in C when no line holds
one, never by a Python loop over lines; the user's text is counted only when asked.
Rule 4: one packer, :func:`bodies`, cuts ``Lines`` into request bodies for ``client.write()``
and the batch writer, at one bound: at most :data:`MAX_BODY` bytes, and a number of lines
(the writer's ``batch_size``; :data:`MAX_ROWS` where progress is reported); a single line
longer than the bound goes alone (the server then says what it thinks of it).
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate

from ._textcheck import check_text

__all__ = [
    "MAX_BODY",
    "MAX_ROWS",
    "Lines",
    "bodies",
    "checked_lines",
    "exact_lines",
    "join",
    "split_lines",
    "text_lines",
]

#: The most lines (DataFrame rows) encoded, sent or reported at a time: a DataFrame with
#: more rows is checked whole, then encoded and sent in slices of this many rows.
MAX_ROWS = 100_000
#: The largest body sent in one request. influxd 1.x refuses a body over its
#: ``max-body-size``, 25 MB by default (measured: 23 MB accepted, 46 MB cut off).
MAX_BODY = 16 << 20


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


def _point(line: bytes) -> bool:
    """Whether ``line`` is a point to influxd: neither blank (only spaces, tabs and NULs,
    its whitespace) nor a comment (``#`` after them)."""
    return line.lstrip(b" \t\x00")[:1] not in (b"", b"#")


def split_lines(body: bytes) -> list[bytes]:
    """The lines of line protocol given as text, as influxd splits them, without blank and
    comment lines (no check: see :func:`text_lines`).

    Costs one ``split`` when the body has no double quote and no backslash before a newline;
    otherwise every byte is scanned (in Python: keep it for text the user gave).
    """
    pieces = body.split(b"\n")
    if b'"' not in body and b"\\\n" not in body:
        return [p for p in pieces if _point(p)]
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
        if _point(line):
            lines.append(line)
        current = []
        state = [0, 0, 0, 0]
    if current:
        line = b"\n".join(current)
        if _point(line):
            lines.append(line)
    return lines


def exact_lines(lines: Sequence[str | bytes], joined: bytes | None = None) -> list[bytes]:
    """Lines an encoder made (each one whole line, maybe holding a newline inside a string
    value), as bytes, without looking inside them. ``joined`` is ``b"\\n".join(lines)`` when
    the caller has it already.

    One ``join`` and one ``split`` in C when no line holds a newline (the split then finds
    exactly as many pieces as there are lines); else each line is encoded on its own.
    """
    if not lines:
        return []
    if joined is None:
        joined = join(lines)
    pieces = joined.split(b"\n")
    if len(pieces) == len(lines):
        return pieces
    return [line if isinstance(line, bytes) else line.encode() for line in lines]


def join(lines: Sequence[str | bytes]) -> bytes:
    """``lines`` (``str`` or ``bytes``, in any mix) joined by ``\\n``, as bytes."""
    try:
        return "\n".join(lines).encode()  # type: ignore[arg-type]
    except TypeError:  # some lines are bytes
        pass
    try:
        return b"\n".join(lines)  # type: ignore[arg-type]
    except TypeError:  # a mix of str and bytes
        return b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines)


def bodies(
    lines: Lines, max_lines: int | None = None, max_bytes: int | None = None
) -> Iterator[Lines]:
    """``lines`` cut at line boundaries into request bodies of at most ``max_bytes`` bytes
    (default :data:`MAX_BODY`; each line counted with its newline) and ``max_lines`` lines:
    the one packer of the write path (``client.write()`` sends each body, the batch writer
    queues them). Lines that fit whole come back as they are; a line longer than
    ``max_bytes`` goes alone. Cut points are found in C (newlines counted, or the listed
    ends bisected): no Python step per line."""
    limit = MAX_BODY if max_bytes is None else max_bytes
    stop = lines.stop
    if max_lines is None and stop < limit:  # the common case: one body, nothing counted
        if stop:
            yield lines
        return
    most = sys.maxsize if max_lines is None else max_lines
    first = offset = 0
    while offset < stop:
        taken, end = lines.cut(first, offset, most)
        if end - offset >= limit and taken > 1:  # too many bytes: the most lines that fit
            taken, end = lines.fit(first, offset, taken, limit)
        if offset == 0 and end == stop:  # all of it: as it is
            yield lines
            return
        piece, offset = lines.part(first, offset, taken, end)
        yield piece
        first += taken


class Lines:
    """Whole lines of line protocol joined by ``\\n`` into one body, with their number: what
    the batch writer queues and cuts into requests, without a Python object per line.

    ``body[:stop]`` holds the ``count`` lines (``stop`` leaves out a final newline of an
    encoder's output). ``ends`` is None when every newline there ends a line and no line is
    blank, the common case, checked in C where the body is made; else ``ends[i]`` is where
    line ``i`` ends (the offset of its newline, or ``stop``). A count given as None (the
    user's text, which :func:`bodies` cuts without it) is counted when first asked for.
    """

    __slots__ = ("_count", "body", "ends", "stop")

    def __init__(
        self,
        body: bytes,
        count: int | None,
        ends: list[int] | None = None,
        stop: int | None = None,
    ):
        self.body = body
        self._count = count
        self.ends = ends
        self.stop = len(body) if stop is None else stop

    @property
    def count(self) -> int:
        """The number of lines."""
        if self._count is None:  # every newline ends a line (ends is None)
            self._count = self.body.count(b"\n", 0, self.stop) + 1 if self.stop else 0
        return self._count

    @property
    def content(self) -> bytes:
        """The bytes of the lines, ``body[:stop]`` (the body itself when that is all of it)."""
        return self.body if self.stop == len(self.body) else self.body[: self.stop]

    def __repr__(self) -> str:
        return f"<Lines count={self.count} bytes={self.stop}>"

    @classmethod
    def of(cls, lines: Sequence[bytes]) -> Lines:
        """``lines`` (each one whole line) as one body: one ``join`` and one ``count`` in C;
        where they end is only listed when a line holds a newline."""
        body = b"\n".join(lines)
        if not lines or body.count(b"\n") == len(lines) - 1:
            return cls(body, len(lines))
        # line i ends where its newline is: the lengths before it, each with its newline
        ends = list(accumulate(map((1).__add__, map(len, lines)), initial=-1))
        return cls(body, len(lines), ends[1:])

    def cut(self, first: int, offset: int, most: int) -> tuple[int, int]:
        """How many lines from line ``first`` (starting at ``offset``) make a piece of at
        most ``most`` lines (``most``, or the rest when fewer are left), and where the last
        of them ends: found by counting newlines in C, without the count of the whole (which
        a cut from the start to the end learns)."""
        if self.ends is not None:
            taken = min(most, self.count - first)
            return taken, self.ends[first + taken - 1]
        if self._count is not None:
            if first + most >= self._count:  # the rest: nothing to look for
                return self._count - first, self.stop
            width = self.stop / self._count
        else:  # the lines' width from a sample of the body
            sample = min(self.stop, 1 << 16)
            width = sample / (self.body.count(b"\n", 0, sample) + 1)
        end, found = _nth_newline(self.body, offset, self.stop, most, width)
        if end >= 0:
            return most, end
        if first == 0:
            self._count = found + 1
        return found + 1, self.stop

    def fit(self, first: int, offset: int, count: int, limit: int) -> tuple[int, int]:
        """How many of the ``count`` lines from line ``first`` (starting at ``offset``) fit
        in ``limit`` bytes, each counted with its newline (at least one), and where the last
        of them ends."""
        if self.ends is not None:
            fit = bisect_right(self.ends, offset + limit - 1, first, first + count) - first
            fit = max(1, fit)
            return fit, self.ends[first + fit - 1]
        last = self.body.rfind(b"\n", offset, min(offset + limit, self.stop))
        if last < 0:  # the first line alone is longer
            return self.cut(first, offset, 1)
        return self.body.count(b"\n", offset, last) + 1, last

    def part(
        self, first: int, offset: int, count: int, end: int | None = None
    ) -> tuple[Lines, int]:
        """Lines ``first`` to ``first + count - 1`` (line ``first`` starting at ``offset``;
        ``end`` where the last of them ends, when the caller knows it), and where the line
        after them starts."""
        if end is None:
            _, end = self.cut(first, offset, count)
        whole = offset == 0 and end == len(self.body)
        piece = self.body if whole else self.body[offset:end]
        ends = None
        if self.ends is not None:
            ends = [e - offset for e in self.ends[first : first + count]]
        return Lines(piece, count, ends), end + 1

    def lines(self) -> list[bytes]:
        """Every line, as its own ``bytes`` (for reports: a failed batch's lines)."""
        if not self.count:
            return []
        body = self.content
        if self.ends is None:
            return body.split(b"\n")
        starts = [0, *(e + 1 for e in self.ends[:-1])]
        return [body[s:e] for s, e in zip(starts, self.ends, strict=True)]


def _nth_newline(body: bytes, start: int, stop: int, n: int, width: float) -> tuple[int, int]:
    """Where the ``n``-th newline of ``body[start:stop]`` is, and ``n``; or -1 and the number
    of newlines there when it has fewer. Newlines are counted (in C) up to a guess a little
    short of the ``n``-th, from the lines' ``width`` in bytes (corrected by each count), and
    the last few are found one by one."""
    count, find = body.count, body.find
    pos, left = start, n  # the answer is the left-th newline from pos
    for _ in range(8):
        if left <= 16:
            break
        guess = min(stop, pos + int(width * (left - 8)))
        if guess <= pos:
            break
        seen = count(b"\n", pos, guess)
        width = (guess - pos) / seen if seen else width * 2
        if seen < left:
            pos, left = guess, left - seen
            if guess == stop:
                return -1, n - left
    at = pos - 1
    for found in range(left):
        at = find(b"\n", at + 1, stop)
        if at < 0:
            return -1, n - left + found
    return at, n


def text_lines(
    body: bytes,
    factor: int = 1,
    items: Sequence[str | bytes] | None = None,
    first: int = 0,
) -> Lines:
    """Line protocol the user gave, checked as influxd would read it at the precision of
    ``factor`` nanoseconds (see :func:`~._textcheck.check_text`, which raises for a refused
    line, naming it by ``items`` and ``first`` when given), as ``Lines``: when the check's
    fast path accepts the body, every newline ends a line and the lines are counted in C;
    else they are the lines influxd finds (no blank or comment line)."""
    found = check_text(body, factor, items, first)
    if found is None:
        # counted when asked for: bodies() cuts it without the count
        return Lines(body, None, stop=len(body) - 1 if body.endswith(b"\n") else len(body))
    return Lines.of(found)


def checked_lines(
    body: bytes,
    factor: int = 1,
    items: Sequence[str | bytes] | None = None,
    first: int = 0,
) -> list[bytes]:
    """The lines of ``body`` (line protocol the user gave) that are points, checked as
    :func:`text_lines` checks them, each as its own ``bytes``."""
    found = check_text(body, factor, items, first)
    if found is None:
        return body[:-1].split(b"\n") if body.endswith(b"\n") else body.split(b"\n")
    return found
