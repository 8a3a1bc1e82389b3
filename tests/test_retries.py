"""retry_for: writes and read-only queries ride out failures; nothing else is sent twice.

Faults influxd cannot make on demand (500, 503 with Retry-After, 429, a dropped connection,
a hung answer) come from a local aiohttp server; a real server restarted mid-call shows the
rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import pytest
from aiohttp import web

from aioinflux import (
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBQueryError,
    InfluxDBWriteError,
)
from aioinflux._protocol import read_only
from aioinflux.testing import InfluxDBServer

# -- which queries are read-only (pure) ----------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("SELECT * FROM cpu", True),
        ("  select mean(v) from m group by time(1m)", True),
        ("SHOW DATABASES", True),
        ("show tag values with key = host", True),
        ("SELECT * FROM a; SHOW MEASUREMENTS;", True),
        ('SELECT "into" FROM "into" WHERE t = \'INTO\'', True),
        ("SELECT * FROM m WHERE s = 'it\\'s ; INTO'", True),
        ("SELECT * INTO m2 FROM m", False),
        ("select * into m2 from m", False),
        ('SELECT * INTO "db"."rp"."m2" FROM m GROUP BY *', False),
        ("SELECT * FROM a; DROP MEASUREMENT a", False),
        ("CREATE DATABASE x", False),
        ("DROP DATABASE x", False),
        ("DELETE FROM m", False),
        ("GRANT ALL TO bob", False),
        ("KILL QUERY 1", False),
        ("EXPLAIN ANALYZE SELECT * FROM m", False),
        ("ALTER RETENTION POLICY autogen ON x DURATION 1d", False),
        ("", False),
        (" ; ", False),
        # a comment or a regex is skipped as influxd skips it (tests/test_influxql.py)
        ("SELECT * FROM m WHERE h =~ /into/", True),
        ("-- a comment\nSELECT * FROM m", True),
    ],
)
def test_read_only_queries(q, expected):
    assert read_only(q) is expected


def test_retry_for_is_checked():
    for bad in (-1, "10", float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="retry_for must be a number of seconds >= 0"):
            InfluxDBClient(retry_for=bad)
    assert InfluxDBClient().retry_for == 0
    assert InfluxDBClient(retry_for=5).retry_for == 5.0


# -- faults from a local server --------------------------------------------------------------

pytestmark = pytest.mark.server

ANSWER = {"results": [{"statement_id": 0, "series": [{"name": "m", "columns": ["time", "v"], "values": [[1, 2]]}]}]}  # fmt: skip


def scripted(script: list[str], arrivals: list[str], ok: Callable[[], web.Response]):
    """A handler that answers each request with the next step of ``script``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        arrivals.append(request.path)
        step = script[len(arrivals) - 1] if len(arrivals) <= len(script) else "ok"
        if step == "503":
            return web.json_response({"error": "busy"}, status=503, headers={"Retry-After": "1"})
        if step == "hang":
            await asyncio.Event().wait()
        if step == "drop":
            assert request.transport is not None
            request.transport.abort()
        if step == "ok":
            return ok()
        return web.json_response({"error": f"step {step}"}, status=int(step))

    return handle


def write_ok() -> web.Response:
    return web.Response(status=204)


def query_ok() -> web.Response:
    return web.Response(text=json.dumps(ANSWER) + "\n", content_type="application/json")


async def test_write_is_retried_through_every_retryable_failure(fault_server):
    arrivals: list[str] = []
    port = await fault_server(scripted(["500", "503", "429", "hang", "drop"], arrivals, write_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", timeout=0.5, retry_for=30) as client:
        started = time.monotonic()
        assert await client.write("m v=1 1") is True
    assert arrivals == ["/write"] * 6
    assert time.monotonic() - started >= 1.0  # the 503's Retry-After: 1 was honoured


async def test_without_retry_for_nothing_is_retried(fault_server):
    arrivals: list[str] = []
    port = await fault_server(scripted(["500"], arrivals, write_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        with pytest.raises(InfluxDBWriteError, match="step 500"):
            await client.write("m v=1 1")
        with pytest.raises(InfluxDBQueryError):
            await client.query("SELECT * FROM m")  # the local server's 204 is no answer
    assert arrivals == ["/write", "/query"]


@pytest.mark.parametrize("status", ["400", "401", "404"])
async def test_final_answers_are_not_retried(fault_server, status):
    arrivals: list[str] = []
    port = await fault_server(scripted([status, status], arrivals, write_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", retry_for=30) as client:
        with pytest.raises(InfluxDBWriteError, match=f"step {status}"):
            await client.write("m v=1 1")
        with pytest.raises(InfluxDBQueryError, match=f"step {status}"):
            await client.query("SELECT * FROM m")
    assert arrivals == ["/write", "/query"]


async def test_the_time_budget_ends_the_retries(fault_server):
    arrivals: list[str] = []
    port = await fault_server(scripted(["500"] * 1000, arrivals, write_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", retry_for=0.3) as client:
        with pytest.raises(InfluxDBWriteError, match="step 500"):
            await client.write("m v=1 1")
    assert len(arrivals) >= 2  # the first back-off (at most 0.1 s) fits in the budget
    # a Retry-After beyond the budget: the error at once, no wait
    arrivals.clear()
    port = await fault_server(scripted(["503"], arrivals, write_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", retry_for=0.5) as client:
        with pytest.raises(InfluxDBWriteError, match="busy"):
            await client.write("m v=1 1")
    assert arrivals == ["/write"]


async def test_read_only_queries_are_retried(fault_server):
    arrivals: list[str] = []
    port = await fault_server(scripted(["500", "503", "drop", "hang", "429"], arrivals, query_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", timeout=0.5, retry_for=30) as client:
        assert await client.query("SELECT * FROM m") == ANSWER
    assert arrivals == ["/query"] * 6


async def test_chunked_queries_are_retried_until_the_first_chunk(fault_server):
    arrivals: list[str] = []
    port = await fault_server(scripted(["500", "drop"], arrivals, query_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", retry_for=30) as client:
        chunks = [c async for c in await client.query("SHOW MEASUREMENTS", chunked=True)]
    assert chunks == [ANSWER]
    assert arrivals == ["/query"] * 3


@pytest.mark.parametrize(
    "q",
    ["SELECT * INTO m2 FROM m", "CREATE DATABASE x", "SELECT * FROM m; DROP MEASUREMENT m"],
)
async def test_queries_that_change_something_are_never_retried(fault_server, q):
    arrivals: list[str] = []
    port = await fault_server(scripted(["500"], arrivals, query_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", retry_for=30) as client:
        with pytest.raises(InfluxDBQueryError, match="step 500"):
            await client.query(q)
    assert arrivals == ["/query"]
    # chunked, and a dropped connection
    arrivals.clear()
    port = await fault_server(scripted(["drop"], arrivals, query_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", retry_for=30) as client:
        chunks = await client.query(q, chunked=True)
        with pytest.raises(InfluxDBConnectionError):
            await anext(chunks)
    assert arrivals == ["/query"]


async def test_statement_errors_are_not_retried(influxdb_server, influxdb_database):
    async with influxdb_server.client(db=influxdb_database, retry_for=30) as client:
        with pytest.raises(InfluxDBQueryError) as info:
            await client.query("SELECT * FROM m WHERE time > 'bad'")
    assert info.value.status == 200


async def test_retries_are_logged(fault_server, caplog):
    caplog.set_level(logging.DEBUG, logger="aioinflux")
    port = await fault_server(scripted(["500"], [], write_ok))
    async with InfluxDBClient("127.0.0.1", port, db="d", retry_for=30) as client:
        await client.write("m v=1 1")
    retries = [r.getMessage() for r in caplog.records if "retry in" in r.getMessage()]
    assert len(retries) == 1
    assert retries[0].startswith("attempt 1 failed, retry in ")
    assert "step 500" in retries[0]


# -- a real server restarted in the middle of a call -------------------------------------------


async def eventually(predicate: Callable[[], bool], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def test_calls_ride_out_a_server_restart(caplog):
    caplog.set_level(logging.DEBUG, logger="aioinflux")

    def retried() -> int:
        return sum("retry in" in r.getMessage() for r in caplog.records)

    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "restart"')
        async with server.client(db="restart", retry_for=60) as client:
            await client.write("m v=1i 1")
            await asyncio.to_thread(server.stop, keep_data=True)
            # a write and a query while the server is down; it comes back once both failed
            write = asyncio.ensure_future(client.write("m v=2i 2"))
            query = asyncio.ensure_future(client.query("SELECT v FROM m"))
            await eventually(lambda: retried() >= 4)
            assert not write.done()
            assert not query.done()
            await asyncio.to_thread(server.start)
            assert await write is True
            resp = await query
            assert resp["results"][0]["series"][0]["values"][0] == [1, 1]
            resp = await client.query("SELECT v FROM m")
            assert resp["results"][0]["series"][0]["values"] == [[1, 1], [2, 2]]
            # the same without retry_for: the first failure raises
            await asyncio.to_thread(server.stop, keep_data=True)
            client.retry_for = 0
            with pytest.raises(InfluxDBConnectionError, match="cannot connect"):
                await client.write("m v=3i 3")
            await asyncio.to_thread(server.start)
