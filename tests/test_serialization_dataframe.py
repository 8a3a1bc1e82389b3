"""DataFrames to line protocol: a table of frames drives the encoder tests and the round trips
through the real server; slicing, streaming to the server, and every rule that raises."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aioinflux import LineProtocolError, LineProtocolTypeError, serialize
from aioinflux import serialization as ser
from aioinflux._config import precision_factor
from aioinflux.serialization import _plan, columnar
from aioinflux.serialization.dataframe import serialize_dataframe
from tests.roundtrip import row_order, same_rows, stored_rows


@pytest.fixture(autouse=True, params=["columnar", "pure"])
def encoder(request, monkeypatch):
    """Every test of this module runs on both encoders: polars' columnar kernels (the
    ``fast`` extra, part of the test extra) and the pure one, forced."""
    if request.param == "columnar":
        assert columnar.available(), "polars is part of the test extra"
    monkeypatch.setattr(columnar, "ENABLED", request.param == "columnar")
    return request.param


def idx(*times, **kw):
    return pd.DatetimeIndex(list(times), **kw)


T0 = "2020-01-02T03:04:05"
T0_NS = 1_577_934_245_000_000_000


@dataclasses.dataclass
class Case:
    id: str
    frame: pd.DataFrame
    lines: list[str]
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


def frame(data, times=None, **kw):
    n = len(next(iter(data.values())))
    index = times if times is not None else pd.date_range(T0, periods=n, freq="s", unit="ns")
    return pd.DataFrame(data, index=index, **kw)


CASES = [
    Case(
        "every_kind",
        frame(
            {
                "host": pd.Categorical(["a", "b"]),
                "region": ["eu", "us"],
                "load": [0.5, 1.25],
                "n": np.array([3, -4], dtype=np.int64),
                "note": ["ok", "warn"],
                "up": [True, False],
            }
        ),
        [
            f'm,host=a,region=eu load=0.5,n=3i,note="ok",up=true {T0_NS}',
            f'm,host=b,region=us load=1.25,n=-4i,note="warn",up=false {T0_NS + 10**9}',
        ],
        {"tag_columns": ["region"]},
    ),
    Case(
        "escaping",
        frame(
            {
                "tag, key=": pd.Categorical(["a b", "c,d=e"]),
                "plain tag": ["x\\y", 'q"#\t'],
                "field key": ['say "hi"\nback\\slash', "ü 🚀"],
                '"quoted"': [1.0, 2.0],
            }
        ),
        [
            f'cpu\\ load,tag\\,\\ key\\==a\\ b,plain\\ tag=x\\y field\\ key="say \\"hi\\"\nback\\\\slash",\\"quoted\\"=1.0 {T0_NS}',
            f'cpu\\ load,tag\\,\\ key\\==c\\,d\\=e,plain\\ tag=q"#\t field\\ key="ü 🚀",\\"quoted\\"=2.0 {T0_NS + 10**9}',
        ],
        {"measurement": "cpu load", "tag_columns": ["plain tag"]},
    ),
    Case(
        "missing_values",
        frame(
            {
                "t": pd.Categorical(["a", None, "c", "d"]),
                "u": ["x", None, "", "w"],
                "f": [1.5, np.nan, 3.0, np.nan],
                "i": pd.array([1, None, 3, None], dtype="Int64"),
                "s": pd.array(["p", None, "r", None], dtype="string"),
                "b": pd.array([True, None, False, None], dtype="boolean"),
                "g": [10.0, 20.0, 30.0, np.nan],
            }
        ),
        [
            f'm,t=a,u=x f=1.5,i=1i,s="p",b=true,g=10.0 {T0_NS}',
            f"m g=20.0 {T0_NS + 10**9}",
            f'm,t=c f=3.0,i=3i,s="r",b=false,g=30.0 {T0_NS + 2 * 10**9}',
        ],
        {"tag_columns": ["u"]},
    ),
    Case(
        "every_field_column_has_gaps",
        frame(
            {
                "t": ["a", "b", "c"],
                "f": [1.5, np.nan, np.nan],
                "i": pd.array([None, 2, None], dtype="Int64"),
                "s": ["x", None, None],
            }
        ),
        [f'm,t=a f=1.5,s="x" {T0_NS}', f"m,t=b i=2i {T0_NS + 10**9}"],
        {"tag_columns": ["t"]},
    ),
    Case(
        "numbers",
        frame(
            {
                "f32": np.array([0.1, 1e20], dtype=np.float32),
                "f64": [1.7976931348623157e308, 5e-324],
                "i64": np.array([2**63 - 1, -(2**63)], dtype=np.int64),
                "u32": np.array([4294967295, 0], dtype=np.uint32),
                "i8": np.array([-128, 127], dtype=np.int8),
                "u64": np.array([2**63 - 1, 0], dtype=np.uint64),
            }
        ),
        [
            f"m f32=0.1,f64=1.7976931348623157e+308,i64=9223372036854775807i,u32=4294967295i,i8=-128i,u64=9223372036854775807i {T0_NS}",
            f"m f32=1e+20,f64=5e-324,i64=-9223372036854775808i,u32=0i,i8=127i,u64=0i {T0_NS + 10**9}",
        ],
    ),
    Case(
        "string_columns_of_every_kind",
        frame(
            {
                "obj": np.array(["a", None], dtype=object),
                # the dtype pandas 3 calls "str" (pandas 2 reads "str" as numpy's and turns
                # None into the string 'None')
                "str": pd.array(["b", None], dtype=pd.StringDtype(na_value=np.nan)),
                "string": pd.array(["c", "d"], dtype="string"),
            }
        ),
        # a column without gaps in the slice goes first (a first field cannot be left out)
        [f'm string="c",obj="a",str="b" {T0_NS}', f'm string="d" {T0_NS + 10**9}'],
    ),
    Case(
        "numeric_categories_and_extra_tags",
        frame({"rack": pd.Categorical([1, 2]), "v": [1.0, 2.0]}),
        [f"m,dc=eu\\ 1,rack=1 v=1.0 {T0_NS}", f"m,dc=eu\\ 1,rack=2 v=2.0 {T0_NS + 10**9}"],
        {"extra_tags": {"dc": "eu 1"}},
    ),
    Case(
        "aware_index_and_other_units",
        frame(
            {"v": [1.0, 2.0]},
            times=idx("2020-01-02T04:04:05+01:00", "1969-12-31T23:59:59.5+00:00", tz="UTC").as_unit(
                "ms"
            ),
        ),
        [f"m v=1.0 {T0_NS}", "m v=2.0 -500000000"],
    ),
    Case(
        "precision_floors",
        frame(
            {"v": [1.0, 2.0]}, times=idx("2020-01-02T03:04:05.999999999", "1969-12-31T23:59:59.5")
        ),
        ["m v=1.0 1577934245", "m v=2.0 -1"],
        {"factor": precision_factor("s")},
    ),
    Case(
        "precision_hours_from_seconds_unit",
        frame({"v": [1.0]}, times=idx("2020-01-02T03:59:59").as_unit("s")),
        ["m v=1.0 438315"],
        {"factor": precision_factor("h")},
    ),
    Case(
        # pandas 3 makes datetime64[us] by default: exact, no float on the way
        "microsecond_index",
        frame(
            {"v": [1.0, 2.0]},
            times=idx("2020-01-02T03:04:05.123456", "1969-12-31T23:59:59.999999").as_unit("us"),
        ),
        [f"m v=1.0 {T0_NS + 123_456_000}", "m v=2.0 -1000"],
    ),
    Case(
        "microsecond_index_in_microseconds",
        frame(
            {"v": [1.0, 2.0]},
            times=idx("2262-04-11T23:47:16.854775", "1677-09-21T00:12:43.145225").as_unit("us"),
        ),
        ["m v=1.0 9223372036854775", "m v=2.0 -9223372036854775"],
        {"factor": precision_factor("u")},
    ),
    Case(
        "leading_tab_field_key_not_first",
        frame({"\tk": [1.0, 2.0], "v": [3.0, 4.0]}),
        [f"m v=3.0,\tk=1.0 {T0_NS}", f"m v=4.0,\tk=2.0 {T0_NS + 10**9}"],
    ),
    Case(
        "folded_fields_with_gaps",
        frame(
            {
                "ok": [True, False, True],
                "s": ["a", None, "a,b"],
                "t": pd.Categorical(["x", "y", None]),
                "v": [1.0, np.nan, 3.0],
            }
        ),
        [
            f'm,t=x ok=true,s="a",v=1.0 {T0_NS}',
            f"m,t=y ok=false {T0_NS + 10**9}",
            f'm ok=true,s="a,b",v=3.0 {T0_NS + 2 * 10**9}',
        ],
    ),
    Case(
        "many_distinct_strings",
        frame(
            {
                "id": [f"id {i}" for i in range(1500)],
                "n": list(range(1500)),
                "b": [None] * 1499 + [True],
            }
        ),
        [
            f'm id="id {i}",n={i}i{",b=true" if i == 1499 else ""} {T0_NS + i * 10**9}'
            for i in range(1500)
        ],
    ),
    Case(
        # 301 x 301 possible tag combinations: more than a slice's codes are combined at
        # once, so the combinations are renumbered between the two columns
        "many_tag_combinations",
        frame(
            {
                "a": [f"a {i % 300}" if i % 11 else None for i in range(1000)],
                "b": [f"b{i * 7 % 301}" for i in range(1000)],
                "v": [float(i) for i in range(1000)],
            }
        ),
        [
            f"m{(',a=a' + chr(92) + f' {i % 300}') if i % 11 else ''},b=b{i * 7 % 301} "
            f"v={float(i)} {T0_NS + i * 10**9}"
            for i in range(1000)
        ],
        {"tag_columns": ["a", "b"]},
    ),
    Case(
        # a string field of few values leads, but with the tags it would make more
        # combinations than a slice folds (51 x 31 > 1024): it is written beside them
        "leading_string_field_with_many_tag_combinations",
        frame(
            {
                "t": [f"t{i % 50}" for i in range(60)],
                "s": [f"s{i % 30}" for i in range(60)],
                "v": [float(i) for i in range(60)],
            }
        ),
        [f'm,t=t{i % 50} s="s{i % 30}",v={float(i)} {T0_NS + i * 10**9}' for i in range(60)],
        {"tag_columns": ["t"]},
    ),
    Case("empty_frame", frame({"v": []}, times=idx()), []),
]


def encode(case, **extra):
    options = {"measurement": "m", **case.kwargs, **extra}
    return b"".join(serialize_dataframe(case.frame, **options)).decode()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_frame_is_encoded(case):
    # the order of the fields within a line is free (the encoder may lead with any field)
    body = encode(case)
    assert body == "" if not case.lines else body.endswith("\n")
    assert len(canonical("\n".join(case.lines))) == len(case.lines)
    assert canonical(body) == canonical("\n".join(case.lines))


def canonical(body):
    """The points of a body as (measurement and tags, set of fields, time): the order of the
    fields of a line is free. A small parser of line protocol, for these tests only."""
    points, parts, current = [], [], ""
    fields, section, quoted, escaped = [], 0, False, False
    for char in body + "\n":
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            current, escaped = current + char, True
        elif char == '"' and section == 1:
            current, quoted = current + char, not quoted
        elif quoted:
            current += char
        elif char == " " and section < 2:
            (parts if section == 0 else fields).append(current)
            current, section = "", section + 1
        elif char == "," and section == 1:
            fields.append(current)
            current = ""
        elif char == "\n":
            if section == 2:
                points.append((parts[0], frozenset(fields), current))
            parts, fields, current, section = [], [], "", 0
        else:
            current += char
    return points


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_slices_give_the_same_points(case):
    assert canonical(encode(case, slice_rows=1)) == canonical(encode(case))


def expected_rows(case):
    """The rows the frame should read back as, straight from the frame (not from the lines)."""
    kwargs = case.kwargs
    tags = set(kwargs.get("tag_columns", ()))
    factor = kwargs.get("factor", 1)
    ns = case.frame.index.as_unit("ns").asi8
    rows = []
    for position in range(len(case.frame)):
        out = dict(kwargs.get("extra_tags", {}))
        fields = 0
        for column in case.frame.columns:
            value = case.frame[column].iloc[position]
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                continue
            if column in tags or isinstance(case.frame[column].dtype, pd.CategoricalDtype):
                if str(value):
                    out[column] = str(value)
                continue
            fields += 1
            dtype = case.frame[column].dtype
            if getattr(dtype, "kind", "") == "f" and dtype.itemsize < 8:
                value = float(str(value))
            elif isinstance(value, np.generic):
                value = value.item()
            out[column] = value
        if fields:
            out["time"] = int(ns[position]) // factor * factor
            rows.append((kwargs.get("measurement", "m"), out))
    return sorted(rows, key=row_order)


@pytest.mark.server
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_frame_reads_back_identical(client, case):
    kwargs = dict(case.kwargs)
    precision = {precision_factor(p): p for p in ("ns", "u", "s", "h")}[kwargs.pop("factor", 1)]
    extra = kwargs.pop("extra_tags", {})
    kwargs.setdefault("measurement", "m")
    await client.write(case.frame, precision=precision, **kwargs, **extra)
    assert same_rows(await stored_rows(client), expected_rows(case))


# -- the dispatcher, slicing and streaming ---------------------------------------------------


def test_frame_in_a_mixed_batch():
    df = frame({"v": [1.0, 2.0]})
    data = ["a v=1", df, {"measurement": "b", "fields": {"v": 1}}]
    assert serialize(data, measurement="m") == (
        f"a v=1\nm v=1.0 {T0_NS}\nm v=2.0 {T0_NS + 10**9}\nb v=1i".encode()
    )


def test_serialize_returns_bytes_without_a_trailing_newline():
    assert serialize(frame({"v": [1.0]}), measurement="m") == f"m v=1.0 {T0_NS}".encode()
    assert serialize(frame({"v": []}, times=idx()), measurement="m") == b""


def test_large_frame_is_checked_whole_then_encoded_in_slices(monkeypatch):
    monkeypatch.setattr(ser.lines, "MAX_ROWS", 2)
    df = frame({"v": [1.0, 2.0, 3.0, 4.0, 5.0]})
    pieces = [body.body for body, _ in ser.write_lines(df, measurement="m").requests()]
    assert len(pieces) == 3
    assert b"".join(pieces) == serialize(df, measurement="m") + b"\n"


def test_large_frame_with_a_bad_value_late_raises_before_anything_is_produced(monkeypatch):
    monkeypatch.setattr(ser.lines, "MAX_ROWS", 2)
    df = frame({"t": ["a", "b", "c", "d", "bad\\"], "v": [1.0, 2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(LineProtocolError, match="point 0: DataFrame column 't': tag value 'bad"):
        ser.write_lines(df, measurement="m", tag_columns=["t"])


def tag_frame(values):
    return frame({"t": values, "v": [float(i) for i in range(len(values))]})


def tag_lines(values):
    return [
        f"m{f',t={v}' if v else ''} v={float(i)} {T0_NS + i * 10**9}" for i, v in enumerate(values)
    ]


@pytest.mark.parametrize("kept", [2, 5, 1 << 15])
def test_tag_codes_kept_from_the_check_or_not_encode_the_same(monkeypatch, kept):
    # the check goes 4 rows at a time; with at most `kept` distinct values the codes it
    # found are kept for the slices, else (from the chunk where they grow past) each slice
    # factorizes its own
    monkeypatch.setattr(_plan, "_CHECK_ROWS", 4)
    monkeypatch.setattr(_plan, "_KEPT_VALUES", kept)
    values = ["a", "b", None, "a", "c", "", "b", "d", "e", "a", "f"]
    df = tag_frame(values)
    for slice_rows in (1, 3, 100):
        body = b"".join(
            serialize_dataframe(df, measurement="m", tag_columns=["t"], slice_rows=slice_rows)
        )
        assert canonical(body.decode()) == canonical("\n".join(tag_lines(values)))


@pytest.mark.parametrize("kept", [2, 1 << 15])
def test_every_tag_value_is_checked_whether_codes_are_kept_or_not(monkeypatch, kept):
    monkeypatch.setattr(_plan, "_CHECK_ROWS", 4)
    monkeypatch.setattr(_plan, "_KEPT_VALUES", kept)
    df = tag_frame(["a", "b", "c", "d", "e", "f", "a", "bad\\", "b"])
    with pytest.raises(LineProtocolError, match=r"column 't': tag value 'bad"):
        serialize_dataframe(df, measurement="m", tag_columns=["t"])


@pytest.mark.parametrize("kept", [2, 1 << 15])
def test_tag_values_equal_in_python_but_written_differently_stay_apart(monkeypatch, kept):
    # 1 == 1.0 == True (one hash), yet each is written as its own text, whether the values
    # meet in one chunk of the check, or in different ones (4 rows at a time), or in a slice
    monkeypatch.setattr(_plan, "_CHECK_ROWS", 4)
    monkeypatch.setattr(_plan, "_KEPT_VALUES", kept)
    values = [1, True, 1.0, "a", None, "b", "c", "d", True, 1.0, 1, np.int64(1)]
    df = tag_frame(values)
    for slice_rows in (1, 3, 100):
        body = b"".join(
            serialize_dataframe(df, measurement="m", tag_columns=["t"], slice_rows=slice_rows)
        )
        assert canonical(body.decode()) == canonical("\n".join(tag_lines(values)))


def test_tag_codes_kept_grow_from_one_byte_to_two(monkeypatch):
    # 300 distinct values: the codes kept outgrow int8 in the third chunk of the check
    monkeypatch.setattr(_plan, "_CHECK_ROWS", 100)
    values = [f"v{i}" for i in range(300)] * 2
    body = b"".join(serialize_dataframe(tag_frame(values), measurement="m", tag_columns=["t"]))
    assert canonical(body.decode()) == canonical("\n".join(tag_lines(values)))


def test_combinations_of_columns_with_many_values_are_factorized():
    # a column of more distinct values than a slice's rows can hold (the tag codes of a
    # whole frame) is combined with the next by factorizing, not by counting
    from aioinflux.serialization._plan import combination_codes

    rng = np.random.default_rng(0)
    rows = 50
    many = [f",a={i}" for i in range(100_000)] + [""]
    few = [",b=x", ",b=y", ""]
    a = rng.integers(-1, len(many) - 1, rows)
    b = rng.integers(-1, len(few) - 1, rows)
    codes, texts = combination_codes([(a, many), (b, few)], rows)
    assert [texts[c] for c in codes] == [many[i] + few[j] for i, j in zip(a, b, strict=True)]


def test_combinations_of_many_columns_stay_within_int64():
    # 301**8 possible combinations overflow int64: they are renumbered on the way
    from aioinflux.serialization._plan import combination_codes

    rng = np.random.default_rng(1)
    rows = 1000
    columns = []
    for k in range(8):
        pieces = [f",k{k}={i}" for i in range(300)] + [""]
        columns.append((rng.integers(-1, 300, rows), pieces))
    codes, texts = combination_codes(columns, rows)
    expected = ["".join(pieces[c[row]] for c, pieces in columns) for row in range(rows)]
    assert [texts[c] for c in codes] == expected


def test_slices_too_big_for_a_request_get_fewer_rows():
    df = frame({"s": [f"value {i} " * (i % 7 + 1) for i in range(50)]})
    whole = b"".join(serialize_dataframe(df, measurement="m"))
    pieces = list(serialize_dataframe(df, measurement="m", slice_rows=20, max_bytes=300))
    assert len(pieces) > 5
    assert all(len(piece) <= 300 for piece in pieces)
    assert b"".join(pieces) == whole


@pytest.mark.server
@pytest.mark.parametrize("gzip", [False, True])
async def test_large_frame_is_written_in_several_requests(client, monkeypatch, gzip):
    monkeypatch.setattr(ser.lines, "MAX_ROWS", 1000)
    monkeypatch.setattr(ser.lines, "MAX_BODY", 30_000)
    n = 4500
    df = pd.DataFrame(
        {"host": pd.Categorical(np.arange(n) % 7), "v": np.arange(n) * 0.5, "s": ["x y"] * n},
        index=pd.date_range(T0, periods=n, freq="ms", unit="ns"),
    )
    client.gzip = gzip
    await client.write(df, measurement="m")
    resp = await client.query("SELECT count(v), sum(v), count(s) FROM m")
    assert resp["results"][0]["series"][0]["values"][0][1:] == [
        n,
        float(np.arange(n).sum() * 0.5),
        n,
    ]


# -- what raises ----------------------------------------------------------------------------

ERRORS = [
    (
        "no_measurement",
        frame({"v": [1.0]}),
        {"measurement": None},
        LineProtocolError,
        "writing a DataFrame needs measurement=",
    ),
    (
        "not_a_datetime_index",
        pd.DataFrame({"v": [1.0]}),
        {},
        LineProtocolTypeError,
        "needs a DatetimeIndex to be written, got RangeIndex",
    ),
    (
        "nat_in_index",
        frame({"v": [1.0]}, times=idx(None)),
        {},
        LineProtocolError,
        r"index: NaT is not a time",
    ),
    (
        "index_out_of_range",
        frame({"v": [1.0]}, times=idx(pd.Timestamp.min)),
        {},
        LineProtocolError,
        "outside the range",
    ),
    (
        "inf",
        frame({"v": [1.0, np.inf]}),
        {},
        LineProtocolError,
        r"column 'v', row Timestamp\('2020-01-02 03:04:06'\): inf cannot be written",
    ),
    (
        "minus_inf_float32",
        frame({"v": np.array([-np.inf], dtype=np.float32)}),
        {},
        LineProtocolError,
        "-inf cannot be written",
    ),
    (
        "uint64_too_big",
        frame({"v": np.array([2**63], dtype=np.uint64)}),
        {},
        LineProtocolError,
        "outside the signed 64-bit range",
    ),
    (
        "object_column_mixed",
        frame({"v": np.array(["a", 1], dtype=object)}),
        {},
        TypeError,
        "column 'v': a string field column can only hold str .* found int 1",
    ),
    (
        "tag_trailing_backslash_category",
        frame({"t": pd.Categorical(["a\\"]), "v": [1.0]}),
        {},
        LineProtocolError,
        r"column 't': tag value 'a\\\\': a trailing backslash",
    ),
    (
        "tag_newline",
        frame({"t": ["a\nb"], "v": [1.0]}),
        {"tag_columns": ["t"]},
        LineProtocolError,
        "column 't': tag value .* a line break",
    ),
    (
        "tag_bad_type",
        frame({"t": np.array([None], dtype=object), "v": [1.0]}).assign(t=[[1]]),
        {"tag_columns": ["t"]},
        TypeError,
        "cannot write a tag value of type list",
    ),
    (
        "column_name_not_str",
        frame({0: [1.0]}),
        {},
        TypeError,
        "column names must be str, got int 0",
    ),
    (
        "column_named_time",
        frame({"time": [1.0]}),
        {},
        LineProtocolError,
        "field key 'time' cannot be written",
    ),
    (
        "tag_column_name_bad",
        frame({"t\\": ["a"], "v": [1.0]}),
        {"tag_columns": ["t\\"]},
        LineProtocolError,
        "tag key .* a trailing backslash",
    ),
    (
        "missing_tag_column",
        frame({"v": [1.0]}),
        {"tag_columns": ["nope"]},
        LineProtocolError,
        "has no column 'nope' \\(named in tag_columns\\)",
    ),
    (
        "only_tags",
        frame({"t": pd.Categorical(["a"])}),
        {},
        LineProtocolError,
        "has no field column",
    ),
    (
        "datetime_column",
        frame({"d": pd.date_range(T0, periods=1)}),
        {},
        TypeError,
        "cannot write a column of dtype datetime64",
    ),
    (
        "duplicate_columns",
        pd.DataFrame([[1.0, 2.0]], columns=["v", "v"], index=idx(T0)),
        {},
        LineProtocolError,
        "duplicate column names",
    ),
    (
        "extra_tag_clashes_with_column",
        frame({"v": [1.0]}),
        {"extra_tags": {"v": "x"}},
        LineProtocolError,
        "column 'v' is also given as an extra tag",
    ),
    (
        "all_field_keys_start_with_tab",
        frame({"\tv": [1.0]}),
        {},
        LineProtocolError,
        "starts? with a tab or NUL",
    ),
    (
        "measurement_bad",
        frame({"v": [1.0]}),
        {"measurement": "#m"},
        LineProtocolError,
        "leading '#'",
    ),
]


@pytest.mark.parametrize(
    ("df", "kwargs", "exc", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_frame_that_cannot_be_written_exactly_raises(df, kwargs, exc, message):
    options = {"measurement": "m", **kwargs}
    with pytest.raises(exc, match=message):
        serialize_dataframe(df, **options)


def test_error_through_serialize_names_the_point():
    with pytest.raises(LineProtocolError, match=r"point 1: DataFrame column 'v', row .*: inf"):
        serialize(["a v=1", frame({"v": [np.inf]})], measurement="m")


@pytest.mark.server
async def test_frame_with_a_bad_row_writes_nothing(client):
    df = frame({"v": [1.0, 2.0, np.inf]})
    with pytest.raises(LineProtocolError):
        await client.write(df, measurement="m")
    assert await stored_rows(client) == []


def test_importing_the_module_imports_neither_numpy_nor_pandas():
    import subprocess
    import sys

    code = "import sys, aioinflux.serialization.dataframe; print('numpy' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
