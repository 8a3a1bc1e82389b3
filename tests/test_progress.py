"""progress=: a function f(done, total) or a tqdm bar, for long writes and queries."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from aioinflux import InfluxDBClient
from aioinflux._progress import reporter
from aioinflux.serialization import write_lines


def progress_bodies(data, *args, max_points=None):
    """The total and the bodies of client.write(progress=...): (body, points) pairs."""
    made = write_lines(data, *args)
    total = made.total()
    return total, ((b.body, b.count + rows) for b, rows in made.requests(max_points or 100_000))


# -- counting (pure) -----------------------------------------------------------------------


def test_points_are_the_lines_written():
    lines = [f"m v={i}i {i}" for i in range(25)]
    total, bodies = progress_bodies(lines, max_points=10)
    pieces = list(bodies)
    assert total == 25
    assert [n for _, n in pieces] == [10, 10, 5]
    assert b"\n".join(body for body, _ in pieces) == "\n".join(lines).encode()
    # a newline inside a string value does not end a point; blank lines are no points
    total, bodies = progress_bodies(
        ['m s="a\nb" 1\n\nm v=2 2', {"measurement": "m", "fields": {"v": 1}}]
    )
    assert total == 3
    assert [n for _, n in bodies] == [3]
    total, bodies = progress_bodies([])
    assert (total, list(bodies)) == (0, [])


def test_a_large_dataframe_counts_its_rows():
    rows = 250_001
    df = pd.DataFrame(
        {"v": np.arange(rows, dtype="float64")},
        index=pd.to_datetime(np.arange(rows), unit="s"),
    )
    df.iloc[5, 0] = np.nan  # a row with no field: written as nothing, counted as done
    total, bodies = progress_bodies(df, "m")
    pieces = list(bodies)
    assert total == rows
    assert [n for _, n in pieces] == [100_000, 100_000, 50_001]
    assert sum(body.count(b"\n") for body, _ in pieces) == rows - 1


def test_progress_is_checked_before_any_io(monkeypatch):
    assert reporter(None) is None
    assert reporter(False) is None

    async def coroutine_function(done, total):
        pass

    client = InfluxDBClient(port=1, db="d", mode="blocking")  # nothing listens on port 1
    with pytest.raises(TypeError, match="progress must be True, None or a plain function"):
        client.write("m v=1", progress=coroutine_function)
    with pytest.raises(TypeError, match="progress must be True, None or a plain function"):
        client.query("SELECT * FROM m", progress=3)
    with pytest.raises(TypeError, match="a tag named 'progress' goes in the points' own tags"):
        client.write({"measurement": "m", "fields": {"v": 1}}, progress="tag value")
    # True without tqdm: a ValueError saying so, not a silent no-op
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    for call in (
        lambda: client.write("m v=1", progress=True),
        lambda: client.query("SHOW DATABASES", progress=True),
    ):
        with pytest.raises(
            ValueError,
            match=r"progress=True shows a progress bar made by tqdm, which is not installed: pip install tqdm",
        ):
            call()
    assert client.closed  # no session was even opened
    client.close()


# -- on the real server ------------------------------------------------------------------

pytestmark = pytest.mark.server


class Calls(list):
    def __call__(self, done, total):
        self.append((done, total))


async def test_writing_many_points_reports_every_100k(client):
    calls = Calls()
    lines = [f"m v={i}i {i}" for i in range(250_000)]
    assert await client.write(lines, progress=calls) is True
    assert calls == [(100_000, 250_000), (200_000, 250_000), (250_000, 250_000)]
    resp = await client.query('SELECT count("v") FROM m')
    assert resp["results"][0]["series"][0]["values"][0][1] == 250_000


async def test_writing_a_large_dataframe_reports_its_rows(client):
    rows = 120_000
    df = pd.DataFrame(
        {"v": np.arange(rows)}, index=pd.to_datetime(np.arange(rows), unit="ms", utc=True)
    )
    calls = Calls()
    await client.write(df, measurement="df", progress=calls)
    assert calls == [(100_000, rows), (rows, rows)]
    calls = Calls()
    await client.write(df.iloc[:10], measurement="small", progress=calls)
    assert calls == [(10, 10)]
    calls = Calls()
    await client.write([], progress=calls)
    assert calls == [(0, 0)]  # once at the end, even for nothing


async def test_queries_report_each_chunk_and_the_end(client):
    await client.write([f"m v={i}i {i}" for i in range(25_000)])
    calls = Calls()
    chunks = [
        c
        async for c in await client.query(
            "SELECT v FROM m", chunked=True, chunk_size=10_000, progress=calls
        )
    ]
    assert len(chunks) == 3
    assert calls == [(10_000, None), (20_000, None), (25_000, None), (25_000, 25_000)]
    calls = Calls()
    resp = await client.query("SELECT v FROM m", progress=calls)  # reassembled from chunks
    assert len(resp["results"][0]["series"][0]["values"]) == 25_000
    assert calls == [(10_000, None), (20_000, None), (25_000, None), (25_000, 25_000)]
    client.output = "dataframe"
    calls = Calls()
    df = await client.query("SELECT v FROM m", progress=calls)
    assert (len(df), calls[-1]) == (25_000, (25_000, 25_000))


def test_blocking_mode_and_iterable_output(influxdb_server, influxdb_database):
    with influxdb_server.client(db=influxdb_database, mode="blocking", output="iterable") as c:
        calls = Calls()
        c.write([f"m v={i}i {i}" for i in range(3)], progress=calls)
        assert calls == [(3, 3)]
        calls = Calls()
        result = c.query("SELECT v FROM m", chunked=True, chunk_size=2, progress=calls)
        assert [p[1] for p in result] == [0, 1, 2]
        assert calls == [(2, None), (3, None), (3, 3)]


async def test_a_tqdm_bar(client, capsys):
    await client.write([f"m v={i}i {i}" for i in range(1000)], progress=True)
    await client.query("SELECT v FROM m", progress=True)
    err = capsys.readouterr().err
    bars = [line for line in err.replace("\r", "\n").splitlines() if "points" in line]
    assert any("100%" in bar and "1.00k/1.00k" in bar for bar in bars), err
    assert any("1.00k/1.00k" in bar for bar in bars[len(bars) // 2 :]), err


async def test_nothing_is_printed_by_default(client, capsys):
    await client.write([f"m v={i}i {i}" for i in range(1000)])
    await client.query("SELECT v FROM m")
    assert capsys.readouterr() == ("", "")


def test_a_widget_in_jupyter(influxdb_server, influxdb_database, tmp_path):
    # progress=True in a notebook cell (a real IPython kernel): tqdm displays a widget
    from jupyter_client.manager import KernelManager

    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(tmp_path / "kernel"))
    kernel.start_kernel()
    kernel_client = kernel.client()
    kernel_client.start_channels()
    try:
        kernel_client.wait_for_ready(timeout=60)
        messages: list[dict] = []
        code = (
            "from aioinflux import InfluxDBClient\n"
            f"client = InfluxDBClient({influxdb_server.host!r}, {influxdb_server.port}, "
            f"db={influxdb_database!r}, mode='blocking')\n"
            "client.write([f'm v={i}i {i}' for i in range(1000)], progress=True)\n"
            "print(client.query('SELECT count(v) FROM m', progress=True))\n"
            "client.close()\n"
        )
        reply = kernel_client.execute_interactive(code, output_hook=messages.append, timeout=60)
        assert reply["content"]["status"] == "ok", messages
    finally:
        kernel_client.stop_channels()
        kernel.shutdown_kernel(now=True)
    widgets = [
        m
        for m in messages
        if m["msg_type"] == "display_data"
        and "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
    ]
    assert len(widgets) == 2  # one bar for the write, one for the query
    printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert "'values': [[0, 1000]]" in printed
