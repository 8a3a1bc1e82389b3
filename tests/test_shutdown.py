"""Closing a client while requests are in flight: every one of them ends at once, clearly.

The server is a real influxd of this module, paused with SIGSTOP while requests are in
flight: it keeps their connections open and answers nothing more, so the requests can end
only because the client was closed (a stopped process is what a hung server looks like).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import threading
from collections.abc import Iterator

import aiohttp
import pytest

from aioinflux import InfluxDBConnectionError
from aioinflux.testing import InfluxDBServer

pytestmark = pytest.mark.server

POINTS = 300_000
#: A failure guard only: the requests end within about a second once the client is closed.
GUARD = 30


@pytest.fixture(scope="module")
def server() -> Iterator[InfluxDBServer]:
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "big"')
        with server.client(db="big", mode="blocking") as client:
            client.write(f"m,t=x v={i}i {i}" for i in range(POINTS))
        yield server


@contextlib.contextmanager
def paused(server: InfluxDBServer) -> Iterator[None]:
    """The server's process stopped (SIGSTOP), continued on the way out whatever happens."""
    assert server.pid is not None
    os.kill(server.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.pid, signal.SIGCONT)


def sent_trace(count: int, done: threading.Event) -> aiohttp.TraceConfig:
    """A trace that sets ``done`` once ``count`` requests have been sent."""
    sent = []
    trace = aiohttp.TraceConfig()

    async def on_sent(session, context, params) -> None:
        sent.append(params.url)
        if len(sent) >= count:
            done.set()

    trace.on_request_headers_sent.append(on_sent)
    return trace


def assert_closed_error(exc: BaseException | None) -> None:
    assert isinstance(exc, InfluxDBConnectionError), repr(exc)
    assert "the client was closed" in str(exc)


async def test_close_ends_requests_waiting_for_an_answer(server):
    sent = threading.Event()
    client = server.client(db="big", trace_configs=[sent_trace(5, sent)])
    with paused(server):
        tasks = [asyncio.ensure_future(client.query("SELECT * FROM m")) for _ in range(5)]
        await asyncio.wait_for(asyncio.to_thread(sent.wait), GUARD)
        await client.close()
        done, _ = await asyncio.wait(tasks, timeout=GUARD)
        assert done == set(tasks), "requests in flight must end when the client is closed"
        for task in tasks:
            assert_closed_error(task.exception())


async def test_close_ends_chunked_reads_in_the_middle_of_the_body(server):
    client = server.client(db="big")
    first_chunks = asyncio.Event()
    got = []

    async def read_all() -> int:
        count = 0
        async for chunk in await client.query("SELECT * FROM m", chunked=True, chunk_size=1000):
            count += len(chunk["results"][0]["series"][0]["values"])
            got.append(count)
            if len(got) == 5:
                first_chunks.set()
        return count

    tasks = [asyncio.ensure_future(read_all()) for _ in range(5)]
    await asyncio.wait_for(first_chunks.wait(), GUARD)
    with paused(server):
        await client.close()
        done, _ = await asyncio.wait(tasks, timeout=GUARD)
        assert done == set(tasks), "streamed reads must end when the client is closed"
        for task in tasks:
            assert_closed_error(task.exception())


async def test_a_chunked_read_resumed_after_close_says_so(server):
    # between two chunks, the caller's code runs: reading on still says why it fails
    async with server.client(db="big") as client:
        chunks = await client.query("SELECT * FROM m", chunked=True, chunk_size=1000)
        await chunks.__anext__()
        await client.close()
        with pytest.raises(InfluxDBConnectionError, match="the client was closed"):
            async for _ in chunks:
                pass


async def test_a_session_closed_under_a_chunked_read_is_a_connection_error(server):
    # aiohttp raises RuntimeError('Connection closed.') there: it never reaches the caller
    async with server.client(db="big") as client:
        chunks = await client.query("SELECT * FROM m", chunked=True, chunk_size=1000)
        await chunks.__anext__()
        session = await client._transport.session()
        await session.close()
        with pytest.raises(InfluxDBConnectionError) as info:
            async for _ in chunks:
                pass
    assert not isinstance(info.value, RuntimeError)


def test_close_ends_blocking_calls_in_other_threads(server):
    sent = threading.Event()
    client = server.client(db="big", mode="blocking", trace_configs=[sent_trace(4, sent)])

    def stream() -> int:
        return sum(1 for _ in client.query("SELECT * FROM m", chunked=True, chunk_size=1000))

    with (
        paused(server),
        concurrent.futures.ThreadPoolExecutor(4) as pool,
    ):
        futures = [pool.submit(client.query, "SELECT * FROM m") for _ in range(2)]
        futures += [pool.submit(stream) for _ in range(2)]
        assert sent.wait(GUARD)
        client.close()
        done, _ = concurrent.futures.wait(futures, timeout=GUARD)
        assert done == set(futures), "blocked threads must return when the client is closed"
        for future in futures:
            assert_closed_error(future.exception())


async def test_a_task_cancelled_as_the_client_closes_stays_cancelled(server):
    sent = threading.Event()
    client = server.client(db="big", trace_configs=[sent_trace(1, sent)])
    with paused(server):
        task = asyncio.ensure_future(client.query("SELECT * FROM m"))
        await asyncio.wait_for(asyncio.to_thread(sent.wait), GUARD)
        task.cancel()  # the task's own cancellation, not yet delivered...
        await client.close()  # ...when closing aborts its request too
        await asyncio.wait({task}, timeout=GUARD)
        assert task.cancelled()
