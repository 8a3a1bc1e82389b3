"""The batch writer against real servers (and a local one for faults influxd cannot make)."""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
import warnings
from collections.abc import Callable

import pytest
from aiohttp import web
from test_serialization_lines import SPLIT_CASES

from aioinflux import (
    BatchWriter,
    InfluxDBBatchError,
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBWriteError,
)
from aioinflux.testing import InfluxDBServer

pytestmark = pytest.mark.server


async def eventually(predicate: Callable[[], bool], within: float = 30.0) -> None:
    """Wait until ``predicate()`` holds (a condition the writer reaches on its own)."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def count(client: InfluxDBClient, field: str = "v", measurement: str = "m") -> int:
    resp = await client.query(f'SELECT count("{field}") FROM "{measurement}"')
    series = resp["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def lines(start: int, stop: int) -> list[str]:
    return [f"m,s=x v={i}i {i}" for i in range(start, stop)]


# -- writing -------------------------------------------------------------------------------


async def test_everything_written_in_batches(client):
    async with client.batch_writer(batch_size=1000, flush_interval=10) as writer:
        for start in range(0, 12_345, 500):
            await writer.write(lines(start, min(start + 500, 12_345)))
    assert await count(client) == 12_345
    stats = writer.stats
    assert (stats.points_written, stats.batches_written) == (12_345, 13)
    assert (stats.retries, stats.points_failed, stats.batches_failed) == (0, 0, 0)
    assert stats.bytes_written == len("\n".join(lines(0, 12_345)).encode()) - 12


async def test_lines_are_sent_after_flush_interval(client):
    async with client.batch_writer(batch_size=1000, flush_interval=0.05) as writer:
        await writer.write(lines(0, 3))
        await eventually(lambda: writer.stats.batches_written == 1)
        assert await count(client) == 3


async def test_flush_sends_a_partial_batch_and_waits(client):
    async with client.batch_writer(batch_size=1000, flush_interval=60) as writer:
        await writer.write(lines(0, 7))
        await writer.flush()
        assert (writer.pending, writer.in_flight, writer.stats.points_written) == (0, 0, 7)
        assert await count(client) == 7


@pytest.mark.parametrize(("body", "expected"), SPLIT_CASES)
async def test_lines_are_split_as_the_server_splits_them(client, body, expected):
    async with client.batch_writer(batch_size=1) as writer:
        await writer.write(body)
    assert writer.stats.batches_written == len(expected)
    resp = await client.query("SELECT * FROM /.*/")
    stored = sum(len(s["values"]) for s in resp["results"][0]["series"])
    assert stored == len(expected)


async def test_bad_input_raises_at_write_and_queues_nothing(client):
    async with client.batch_writer() as writer:
        with pytest.raises(TypeError, match="cannot write an object of type float"):
            await writer.write(["m v=1", 2.5])
        assert writer.pending == 0
    assert writer.stats.points_written == 0


async def test_write_after_close_is_refused(client):
    writer = client.batch_writer()
    await writer.close()
    await writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        await writer.write("m v=1")


async def test_options_are_checked(client):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        client.batch_writer(batch_size=0)
    with pytest.raises(ValueError, match="flush_interval must be > 0"):
        client.batch_writer(flush_interval=0)
    with pytest.raises(ValueError, match="retry_for must be a number of seconds"):
        client.batch_writer(retry_for=-1)
    with pytest.raises(ValueError, match="precision must be one of"):
        client.batch_writer(precision="sec")
    client.db = None
    with pytest.raises(ValueError, match="a batch writer needs a database"):
        client.batch_writer()


async def test_sync_with_needs_blocking_mode(client):
    with pytest.raises(RuntimeError, match="use 'async with'"), client.batch_writer():
        pass


def test_blocking_mode(influxdb_server, influxdb_database):
    with influxdb_server.client(db=influxdb_database, mode="blocking") as client:
        with client.batch_writer(batch_size=100) as writer:
            assert isinstance(writer, BatchWriter)
            writer.write(lines(0, 250))
            writer.write(lines(250, 300))
        assert writer.stats.batches_written == 3
        resp = client.query("SELECT count(v) FROM m")
    assert resp["results"][0]["series"][0]["values"][0][1] == 300


async def test_gzip_bodies(client, fault_server):
    # the real server accepts them...
    client.gzip = True
    await client.write(lines(0, 10))
    async with client.batch_writer(batch_size=4) as writer:
        await writer.write(lines(10, 20))
    assert await count(client) == 20
    # ...and this is what was sent (aiohttp's server decodes gzip bodies as it reads them)
    seen = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.headers, await request.read()))
        return web.Response(status=204)

    port = await fault_server(record)
    async with InfluxDBClient("127.0.0.1", port, db="d", gzip=True) as other:
        await other.write(lines(0, 200))
    headers, body = seen[0]
    assert headers["Content-Encoding"] == "gzip"
    assert body == "\n".join(lines(0, 200)).encode()
    assert int(headers["Content-Length"]) < len(body) // 2


# -- back-pressure -------------------------------------------------------------------------


class Held:
    """A local server's handler that keeps each write open until released (what fills a
    writer's buffer on demand), keeping the bodies."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.bodies: list[bytes] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        await self.release.wait()
        return web.Response(status=204)


async def test_write_waits_while_the_buffer_is_full(fault_server):
    held = Held()
    bodies, release = held.bodies, held.release
    port = await fault_server(held.handle)
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        writer = client.batch_writer(batch_size=10, max_pending=20, max_in_flight=1)
        await writer.write(lines(0, 10))
        await eventually(lambda: writer.in_flight == 1 and len(bodies) == 1)
        await writer.write(lines(10, 30))  # fills the buffer exactly
        blocked = asyncio.ensure_future(writer.write(lines(30, 31)))
        done, _ = await asyncio.wait({blocked}, timeout=0.3)
        assert not done, "write() should wait while max_pending lines are queued"
        assert writer.pending == 20
        release.set()
        await blocked
        await writer.close()
    assert writer.stats.points_written == 31
    assert b"\n".join(bodies) == "\n".join(lines(0, 31)).encode()


async def test_lines_that_cannot_grow_while_a_write_waits_are_sent_at_once(client):
    # 3 lines stay after a batch of 7; the next write (9) fits only below 2: they go now,
    # not after flush_interval
    async with client.batch_writer(batch_size=7, max_pending=10, flush_interval=3600) as writer:
        await writer.write(lines(0, 10))
        await asyncio.wait_for(writer.write(lines(10, 19)), 30)  # failure guard
        assert writer.pending <= 9
    assert writer.stats.points_written == 19
    assert await count(client) == 19


# -- retries and failures ------------------------------------------------------------------


async def test_retries_every_retryable_failure(fault_server):
    script = ["500", "503", "429", "slow", "drop", "204"]
    arrivals: list[tuple[float, bytes]] = []

    async def scripted(request: web.Request) -> web.StreamResponse:
        arrivals.append((time.monotonic(), await request.read()))
        step = script[len(arrivals) - 1]
        if step == "503":
            return web.json_response(
                {"error": "overloaded"}, status=503, headers={"Retry-After": "1"}
            )
        if step == "slow":
            await asyncio.Event().wait()
        if step == "drop":
            assert request.transport is not None
            request.transport.abort()
        return web.Response(status=int(step) if step.isdigit() else 500)

    port = await fault_server(scripted)
    client = InfluxDBClient("127.0.0.1", port, db="d", timeout=0.5)
    async with (
        client,
        client.batch_writer(batch_size=100, backoff=0.01, max_backoff=0.05) as writer,
    ):
        await writer.write(lines(0, 50))
    assert len(arrivals) == 6
    assert {body for _, body in arrivals} == {"\n".join(lines(0, 50)).encode()}
    assert arrivals[2][0] - arrivals[1][0] >= 1.0  # Retry-After: 1 was honoured
    stats = writer.stats
    assert (stats.retries, stats.points_retried) == (5, 250)
    assert (stats.points_written, stats.batches_written, stats.points_failed) == (50, 1, 0)


async def test_a_batch_that_keeps_failing_is_reported_with_its_lines(fault_server):
    async def unavailable(request: web.Request) -> web.Response:
        return web.json_response({"error": "try later"}, status=503)

    reported = []
    port = await fault_server(unavailable)
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        writer = client.batch_writer(
            batch_size=100,
            retry_for=0.3,
            backoff=0.01,
            max_backoff=0.05,
            on_error=lambda batch, exc: reported.append((batch, exc)),
        )
        await writer.write(lines(0, 5))
        with pytest.raises(InfluxDBBatchError) as info:
            await writer.close()
    (failure,) = info.value.failures
    assert failure.lines == [line.encode() for line in lines(0, 5)]
    assert isinstance(failure.error, InfluxDBWriteError)
    assert (failure.error.status, failure.error.message) == (503, "try later")
    assert reported == [(failure.lines, failure.error)]
    assert (writer.stats.points_failed, writer.stats.batches_failed) == (5, 1)
    assert writer.stats.retries >= 2


async def test_a_rejected_batch_is_reported_and_the_rest_flow(client):
    await client.write("m v=0i 0")  # v is an integer field from now on
    reported = []

    async def on_error(batch, exc):
        reported.append(batch)

    writer = client.batch_writer(batch_size=10, on_error=on_error)
    await writer.write(lines(1, 21))
    await writer.write([f'm,s=x v="text" {i}' for i in range(21, 31)])  # one bad batch
    await writer.write(lines(31, 51))
    with pytest.raises(InfluxDBBatchError) as info:
        await writer.close()
    (failure,) = info.value.failures
    assert failure.error.status == 400
    assert failure.error.partial
    assert failure.lines == [f'm,s=x v="text" {i}'.encode() for i in range(21, 31)]
    assert reported == [failure.lines]
    assert writer.stats.retries == 0  # a 400 is not retried
    assert await count(client) == 51 - 10


# -- the server goes away ------------------------------------------------------------------


async def test_server_restart_mid_stream_loses_nothing():
    total = 1_000_000
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "restart"')
        async with server.client(db="restart") as client:
            writer = client.batch_writer(
                batch_size=5000, max_in_flight=2, retry_for=120, backoff=0.05, max_backoff=0.5
            )

            async def restart_when_needed() -> None:
                await eventually(lambda: writer.stats.points_written >= total // 4, 120)
                await asyncio.to_thread(server.stop, keep_data=True)
                # the server stays down until the writer has failed and retried a few times
                await eventually(lambda: writer.stats.retries >= 5, 120)
                await asyncio.to_thread(server.start)

            restarter = asyncio.ensure_future(restart_when_needed())
            for start in range(0, total, 10_000):
                await writer.write(lines(start, start + 10_000))
            await restarter
            await writer.close()
            assert writer.stats.points_written == total
            assert writer.stats.retries >= 5
            resp = await client.query("SELECT count(v), sum(v) FROM m")
    assert resp["results"][0]["series"][0]["values"][0][1:] == [total, total * (total - 1) // 2]


async def test_memory_stays_bounded_while_the_server_is_down():
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "down"')
        async with server.client(db="down") as client:
            writer = client.batch_writer(
                batch_size=1000,
                max_pending=20_000,
                max_in_flight=2,
                retry_for=120,
                backoff=0.05,
                max_backoff=0.2,
            )
            server.stop(keep_data=True)
            tracemalloc.start()
            try:
                baseline = tracemalloc.get_traced_memory()[0]
                highest_pending = 0
                produced = 0

                async def produce() -> None:
                    nonlocal produced, highest_pending
                    for start in range(0, 300_000, 1000):
                        await writer.write(lines(start, start + 1000))
                        produced = start + 1000
                        highest_pending = max(highest_pending, writer.pending)

                producer = asyncio.ensure_future(produce())
                await eventually(lambda: writer.pending >= 19_000 and writer.stats.retries >= 3)
                done, _ = await asyncio.wait({producer}, timeout=0.3)
                assert not done, "the producer must wait while the server is down"
                grown = tracemalloc.get_traced_memory()[0] - baseline
            finally:
                tracemalloc.stop()
            # 20k queued lines of ~30 bytes plus two 1000-line batches: a few MiB at most
            assert grown < 16 * 2**20, f"memory grew by {grown} bytes"
            assert produced < 30_000
            assert highest_pending <= 20_000
            await asyncio.to_thread(server.start)
            await producer
            await writer.close()
            assert await count(client) == 300_000


# -- closing, cancelling, changing state ---------------------------------------------------


@pytest.fixture
def own_server():
    """A real server of this test only, which the test may stop and restart."""
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "own"')
        yield server


async def test_a_cancelled_close_leaves_the_writer_able_to_finish(own_server):
    async with own_server.client(db="own") as client:
        writer = client.batch_writer(batch_size=10, retry_for=120, backoff=0.05, max_backoff=0.2)
        await asyncio.to_thread(own_server.stop, keep_data=True)
        await writer.write(lines(0, 25))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(writer.close(), 0.3)  # the server is down: cannot finish
        await asyncio.to_thread(own_server.start)
        await asyncio.wait_for(writer.close(), 60)  # failure guard: drains, then returns
        assert writer.stats.points_written == 25
        assert await count(client) == 25


async def test_batches_failing_after_a_cancelled_close_are_raised_by_the_next_close(own_server):
    reported = []
    failed = asyncio.Event()

    def on_error(batch, exc):
        reported.append(batch)
        if len(reported) == 3:
            failed.set()

    async with own_server.client(db="own") as client:
        writer = client.batch_writer(
            batch_size=10, retry_for=0.5, backoff=0.05, max_backoff=0.1, on_error=on_error
        )
        await asyncio.to_thread(own_server.stop, keep_data=True)
        await writer.write(lines(0, 25))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(writer.close(), 0.05)
        await asyncio.wait_for(failed.wait(), 30)  # failure guard
        with pytest.raises(InfluxDBBatchError) as info:
            await writer.close()
        await writer.close()  # everything has been reported: nothing more to say
    assert [f.lines for f in info.value.failures] == reported
    assert sorted(line for batch in reported for line in batch) == sorted(
        line.encode() for line in lines(0, 25)
    )
    assert all(isinstance(f.error, InfluxDBConnectionError) for f in info.value.failures)
    assert writer.stats.points_failed == 25


async def test_a_send_failing_with_any_exception_is_a_reported_batch(influxdb_server):
    # an option aiohttp does not know fails when the first session is made, as the batch is
    # sent: a TypeError, not an InfluxDBError
    reported = []
    client = influxdb_server.client(db="own", no_such_option=1)
    writer = client.batch_writer(on_error=lambda batch, exc: reported.append((batch, exc)))
    await writer.write(lines(0, 3))
    with pytest.raises(InfluxDBBatchError) as info:
        await writer.close()
    await client.close()
    (failure,) = info.value.failures
    assert failure.lines == [line.encode() for line in lines(0, 3)]
    assert isinstance(failure.error, InfluxDBError)
    assert isinstance(failure.error.__cause__, TypeError)
    assert "no_such_option" in str(failure.error)
    assert reported == [(failure.lines, failure.error)]
    assert (writer.stats.batches_failed, writer.stats.points_failed) == (1, 3)


async def test_the_destination_is_fixed_when_lines_are_queued(client, influxdb_server):
    first = client.db
    influxdb_server.request('CREATE DATABASE "second"')
    try:
        writer = client.batch_writer(flush_interval=60)  # follows client.db
        await writer.write(lines(0, 3))
        writer.precision = "s"  # for what is written from now on
        client.db = "second"
        await writer.write(["m,s=x v=100i 7"])
        await writer.close()
        assert await count(client) == 1
        resp = await client.query("SELECT v FROM m", epoch="s")
        assert resp["results"][0]["series"][0]["values"] == [[7, 100]]
        client.db = first
        resp = await client.query("SELECT v FROM m", epoch="ns")
        assert resp["results"][0]["series"][0]["values"] == [[i, i] for i in range(3)]
    finally:
        influxdb_server.request('DROP DATABASE "second"')


async def test_flush_waits_for_what_was_queued_before_it_only(client):
    writer = client.batch_writer(batch_size=100, flush_interval=60, max_in_flight=1)
    stop = asyncio.Event()
    written = 0

    async def keep_writing() -> None:
        nonlocal written
        while not stop.is_set():
            await writer.write(lines(1000 + written, 1000 + written + 50))
            written += 50
            await asyncio.sleep(0)

    producer = asyncio.ensure_future(keep_writing())
    try:
        await writer.write(lines(0, 10))
        await asyncio.wait_for(writer.flush(), 30)  # failure guard: returns while others write
        resp = await client.query("SELECT count(v) FROM m WHERE time < 10")
        assert resp["results"][0]["series"][0]["values"][0][1] == 10
    finally:
        stop.set()
        await producer
        await writer.close()
    assert await count(client) == 10 + written


def test_a_writer_never_closed_warns_with_the_lines_it_lost(influxdb_server, influxdb_database):
    async def main() -> BatchWriter:
        async with influxdb_server.client(db=influxdb_database) as client:
            writer = client.batch_writer(flush_interval=3600)
            await writer.write(lines(0, 3))
            return writer

    writer = asyncio.run(main())  # the loop ends, and with it the writer's background work
    assert writer.pending == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del writer
        gc.collect()
    messages = [str(w.message) for w in caught if w.category is ResourceWarning]
    assert any("was not closed: 3 line(s) were never written" in m for m in messages), messages


async def test_a_closed_writer_does_not_warn(client):
    async with client.batch_writer() as writer:
        await writer.write(lines(0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        writer.__del__()


async def test_cancelling_a_block_whose_batches_fail_stays_a_cancellation(own_server):
    failed = asyncio.Event()
    reported = []

    def on_error(batch, exc):
        reported.append(batch)
        failed.set()

    async with own_server.client(db="own") as client:
        await asyncio.to_thread(own_server.stop, keep_data=True)
        writer = client.batch_writer(
            batch_size=10, retry_for=1.0, backoff=0.05, max_backoff=0.1, on_error=on_error
        )

        async def block() -> None:
            async with writer:
                await writer.write(lines(0, 5))
                await asyncio.Event().wait()  # until cancelled

        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(block(), 0.2)
        # the batch finally failed within the grace (5 s), before the cancellation went on
        assert failed.is_set()
        with pytest.raises(InfluxDBBatchError):
            await writer.close()
    assert reported == [[line.encode() for line in lines(0, 5)]]


def test_a_forked_child_encodes_frames_in_a_worker_of_its_own(influxdb_server):
    # the worker thread of the parent does not exist in a forked child: a new one starts.
    # The pure encoder: polars' own thread pool does not survive a fork (polars warns)
    import subprocess
    import sys
    import textwrap

    script = f"""
        import asyncio, os
        import numpy as np, pandas as pd
        from aioinflux.serialization import columnar
        columnar.ENABLED = False

        async def write(db):
            async with InfluxDBClient(port={influxdb_server.port}, db=db) as client:
                await client.query(f'CREATE DATABASE "{{db}}"')
                df = pd.DataFrame({{"v": np.arange(30) * 1.0}},
                                  index=pd.date_range("2020-01-01", periods=30, freq="s"))
                async with client.batch_writer(batch_size=5, max_pending=10) as writer:
                    await asyncio.wait_for(writer.write(df, measurement="m"), 20)
                resp = await client.query('SELECT count(v) FROM m')
                return resp["results"][0]["series"][0]["values"][0][1]

        from aioinflux import InfluxDBClient
        assert asyncio.run(write("fork_parent")) == 30
        pid = os.fork()
        if pid == 0:
            os._exit(0 if asyncio.run(write("fork_child")) == 30 else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0", out.stderr
