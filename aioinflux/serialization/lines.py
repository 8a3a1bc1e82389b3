"""Lines of line protocol: where one ends, and request bodies of bounded size made of them.

Rule 1: in line protocol the user gave (``str``/``bytes``), line boundaries are found exactly
as influxd 1.x finds them (``scanLine`` in its ``models/points.go``): a newline ends a line
unless it is escaped by a backslash or inside a quoted string field value, so a string field
holding a newline stays one point.
Rule 2: lines the encoders made (mappings, DataFrames, ``@lineprotocol`` objects) are never
scanned: the encoders hand them over one by one, so their boundaries are known.
Rule 3: one bound for every request body: at most :data:`MAX_BODY` bytes, and where rows are
counted (DataFrame slices, progress reports) at most :data:`MAX_ROWS` lines; a single line
longer than the bound goes alone (the server then says what it thinks of it).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate

__all__ = ["MAX_BODY", "MAX_ROWS", "bodies", "exact_lines", "join", "split_lines"]

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


def split_lines(body: bytes) -> list[bytes]:
    """The lines of line protocol given as text, as influxd splits them, without blank lines.

    Costs one ``split`` when the body has no double quote and no backslash before a newline;
    otherwise every byte is scanned (in Python: keep it for text the user gave).
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
    lines: Sequence[bytes], max_bytes: int, max_lines: int | None = None
) -> Iterator[tuple[bytes, int]]:
    """``lines`` joined by ``\\n`` into bodies of at most ``max_bytes`` bytes (and
    ``max_lines`` lines), each with its number of lines; a line longer than ``max_bytes``
    goes alone. Cut points are found by bisection over the running sizes."""
    # ends[k]: bytes of lines[:k], each counted with its newline
    ends = list(accumulate(map((1).__add__, map(len, lines)), initial=0))
    count = len(lines)
    start = 0
    while start < count:
        stop = max(start + 1, bisect_right(ends, ends[start] + max_bytes, start + 1) - 1)
        if max_lines is not None:
            stop = min(stop, start + max_lines)
        yield b"\n".join(lines[start:stop]), stop - start
        start = stop
