"""Pure tests of query answers to polars DataFrames (aioinflux._polars)."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import polars as pl
import pytest

from aioinflux._polars import (
    MEASUREMENT,
    PolarsChunk,
    PolarsSeries,
    named_statements,
    to_polars,
)
from aioinflux._sources import statement_sources

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
BIG = 2**53 + 1  # a float64 cannot hold it


def answer(*series_lists):
    return {
        "results": [
            {"statement_id": i, **({"series": s} if s else {})} for i, s in enumerate(series_lists)
        ]
    }


def one(columns, values, name="m", **extra):
    return {"name": name, "columns": columns, "values": values, **extra}


def test_types_follow_the_fields_and_missing_values_are_null():
    resp = answer(
        [
            one(
                ["time", "f", "i", "b", "s", "gap_i", "gap_b", "gap_f", "none"],
                [
                    [1, 1.5, INT_MIN, True, 'q"ü', BIG, True, None, None],
                    [2, -0.0, INT_MAX, False, None, None, None, 2.5, None],
                ],
            )
        ]
    )
    df = to_polars(resp)
    assert df.schema == pl.Schema(
        {
            "time": pl.Datetime("ns", "UTC"),
            "f": pl.Float64,
            "i": pl.Int64,
            "b": pl.Boolean,
            "s": pl.String,
            "gap_i": pl.Int64,
            "gap_b": pl.Boolean,
            "gap_f": pl.Float64,
            "none": pl.Null,
        }
    )
    assert df["i"].to_list() == [INT_MIN, INT_MAX]
    assert df["gap_i"].to_list() == [BIG, None]  # an integer field with a gap: not a float
    assert df["s"].to_list() == ['q"ü', None]
    assert df["gap_b"].to_list() == [True, None]
    assert [math.copysign(1, v) for v in df["f"].to_list()] == [1, -1]
    assert df["time"].to_list()[1] == pl.Series([2]).cast(pl.Datetime("ns", "UTC"))[0]


def test_declared_types_decide_where_json_cannot_tell():
    # JSON writes the float 1.0 as 1; a field without any value in the answer
    resp = answer([one(["time", "f", "e", "t"], [[1, 1, None, "a"], [2, 3, None, None]])])
    kinds = {"m": {"f": "float", "e": "integer", "t": "tag"}}
    df = to_polars(resp, kinds=kinds)
    assert df.schema["f"] == pl.Float64
    assert df["f"].to_list() == [1.0, 3.0]
    assert df.schema["e"] == pl.Int64
    assert df.schema["t"] == pl.Categorical
    assert df["t"].to_list() == ["a", None]
    assert to_polars(resp).schema["f"] == pl.Int64  # what JSON alone can tell
    # a MessagePack answer carries the types: the declared one only types an empty column
    typed = to_polars(resp, kinds=kinds, typed=True)
    assert typed.schema["f"] == pl.Int64
    assert typed.schema["e"] == pl.Int64


@pytest.mark.parametrize(
    ("epoch", "time", "unit"),
    [
        ("ns", 1_500_000_000_123_456_789, "ns"),
        ("u", 1_500_000_000_123_456, "us"),
        ("ms", 1_500_000_000_123, "ms"),
        ("s", 1_500_000_000, "ms"),
        ("m", 25_000_000, "ms"),
        ("h", 416_666, "ms"),
        (None, "2017-07-14T02:40:00.123456789Z", "ns"),
    ],
)
def test_time_is_utc_in_the_unit_of_the_epoch(epoch, time, unit):
    df = to_polars(answer([one(["time", "v"], [[time, 1.0]])]), epoch=epoch)
    assert df.schema["time"] == pl.Datetime(unit, "UTC")
    expected = {
        "ns": "2017-07-14 02:40:00.123456789",
        "u": "2017-07-14 02:40:00.123456",
        "ms": "2017-07-14 02:40:00.123",
        "s": "2017-07-14 02:40:00",
        "m": "2017-07-14 02:40:00",
        "h": "2017-07-14 02:00:00",
        None: "2017-07-14 02:40:00.123456789",
    }[epoch]
    want = pl.Series([expected]).str.to_datetime(time_unit=unit, time_zone="UTC")
    assert df["time"].to_list() == want.to_list()


def test_a_group_by_is_one_long_frame_with_the_tags_as_columns():
    resp = answer(
        [
            one(["time", "count"], [[0, 2]], tags={"host": "a", "dc": "x"}),
            one(["time", "count"], [[0, 1]], tags={"host": "b", "dc": "x"}),
        ]
    )
    df = to_polars(resp)
    assert df.columns == ["time", "count", "dc", "host"]
    assert df["host"].to_list() == ["a", "b"]
    assert df.schema["host"] == pl.Categorical
    assert df["count"].to_list() == [2, 1]


def test_several_statements_give_a_list_and_an_empty_one_a_frame_without_columns():
    resp = answer([one(["time", "v"], [[1, 1.0]])], None, [one(["time", "w"], [[1, 2]])])
    first, empty, last = to_polars(resp)
    assert first["v"].to_list() == [1.0]
    assert empty.shape == (0, 0)
    assert last["w"].to_list() == [2]
    assert to_polars(answer(None)).shape == (0, 0)
    assert to_polars({"results": []}) == []


def test_series_of_several_measurements_say_which():
    resp = answer([one(["time", "v"], [[1, 1.0]], "a"), one(["time", "w"], [[2, 2]], "b")])
    df = to_polars(resp)  # not announced by the query: named all the same
    assert df.columns == [MEASUREMENT, "time", "v", "w"]
    assert df[MEASUREMENT].to_list() == ["a", "b"]
    assert df["v"].to_list() == [1.0, None]
    assert df["w"].to_list() == [None, 2]
    # announced: even a chunk holding one of them says which
    named = to_polars(answer([one(["time", "v"], [[1, 1.0]], "a")]), named=[True])
    assert named.columns == [MEASUREMENT, "time", "v"]


def test_a_column_named_like_the_measurement_column_is_refused_when_needed():
    resp = answer([one(["time", MEASUREMENT], [[1, 1.0]], "a"), one(["time"], [[2]], "b")])
    with pytest.raises(ValueError, match="select it under another name"):
        to_polars(resp)
    assert to_polars(answer([one(["time", MEASUREMENT], [[1, 1.0]])]))[MEASUREMENT].to_list() == [
        1.0
    ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1, "x"], r"several types \(int, str\)"),
        ([True, 1], r"several types \(bool, int\)"),
        ([1, True], r"several types \(bool, int\)"),
        ([1.5, None, True], r"several types \(bool, float\)"),
        ([1, 2**64], r"the integer 18446744073709551616 cannot be held"),
    ],
)
def test_a_column_of_several_types_is_refused(values, message):
    rows = [[i, v] for i, v in enumerate(values)]
    with pytest.raises(ValueError, match=message):
        to_polars(answer([one(["time", "v"], rows)]))


def test_columns_of_several_types_across_chunks_are_refused():
    chunks = [PolarsChunk([[1, 1]]), PolarsChunk([[2, "x"]])]
    with pytest.raises(ValueError, match=r"column 'v' holds values of several types"):
        to_polars(answer([one(["time", "v"], PolarsSeries(chunks))]))


COLUMNS = {
    "floats": [1.5, -0.0, 2.25, 1e308],
    "json whole floats": [0, 1.5, 2, None],
    "ints": [INT_MIN, 0, INT_MAX, BIG],
    "ints with gaps": [1, None, None, INT_MAX],
    "bools with gaps": [None, True, None, False],
    "strings with gaps": ["b", None, None, "a"],
    "no value": [None, None, None, None],
}


@pytest.mark.parametrize("splits", [(), (1,), (2,), (1, 2, 3)])
@pytest.mark.parametrize("kind", [None, "float", "tag"])
@pytest.mark.parametrize("case", COLUMNS)
def test_columns_typed_chunk_by_chunk_give_the_frame_of_the_whole(case, kind, splits):
    values = COLUMNS[case]
    rows = [[i + 1, value] for i, value in enumerate(values)]
    kinds = {"m": {"v": kind}}
    bounds = [0, *splits, len(rows)]
    chunks = [PolarsChunk(rows[a:b]) for a, b in itertools.pairwise(bounds)]
    try:
        whole = to_polars(answer([one(["time", "v"], rows)]), kinds=kinds)
    except ValueError:
        with pytest.raises(ValueError, match="not strings"):
            to_polars(answer([one(["time", "v"], PolarsSeries(chunks))]), kinds=kinds)
        return
    got = to_polars(answer([one(["time", "v"], PolarsSeries(chunks))]), kinds=kinds)
    assert got.schema == whole.schema
    assert got.equals(whole)
    if case == "floats":
        assert [math.copysign(1, v) for v in got["v"].to_list()] == [1, -1, 1, 1]


@pytest.mark.parametrize(
    ("q", "named"),
    [
        ("SELECT * FROM m", [False]),
        ("SELECT count(v) FROM m GROUP BY host", [False]),
        ('SELECT * FROM "db"."rp"."m"', [False]),
        ("SELECT * FROM a, b", [True]),
        ("SELECT * FROM /cpu.*/", [True]),
        ("SELECT * FROM (SELECT * FROM a, b)", [True]),
        ("SELECT * FROM m; SHOW TAG KEYS; SHOW MEASUREMENTS", [False, True, False]),
        ("SHOW FIELD KEYS ON d; SHOW DATABASES; SHOW STATS", [True, False, True]),
        ("SHOW SERIES EXACT CARDINALITY; SHOW RETENTION POLICIES", [True, False]),
        ("CREATE DATABASE x", [False]),
    ],
)
def test_which_statements_name_their_measurements(q, named):
    assert named_statements(statement_sources(q)) == named


def test_building_polars_frames_imports_no_pandas():
    code = (
        "import sys, aioinflux._polars as p\n"
        "p.to_polars({'results': [{'statement_id': 0, 'series': [{'name': 'm', "
        "'columns': ['time', 'v'], 'values': [[1, 1.5]]}]}]})\n"
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
