"""Lines of line protocol: split as influxd splits them, taken as made, bounded bodies."""

from __future__ import annotations

import pytest

from aioinflux.serialization.lines import bodies, exact_lines, join, split_lines

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


def test_bodies_are_bounded_in_bytes_and_lines():
    lines = [b"x" * n for n in (3, 3, 3, 10, 1, 1, 1, 1)]
    # each line counts its newline: 3+1 + 3+1 fit in 8, a third does not
    assert list(bodies(lines, 8)) == [
        (b"xxx\nxxx", 2),
        (b"xxx", 1),
        (b"x" * 10, 1),  # longer than the bound: alone
        (b"x\nx\nx\nx", 4),
    ]
    assert [n for _, n in bodies(lines, 100, 3)] == [3, 3, 2]
    assert list(bodies([], 8)) == []


def test_bodies_join_back_to_the_whole():
    lines = [f"m,i={i} s=\"{'y' * (i % 13)}\" {i}".encode() for i in range(500)]
    for limit in (1, 40, 333, 10_000):
        pieces = list(bodies(lines, limit, 7))
        assert b"\n".join(p for p, _ in pieces) == b"\n".join(lines)
        assert sum(n for _, n in pieces) == len(lines)
        assert all(len(p) <= limit or n == 1 for p, n in pieces)
        assert all(n <= 7 for _, n in pieces)
