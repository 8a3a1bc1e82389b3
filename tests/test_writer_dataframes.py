"""DataFrames through the batch writer: checked whole at write(), then queued slice by
slice as room is made (never held whole as lines), on both encoders; stored exactly."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from aioinflux import LineProtocolError, serialize
from aioinflux.serialization import columnar, write_lines
from aioinflux.writer import _next_slice
from tests.roundtrip import same_rows, stored_rows


def writer_slices(data, *args, max_lines=None, piece_lines=None, **options):
    """The slices the batch writer queues (each in pieces of ``piece_lines`` lines; a slice
    without lines is left out), ``max_lines`` being its max_pending."""
    slices = write_lines(data, *args, slice_rows=max_lines, **options)
    found = []
    while (pieces := _next_slice(slices, piece_lines or sys.maxsize)) is not None:
        if pieces:
            found.append(pieces)
    return found


def line_slices(data, *args, **options):
    """Each slice the writer queues as its lines, one bytes each."""
    slices = writer_slices(data, *args, **options)
    return [[line for piece in pieces for line in piece.lines()] for pieces in slices]


@pytest.fixture(autouse=True, params=["columnar", "pure"])
def encoder(request, monkeypatch):
    if request.param == "columnar":
        assert columnar.available(), "polars is part of the test extra"
    monkeypatch.setattr(columnar, "ENABLED", request.param == "columnar")
    return request.param


def frame(n):
    return pd.DataFrame(
        {
            "host": pd.Categorical(np.arange(n) % 7),
            "v": np.arange(n) * 0.5,
            "s": [f'say "{i}"\nnext' if i % 3 == 0 else None for i in range(n)],
            "ok": np.arange(n) % 2 == 0,
        },
        index=pd.date_range("2020-01-02", periods=n, freq="ms", unit="us"),
    )


@pytest.mark.parametrize("newlines", [True, False])
def test_a_frame_comes_in_slices_of_at_most_max_lines(newlines):
    df = frame(10)
    if not newlines:
        df["s"] = df["s"].str.replace("\n", " ")
    slices = list(line_slices(df, measurement="m", max_lines=4))
    assert [len(lines) for lines in slices] == [4, 4, 2]
    # each line whole (a newline inside a string value stays in its line)
    whole = serialize(df, measurement="m")
    assert b"\n".join(line for lines in slices for line in lines) == whole


def numbers(n):
    """A frame without string fields: its slices are the encoder's bytes, cut by counting."""
    v = np.arange(n) * 0.5
    v[np.arange(n) % 4 == 1] = np.nan
    return pd.DataFrame(
        {
            "host": pd.Categorical(np.arange(n) % 3),
            "v": v,
            "i": pd.array([None if k % 5 == 2 else k for k in range(n)], dtype="Int64"),
            "ok": np.arange(n) % 2 == 0,
        },
        index=pd.date_range("2020-01-02", periods=n, freq="ms", unit="us"),
    )


def test_a_frame_without_strings_comes_in_pieces_cut_at_line_ends():
    df = numbers(23)
    slices = writer_slices(df, measurement="m", max_lines=10, piece_lines=4)
    assert [[p.count for p in pieces] for pieces in slices] == [[4, 4, 2], [4, 4, 2], [3]]
    assert all(p.ends is None for pieces in slices for p in pieces)
    lines = [line for pieces in slices for p in pieces for line in p.lines()]
    assert b"\n".join(lines) == serialize(df, measurement="m")


def test_a_frame_without_strings_and_a_slice_without_fields():
    df = numbers(10)
    df["v"] = [np.nan] * 4 + [1.0] * 6
    df["i"] = pd.array([None] * 4 + [1] * 6, dtype="Int64")
    df["ok"] = pd.array([None] * 4 + [True] * 6, dtype="boolean")
    slices = writer_slices(df, measurement="m", max_lines=4, piece_lines=3)
    assert [[p.count for p in pieces] for pieces in slices] == [[3, 1], [2]]
    assert [len(lines) for lines in line_slices(df, measurement="m", max_lines=4)] == [4, 2]


@pytest.mark.server
async def test_a_frame_without_strings_is_stored_exactly(client):
    n = 1000
    df = numbers(n)
    df["ok"] = df["ok"].astype("boolean")
    for column in ("v", "i", "ok"):  # every 50th row has no field: it is no line
        df.loc[df.index[::50], column] = None
    async with client.batch_writer(batch_size=7, max_pending=60, flush_interval=60) as writer:
        await writer.write(df, measurement="m")
    written = [i for i in range(n) if i % 50]
    assert writer.stats.points_written == len(written)
    expected = [
        (
            "m",
            {
                "host": str(i % 3),
                **({"v": i * 0.5} if i % 4 != 1 else {}),
                **({"i": i} if i % 5 != 2 else {}),
                "ok": i % 2 == 0,
                "time": int(df.index[i].value),
            },
        )
        for i in written
    ]
    assert same_rows(await stored_rows(client), expected)


def test_a_slice_without_any_field_is_left_out():
    df = frame(10)
    df["v"] = [np.nan] * 4 + [1.0] * 6
    df["s"] = None
    df["ok"] = pd.array([None] * 4 + [True] * 6, dtype="boolean")
    slices = list(line_slices(df, measurement="m", max_lines=4))
    assert [len(lines) for lines in slices] == [4, 2]


def test_a_frame_with_a_bad_value_late_raises_before_any_slice():
    df = frame(10)
    df.loc[df.index[9], "v"] = np.inf
    with pytest.raises(LineProtocolError, match=r"point 0: DataFrame column 'v', row .*: inf"):
        line_slices(df, measurement="m", max_lines=2)


def test_other_data_is_one_slice():
    assert list(line_slices(["a v=1", "b v=2"])) == [[b"a v=1", b"b v=2"]]
    assert list(line_slices([])) == []


@pytest.mark.server
async def test_a_big_frame_is_queued_as_room_is_made_and_stored_exactly(client):
    n = 5000
    df = frame(n)
    async with client.batch_writer(batch_size=500, max_pending=1000, flush_interval=60) as writer:
        await writer.write(df, measurement="m")
        # write() returned once its last slice found room: the frame was never queued whole
        assert writer.pending <= 1000
    expected = [
        (
            "m",
            {
                "host": str(i % 7),
                "v": i * 0.5,
                **({"s": f'say "{i}"\nnext'} if i % 3 == 0 else {}),
                "ok": i % 2 == 0,
                "time": int(df.index[i].value),
            },
        )
        for i in range(n)
    ]
    assert same_rows(await stored_rows(client), expected)


@pytest.mark.server
async def test_a_bad_frame_queues_nothing(client):
    df = frame(10)
    df.loc[df.index[9], "v"] = np.inf
    async with client.batch_writer(batch_size=5, flush_interval=60) as writer:
        with pytest.raises(LineProtocolError):
            await writer.write(df, measurement="m")
        assert writer.pending == 0
    assert await stored_rows(client) == []


def test_a_run_hands_out_its_lines_in_order_whatever_the_takes():
    import random

    from aioinflux.serialization import Lines
    from aioinflux.writer import _Run

    rng = random.Random(13)

    def text(i):
        return b"m v=%di %d" % (i, i) + b"x" * rng.choice([0, 1, 5, 80, 400])

    numbers = iter(range(10**6))
    chunks, expected = [], []
    for kind in ["plain", "newlines", "ended", "plain", "one", "plain"] * 3:
        made = [text(next(numbers)) for _ in range(rng.randint(1, 300) if kind != "one" else 1)]
        if kind == "newlines":  # a string value holding a newline: ends are listed
            made[len(made) // 2] += b' s="a\nb"'
            chunk = Lines.of(made)
            assert chunk.ends is not None
        elif kind == "ended":  # an encoder's output: each line ends with a newline
            chunk = Lines(b"\n".join(made) + b"\n", len(made), stop=len(b"\n".join(made)))
        else:
            chunk = Lines.of(made)
            assert chunk.ends is None
        chunks.append(chunk)
        expected += made
    run = _Run()
    for chunk in chunks:
        run.extend(chunk)
    assert len(run) == len(expected)
    got = []
    while len(run):
        want = rng.choice([1, 2, 7, 64, 500])
        parts = run.take(want)
        lines = [line for part in parts for line in part.lines()]
        assert len(lines) == sum(p.count for p in parts) == min(want, len(expected) - len(got))
        # each part's body is its lines, joined: what is sent is what is reported
        assert all(p.body == b"\n".join(p.lines()) for p in parts)
        got += lines
    assert got == expected
    assert run.take(5) == []


@pytest.mark.server
async def test_frame_slices_are_encoded_off_the_event_loop_in_order(client, monkeypatch):
    import threading

    from aioinflux.serialization import _purekernel, columnar

    threads = []

    def spy(kernel):
        def recorded(plan, start, stop):
            threads.append((threading.current_thread(), start))
            return kernel(plan, start, stop)

        return recorded

    # the polars kernel and the pure one: whichever encodes the slices
    monkeypatch.setattr(columnar, "slice_lines", spy(columnar.slice_lines))
    monkeypatch.setattr(_purekernel, "slice_lines", spy(_purekernel.slice_lines))
    df = frame(50)
    async with client.batch_writer(batch_size=5, max_pending=10) as writer:
        await writer.write(df, measurement="m")
    assert [start for _, start in threads] == list(range(0, 50, 10))
    assert threading.main_thread() not in {thread for thread, _ in threads}
    assert len(await stored_rows(client)) == 50


def test_a_frames_slices_are_encoded_on_demand_other_data_at_once():
    # what the writer reads to encode a DataFrame's slices in its worker thread
    assert write_lines(frame(3), measurement="m").on_demand
    for data in (["a v=1"], "a v=1", [{"measurement": "m", "fields": {"v": 1}}], []):
        assert not write_lines(data).on_demand
