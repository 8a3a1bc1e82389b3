"""The compiled encoders against their pure twins, on random points: the same bytes, the same
errors (class and message), the same warnings.

(Every test of the serialization modules also runs on both: tests/conftest.py.) The compiled
modules are imported directly: the README's test command builds them, so a failed import is
a failure, also on the run that has AIOINFLUX_NO_EXTENSIONS=1 set (its encoders are the pure
ones, which these tests compare with the compiled ones all the same).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import warnings
from collections.abc import Callable
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioinflux import serialize
from aioinflux._units import NS_PER_UNIT
from aioinflux.serialization import _cencode, mapping, usertype, write_lines
from aioinflux.serialization.usertype import (
    BOOL,
    DECIMAL,
    ENUM,
    FLOAT,
    INT,
    MEASUREMENT,
    STR,
    TAG,
    TAGENUM,
    TIMEDT,
    TIMEINT,
    TIMESTR,
    lineprotocol,
)

# Two kinds of data: VALID (every point can be written, so a list of them is: the compiled
# encoder's own work), and ANY (valid mostly, and every rare thing a check or an escaping
# rule looks at: a list with one bad point raises, naming it).
# names with every character an escaping rule or a check looks at, and plain ones
SPECIALS = [*list(' ,="\\\n\t\x00#%éü\u2603'), "\ud800"]
NAME_TEXT = st.text(
    alphabet=st.sampled_from([" ", ",", "=", '"', "#", "%", "a", "b", "é", "\u2603"]),
    min_size=1,
    max_size=6,
).filter(lambda name: name != "time" and name[0] != "#")
VALID_NAMES = st.one_of(
    st.sampled_from(["m", "cpu", "host", "region", "v", "_", "a b", "x=y", "é", "x#", 'q"']),
    NAME_TEXT,
)
ANY_NAMES = st.one_of(
    VALID_NAMES,
    st.sampled_from(["time", "", "\tm", "\x00m", "m\\", "#m", 1, 2.5]),
    st.text(alphabet=st.sampled_from([*SPECIALS, "a", "b"]), max_size=6),
)
VALID_TAG_VALUES = st.one_of(VALID_NAMES, st.sampled_from([None, ""]))
ANY_TAG_VALUES = st.one_of(
    ANY_NAMES, st.sampled_from([None, "", 0, 2.5, False, decimal.Decimal("1.5"), ["x"]])
)
VALID_FIELD_VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([-(2**63), 2**63 - 1, 0, -0.0, 1e16, 5e-324, 1.0, None]),
    st.text(alphabet=st.sampled_from([*SPECIALS[:-1], "a", "b"]), max_size=8),
    st.booleans(),
)
ANY_FIELD_VALUES = st.one_of(
    VALID_FIELD_VALUES,
    st.floats(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([-(2**63) - 1, 2**63, decimal.Decimal("0.1"), 1j, b"bytes", "\ud800"]),
    st.text(max_size=4),
)
NS_BOUND = 9_223_372_036_854_775_806
ZONES = [None, dt.UTC, dt.timezone(dt.timedelta(hours=-5))]
VALID_TIMES = st.one_of(
    st.none(),
    st.integers(min_value=-2_500_000, max_value=2_500_000),  # in any precision, hours too
    st.integers(min_value=-(2**62), max_value=2**62),  # nanoseconds
    st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2262, 1, 1)),
    st.datetimes(
        min_value=dt.datetime(1678, 1, 1),
        max_value=dt.datetime(2262, 1, 1),
        timezones=st.just(dt.UTC),
    ),
)
ANY_TIMES = st.one_of(
    VALID_TIMES,
    st.integers(min_value=-(2**63) - 2, max_value=2**63 + 2),
    st.sampled_from([NS_BOUND, NS_BOUND + 1, -NS_BOUND, -NS_BOUND - 1, True, 1.5]),
    st.builds(
        lambda moment, zone: moment.replace(tzinfo=zone),
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
        st.sampled_from(ZONES),
    ),
    st.sampled_from(["2020-01-02T03:04:05.123456789Z", "2020-01-02", "not a time"]),
)


@st.composite
def points(draw: st.DrawFn, valid: bool) -> dict[str, Any]:
    """One point: a valid one, or any (the keys of a point may be missing: the default
    measurement; no tags, no time)."""
    names, tag_values = (VALID_NAMES, VALID_TAG_VALUES) if valid else (ANY_NAMES, ANY_TAG_VALUES)
    field_values, times = (
        (VALID_FIELD_VALUES, VALID_TIMES) if valid else (ANY_FIELD_VALUES, ANY_TIMES)
    )
    point: dict[str, Any] = {}
    if draw(st.booleans()):
        point["measurement"] = draw(names)
    if draw(st.booleans()):
        tags = st.dictionaries(names, tag_values, max_size=3)
        if not valid:
            tags = st.one_of(tags, st.sampled_from([None, [], 0, "t=x", [("t", "x")]]))
        point["tags"] = draw(tags)
    fields = st.dictionaries(names, field_values, max_size=4)
    if valid:  # at least one field that is not None
        fields = st.builds(
            lambda first, value, rest: {first: value, **rest},
            names,
            field_values.filter(lambda value: value is not None),
            fields,
        )
    else:
        fields = st.one_of(fields, st.sampled_from([None, [], 0]))
    if valid or draw(st.integers(0, 9)):
        point["fields"] = draw(fields)
    if draw(st.booleans()):
        point["time"] = draw(times)
    return point


@st.composite
def alike_points(draw: st.DrawFn) -> list[dict[str, Any]]:
    """At least mapping._FEWEST points of one shape: the pure encoder's column-wise path."""
    tag_keys = draw(st.lists(st.sampled_from(["host", "region", "a b", "x=y"]), unique=True))
    kinds = draw(
        st.lists(
            st.sampled_from(
                [
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.integers(min_value=-(2**63), max_value=2**63 - 1),
                    st.text(alphabet=st.sampled_from([*SPECIALS[:-1], "a", "b"])),
                    st.booleans(),
                    ANY_FIELD_VALUES,
                ]
            ),
            min_size=1,
            max_size=4,
        )
    )
    field_keys = [f"f{i}" for i in range(len(kinds))]
    count = draw(st.integers(mapping._FEWEST, 3 * mapping._FEWEST))
    times = draw(st.sampled_from([st.none(), VALID_TIMES, ANY_TIMES, st.integers(0, 2**31)]))
    tag_values = draw(st.sampled_from([VALID_NAMES, VALID_TAG_VALUES, ANY_TAG_VALUES]))
    return [
        {
            "measurement": draw(st.sampled_from(["cpu", "cpu 2", "m,1"])),
            "tags": {key: draw(tag_values) for key in tag_keys},
            "fields": {key: draw(kind) for key, kind in zip(field_keys, kinds, strict=True)},
            "time": draw(times),
        }
        for _ in range(count)
    ]


OPTIONS = st.fixed_dictionaries(
    {
        "measurement": st.one_of(VALID_NAMES, st.none()),
        "extra_tags": st.one_of(
            st.just({}),
            st.dictionaries(
                st.sampled_from(["host", "dc", "a b", "ok"]), VALID_TAG_VALUES, max_size=2
            ),
            st.dictionaries(ANY_NAMES, ANY_TAG_VALUES, max_size=2),
        ),
        "factor": st.sampled_from(sorted(set(NS_PER_UNIT.values()))),
    }
)


def outcome(
    encoder: Callable[..., Any] | None, points: list[dict[str, Any]], options: dict[str, Any]
) -> tuple[Any, list[str]]:
    """What mapping_lines() gives with ``encoder`` as the compiled one (None: the pure path):
    the body and line ends, or the error's class and message; and the warnings."""
    saved = mapping._COMPILED
    mapping._COMPILED = encoder
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                extra = options["extra_tags"]
                encoded = mapping.encode_tags(extra)
            except (ValueError, TypeError) as exc:
                return ("extra tags", type(exc), str(exc)), []
            try:
                lines = mapping.mapping_lines(
                    points, options["measurement"], extra, encoded, options["factor"]
                )
                assert lines is not None
                result: Any = (lines.body, lines.ends, lines.count)
            except (ValueError, TypeError) as exc:
                result = (type(exc), str(exc))
    finally:
        mapping._COMPILED = saved
    return result, [str(w.message) for w in caught]


def same_outcome(points: list[dict[str, Any]], options: dict[str, Any]) -> None:
    compiled = outcome(_cencode.mappings, points, options)
    pure = outcome(None, points, options)
    assert compiled == pure, (points, options)


@settings(max_examples=2000, deadline=None)
@given(st.lists(points(valid=True), min_size=1, max_size=4), OPTIONS)
def test_the_compiled_mapping_encoder_writes_valid_points_as_the_pure_one(points, options):
    same_outcome(points, options)


@settings(max_examples=2000, deadline=None)
@given(st.lists(points(valid=False), min_size=1, max_size=3), OPTIONS)
def test_the_compiled_mapping_encoder_is_the_pure_one(points, options):
    same_outcome(points, options)


@settings(max_examples=1000, deadline=None)
@given(alike_points(), OPTIONS)
def test_the_compiled_mapping_encoder_is_the_pure_column_wise_one(points, options):
    same_outcome(points, options)


def test_every_kind_of_value_is_written_by_the_compiled_encoder_itself():
    """The common points never reach the pure encoder (else the compiled one would only be
    the pure one, slower)."""
    points = [
        {
            "measurement": "cpu load",
            "tags": {"host": "a,b", "dc": "x=y", "empty": "", "none": None},
            "fields": {"f": 0.1, "i": -(2**63), "t": True, "n": None, "s": 'say "hi"\n\\'},
            "time": time,
        }
        for time in (
            1,
            None,
            dt.datetime(2020, 1, 2, 3, 4, 5, 6),
            dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        )
    ]
    handed: list[int] = []

    def fallback(point: Any, index: int) -> str:
        handed.append(index)
        return "unused"

    body, ends = _cencode.mappings(points, None, {}, b",x=1", 1, fallback)
    assert handed == []
    line = (
        "cpu\\ load,host=a\\,b,dc=x\\=y,x=1 f=0.1,i=-9223372036854775808i,t=true,"
        's="say \\"hi\\"\n\\\\"'
    )
    lines = [f"{line} 1", line, f"{line} 1577934245000006000", f"{line} 0"]
    assert body == "\n".join(lines).encode()
    # a line holds a newline: where each one ends is listed
    assert ends == [sum(len(x) + 1 for x in lines[: i + 1]) - 1 for i in range(4)]


@pytest.mark.parametrize(
    "point",
    [
        {"measurement": "m", "fields": {"v": 1}, "time": dt.datetime(2020, 1, 1, tzinfo=ZONES[2])},
        {"measurement": "m\\", "fields": {"v": 1}},
        {"measurement": "m", "tags": {"t": 1}, "fields": {"v": 1}},
        {"measurement": "m", "fields": {"v": float("nan")}},
        {"measurement": "m", "fields": {"\tv": 1}},
        {"measurement": "m", "fields": {"v": 2**63}},
        {"measurement": "m", "fields": {"v": 1}, "time": "2020-01-01"},
    ],
)
def test_the_uncommon_points_go_to_the_pure_encoder(point):
    handed: list[int] = []

    def fallback(given: Any, index: int) -> str:
        assert given is point
        handed.append(index)
        return "from the pure encoder"

    body, _ = _cencode.mappings([point, point], None, {}, b"", 1, fallback)
    assert handed == [0, 1]
    assert body == b"from the pure encoder\nfrom the pure encoder"


def compiled_float_text(value: float) -> str:
    written = _cencode.mappings(
        [{"measurement": "m", "fields": {"v": value}}], None, {}, b"", 1, None
    )
    assert written is not None
    return written[0].decode().removeprefix("m v=")


# floats as measured values come: a few decimals (the compiled encoder's short path), and any
@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.builds(
            lambda digits, places: digits / 10**places,
            st.integers(-(10**16), 10**16),
            st.integers(0, 20),
        ),
        st.builds(round, st.floats(-1e6, 1e6), st.integers(0, 9)),
        st.sampled_from([1e-4, 0.00011, 9.999999999999999e-05, 1e15, 999999999999999.9, 1e16]),
    )
)
def test_the_compiled_encoder_writes_each_float_as_repr(value):
    assert compiled_float_text(value) == repr(value)


def test_a_list_that_is_not_all_dicts_is_left_to_the_caller():
    point = {"measurement": "m", "fields": {"v": 1}}
    for points in ([point, "m v=1"], (point, point, None)):
        assert _cencode.mappings(points, None, {}, b"", 1, None) is None


# -- @lineprotocol objects ------------------------------------------------------------------


class Color(enum.Enum):
    red = 1
    dark_blue = 2


@lineprotocol
@dataclasses.dataclass
class Sample:
    host: TAG
    region: Optional[TAG]  # noqa: UP045 (the spelling aioinflux users know)
    usage: FLOAT
    count: INT
    ok: BOOL
    status: STR
    time: TIMEINT


@lineprotocol(name="named one", rm_none=True, extra_tags={"dc": "x y"})
@dataclasses.dataclass
class Named:
    name: MEASUREMENT
    kind: TAGENUM
    value: Optional[FLOAT]  # noqa: UP045
    label: ENUM
    exact: DECIMAL
    at: TIMEDT


@lineprotocol(placeholder=True)
@dataclasses.dataclass
class Marker:
    where: TAG
    at: TIMESTR


PRECISIONS = {1: "ns", 1_000: "u", 1_000_000: "ms", 10**9: "s", 60 * 10**9: "m", 3600 * 10**9: "h"}
OBJECT_TIMES = VALID_TIMES.filter(lambda time: time is not None)
STRINGS = st.text(alphabet=st.sampled_from([*SPECIALS[:-1], "a", "b"]), max_size=8)
ANY_VALUES = st.one_of(ANY_FIELD_VALUES, ANY_TAG_VALUES, ANY_TIMES, st.sampled_from(list(Color)))


@st.composite
def objects(draw: st.DrawFn) -> list[Any]:
    """Objects of one class or two, their attributes mostly of the declared type."""
    samples = st.builds(
        Sample,
        VALID_NAMES,
        VALID_TAG_VALUES,
        st.one_of(VALID_FIELD_VALUES, st.integers(-(2**70), 2**70)),
        st.integers(-(2**64), 2**64),
        st.booleans(),
        STRINGS,
        OBJECT_TIMES,
    )
    named = st.builds(
        Named,
        VALID_NAMES,
        st.one_of(VALID_NAMES, st.sampled_from(list(Color))),
        st.one_of(st.floats(), st.integers(), st.none()),
        st.one_of(STRINGS, st.sampled_from(list(Color))),
        st.one_of(st.floats(), st.sampled_from([decimal.Decimal("0.1"), 2, None])),
        OBJECT_TIMES,
    )
    markers = st.builds(Marker, VALID_NAMES, st.one_of(OBJECT_TIMES, st.just("2020-01-02")))
    kinds = draw(st.lists(st.sampled_from([samples, named, markers]), min_size=1, max_size=2))
    made = draw(st.lists(st.one_of(*kinds), min_size=1, max_size=12))
    if draw(st.integers(0, 4)) == 0:  # an attribute of any type
        obj = draw(st.sampled_from(made))
        field = draw(st.sampled_from([f.name for f in dataclasses.fields(obj)]))
        setattr(obj, field, draw(ANY_VALUES))
    return made


def object_outcome(
    encoder: Callable[..., Any] | None, objs: list[Any], options: dict[str, Any]
) -> Any:
    """serialize() and write_lines() of ``objs`` with ``encoder`` as the compiled one."""
    saved = usertype._COMPILED
    usertype._COMPILED = encoder
    try:
        extra = {k: v for k, v in options["extra_tags"].items() if isinstance(k, str)}
        factor = options["factor"]
        precision = PRECISIONS[factor]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                body = serialize(objs, precision=precision, **extra)
                slices = [
                    (lines.body, lines.lines())
                    for lines, _ in write_lines(objs, factor=factor, extra_tags=extra)
                ]
                result: Any = (body, slices)
            except (ValueError, TypeError) as exc:
                result = (type(exc), str(exc))
    finally:
        usertype._COMPILED = saved
    return result, [str(w.message) for w in caught]


@settings(max_examples=1500, deadline=None)
@given(
    objects(),
    OPTIONS.map(lambda options: {**options, "factor": min(options["factor"], 3600 * 10**9)}),
)
def test_the_compiled_object_encoder_is_the_pure_one(objs, options):
    compiled = object_outcome(_cencode.objects, objs, options)
    pure = object_outcome(None, objs, options)
    assert compiled == pure, (objs, options)


def test_common_objects_are_written_by_the_compiled_encoder_itself():
    objs = [
        Sample("h 1", None, 0.25, -3, True, 'say "hi"', 10),
        Sample("h,2", "eu", 2, 2**63 - 1, False, "", -10),  # an int FLOAT: as a float
    ]
    plan = Sample._lineprotocol_plan

    def fallback(obj: Any, index: int) -> str:
        raise AssertionError(f"object {index} was handed over")

    written = _cencode.objects(objs, Sample, plan.compiled, 1, fallback)
    assert written == (
        b'Sample,host=h\\ 1 usage=0.25,count=-3i,ok=true,status="say \\"hi\\"" 10\n'
        b'Sample,host=h\\,2,region=eu usage=2.0,count=9223372036854775807i,ok=false,status="" -10',
        None,
    )
    assert (
        _cencode.objects([objs[0], Marker("x", "2020-01-01")], Sample, plan.compiled, 1, fallback)
        is None
    )
