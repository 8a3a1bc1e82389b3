"""polars DataFrames given to write(): the same points and stored data as the pandas frame
that stands for them, on both encoders; what cannot be written raises naming the column."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aioinflux import LineProtocolError, serialize
from aioinflux.serialization import columnar
from tests.roundtrip import same_rows, stored_rows
from tests.test_serialization_dataframe import canonical

pl = pytest.importorskip("polars", reason="the fast extra is part of the test extra")

T0 = dt.datetime(2020, 1, 2, 3, 4, 5)
TIMES = [T0 + dt.timedelta(seconds=i) for i in range(3)]


def polars_frame():
    return pl.DataFrame(
        {
            "time": TIMES,
            "host": pl.Series(["a b", None, "c,d"], dtype=pl.Categorical),
            "level": pl.Series(["x", "y", "x"], dtype=pl.Enum(["x", "y"])),
            "region": ["eu", "us=1", None],
            "v": [0.5, None, 1e-9],
            "n": pl.Series([2**63 - 1, None, -3], dtype=pl.Int64),
            "u": pl.Series([2**63 - 1, 0, None], dtype=pl.UInt64),
            "i8": pl.Series([1, 2, 3], dtype=pl.Int8),
            "f32": pl.Series([0.1, 2.5, None], dtype=pl.Float32),
            "s": ['say "hi"\n', None, "back\\slash"],
            "ok": [True, None, False],
        }
    )


def pandas_frame():
    """The pandas frame the polars one stands for."""
    return pd.DataFrame(
        {
            "host": pd.Categorical(["a b", None, "c,d"]),
            "level": pd.Categorical(["x", "y", "x"]),
            "region": ["eu", "us=1", None],
            "v": [0.5, np.nan, 1e-9],
            "n": pd.array([2**63 - 1, None, -3], dtype="Int64"),
            "u": pd.array([2**63 - 1, 0, None], dtype="UInt64"),
            "i8": np.array([1, 2, 3], dtype=np.int8),
            "f32": np.array([0.1, 2.5, np.nan], dtype=np.float32),
            "s": np.array(['say "hi"\n', None, "back\\slash"], dtype=object),
            "ok": pd.array([True, None, False], dtype="boolean"),
        },
        index=pd.DatetimeIndex(TIMES),
    )


@pytest.fixture(params=["columnar", "pure"])
def path(request, monkeypatch):
    monkeypatch.setattr(columnar, "ENABLED", request.param == "columnar")
    return request.param


def test_a_polars_frame_gives_the_points_of_its_pandas_frame(path):
    options = {"measurement": "m", "tag_columns": ["region"]}
    got = serialize(polars_frame(), **options).decode()
    assert canonical(got) == canonical(serialize(pandas_frame(), **options).decode())
    assert len(canonical(got)) == 3


@pytest.mark.parametrize("unit", ["ns", "us", "ms"])
@pytest.mark.parametrize("zone", [None, "UTC", "Asia/Kolkata"])
def test_time_column_of_every_unit_and_zone(unit, zone):
    times = pl.Series("time", TIMES[:2]).dt.cast_time_unit(unit)
    if zone is not None:
        times = times.dt.replace_time_zone("UTC").dt.convert_time_zone(zone)
    df = pl.DataFrame({"time": times, "v": [1.0, 2.0]})
    assert serialize(df, measurement="m", precision="u") == (
        b"m v=1.0 1577934245000000\nm v=2.0 1577934246000000"
    )


ERRORS = [
    (
        "no_time_column",
        pl.DataFrame({"v": [1.0]}),
        TypeError,
        "needs a Datetime column named 'time'",
    ),
    (
        "time_not_datetime",
        pl.DataFrame({"time": [1], "v": [1.0]}),
        TypeError,
        "'time' column must be Datetime, got Int64",
    ),
    (
        "null_time",
        pl.DataFrame({"time": [T0, None], "v": [1.0, 2.0]}),
        LineProtocolError,
        "column 'time', row 1: a null is not a time",
    ),
    (
        "date_column",
        pl.DataFrame({"time": [T0], "d": [T0.date()]}),
        TypeError,
        "column 'd': cannot write a polars column of dtype Date",
    ),
    (
        "uint64_too_big",
        pl.DataFrame({"time": [T0, T0], "u": pl.Series([2**63, None], dtype=pl.UInt64)}),
        LineProtocolError,
        r"column 'u', row Timestamp\('2020-01-02 03:04:05'\): an integer is outside",
    ),
    (
        "inf",
        pl.DataFrame({"time": TIMES[:2], "v": [1.0, float("inf")]}),
        LineProtocolError,
        r"column 'v', row Timestamp\('2020-01-02 03:04:06'\): inf cannot be written",
    ),
]


@pytest.mark.parametrize(
    ("df", "exc", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_polars_frame_that_cannot_be_written_raises(df, exc, message):
    with pytest.raises(exc, match=message):
        serialize(df, measurement="m")


@pytest.mark.server
async def test_a_polars_frame_is_stored_as_its_pandas_frame(client, path):
    await client.write(pandas_frame(), measurement="m", tag_columns=["region"])
    from_pandas = await stored_rows(client)
    await client.query("DROP SERIES FROM /.*/")
    await client.write(polars_frame(), measurement="m", tag_columns=["region"])
    from_polars = await stored_rows(client)
    assert len(from_polars) == 3
    assert same_rows(from_polars, from_pandas)
