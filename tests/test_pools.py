"""Connection pools: max_connections and keepalive_timeout hold in every event loop the
client is used in, counted with aiohttp's trace hooks under 200 concurrent requests."""

from __future__ import annotations

import asyncio
import concurrent.futures
from types import SimpleNamespace

import aiohttp
import pytest

from aioinflux import InfluxDBClient

pytestmark = pytest.mark.server

REQUESTS = 200


class Counter:
    """Counts the connections a session opens and the requests that waited for one."""

    def __init__(self) -> None:
        self.created = 0
        self.queued = 0
        self.reused = 0
        self.trace = aiohttp.TraceConfig()
        self.trace.on_connection_create_end.append(self._created)
        self.trace.on_connection_queued_start.append(self._queued)
        self.trace.on_connection_reuseconn.append(self._reused)

    async def _created(self, session, context, params) -> None:
        self.created += 1

    async def _queued(self, session, context, params) -> None:
        self.queued += 1

    async def _reused(self, session, context, params) -> None:
        self.reused += 1


async def concurrent_queries(client: InfluxDBClient) -> None:
    answers = await asyncio.gather(*(client.query("SHOW DATABASES") for _ in range(REQUESTS)))
    assert all(a["results"][0]["statement_id"] == 0 for a in answers)


def test_options_are_checked():
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(ValueError, match="max_connections must be a positive integer or None"):
            InfluxDBClient(max_connections=bad)
    for bad in (0, -1, float("inf"), float("nan"), "15", False):
        with pytest.raises(ValueError, match="keepalive_timeout must be a positive number"):
            InfluxDBClient(keepalive_timeout=bad)


async def test_a_connector_is_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"connector= cannot be given: a connector belongs to one"):
        InfluxDBClient(connector=SimpleNamespace())
    client = InfluxDBClient()
    with pytest.raises(
        TypeError, match="set the pool with max_connections= and keepalive_timeout="
    ):
        await client.create_session(connector=SimpleNamespace())
    assert client.closed


async def test_max_connections_bounds_the_pool(influxdb_server):
    counter = Counter()
    async with influxdb_server.client(max_connections=10, trace_configs=[counter.trace]) as client:
        await concurrent_queries(client)
    assert 1 <= counter.created <= 10
    assert counter.queued > 0  # requests waited for a connection of the pool


async def test_the_default_pool_is_aiohttps(influxdb_server):
    # what the limit changes: 200 concurrent requests open 100 connections (aiohttp's limit)
    counter = Counter()
    async with influxdb_server.client(trace_configs=[counter.trace]) as client:
        await concurrent_queries(client)
    assert counter.created == 100
    counter = Counter()
    async with influxdb_server.client(max_connections=None, trace_configs=[counter.trace]) as c:
        await concurrent_queries(c)
    assert counter.created > 100
    assert counter.queued == 0


def test_the_limit_holds_in_every_event_loop(influxdb_server):
    counter = Counter()
    client = influxdb_server.client(max_connections=5, trace_configs=[counter.trace])
    # two asyncio.run() loops, one session (and pool) each
    for _ in range(2):
        before = counter.created
        asyncio.run(concurrent_queries(client))
        assert 1 <= counter.created - before <= 5
        assert client.closed  # asyncio.run() closed the session of its loop
    # blocking mode: the private loop, called from many threads at once
    client.mode = "blocking"
    before = counter.created
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: client.query("SHOW DATABASES"), range(REQUESTS)))
    assert len(answers) == REQUESTS
    assert 1 <= counter.created - before <= 5
    assert counter.queued > 0
    client.close()


async def test_unix_socket_pool(influxdb_unix_server):
    counter = Counter()
    async with InfluxDBClient(
        unix_socket=influxdb_unix_server.unix_socket,
        max_connections=3,
        trace_configs=[counter.trace],
    ) as client:
        await concurrent_queries(client)
    assert 1 <= counter.created <= 3


async def test_idle_connections_are_closed_after_keepalive_timeout(influxdb_server):
    for keepalive, created in [(0.05, 2), (30, 1)]:
        counter = Counter()
        async with influxdb_server.client(
            keepalive_timeout=keepalive, trace_configs=[counter.trace]
        ) as client:
            await client.ping()
            await asyncio.sleep(0.3)  # idle: longer than 0.05 s, shorter than 30 s
            await client.ping()
        assert (counter.created, counter.reused) == (created, 2 - created)
