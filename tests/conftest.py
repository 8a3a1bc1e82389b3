"""Fixtures: real, throwaway InfluxDB servers from aioinflux.testing, and clients on them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from aioinflux import InfluxDBClient

if TYPE_CHECKING:  # imported as a plugin below, so that pytest can rewrite its asserts
    from aioinflux.testing import InfluxDBServer

pytest_plugins = ["aioinflux.testing"]


@pytest.fixture
async def client(
    influxdb_server: InfluxDBServer, influxdb_database: str
) -> AsyncIterator[InfluxDBClient]:
    """An async client on a fresh database of the plain server."""
    async with influxdb_server.client(db=influxdb_database) as client:
        yield client
