"""HTTP(S) proxies: given explicitly, in a DSN, or from the environment with trust_env=True;
tested through a real proxy (tinyproxy) whose log shows each request it relayed."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from urllib.parse import quote

import pytest

from aioinflux import (
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBQueryError,
    InfluxDBWriteError,
)
from aioinflux._config import check_proxy, parse_dsn

SECRET = "pr0xy-s3cret"


# -- the option (no proxy needed) ------------------------------------------------------------


@pytest.mark.parametrize(
    "proxy",
    [
        "http://proxy:3128",
        "https://proxy",
        "http://u:p@proxy:3128",
        "http://[::1]:3128",
        "HTTP://p/",
    ],
)
def test_proxy_urls(proxy):
    assert check_proxy(proxy) == proxy


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        ("socks5://u:" + SECRET + "@h:1080", r"proxy must be an http:// or https:// URL, got 'socks5://u:\*\*\*@h:1080'"),
        ("proxy:3128", "proxy must be an http:// or https:// URL"),
        ("u:" + SECRET + "@proxy:1080", r"proxy must be an http:// or https:// URL, got 'u:\*\*\*@proxy:1080'"),
        ("http://", "names no host"),
        ("http://u:" + SECRET + "@h:x", r"proxy 'http://u:\*\*\*@h:x': port must be an int in 1-65535"),
        ("http://h:3128/path", "a proxy URL has no path or query"),
        ("http://h:3128?x=1", "percent-encode"),
        ("http://u:" + SECRET[:4] + "/" + SECRET[4:] + "@h:1", "percent-encode '/', '\\?' and '#'"),
    ],
)  # fmt: skip
def test_bad_proxy_urls_are_refused_without_the_password(proxy, message):
    with pytest.raises(ValueError, match=message) as info:
        InfluxDBClient(proxy=proxy)
    assert SECRET[:4] not in str(info.value)
    assert SECRET[4:] not in str(info.value)


def test_proxy_must_be_text():
    with pytest.raises(TypeError, match="proxy must be a str"):
        InfluxDBClient(proxy=3128)  # type: ignore[arg-type]


def test_a_proxy_and_a_unix_socket_exclude_each_other():
    with pytest.raises(ValueError, match="a proxy cannot be used with unix_socket"):
        InfluxDBClient(unix_socket="/tmp/x.sock", proxy="http://h:1")


def test_the_proxy_password_is_not_in_the_repr():
    client = InfluxDBClient(proxy=f"http://me:{SECRET}@proxy:3128")
    assert "proxy='http://me:***@proxy:3128'" in repr(client)
    assert SECRET not in repr(client)


def test_proxy_in_a_dsn():
    proxy = f"http://me:{quote(SECRET)}@proxy:3128"
    assert parse_dsn(f"influxdb://h/db?proxy={quote(proxy, safe='')}")["proxy"] == proxy
    assert parse_dsn(f"https://h/?db=x&proxy={proxy}")["proxy"] == proxy  # unencoded works too
    with pytest.raises(ValueError, match=r"DSN \(influxdb://\): proxy must be an http") as info:
        parse_dsn(f"influxdb://h/db?proxy=socks5://me:{SECRET}@p")
    assert SECRET not in str(info.value)


# -- through a real proxy --------------------------------------------------------------------

pytestmark = pytest.mark.server


def target(server, path: str) -> str:
    return f"http://{server.host}:{server.port}/{path}"


async def test_requests_go_through_the_proxy(influxdb_server, influxdb_database, http_proxy):
    proxy = http_proxy()
    async with influxdb_server.client(db=influxdb_database, proxy=proxy.url) as client:
        await client.ping()
        await client.write("m v=1i 1")
        resp = await client.query("SELECT v FROM m")
        chunks = [c async for c in await client.query("SELECT v FROM m", chunked=True)]
    assert resp["results"][0]["series"][0]["values"] == [[1, 1]]
    assert chunks == [resp]
    assert proxy.requests() == [
        f"GET {target(influxdb_server, 'ping')}",
        f"POST {target(influxdb_server, 'write')}?db={influxdb_database}",
        f"POST {target(influxdb_server, 'query')}",
        f"POST {target(influxdb_server, 'query')}",
    ]
    # without the option, the proxy sees nothing
    async with influxdb_server.client(db=influxdb_database) as client:
        await client.ping()
    assert len(proxy.requests()) == 4


async def test_requests_in_a_row_each_get_a_connection(
    influxdb_server, influxdb_database, http_proxy
):
    # tinyproxy closes a connection after each answer, without saying so: reusing it would
    # fail; connections through a proxy are not reused
    from test_pools import Counter

    proxy = http_proxy()
    counter = Counter()
    async with influxdb_server.client(
        db=influxdb_database, proxy=proxy.url, trace_configs=[counter.trace]
    ) as client:
        for i in range(30):
            await client.write(f"m v={i}i {i}")
            await client.query("SELECT count(v) FROM m")
    assert (counter.created, counter.reused) == (60, 0)
    assert len(proxy.requests()) == 60


async def test_credentials_of_the_server_pass_through_the_proxy(influxdb_auth_server, http_proxy):
    proxy = http_proxy()
    async with influxdb_auth_server.client(proxy=proxy.url) as client:
        assert (await client.query("SHOW DATABASES"))["results"][0]["statement_id"] == 0
    async with influxdb_auth_server.client(proxy=proxy.url, password="wrong") as client:
        with pytest.raises(InfluxDBQueryError, match="authorization failed"):
            await client.query("SHOW DATABASES")
    assert len(proxy.requests()) == 2


async def test_a_proxy_that_requires_credentials(
    influxdb_server, influxdb_database, http_proxy, caplog
):
    caplog.set_level(logging.DEBUG, logger="aioinflux")
    proxy = http_proxy(auth=("me", SECRET))
    async with influxdb_server.client(db=influxdb_database, proxy=proxy.url) as client:
        await client.write("m v=1i 1")
    wrong = proxy.url.replace(SECRET, "wrong-pass")
    async with influxdb_server.client(db=influxdb_database, proxy=wrong) as client:
        with pytest.raises(InfluxDBWriteError) as info:
            await client.write("m v=2i 2")
    assert info.value.status == 401  # tinyproxy's answer to wrong credentials (407 to none)
    assert len(proxy.requests()) == 2
    for text in (str(info.value), repr(client), caplog.text):
        assert SECRET not in text
        assert "wrong-pass" not in text
    assert caplog.records  # the requests were logged, without the proxy's credentials


async def test_https_goes_through_a_tunnel(influxdb_https_server, http_proxy):
    proxy = http_proxy()
    server = influxdb_https_server
    async with server.client(proxy=proxy.url) as client:
        assert (await client.ping())["X-Influxdb-Build"] == "OSS"
    # the proxy only opened a tunnel (CONNECT): the request itself stayed encrypted
    assert proxy.requests() == [f"CONNECT {server.host}:{server.port}"]


def test_asyncio_run_through_a_tunnel_leaves_no_connection_behind(silent_tls_server, http_proxy):
    # Connections through a proxy are closed after each answer; over TLS that close waits
    # for the server's close_notify, which this server never sends: close() must end it.
    proxy, server = http_proxy(), silent_tls_server

    async def main() -> None:
        async with InfluxDBClient(
            "127.0.0.1", server.port, ssl=server.client_context, proxy=proxy.url
        ) as client:
            assert (await client.ping())["X-Influxdb-Version"] == "1.8.10"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    assert server.sockets_to(proxy.port) == set()
    assert [w.message for w in caught] == []
    assert proxy.requests() == [f"CONNECT 127.0.0.1:{server.port}"]


async def test_an_unreachable_proxy_is_named(influxdb_server, http_proxy):
    proxy = http_proxy(auth=("me", SECRET))
    proxy.stop()
    async with influxdb_server.client(proxy=proxy.url) as client:
        with pytest.raises(InfluxDBConnectionError) as info:
            await client.ping()
    message = str(info.value)
    assert message.startswith(
        f"cannot connect to the proxy http://me:***@127.0.0.1:{proxy.port} "
        f"(for {target(influxdb_server, 'ping')}): "
    )
    assert SECRET not in message


async def test_a_proxy_that_refuses_a_tunnel_is_named(influxdb_https_server, http_proxy):
    proxy = http_proxy(auth=("me", SECRET))
    wrong = proxy.url.replace(SECRET, "wrong-pass")
    async with influxdb_https_server.client(proxy=wrong) as client:
        with pytest.raises(InfluxDBConnectionError) as info:
            await client.ping()
    assert f"the proxy http://me:***@127.0.0.1:{proxy.port} refused to connect" in str(info.value)
    assert "401 Unauthorized" in str(info.value)
    assert "wrong-pass" not in str(info.value)


async def test_a_dsn_with_a_proxy(influxdb_server, influxdb_database, http_proxy):
    proxy = http_proxy()
    dsn = (
        f"influxdb://{influxdb_server.host}:{influxdb_server.port}/{influxdb_database}"
        f"?proxy={quote(proxy.url, safe='')}"
    )
    async with InfluxDBClient.from_dsn(dsn) as client:
        await client.write("m v=1i 1")
    assert proxy.requests() == [f"POST {target(influxdb_server, 'write')}?db={influxdb_database}"]


async def test_proxy_from_the_environment_with_trust_env(influxdb_server, http_proxy, monkeypatch):
    proxy = http_proxy()
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    # opt-in: without trust_env the variables are not read
    async with influxdb_server.client() as client:
        await client.ping()
    assert proxy.requests() == []
    async with influxdb_server.client(trust_env=True) as client:
        await client.ping()
    assert proxy.requests() == [f"GET {target(influxdb_server, 'ping')}"]
    # NO_PROXY lists the hosts reached directly
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    async with influxdb_server.client(trust_env=True) as client:
        await client.ping()
    assert len(proxy.requests()) == 1
    # an explicit proxy wins over the environment
    other = http_proxy()
    async with influxdb_server.client(trust_env=True, proxy=other.url) as client:
        await client.ping()
    assert (len(proxy.requests()), len(other.requests())) == (1, 1)
