"""Mappings to line protocol: one table of (point, line) drives the encoder tests and the round
trips through the real server; then every rule that makes a point raise."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import random
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioinflux import InfluxDBError, InfluxDBWriteError, LineProtocolError, serialize
from aioinflux.serialization import mapping as mapping_module
from aioinflux.serialization.common import field_value
from tests.roundtrip import expected_row, same_rows, stored_rows

# every test runs on the compiled encoders and on the pure ones (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("encoders")

UTC = dt.UTC


@dataclasses.dataclass
class Case:
    id: str
    point: dict[str, Any]
    line: str
    precision: str | None = None
    stored: dict[str, Any] | None = None  # fields as read back, where they differ from the input


def p(measurement="m", fields=None, tags=None, time=None):
    point = {"measurement": measurement, "fields": {"v": 1.5} if fields is None else fields}
    if tags is not None:
        point["tags"] = tags
    if time is not None:
        point["time"] = time
    return point


CASES = [
    # field values
    Case("float", p(fields={"v": 1.5}), "m v=1.5"),
    Case("float_integral", p(fields={"v": 3.0}), "m v=3.0"),
    Case("float_huge", p(fields={"v": 1.7976931348623157e308}), "m v=1.7976931348623157e+308"),
    Case("float_tiny", p(fields={"v": 5e-324}), "m v=5e-324"),
    Case("float_negative_exponent", p(fields={"v": -1.25e-17}), "m v=-1.25e-17"),
    Case("float_1e16", p(fields={"v": 1e16}), "m v=1e+16"),
    Case("float_shortest", p(fields={"v": 0.1 + 0.2}), "m v=0.30000000000000004"),
    Case("int", p(fields={"v": 42}), "m v=42i"),
    Case("int_max", p(fields={"v": 2**63 - 1}), "m v=9223372036854775807i"),
    Case("int_min", p(fields={"v": -(2**63)}), "m v=-9223372036854775808i"),
    Case("bool", p(fields={"t": True, "f": False}), "m t=true,f=false"),
    Case("str", p(fields={"s": "hello"}), 'm s="hello"'),
    Case("str_empty", p(fields={"s": ""}), 'm s=""'),
    Case(
        "str_specials",
        p(fields={"s": 'a "q" \\ b\\\\ \n\r\t, = ü 🚀'}),
        'm s="a \\"q\\" \\\\ b\\\\\\\\ \n\r\t, = ü 🚀"',
    ),
    Case("str_trailing_backslash", p(fields={"s": "end\\"}), 'm s="end\\\\"'),
    Case("none_field_skipped", p(fields={"a": None, "b": 1}), "m b=1i"),
    Case("numpy_int", p(fields={"v": np.int64(3), "u": np.uint32(7)}), "m v=3i,u=7i"),
    Case("numpy_float", p(fields={"v": np.float64(0.5)}), "m v=0.5"),
    Case("numpy_float32", p(fields={"v": np.float32(0.1)}), "m v=0.1", stored={"v": 0.1}),
    Case("numpy_bool", p(fields={"v": np.bool_(True)}), "m v=true", stored={"v": True}),
    Case("decimal", p(fields={"v": decimal.Decimal("0.1")}), "m v=0.1", stored={"v": 0.1}),
    Case("int_subclass", p(fields={"v": type("MyInt", (int,), {})(5)}), "m v=5i", stored={"v": 5}),
    # measurements (irregular escaping, measured on influxd 1.6.7)
    Case("measurement_space_comma", p("a b,c"), "a\\ b\\,c v=1.5"),
    Case("measurement_equals", p("k=v"), "k=v v=1.5"),
    Case("measurement_backslash", p("back\\slash"), "back\\slash v=1.5"),
    Case("measurement_double_backslash", p("a\\\\b"), "a\\\\b v=1.5"),
    Case("measurement_hash_inside", p("a#b"), "a#b v=1.5"),
    Case("measurement_quotes_tab_cr", p("q\"'\t\r"), "q\"'\t\r v=1.5"),
    Case("measurement_unicode", p("température 🚀"), "température\\ 🚀 v=1.5"),
    # tags
    Case("tags", p(tags={"host": "a", "region": "eu"}), "m,host=a,region=eu v=1.5"),
    Case(
        "tag_specials",
        p(tags={"a b": "c,d", "e=f": "g h=i"}),
        "m,a\\ b=c\\,d,e\\=f=g\\ h\\=i v=1.5",
    ),
    Case("tag_backslash_as_is", p(tags={"k\\x": "v\\,w"}), "m,k\\x=v\\\\,w v=1.5"),
    Case("tag_key_backslash_space", p(tags={"k\\ x": "a\\=b"}), "m,k\\\\ x=a\\\\=b v=1.5"),
    Case("tag_double_backslash", p(tags={"k": "a\\\\b"}), "m,k=a\\\\b v=1.5"),
    Case("tag_quotes_hash_tab", p(tags={'"k"': "#v\t\r'"}), 'm,"k"=#v\t\r\' v=1.5'),
    Case("tag_unicode", p(tags={"ключ": "значение"}), "m,ключ=значение v=1.5"),
    Case("tag_none_and_empty_omitted", p(tags={"a": None, "b": "", "c": "x"}), "m,c=x v=1.5"),
    # field keys
    Case("field_key_specials", p(fields={"a b,c=d": 1}), "m a\\ b\\,c\\=d=1i"),
    Case("field_key_even_backslashes", p(fields={"a\\\\,b": 1}), "m a\\\\\\,b=1i"),
    Case(
        "field_key_leading_tab_not_first",
        p(fields={"\tk": 1, "\x00j": 2, "v": 3}),
        "m v=3i,\tk=1i,\x00j=2i",
    ),
    Case("tag_leading_tab_and_nul", p(tags={"\tk": "\x00v"}), "m,\tk=\x00v v=1.5"),
    Case("field_key_quote", p(fields={'"k"': 1}), 'm \\"k\\"=1i'),
    Case(
        "field_key_backslash_quote", p(fields={'\\"': 1, 'a\\\\"b': 2}), 'm \\\\"=1i,a\\\\\\"b=2i'
    ),
    Case("tag_backslash_quote", p(tags={'\\"': '\\"'}), 'm,\\"=\\" v=1.5'),
    Case("field_key_backslash_inside", p(fields={"a\\b": 1}), "m a\\b=1i"),
    # time
    Case("time_int", p(time=1_500_000_000_123_456_789), "m v=1.5 1500000000123456789"),
    Case("time_negative", p(time=-1), "m v=1.5 -1"),
    Case("time_max", p(time=9_223_372_036_854_775_806), "m v=1.5 9223372036854775806"),
    Case("time_min", p(time=-9_223_372_036_854_775_806), "m v=1.5 -9223372036854775806"),
    Case(
        "time_naive_datetime_is_utc",
        p(time=dt.datetime(2020, 1, 2, 3, 4, 5, 678901)),
        "m v=1.5 1577934245678901000",
    ),
    Case(
        "time_aware_datetime",
        p(time=dt.datetime(2020, 1, 2, 4, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
        "m v=1.5 1577934245000000000",
    ),
    Case("time_pre_1970", p(time=dt.datetime(1969, 12, 31, 23, 59, 59, 999999)), "m v=1.5 -1000"),
    Case("time_iso_string", p(time="2020-01-02T03:04:05Z"), "m v=1.5 1577934245000000000"),
    Case(
        "time_iso_string_naive_is_utc", p(time="2020-01-02T03:04:05"), "m v=1.5 1577934245000000000"
    ),
    Case(
        "time_iso_string_offset", p(time="2020-01-02T05:04:05+02:00"), "m v=1.5 1577934245000000000"
    ),
    Case(
        "time_iso_string_nanoseconds",
        p(time="2020-01-02T03:04:05.123456789Z"),
        "m v=1.5 1577934245123456789",
    ),
    Case(
        "time_iso_string_beyond_nanoseconds_floored",
        p(time="2020-01-02T03:04:05.1234567891Z"),
        "m v=1.5 1577934245123456789",
    ),
    Case("time_date_only_string", p(time="2017-01-01"), "m v=1.5 1483228800000000000"),
    Case("time_pandas_parses_it", p(time="Jan 2 2020 03:04:05"), "m v=1.5 1577934245000000000"),
    Case(
        "time_pandas_timestamp",
        p(time=pd.Timestamp("2020-01-02T03:04:05.000000001Z")),
        "m v=1.5 1577934245000000001",
    ),
    Case(
        "time_pandas_timestamp_naive",
        p(time=pd.Timestamp("2020-01-02T03:04:05")),
        "m v=1.5 1577934245000000000",
    ),
    Case(
        "time_numpy_datetime64_ns",
        p(time=np.datetime64("2020-01-02T03:04:05.000000001")),
        "m v=1.5 1577934245000000001",
    ),
    Case(
        "time_numpy_datetime64_s",
        p(time=np.datetime64("2020-01-02T03:04:05", "s")),
        "m v=1.5 1577934245000000000",
    ),
    Case(
        "time_numpy_datetime64_months",
        p(time=np.datetime64("2020-02", "M")),
        "m v=1.5 1580515200000000000",
    ),
    Case("time_date", p(time=dt.date(2020, 1, 2)), "m v=1.5 1577923200000000000"),
    # precision
    Case("precision_int_is_taken_as_is", p(time=1500), "m v=1.5 1500", precision="s"),
    Case(
        "precision_datetime_floored_s",
        p(time=dt.datetime(2020, 1, 2, 3, 4, 5, 999999)),
        "m v=1.5 1577934245",
        precision="s",
    ),
    Case(
        "precision_datetime_floored_ms",
        p(time="2020-01-02T03:04:05.123999999Z"),
        "m v=1.5 1577934245123",
        precision="ms",
    ),
    Case(
        "precision_u",
        p(time="2020-01-02T03:04:05.123456789Z"),
        "m v=1.5 1577934245123456",
        precision="u",
    ),
    Case(
        "precision_m", p(time=dt.datetime(2020, 1, 2, 3, 4, 59)), "m v=1.5 26298904", precision="m"
    ),
    Case("precision_h", p(time=dt.datetime(2020, 1, 2, 3, 59)), "m v=1.5 438315", precision="h"),
    Case(
        "precision_floor_before_1970",
        p(time=dt.datetime(1969, 12, 31, 23, 59, 59, 500000)),
        "m v=1.5 -1",
        precision="s",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_mapping_is_encoded(case):
    assert serialize(case.point, precision=case.precision) == case.line.encode()


@pytest.mark.server
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_mapping_reads_back_identical(client, case):
    await client.write(case.point, precision=case.precision)
    name, row = expected_row(case.point, factor=_factor(case.precision))
    row.update(case.stored or {})
    assert same_rows(await stored_rows(client), [(name, row)])


def _factor(precision):
    from aioinflux._config import precision_factor

    return precision_factor(precision)


# -- the dispatcher ---------------------------------------------------------------------------


def test_measurement_argument_is_the_fallback():
    assert serialize({"fields": {"v": 1}}, measurement="m") == b"m v=1i"
    assert serialize({"measurement": "own", "fields": {"v": 1}}, measurement="m") == b"own v=1i"


def test_extra_tags_are_added_to_every_point_and_win():
    points = [{"measurement": "m", "fields": {"v": 1}}, p(tags={"host": "a", "x": "y"})]
    assert serialize(points, host="b c") == b"m,host=b\\ c v=1i\nm,host=b\\ c,x=y v=1.5"


def test_keys_other_than_the_four_are_ignored():
    assert serialize({"measurement": "m", "fields": {"v": 1}, "extra": object()}) == b"m v=1i"


def test_mixed_batch():
    class Line(str):
        pass

    data = ({"measurement": "a", "fields": {"v": 1}}, "b v=2", b"c v=3", Line("d v=4"))
    assert serialize(data) == b"a v=1i\nb v=2\nc v=3\nd v=4"
    assert serialize(iter([b"x v=1", {"measurement": "a", "fields": {"v": 1}}])) == b"x v=1\na v=1i"


def test_extra_tags_with_line_protocol_raise_naming_the_point():
    with pytest.raises(
        LineProtocolError, match="point 1: extra tags cannot be added to line protocol"
    ):
        serialize([{"measurement": "a", "fields": {"v": 1}}, "b v=2"], host="h")


def test_measurement_and_tag_columns_are_harmless_for_line_protocol():
    assert serialize("m v=1", measurement="x", tag_columns=["t"]) == b"m v=1"


@pytest.mark.parametrize("precision", ["x", "us", "S"])
def test_unknown_precision_raises(precision):
    with pytest.raises(ValueError, match="precision must be one of"):
        serialize({"measurement": "m", "fields": {"v": 1}}, precision=precision)


# -- what raises ----------------------------------------------------------------------------

ERRORS = [
    # (id, point, exception, message)
    (
        "no_fields",
        p(fields={}),
        LineProtocolError,
        "point 0: a point needs at least one field; it has none",
    ),
    ("fields_missing", {"measurement": "m"}, LineProtocolError, "at least one field; it has none"),
    ("all_fields_none", p(fields={"a": None}), LineProtocolError, "all its fields are None"),
    (
        "no_measurement",
        {"fields": {"v": 1}},
        LineProtocolError,
        "point 0: the point has no measurement",
    ),
    ("nan", p(fields={"v": float("nan")}), LineProtocolError, "field 'v': nan cannot be written"),
    ("inf", p(fields={"v": float("inf")}), LineProtocolError, "field 'v': inf cannot be written"),
    ("minus_inf_numpy", p(fields={"v": np.float32("-inf")}), LineProtocolError, "field 'v': -inf"),
    ("decimal_nan", p(fields={"v": decimal.Decimal("NaN")}), LineProtocolError, "field 'v': nan"),
    (
        "int_too_big",
        p(fields={"v": 2**63}),
        LineProtocolError,
        "field 'v': the integer 9223372036854775808 is outside",
    ),
    (
        "int_too_small",
        p(fields={"v": -(2**63) - 1}),
        LineProtocolError,
        "outside the signed 64-bit range",
    ),
    (
        "numpy_uint_too_big",
        p(fields={"v": np.uint64(2**64 - 1)}),
        LineProtocolError,
        "outside the signed 64-bit",
    ),
    (
        "bad_field_type",
        p(fields={"v": [1]}),
        TypeError,
        "point 0: field 'v': cannot write a field value of type list",
    ),
    ("bad_field_type_bytes", p(fields={"v": b"x"}), TypeError, "field value of type bytes"),
    ("fields_not_a_mapping", p(fields=[("v", 1)]), TypeError, "fields must be a mapping, got list"),
    ("tags_not_a_mapping", p(tags=["a"]), TypeError, "tags must be a mapping, got list"),
    (
        "bad_tag_type",
        p(tags={"t": [1]}),
        TypeError,
        "tag 't': cannot write a tag value of type list",
    ),
    (
        "measurement_not_str",
        p(measurement=b"m"),
        TypeError,
        "measurement must be a str, got bytes b'm'",
    ),
    ("measurement_empty", p(measurement=""), LineProtocolError, "measurement cannot be empty"),
    (
        "measurement_hash",
        p(measurement="#m"),
        LineProtocolError,
        "measurement '#m': a leading '#' makes the line a comment",
    ),
    (
        "measurement_trailing_backslash",
        p(measurement="m\\"),
        LineProtocolError,
        r"measurement 'm\\\\': a trailing backslash",
    ),
    # stored (SHOW MEASUREMENTS lists it) but no SELECT reads it back, however it is written
    (
        "measurement_backslash_space",
        p(measurement="x\\ y"),
        LineProtocolError,
        "cannot read back a measurement with a backslash right before",
    ),
    ("measurement_backslash_comma", p(measurement="x\\,y"), LineProtocolError, "cannot read back"),
    ("measurement_backslash_equals", p(measurement="k\\=v"), LineProtocolError, "cannot read back"),
    (
        "measurement_two_backslashes_equals",
        p(measurement="k\\\\=v"),
        LineProtocolError,
        "cannot read back",
    ),
    (
        "measurement_newline",
        p(measurement="a\nb"),
        LineProtocolError,
        "a line break cannot be written",
    ),
    (
        "tag_key_trailing_backslash",
        p(tags={"k\\": "v"}),
        LineProtocolError,
        "tag key .*: a trailing backslash",
    ),
    (
        "tag_value_trailing_backslash",
        p(tags={"k": "v\\\\"}),
        LineProtocolError,
        "tag value .*: a trailing backslash",
    ),
    (
        "tag_value_newline",
        p(tags={"k": "a\nb"}),
        LineProtocolError,
        "tag value 'a\\\\nb': a line break",
    ),
    (
        "tag_key_newline",
        p(tags={"a\nb": "v"}),
        LineProtocolError,
        "tag key 'a\\\\nb': a line break",
    ),
    ("tag_key_empty", p(tags={"": "v"}), LineProtocolError, "tag key cannot be empty"),
    ("tag_key_time", p(tags={"time": "v"}), LineProtocolError, "tag key 'time' cannot be written"),
    ("tag_key_not_str", p(tags={(1,): "v"}), TypeError, r"tag key must be a str, got tuple \(1,\)"),
    (
        "field_key_time",
        p(fields={"time": 1, "v": 2}),
        LineProtocolError,
        "field key 'time' cannot be written",
    ),
    ("field_key_empty", p(fields={"": 1}), LineProtocolError, "field key cannot be empty"),
    (
        "field_key_trailing_backslash",
        p(fields={"a\\": 1}),
        LineProtocolError,
        "field key .*: a trailing backslash",
    ),
    (
        "field_key_backslash_before_comma",
        p(fields={"a\\,b": 1}),
        LineProtocolError,
        "a backslash right before a comma, space or '='",
    ),
    (
        "field_key_three_backslashes_before_space",
        p(fields={"a\\\\\\ b": 1}),
        LineProtocolError,
        "right before a comma",
    ),
    (
        "field_key_backslash_before_equals",
        p(fields={"\\=": 1}),
        LineProtocolError,
        "right before a comma",
    ),
    ("field_key_newline", p(fields={"a\nb": 1}), LineProtocolError, "a line break"),
    ("time_float", p(time=1.5), TypeError, "time must be an int, .* got float 1.5 .*no floats"),
    ("time_bool", p(time=True), TypeError, "got bool True"),
    (
        "time_unparseable",
        p(time="yesterday-ish"),
        LineProtocolError,
        "time 'yesterday-ish' has no four-digit year",
    ),
    ("time_nat", p(time=pd.NaT), LineProtocolError, "time is NaT"),
    # with a unit: numpy 2.5 deprecates a NaT without one
    ("time_numpy_nat", p(time=np.datetime64("NaT", "ns")), LineProtocolError, "time is NaT"),
    (
        "time_too_late",
        p(time=9_223_372_036_854_775_807),
        LineProtocolError,
        "outside the range InfluxDB can store",
    ),
    ("time_too_early", p(time=dt.datetime(1677, 1, 1)), LineProtocolError, "outside the range"),
    ("time_bad_type", p(time=object()), TypeError, "time must be an int"),
    ("not_a_point", 3.5, TypeError, "cannot write an object of type float"),
]


@pytest.mark.parametrize(
    ("point", "exc", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_point_that_cannot_be_written_exactly_raises(point, exc, message):
    with pytest.raises(exc, match=message):
        serialize(point)


def test_error_names_the_position_in_the_batch():
    with pytest.raises(LineProtocolError, match=r"point 2: field 'v': nan"):
        serialize([p(), p(), p(fields={"v": float("nan")})])


def test_integer_time_out_of_range_after_precision_raises():
    with pytest.raises(LineProtocolError, match="outside the range"):
        serialize(p(time=10**10), precision="s")


def test_extra_tag_that_cannot_be_written_raises():
    with pytest.raises(
        LineProtocolError, match="extra tags: tag value 'a\\\\\\\\': a trailing backslash"
    ):
        serialize(p(), t="a\\")


@pytest.mark.server
async def test_server_cannot_read_back_a_measurement_with_backslash_before_space(client):
    # why such a measurement raises: the server lists it, but SELECT finds no data in it
    await client.write(b"x\\\\\\ y v=1 1")
    shown = await client.query("SHOW MEASUREMENTS")
    assert shown["results"][0]["series"][0]["values"] == [["x\\ y"]]
    assert await stored_rows(client) == []


@pytest.mark.server
async def test_batch_with_one_bad_point_writes_nothing(client):
    with pytest.raises(LineProtocolError, match="point 2"):
        await client.write([p(time=1), p(time=2), p(tags={"t": "x\\"}, time=3)])
    assert await stored_rows(client) == []


@pytest.mark.server
async def test_server_time_is_used_when_time_is_missing(client):
    before = dt.datetime.now(UTC)
    await client.write(p())
    ((name, row),) = await stored_rows(client)
    written = dt.datetime.fromtimestamp(row["time"] // 10**9, UTC)
    assert name == "m"
    assert abs((written - before).total_seconds()) < 60


def test_tag_values_that_compare_equal_keep_their_own_text():
    # 1 == 1.0 == True: cached tag sets must never hand one the other's text
    points = [p(tags={"t": v}) for v in ("1", 1, 1.0, True, "1", decimal.Decimal("1.0"))]
    with pytest.warns(UserWarning, match="Non-string-like data passed") as warned:
        lines = serialize(points).decode().split("\n")
    assert len(warned) == 4  # each number, each time: none is cached
    assert [line.split(" ")[0] for line in lines] == [
        "m,t=1",
        "m,t=1",
        "m,t=1.0",
        "m,t=True",
        "m,t=1",
        "m,t=1.0",
    ]


@pytest.mark.parametrize(
    "point",
    [
        p(fields={"s": "a\ud800"}),
        p(measurement="\udc00"),
        p(tags={"t": "\ud800"}),
        p(fields={"\ud800": 1}),
    ],
)
def test_a_lone_surrogate_is_refused_naming_the_point(point):
    good = p()
    with pytest.raises(LineProtocolError, match=r"^point 2: 'utf-8' codec can't encode") as info:
        serialize([good, good, point, good])
    assert "surrogates not allowed (lone surrogates are not text)" in str(info.value)
    # and among more points than go one by one
    with pytest.raises(LineProtocolError, match=r"^point 20: "):
        serialize([good] * 20 + [point] * 20)


def test_unhashable_tag_value_is_named():
    with pytest.raises(TypeError, match="point 0: tag 't': cannot write a tag value of type list"):
        serialize([p(tags={"t": [1]})])


# -- lists of mappings alike: encoded column by column -------------------------------------
# A list of at least mapping_module._FEWEST exact dicts is encoded in chunks of _CHUNK points,
# each column by column when its points are alike; it must give exactly the lines of the
# point-by-point path (a single point never takes the column path), and its errors.


def one_by_one(points, **options):
    return b"\n".join(serialize(point, **options) for point in points)


def column_lines(points, measurement=None, extra_tags=None, factor=1):
    extra_tags = extra_tags or {}
    encoded = mapping_module.encode_tags(extra_tags)
    return mapping_module._column_lines(points, measurement, extra_tags, encoded, factor)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_list_of_one_case_gives_its_line_for_each_point(case):
    points = [case.point] * 40
    assert serialize(points, precision=case.precision) == b"\n".join([case.line.encode()] * 40)


def alike(i):
    return {
        "measurement": "cpu 1%s",
        "time": 1_700_000_000_000_000_000 + i,
        "tags": {"host": f"h,{i % 3}", "region": "eu=1" if i % 2 else '"r"'},
        "fields": {
            "f%d": i / 7,
            "n": i - 20,
            "ok": i % 3 == 0,
            "s": ["plain", 'a "q"', "back\\slash", "50%s", "line\nbreak"][i % 5],
        },
    }


def test_alike_points_are_encoded_column_by_column():
    points = [alike(i) for i in range(40)]
    lines = column_lines(points)
    assert lines[3] == (
        'cpu\\ 1%s,host=h\\,0,region=eu\\=1 f%d=0.42857142857142855,n=-17i,ok=true,s="50%s" '
        "1700000000000000003"
    )
    assert "\n".join(lines).encode() == one_by_one(points)
    assert serialize(points) == one_by_one(points)


def test_column_path_takes_every_option_of_the_write():
    points = [alike(i) for i in range(40)]
    for point in points:
        del point["measurement"]
        point["time"] = dt.datetime(2020, 1, 2, 3, 4, 5, 999999) + dt.timedelta(
            seconds=point["fields"]["n"]
        )
    lines = column_lines(points, measurement="m%", extra_tags={"dc": "a b%"}, factor=10**9)
    assert lines[0].startswith('m%,host=h\\,0,region="r",dc=a\\ b% f%d=0.0,n=-20i,')
    assert lines[0].endswith(" 1577934225")
    options = {"measurement": "m%", "precision": "s", "dc": "a b%"}
    assert serialize(points, **options) == one_by_one(points, **options)


def test_points_with_several_measurements_are_alike():
    points = [dict(alike(i), measurement=["a", "b c", "d,e"][i % 3]) for i in range(40)]
    assert [line.split(",")[0] for line in column_lines(points)[:4]] == ["a", "b\\ c", "d\\", "a"]
    assert serialize(points) == one_by_one(points)


def _with(i, **changes):
    point = alike(i)
    for key, value in changes.items():
        where, _, name = key.partition("__")
        if name:
            point[where][name] = value
        else:
            point[where] = value
    return point


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param(_with(0, fields__n=None), id="a_field_is_none"),
        pytest.param(_with(0, fields__n=1.5), id="a_field_of_another_type"),
        pytest.param(_with(0, fields__x=1), id="another_field"),
        pytest.param(_with(0, fields={"n": 1, "f%d": 1.0, "ok": True, "s": ""}), id="field_order"),
        pytest.param(_with(0, tags={"region": "r", "host": "h"}), id="tag_order"),
        pytest.param(_with(0, tags__host=""), id="an_empty_tag_value"),
        pytest.param(_with(0, tags__host=None), id="a_none_tag_value"),
        pytest.param(_with(0, tags=None), id="no_tags"),
        pytest.param(_with(0, measurement=None), id="no_measurement"),
        pytest.param(_with(0, time=None), id="no_time"),
        pytest.param(_with(0, time="2020-01-02"), id="a_time_of_another_type"),
        pytest.param(_with(0, fields__n=np.int64(3)), id="a_numpy_value"),
        pytest.param(_with(0, fields__n=True), id="a_bool_among_ints"),
    ],
)
def test_a_point_unlike_the_others_sends_its_chunk_point_by_point(odd, monkeypatch):
    points = [alike(i) for i in range(40)]
    points[37] = odd
    with pytest.raises(mapping_module._NotAlike):
        column_lines(points, measurement="m")
    monkeypatch.setattr(mapping_module, "_CHUNK", 16)  # the chunks before it stay columns
    assert serialize(points, measurement="m") == one_by_one(points, measurement="m")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fields__f%d": float("nan")}, "point 1500: field 'f%d': nan cannot be written"),
        ({"fields__n": 2**63}, "point 1500: field 'n': the integer 9223372036854775808 is outside"),
        ({"tags__host": "x\\"}, "point 1500: tag value 'x\\\\\\\\': a trailing backslash"),
        ({"fields__time": 1}, "point 1500: field key 'time' cannot be written"),
        ({"time": 2**63}, "point 1500: time 9223372036854775808 is outside the range"),
        ({"measurement": "#m"}, "point 1500: measurement '#m': a leading '#'"),
    ],
)
def test_error_in_a_long_list_names_the_point(change, message):
    points = [alike(i) for i in range(2000)]
    points[1500] = _with(1500, **change)
    with pytest.raises(LineProtocolError, match=message):
        serialize(points)


def test_value_failing_its_check_in_every_point_raises_at_the_first():
    points = [_with(i, tags__host="x\\") for i in range(3000)]
    with pytest.raises(LineProtocolError, match=r"^point 0: tag value"):
        serialize(points)


def test_numbers_as_names_warn_for_each_point_of_a_long_list():
    points = [_with(i, tags__host=i) for i in range(40)]
    with pytest.warns(UserWarning, match="Non-string-like data passed") as warned:
        assert serialize(points) == one_by_one(points)
    assert len(warned) == 80  # 40 points, encoded twice


@pytest.mark.parametrize("change", [{"fields": {1: 1.0}}, {"tags": {2.5: "a"}}])
def test_names_that_are_numbers_in_every_point_go_point_by_point(change):
    points = [_with(i, **change) for i in range(40)]
    with pytest.raises(mapping_module._NotAlike):
        column_lines(points)
    with pytest.warns(UserWarning, match="Non-string-like data passed"):
        assert serialize(points) == one_by_one(points)


def test_no_fields_in_every_point_of_a_long_list_raises_at_the_first():
    points = [_with(i, fields={}) for i in range(40)]
    with pytest.raises(mapping_module._NotAlike):
        column_lines(points)
    with pytest.raises(LineProtocolError, match=r"^point 0: a point needs at least one field"):
        serialize(points)


def test_extra_tags_of_a_point_key_win_in_a_long_list():
    points = [alike(i) for i in range(40)]
    assert serialize(points, host="mine") == one_by_one(points, host="mine")
    assert serialize(points, host="mine").count(b"host=mine,") == 40


def random_points(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Runs of points alike (one shape, values varying), with odd ones among them."""
    names = ["m", "a b", "x%d", None]
    tag_sets = [{"host": "h", "region": "r 1"}, {"region": "r", "host": "h"}, {}, None, {"t": ""}]
    tag_values = ["a", "b,c", "d=e", "f g", "%s", "ü"]
    field_sets = [("v",), ("v", "n", "b", "s"), ("s", "v"), ("%v", "a b"), ("\tk", "v")]
    kinds = [
        lambda: rng.choice([0.0, -0.0, 1.5, 5e-324, 1.7976931348623157e308, rng.random()]),
        lambda: rng.choice([0, -(2**63), 2**63 - 1, rng.randrange(-(10**9), 10**9)]),
        lambda: rng.random() < 0.5,
        lambda: rng.choice(["", "x", 'a "q"', "b\\", "c\n", "50%"]),
    ]
    times = [
        lambda i: None,
        lambda i: 1_500_000_000 + i,
        lambda i: dt.datetime(2020, 1, 2) + dt.timedelta(microseconds=i),
    ]
    points: list[dict[str, Any]] = []
    while len(points) < count:
        name, tags = rng.choice(names), rng.choice(tag_sets)
        keys = rng.choice(field_sets)
        field_kinds = [rng.choice(kinds) for _ in keys]
        time = rng.choice(times)
        for _ in range(rng.randrange(1, 120)):
            point: dict[str, Any] = {"measurement": name, "fields": {}}
            if tags is not None:
                point["tags"] = {
                    k: "" if rng.random() < 0.003 else rng.choice(tag_values) for k in tags
                }
            for key, kind in zip(keys, field_kinds, strict=True):
                point["fields"][key] = None if rng.random() < 0.003 else kind()
            if rng.random() < 0.003:  # a point of its own field order
                point["fields"] = dict(reversed(point["fields"].items()))
            if (value := time(len(points))) is not None:
                point["time"] = value
            try:
                serialize(point)
            except LineProtocolError:  # every field None, or only "\tk" left: not here
                continue
            points.append(point)
    return points


@pytest.mark.parametrize("seed", range(12))
def test_random_lists_give_the_lines_of_each_point_alone(seed, monkeypatch):
    monkeypatch.setattr(mapping_module, "_CHUNK", 16)  # about half the chunks are alike
    monkeypatch.setattr(mapping_module, "_UNLIKE_CHUNKS", 10**9)  # try each one
    rng = random.Random(seed)
    points = random_points(rng, 600)
    options: dict[str, Any] = {"measurement": "fallback", "precision": rng.choice([None, "u", "s"])}
    if seed % 3 == 0:
        options["dc"] = "eu 1"
    elif seed % 3 == 1:
        options["host"] = "over"
    assert serialize(points, **options) == one_by_one(points, **options)


def test_lines_of_a_long_list_are_found_without_scanning(monkeypatch):
    # lines are kept in blocks, one per chunk; a block with a newline in a string value keeps
    # its lines as made: the lines this library made are never scanned for their ends
    from aioinflux import serialization as ser

    def scanned(*args):
        raise AssertionError("scanned")

    monkeypatch.setattr(ser.lines, "_scan", scanned)
    monkeypatch.setattr(mapping_module, "_CHUNK", 16)
    points = [alike(i) for i in range(200)]  # "line\nbreak" in every fifth point
    for point in points[32:64]:
        point["fields"]["s"] = "no break"
    want = [serialize(point) for point in points]
    ((lines, rows),) = ser.write_lines(points)
    assert (lines.lines(), rows) == (want, None)  # its points are its lines
    made = ser.write_lines(points)
    assert made.total() == lines.count == 200
    counted = list(made.requests(7))
    assert b"\n".join(body.body for body, _ in counted) == b"\n".join(want)
    monkeypatch.setattr(ser.lines, "MAX_BODY", 1000)
    assert b"\n".join(body.body for body, _ in ser.write_lines(points).requests()) == b"\n".join(
        want
    )
    for _ in range(2):  # the batch writer's pieces: with newlines in values, then without
        ((lines, _),) = ser.write_lines(points)
        pieces = list(ser.bodies(lines, 7))
        assert [piece.count for piece in pieces] == [7] * 28 + [4]
        assert [line for piece in pieces for line in piece.lines()] == want
        for point in points:
            point["fields"]["s"] = "no break"
        want = [serialize(point) for point in points]
        ((lines, _),) = ser.write_lines(points)
        assert lines.lines() == want


@pytest.mark.server
async def test_long_list_of_alike_points_reads_back_identical(client):
    points = [alike(i) for i in range(3000)]
    await client.write(points)
    want = sorted((expected_row(point) for point in points), key=lambda row: row[1]["time"])
    assert same_rows(await stored_rows(client), want)


# -- bodies too big for one request ---------------------------------------------------------


def test_big_batch_is_cut_between_lines_not_inside_string_values(monkeypatch):
    from aioinflux import serialization as ser

    monkeypatch.setattr(ser.lines, "MAX_BODY", 100)
    points = [p(fields={"s": f"line {i}\nstill {i}"}, time=i) for i in range(20)]
    bodies = [body.body for body, _ in ser.write_lines(points).requests()]
    assert len(bodies) > 3
    assert all(len(body) <= 100 for body in bodies)
    assert b"\n".join(bodies) == serialize(points)
    assert all(body.count(b'"') % 2 == 0 for body in bodies)


@pytest.mark.server
async def test_big_batch_fits_a_server_body_limit(monkeypatch):
    # influxd refuses a body over its max-body-size (25 MB by default): a big write is cut
    from aioinflux import serialization as ser
    from aioinflux.testing import InfluxDBServer

    points = [p(fields={"s": "x" * 50}, time=i) for i in range(100)]
    with InfluxDBServer(settings={"INFLUXDB_HTTP_MAX_BODY_SIZE": "2000"}) as server:
        server.request('CREATE DATABASE "d"')
        async with server.client(db="d") as client:
            with pytest.raises(InfluxDBError):  # one request: refused or cut off
                await client.write(points)
            monkeypatch.setattr(ser.lines, "MAX_BODY", 1500)
            await client.write(points)
            assert len(await stored_rows(client)) == 100


@pytest.mark.server
async def test_error_after_earlier_requests_says_they_were_stored(client, monkeypatch):
    from aioinflux import serialization as ser

    monkeypatch.setattr(ser.lines, "MAX_BODY", 40)  # about four points a request
    points = [p(fields={"v": 1.0}, time=i) for i in range(10)] + [p(fields={"v": "text"}, time=99)]
    with pytest.raises(InfluxDBWriteError) as info:  # a field type conflict, found by the server
        await client.write(points)
    assert info.value.requests_written == 2
    assert len(await stored_rows(client)) == 10


# -- time strings: read only when they can be read one way ----------------------------------

#: (string, the time it means); each is written as ISO 8601 nanoseconds in the test
UNAMBIGUOUS_TIMES = [
    ("2020-01-02T10:00:00Z", "2020-01-02T10:00:00Z"),  # ISO 8601 (ciso8601)
    ("20200102T100000Z", "2020-01-02T10:00:00Z"),  # ISO 8601 basic
    ("2020-01", "2020-01-01T00:00:00Z"),
    ("2020", "2020-01-01T00:00:00Z"),
    ("2020/01/02 10:00", "2020-01-02T10:00:00Z"),  # the year first: rewritten as ISO 8601
    ("2020.1.2", "2020-01-02T00:00:00Z"),
    ("2020-1-2", "2020-01-02T00:00:00Z"),
    ("2020 01 02", "2020-01-02T00:00:00Z"),
    ("2020/01/02 10:00 UTC", "2020-01-02T10:00:00Z"),
    ("2 Jan 2020", "2020-01-02T00:00:00Z"),  # the month by name (pandas)
    ("January 2, 2020 10:00", "2020-01-02T10:00:00Z"),
    ("Thu, 02 Jan 2020 10:00:00 +0100", "2020-01-02T09:00:00Z"),  # RFC 2822
]


@pytest.mark.parametrize(("text", "meaning"), UNAMBIGUOUS_TIMES)
def test_time_strings_read_one_way_are_accepted(text, meaning):
    expected = pd.Timestamp(meaning).value
    assert serialize(p(time=text)) == f"m v=1.5 {expected}".encode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "01/02/2020 10:00",
            "time '01/02/2020 10:00' is ambiguous: its day and month could be either way round; "
            "write it in ISO 8601: '2020-01-02T10:00' (month first) or '2020-02-01T10:00' "
            "(day first)",
        ),
        ("02 01 2020", "'2020-02-01' (month first) or '2020-01-02' (day first)"),
        ("1.2.2020", "'2020-01-02' (month first) or '2020-02-01' (day first)"),
        (
            "13/02/2020",
            "time '13/02/2020' puts the day and month before the year, which can be read "
            "either way round (on days 1 to 12 of a month); write it in ISO 8601: '2020-02-13'",
        ),
        ("01/01/2020", "write it in ISO 8601: '2020-01-01'"),
        ("31/31/2020", "time '31/31/2020' is not a date"),
        ("2020/13/01", "time '2020/13/01' is not a date"),
        ("01/02/20", "time '01/02/20' has a two-digit year"),
        ("20-01-02", "time '20-01-02' has a two-digit year"),
        ("now", "time 'now' has no four-digit year"),
        ("today", "time 'today' has no four-digit year"),
        ("10:00", "time '10:00' has no four-digit year"),
        ("Jan 2", "time 'Jan 2' has no four-digit year"),
        ("1577959200", "time '1577959200' is a string of digits: pass an int"),
        ("2020-01-02 10:00 EST", "time '2020-01-02 10:00 EST' cannot be parsed"),
    ],
)
def test_time_strings_that_could_be_misread_are_refused(text, message):
    with pytest.raises(LineProtocolError) as info:
        serialize(p(time=text))
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_time_zone_is_refused_when_warnings_are_not_errors():
    # pandas 2 (the one Python 3.12 gets) only warns that it drops 'EST', then reads 10:00 as
    # UTC: with warnings shown rather than raised the time must still be refused, not shifted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(LineProtocolError, match="time '2020-01-02 10:00 EST' cannot be"):
            serialize(p(time="2020-01-02 10:00 EST"))


def test_without_pandas_only_iso_8601_and_year_first_dates_are_read(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails as if missing
    assert serialize(p(time="2020/01/02")) == b"m v=1.5 1577923200000000000"
    with pytest.raises(LineProtocolError, match=r"is not ISO 8601 \(pandas, which reads other"):
        serialize(p(time="2 Jan 2020"))


# -- the field rules: the mapping encoder's fast paths agree with the one rule -------------

FIELD_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([-(2**63), 2**63 - 1, -(2**63) - 1, 2**63, 0, -0.0, 1e300, 5e-324]),
    st.text(),
    st.text(alphabet='\\"\n\t ,=ü'),
    st.booleans(),
)


def rule_text(value: Any) -> str | Exception:
    """The one rule's text of a field value, or the error it raises."""
    try:
        return f"k={field_value(value, 'k')}"
    except (ValueError, TypeError) as exc:
        return exc


def encoded(points: list[dict[str, Any]]) -> bytes | Exception:
    try:
        return serialize(points)
    except (ValueError, TypeError) as exc:
        return exc


def agree(body: bytes | Exception, values: list[Any]) -> None:
    """``body`` is each value's point written by the rule, or the rule's first error."""
    expected = [rule_text(v) for v in values]
    errors = [e for e in expected if isinstance(e, Exception)]
    if errors:
        # the encoder refuses the batch, with the rule's own error for the first bad value
        assert isinstance(body, Exception)
        assert type(body) is type(errors[0])
        assert str(errors[0]) in str(body)
        return
    assert body == "\n".join(f"m {text} 1" for text in expected).encode()


@settings(max_examples=400, deadline=None)
@given(FIELD_VALUES)
def test_one_point_writes_each_field_value_by_the_one_rule(value):
    agree(encoded([{"measurement": "m", "fields": {"k": value}, "time": 1}]), [value])


@settings(max_examples=200, deadline=None)
@given(st.lists(FIELD_VALUES, min_size=mapping_module._FEWEST, max_size=40))
def test_alike_points_written_column_by_column_follow_the_one_rule(values):
    # the same type in every point makes the list alike: encoded column by column
    kind = type(values[0])
    values = [v for v in values if type(v) is kind] * mapping_module._FEWEST
    points = [{"measurement": "m", "fields": {"k": v}, "time": 1} for v in values]
    agree(encoded(points), values)
