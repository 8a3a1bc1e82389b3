"""Configuration from a DSN and from the environment: the parsing (pure), then clients made
that way on real servers."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

import pytest

from aioinflux import (
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBQueryError,
    InfluxDBTimeoutError,
    _config,
)
from aioinflux._config import ENVIRONMENT, parse_dsn, parse_environment, redact_url

SECRET = "s3cr3t-pw"

# (DSN, the constructor options it stands for)
DSN_CASES = [
    # the influxdb package's forms: the path is the database, port 8086 by default
    ("influxdb://localhost:8086/mydb", {"host": "localhost", "port": 8086, "ssl": False, "db": "mydb"}),
    ("influxdb://u:pw@db.example:9999/mydb", {"host": "db.example", "port": 9999, "ssl": False, "db": "mydb", "username": "u", "password": "pw"}),
    ("influxdb://db.example", {"host": "db.example", "port": 8086, "ssl": False}),
    ("influxdb://db.example/", {"host": "db.example", "port": 8086, "ssl": False}),
    ("influxdb:///mydb", {"host": "localhost", "port": 8086, "ssl": False, "db": "mydb"}),
    ("https+influxdb://u:pw@db.example/mydb", {"host": "db.example", "port": 8086, "ssl": True, "db": "mydb", "username": "u", "password": "pw"}),
    ("INFLUXDB://db.example/mydb", {"host": "db.example", "port": 8086, "ssl": False, "db": "mydb"}),
    ("influxdb://[::1]:8087/mydb", {"host": "::1", "port": 8087, "ssl": False, "db": "mydb"}),
    ("influxdb://u@h/mydb", {"host": "h", "port": 8086, "ssl": False, "db": "mydb", "username": "u"}),
    ("influxdb://u:@h", {"host": "h", "port": 8086, "ssl": False, "username": "u", "password": ""}),
    # percent-decoding of user, password and database
    (
        "influxdb://us%40er:p%40ss%3Aw%2Frd%3F%23%25@h/my%20db",
        {"host": "h", "port": 8086, "ssl": False, "db": "my db", "username": "us@er", "password": "p@ss:w/rd?#%"},
    ),
    ("influxdb://u:p@ss@h/db", {"host": "h", "port": 8086, "ssl": False, "db": "db", "username": "u", "password": "p@ss"}),
    ("influxdb://h/db?db=db", {"host": "h", "port": 8086, "ssl": False, "db": "db"}),
    # URLs: the path is the API prefix, the database comes from ?db=, the ports of URLs
    ("http://h", {"host": "h", "port": 80, "ssl": False}),
    ("https://h", {"host": "h", "port": 443, "ssl": True}),
    ("http://h:8086/?db=mydb", {"host": "h", "port": 8086, "ssl": False, "db": "mydb"}),
    ("https://u:pw@h/influx/api?db=my%20db", {"host": "h", "port": 443, "ssl": True, "path": "/influx/api", "username": "u", "password": "pw", "db": "my db"}),
    ("http://h/influx/", {"host": "h", "port": 80, "ssl": False, "path": "/influx/"}),
    # unix sockets: the percent-encoded socket path stands for the host
    ("http+unix://%2Fvar%2Frun%2Finfluxdb.sock", {"unix_socket": "/var/run/influxdb.sock"}),
    (
        "http+unix://u:pw@%2Ftmp%2Fa%20b.sock/prefix?db=mydb",
        {"unix_socket": "/tmp/a b.sock", "path": "/prefix", "username": "u", "password": "pw", "db": "mydb"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("dsn", "options"), DSN_CASES)
def test_dsn_forms(dsn, options):
    assert parse_dsn(dsn) == options


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("localhost:8086", r"a DSN starts with a scheme: one of influxdb://, https\+influxdb://"),
        (f"u:{SECRET}@h", "a DSN starts with a scheme"),
        ("ftp://h/db", "DSN scheme 'ftp' is not known: one of influxdb://"),
        ("udp+influxdb://h/db", "aioinflux speaks HTTP only, not UDP"),
        (
            "influxdb://h:80x/db",
            r"DSN \(influxdb://\): port must be an int in 1-65535 \(or a str of one\), got '80x'",
        ),
        ("influxdb://h:0/db", "got '0'"),
        ("influxdb://h:70000/db", "got '70000'"),
        ("influxdb://h:/db", "the port after ':' is empty"),
        ("influxdb://[::1/db", "the IPv6 host has no closing"),
        ("influxdb://[::1]x/db", "unexpected 'x' after the IPv6 host"),
        ("influxdb://h1:8086,h2:8086/db", "one host only; several are not supported"),
        ("http:///prefix", r"DSN \(http://\): the host is missing"),
        ("http+unix:///prefix", "the socket path is missing"),
        (f"influxdb://:{SECRET}@h/db", "a password is given without a user name"),
        ("http://h/?database=x", r"unknown query parameter 'database' \(known: db, proxy\)"),
        ("http://h/?db=a&db=b", "query parameter 'db' is given twice"),
        ("http://h/?db=", "query parameter 'db' is empty"),
        ("http://h/?db", "the query string is malformed"),
        ("influxdb://h/a?db=b", "the path and \\?db= name different databases: 'a', 'b'"),
        # a password with an unencoded '/', '?' or '#' is refused without quoting it
        (f"influxdb://u:{SECRET[:3]}/{SECRET[3:]}@h/db", "percent-encode '/', '\\?' and '#'"),
        (f"influxdb://u:{SECRET[:3]}?{SECRET[3:]}@h/db", "percent-encode '/', '\\?' and '#'"),
        (f"influxdb://u:{SECRET[:3]}#{SECRET[3:]}@h/db", "percent-encode '#' \\(%23\\)"),
        (f"influxdb://u:{SECRET[:3]}?{SECRET[3:5]}={SECRET[5:]}@h/db", "percent-encode '/'"),
    ],
)
def test_malformed_dsns_are_refused_naming_the_part(dsn, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_dsn(dsn)
    for piece in (SECRET, SECRET[:3], SECRET[3:]):
        assert piece not in str(info.value)


@pytest.mark.parametrize(
    ("port", "host", "message"),
    [
        ("80x", "h", "port must be an int in 1-65535 (or a str of one), got '80x'"),
        ("0", "h", "port must be an int in 1-65535 (or a str of one), got '0'"),
        ("\u00b2", "h", "port must be an int in 1-65535 (or a str of one), got '\u00b2'"),
        ("8086", "a%20b", "host must be a host name or IP address, got 'a b'"),
    ],
)
def test_a_host_or_port_follows_one_rule_in_the_constructor_and_in_urls(port, host, message):
    # one mistake, one message: the DSN's and the proxy's only say where it was found
    with pytest.raises(ValueError, match=re.escape(message)):
        InfluxDBClient(host=unquote(host), port=port)
    with pytest.raises(ValueError, match=re.escape(f"DSN (influxdb://): {message}")):
        parse_dsn(f"influxdb://{host}:{port}/db")
    with pytest.raises(ValueError, match=re.escape(f"proxy 'http://{host}:{port}': {message}")):
        InfluxDBClient(proxy=f"http://{host}:{port}")


def test_dsn_must_be_text():
    with pytest.raises(TypeError, match="dsn must be a str, got bytes"):
        parse_dsn(b"influxdb://h/db")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("http://u:pw@h:1/x?y", "http://u:***@h:1/x?y"),
        ("http://u@h", "http://u@h"),
        ("http://h:1", "http://h:1"),
        ("http://u:p@ss@h", "http://u:***@h"),
        ("no scheme", "no scheme"),
        ("u:PW@proxy:1080", "u:***@proxy:1080"),
    ],
)
def test_redacted_urls_hide_the_password(url, redacted):
    assert redact_url(url) == redacted


def test_keyword_arguments_override_the_dsn():
    client = InfluxDBClient.from_dsn("influxdb://u:pw@h:1/a", db="b", port=2, mode="blocking")
    assert (client.db, client.port, client.url, client.mode) == ("b", 2, "http://h:2/", "blocking")
    assert InfluxDBClient.from_dsn("influxdb://h/a", database="c").db == "c"
    # a token replaces the DSN's credentials (both would be refused together)
    client = InfluxDBClient.from_dsn("influxdb://u:pw@h/a", token="t0k")
    assert (client.username, client._headers) == (None, {"Authorization": "Token t0k"})
    client = InfluxDBClient.from_dsn("https://h/influx?db=a")
    assert (client.url, client.db) == ("https://h:443/influx/", "a")


def test_the_password_is_not_in_the_repr():
    client = InfluxDBClient.from_dsn(f"influxdb://me:{SECRET}@h/db")
    assert SECRET not in repr(client)
    assert "username='me'" in repr(client)


# -- clients made from DSNs, on real servers ------------------------------------------------


@pytest.mark.server
async def test_dsn_with_credentials_on_an_auth_server(influxdb_auth_server, caplog):
    server = influxdb_auth_server
    caplog.set_level(logging.DEBUG, logger="aioinflux")
    password = "p@ss:w/rd?#% é"
    server.request(f"CREATE USER \"us@er\" WITH PASSWORD '{password}' WITH ALL PRIVILEGES")
    try:
        dsn = f"influxdb://{quote('us@er', safe='')}:{quote(password, safe='')}@{server.host}:{server.port}/dsndb"
        async with InfluxDBClient.from_dsn(dsn) as client:
            await client.create_database()
            await client.write("m v=1i 1")
            resp = await client.query("SELECT v FROM m")
            assert resp["results"][0]["series"][0]["values"] == [[1, 1]]
            await client.drop_database()
            assert password not in repr(client)
        # a wrong password is refused by the server: proof the decoded one was sent
        wrong = dsn.replace(quote(password, safe=""), "nope")
        async with InfluxDBClient.from_dsn(wrong) as client:
            with pytest.raises(InfluxDBQueryError, match="authorization failed"):
                await client.query("SHOW DATABASES")
    finally:
        server.request('DROP USER "us@er"')
    assert caplog.records
    assert password not in caplog.text
    assert quote(password, safe="") not in caplog.text


@pytest.mark.server
async def test_http_url_with_db_in_the_query_string(influxdb_server, influxdb_database):
    dsn = f"http://{influxdb_server.host}:{influxdb_server.port}/?db={influxdb_database}"
    async with InfluxDBClient.from_dsn(dsn) as client:
        assert client.db == influxdb_database
        await client.write("m v=2i 2")
        resp = await client.query("SELECT v FROM m")
    assert resp["results"][0]["series"][0]["values"] == [[2, 2]]


@pytest.mark.server
async def test_https_dsn_with_a_trusted_certificate(influxdb_https_server):
    server = influxdb_https_server
    dsn = f"https+influxdb://{server.host}:{server.port}/"
    async with InfluxDBClient.from_dsn(dsn, ssl=server.ssl_context()) as client:
        assert client.url.startswith("https://")
        assert (await client.ping())["X-Influxdb-Build"] == "OSS"


@pytest.mark.server
async def test_unix_socket_dsn(influxdb_unix_server):
    dsn = f"http+unix://{quote(influxdb_unix_server.unix_socket, safe='')}?db=sockdsn"
    async with InfluxDBClient.from_dsn(dsn) as client:
        assert client.unix_socket == influxdb_unix_server.unix_socket
        await client.create_database()
        await client.write("m v=3i 3")
        resp = await client.query("SELECT v FROM m")
        await client.drop_database()
    assert resp["results"][0]["series"][0]["values"] == [[3, 3]]


# -- the environment -------------------------------------------------------------------------

ENV_CASES = [
    ({}, {}),
    ({"INFLUX_URL": "influxdb://u:pw@h:1/a"}, {"host": "h", "port": 1, "ssl": False, "db": "a", "username": "u", "password": "pw"}),
    (
        {"INFLUX_URL": "https://h", "INFLUX_DB": "a", "INFLUX_USERNAME": "u", "INFLUX_PASSWORD": "pw", "INFLUX_SSL_CA_CERT": "/ca.pem"},
        {"host": "h", "port": 443, "ssl": True, "db": "a", "username": "u", "password": "pw", "ca_cert": "/ca.pem"},
    ),
    # the same thing said twice is fine
    ({"INFLUX_URL": "influxdb://u@h/a", "INFLUX_DB": "a", "INFLUX_USERNAME": "u"}, {"host": "h", "port": 8086, "ssl": False, "db": "a", "username": "u"}),
    ({"INFLUX_TOKEN": "t0k", "INFLUX_TIMEOUT": "2.5", "INFLUX_GZIP": "TRUE"}, {"token": "t0k", "timeout": 2.5, "gzip": True}),
    ({"INFLUX_GZIP": " off "}, {"gzip": False}),
    ({"INFLUX_TIMEOUT": "10"}, {"timeout": 10.0}),
    # empty means unset; other variables are not read
    ({"INFLUX_DB": "", "INFLUX_URL": "", "INFLUX_HOST": "elsewhere", "INFLUX_DATABASE": "x"}, {}),
]  # fmt: skip


@pytest.mark.parametrize(("environ", "options"), ENV_CASES)
def test_environment_variables(environ, options):
    assert parse_environment(environ) == options


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"INFLUX_URL": "localhost:8086"}, "INFLUX_URL: a DSN starts with a scheme"),
        ({"INFLUX_URL": "influxdb://h:x"}, r"INFLUX_URL: DSN \(influxdb://\): port must be"),
        ({"INFLUX_TIMEOUT": "fast"}, "INFLUX_TIMEOUT must be a positive number of seconds, got 'fast'"),
        ({"INFLUX_TIMEOUT": "0"}, "INFLUX_TIMEOUT must be a positive number of seconds, got '0'"),
        ({"INFLUX_TIMEOUT": "nan"}, "INFLUX_TIMEOUT must be a positive number"),
        ({"INFLUX_TIMEOUT": "inf"}, "INFLUX_TIMEOUT must be a positive number"),
        ({"INFLUX_GZIP": "maybe"}, "INFLUX_GZIP must be one of 1, true, yes, on or 0, false, no, off, got 'maybe'"),
        ({"INFLUX_URL": "influxdb://h/a", "INFLUX_DB": "b"}, "INFLUX_DB and INFLUX_URL disagree: INFLUX_URL gives 'a'"),
        ({"INFLUX_URL": "influxdb://u@h", "INFLUX_USERNAME": "v"}, "INFLUX_USERNAME and INFLUX_URL disagree"),
        (
            {"INFLUX_URL": f"influxdb://u:{SECRET}@h", "INFLUX_PASSWORD": "other"},
            "INFLUX_PASSWORD and INFLUX_URL disagree: INFLUX_URL gives a different password",
        ),
        ({"INFLUX_SSL_CA_CERT": "/ca.pem"}, "INFLUX_SSL_CA_CERT is set but INFLUX_URL is not an HTTPS URL"),
        ({"INFLUX_URL": "http://h", "INFLUX_SSL_CA_CERT": "/ca.pem"}, "INFLUX_URL is not an HTTPS URL"),
    ],
)  # fmt: skip
def test_bad_environment_values_name_the_variable(environ, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_environment(environ)
    assert SECRET not in str(info.value)


def test_from_env_reads_the_process_environment(monkeypatch):
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INFLUX_URL", "http://h:1/prefix")
    monkeypatch.setenv("INFLUX_DB", "a")
    monkeypatch.setenv("INFLUX_TOKEN", "t0k")
    monkeypatch.setenv("INFLUX_GZIP", "yes")
    client = InfluxDBClient.from_env(mode="blocking")
    assert (client.url, client.db, client.gzip, client.mode) == (
        "http://h:1/prefix/",
        "a",
        True,
        "blocking",
    )
    # keyword arguments override: credentials replace the token, database= the database
    client = InfluxDBClient.from_env(username="u", password="pw", database="b")
    assert (client.username, client.db) == ("u", "b")
    monkeypatch.setenv("INFLUX_TIMEOUT", "-1")
    with pytest.raises(ValueError, match="INFLUX_TIMEOUT must be a positive number"):
        InfluxDBClient.from_env()


def test_from_env_with_nothing_set_is_the_default_client(monkeypatch):
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    client = InfluxDBClient.from_env()
    assert (client.url, client.db, client.gzip) == ("http://localhost:8086/", None, False)


def test_a_missing_ca_file_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("INFLUX_URL", "https://h")
    monkeypatch.setenv("INFLUX_SSL_CA_CERT", str(tmp_path / "missing.pem"))
    with pytest.raises(ValueError, match="INFLUX_SSL_CA_CERT: cannot load certificates from"):
        InfluxDBClient.from_env()
    (tmp_path / "bad.pem").write_text("not a certificate")
    monkeypatch.setenv("INFLUX_SSL_CA_CERT", str(tmp_path / "bad.pem"))
    with pytest.raises(ValueError, match="INFLUX_SSL_CA_CERT: cannot load certificates from"):
        InfluxDBClient.from_env()


@pytest.mark.server
async def test_from_env_on_an_auth_server_over_https(monkeypatch, tmp_path):
    from aioinflux.testing import InfluxDBServer

    with InfluxDBServer(auth=True, https=True) as server:
        monkeypatch.setenv("INFLUX_URL", f"https+influxdb://{server.host}:{server.port}/envdb")
        monkeypatch.setenv("INFLUX_USERNAME", server.username)
        monkeypatch.setenv("INFLUX_PASSWORD", server.password)
        monkeypatch.setenv("INFLUX_SSL_CA_CERT", str(server.certificate))
        monkeypatch.setenv("INFLUX_GZIP", "1")
        monkeypatch.setenv("INFLUX_TIMEOUT", "30")
        async with InfluxDBClient.from_env() as client:
            assert (client.db, client.gzip) == ("envdb", True)
            await client.create_database()
            await client.write(["m v=1i 1", "m v=2i 2"])  # gzip bodies, accepted
            resp = await client.query("SELECT v FROM m")
            assert resp["results"][0]["series"][0]["values"] == [[1, 1], [2, 2]]
        # without the CA file the server's certificate is not trusted
        monkeypatch.delenv("INFLUX_SSL_CA_CERT")
        async with InfluxDBClient.from_env() as client:
            with pytest.raises(InfluxDBConnectionError, match="certificate verify failed"):
                await client.ping()
        # a wrong password from the environment is what the server sees
        monkeypatch.setenv("INFLUX_PASSWORD", "wrong")
        async with InfluxDBClient.from_env(ssl=server.ssl_context()) as client:
            with pytest.raises(InfluxDBQueryError, match="authorization failed"):
                await client.query("SHOW DATABASES")


@pytest.mark.server
async def test_timeout_from_the_environment(monkeypatch, fault_server):
    import asyncio

    async def never(request):
        await asyncio.Event().wait()

    port = await fault_server(never)
    monkeypatch.setenv("INFLUX_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("INFLUX_TIMEOUT", "0.2")
    async with InfluxDBClient.from_env() as client:
        with pytest.raises(InfluxDBTimeoutError, match=r"timed out \(timeout: 0.2 s\)"):
            await client.ping()


@pytest.mark.parametrize(("name", "value"), [("precision", "sec"), ("consistency", "most")])
def test_unknown_write_options_are_refused_before_anything_is_sent(name, value):
    with pytest.raises(ValueError, match=f"{name} must be one of .* got '{value}'"):
        _config.check_write_options(**{"precision": None, "consistency": None, name: value})
    # port 9 (discard): nothing listens there, so only a check before any I/O passes this
    client = InfluxDBClient(port=9, db="d", mode="blocking")
    try:
        with pytest.raises(ValueError, match=f"{name} must be one of .* got '{value}'"):
            client.write("m v=1i 1", **{name: value})
    finally:
        client.close()
