"""Fixtures: real, throwaway InfluxDB servers from aioinflux.testing, and clients on them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from aioinflux import InfluxDBClient

if TYPE_CHECKING:  # imported as a plugin below, so that pytest can rewrite its asserts
    from aioinflux.testing import InfluxDBServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

pytest_plugins = ["aioinflux.testing"]


@pytest.fixture
async def client(
    influxdb_server: InfluxDBServer, influxdb_database: str
) -> AsyncIterator[InfluxDBClient]:
    """An async client on a fresh database of the plain server."""
    async with influxdb_server.client(db=influxdb_database) as client:
        yield client


@pytest.fixture
async def fault_server() -> AsyncIterator[Callable[[Handler], Awaitable[int]]]:
    """Start small local aiohttp servers for faults influxd cannot produce on demand
    (500s, slowness, dropped connections, a header echo); returns their port."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return int(runner.addresses[0][1])

    yield start
    for runner in runners:
        await runner.cleanup()
