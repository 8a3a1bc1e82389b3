"""Hostile and broken networks: what sits between the client and influxd (proxies, load
balancers, a misconfigured vhost, a broken or hostile endpoint).

Small local servers produce what influxd cannot on demand (endless bodies, gzip bombs,
redirects, garbled answers, cut answers); a real influxd stands behind them where the
behaviour of the real server is the point (a followed redirect, a series over 10,000 rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import subprocess
import sys
import textwrap
import threading
import urllib.parse
import urllib.request
import zlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import psutil
import pytest
from aiohttp import web

from aioinflux import (
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBWriteError,
)
from aioinflux._protocol import ERROR_BODY_LIMIT, MAX_CHUNK_BYTES, QueryReader

pytestmark = pytest.mark.server

PASSWORD = "pw-Zq8v1xKe"
TOKEN = "tok-3RmW9yHq"
MB = 1024 * 1024


# -- helpers ------------------------------------------------------------------------------


def reachable_text(exc: BaseException) -> Iterator[str]:
    """Every text reachable from ``exc`` as a traceback printer or an error tracker walks it:
    str, repr, args, notes, cause, context, and every attribute, recursively."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (int, float, bool)):
            continue
        seen.add(id(obj))
        if isinstance(obj, (str, bytes)):
            yield obj if isinstance(obj, str) else obj.decode("latin-1")
            continue
        try:
            yield repr(obj)
            yield str(obj)
        except Exception:
            pass
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        if isinstance(obj, BaseException):
            stack.extend([obj.args, obj.__cause__, obj.__context__])
            stack.extend(getattr(obj, "__notes__", ()))
        if hasattr(obj, "items") and not isinstance(obj, dict):  # multidicts (headers)
            with contextlib.suppress(Exception):
                stack.extend(str(item) for item in obj.items())
        for name in dir(obj):
            if name.startswith("__") or isinstance(obj, type):
                continue
            try:
                value = getattr(obj, name)
            except Exception:
                continue
            if not callable(value) or isinstance(value, (dict, list)):
                stack.append(value)


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    import base64

    encoded = [base64.b64encode(f"admin:{s}".encode()).decode() for s in secrets]
    for text in reachable_text(exc):
        for secret in (*secrets, *encoded):
            assert secret not in text, f"{secret!r} reachable from {exc!r}: {text[:300]!r}"


class PeakRSS:
    """The peak resident memory of this process above its level at entry, sampled every
    2 ms by a thread (freed memory goes back to the system: the end alone would hide it)."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.growth = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.growth = max(self.growth, self._process.memory_info().rss - self._base)

    def __enter__(self) -> PeakRSS:
        self._base = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


async def endless(
    request: web.Request,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    piece: bytes,
    head: bytes = b"",
) -> web.StreamResponse:
    """An answer whose body (``head``, then ``piece`` again and again) never ends."""
    resp = web.StreamResponse(status=status, headers=headers or {})
    await resp.prepare(request)
    try:
        await resp.write(head)
        while True:
            await resp.write(piece)
    except (ConnectionError, RuntimeError, asyncio.CancelledError):
        pass
    return resp


def gzip_bomb_piece() -> tuple[bytes, bytes]:
    """The gzip header and a piece of a deflate stream of zeros, repeatable without end."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = compressor.compress(b"\0" * MB)
    piece = compressor.compress(b"\0" * MB) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return head, piece


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def raw_server() -> Any:
    """Plain TCP servers on 127.0.0.1 answering raw bytes (garbled HTTP); returns the port."""
    servers: list[asyncio.Server] = []

    async def start(answer: bytes, *, close: bool = True) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(answer)
                await writer.drain()
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                if close:
                    writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


# -- 1. bounded memory --------------------------------------------------------------------


async def test_an_endless_error_body_costs_little_on_write_query_and_ping(fault_server):
    async def handler(request: web.Request) -> web.StreamResponse:
        return await endless(request, status=500, headers={}, piece=b"oops " * 13107)

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d", timeout=60) as client:
        with PeakRSS() as rss:
            with pytest.raises(InfluxDBWriteError) as write_error:
                await client.write("m v=1 1")
            with pytest.raises(InfluxDBQueryError) as query_error:
                await client.query("SELECT * FROM m")
            with pytest.raises(InfluxDBError, match="answered 500") as ping_error:
                await client.ping()
    assert rss.growth < 100 * MB
    for error in (write_error.value, query_error.value, ping_error.value):
        assert "oops oops" in str(error)
        assert f"the first {ERROR_BODY_LIMIT:,} bytes of a longer answer" in str(error)
    assert write_error.value.status == query_error.value.status == 500


async def test_an_endless_answer_without_a_newline_fails_at_the_chunk_limit(fault_server):
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "application/json"}
        return await endless(request, status=200, headers=headers, piece=b"[" * 65536)

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d", timeout=60) as client:
        with PeakRSS() as rss, pytest.raises(InfluxDBError) as info:
            await client.query("SELECT * FROM m")
    assert rss.growth < 100 * MB
    assert f"longer than {MAX_CHUNK_BYTES:,} bytes (the client's max_chunk_bytes)" in str(
        info.value
    )
    assert not isinstance(info.value, InfluxDBConnectionError)


async def test_a_gzip_bomb_is_refused_when_gzip_was_not_asked_for(fault_server):
    head, piece = gzip_bomb_piece()

    async def handler(request: web.Request) -> web.StreamResponse:
        assert request.headers["Accept-Encoding"] == "identity"  # a local server: no gzip
        gzipped = {"Content-Encoding": "gzip"}
        return await endless(request, headers=gzipped, head=head, piece=piece)

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d", timeout=60) as client:
        with PeakRSS() as rss, pytest.raises(InfluxDBError) as info:
            await client.query("SELECT * FROM m")
    assert rss.growth < 100 * MB
    assert "Content-Encoding 'gzip', which the client did not ask for" in str(info.value)


@pytest.mark.parametrize("status", [200, 500])
async def test_a_gzip_bomb_is_inflated_only_up_to_the_limits(fault_server, status):
    head, piece = gzip_bomb_piece()

    async def handler(request: web.Request) -> web.StreamResponse:
        gzipped = {"Content-Encoding": "gzip"}
        return await endless(request, status=status, headers=gzipped, head=head, piece=piece)

    port = await fault_server(handler)
    # a session header of the user's own asks for gzip answers
    async with InfluxDBClient(
        "127.0.0.1", port, db="d", timeout=60, headers={"Accept-Encoding": "gzip"}
    ) as client:
        with PeakRSS() as rss:
            with pytest.raises(InfluxDBError) as query_error:
                await client.query("SELECT * FROM m")
            with pytest.raises(InfluxDBError) as ping_error:
                await client.ping()
    assert rss.growth < 100 * MB
    if status == 200:
        assert "longer than" in str(query_error.value)
    else:
        assert "the first 65,536 bytes of a longer answer" in str(query_error.value)
    assert "the first 65,536 bytes of a longer answer" in str(ping_error.value)


async def test_gzip_answers_asked_for_are_inflated(fault_server):
    answer = {
        "results": [
            {
                "statement_id": 0,
                "series": [{"name": "m", "columns": ["time", "v"], "values": [[1, 2]]}],
            }
        ]
    }

    async def handler(request: web.Request) -> web.Response:
        body = gzip.compress(json.dumps(answer).encode() + b"\n")
        return web.Response(
            body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    port = await fault_server(handler)
    async with InfluxDBClient(
        "127.0.0.1", port, db="d", headers={"Accept-Encoding": "gzip"}
    ) as client:
        assert await client.query("SELECT * FROM m") == answer


def test_aiohttps_own_inflating_cannot_be_turned_back_on():
    with pytest.raises(TypeError, match="auto_decompress= cannot be given"):
        InfluxDBClient(auto_decompress=True)


def test_the_chunk_limit_is_an_option_checked_at_once():
    with pytest.raises(ValueError, match="max_chunk_bytes must be an int of at least 1024"):
        InfluxDBClient(max_chunk_bytes=10)
    with pytest.raises(TypeError, match="max_chunk_bytes must be an int"):
        InfluxDBClient(max_chunk_bytes="1M")  # type: ignore[arg-type]
    assert InfluxDBClient(max_chunk_bytes=2048).max_chunk_bytes == 2048


async def test_the_chunk_limit_applies_to_the_real_server(influxdb_server, influxdb_database):
    async with influxdb_server.client(db=influxdb_database, max_chunk_bytes=4096) as client:
        await client.write([f"m v={i} {i}" for i in range(1000)])
        with pytest.raises(InfluxDBError, match="longer than 4,096 bytes"):
            await client.query("SELECT * FROM m")
        client.max_chunk_bytes = 1 << 20
        answer = await client.query("SELECT * FROM m")
    assert len(answer["results"][0]["series"][0]["values"]) == 1000


async def test_ten_thousand_wide_rows_pass_the_default_limit(influxdb_server, influxdb_database):
    fields = ",".join(f"field_{j:03d}={j}.5" for j in range(100))
    lines = [f"wide,host=h{i % 10} {fields} {i}" for i in range(10_000)]
    async with influxdb_server.client(db=influxdb_database, output="json") as client:
        await client.write(lines)
        chunks = [
            c
            async for c in await client.query("SELECT * FROM wide", chunked=True, chunk_size=10_000)
        ]
    assert len(chunks) == 1
    assert len(chunks[0]["results"][0]["series"][0]["values"]) == 10_000


# -- 2. no secret reachable from an exception ---------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 abc garbled\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 200_000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{",
    ],
    ids=["garbled-status", "oversized-header", "short-body"],
)
@pytest.mark.parametrize("auth", ["password", "token"])
async def test_no_secret_is_reachable_from_transport_errors(raw_server, answer, auth):
    port = await raw_server(answer)
    credentials = (
        {"username": "admin", "password": PASSWORD} if auth == "password" else {"token": TOKEN}
    )
    async with InfluxDBClient("127.0.0.1", port, db="d", **credentials) as client:
        for call in (
            lambda: client.query("SHOW DATABASES"),
            lambda: client.write("m v=1"),
            client.ping,
        ):
            with pytest.raises(InfluxDBError) as info:
                await call()
            assert_no_secret(info.value, PASSWORD, TOKEN)


async def test_no_proxy_password_is_reachable_from_a_407(raw_server):
    proxy_port = await raw_server(
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
    )
    proxy = f"http://me:{PASSWORD}@127.0.0.1:{proxy_port}"
    # an https server makes aiohttp CONNECT through the proxy: its 407 is aiohttp's error
    async with InfluxDBClient("127.0.0.1", 1, ssl=True, proxy=proxy, token=TOKEN) as client:
        with pytest.raises(InfluxDBConnectionError, match="407") as info:
            await client.query("SHOW DATABASES")
    assert_no_secret(info.value, PASSWORD, TOKEN)
    assert "me:***@" in str(info.value)


def test_no_password_is_reachable_from_a_bad_proxy_or_dsn():
    for make in (
        lambda: InfluxDBClient(proxy=f"me:{PASSWORD}@proxy:1080"),
        lambda: InfluxDBClient.from_dsn(f"influxdb://me:{PASSWORD}@h:x/db"),
        lambda: InfluxDBClient.from_dsn(f"http://me:{PASSWORD}@h/?proxy=socks5://me:{PASSWORD}@p"),
    ):
        with pytest.raises(ValueError, match=r"proxy|DSN") as info:
            make()
        assert_no_secret(info.value, PASSWORD)


def test_the_secret_walk_finds_a_secret_in_a_chain():
    # the walk itself is tested: a secret two levels down an exception's chain is found
    inner = RuntimeError("x")
    inner.headers = {"Authorization": f"Token {TOKEN}"}  # type: ignore[attr-defined]
    outer = ValueError("y")
    outer.__context__ = inner
    with pytest.raises(AssertionError, match="reachable"):
        assert_no_secret(outer, TOKEN)


# -- 3. redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_a_post_redirect_that_would_drop_the_body_raises_naming_it(fault_server, status):
    arrivals: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        arrivals.append(f"{request.method} {request.path}")
        if request.method == "GET" and request.path != "/ping":
            return web.Response(status=204)  # what a lenient endpoint answers to the GET
        if request.path.startswith("/moved"):
            return web.Response(status=204)
        return web.Response(status=status, headers={"Location": f"/moved{request.path}"})

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        with pytest.raises(InfluxDBError) as write_error:
            await client.write("m v=1 1")
        with pytest.raises(InfluxDBError) as query_error:
            await client.query("SHOW DATABASES")
    for error in (write_error.value, query_error.value):
        assert f"was redirected ({status}" in str(error)
        assert f"'http://127.0.0.1:{port}/moved/" in str(error)
        assert "point the client at the new address" in str(error)
    assert arrivals == ["POST /write", "POST /query"]  # nothing sent to the GET


@pytest.mark.parametrize("status", [307, 308])
async def test_a_307_or_308_is_followed_to_the_real_server_with_the_body(
    fault_server, influxdb_server, influxdb_database, status
):
    async def handler(request: web.Request) -> web.Response:
        location = f"{influxdb_server.url}{request.path.lstrip('/')}?{request.query_string}"
        return web.Response(status=status, headers={"Location": location})

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db=influxdb_database) as client:
        assert await client.write("m v=7 7") is True
        answer = await client.query("SELECT v FROM m")
    assert answer["results"][0]["series"][0]["values"] == [[7, 7]]


async def test_credentials_follow_a_redirect_on_the_same_origin_only(fault_server):
    seen: list[tuple[str, str | None, bytes]] = []

    async def other(request: web.Request) -> web.Response:
        seen.append(("other", request.headers.get("Authorization"), await request.read()))
        return web.Response(status=204)

    other_port = await fault_server(other)

    async def handler(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("Authorization"), await request.read()))
        if request.path == "/write":
            return web.Response(status=307, headers={"Location": "/same/write"})
        if request.path == "/same/write":
            return web.Response(
                status=307, headers={"Location": f"http://localhost:{other_port}/w"}
            )
        return web.Response(status=500)

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d", token=TOKEN) as client:
        assert await client.write("m v=1 1") is True
    auth = f"Token {TOKEN}"
    assert seen == [
        ("/write", auth, b"m v=1 1"),
        ("/same/write", auth, b"m v=1 1"),
        ("other", None, b"m v=1 1"),
    ]


async def test_a_redirect_loop_ends(fault_server):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": request.path})

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        with pytest.raises(InfluxDBError, match="redirected more than 10 times"):
            await client.write("m v=1 1")


# -- 4. cut answers -------------------------------------------------------------------------

FIRST = {
    "results": [
        {
            "statement_id": 0,
            "partial": True,
            "series": [
                {"name": "m", "columns": ["time", "v"], "values": [[1, 1]], "partial": True}
            ],
        }
    ]
}
LAST = {
    "results": [
        {"statement_id": 0, "series": [{"name": "m", "columns": ["time", "v"], "values": [[2, 2]]}]}
    ]
}


def json_lines(*chunks: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(chunk).encode() + b"\n" for chunk in chunks)


@pytest.mark.parametrize("ending", ["clean", "closed"])
async def test_an_answer_cut_after_a_partial_chunk_is_an_error(fault_server, raw_server, ending):
    if ending == "clean":

        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=json_lines(FIRST), content_type="application/json")

        port = await fault_server(handler)
    else:  # no length, no chunked encoding: the connection closing ends the body
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        port = await raw_server(head + json_lines(FIRST))
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        with pytest.raises(InfluxDBError, match="the answer ended before the server finished"):
            await client.query("SELECT * FROM m")
        chunks = await client.query("SELECT * FROM m", chunked=True)
        assert await anext(chunks) == FIRST
        with pytest.raises(InfluxDBError, match="the answer ended before the server finished"):
            await anext(chunks)


async def test_a_whole_answer_in_partial_chunks_is_no_error(fault_server):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=json_lines(FIRST, LAST), content_type="application/json")

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        answer = await client.query("SELECT * FROM m")
    assert answer["results"][0]["series"][0]["values"] == [[1, 1], [2, 2]]


@pytest.mark.parametrize("chunk_size", [None, 10_000, 5_000, 7_000])
async def test_series_over_ten_thousand_rows_are_whole_from_the_real_server(
    influxdb_server, influxdb_database, chunk_size
):
    async with influxdb_server.client(db=influxdb_database) as client:
        await client.write([f"a v={i} {i}" for i in range(25_000)] + ["b v=1 1"])
        q = "SELECT * FROM a; SELECT * FROM b"
        if chunk_size is None:
            answer = await client.query(q)
            assert [len(r["series"][0]["values"]) for r in answer["results"]] == [25_000, 1]
        else:
            chunks = await client.query(q, chunked=True, chunk_size=chunk_size)
            rows = [
                len(s["values"]) async for c in chunks for r in c["results"] for s in r["series"]
            ]
            assert sum(rows) == 25_001


def test_the_real_servers_non_chunked_partial_series_is_no_cut(influxdb_server, influxdb_database):
    # influxd's NON-chunked answer flags a whole series over 10,000 rows "partial": true,
    # with its result unflagged: read as it is, that answer is complete (no error)
    lines = "\n".join(f"a v={i} {i}" for i in range(12_000)).encode()
    url = f"{influxdb_server.url}write?db={influxdb_database}"
    urllib.request.urlopen(urllib.request.Request(url, data=lines, method="POST")).read()
    form = urllib.parse.urlencode({"q": "SELECT * FROM a", "db": influxdb_database, "epoch": "ns"})
    request = urllib.request.Request(f"{influxdb_server.url}query", data=form.encode())
    with urllib.request.urlopen(request) as resp:
        body, headers = resp.read(), dict(resp.headers)
    series = json.loads(body)["results"][0]["series"][0]
    assert series.get("partial") is True
    assert len(series["values"]) == 12_000
    reader = QueryReader(200, headers)
    chunks = reader.feed(body) + reader.close()
    assert len(chunks[0]["results"][0]["series"][0]["values"]) == 12_000


# -- 5. odd answers ---------------------------------------------------------------------------


def answering(
    body: bytes, content_type: str = "application/json", arrivals: list[str] | None = None
):
    async def handler(request: web.Request) -> web.Response:
        if arrivals is not None:
            arrivals.append(request.path)
        return web.Response(body=body, headers={"Content-Type": content_type})

    return handler


async def test_a_wrong_shape_names_what_was_expected(fault_server):
    port = await fault_server(answering(b'{"results":[1,"x",null]}\n'))
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        with pytest.raises(
            InfluxDBError, match=r'unexpected answer from the server, expected \{"results": \[\{'
        ) as info:
            await client.query("SELECT * FROM m")
    assert type(info.value) is InfluxDBError


async def test_an_undecodable_answer_is_no_connection_error_and_is_not_retried(fault_server):
    arrivals: list[str] = []
    deep = b'{"results":' + b"[" * 200_000 + b"]" * 200_000 + b"}\n"
    port = await fault_server(answering(deep, arrivals=arrivals))
    async with InfluxDBClient("127.0.0.1", port, db="d", retry_for=5) as client:
        with pytest.raises(InfluxDBError, match="nested too deeply") as info:
            await client.query("SELECT * FROM m")
    assert not isinstance(info.value, InfluxDBConnectionError)
    assert arrivals == ["/query"]


async def test_a_page_that_is_not_json_says_so(fault_server):
    page = b"<html><body>Welcome to nginx!</body></html>"
    port = await fault_server(answering(page, "text/html; charset=utf-8"))
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        with pytest.raises(InfluxDBError) as info:
            await client.query("SELECT * FROM m")
    assert "the server's answer is not JSON (Content-Type: 'text/html; charset=utf-8')" in str(
        info.value
    )
    assert "Welcome to nginx" in str(info.value)


# -- 6. dropped blocking clients ----------------------------------------------------------------

DROPPED = textwrap.dedent(
    """
    import gc, os, sys, time, warnings
    from aioinflux import InfluxDBClient

    def sockets():
        count = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
            except OSError:
                pass
        return count

    port = int(sys.argv[1])
    with InfluxDBClient("127.0.0.1", port, mode="blocking") as client:
        client.ping()  # the blocking mode's loop exists (its own socket pair)
    before = sockets()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(200):
            client = InfluxDBClient("127.0.0.1", port, mode="blocking")
            client.ping()
            del client
        gc.collect()
    ours = [w for w in caught if "was not closed" in str(w.message)]
    print("warned", len(ours), "other", [str(w.message)[:80] for w in caught if w not in ours])
    deadline = time.monotonic() + 30
    while sockets() > before and time.monotonic() < deadline:
        time.sleep(0.05)  # the closings run on the blocking mode's loop: wait for them
    print("sockets", before, sockets())
    """
)


def test_dropped_blocking_clients_warn_and_leave_no_socket(influxdb_server):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", DROPPED, str(influxdb_server.port)],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "warned 200 other []"
    before, after = lines[1].split()[1:]
    assert after == before
    assert "Non-thread-safe" not in done.stderr
    assert "Exception ignored" not in done.stderr
