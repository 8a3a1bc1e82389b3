"""Query results against a real influxd: output formats, iterpoints, chunks, DataFrames.

Every server test runs twice: with MessagePack answers (the ``msgpack`` extra) and with
JSON (the default install), as the ``wire`` fixture says.
"""

from __future__ import annotations

import math
import sys
import threading
import uuid

import aiohttp
import aiohttp.web
import numpy as np
import pandas as pd
import polars as pl
import pytest
from docs_examples import as_coroutine, python_examples

from aioinflux import (
    InfluxDBChunkedResult,
    InfluxDBClient,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBResult,
    iterpoints,
)
from aioinflux._protocol import msgpack_available
from aioinflux.testing import InfluxDBServer

pytestmark = pytest.mark.server

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: the dtype of a string field: pandas' default string dtype from pandas 3 on (missing: NaN)
PANDAS3 = int(pd.__version__.split(".")[0]) >= 3
STR = "str" if PANDAS3 else object
BAD = "SELECT v FROM m WHERE time > 'x'"
BAD_MESSAGE = "invalid operation: time and *influxql.StringLiteral are not compatible"

# written as line protocol; read back below
LINES = [
    'm,host=a,region=eu f=1.0,i=-9223372036854775808i,b=true,s="say \\"hi\\" ü \\\\ \U0001f600" 1000000000',
    'm,host=b,region=eu f=2.5,i=9223372036854775807i,s="line\nbreak" 2000000000',
    "m,host=a,region=us f=3,i=0i,b=false 3000000000",
    "n v=1 4000000000",
]


@pytest.fixture(params=["msgpack", "json"])
def wire(request):
    return request.param


@pytest.fixture
async def qclient(client, wire):
    client._msgpack = wire == "msgpack"
    await client.write(LINES)
    return client


# -- output formats ----------------------------------------------------------------------


def test_unknown_output_is_refused():
    with pytest.raises(
        ValueError, match="output must be 'json', 'raw', 'iterable', 'dataframe' or 'polars'"
    ):
        InfluxDBClient(output="csv")


@pytest.mark.parametrize("missing", ["polars", "numpy"])
def test_polars_output_needs_polars(monkeypatch, missing):
    client = InfluxDBClient()
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(
        ValueError, match=r"output='polars' needs polars and numpy: pip install 'aioinflux\[fast\]'"
    ):
        client.output = "polars"
    assert client.output == "json"


def test_dataframe_output_needs_pandas(monkeypatch):
    client = InfluxDBClient()
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ValueError, match=r"needs pandas: pip install 'aioinflux\[pandas\]'"):
        client.output = "dataframe"
    assert client.output == "json"


async def test_parser_needs_the_iterable_output(qclient):
    with pytest.raises(ValueError, match="parser only applies to output='iterable'"):
        await qclient.query("SELECT * FROM n", parser=tuple)


async def test_every_output_format_switched_at_any_time(qclient, wire):
    q = "SELECT f, i FROM m"
    qclient.output = "raw"
    raw = await qclient.query(q)
    f = 1.0 if wire == "msgpack" else 1  # JSON writes the float 1.0 as 1
    assert raw["results"][0]["series"][0]["values"] == [
        [1000000000, f, INT_MIN],
        [2000000000, 2.5, INT_MAX],
        [3000000000, 3.0 if wire == "msgpack" else 3, 0],
    ]
    qclient.output = "iterable"
    result = await qclient.query(
        q, parser=lambda x, meta: dict(zip(meta["columns"], x, strict=True))
    )
    assert isinstance(result, InfluxDBResult)
    assert (len(result), result.series_count, result.query) == (3, 1, q)
    assert result.data == raw
    assert result.show()[1] == {"time": 2000000000, "f": 2.5, "i": INT_MAX}
    assert repr(result) == f'<InfluxDBResult [q="{q}"]>'
    qclient.output = "dataframe"
    df = await qclient.query(q)
    assert df["f"].tolist() == [1.0, 2.5, 3.0]
    assert df["f"].dtype == np.float64
    assert df["i"].tolist() == [INT_MIN, INT_MAX, 0]
    assert df["i"].dtype == np.int64
    qclient.output = "json"
    assert await qclient.query(q) == raw


async def test_json_is_used_without_msgpack(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "msgpack", None)
    assert not msgpack_available()
    await client.write("m f=1.0 1")
    resp = await client.query("SELECT f FROM m")
    assert client._msgpack is False
    assert resp["results"][0]["series"][0]["values"] == [[1, 1]]  # JSON's 1, not 1.0


# -- iterpoints over grouped and multi-statement answers ---------------------------------


async def test_iterpoints_over_groups_and_statements(qclient):
    resp = await qclient.query("SELECT f FROM m GROUP BY host; SHOW MEASUREMENTS; SELECT v FROM n")
    assert list(iterpoints(resp)) == [
        [1000000000, 1.0],
        [3000000000, 3.0],
        [2000000000, 2.5],
        ["m"],
        ["n"],
        [4000000000, 1.0],
    ]
    metas = list(
        iterpoints(resp, lambda x, meta: (meta.get("tags"), meta["statement_id"], meta["name"]))
    )
    assert metas == [
        ({"host": "a"}, 0, "m"),
        ({"host": "a"}, 0, "m"),
        ({"host": "b"}, 0, "m"),
        (None, 1, "measurements"),
        (None, 1, "measurements"),
        (None, 2, "n"),
    ]


# -- chunked queries ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2])
async def test_chunked_json(qclient, size):
    chunks = [
        c
        async for c in await qclient.query(
            "SELECT i FROM m; SELECT v FROM n", chunked=True, chunk_size=size
        )
    ]
    counts = [len(s["values"]) for c in chunks for r in c["results"] for s in r.get("series", ())]
    assert counts == ([1, 1, 1, 1] if size == 1 else [2, 1, 1])
    assert [v for c in chunks for v in iterpoints(c)] == [
        [1000000000, INT_MIN],
        [2000000000, INT_MAX],
        [3000000000, 0],
        [4000000000, 1.0],
    ]


@pytest.mark.parametrize("size", [1, 2])
async def test_chunked_iterable(qclient, size):
    qclient.output = "iterable"
    result = await qclient.query(
        "SELECT s FROM m", chunked=True, chunk_size=size, parser=lambda x: x[1]
    )
    assert isinstance(result, InfluxDBChunkedResult)
    # influxd leaves out the rows where every selected field is missing
    assert [p async for p in result] == ['say "hi" ü \\ \U0001f600', "line\nbreak"]
    again = await qclient.query("SELECT s FROM m", chunked=True, chunk_size=size)
    chunks = [c async for c in again.iterchunks(wrap=True)]
    assert [len(c) for c in chunks] == ([1, 1] if size == 1 else [2])
    raw = await qclient.query("SELECT s FROM m", chunked=True, chunk_size=size)
    assert [len(c["results"][0]["series"][0]["values"]) async for c in raw.iterchunks()] == [
        len(c) for c in chunks
    ]


async def test_chunked_dataframes(qclient):
    qclient.output = "dataframe"
    frames = [df async for df in await qclient.query("SELECT * FROM m", chunked=True, chunk_size=2)]
    assert [len(df) for df in frames] == [2, 1]
    whole = await qclient.query("SELECT * FROM m")
    # the whole answer's evenly spaced times get their freq; concat() keeps none
    pd.testing.assert_frame_equal(pd.concat(frames).astype(whole.dtypes), whole, check_freq=False)


async def test_chunked_dataframes_say_which_statement_they_belong_to(qclient):
    qclient.output = "dataframe"
    q = "SELECT f FROM m; SELECT v FROM n; SELECT f FROM m WHERE time > 1000000000"
    frames = [df async for df in await qclient.query(q, chunked=True, chunk_size=2)]
    assert [(df.attrs["statement_id"], len(df)) for df in frames] == [
        (0, 2),
        (0, 1),
        (1, 1),
        (2, 2),
    ]
    whole = await qclient.query(q)  # 0.9's shape: a dict of frames per statement
    assert [df.attrs["statement_id"] for frames in whole for df in frames.values()] == [0, 1, 2]


async def test_error_inside_the_chunks(qclient):
    chunks = await qclient.query(
        f"SELECT v FROM n; SELECT i FROM m; {BAD}; SELECT v FROM n", chunked=True, chunk_size=1
    )
    got = []

    async def consume():
        async for chunk in chunks:
            got.append(chunk)

    with pytest.raises(InfluxDBQueryError) as info:
        await consume()
    assert len(got) == 4  # the good chunks come first
    assert info.value.errors == [(2, BAD_MESSAGE), (3, "not executed")]


async def test_error_in_a_non_chunked_query_keeps_the_real_message(qclient):
    # a non-chunked answer of influxd says only "not executed" for the failing statement
    # when more follow (measured); read in chunks, the real message arrives
    with pytest.raises(InfluxDBQueryError) as info:
        await qclient.query(f"SELECT v FROM n; {BAD}; SELECT v FROM n")
    assert info.value.errors == [(1, BAD_MESSAGE), (2, "not executed")]
    assert str(info.value) == f"statement 1: {BAD_MESSAGE}; statement 2: not executed"


async def test_query_parse_error_in_every_format(qclient):
    for output in ("json", "iterable", "dataframe"):
        qclient.output = output
        with pytest.raises(InfluxDBQueryError, match="error parsing query: found SELEC") as info:
            await qclient.query("SELEC 1")
        assert info.value.status == 400


def test_blocking_mode_chunked_results(influxdb_server, influxdb_database, wire):
    with influxdb_server.client(db=influxdb_database, mode="blocking") as client:
        client._msgpack = wire == "msgpack"
        client.write(LINES)
        chunks = client.query("SELECT i FROM m", chunked=True, chunk_size=1)
        assert [c["results"][0]["series"][0]["values"][0][1] for c in chunks] == [
            INT_MIN,
            INT_MAX,
            0,
        ]
        client.output = "iterable"
        result = client.query("SELECT i FROM m", chunked=True, chunk_size=2, parser=lambda x: x[1])
        assert list(result) == [INT_MIN, INT_MAX, 0]
        chunked = client.query("SELECT i FROM m", chunked=True, chunk_size=2)
        assert [len(c) for c in chunked.iterchunks(wrap=True)] == [2, 1]
        assert len(client.query("SELECT i FROM m")) == 3
        client.output = "dataframe"
        frames = list(client.query("SELECT i FROM m", chunked=True, chunk_size=2))
        assert [df["i"].tolist() for df in frames] == [[INT_MIN, INT_MAX], [0]]


def test_blocking_chunked_points_take_one_round_trip_per_chunk(influxdb_server, influxdb_database):
    # The points of a chunk are produced in the caller's thread, once the chunk has come
    # from the loop thread: one round trip per chunk, not per point. So a parser runs in the
    # caller's thread, and may itself make blocking calls.
    with influxdb_server.client(db=influxdb_database, mode="blocking", output="iterable") as c:
        c.write([f"m v={i}i {i}" for i in range(50)])
        threads = set()

        def parser(values):
            threads.add(threading.current_thread())
            return values[1]

        result = c.query("SELECT v FROM m", chunked=True, chunk_size=10, parser=parser)
        assert list(result) == list(range(50))
        assert threads == {threading.current_thread()}
        pinging = c.query(
            "SELECT v FROM m", chunked=True, chunk_size=10, parser=lambda v: bool(c.ping())
        )
        assert all(pinging)


# -- DataFrames --------------------------------------------------------------------------


async def test_dataframe_values_and_dtypes_equal_what_was_written(qclient):
    qclient.output = "dataframe"
    df = await qclient.query("SELECT * FROM m")
    assert list(df.columns) == ["b", "f", "host", "i", "region", "s"]
    assert df.index.equals(pd.DatetimeIndex([10**9, 2 * 10**9, 3 * 10**9], tz="UTC"))
    assert df["f"].dtype == np.float64
    assert df["f"].tolist() == [1.0, 2.5, 3.0]
    assert df["i"].dtype == np.int64
    assert df["i"].tolist() == [INT_MIN, INT_MAX, 0]
    assert str(df["b"].dtype) == "boolean"
    assert df["b"].tolist() == [True, pd.NA, False]
    assert df["s"].dtype == STR
    assert df["s"].tolist()[:2] == ['say "hi" ü \\ \U0001f600', "line\nbreak"]
    assert pd.isna(df["s"].iloc[2])
    for tag in ("host", "region"):
        assert isinstance(df[tag].dtype, pd.CategoricalDtype)
    assert df["host"].tolist() == ["a", "b", "a"]


def pandas_defaults_frame():
    """A frame as pandas builds it by default (pandas 3: ``str`` strings, ``us`` times)."""
    return pd.DataFrame(
        {
            "host": pd.Categorical(["a", "b", "a", "c", "b", "a"]),
            "s": ["x", None, "z ü", None, 'q"\\', "w"],
            "f": [1.5, -0.0, 2.0, 1e300, -3.25, 0.0],
            "i": np.array([2**53 + 1, INT_MIN, INT_MAX, 0, 7, -1], dtype=np.int64),
            "b": [True, False, True, True, False, False],
        },
        index=pd.date_range("2024-01-01", periods=6, freq="s", tz="UTC"),
    )


async def test_a_frame_of_pandas_defaults_comes_back_equal(qclient):
    df = pandas_defaults_frame()
    assert df["s"].dtype == STR
    await qclient.write(df, measurement="rt")
    qclient.output = "dataframe"
    back = await qclient.query("SELECT * FROM rt", epoch="u")
    # freq included: evenly spaced times read back get the freq pandas infers
    pd.testing.assert_frame_equal(back[df.columns], df)
    assert back.index.dtype == df.index.dtype
    assert isinstance(back["host"].dtype, pd.CategoricalDtype)
    assert back["host"].cat.categories.dtype == df["host"].cat.categories.dtype


@pytest.mark.parametrize(
    ("epoch", "unit"),
    [("ns", "ns"), ("u", "us"), ("ms", "us"), ("s", "us"), (None, "ns")],
)
async def test_the_index_unit_follows_the_epoch(qclient, epoch, unit):
    qclient.output = "dataframe"
    df = await qclient.query("SELECT v FROM n", epoch=epoch)
    # pandas 2 has one default unit, ns; pandas 3 makes us unless ns is asked
    assert df.index.dtype == f"datetime64[{unit if PANDAS3 else 'ns'}, UTC]"


async def test_negative_zero_keeps_its_sign_in_every_output(qclient):
    # influxd answers -0 in JSON and -0.0 in MessagePack for a float stored as -0.0
    await qclient.write(["z f=-0.0 1", "z f=0.0 2", "z f=-0 3"])
    raw = await qclient.query("SELECT f FROM z")
    values = [v for _, v in raw["results"][0]["series"][0]["values"]]
    assert [math.copysign(1, v) for v in values] == [-1, 1, -1]
    assert isinstance(values[0], float)  # a float, not JSON's int 0
    qclient.output = "dataframe"
    df = await qclient.query("SELECT f FROM z")
    assert np.signbit(df["f"].to_numpy()).tolist() == [True, False, True]
    assert df["f"].dtype == np.float64


BIG = 9007199254740993  # 2**53 + 1: a float64 cannot hold it


async def test_dataframe_types_follow_a_dropped_and_rewritten_measurement(qclient):
    qclient.output = "dataframe"
    await qclient.write(["x,t=a v=1.5 1"])
    first = await qclient.query("SELECT * FROM x")
    assert first["v"].dtype == np.float64
    assert isinstance(first["t"].dtype, pd.CategoricalDtype)
    await qclient.query('DROP MEASUREMENT "x"')
    await qclient.write([f'x v={BIG}i,t="now a field" 2'])
    df = await qclient.query("SELECT * FROM x")
    assert df["v"].dtype == np.int64
    assert df["v"].tolist() == [BIG]
    assert df["t"].dtype == STR  # a field now, not a tag
    qclient.output = "json"
    values = (await qclient.query("SELECT * FROM x"))["results"][0]["series"][0]["values"]
    assert values == [[2, "now a field", BIG]]


async def test_dataframe_types_come_from_the_database_read(qclient, influxdb_server):
    qclient.output = "dataframe"
    await qclient.write(["n,t=x y=1.5 1"])  # in the client's database: y is a float, t a tag
    assert (await qclient.query("SELECT * FROM n"))["y"].dtype == np.float64
    other = f"other_{uuid.uuid4().hex[:8]}"
    influxdb_server.request(f'CREATE DATABASE "{other}"')
    try:
        await qclient.write([f"n,u=z y={BIG}i,t=4i 1"], db=other)
        df = await qclient.query(f'SELECT * FROM "{other}"."autogen"."n"')
        assert df["y"].tolist() == [BIG]
        assert df["y"].dtype == np.int64
        assert df["t"].dtype == np.int64  # a field there
        assert isinstance(df["u"].dtype, pd.CategoricalDtype)
        inner = await qclient.query(f'SELECT max(y) AS y FROM (SELECT y FROM "{other}".."n")')
        assert inner["y"].tolist() == [BIG]
    finally:
        influxdb_server.request(f'DROP DATABASE "{other}"')


async def test_chunked_dataframe_types_come_from_the_database_read(qclient):
    qclient.output = "dataframe"
    await qclient.write(["w,t=x y=1.5 1"])
    [df] = [f async for f in await qclient.query("SELECT * FROM w", chunked=True)]
    assert isinstance(df["t"].dtype, pd.CategoricalDtype)
    await qclient.query('DROP MEASUREMENT "w"')
    await qclient.write([f'w y={BIG}i,t="x" 1'])
    [df] = [f async for f in await qclient.query("SELECT * FROM w", chunked=True)]
    assert df["y"].tolist() == [BIG]
    assert df["t"].dtype == STR


async def test_dataframe_of_an_answer_in_many_chunks(qclient):
    # 25,000 rows come in 3 chunks, each typed as it arrives: gaps only in later chunks,
    # a tag missing from the last one, whole floats (JSON writes 2.0 as 2)
    rows = 25_000
    lines = []
    for i in range(rows):
        host = f",host=h{i % 3}" if i < 20_000 else ""
        k = f",k={i}i" if i < 10_000 or i % 2 else ""
        lines.append(f'c{host} f={i // 2}.0{k},s="s{i % 5}" {i + 1}')
    await qclient.write(lines)
    qclient.output = "dataframe"
    df = await qclient.query("SELECT * FROM c")
    assert df.index.equals(pd.DatetimeIndex(np.arange(1, rows + 1), tz="UTC"))
    assert df["f"].dtype == np.float64
    assert df["f"].tolist() == [float(i // 2) for i in range(rows)]
    assert str(df["k"].dtype) == "Int64"
    assert df["k"].tolist() == [i if i < 10_000 or i % 2 else pd.NA for i in range(rows)]
    assert list(df["host"].cat.categories) == ["h0", "h1", "h2"]
    assert df["host"].iloc[:20_000].tolist() == [f"h{i % 3}" for i in range(20_000)]
    assert df["host"].iloc[20_000:].isna().all()
    assert df["s"].dtype == STR
    assert df["s"].tolist() == [f"s{i % 5}" for i in range(rows)]


async def test_dataframe_gaps(qclient):
    await qclient.write(["g a=1.5,k=1i,t=true 1", 'g z="x" 2'])
    qclient.output = "dataframe"
    df = await qclient.query("SELECT * FROM g")
    assert np.isnan(df["a"].iloc[1])
    assert df["a"].dtype == np.float64
    assert str(df["k"].dtype) == "Int64"
    assert df["k"].tolist() == [1, pd.NA]
    assert pd.isna(df["z"].iloc[0])
    assert df["z"].tolist()[1] == "x"


async def test_dataframe_group_by_gives_a_dict(qclient):
    qclient.output = "dataframe"
    frames = await qclient.query("SELECT f FROM m GROUP BY host, region")
    assert list(frames) == ["m,host=a,region=eu", "m,host=a,region=us", "m,host=b,region=eu"]
    eu = frames["m,host=a,region=eu"]
    assert eu["f"].tolist() == [1.0]
    assert eu["region"].tolist() == ["eu"]
    assert isinstance(eu["host"].dtype, pd.CategoricalDtype)


async def test_dataframe_multi_statement_list_and_empty_results(qclient):
    qclient.output = "dataframe"
    first, empty, mean = await qclient.query(
        "SELECT v FROM n; SELECT * FROM nothing; SELECT mean(f) FROM m"
    )
    # aioinflux 0.9's shapes: one dict of frames per statement, keyed by series name
    assert list(first) == ["n"]
    assert first["n"]["v"].tolist() == [1.0]
    assert empty == {}
    assert isinstance(mean["m"].index, pd.RangeIndex)
    assert mean["m"]["mean"].tolist() == [pytest.approx(6.5 / 3)]
    assert await qclient.query("SELECT * FROM nothing") == {}


async def test_dataframe_shapes_of_09(qclient):
    qclient.output = "dataframe"
    # one group of a GROUP BY: its frame, as in 0.9
    one_group = await qclient.query("SELECT f FROM m WHERE host = 'b' GROUP BY host")
    assert isinstance(one_group, pd.DataFrame)
    assert one_group["f"].tolist() == [2.5]
    assert one_group["host"].tolist() == ["b"]
    # several measurements in one statement: a dict
    both = await qclient.query("SELECT * FROM m, n")
    assert list(both) == ["m", "n"]
    # several statements: a list of dicts, one per statement, so df_list[0]['m'] is m
    df_list = await qclient.query("SELECT f FROM m; SELECT v FROM n")
    assert [list(frames) for frames in df_list] == [["m"], ["n"]]
    assert df_list[0]["m"]["f"].tolist() == [1.0, 2.5, 3.0]
    grouped = await qclient.query("SELECT f FROM m GROUP BY host; SELECT v FROM n")
    assert [list(frames) for frames in grouped] == [["m,host=a", "m,host=b"], ["n"]]
    # each frame's name attribute is its measurement, as 0.9 set it
    assert [f.name for frames in grouped for f in frames.values()] == ["m", "m", "n"]
    assert one_group.name == "m"
    assert "name" in (await qclient.query("SHOW MEASUREMENTS")).columns  # a column wins


@pytest.mark.parametrize("epoch", ["ns", "u", "ms", "s", None])
async def test_dataframe_index_for_every_epoch(qclient, epoch):
    qclient.output = "dataframe"
    df = await qclient.query("SELECT v FROM n", epoch=epoch)
    assert df.index.equals(pd.DatetimeIndex([pd.Timestamp(4, unit="s", tz="UTC")]))


async def test_new_tags_are_learned(qclient):
    qclient.output = "dataframe"
    assert "zone" not in (await qclient.query("SELECT * FROM n")).columns
    await qclient.write("n,zone=z1 v=2 5000000000")
    df = await qclient.query("SELECT * FROM n")
    assert isinstance(df["zone"].dtype, pd.CategoricalDtype)
    assert df["zone"].tolist()[1] == "z1"


async def test_get_tag_info(qclient):
    assert await qclient.get_tag_info() == {
        "m": {"host": ["a", "b"], "region": ["eu", "us"]},
        "n": {},
    }


async def test_get_tag_info_needs_a_database():
    async with InfluxDBClient(port=9) as client:
        with pytest.raises(ValueError, match="needs a database"):
            await client.get_tag_info()


# -- polars ------------------------------------------------------------------------------


async def test_polars_types_and_values_equal_what_was_written(qclient):
    qclient.output = "polars"
    df = await qclient.query("SELECT * FROM m")
    assert isinstance(df, pl.DataFrame)
    assert df.schema == pl.Schema(
        {
            "time": pl.Datetime("ns", "UTC"),
            "b": pl.Boolean,
            "f": pl.Float64,
            "host": pl.Categorical(),
            "i": pl.Int64,
            "region": pl.Categorical(),
            "s": pl.String,
        }
    )
    assert df["time"].dt.epoch("ns").to_list() == [10**9, 2 * 10**9, 3 * 10**9]
    assert df["f"].to_list() == [1.0, 2.5, 3.0]  # JSON's 1 and 3: the declared float decides
    assert df["i"].to_list() == [INT_MIN, INT_MAX, 0]
    assert df["b"].to_list() == [True, None, False]
    assert df["s"].to_list() == ['say "hi" ü \\ \U0001f600', "line\nbreak", None]
    assert df["host"].to_list() == ["a", "b", "a"]


async def test_polars_integer_field_with_gaps_is_never_a_float(qclient):
    await qclient.write([f"g k={BIG}i 1", "g x=1.5 2", f"g k={-BIG}i 3"])
    qclient.output = "polars"
    df = await qclient.query("SELECT * FROM g")
    assert df.schema["k"] == pl.Int64
    assert df["k"].to_list() == [BIG, None, -BIG]


async def test_polars_group_by_is_one_long_frame(qclient):
    qclient.output = "polars"
    df = await qclient.query("SELECT count(f) FROM m GROUP BY host")
    assert df.columns == ["time", "count", "host"]
    assert df["host"].to_list() == ["a", "b"]
    assert df["count"].to_list() == [2, 1]
    both = await qclient.query("SELECT f FROM m GROUP BY host, region")
    assert both.select("host", "region", "f").rows() == [
        ("a", "eu", 1.0),
        ("a", "us", 3.0),
        ("b", "eu", 2.5),
    ]


async def test_polars_several_statements_and_measurements(qclient):
    qclient.output = "polars"
    first, empty, several = await qclient.query(
        "SELECT v FROM n; SELECT * FROM nothing; SELECT f, v FROM m, n"
    )
    assert first["v"].to_list() == [1.0]
    assert empty.shape == (0, 0)
    assert several.columns == ["measurement", "time", "f", "v"]
    assert several["measurement"].to_list() == ["m", "m", "m", "n"]
    assert several["v"].to_list() == [None, None, None, 1.0]


@pytest.mark.parametrize(
    ("epoch", "unit"), [("ns", "ns"), ("u", "us"), ("ms", "ms"), ("s", "ms"), (None, "ns")]
)
async def test_polars_time_unit_follows_the_epoch(qclient, epoch, unit):
    qclient.output = "polars"
    df = await qclient.query("SELECT v FROM n", epoch=epoch)
    assert df.schema["time"] == pl.Datetime(unit, "UTC")
    assert df["time"].dt.epoch("s").to_list() == [4]


async def test_polars_chunked_gives_one_frame_per_chunk(qclient):
    qclient.output = "polars"
    frames = [df async for df in await qclient.query("SELECT * FROM m", chunked=True, chunk_size=2)]
    assert [len(df) for df in frames] == [2, 1]
    whole = await qclient.query("SELECT * FROM m")
    assert pl.concat(frames, how="vertical_relaxed").equals(whole)
    # the declared type types a column without any value in its chunk
    assert frames[1].schema["s"] == pl.String


async def test_polars_show_statements(qclient):
    qclient.output = "polars"
    keys, measurements = await qclient.query("SHOW TAG KEYS; SHOW MEASUREMENTS")
    assert keys.rows() == [("m", "host"), ("m", "region")]
    assert keys.columns == ["measurement", "tagKey"]
    assert measurements["name"].to_list() == ["m", "n"]
    fields = await qclient.query("SHOW FIELD KEYS FROM m")
    assert fields.columns == ["measurement", "fieldKey", "fieldType"]


async def test_polars_negative_zero_keeps_its_sign(qclient):
    await qclient.write(["z f=-0.0 1", "z f=0.0 2", "z f=-0 3"])
    qclient.output = "polars"
    df = await qclient.query("SELECT f FROM z")
    assert df["f"].dtype == pl.Float64
    assert [math.copysign(1, v) for v in df["f"].to_list()] == [-1, 1, -1]


def test_polars_in_blocking_mode(influxdb_server, influxdb_database, wire):
    with influxdb_server.client(db=influxdb_database, mode="blocking", output="polars") as client:
        client._msgpack = wire == "msgpack"
        client.write(LINES)
        assert client.query("SELECT i FROM m")["i"].to_list() == [INT_MIN, INT_MAX, 0]
        frames = client.query("SELECT i FROM m", chunked=True, chunk_size=2)
        assert not hasattr(frames, "__aiter__")
        assert [df["i"].to_list() for df in frames] == [[INT_MIN, INT_MAX], [0]]


async def test_polars_frame_written_and_read_back(qclient):
    frame = pl.DataFrame(
        {
            "time": pl.Series([1, 2, 3]).cast(pl.Datetime("ns", "UTC")),
            "host": pl.Series(["a", "b", None], dtype=pl.Categorical),
            "f": [1.5, -0.0, None],
            "i": [BIG, None, INT_MIN],
            "b": [True, False, None],
            "s": ["x", None, "z"],
        }
    )
    await qclient.write(frame, measurement="p")
    qclient.output = "polars"
    back = await qclient.query("SELECT * FROM p")
    assert back.select(frame.columns).equals(frame)
    assert back.select(frame.columns).schema == frame.schema


# -- results are never cut ---------------------------------------------------------------


def test_max_row_limit_does_not_cut_results():
    with InfluxDBServer(settings={"INFLUXDB_HTTP_MAX_ROW_LIMIT": "5"}) as server:
        server.request('CREATE DATABASE "d"')
        with server.client(db="d", mode="blocking") as client:
            client.write([f"m v={i}i {i}" for i in range(20)] + ["n v=1i 1"])
            resp = client.query("SELECT v FROM m; SELECT v FROM n")
    assert [v for _, v in resp["results"][0]["series"][0]["values"]] == list(range(20))
    assert resp["results"][1]["series"][0]["values"] == [[1, 1]]


# -- 1M points, written once for this module ---------------------------------------------

MILLION = 1_000_000


@pytest.fixture(scope="module")
def million(influxdb_server):
    name = f"million_{uuid.uuid4().hex[:8]}"
    influxdb_server.request(f'CREATE DATABASE "{name}"')
    with influxdb_server.client(db=name, mode="blocking") as client:
        # batches under 1 MiB: aiohttp warns about bigger bodies given as bytes
        for start in range(0, MILLION, 20_000):
            client.write(
                "\n".join(f"big,g={i % 2} v={i}i {i}" for i in range(start, start + 20_000))
            )
    yield name
    influxdb_server.request(f'DROP DATABASE "{name}"')


@pytest.mark.timeout(300)
async def test_million_points_chunked_by_10000(influxdb_server, million):
    async with influxdb_server.client(db=million) as client:
        sizes, total, last = [], 0, -1
        async for chunk in await client.query("SELECT v FROM big", chunked=True, chunk_size=10_000):
            values = chunk["results"][0]["series"][0]["values"]
            sizes.append(len(values))
            assert values[0][0] == last + 1
            last = values[-1][0]
            total += sum(v for _, v in values)
    assert sizes == [10_000] * 100
    assert total == sum(range(MILLION))


@pytest.mark.timeout(300)
async def test_million_points_reassembled(influxdb_server, million):
    async with influxdb_server.client(db=million) as client:
        # more than 10,000 rows per series: influxd flags them partial; nothing is lost
        resp = await client.query("SELECT v FROM big GROUP BY g")
        groups = resp["results"][0]["series"]
        assert [len(s["values"]) for s in groups] == [MILLION // 2] * 2
        assert all("partial" not in s for s in groups)
        client.output = "dataframe"
        df = await client.query("SELECT * FROM big")
    assert len(df) == MILLION
    assert df["v"].dtype == np.int64
    assert (df["v"].to_numpy() == np.arange(MILLION)).all()
    assert df["g"].tolist()[:3] == ["0", "1", "0"]


async def test_statements_without_series_in_dataframe_mode(client):
    client.output = "dataframe"
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    try:
        assert await client.query(f'CREATE DATABASE "{name}"', db=name) == {}
    finally:
        client.output = "json"
        await client.query(f'DROP DATABASE "{name}"')


# -- compression -------------------------------------------------------------------------


async def _encodings(server, db, **session):
    seen = []
    trace = aiohttp.TraceConfig()

    async def on_end(session, ctx, params):
        seen.append(params.response.headers.get("Content-Encoding"))

    trace.on_request_end.append(on_end)
    async with server.client(db=db, trace_configs=[trace], **session) as client:
        await client.write("m v=1 1")
        resp = await client.query("SELECT v FROM m")
    return seen[-1], resp["results"][0]["series"][0]["values"]


async def test_answers_from_this_machine_are_not_gzipped(influxdb_server, influxdb_database):
    # gzip costs the server about as much as producing the answer: not worth it locally
    assert await _encodings(influxdb_server, influxdb_database) == (None, [[1, 1.0]])
    gzipped = await _encodings(
        influxdb_server, influxdb_database, headers={"Accept-Encoding": "gzip"}
    )
    assert gzipped == ("gzip", [[1, 1.0]])


def test_answers_from_other_machines_may_be_gzipped():
    assert InfluxDBClient("db.example")._compress()
    assert not InfluxDBClient("localhost")._compress()
    assert not InfluxDBClient("db.example", unix_socket="/tmp/x.sock")._compress()


# -- answers influxd cannot be made to give ----------------------------------------------


@pytest.mark.parametrize("msgpack", [True, False])
async def test_a_proxy_error_page_is_reported_as_sent(fault_server, msgpack):
    async def handler(request):
        return aiohttp.web.Response(status=502, text="<html>Bad Gateway</html>")

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        client._msgpack = msgpack
        with pytest.raises(InfluxDBQueryError) as info:
            await client.query("SELECT 1")
    assert info.value.status == 502
    assert "Bad Gateway" in str(info.value)


async def test_a_body_cut_in_the_middle_of_a_chunk_raises(fault_server):
    async def handler(request):
        resp = aiohttp.web.StreamResponse()
        await resp.prepare(request)
        await resp.write(
            b'{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time"],"values":[[1]]}]}]}\n'
        )
        await resp.write(b'{"results":[{"statement_id":0,"ser')
        return resp

    port = await fault_server(handler)
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        client._msgpack = False
        with pytest.raises(InfluxDBError, match="ended in the middle of a chunk"):
            await client.query("SELECT 1")


async def test_show_diagnostics_whatever_the_wire(qclient):
    # influxd 1.6.7's MessagePack answer to it is cut short (measured): JSON is asked for
    names = [s["name"] for s in (await qclient.query("SHOW DIAGNOSTICS"))["results"][0]["series"]]
    assert "build" in names


async def test_the_schema_is_asked_at_each_query_in_one_request(influxdb_server, influxdb_database):
    requests = []
    trace = aiohttp.TraceConfig()

    async def on_start(session, ctx, params):
        requests.append((params.url.path, ctx.trace_request_ctx))

    trace.on_request_start.append(on_start)
    async with influxdb_server.client(
        db=influxdb_database, output="dataframe", trace_configs=[trace]
    ) as client:
        await client.write("m,t=a f=1.5 1")
        assert isinstance((await client.query("SELECT * FROM m"))["t"].dtype, pd.CategoricalDtype)
        assert len(requests) == 3  # write, query, SHOW TAG KEYS; SHOW FIELD KEYS (together)
        await client.query("SELECT * FROM m; SELECT mean(f) FROM m")
        assert len(requests) == 5  # asked again: the measurement may have changed
        await client.query("SHOW MEASUREMENTS")
        assert len(requests) == 6  # nothing read from a measurement: nothing asked


# -- the examples of docs/querying.rst, run ---------------------------------------------


def doc_examples():
    return python_examples("querying.rst")


async def test_docs_examples_run(client, capsys):
    await client.write(
        [
            "cpu,host=server01 load=0.64 1257894000000000000",
            "cpu,host=server02 load=0.5 1257894000000000001",
            "mem v=1i 1257894000000000000",
        ]
    )
    examples = doc_examples()
    assert len(examples) == 7
    for code in examples:
        client.output = "json"
        await as_coroutine(code, "docs/querying.rst")(client)
    out = capsys.readouterr().out
    assert "1257894000000000000 server01 0.64" in out
    assert "Point(time=1257894000000000000, host='server01', load=0.64)" in out
    assert "{'cpu': {'host': ['server01', 'server02']}, 'mem': {}}" in out
    # the polars example
    assert (
        "{'time': Datetime(time_unit='ns', time_zone='UTC'), 'host': Categorical, "
        "'load': Float64}" in out
    )
    assert "[('server01', 1), ('server02', 1)]" in out


async def test_whole_floats_stay_floats_in_every_wire_format(qclient, wire):
    # JSON writes them as 1 and 2: the field's type from SHOW FIELD KEYS says float
    await qclient.write(["w f=1.0 1", "w f=2 2"])
    raw = await qclient.query("SELECT f FROM w")
    assert [type(v) for _, v in raw["results"][0]["series"][0]["values"]] == (
        [float, float] if wire == "msgpack" else [int, int]
    )
    qclient.output = "dataframe"
    df = await qclient.query("SELECT f FROM w")
    assert df["f"].dtype == np.float64
    assert df["f"].tolist() == [1.0, 2.0]
