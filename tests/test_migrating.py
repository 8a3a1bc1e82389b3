"""Every difference from aioinflux 0.9 that docs/migrating.rst lists, checked against the code
(and the real server where the difference shows there): the page says what the code does."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aioinflux import (
    InfluxDBClient,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBWriteError,
    LineProtocolError,
    serialize,
)

pytestmark = pytest.mark.server

PAGE = Path(__file__).resolve().parent.parent / "docs" / "migrating.rst"


def point(**extra):
    return {"measurement": "m", "fields": {"v": 1.5}, **extra}


async def rows(client, q="SELECT * FROM m"):
    resp = await client.query(q)
    return [s["values"] for s in resp["results"][0].get("series", [])]


async def test_line_breaks_are_kept_or_refused(client):
    await client.write(point(fields={"s": "two\nlines"}, time=1))
    assert await rows(client) == [[[1, "two\nlines"]]]  # 0.9 stored 'twolines'
    for bad in [
        point(measurement="a\nb"),
        point(tags={"k": "a\nb"}),
        point(tags={"a\nb": "v"}),
        point(fields={"a\nb": 1}),
    ]:
        with pytest.raises(LineProtocolError, match="a line break cannot be written"):
            await client.write(bad)


async def test_a_tag_whose_value_is_none_is_left_out(client):
    await client.write(point(tags={"host": None, "rack": "r1"}, time=1))
    resp = await client.query("SHOW TAG KEYS FROM m")
    assert resp["results"][0]["series"][0]["values"] == [["rack"]]  # 0.9: host=None too


async def test_numpy_integers_in_mappings_are_integer_fields(client):
    assert serialize(point(fields={"v": np.int64(3)})) == b"m v=3i"  # 0.9: b"m v=3"
    await client.write("m v=1.5 1")  # a float field, as 0.9 made it from np.int64
    with pytest.raises(InfluxDBWriteError, match="field type conflict") as info:
        await client.write(point(fields={"v": np.int64(3)}, time=2))
    assert info.value.partial
    await client.write(point(fields={"v": float(np.int64(3))}, time=2))  # the way round
    assert await rows(client) == [[[1, 1.5], [2, 3]]]


async def test_time_zero_is_the_epoch_not_the_servers_clock(client):
    assert serialize(point(time=0)) == b"m v=1.5 0"  # 0.9: b"m v=1.5 " (server time)
    await client.write(point(time=0))
    await client.write(point(measurement="n"))  # no time: the server's clock
    assert await rows(client) == [[[0, 1.5]]]
    (values,) = await rows(client, "SELECT * FROM n")
    assert values[0][0] > 1_500_000_000 * 10**9


async def test_dataframe_dtypes(client):
    await client.write(['m,host=a i=1i,b=true,f=1.5,s="x" 1', "m f=2.5 2"])
    client.output = "dataframe"
    df = await client.query("SELECT * FROM m")
    assert isinstance(df["host"].dtype, pd.CategoricalDtype)  # 0.9: object
    assert str(df["i"].dtype) == "Int64"  # 0.9: float64
    assert str(df["b"].dtype) == "boolean"  # 0.9: object
    assert df["f"].dtype == np.float64
    assert df["i"].tolist() == [1, pd.NA]
    if int(pd.__version__.split(".")[0]) >= 3:
        assert df["s"].dtype == "str"  # 0.9: object
        assert df["s"].tolist()[0] == "x"
        assert np.isnan(df["s"].tolist()[1])  # 0.9: None
    else:
        assert df["s"].tolist() == ["x", None]


async def test_evenly_spaced_times_have_a_freq(client):
    await client.write(["m v=1i 60000000000", "m v=2i 120000000000", "m v=3i 180000000000"])
    client.output = "dataframe"
    df = await client.query("SELECT * FROM m")
    assert df.index.freq.nanos == 60 * 10**9  # one minute; 0.9: None
    await client.write("m v=4i 200000000000")  # no longer evenly spaced
    assert (await client.query("SELECT * FROM m")).index.freq is None


async def test_negative_zero_keeps_its_sign(client):
    client._msgpack = False  # 0.9 asked for JSON, where influxd writes -0.0 as -0
    await client.write("m f=-0.0 1")
    (values,) = await rows(client, "SELECT f FROM m")
    assert values == [[1, -0.0]]
    assert str(values[0][1]) == "-0.0"  # 0.9: the int 0
    client.output = "dataframe"
    assert str((await client.query("SELECT f FROM m"))["f"].iloc[0]) == "-0.0"  # 0.9: 0.0


async def test_category_columns_are_written_as_tags(client):
    frame = pd.DataFrame(
        {"host": pd.Categorical(["a", "b"]), "v": [1.0, 2.0]},
        index=pd.to_datetime([1, 2], utc=True),
    )
    await client.write(frame, measurement="m")
    resp = await client.query("SHOW TAG KEYS FROM m")
    assert resp["results"][0]["series"][0]["values"] == [["host"]]  # 0.9: a string field
    await client.write(frame.astype({"host": str}), measurement="s")  # a string field
    resp = await client.query("SHOW FIELD KEYS FROM s")
    assert resp["results"][0]["series"][0]["values"] == [["host", "string"], ["v", "float"]]


def test_dataframe_object_columns_hold_str_only():
    frame = pd.DataFrame({"o": ["x", 1]}, index=pd.to_datetime([1, 2], utc=True))
    with pytest.raises(TypeError, match="a string field column can only hold str"):
        serialize(frame, measurement="m")  # 0.9: o="1", unescaped


def test_chunked_dataframes_in_blocking_mode(influxdb_server, influxdb_database):
    with influxdb_server.client(db=influxdb_database, mode="blocking") as client:
        client.write(["m v=1 1", "m v=2 2", "m v=3 3"])
        client.output = "dataframe"
        chunks = list(client.query("SELECT * FROM m", chunked=True, chunk_size=2))
    assert [len(c) for c in chunks] == [2, 1]  # 0.9: ValueError in blocking mode
    assert pd.concat(chunks)["v"].tolist() == [1.0, 2.0, 3.0]


async def test_no_warning_for_a_client_without_a_default_database(influxdb_server):
    # filterwarnings=error: a warning would fail here (0.9 warned "No default databases...")
    async with influxdb_server.client() as client:
        with pytest.raises(ValueError, match="write needs a database"):
            await client.write("m v=1")  # 0.9: InfluxDBWriteError, 400 database is required
        with pytest.raises(ValueError, match=r"show_measurements\(\) needs a database"):
            client.show_measurements()


def test_09_helpers_quote_the_measurement_and_take_db_by_keyword():
    client = InfluxDBClient(db="d")
    with pytest.raises(ValueError, match="is InfluxQL"):
        client.show_series("/cpu.*/")
    with pytest.raises(TypeError, match="positional argument"):
        client.show_measurements("other")


async def test_error_messages(client):
    with pytest.raises(InfluxDBQueryError) as query_error:
        await client.query("SELECT v FROM m WHERE time > 'x'")
    assert isinstance(query_error.value, InfluxDBError)
    assert str(query_error.value).startswith("statement 0: invalid operation")
    # unsigned integers: the client's check lets them through (valid from InfluxDB 1.8),
    # influxd 1.6 refuses them
    with pytest.raises(InfluxDBWriteError) as write_error:
        await client.write("m v=1u", db=client.db)
    assert str(write_error.value).startswith("Error writing data (400 Bad Request): ")
    with pytest.raises(InfluxDBWriteError) as partial:
        await client.write(["m v=1 1", "m v=2u 2"])
    assert str(partial.value).startswith("Partial write (400 Bad Request): ")


async def test_refused_query_errors_say_the_status_and_the_user(influxdb_auth_server):
    async with influxdb_auth_server.client(username="nobody", password="x") as client:
        with pytest.raises(InfluxDBQueryError) as info:
            await client.query("SHOW DATABASES")
    assert str(info.value) == "authorization failed (401 Unauthorized), as user 'nobody'"
    assert info.value.message == "authorization failed"  # 0.9's whole text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": "8086x"}, "port must be an int in 1-65535"),
        ({"host": "http://db"}, "without a scheme"),
        ({"host": "db:8086"}, "pass the port as port="),
    ],
)
def test_the_client_checks_its_arguments_when_it_is_built(options, message):
    with pytest.raises(ValueError, match=message):
        InfluxDBClient(**options)
    assert InfluxDBClient(port="8087").port == 8087


@pytest.mark.parametrize("time", ["01/02/2020 10:00", "now", "10:00"])
def test_time_strings_are_never_guessed(time):
    with pytest.raises(ValueError, match="time"):
        serialize(point(time=time))
    assert serialize(point(time="2020-01-02T10:00:00Z")) == b"m v=1.5 1577959200000000000"


async def test_an_unclosed_client_warns(influxdb_server):
    client = influxdb_server.client()
    await client.ping()
    with pytest.warns(ResourceWarning, match="was not closed"):
        client.__del__()  # what collecting it unclosed runs
    await client.close()
    client.__del__()  # closed: no warning (warnings are errors here)


async def test_an_empty_db_is_refused(client):
    with pytest.raises(ValueError, match="db"):
        await client.query("SHOW MEASUREMENTS", db="")  # 0.9: client.db
    with pytest.raises(ValueError, match="db"):
        await client.show_measurements(db="")
    with pytest.raises(ValueError, match="db"):
        await client.write("m v=1", db="")
    with pytest.raises(ValueError, match="db"):
        client.drop_database("")  # 0.9 dropped client.db; the server would drop nothing
    with pytest.raises(InfluxDBQueryError, match="invalid name"):
        await client.create_database("")


async def test_chunk_size_needs_chunked(client):
    with pytest.raises(ValueError, match="chunk_size only applies to chunked queries"):
        await client.query("SHOW DATABASES", chunk_size=10)  # 0.9 ignored it


def test_url_is_the_base_url():
    assert (
        InfluxDBClient().url == "http://localhost:8086/"
    )  # 0.9: 'http://localhost:8086/{endpoint}'


def test_db_and_database_must_agree():
    with pytest.raises(ValueError, match="db and database name different databases"):
        InfluxDBClient(db="a", database="b")
    assert InfluxDBClient(database="b").db == "b"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("aioinflux.compat", None),
        ("aioinflux.serialization.common", "escape"),
        ("aioinflux.serialization.common", "tag_escape"),
        ("aioinflux.serialization.usertype", "str_to_dt"),
        ("aioinflux.serialization.usertype", "dt_to_int"),
        ("aioinflux.serialization.usertype", "is_optional"),
        ("aioinflux.serialization.usertype", "field_types"),
    ],
)
def test_09s_internals_are_gone(module, name):
    import logging

    from aioinflux.client import logger

    assert logger is logging.getLogger("aioinflux")  # kept
    if name is None:
        with pytest.raises(ImportError):
            importlib.import_module(module)
    else:
        assert not hasattr(importlib.import_module(module), name)


@pytest.mark.parametrize("option", ["redis_opts", "cache_expiry", "loop"])
def test_removed_client_options_raise(option):
    with pytest.raises(TypeError, match=f"got {option}, removed in aioinflux 0.10"):
        InfluxDBClient(**{option: None})


def test_connector_is_refused():
    with pytest.raises(TypeError, match="connector= cannot be given"):
        InfluxDBClient(connector=None)


async def test_progress_and_consistency_are_options_not_extra_tags(client):
    with pytest.raises(TypeError, match="progress"):
        await client.write(point(time=1), progress="x")  # 0.9: a tag progress=x
    await client.write(point(time=1), consistency="all")  # 0.9: a tag consistency=all
    resp = await client.query("SHOW TAG KEYS FROM m")
    assert "series" not in resp["results"][0]  # no tag: the write's consistency
    with pytest.raises(ValueError, match="consistency"):
        await client.write(point(time=2), consistency="eu")


def test_use_cache_raises():
    with pytest.raises(TypeError, match="use_cache"):
        InfluxDBClient().query("SHOW DATABASES", use_cache=True)


#: each difference of the page (its bold title) and the test that checks it
DIFFERENCES = {
    "Line breaks are kept or refused, never stripped": test_line_breaks_are_kept_or_refused,
    "A tag whose value is None is left out": test_a_tag_whose_value_is_none_is_left_out,
    "numpy integers in mappings are integer fields": (
        test_numpy_integers_in_mappings_are_integer_fields
    ),
    "A mapping's": test_time_zero_is_the_epoch_not_the_servers_clock,
    "DataFrame dtypes": test_dataframe_dtypes,
    "Evenly spaced times have a freq": test_evenly_spaced_times_have_a_freq,
    "-0.0 keeps its sign": test_negative_zero_keeps_its_sign,
    "category columns are written as tags": test_category_columns_are_written_as_tags,
    "DataFrame object columns hold str only": test_dataframe_object_columns_hold_str_only,
    "Chunked DataFrames": test_chunked_dataframes_in_blocking_mode,
    "No warning for a client without a default database": (
        test_no_warning_for_a_client_without_a_default_database
    ),
    "0.9's helpers quote the measurement": (
        test_09_helpers_quote_the_measurement_and_take_db_by_keyword
    ),
    "Error messages": test_error_messages,
    "The client checks its arguments when it is built": (
        test_the_client_checks_its_arguments_when_it_is_built
    ),
    "Time strings are never guessed": test_time_strings_are_never_guessed,
    "An unclosed client warns": test_an_unclosed_client_warns,
    "db='' is refused": test_an_empty_db_is_refused,
    "chunk_size needs chunked=True": test_chunk_size_needs_chunked,
    "url is the base URL": test_url_is_the_base_url,
    "db and database must agree": test_db_and_database_must_agree,
    "0.9's internals are gone": test_09s_internals_are_gone,
    "The redis cache is gone": test_removed_client_options_raise,
    "The loop argument is gone": test_removed_client_options_raise,
    "The connector argument is refused": test_connector_is_refused,
    "progress and consistency are options of write()": (
        test_progress_and_consistency_are_options_not_extra_tags
    ),
}


def test_every_listed_difference_has_its_test():
    text = PAGE.read_text()
    section = text[text.index("What is different\n") : text.index("From influxdb-python")]
    titles = re.findall(r"^- \*\*(.+?)\*\*", section, re.M)
    assert titles == list(DIFFERENCES)
    # and the page no longer lists as changes what behaves as in 0.9
    for claim in ["keyword-only", "importable from ``aioinflux``", "as before"]:
        assert claim not in text[: text.index("From influxdb-python")], claim


# -- from influxdb-python's DataFrameClient: what the page says differs -------------------


async def test_dataframeclient_differences_and_as_dataframeclient(client):
    from aioinflux import as_dataframeclient

    await client.write(
        ["load,host=a,region=eu v=1i 1", "load,host=b,region=eu v=2i 2", "load,host=a x=0.5 3"]
    )
    client.output = "dataframe"
    one = await client.query("SELECT * FROM load")
    with pytest.raises(KeyError, match="'load'"):
        one["load"]  # one series is its DataFrame, not {'load': DataFrame}
    assert list(as_dataframeclient(one)) == ["load"]
    assert str(one["v"].dtype) == "Int64"  # DataFrameClient: float64
    grouped = await client.query("SELECT v FROM load GROUP BY host")
    assert list(grouped) == ["load,host=a", "load,host=b"]
    assert list(grouped["load,host=a"].columns) == ["v", "host"]
    old = as_dataframeclient(grouped)
    assert list(old) == [("load", (("host", "a"),)), ("load", (("host", "b"),))]
    assert list(old[("load", (("host", "a"),))].columns) == ["v"]
    several = await client.query("SELECT v FROM load; SELECT x FROM load")
    assert isinstance(several, list)
    assert [list(part) for part in as_dataframeclient(several)] == [["load"], ["load"]]
    # columns without any value: kept here, dropped by DataFrameClient (dropna=True)
    empty = await client.query("SELECT v, x FROM load WHERE host = 'b'")
    assert list(empty.columns) == ["v", "x"]
    assert list(as_dataframeclient(empty)["load"].columns) == ["v"]
    mean = await client.query("SELECT mean(v) FROM load")
    assert isinstance(mean.index, pd.RangeIndex)
    assert as_dataframeclient(mean)["load"].index.equals(pd.DatetimeIndex([0], tz="UTC"))
    records = (await client.show_measurements()).to_dict("records")
    assert records == [{"name": "load"}]  # get_list_measurements()
