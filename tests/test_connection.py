"""Reaching the server: auth, tokens, unix sockets, HTTPS, and every way a connection fails."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings

import aiohttp
import pytest
from aiohttp import web

from aioinflux import (
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBTimeoutError,
    InfluxDBWriteError,
)
from aioinflux._protocol import Request
from aioinflux._transport import _map_errors

pytestmark = pytest.mark.server


# -- authentication ------------------------------------------------------------------------


async def test_basic_auth_accepted(influxdb_auth_server):
    async with influxdb_auth_server.client(db="authdb") as client:
        await client.query('CREATE DATABASE "authdb"')
        assert await client.write("m v=1 1")
        resp = await client.query("SELECT v FROM m")
        assert resp["results"][0]["series"][0]["values"] == [[1, 1.0]]
        await client.query('DROP DATABASE "authdb"')


async def test_wrong_password_is_rejected_naming_the_user(influxdb_auth_server):
    async with influxdb_auth_server.client(password="wrong-pw", db="x") as client:
        with pytest.raises(InfluxDBQueryError) as query_error:
            await client.query("SHOW DATABASES")
        with pytest.raises(InfluxDBWriteError) as write_error:
            await client.write("m v=1")
    assert (query_error.value.status, query_error.value.message) == (401, "authorization failed")
    assert (write_error.value.status, write_error.value.message) == (401, "authorization failed")
    assert str(query_error.value) == "authorization failed (401 Unauthorized), as user 'admin'"
    assert str(write_error.value) == (
        "Error writing data (401 Unauthorized): authorization failed, as user 'admin'"
    )
    assert "wrong-pw" not in str(query_error.value) + str(write_error.value)


async def test_missing_credentials_are_rejected_saying_none_were_sent(influxdb_auth_server):
    async with InfluxDBClient(port=influxdb_auth_server.port, db="x") as client:
        with pytest.raises(InfluxDBQueryError) as info:
            await client.query("SHOW DATABASES")
        with pytest.raises(InfluxDBWriteError) as write_error:
            await client.write("m v=1")
    assert info.value.status == 401
    assert info.value.message == "unable to parse authentication credentials"
    assert str(info.value) == (
        "unable to parse authentication credentials (401 Unauthorized): no credentials were "
        "sent; pass username= and password="
    )
    assert str(write_error.value).endswith(
        ": no credentials were sent; pass username= and password="
    )


async def test_a_token_refused_by_influxdb_1x_is_named_not_shown(influxdb_auth_server):
    async with InfluxDBClient(port=influxdb_auth_server.port, token="tok-secret") as client:
        with pytest.raises(InfluxDBQueryError) as info:
            await client.query("SHOW DATABASES")
    assert str(info.value) == (
        "unable to parse authentication credentials (401 Unauthorized): a token was sent "
        "(InfluxDB 1.x reads username= and password=, not token=)"
    )
    assert "tok-secret" not in str(info.value)


async def test_a_missing_privilege_names_the_user(influxdb_auth_server):
    influxdb_auth_server.request("CREATE USER \"reader\" WITH PASSWORD 'pw-reader'")
    influxdb_auth_server.request('CREATE DATABASE "not_granted"')
    try:
        async with influxdb_auth_server.client(username="reader", password="pw-reader") as me:
            with pytest.raises(InfluxDBQueryError) as info:
                await me.query('CREATE DATABASE "nope"')
            with pytest.raises(InfluxDBWriteError) as write_error:
                await me.write("m v=1", db="not_granted")
    finally:
        influxdb_auth_server.request('DROP USER "reader"; DROP DATABASE "not_granted"')
    assert info.value.status == 403
    assert str(info.value).endswith("requires admin privilege (403 Forbidden), as user 'reader'")
    assert str(write_error.value).startswith("Error writing data (403 Forbidden): ")
    assert str(write_error.value).endswith(", as user 'reader'")


async def test_ping_answers_without_checking_credentials(influxdb_auth_server):
    # documented in docs/client.rst: a ping proves the server is up, not that the
    # credentials are good (influxd's ping-auth-enabled is off by default)
    async with influxdb_auth_server.client(password="wrong") as client:
        assert "X-Influxdb-Version" in await client.ping()
    async with InfluxDBClient(port=influxdb_auth_server.port) as client:
        assert "X-Influxdb-Version" in await client.ping()


async def test_token_goes_in_the_authorization_header(fault_server):
    # InfluxDB 1.x has no tokens; a local server shows the header that 2.x/3.x would check.
    seen = []

    async def echo(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("Authorization"), str(request.url)))
        return web.json_response({"results": [{"statement_id": 0}]})

    port = await fault_server(echo)
    async with InfluxDBClient("127.0.0.1", port=port, token="s3cr3t-token") as client:
        await client.query("SHOW DATABASES")
    assert seen == [("/query", "Token s3cr3t-token", f"http://127.0.0.1:{port}/query")]


async def test_credentials_never_go_in_the_url(fault_server):
    seen = []

    async def echo(request: web.Request) -> web.Response:
        seen.append((str(request.url), request.headers.get("Authorization")))
        return web.Response(status=204)

    port = await fault_server(echo)
    async with InfluxDBClient(
        "127.0.0.1", port=port, username="u", password="pw", db="d"
    ) as client:
        await client.write("m v=1")
    assert seen == [(f"http://127.0.0.1:{port}/write?db=d", "Basic dTpwdw==")]


# -- unix socket and HTTPS -----------------------------------------------------------------


async def test_unix_socket(influxdb_unix_server):
    server = influxdb_unix_server
    async with InfluxDBClient(unix_socket=server.unix_socket, db="sockdb") as client:
        assert (await client.ping())["X-Influxdb-Build"] == "OSS"
        await client.query('CREATE DATABASE "sockdb"')
        await client.write("m v=1 1")
        resp = await client.query("SELECT v FROM m")
        await client.query('DROP DATABASE "sockdb"')
    assert resp["results"][0]["series"][0]["values"] == [[1, 1.0]]
    assert "unix_socket=" in repr(client)


async def test_https_with_a_trusted_certificate(influxdb_https_server):
    async with influxdb_https_server.client() as client:
        assert client.url.startswith("https://")
        assert (await client.ping())["X-Influxdb-Build"] == "OSS"
        assert (await client.query("SHOW DATABASES"))["results"][0]["statement_id"] == 0


async def test_https_with_an_untrusted_certificate(influxdb_https_server):
    async with InfluxDBClient(
        port=influxdb_https_server.port, host="127.0.0.1", ssl=True
    ) as client:
        with pytest.raises(InfluxDBConnectionError) as info:
            await client.ping()
    assert "certificate verify failed" in str(info.value)
    assert info.value.url == f"https://127.0.0.1:{influxdb_https_server.port}/ping"


async def test_plain_http_to_an_https_server_fails_clearly(influxdb_https_server):
    async with InfluxDBClient(port=influxdb_https_server.port) as client:
        with pytest.raises(InfluxDBError) as info:
            await client.ping()
    assert str(influxdb_https_server.port) in str(info.value)


async def test_close_ends_a_tls_connection_whose_peer_never_answers_close_notify(
    silent_tls_server,
):
    server = silent_tls_server
    async with InfluxDBClient("127.0.0.1", server.port, ssl=server.client_context) as client:
        assert (await client.ping())["X-Influxdb-Version"] == "1.8.10"
        # the answer said Connection: close; aiohttp is closing it, waiting for close_notify
        assert server.sockets_to(server.port)
    assert server.sockets_to(server.port) == set()


def test_asyncio_run_leaves_no_tls_connection_behind(silent_tls_server):
    server = silent_tls_server

    async def main() -> None:
        async with InfluxDBClient("127.0.0.1", server.port, ssl=server.client_context) as client:
            await client.ping()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    assert server.sockets_to(server.port) == set()
    assert [w.message for w in caught] == []


def test_blocking_mode_leaves_no_tls_connection_behind(silent_tls_server):
    server = silent_tls_server
    with InfluxDBClient(
        "127.0.0.1", server.port, ssl=server.client_context, mode="blocking"
    ) as client:
        client.ping()
    assert server.sockets_to(server.port) == set()


# -- failures ------------------------------------------------------------------------------


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_names_the_url():
    port = unused_port()
    async with InfluxDBClient("127.0.0.1", port) as client:
        with pytest.raises(InfluxDBConnectionError) as info:
            await client.query("SHOW DATABASES")
    assert info.value.url == f"http://127.0.0.1:{port}/query"
    assert f"cannot connect to http://127.0.0.1:{port}/query" in str(info.value)
    assert "Connect call failed" in str(info.value)  # aiohttp's words, as text
    # aiohttp's exception is not kept: its relatives hold the request's headers
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_connection_refused_in_blocking_mode():
    port = unused_port()
    with (
        InfluxDBClient("127.0.0.1", port, mode="blocking") as client,
        pytest.raises(InfluxDBConnectionError, match="cannot connect"),
    ):
        client.ping()


def test_dns_failure_is_a_connection_error():
    # No network here: the mapping is checked with the exception aiohttp raises for it.
    req = Request("GET", "http://no-such-host.invalid:8086/ping")
    key = aiohttp.client_reqrep.ConnectionKey(
        "no-such-host.invalid", 8086, False, True, None, None, None
    )
    dns_error = aiohttp.ClientConnectorDNSError(key, OSError(-2, "Name or service not known"))
    with (
        pytest.raises(InfluxDBConnectionError, match="cannot connect to http://no-such-host"),
        _map_errors(req, None),
    ):
        raise dns_error


async def test_timeout(fault_server):
    async def slow(request: web.Request) -> web.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    port = await fault_server(slow)
    async with InfluxDBClient("127.0.0.1", port=port, timeout=0.2) as client:
        with pytest.raises(InfluxDBTimeoutError) as info:
            await client.query("SHOW DATABASES")
    assert isinstance(info.value, TimeoutError)
    assert str(info.value) == f"POST http://127.0.0.1:{port}/query timed out (timeout: 0.2 s)"


async def test_aiohttp_client_timeout_object(fault_server):
    async def slow(request: web.Request) -> web.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    port = await fault_server(slow)
    timeout = aiohttp.ClientTimeout(sock_read=0.2)
    async with InfluxDBClient("127.0.0.1", port=port, timeout=timeout) as client:
        with pytest.raises(InfluxDBTimeoutError, match="timed out"):
            await client.ping()


async def test_connection_dropped_by_the_server(fault_server):
    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.abort()
        return web.Response()

    port = await fault_server(drop)
    async with InfluxDBClient("127.0.0.1", port=port, db="d") as client:
        with pytest.raises(InfluxDBConnectionError) as info:
            await client.write("m v=1")
    assert info.value.url == f"http://127.0.0.1:{port}/write?db=d"


async def test_chunked_answer_cut_in_the_middle(fault_server):
    async def cut(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b'{"results":[{"statement_id":0}]}\n{"results":[{"stat')
        assert request.transport is not None
        request.transport.abort()
        return resp

    port = await fault_server(cut)
    async with InfluxDBClient("127.0.0.1", port=port) as client:
        chunks = await client.query("SELECT * FROM m", chunked=True)
        assert await chunks.__anext__() == {"results": [{"statement_id": 0}]}
        with pytest.raises(InfluxDBError):
            await chunks.__anext__()


async def test_server_error_500_on_write(fault_server):
    async def fail(request: web.Request) -> web.Response:
        return web.json_response({"error": "engine: disk full"}, status=500)

    port = await fault_server(fail)
    async with InfluxDBClient("127.0.0.1", port=port, db="d") as client:
        with pytest.raises(InfluxDBWriteError) as info:
            await client.write("m v=1")
    assert (info.value.status, info.value.message) == (500, "engine: disk full")
    assert str(info.value) == "Error writing data (500 Internal Server Error): engine: disk full"


async def test_large_chunk_has_no_line_length_limit(fault_server):
    # aiohttp's line reader stops at 128 KiB; a single 5 MiB chunk must come through whole.
    value = "x" * (5 << 20)

    async def big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        body = (
            b'{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","s"],'
            b'"values":[[1,"' + value.encode() + b'"]]}]}]}\n'
        )
        for i in range(0, len(body), 1 << 16):
            await resp.write(body[i : i + (1 << 16)])
        await resp.write_eof()
        return resp

    port = await fault_server(big)
    async with InfluxDBClient("127.0.0.1", port=port) as client:
        chunks = [c async for c in await client.query("SELECT * FROM m", chunked=True)]
    assert chunks[0]["results"][0]["series"][0]["values"][0][1] == value
