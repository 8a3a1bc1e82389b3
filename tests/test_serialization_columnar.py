"""The columnar encoder (polars) against the pure one: the same points for the whole
DataFrame table, the same data stored by the real server, and every float spelling polars
makes read by influxd as the same float (a property test through the server)."""

from __future__ import annotations

import asyncio
import math
import struct
import sys
import uuid

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aioinflux._config import precision_factor
from aioinflux.serialization import columnar
from aioinflux.serialization.dataframe import serialize_dataframe
from tests.roundtrip import same_rows, stored_rows
from tests.test_serialization_dataframe import CASES, T0, canonical, expected_rows

pytest.importorskip("polars", reason="the fast extra is part of the test extra")

IDS = [c.id for c in CASES]


def encode(df, path, **options):
    """The pieces of ``df`` joined, encoded by the given path ('pure' or 'columnar')."""
    enabled = columnar.ENABLED
    columnar.ENABLED = path == "columnar"
    try:
        return b"".join(serialize_dataframe(df, **options))
    finally:
        columnar.ENABLED = enabled


def both(case, **extra):
    """The body of ``case`` from the pure path and from the columnar one."""
    options = {"measurement": "m", **case.kwargs, **extra}
    return encode(case.frame, "pure", **options).decode(), encode(
        case.frame, "columnar", **options
    ).decode()


def test_polars_is_installed_with_the_test_extra():
    # the columnar path must be tested: a missing polars is a failure, not a skip
    assert columnar.available()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_columnar_encodes_the_same_points(case):
    pure, fast = both(case)
    assert canonical(fast) == canonical("\n".join(case.lines))
    assert canonical(fast) == canonical(pure)
    assert fast == "" if not case.lines else fast.endswith("\n")


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("slice_rows", [1, 2])
def test_columnar_slices_give_the_same_points(case, slice_rows):
    pure, _ = both(case)
    _, fast = both(case, slice_rows=slice_rows)
    assert canonical(fast) == canonical(pure)


def test_bytes_are_identical_where_the_spelling_agrees():
    # escaped tags, whole floats, ints (with gaps too), times: one spelling on both paths;
    # both lead with a string field of few values and fold it, and the bool field with
    # gaps, into the tags' combinations: the same field order
    df = pd.DataFrame(
        {
            "host": pd.Categorical(["a b", "c,d", "a b"]),
            "region": ["x=1", "y\\z", None],
            "v": [1.0, 2.5, np.nan],
            "n": pd.array([1, None, -2], dtype="Int64"),
            "note": ['say "hi"', "ok", "ok"],
            "up": pd.array([True, None, False], dtype="boolean"),
        },
        index=pd.date_range(T0, periods=3, freq="s", unit="us"),
    )
    options = {"measurement": "m", "tag_columns": ["region"], "extra_tags": {"dc": "eu 1"}}
    assert encode(df, "columnar", **options) == encode(df, "pure", **options)


def test_a_newline_in_a_string_value_stays_inside_its_line():
    df = pd.DataFrame(
        {"s": ["a\nb", "c"], "v": [1.0, 2.0]}, index=pd.date_range(T0, periods=2, unit="ns")
    )
    fast = encode(df, "columnar", measurement="m").decode()
    assert canonical(fast) == canonical(encode(df, "pure", measurement="m").decode())
    assert len(canonical(fast)) == 2


def test_awkward_text_is_written_byte_for_byte_as_the_pure_path():
    # polars writes the finished lines through its CSV writer: nothing may be quoted,
    # translated or dropped (CR, CRLF, NUL, empty strings, quotes, commas, unicode separators)
    texts = ["a\r\nb", "\r", "", '"', ",", "\x00z", "é\u2028x", "tab\there"]
    df = pd.DataFrame(
        {"t": [f"tag {t}".replace("\n", "") for t in texts], "s": texts},
        index=pd.date_range(T0, periods=len(texts), freq="s", unit="ns"),
    )
    options = {"measurement": "m", "tag_columns": ["t"]}
    assert encode(df, "columnar", **options) == encode(df, "pure", **options)


def test_checks_are_the_pure_paths_and_run_before_anything_is_produced():
    df = pd.DataFrame(
        {"v": [1.0, 2.0, np.inf]}, index=pd.date_range(T0, periods=3, freq="s", unit="ns")
    )
    assert columnar.available()
    with pytest.raises(ValueError, match=r"column 'v', row Timestamp\('2020-01-02 03:04:07'\)"):
        serialize_dataframe(df, measurement="m", slice_rows=1)


def test_without_polars_the_pure_encoder_writes(monkeypatch):
    df = pd.DataFrame({"v": [1.2e-5]}, index=pd.date_range(T0, periods=1, unit="ns"))
    monkeypatch.setattr(columnar, "_found", None)
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars fails as if missing
    assert not columnar.available()
    assert (
        b"".join(serialize_dataframe(df, measurement="m"))
        == b"m v=1.2e-05 %d\n" % (df.index.asi8[0])
    )


def test_disabled_means_unavailable(monkeypatch):
    monkeypatch.setattr(columnar, "ENABLED", False)
    assert not columnar.available()


# -- through the real server ---------------------------------------------------------------


async def write_body(client, body, precision):
    if body:
        await client.write(body.encode(), precision=precision)


@pytest.mark.server
@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_both_paths_store_identical_data(influxdb_server, client, case):
    kwargs = dict(case.kwargs)
    precision = {precision_factor(p): p for p in ("ns", "u", "s", "h")}[kwargs.get("factor", 1)]
    pure, fast = both(case)
    await write_body(client, fast, precision)
    stored_fast = await stored_rows(client)
    assert same_rows(stored_fast, expected_rows(case))
    # the pure path's lines go to a database of their own: no DROP SERIES between the two
    # (this test dropped the first write's series and wrote again into the same database,
    # and failed once in a full run, which five runs of the module did not repeat)
    database = f"pure_{uuid.uuid4().hex[:12]}"
    await client.query(f'CREATE DATABASE "{database}"')
    async with influxdb_server.client(db=database) as other:
        await write_body(other, pure, precision)
        stored_pure = await stored_rows(other)
    assert stored_fast == stored_pure


def bits(value):
    return struct.pack(">d", value)


async def write_floats(server, values, dtype):
    """Write ``values`` through both paths (measurements ``fast`` and ``pure``) into a new
    database and read both back: (fast, pure) lists of the stored floats, in time order."""
    database = f"floats_{uuid.uuid4().hex[:12]}"
    server.request(f'CREATE DATABASE "{database}"')
    df = pd.DataFrame(
        {"v": np.array(values, dtype=dtype)},
        index=pd.date_range(T0, periods=len(values), freq="s", unit="ns"),
    )
    try:
        async with server.client(db=database) as client:
            for name, path in (("fast", "columnar"), ("pure", "pure")):
                await client.write(encode(df, path, measurement=name))
            out = []
            for name in ("fast", "pure"):
                resp = await client.query(f"SELECT v FROM {name}", epoch="ns")
                out.append([row[1] for row in resp["results"][0]["series"][0]["values"]])
            return out
    finally:
        server.request(f'DROP DATABASE "{database}"')


def assert_stored_exactly(values, fast, pure, dtype=np.float64):
    want = [float(v) for v in np.array(values, dtype=dtype)]
    assert len(fast) == len(pure) == len(want)
    for wanted, got_fast, got_pure in zip(want, fast, pure, strict=True):
        assert isinstance(got_fast, float)
        assert bits(got_fast) == bits(got_pure), (wanted, got_fast, got_pure)
        if wanted == 0.0 and bits(got_pure) != bits(wanted):
            # the answer may spell -0.0 as 0 (both paths alike): the value must still be 0
            assert got_fast == 0.0
            continue
        assert bits(got_fast) == bits(wanted), (wanted, got_fast)


EXTREMES = [
    0.0,
    -0.0,
    5e-324,  # the smallest subnormal
    -5e-324,
    2.225073858507201e-308,  # the largest subnormal
    2.2250738585072014e-308,  # the smallest normal
    sys.float_info.max,
    -sys.float_info.max,
    1e-9,
    1.2e-5,
    6.6e13,
    1e16,
    0.1,
    1 / 3,
]


@pytest.mark.server
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    values=st.lists(
        st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True),
        min_size=1,
        max_size=300,
    )
)
@example(values=EXTREMES)
def test_every_float_polars_spells_is_stored_as_the_same_float(influxdb_server, values):
    fast, pure = asyncio.run(write_floats(influxdb_server, values, np.float64))
    assert_stored_exactly(values, fast, pure)


@pytest.mark.server
def test_floats_of_every_exponent_are_stored_exactly(influxdb_server):
    # every binary exponent of float64, subnormals included, with random mantissas
    rng = np.random.default_rng(13)
    mantissas = rng.integers(0, 2**52, size=(2046 + 52, 2), dtype=np.uint64)
    values = []
    for exponent in range(1, 2047):  # normal numbers
        for mantissa in mantissas[exponent - 1]:
            raw = (exponent << 52) | int(mantissa)
            values.append(struct.unpack(">d", raw.to_bytes(8, "big"))[0])
    for shift in range(52):  # subnormals: every length of mantissa
        values.append(struct.unpack(">d", (1 << shift | 1).to_bytes(8, "big"))[0])
    values += [-v for v in values[::7]]
    assert all(math.isfinite(v) for v in values)
    fast, pure = asyncio.run(write_floats(influxdb_server, values, np.float64))
    assert_stored_exactly(values, fast, pure)


@pytest.mark.server
def test_float32_columns_are_stored_as_the_pure_path_stores_them(influxdb_server):
    # float32 is written in its own shortest text on both paths (0.1, not 0.10000000149…)
    rng = np.random.default_rng(32)
    raw = rng.integers(0, 2**31 - 2**23, size=3000, dtype=np.uint32)  # finite, positive
    values = [*raw.view(np.float32).tolist(), 0.1, 1e20, 3.4028235e38, 1e-45, 16777216.0]
    fast, pure = asyncio.run(write_floats(influxdb_server, values, np.float32))
    assert [bits(v) for v in fast] == [bits(v) for v in pure]
    shortest = [float(t) for t in np.array(values, dtype=np.float32).astype(str)]
    assert [bits(v) for v in fast] == [bits(v) for v in shortest]
