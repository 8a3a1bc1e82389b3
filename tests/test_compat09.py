"""Calls written for aioinflux 0.9 mean what they meant there, against a real server: what
0.9 refused with ValueError, non-str names and tag values, parsers of one-column answers.
(0.9's helpers: tests/test_queries.py; DataFrame shapes: tests/test_query_results.py.)"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from aioinflux import (
    FLOAT,
    TIMEINT,
    LineProtocolError,
    LineProtocolTypeError,
    iterpoints,
    lineprotocol,
    serialize,
)

pytestmark = pytest.mark.server


async def stored(client, measurement="m"):
    resp = await client.query(f'SELECT * FROM "{measurement}"')
    return [s["values"] for s in resp["results"][0].get("series", [])]


# -- what 0.9 refused with ValueError ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        (lambda: 1, {}, "point 1: cannot write an object of type function"),
        (
            pd.DataFrame({"v": [1.0]}),
            {"measurement": "m"},
            "point 1: a DataFrame needs a DatetimeIndex to be written, got RangeIndex",
        ),
        ({"fields": {"v": 1}}, {}, "point 1: the point has no measurement"),
    ],
    ids=["function", "dataframe_without_datetimeindex", "no_measurement"],
)
async def test_what_09_refused_with_value_error_is_caught_by_except_value_error(
    client, data, options, message
):
    with pytest.raises(ValueError, match=message) as info:
        await client.write(["m v=1 1", data], **options)
    assert isinstance(info.value, LineProtocolError)
    # a wrong type is also a TypeError, as before
    assert isinstance(info.value, TypeError) == ("no measurement" not in message)
    assert isinstance(info.value, TypeError) == isinstance(info.value, LineProtocolTypeError)
    assert await stored(client) == []  # nothing was sent


# -- names and tag values that are not str -----------------------------------------------

WARNING = "Non-string-like data passed. Attempting to convert to 'str'"  # 0.9's words first

# (point, line as written, what each warning names)
NON_STR = [
    (
        {"measurement": "m", "tags": {1: 2}, "fields": {3: 4}},
        "m,1=2 3=4i",
        ["tag key 1 (int)", "tag 1: value 2 (int)", "field key 3 (int)"],
    ),
    (
        {"measurement": "m", "tags": {"up": True}, "fields": {"v": 1.5}},
        "m,up=True v=1.5",
        ["tag 'up': value True (bool)"],
    ),
    ({"measurement": 7, "fields": {"v": 1}}, "7 v=1i", ["measurement 7 (int)"]),
    (
        {"measurement": "m", "tags": {2.5: np.int64(5)}, "fields": {np.int32(9): "s"}},
        'm,2.5=5 9="s"',
        ["tag key 2.5 (float)", "tag 2.5: value np.int64(5) (int64)", "field key np.int32(9)"],
    ),
]


def assert_warned(record, names):
    messages = [str(w.message) for w in record]
    assert all(m.startswith(WARNING) for m in messages), messages
    for name in names:
        assert any(name in m for m in messages), (name, messages)
    assert len(messages) == len(names)


@pytest.mark.parametrize(("point", "line", "names"), NON_STR)
def test_non_str_names_and_tag_values_are_written_as_09_wrote_them(point, line, names):
    with pytest.warns(UserWarning, match=WARNING) as record:
        assert serialize(point) == line.encode()
    assert_warned(record, names)


async def test_non_str_names_and_tag_values_read_back_as_their_str(client):
    with pytest.warns(UserWarning, match=WARNING) as record:
        await client.write({"measurement": "m", "tags": {1: 2}, "fields": {3: 4}, "time": 1})
    assert_warned(record, NON_STR[0][2])
    resp = await client.query('SELECT * FROM "m"')
    assert resp["results"][0]["series"][0]["columns"] == ["time", "1", "3"]
    assert resp["results"][0]["series"][0]["values"] == [[1, "2", 4]]
    assert column(await client.show_tag_values("1", "m"), "value") == ["2"]


async def test_number_extra_tags_warn_as_in_09(client):
    frame = pd.DataFrame({"v": [1.5]}, index=pd.to_datetime([1], utc=True))
    with pytest.warns(UserWarning, match=WARNING) as record:
        await client.write(frame, measurement="m", rack=7)
    assert_warned(record, ["tag 'rack': value 7 (int)"])
    assert column(await client.show_tag_values("rack"), "value") == ["7"]


def test_where_09_did_not_warn_nothing_warns():
    # 0.9 wrote DataFrame tag columns and a @lineprotocol class's extra tags with str(),
    # silently (warnings are errors in this suite)
    @lineprotocol(extra_tags={"rack": 7})
    class Reading(NamedTuple):
        time: TIMEINT
        value: FLOAT

    assert Reading(1, 1.5).to_lineprotocol() == b"Reading,rack=7 value=1.5 1"
    frame = pd.DataFrame({"n": [1, 2], "v": [1.5, 2.5]}, index=pd.to_datetime([1, 2], utc=True))
    assert serialize(frame, "m", ["n"]) == b"m,n=1 v=1.5 1\nm,n=2 v=2.5 2"


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"measurement": "m", "tags": {(1,): "v"}, "fields": {"f": 1}}, "tag key must be a str"),
        ({"measurement": "m", "tags": {"k": [1]}, "fields": {"f": 1}}, "tag 'k': cannot write"),
        ({"measurement": b"m", "fields": {"f": 1}}, "measurement must be a str, got bytes"),
        ({"measurement": "m", "fields": {None: 1}}, "field key must be a str, got NoneType"),
    ],
)
async def test_what_is_neither_str_nor_number_still_raises(client, point, message):
    with pytest.raises(TypeError, match=message):
        await client.write(["m f=1 1", point])
    assert await stored(client) == []


def column(resp, name):
    series = resp["results"][0].get("series", [])
    return [row[s["columns"].index(name)] for s in series for row in s["values"]]


# -- parsers -----------------------------------------------------------------------------


async def test_one_argument_parser_of_a_one_column_answer_gets_the_value(client):
    await client.write(["cpu v=1 1", "mem v=2 2"])
    resp = await client.show_measurements()
    assert list(iterpoints(resp, lambda name: name)) == ["cpu", "mem"]  # 0.9: not ['cpu']
    assert client.db in list(iterpoints(await client.show_databases(), lambda name: name))
    client.output = "iterable"
    assert list(await client.query("SHOW MEASUREMENTS", parser=str.upper)) == ["CPU", "MEM"]
    points = await client.query("SELECT v FROM cpu", parser=lambda time, v, meta: (v, meta["name"]))
    assert list(points) == [(1, "cpu")]


# -- 0.9's documented module-level names -------------------------------------------------


def test_09s_import_paths_and_module_functions():
    from aioinflux import InfluxDBWriteError as Write
    from aioinflux.client import InfluxDBError, InfluxDBWriteError
    from aioinflux.serialization import dataframe, mapping

    assert InfluxDBWriteError is Write
    assert issubclass(InfluxDBWriteError, InfluxDBError)
    assert mapping.serialize({"fields": {"v": 1}}, "m", host="a") == b"m,host=a v=1i"
    frame = pd.DataFrame({"v": [1.5], "t": ["x"]}, index=pd.to_datetime([1], utc=True))
    assert dataframe.serialize(frame, "m", ["t"], rack="r") == b"m,rack=r,t=x v=1.5 1"
    with pytest.raises(ValueError, match="needs a DatetimeIndex"):
        dataframe.serialize(frame.reset_index(drop=True), "m")


async def test_09s_parse_turns_an_answer_into_dataframes(client):
    from aioinflux.serialization.dataframe import parse

    await client.write(["m,host=a v=1.5 1", "m,host=b v=2.5 2", "n w=1i 3"])
    one = parse(await client.query("SELECT v FROM m"))
    assert one["v"].tolist() == [1.5, 2.5]
    both = parse(await client.query("SELECT v FROM m GROUP BY host; SELECT w FROM n"))
    assert [list(frames) for frames in both] == [["m,host=a", "m,host=b"], ["n"]]
