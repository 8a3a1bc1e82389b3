"""Lines of line protocol: split as influxd splits them, taken as made, bounded bodies."""

from __future__ import annotations

import pytest

from aioinflux.serialization.lines import Lines, bodies, exact_lines, join, split_lines

#: (body, lines) — shared with the real-server check in test_writer.py
SPLIT_CASES = [
    (b"a v=1\nb v=2", [b"a v=1", b"b v=2"]),
    (b"a v=1\n\n  \nb v=2\n", [b"a v=1", b"b v=2"]),
    (b'a s="x\ny" 1\nb v=2', [b'a s="x\ny" 1', b"b v=2"]),
    (b'a s="q\\"\nstill" 1\nb v=2', [b'a s="q\\"\nstill" 1', b"b v=2"]),
    (b'a,t=x" v=1\nb v=2', [b'a,t=x" v=1', b"b v=2"]),
    (b'a k"ey=1\nb v=2', [b'a k"ey=1', b"b v=2"]),
    (b'a s="x",n=1i,s2="y\n\nz" 5\nb v=2', [b'a s="x",n=1i,s2="y\n\nz" 5', b"b v=2"]),
    (b'a s="back\\\\"\nb v=2', [b'a s="back\\\\"', b"b v=2"]),
]


@pytest.mark.parametrize(("body", "lines"), SPLIT_CASES)
def test_split_lines(body, lines):
    assert split_lines(body) == lines


def test_split_lines_keeps_an_escaped_newline_in_the_line():
    assert split_lines(b"a,t=x\\\ny v=1\nb v=2") == [b"a,t=x\\\ny v=1", b"b v=2"]
    assert split_lines(b"a,t=x\\\\\nb v=2") == [b"a,t=x\\\\", b"b v=2"]


def test_split_lines_of_nothing():
    assert split_lines(b"") == []
    assert split_lines(b"\n\n") == []


# -- lines the encoders made: taken as made, never scanned ----------------------------------


def test_exact_lines_keep_a_newline_inside_a_line():
    assert exact_lines(["a v=1", 'b s="x\ny" 1', b"c v=3"]) == [
        b"a v=1",
        b'b s="x\ny" 1',
        b"c v=3",
    ]
    assert exact_lines(["a v=1", "b v=2"]) == [b"a v=1", b"b v=2"]
    assert exact_lines([]) == []


def test_exact_lines_do_not_scan(monkeypatch):
    # an unbalanced quote would make the scanner join the lines; encoder lines are whole
    from aioinflux.serialization import lines

    def fail(*args):
        raise AssertionError("scanned")

    monkeypatch.setattr(lines, "_scan", fail)
    assert exact_lines(['a s="x\n', 'b v=2"']) == [b'a s="x\n', b'b v=2"']


def test_join_takes_any_mix():
    assert join(["a", "b"]) == b"a\nb"
    assert join([b"a", b"b"]) == b"a\nb"
    assert join(["a", b"b", "\u00e9"]) == "a\nb\n\u00e9".encode()
    assert join([]) == b""


# -- bodies: at most so many bytes and lines, cut between lines -----------------------------


def packed(lines, max_lines=None, max_bytes=None):
    return [(p.body, p.count) for p in bodies(lines, max_lines, max_bytes)]


def test_bodies_are_bounded_in_bytes_and_lines():
    made = [b"x" * n for n in (3, 3, 3, 10, 1, 1, 1, 1)]
    # each line counts its newline: 3+1 + 3+1 fit in 8, a third does not; the same with a
    # newline inside a line (its ends listed) and with a final newline (an encoder's)
    for lines in (
        Lines.of(made),
        Lines.of([*made, b"x\ny"]),
        Lines(b"\n".join(made) + b"\n", 8, stop=len(b"\n".join(made))),
    ):
        assert packed(lines, max_bytes=8)[:4] == [
            (b"xxx\nxxx", 2),
            (b"xxx", 1),
            (b"x" * 10, 1),  # longer than the bound: alone
            (b"x\nx\nx\nx", 4),
        ]
        assert [n for _, n in packed(lines, 3, 100)] == [3, 3, lines.count - 6]
    assert packed(Lines(b"", 0), max_bytes=8) == []
    whole = Lines.of(made)
    assert list(bodies(whole)) == [whole]  # what fits is handed over as it is


def test_bodies_join_back_to_the_whole():
    made = [f'm,i={i} s="{"y" * (i % 13)}" {i}'.encode() for i in range(500)]
    for lines in (Lines.of(made), Lines.of([line.replace(b"y", b"\n") for line in made])):
        for limit in (1, 40, 333, 10_000):
            pieces = packed(lines, 7, limit)
            assert b"\n".join(p for p, _ in pieces) == lines.body
            assert sum(n for _, n in pieces) == len(made)
            assert all(len(p) < limit or n == 1 for p, n in pieces)
            assert all(n <= 7 for _, n in pieces)


# -- serialization hands over lines: only the user's text is scanned ------------------------


@pytest.fixture
def no_scan(monkeypatch):
    """The scanner raises: what passes did not scan a byte."""
    from aioinflux.serialization import lines

    def fail(*args):
        raise AssertionError("scanned")

    monkeypatch.setattr(lines, "_scan", fail)


def write_lines(data, *args):
    """Every line the batch writer would queue for ``data``, its slices joined."""
    from aioinflux.serialization import write_lines

    return [line for lines, _ in write_lines(data, *args) for line in lines.lines()]


def _points(n):
    return [
        {"measurement": "m", "tags": {"t": f"a{i}"}, "fields": {"s": f'say "hi"\n{i}'}, "time": i}
        for i in range(n)
    ]


def test_write_lines_takes_the_encoders_lines_as_made(no_scan):
    from aioinflux import serialize

    points = _points(5)
    found = write_lines(points)
    assert len(found) == 5
    assert found == [serialize(point) for point in points]


def test_write_lines_of_a_dataframe_with_newlines_in_strings(no_scan):
    import pandas as pd

    from aioinflux.serialization import serialize
    from aioinflux.serialization import write_lines as made

    df = pd.DataFrame(
        {"s": ['a"\nb', "c\n", None], "v": [1.0, 2.0, None]},
        index=pd.to_datetime([1, 2, 3], unit="s"),
    )
    assert write_lines(df, "m") == [
        b'm s="a\\"\nb",v=1.0 1000000000',
        b'm s="c\n",v=2.0 2000000000',
    ]  # the row with no field is no line
    total = made(df, "m").total()
    assert (total, [b.count + n for b, n in made(df, "m").requests()]) == (2, [2])
    assert b"".join(b.body for b, _ in made(df, "m").requests()) == serialize(df, "m") + b"\n"


def test_write_lines_scans_the_users_text_only():
    point = {"measurement": "m", "fields": {"s": "x\ny"}, "time": 1}
    # a run of text items is joined and split as the server would split it
    data = ['a s="1\n2" 1\n\nb v=1', b"c v=1", point, "d v=1\ne v=2", bytearray(b"f v=1")]
    assert write_lines(data) == [
        b'a s="1\n2" 1',
        b"b v=1",
        b"c v=1",
        b'm s="x\ny" 1',
        b"d v=1",
        b"e v=2",
        b"f v=1",
    ]
    assert write_lines([]) == []
    assert write_lines("\n\n") == []


def test_big_batches_are_cut_and_counted_without_scanning(no_scan, monkeypatch):
    from aioinflux import serialization as ser

    points = _points(50)
    whole = ser.serialize(points)
    monkeypatch.setattr(ser.lines, "MAX_BODY", 200)
    pieces = [body.body for body, _ in ser.write_lines(points).requests()]
    assert len(pieces) > 5
    assert all(len(p) <= 200 for p in pieces)
    assert b"\n".join(pieces) == whole
    made = ser.write_lines(points)
    total = made.total()
    counted = [(body.body, body.count + n) for body, n in made.requests(7)]
    assert total == 50
    assert sum(n for _, n in counted) == 50
    assert all(n <= 7 for _, n in counted)
    assert b"\n".join(p for p, _ in counted) == whole


def test_user_text_is_still_scanned_when_a_batch_is_cut(monkeypatch):
    from aioinflux import serialization as ser

    text = "\n".join(f'm s="{i}\n{i}" {i}' for i in range(40))
    monkeypatch.setattr(ser.lines, "MAX_BODY", 50)
    pieces = [body.body for body, _ in ser.write_lines(text).requests()]
    assert len(pieces) > 5
    assert b"\n".join(pieces) == text.encode()
    assert all(p.count(b'"') % 2 == 0 for p in pieces)  # never cut inside a string value


# -- Lines: the batch writer's bodies, cut without a Python object per line ---------------

TEXT_CASES = [
    *(body for body, _ in SPLIT_CASES),
    b"a v=1",
    b"a v=1\n",
    b"a v=1\n\n",
    b"a v=1\nb v=2\n",
    b"a v=1\n \nb v=2",
    b"a v=1\n\tb v=2",
    b" a v=1\nb v=2",
    b"\na v=1",
    b"a\\ b v=1\nc v=2",
    b"\n",
    b"   ",
    b"",
]


#: bodies influxd 1.x refuses a line of (tests/test_serialization_textcheck.py has more)
REFUSED_TEXT = [
    b"a v=1\r\nb v=2\r\n",  # the \r stays in the line: "invalid number"
    b"a v=1\n\x0c\nb v=2",  # a form feed is no whitespace to influxd: "missing fields"
    b"a v=1\\\nb v=2",  # the newline is escaped: one line, "invalid number"
]


@pytest.mark.parametrize("body", TEXT_CASES)
def test_text_lines_are_split_as_the_server_splits_them(body):
    from aioinflux.serialization.lines import text_lines

    for size in (1, 2, 100):
        pieces = list(bodies(text_lines(body), size))
        assert [line for p in pieces for line in p.lines()] == split_lines(body)
        assert all(0 < p.count <= size for p in pieces[:-1] if p.ends is None)


@pytest.mark.parametrize("body", REFUSED_TEXT)
def test_text_lines_refuses_what_influxd_refuses(body):
    from aioinflux.exceptions import LineProtocolError
    from aioinflux.serialization.lines import text_lines

    with pytest.raises(LineProtocolError, match=r"influxd 1\.x refuses it"):
        text_lines(body)


def test_plain_text_is_counted_without_scanning(no_scan):
    from aioinflux.serialization.lines import text_lines

    body = b"\n".join(b"m,t=a v=%di %d" % (i, i) for i in range(1000)) + b"\n"
    lines = text_lines(body)
    pieces = list(bodies(lines, 300))
    assert [(p.count, p.ends) for p in pieces] == [(300, None)] * 3 + [(100, None)]
    assert lines._count is None  # cut without counting the whole first: one pass
    assert lines.count == 1000


@pytest.mark.parametrize("widths", ["even", "uneven", "one long", "tiny"])
def test_a_line_end_is_found_by_counting(widths):
    import random

    from aioinflux.serialization.lines import Lines

    rng = random.Random(widths)
    sizes = {
        "even": lambda i: 100,
        "uneven": lambda i: rng.choice([1, 3, 50, 2000]),
        "one long": lambda i: 10**6 if i == 500 else 20,
        "tiny": lambda i: 1,
    }[widths]
    made = [b"x" * sizes(i) for i in range(3000)]
    lines = Lines.of(made)
    assert lines.ends is None
    # every way of cutting the body gives back its lines
    for take in (1, 17, 999, 1000, 2999, 3000):
        first = offset = 0
        got = []
        while first < lines.count:
            count = min(take, lines.count - first)
            part, offset = lines.part(first, offset, count)
            assert part.count == count
            got += part.lines()
            first += count
        assert got == made, take


ITEM_POOL = [
    "a v=1",
    "# note",
    "b,t=x v=2i 5",
    "",
    "  ",
    "\t",
    "c v=3\n",
    "\nd v=4",
    "e v=5\n\nf v=6",
    'g s="x',
    'y" 7',
    'h s="q\\"\n" 8',
    "i,t=x\\",
    "j v=9",
    "k\\ l v=10",
    "m v=11\r",
]


@pytest.mark.parametrize("piece", [1, 2, 3, 5, None])
def test_text_in_pieces_is_split_as_the_whole_text_is(piece):
    import random

    from aioinflux.exceptions import LineProtocolError
    from aioinflux.serialization import write_lines
    from aioinflux.serialization.lines import checked_lines

    def writer_pieces(data, piece_lines):  # the writer's slices: pieces of piece_lines lines
        return [list(bodies(lines, piece_lines)) for lines, _ in write_lines(data)]

    rng = random.Random(piece)
    for _ in range(300):
        items = rng.choices(ITEM_POOL, k=rng.randint(0, 12))
        encoded = [item.encode() for item in items]
        mixed = [bytearray(item) if i % 2 else item for i, item in enumerate(encoded)]
        whole = "\n".join(items).encode()
        try:
            expected = checked_lines(whole)
        except LineProtocolError:
            for data in (items, tuple(items), encoded, mixed):
                with pytest.raises(LineProtocolError):
                    writer_pieces(data, piece_lines=piece)
            continue
        assert expected == [line for line in split_lines(whole) if line.lstrip()[:1] != b"#"]
        for data in (items, tuple(items), encoded, mixed):
            slices = list(writer_pieces(data, piece_lines=piece))
            assert len(slices) == (1 if expected else 0)
            got = [line for pieces in slices for p in pieces for line in p.lines()]
            assert got == expected, items
            assert sum(p.count for pieces in slices for p in pieces) == len(expected)


def test_plain_text_comes_in_pieces_of_piece_lines(no_scan):
    from aioinflux.serialization import write_lines

    items = [f"m,t=a v={i}i {i}" for i in range(23)]
    ((lines, _),) = write_lines(items)
    pieces = list(bodies(lines, 5))
    assert [p.count for p in pieces] == [5, 5, 5, 5, 3]
    assert [p.body for p in pieces] == [
        "\n".join(items[i : i + 5]).encode() for i in range(0, 23, 5)
    ]


@pytest.mark.parametrize("widths", ["even", "uneven", "tiny"])
@pytest.mark.parametrize("size", [1, 7, 1000, 2999, 3000, 3001])
def test_a_body_is_cut_into_pieces_of_size_lines(widths, size):
    import random

    from aioinflux.serialization.lines import Lines

    rng = random.Random(widths)
    width = {"even": lambda: 100, "uneven": lambda: rng.choice([1, 3, 50, 2000]), "tiny": lambda: 1}
    made = [b"x" * width[widths]() for _ in range(3000)]
    for ended in (False, True):  # an encoder's output ends with a newline
        body = b"\n".join(made) + (b"\n" if ended else b"")
        pieces = list(bodies(Lines(body, 3000, stop=len(body) - ended), size))
        assert [p.count for p in pieces] == [min(size, 3000 - i) for i in range(0, 3000, size)]
        assert [line for p in pieces for line in p.lines()] == made
