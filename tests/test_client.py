"""InfluxDBClient against a real, throwaway influxd: endpoints, options, errors, sessions."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import warnings

import aiohttp
import pytest

from aioinflux import InfluxDBClient, InfluxDBError, InfluxDBQueryError, InfluxDBWriteError

pytestmark = pytest.mark.server


def values(resp, statement=0, series=0):
    return resp["results"][statement]["series"][series]["values"]


# -- configuration (no server needed) ---------------------------------------------------


def test_invalid_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be 'async' or 'blocking', got 'sync'"):
        InfluxDBClient(mode="sync")


def test_mode_can_be_switched_and_is_checked():
    client = InfluxDBClient()
    client.mode = "blocking"
    assert client.mode == "blocking"
    with pytest.raises(ValueError, match="got 'dataframes'"):
        client.mode = "dataframes"
    assert client.mode == "blocking"


def test_output_is_checked_and_raw_is_json():
    client = InfluxDBClient(output="raw")
    assert client.output == "json"
    with pytest.raises(
        ValueError,
        match="output must be 'json', 'raw', 'iterable', 'dataframe' or 'polars', got 'xml'",
    ):
        client.output = "xml"


def test_db_must_be_text():
    with pytest.raises(TypeError, match="db must be a str or None, got int"):
        InfluxDBClient(db=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("option", "reason"),
    [("loop", "one session per loop"), ("redis_opts", "redis"), ("cache_expiry", "redis")],
)
def test_options_removed_since_aioinflux_0x_are_refused_by_name(option, reason):
    with pytest.raises(TypeError, match=f"got {option}, removed in aioinflux 0.10: .*{reason}"):
        InfluxDBClient(**{option: None})


def test_schema_types_are_exported_as_in_0x():
    from aioinflux import MEASUREMENT, TAG, lineprotocol
    from aioinflux.serialization import usertype

    assert (lineprotocol, MEASUREMENT, TAG) == (
        usertype.lineprotocol,
        usertype.MEASUREMENT,
        usertype.TAG,
    )


def test_database_is_an_alias_of_db():
    assert InfluxDBClient(database="x").db == "x"
    with pytest.raises(ValueError, match="different databases"):
        InfluxDBClient(db="x", database="y")


def test_repr_shows_no_secret():
    client = InfluxDBClient(username="me", password="hunter2", db="d")
    assert "hunter2" not in repr(client)
    assert "username='me'" in repr(client)
    assert "tok-secret" not in repr(InfluxDBClient(token="tok-secret"))


def test_invalid_ssl_and_timeout_are_refused():
    with pytest.raises(TypeError, match="ssl must be"):
        InfluxDBClient(ssl="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        InfluxDBClient(timeout=-1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": "8086x"}, "port must be an int in 1-65535 (or a str of one), got '8086x'"),
        ({"port": 0}, "port must be an int in 1-65535 (or a str of one), got 0"),
        ({"port": 65536}, "got 65536"),
        ({"port": True}, "got True"),
        ({"port": 8086.0}, "got 8086.0"),
        ({"port": None}, "got None"),
        ({"host": ""}, "host must be a host name or IP address, got ''"),
        ({"host": "http://db"}, "without a scheme, got 'http://db': pass ssl=True"),
        ({"host": "db:8086"}, "got 'db:8086': pass the port as port=..."),
        ({"host": "db/influx"}, "got 'db/influx': a path prefix goes in path=..."),
        ({"host": "db example"}, "got 'db example'"),
    ],
)
def test_a_bad_host_or_port_is_refused_at_construction(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        InfluxDBClient(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"path": 3}, "path must be a str (a URL path prefix), got 3"),
        ({"unix_socket": 3}, "unix_socket must be a path (a str) or None, got 3"),
        ({"gzip": "yes"}, "gzip must be True or False, got 'yes'"),
        ({"username": 3, "password": "x"}, "username must be a str or None, got int"),
        ({"username": "u", "password": 12345}, "password must be a str or None, got int"),
        ({"token": b"secret"}, "token must be a str or None, got bytes"),
    ],
)
def test_options_of_the_wrong_type_are_refused_at_construction(options, message):
    with pytest.raises(TypeError, match=re.escape(message)) as info:
        InfluxDBClient(**options)
    assert "12345" not in str(info.value)
    assert "secret" not in str(info.value)


def test_host_must_be_text():
    with pytest.raises(TypeError, match="host must be a str"):
        InfluxDBClient(host=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("::1", "8086", "http://[::1]:8086/"),
        ("[::1]", 1, "http://[::1]:1/"),
        ("fe80::1%eth0", 65535, "http://[fe80::1%eth0]:65535/"),
        ("127.0.0.1", " 8087 ", "http://127.0.0.1:8087/"),
    ],
)
def test_good_hosts_and_ports_are_accepted(host, port, url):
    client = InfluxDBClient(host=host, port=port)
    assert client.url == url
    assert isinstance(client.port, int)


def test_url():
    assert InfluxDBClient("db.example", 8087, "/influx", ssl=True).url == (
        "https://db.example:8087/influx/"
    )


async def test_an_empty_database_name_is_not_replaced_by_the_default(client):
    with pytest.raises(ValueError, match="write needs a database"):
        await client.write("m v=1", db="")
    for output in ("json", "iterable", "dataframe"):
        client.output = output
        with pytest.raises(ValueError, match="db='' names no database"):
            await client.query("SELECT * FROM m", db="")
        with pytest.raises(ValueError, match="db='' names no database"):
            await client.query("SELECT * FROM m", db="", chunked=True)
    with pytest.raises(ValueError, match="db='' names no database"):
        await client.get_tag_info(db="")


async def test_write_without_a_database_fails_before_any_io():
    # port 9 (discard) is never contacted: the error comes first
    async with InfluxDBClient(port=9) as client:
        with pytest.raises(ValueError, match="write needs a database"):
            await client.write("m v=1")
        assert client.closed


# -- endpoints ---------------------------------------------------------------------------


async def test_ping_returns_the_server_headers(client):
    headers = await client.ping()
    assert headers["X-Influxdb-Version"].startswith("1.")
    assert "X-Influxdb-Build" in headers


async def test_write_then_read_back(client):
    assert await client.write("cpu,host=a load=0.5,n=3i 1000000000") is True
    assert await client.write([b"cpu,host=b load=1.5,n=4i 2000000000", "cpu,host=c ok=true 3"])
    resp = await client.query("SELECT host, load, n, ok FROM cpu")
    assert values(resp) == [
        [3, "c", None, None, True],
        [1000000000, "a", 0.5, 3, None],
        [2000000000, "b", 1.5, 4, None],
    ]


async def test_a_body_over_a_mebibyte_is_sent_without_warnings(client):
    # aiohttp warns (an error here) when given more than 1 MiB of bytes at once
    lines = [f"m v={i}i {i}" for i in range(100_000)]
    assert len("\n".join(lines)) > 1 << 20
    await client.write(lines)
    assert values(await client.query("SELECT count(v) FROM m")) == [[0, 100_000]]


async def test_precision_is_sent(client):
    await client.write("m v=1 1500", precision="s")
    await client.write("m v=2 1", precision="h")
    resp = await client.query("SELECT v FROM m", epoch="s")
    assert values(resp) == [[1500, 1.0], [3600, 2.0]]


@pytest.mark.parametrize(
    ("epoch", "time"),
    [
        ("ns", 1_500_000_000_123_456_789),
        ("u", 1_500_000_000_123_456),
        ("ms", 1_500_000_000_123),
        ("s", 1_500_000_000),
        (None, "2017-07-14T02:40:00.123456789Z"),
    ],
)
async def test_epoch(client, epoch, time):
    await client.write("m v=1 1500000000123456789")
    assert values(await client.query("SELECT v FROM m", epoch=epoch))[0][0] == time


async def test_db_can_be_switched(client, influxdb_server):
    other = influxdb_server.request('CREATE DATABASE "other_db_switch"') and "other_db_switch"
    try:
        first = client.db
        await client.write("m v=1 1")
        await client.write("m v=2 1", db=other)
        client.db = other
        assert values(await client.query("SELECT v FROM m")) == [[1, 2.0]]
        assert values(await client.query("SELECT v FROM m", db=first)) == [[1, 1.0]]
    finally:
        influxdb_server.request('DROP DATABASE "other_db_switch"')


async def test_retention_policy(client):
    await client.query(
        f'CREATE RETENTION POLICY "short" ON "{client.db}" DURATION 1h REPLICATION 1'
    )
    await client.write("m v=1", rp="short")
    assert len(values(await client.query(f'SELECT v FROM "{client.db}"."short"."m"'))) == 1
    assert "series" not in (await client.query("SELECT v FROM m"))["results"][0]


async def test_bound_parameters(client):
    await client.write(["m,host=a v=1 1", "m,host=b\\ c v=2 2"])
    resp = await client.query("SELECT v FROM m WHERE host = $h", params={"h": "b c"})
    assert values(resp) == [[2, 2.0]]


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"h": object()}, TypeError, "params['h'] = <object object at"),
        (
            {"h": {1, 2}},
            TypeError,
            "params['h'] = {1, 2} (set) cannot be sent as a bound parameter",
        ),
        ({"h": float("nan")}, ValueError, "params['h'] is nan, which JSON cannot carry"),
        ({"h": float("inf")}, ValueError, "params['h'] is inf"),
        ({1: "x"}, TypeError, "parameter names must be str, got 1"),
        ([("h", "x")], TypeError, "params must be a mapping of names to values"),
    ],
)
async def test_bound_parameters_json_cannot_carry_are_refused_before_any_io(params, error, message):
    async with InfluxDBClient(port=9, db="d") as unreachable:
        with pytest.raises(error, match=re.escape(message)):
            await unreachable.query("SELECT v FROM m WHERE host = $h", params=params)
        assert unreachable.closed


async def test_result_helpers_given_a_query_not_awaited_say_to_await_it(client):
    from aioinflux import InfluxDBResult, iterpoints

    with pytest.raises(TypeError, match=r"iterpoints\(\) got a coroutine: await the query"):
        iterpoints(client.query("SELECT * FROM m"))
    with pytest.raises(TypeError, match=r"InfluxDBResult\(\) got a coroutine: await the"):
        InfluxDBResult(client.query("SELECT * FROM m"))
    gc.collect()  # an unclosed coroutine would warn "never awaited" here (an error in tests)


async def test_query_text_may_be_bytes(client):
    assert "results" in await client.query(b"SHOW MEASUREMENTS")


async def test_multi_statement_results(client):
    await client.write("m v=1 1")
    resp = await client.query("SELECT v FROM m; SHOW MEASUREMENTS")
    assert [r["statement_id"] for r in resp["results"]] == [0, 1]
    assert values(resp, 1) == [["m"]]


async def test_empty_write_sends_nothing(client):
    assert await client.write([]) is True
    assert (await client.query("SHOW MEASUREMENTS"))["results"][0] == {"statement_id": 0}


# -- server errors -----------------------------------------------------------------------


async def test_write_to_a_missing_database(client):
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write("m v=1", db="no_such_db")
    assert info.value.status == 404
    assert info.value.message == 'database not found: "no_such_db"'
    assert not info.value.partial


async def test_partial_write_reports_what_was_dropped(client):
    # the client refuses what influxd 1.x refuses, except unsigned integers (valid from 1.8)
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write(["m v=1 1", "m v=2u 2", "m v=3 3"])
    err = info.value
    assert (err.status, err.partial, err.dropped, err.lines) == (400, True, 0, ["m v=2u 2"])
    assert "invalid number" in err.message
    # the server wrote the good lines: the error says so by being partial
    assert values(await client.query("SELECT v FROM m")) == [[1, 1.0], [3, 3.0]]


async def test_field_type_conflict_is_a_partial_write(client):
    await client.write("m v=1 1")
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write(['m v="text" 2', "m v=3 3"])
    assert (info.value.partial, info.value.dropped) == (True, 1)
    assert "field type conflict" in info.value.message


async def test_unparseable_write(client):
    # unsigned integers: valid from InfluxDB 1.8, refused by 1.6 (the only line: not partial)
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write("m v=1u")
    assert (info.value.status, info.value.partial) == (400, False)
    assert info.value.lines == ["m v=1u"]


async def test_query_parse_error(client):
    with pytest.raises(InfluxDBQueryError) as info:
        await client.query("SELEC 1")
    assert info.value.status == 400
    assert "error parsing query: found SELEC" in str(info.value)


async def test_statement_error_names_its_statement(client):
    with pytest.raises(InfluxDBQueryError) as info:
        await client.query("SHOW MEASUREMENTS; SELECT v FROM m WHERE time > 'x'")
    assert info.value.status == 200
    message = "invalid operation: time and *influxql.StringLiteral are not compatible"
    assert info.value.errors == [(1, message)]
    assert str(info.value) == f"statement 1: {message}"


async def test_statement_error_in_a_chunked_query(client):
    await client.write("m v=1 1")
    chunks = await client.query("SELECT v FROM m; SELECT v FROM m WHERE time > 'x'", chunked=True)
    first = await chunks.__anext__()
    assert values(first) == [[1, 1.0]]
    with pytest.raises(InfluxDBQueryError) as info:
        await chunks.__anext__()
    assert info.value.errors == [
        (1, "invalid operation: time and *influxql.StringLiteral are not compatible")
    ]
    await chunks.aclose()


# -- chunked -----------------------------------------------------------------------------


async def test_chunked_query_streams_every_point(client):
    await client.write([f"m v={i}i {i}" for i in range(25)])
    chunks = [c async for c in await client.query("SELECT v FROM m", chunked=True, chunk_size=10)]
    assert [len(values(c)) for c in chunks] == [10, 10, 5]
    assert [v for c in chunks for _, v in values(c)] == list(range(25))


async def test_chunked_query_error_status(client):
    with pytest.raises(InfluxDBQueryError, match="error parsing query"):
        async for _ in await client.query("SELEC", chunked=True):
            pass


# -- sessions ----------------------------------------------------------------------------


async def test_one_connection_is_reused(influxdb_server, influxdb_database):
    created, reused = [], []
    trace = aiohttp.TraceConfig()

    async def on_create(session, ctx, params):
        created.append(1)

    async def on_reuse(session, ctx, params):
        reused.append(1)

    trace.on_connection_create_end.append(on_create)
    trace.on_connection_reuseconn.append(on_reuse)
    async with influxdb_server.client(db=influxdb_database, trace_configs=[trace]) as client:
        for i in range(5):
            await client.write(f"m v={i}")
            await client.query("SELECT * FROM m")
    assert (len(created), len(reused)) == (1, 9)


async def test_fifty_concurrent_queries_on_one_client(client):
    await client.write([f"m,q=q{i} v={i}i {i}" for i in range(50)])
    queries = [
        client.query("SELECT v FROM m WHERE q = $q", params={"q": f"q{i}"}) for i in range(50)
    ]
    results = await asyncio.gather(*queries)
    assert [values(r)[0][1] for r in results] == list(range(50))


async def test_close_is_idempotent_and_the_client_reopens(client):
    assert client.closed
    await client.ping()
    assert not client.closed
    await client.close()
    await client.close()
    assert client.closed
    await client.ping()
    assert not client.closed


async def test_create_session_kwargs_apply(influxdb_server, influxdb_database):
    async with influxdb_server.client(db=influxdb_database) as client:
        session = await client.create_session(headers={"X-Test": "1"})
        assert session.headers["X-Test"] == "1"
        assert client.opts["headers"] == {"X-Test": "1"}
        await client.ping()


def test_client_used_by_two_asyncio_runs(influxdb_server):
    client = influxdb_server.client()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(client.ping())
        # asyncio.run() closed the session of its loop on the way out
        assert client.closed
        assert asyncio.run(client.ping())  # a new loop gets a new session
        assert client.closed
        gc.collect()


def test_unclosed_client_warns(influxdb_server):
    client = influxdb_server.client(mode="blocking")
    client.ping()
    with pytest.warns(ResourceWarning, match="was not closed"):
        client.__del__()
    client.close()
    assert client.closed


# -- logging -----------------------------------------------------------------------------


async def test_requests_are_logged_without_credentials(influxdb_auth_server, caplog):
    caplog.set_level(logging.DEBUG, logger="aioinflux")
    async with influxdb_auth_server.client() as client:
        await client.query("SHOW DATABASES")
    lines = [r.getMessage() for r in caplog.records if r.name == "aioinflux"]
    assert len(lines) == 1
    assert lines[0].startswith(f"POST {influxdb_auth_server.url}query -> 200 (")
    assert influxdb_auth_server.password not in caplog.text


# -- generic server errors ---------------------------------------------------------------


async def test_ping_error_is_an_influxdb_error():
    # /ping answered by something that is not InfluxDB: a 404 from the test server's HTTP
    from aiohttp import web

    app = web.Application()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with InfluxDBClient("127.0.0.1", port) as client:
            with pytest.raises(InfluxDBError, match="answered 404"):
                await client.ping()
    finally:
        await runner.cleanup()
