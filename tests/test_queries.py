"""Query patterns against a real, throwaway influxd: what each pattern does on the server,
user-defined patterns, and hostile arguments that must be taken literally."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from docs_examples import python_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioinflux import InfluxDBClient, InfluxDBError, InfluxDBQueryError
from aioinflux.queries import HELPERS, PATTERNS

pytestmark = pytest.mark.server

# Names that try to end the quotes, start another statement or confuse the escaping.
HOSTILE = [
    'x"; DROP DATABASE "keep',
    "it's'; DROP DATABASE keep; --",
    "back\\slash",
    "semi;colon",
    "温度 🎉",
    "mixed '\"\\; --",
]


def series(resp, statement=0):
    return resp["results"][statement].get("series", [])


def column(resp, name="name"):
    """One column of every series of the first statement, in order."""
    return [row[s["columns"].index(name)] for s in series(resp) for row in s.get("values", [])]


def lp_measurement(name):
    # line protocol: a measurement escapes commas and spaces (as influxd 1.x parses it)
    return name.replace(",", "\\,").replace(" ", "\\ ")


def unique(prefix="t"):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def keep(client):
    """A database that hostile arguments try to drop; checked to survive."""
    await client.create_database(db="keep")
    yield "keep"
    assert "keep" in column(await client.show_databases())
    await client.drop_database("keep")


# -- databases --------------------------------------------------------------------------


async def test_create_and_drop_database_default_to_the_clients_db(influxdb_server):
    name = unique()
    async with influxdb_server.client(db=name) as client:
        assert name not in column(await client.show_databases())
        await client.create_database()
        assert name in column(await client.show_databases())
        await client.drop_database()
        assert name not in column(await client.show_databases())


async def test_database_argument_by_position_or_keyword(client):
    first, second = unique(), unique()
    await client.create_database(first)
    await client.create_database(db=second)
    names = column(await client.show_databases())
    assert {first, second, client.db} <= set(names)
    await client.drop_database(first)
    await client.drop_database(db=second)
    names = column(await client.show_databases())
    assert first not in names
    assert second not in names
    assert client.db in names


async def test_pattern_without_a_database_fails_before_any_io():
    # port 9 (discard) is never contacted: the error comes first, at the call
    async with InfluxDBClient(port=9) as client:
        with pytest.raises(ValueError, match=r"create_database\(\) needs a database"):
            client.create_database()
        with pytest.raises(ValueError, match=r"select_all\(\) needs a database"):
            client.select_all("cpu")
        with pytest.raises(TypeError, match=r"select_all\(\) missing argument 'measurement'"):
            client.select_all()
        assert client.closed


@pytest.mark.parametrize("name", ['x"; DROP DATABASE "keep', "it's", "semi;colon", "温度 🎉"])
async def test_hostile_database_names_are_created_exactly(client, keep, name):
    await client.create_database(name)
    assert name in column(await client.show_databases())
    await client.drop_database(name)
    assert name not in column(await client.show_databases())


@pytest.mark.parametrize("name", ["back\\slash", "line\nbreak", "tab\tx", "sl/ash", ".", ""])
async def test_database_names_the_server_refuses_raise_its_error(client, keep, name):
    before = column(await client.show_databases())
    with pytest.raises(InfluxDBQueryError, match="invalid name"):
        await client.create_database(name)
    assert column(await client.show_databases()) == before


# -- measurements, series, keys and values ----------------------------------------------

DATA = [
    "cpu,host=a,region=eu load=1,temp=20i 1",
    "cpu,host=b,region=us load=2,temp=21i 2",
    'disk,host=a,path=/ used=0.5,label="root" 3',
]


async def test_show_measurements_series_keys_and_values(client):
    await client.write(DATA)
    assert column(await client.show_measurements()) == ["cpu", "disk"]
    assert column(await client.show_series(), "key") == [
        "cpu,host=a,region=eu",
        "cpu,host=b,region=us",
        "disk,host=a,path=/",
    ]
    keys = await client.show_tag_keys()
    assert {s["name"]: [v[0] for v in s["values"]] for s in series(keys)} == {
        "cpu": ["host", "region"],
        "disk": ["host", "path"],
    }
    assert column(await client.show_tag_keys_from("cpu"), "tagKey") == ["host", "region"]
    fields = await client.show_field_keys()
    assert {s["name"]: s["values"] for s in series(fields)} == {
        "cpu": [["load", "float"], ["temp", "integer"]],
        "disk": [["label", "string"], ["used", "float"]],
    }
    assert series(await client.show_field_keys_from("disk"))[0]["values"] == [
        ["label", "string"],
        ["used", "float"],
    ]
    values = await client.show_tag_values("host")
    assert {s["name"]: s["values"] for s in series(values)} == {
        "cpu": [["host", "a"], ["host", "b"]],
        "disk": [["host", "a"]],
    }
    assert series(await client.show_tag_values_from("cpu", key="region"))[0]["values"] == [
        ["region", "eu"],
        ["region", "us"],
    ]


async def test_patterns_read_the_named_database_not_the_clients(client, influxdb_server):
    other = unique()
    await client.create_database(other)
    try:
        await client.write(DATA[0], db=other)
        assert column(await client.show_measurements()) == []
        assert column(await client.show_measurements(db=other)) == ["cpu"]
        assert column(await client.show_tag_keys_from("cpu", db=other), "tagKey") == [
            "host",
            "region",
        ]
        resp = await client.select_all("cpu", db=other)
        assert series(resp)[0]["values"] == [[1, "a", 1, "eu", 20]]
    finally:
        await client.drop_database(other)


async def test_09_helpers_take_the_measurement_where_09_did(client):
    # a database named like the measurement: 0.9's positional arguments still name the
    # measurement (in client.db), never a database
    twin = "cpu"
    await client.create_database(twin)
    try:
        await client.write([f"{twin},host=mine,k=v f=1 1", "other,host=not_this g=2i 2"])
        await client.write(f"{twin},host=theirs,z=y x=1 1", db=twin)
        values = await client.show_tag_values("host", twin)
        assert series(values) == [
            {"name": twin, "columns": ["key", "value"], "values": [["host", "mine"]]}
        ]
        assert column(await client.show_tag_values("host", measurement=twin), "value") == ["mine"]
        assert column(await client.show_series(twin), "key") == [f"{twin},host=mine,k=v"]
        assert column(await client.show_tag_keys(twin), "tagKey") == ["host", "k"]
        assert series(await client.show_field_keys(twin))[0]["values"] == [["f", "float"]]
        # the database by keyword
        assert column(await client.show_tag_values("host", twin, db=twin), "value") == ["theirs"]
        assert column(await client.show_tag_keys(twin, db=twin), "tagKey") == ["host", "z"]
        assert column(await client.show_measurements(db=twin)) == [twin]
        await client.drop_measurement(twin)
        assert column(await client.show_measurements()) == ["other"]
        assert column(await client.show_measurements(db=twin)) == [twin]
    finally:
        await client.drop_database(twin)


def test_09_helpers_follow_mode_output_and_query_options(influxdb_server, influxdb_database):
    with influxdb_server.client(db=influxdb_database, mode="blocking") as client:
        client.write(["cpu,host=a f=1 1", "cpu,host=b f=2 2", "mem,host=c f=3 3"])
        assert column(client.show_tag_values("host", "cpu"), "value") == ["a", "b"]
        chunks = list(client.show_tag_values("host", chunked=True, chunk_size=1))
        assert [column(chunk, "value") for chunk in chunks] == [["a", "b"], ["c"]]
        client.output = "dataframe"
        frame = client.show_tag_values("host", "cpu")
        assert frame["value"].tolist() == ["a", "b"]
        client.output = "iterable"
        assert list(client.show_tag_values("host", "cpu", parser=lambda k, v: v)) == ["a", "b"]
        client.mode = "async"
        coroutine = client.show_series("cpu")
        assert asyncio.iscoroutine(coroutine)
        coroutine.close()
        # arguments are checked when the method is called, before anything is sent
        with pytest.raises(TypeError, match="unexpected keyword argument 'measurment'"):
            client.show_series(measurment="cpu")
        with pytest.raises(ValueError, match=r"show_tag_keys\(\) needs a database"):
            InfluxDBClient().show_tag_keys("cpu")


async def test_select_all_and_drop_measurement(client):
    await client.write(DATA)
    resp = await client.select_all("cpu")
    assert series(resp)[0]["columns"] == ["time", "host", "load", "region", "temp"]
    assert series(resp)[0]["values"] == [[1, "a", 1, "eu", 20], [2, "b", 2, "us", 21]]
    await client.drop_measurement("cpu")
    assert column(await client.show_measurements()) == ["disk"]
    assert series(await client.select_all("cpu")) == []


@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_measurement_names_are_read_and_dropped_exactly(client, keep, name):
    await client.write([f"{lp_measurement(name)},k=v f=1 1", "other f=2 2"])
    assert sorted(column(await client.show_measurements())) == sorted([name, "other"])
    assert series(await client.select_all(name))[0]["values"] == [[1, 1, "v"]]
    assert column(await client.show_tag_keys_from(name), "tagKey") == ["k"]
    assert series(await client.show_field_keys_from(name))[0]["values"] == [["f", "float"]]
    assert column(await client.show_tag_values_from(name, "k"), "value") == ["v"]
    await client.drop_measurement(name)
    assert column(await client.show_measurements()) == ["other"]


async def test_drop_measurement_cannot_drop_a_database(client, keep):
    # the example of the issue: nothing but the measurement of that exact name is dropped
    await client.write("m f=1 1", db=keep)
    await client.write("inject f=1 1")
    await client.drop_measurement('x"; DROP DATABASE "keep')
    assert column(await client.show_measurements(db=keep)) == ["m"]
    assert column(await client.show_measurements()) == ["inject"]


@pytest.mark.parametrize("key", ["it's", 'q"uote', "back\\slash", "温度"])
async def test_hostile_tag_keys_are_read_exactly(client, key):
    lp_key = key.replace(" ", "\\ ")
    await client.write(f"m,{lp_key}=v1 f=1 1")
    assert column(await client.show_tag_keys_from("m"), "tagKey") == [key]
    assert column(await client.show_tag_values(key), "value") == ["v1"]


# -- retention policies -----------------------------------------------------------------


async def test_retention_policy_life_cycle(client):
    def policies(resp):
        return {row[0]: row[1:] for row in series(resp)[0]["values"]}

    await client.create_retention_policy("week", "7d", 1)
    assert policies(await client.show_retention_policies())["week"] == [
        "168h0m0s",
        "24h0m0s",
        1,
        False,
    ]
    await client.alter_retention_policy("week", duration="14d", replication=1)
    assert policies(await client.show_retention_policies())["week"][0] == "336h0m0s"
    await client.write("m f=1", rp="week")  # now: within the week
    assert series(await client.query('SELECT * FROM "week"."m"'))[0]["values"][0][1] == 1
    await client.drop_retention_policy("week")
    assert set(policies(await client.show_retention_policies())) == {"autogen"}


async def test_retention_policy_in_another_database_and_hostile_name(client, keep):
    name = 'r"; DROP DATABASE "keep'
    await client.create_retention_policy(name, "INF", 1, keep)
    resp = await client.show_retention_policies(db=keep)
    assert [row[0] for row in series(resp)[0]["values"]] == ["autogen", name]
    assert column(await client.show_retention_policies()) == ["autogen"]
    await client.drop_retention_policy(name, db=keep)


async def test_unquoted_arguments_must_be_plain(client, keep):
    with pytest.raises(ValueError, match=r"placeholder \{duration\} is not quoted"):
        client.create_retention_policy("r", "1d REPLICATION 1; DROP DATABASE keep", 1)
    with pytest.raises(ValueError, match=r"placeholder \{privilege\} is not quoted"):
        client.grant_privilege("ALL ON keep TO x; DROP DATABASE keep", "u")


# -- users and privileges ---------------------------------------------------------------


async def test_user_life_cycle(client):
    user = unique("user")
    await client.create_user(user, "secret")
    assert [user, False] in series(await client.show_users())[0]["values"]
    await client.grant_privilege("READ", user)
    assert series(await client.show_grants(user))[0]["values"] == [[client.db, "READ"]]
    await client.grant_privilege("WRITE", user)  # a grant replaces the privilege
    assert series(await client.show_grants(user))[0]["values"] == [[client.db, "WRITE"]]
    await client.grant_privilege("ALL", user, db=client.db)
    assert series(await client.show_grants(user))[0]["values"] == [[client.db, "ALL PRIVILEGES"]]
    await client.revoke_privilege("WRITE", user)
    assert series(await client.show_grants(user))[0]["values"] == [[client.db, "READ"]]
    await client.revoke_privilege("ALL", user)
    assert series(await client.show_grants(user))[0]["values"] == [[client.db, "NO PRIVILEGES"]]
    await client.drop_user(user)
    assert user not in column(await client.show_users(), "user")


@pytest.mark.parametrize("name", [*HOSTILE, "line\nbreak", "tab\there"])
async def test_hostile_user_names_are_created_exactly(client, keep, name):
    await client.create_user(name, "pw")
    try:
        assert name in column(await client.show_users(), "user")
        await client.grant_privilege("READ", name, keep)
        assert series(await client.show_grants(name))[0]["values"] == [[keep, "READ"]]
    finally:
        await client.drop_user(name)
    assert name not in column(await client.show_users(), "user")


PASSWORDS = ["simple", "it's", 'q"uote', "back\\slash\\", "semi;colon --", "line\nbreak", "密码🎉"]


@pytest.mark.parametrize("password", PASSWORDS)
async def test_passwords_are_stored_exactly(influxdb_auth_server, password):
    user = unique("user")
    async with influxdb_auth_server.client() as admin:
        await admin.create_user(user, password)
        try:
            async with influxdb_auth_server.client(username=user, password=password) as me:
                assert series(await me.show_databases())[0]["name"] == "databases"
            async with influxdb_auth_server.client(username=user, password=password + "x") as me:
                with pytest.raises(InfluxDBError, match="authorization failed"):
                    await me.show_databases()
            await admin.set_user_password(user, "new " + password)
            async with influxdb_auth_server.client(username=user, password=password) as me:
                with pytest.raises(InfluxDBError, match="authorization failed"):
                    await me.show_databases()
            async with influxdb_auth_server.client(username=user, password="new " + password) as me:
                assert series(await me.show_databases())[0]["name"] == "databases"
        finally:
            await admin.drop_user(user)


async def test_password_with_a_carriage_return_is_refused_before_sending(client):
    with pytest.raises(ValueError, match=r"placeholder \{password\}.*carriage return"):
        client.create_user("someone", "a\rb")
    assert "someone" not in column(await client.show_users(), "user")


# -- server-wide information ------------------------------------------------------------


async def test_show_continuous_queries(client):
    await client.query(
        "CREATE CONTINUOUS QUERY cq ON "
        f'"{client.db}" BEGIN SELECT mean(f) INTO m2 FROM m GROUP BY time(1h) END'
    )
    resp = await client.show_continuous_queries()
    mine = [s for s in series(resp) if s["name"] == client.db]
    assert [row[0] for row in mine[0]["values"]] == ["cq"]


async def test_show_shards_stats_and_diagnostics(client):
    await client.write("m f=1 1")
    shards = [s for s in series(await client.show_shards()) if s["name"] == client.db]
    assert shards[0]["values"][0][1:3] == [client.db, "autogen"]
    stats = {s["name"] for s in series(await client.show_stats())}
    assert {"runtime", "httpd"} <= stats
    diagnostics = {s["name"]: s for s in series(await client.show_diagnostics())}
    build = diagnostics["build"]
    assert build["values"][0][build["columns"].index("Version")].startswith("1.")


# -- options and modes ------------------------------------------------------------------


async def test_query_options_pass_through(client):
    await client.write(["m f=1 1000000000", "m f=2 2000000000"])
    resp = await client.select_all("m", epoch="s")
    assert series(resp)[0]["values"] == [[1, 1], [2, 2]]
    chunks = [c async for c in await client.select_all("m", chunked=True, chunk_size=1)]
    assert [series(c)[0]["values"] for c in chunks] == [[[1000000000, 1]], [[2000000000, 2]]]


def test_patterns_in_blocking_mode(influxdb_server):
    name = unique()
    with influxdb_server.client(db=name, mode="blocking") as client:
        client.create_database()
        try:
            client.write(["m f=1 1", "m f=2 2"])
            assert column(client.show_measurements()) == ["m"]
            assert series(client.select_all("m"))[0]["values"] == [[1, 1], [2, 2]]
            chunks = list(client.select_all("m", chunked=True, chunk_size=1))
            assert len(chunks) == 2
            client.set_query_pattern(count='SELECT count("f") FROM "{m}"')
            assert series(client.count("m"))[0]["values"] == [[0, 2]]
            client.mode = "async"
            coroutine = client.show_databases()
            assert asyncio.iscoroutine(coroutine)
            coroutine.close()
            client.mode = "blocking"
        finally:
            client.drop_database()
        assert name not in column(client.show_databases())


# -- user-defined patterns --------------------------------------------------------------

STRINGS = [
    "plain",
    "it's",
    'q"uote',
    "back\\slash\\",
    "semi;colon -- x",
    "line\nbreak",
    "tab\t",
    "温度🎉",
]


async def test_user_pattern_with_positional_and_keyword_arguments(client):
    await client.write(["cpu,host=a load=1 1", "cpu,host=b load=2 2"])
    client.set_query_pattern(load="SELECT load FROM \"{m}\" WHERE host = '{host}'")
    resp = await client.load("cpu", host="b")
    assert series(resp)[0]["values"] == [[2, 2]]
    resp = await client.load(host="a", m="cpu", epoch="s")
    assert series(resp)[0]["values"] == [[0, 1]]
    with pytest.raises(TypeError, match=r"load\(\) missing argument 'host'"):
        client.load("cpu")


@pytest.mark.parametrize("value", STRINGS)
async def test_user_pattern_string_values_are_matched_exactly(client, value):
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    await client.write([f'm s="{escaped}",i=1i 1', 'm s="decoy",i=2i 2'])
    client.set_query_pattern(by_s="SELECT i FROM m WHERE s = '{s}'")
    assert series(await client.by_s(value))[0]["values"] == [[1, 1]]
    # the bound-parameter way finds the same point
    resp = await client.query("SELECT i FROM m WHERE s = $s", params={"s": value})
    assert series(resp)[0]["values"] == [[1, 1]]


async def test_carriage_return_needs_a_bound_parameter(client):
    await client.write('m s="a\rb",i=1i 1')
    client.set_query_pattern(by_s="SELECT i FROM m WHERE s = '{s}'")
    with pytest.raises(ValueError, match=r"by_s\(\): placeholder \{s\}.*params="):
        client.by_s("a\rb")
    resp = await client.query("SELECT i FROM m WHERE s = $s", params={"s": "a\rb"})
    assert series(resp)[0]["values"] == [[1, 1]]


async def test_user_pattern_numbers_and_keywords(client):
    await client.write(["m v=1.5,i=3i 1", "m v=-2.25,i=-4i 2"])
    client.set_query_pattern(
        above="SELECT {f} FROM m WHERE {f} > {x} ORDER BY time {order} LIMIT {n}"
    )
    assert series(await client.above("v", -3.0, "DESC", 1))[0]["values"] == [[2, -2.25]]
    assert series(await client.above("i", x=0, order="ASC", n=5))[0]["values"] == [[1, 3]]
    with pytest.raises(ValueError, match=r"placeholder \{order\} is not quoted"):
        client.above("v", 0, "DESC; DROP DATABASE x", 1)


async def test_user_pattern_with_db_placeholder(client):
    other = unique()
    await client.create_database(other)
    try:
        await client.write("m f=1 1", db=other)
        client.set_query_pattern(qualified='SELECT * FROM "{db}".."{m}"')
        assert series(await client.qualified("m")) == []
        assert series(await client.qualified("m", other))[0]["values"] == [[1, 1]]
        assert series(await client.qualified("m", db=other))[0]["values"] == [[1, 1]]
    finally:
        await client.drop_database(other)


async def test_user_patterns_belong_to_one_client(client, influxdb_server):
    client.set_query_pattern({"one": "SHOW DATABASES"}, two="SHOW MEASUREMENTS")
    async with influxdb_server.client(db=client.db) as other:
        assert not hasattr(other, "one")
        assert "two" not in dir(other)
    assert not hasattr(InfluxDBClient, "one")
    assert "one" in dir(client)
    assert series(await client.one())[0]["name"] == "databases"
    assert client.one.__name__ == "one"
    assert "SHOW DATABASES" in client.one.__doc__


async def test_a_user_pattern_can_be_replaced_on_its_client(client):
    client.set_query_pattern(mine="SHOW DATABASES")
    client.set_query_pattern(mine="SHOW MEASUREMENTS")
    assert series(await client.mine()) == []


@pytest.mark.parametrize(
    "name",
    [
        "query",
        "write",
        "ping",
        "close",
        "db",
        "mode",
        "url",
        "closed",
        "create_database",
        "set_query_pattern",
        "__init__",
        "_private",
    ],
)
def test_user_pattern_names_that_shadow_are_refused(name):
    client = InfluxDBClient()
    with pytest.raises(ValueError, match=rf"query pattern '{name}'"):
        client.set_query_pattern(**{name: "SHOW DATABASES"})


async def test_queries_may_be_given_by_keyword(client):
    client.set_query_pattern(queries={"dbs": "SHOW DATABASES"})
    assert client.db in column(await client.dbs())
    with pytest.raises(TypeError, match="queries must be a mapping of names to templates, got str"):
        client.set_query_pattern(queries="SHOW DATABASES")  # type: ignore[arg-type]


def test_placeholders_named_like_query_options_are_refused():
    client = InfluxDBClient()
    for option in ["epoch", "chunked", "chunk_size", "params"]:
        with pytest.raises(ValueError, match=rf"placeholder \{{{option}\}}.*query\(\)"):
            client.set_query_pattern(p=f"SELECT * FROM m WHERE t = '{{{option}}}'")


def test_a_bad_pattern_adds_nothing():
    client = InfluxDBClient()
    with pytest.raises(ValueError, match="query pattern 'write'"):
        client.set_query_pattern({"good": "SHOW DATABASES"}, write="SHOW USERS")
    with pytest.raises(ValueError, match="unterminated"):
        client.set_query_pattern(good="SHOW DATABASES", bad="SELECT '{x}")
    assert not hasattr(client, "good")
    with pytest.raises(ValueError, match="given twice"):
        client.set_query_pattern({"p": "SHOW USERS"}, p="SHOW DATABASES")
    with pytest.raises(TypeError, match="must be a str"):
        client.set_query_pattern(p=3)  # type: ignore[arg-type]


def test_every_pattern_is_tested_against_the_server():
    # each built-in pattern is called in this module: keep it so when adding one
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [name for name in [*PATTERNS, *HELPERS] if f".{name}(" not in source]
    assert untested == []


async def test_patterns_and_bound_parameters_combine(client):
    await client.write(["cpu,host=a load=1 1", "cpu,host=a load=3 2", "cpu,host=b load=5 3"])
    client.set_query_pattern(above='SELECT load FROM "{m}" WHERE host = $host AND load > $min')
    resp = await client.above("cpu", params={"host": "a", "min": 2})
    assert series(resp)[0]["values"] == [[2, 3]]


# -- any text, generated ----------------------------------------------------------------

# any text InfluxQL can quote (no CR, no NUL), with the characters that matter drawn often
WRITABLE = st.text(
    st.sampled_from("'\"\\\n\t;-/*$ ")
    | st.characters(exclude_characters="\r\x00", exclude_categories=("Cs",)),
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=WRITABLE)
def test_any_string_literal_is_matched_exactly(influxdb_server, influxdb_database, value):
    measurement = unique("m")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    with influxdb_server.client(db=influxdb_database, mode="blocking") as client:
        client.write(
            [f'{measurement} s="{escaped}",i=1i 1', f'{measurement} s="{escaped}x",i=2i 2']
        )
        client.set_query_pattern(by_s="SELECT i FROM \"{m}\" WHERE s = '{s}'")
        assert series(client.by_s(measurement, value))[0]["values"] == [[1, 1]]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=WRITABLE.filter(bool))
def test_any_user_name_is_created_exactly(influxdb_server, name):
    with influxdb_server.client(mode="blocking") as client:
        client.create_user(name, name)
        try:
            assert name in column(client.show_users(), "user")
        finally:
            client.drop_user(name)


# -- the examples of docs/queries.rst, run ----------------------------------------------


def doc_examples():
    return python_examples("queries.rst")


def test_the_docs_have_examples():
    assert len(doc_examples()) == 4


async def test_docs_examples_run(influxdb_server, capsys):
    # each block runs in order as the body of a coroutine, on the test server's 'mydb'
    def make_client(**kwargs):
        return influxdb_server.client(**kwargs)

    async with influxdb_server.client(db="mydb") as client:
        try:
            for code in doc_examples():
                source = "async def example(client, InfluxDBClient):\n" + code + "\n"
                namespace: dict = {}
                exec(compile(source, "docs/queries.rst", "exec"), namespace)
                await namespace["example"](client, make_client)
            assert column(await client.show_measurements()) == []  # the example dropped cpu
            assert "host_load" in dir(client)
            # show_tag_values('host') and show_tag_values('host', 'cpu'): both list cpu's
            printed = "'name': 'cpu', 'columns': ['key', 'value'], 'values': [['host', 'a']]"
            assert capsys.readouterr().out.count(printed) == 2
        finally:
            await client.drop_database()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT i FROM m WHERE s =~ /it's/ AND i = {n}",
        "SELECT i FROM m -- it's\nWHERE i = {n}",
        "SELECT i FROM m WHERE /* it's */ i = {n}",
        "SELECT i FROM m WHERE s =~ /it'\\/s/ OR s =~ /it's/ AND i = {n}",
        'SELECT i FROM "{db}"."autogen"./^m$/ WHERE s =~ /\'/ AND i = {n}',
    ],
)
async def test_quotes_in_regexes_and_comments_are_read_as_the_server_reads_them(client, template):
    # the server runs these templates as the lexer of aioinflux.queries reads them: the
    # quote inside the regex or comment starts no string, so {n} is unquoted
    await client.write(['m s="it\'s",i=1i 1', 'm s="other",i=2i 2'])
    client.set_query_pattern(p=template)
    assert series(await client.p(n=1))[0]["values"] == [[1, 1]]
    with pytest.raises(ValueError, match="not quoted"):
        client.p(n="1 OR i = 2")
