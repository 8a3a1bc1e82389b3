"""aioinflux.testing: throwaway servers start, serve, and leave nothing behind."""

from __future__ import annotations

import os

import pytest

from aioinflux.testing import InfluxDBServer, find_influxd

pytestmark = pytest.mark.server


def test_server_starts_serves_and_cleans_up():
    server = InfluxDBServer()
    assert "stopped" in repr(server)
    with server:
        pid, directory = server.pid, server._dir
        assert pid is not None
        assert directory is not None
        assert directory.exists()
        assert f"pid={pid}" in repr(server)
        assert server.request("SHOW DATABASES")["results"][0]["statement_id"] == 0
        with server.client(mode="blocking") as client:
            assert client.ping()["X-Influxdb-Build"] == "OSS"
    assert server.pid is None
    assert not directory.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    server.stop()  # idempotent


def test_two_servers_side_by_side():
    with InfluxDBServer() as first, InfluxDBServer() as second:
        assert first.port != second.port
        first.request('CREATE DATABASE "only_on_first"')
        series = second.request("SHOW DATABASES")["results"][0]["series"][0]
        assert ["only_on_first"] not in series.get("values", [])
        series = first.request("SHOW DATABASES")["results"][0]["series"][0]
        assert ["only_on_first"] in series["values"]


def test_settings_reach_influxd():
    with InfluxDBServer(settings={"INFLUXDB_HTTP_MAX_ROW_LIMIT": "3"}) as server:
        server.request('CREATE DATABASE "d"')
        with server.client(db="d", mode="blocking") as client:
            client.write([f"m v={i} {i}" for i in range(10)])
        # a plain (non-chunked) query is cut; the client's are not (test_query_results.py)
        series = server.request("SELECT v FROM m", db="d")["results"][0]["series"][0]
    assert len(series["values"]) == 3
    assert series["partial"] is True


def test_auth_server_requires_credentials(influxdb_auth_server):
    with pytest.raises(RuntimeError, match="401"):
        influxdb_auth_server.request("SHOW DATABASES", admin=False)
    users = influxdb_auth_server.request("SHOW USERS")["results"][0]["series"][0]["values"]
    assert users == [["admin", True]]


def test_database_fixture_gives_a_fresh_database(influxdb_server, influxdb_database):
    resp = influxdb_server.request("SHOW DATABASES")
    assert [influxdb_database] in resp["results"][0]["series"][0]["values"]
    assert (
        "series"
        not in influxdb_server.request("SHOW MEASUREMENTS", db=influxdb_database)["results"][0]
    )


def test_missing_influxd_is_an_error_not_a_skip(monkeypatch):
    monkeypatch.delenv("AIOINFLUX_INFLUXD", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeError, match=r"influxd \(InfluxDB 1.x\) was not found: install it"):
        find_influxd()


def test_a_server_that_cannot_start_is_reported(monkeypatch):
    monkeypatch.setenv("AIOINFLUX_INFLUXD", "/bin/false")
    server = InfluxDBServer()
    with pytest.raises(RuntimeError, match="influxd did not start"):
        server.start()
    assert server.pid is None


def test_ssl_context_needs_an_https_server(influxdb_server):
    with pytest.raises(RuntimeError, match="does not serve HTTPS"):
        influxdb_server.ssl_context()
