"""@lineprotocol classes: schemas, encoding (a table also replayed through the real server),
and every rule that raises."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
from typing import NamedTuple, Optional

import numpy as np
import pytest

from aioinflux import LineProtocolError, serialize
from aioinflux.serialization import write_lines
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
    SchemaError,
    lineprotocol,
)
from tests.roundtrip import same_rows, stored_rows

# every test runs on the compiled encoders and on the pure ones (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("encoders")


class Color(enum.Enum):
    red = 1
    dark_blue = 2


@lineprotocol
@dataclasses.dataclass
class Trade:
    timestamp: TIMEINT
    instrument: TAGENUM
    source: TAG
    side: TAG
    price: FLOAT
    size: INT
    trade_id: STR


@lineprotocol(name="cpu load", extra_tags={"dc": "eu 1"}, rm_none=True)
class Load(NamedTuple):
    host: TAG
    when: TIMEDT
    load: FLOAT
    cores: INT
    ok: BOOL
    note: STR
    color: ENUM
    exact: DECIMAL


@lineprotocol
@dataclasses.dataclass
class Reading:
    measurement: MEASUREMENT
    time: TIMESTR
    sensor: Optional[TAG]  # noqa: UP045 (the spelling aioinflux users know)
    value: Optional[FLOAT]  # noqa: UP045
    label: STR | None = None


@lineprotocol(placeholder=True)
class Event(NamedTuple):
    kind: TAG


@lineprotocol(schema={"host": TAG, "v": FLOAT}, name="functional")
class Functional(NamedTuple):
    host: str
    v: float


CASES = [
    (
        "dataclass",
        Trade(1500, Color.red, "ex,1", "buy", 1.25, 10, 'id "7"'),
        'Trade,instrument=red,source=ex\\,1,side=buy price=1.25,size=10i,trade_id="id \\"7\\"" 1500',
        (
            "Trade",
            {
                "time": 1500,
                "instrument": "red",
                "source": "ex,1",
                "side": "buy",
                "price": 1.25,
                "size": 10,
                "trade_id": 'id "7"',
            },
        ),
    ),
    (
        "namedtuple_name_extra_tags",
        Load(
            "h 1",
            dt.datetime(2020, 1, 2, 3, 4, 5),
            0.5,
            8,
            True,
            "a\nb",
            Color.dark_blue,
            decimal.Decimal("0.1"),
        ),
        'cpu\\ load,host=h\\ 1,dc=eu\\ 1 load=0.5,cores=8i,ok=true,note="a\nb",color="dark_blue",exact=0.1 1577934245000000000',
        (
            "cpu load",
            {
                "time": 1577934245000000000,
                "host": "h 1",
                "dc": "eu 1",
                "load": 0.5,
                "cores": 8,
                "ok": True,
                "note": "a\nb",
                "color": "dark_blue",
                "exact": 0.1,
            },
        ),
    ),
    (
        "rm_none_skips_none_fields",
        Load("h", dt.datetime(2020, 1, 1), None, None, None, None, None, np.float64(2.5)),
        "cpu\\ load,host=h,dc=eu\\ 1 exact=2.5 1577836800000000000",
        ("cpu load", {"time": 1577836800000000000, "host": "h", "dc": "eu 1", "exact": 2.5}),
    ),
    (
        "measurement_attribute_optional_none",
        Reading("room 1", "2020-01-02T03:04:05.000000001Z", None, None, "x"),
        'room\\ 1 label="x" 1577934245000000001',
        ("room 1", {"time": 1577934245000000001, "label": "x"}),
    ),
    (
        "optional_present",
        Reading("r", "2020-01-02", "s=1", 3, None),
        "r,sensor=s\\=1 value=3.0 1577923200000000000",
        ("r", {"time": 1577923200000000000, "sensor": "s=1", "value": 3.0}),
    ),
    (
        "placeholder",
        Event("boot"),
        "Event,kind=boot _=true",
        ("Event", {"kind": "boot", "_": True}),
    ),
    (
        "functional_schema",
        Functional("a", np.float32(0.1)),
        "functional,host=a v=0.1",
        ("functional", {"host": "a", "v": 0.1}),
    ),
]


@pytest.mark.parametrize(("obj", "line"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_instance_is_encoded(obj, line):
    assert serialize(obj) == line.encode()
    assert obj.to_lineprotocol() == line.encode()
    # a list of them (the compiled encoder's route, where it is built)
    assert serialize([obj, obj, obj]) == b"\n".join([line.encode()] * 3)
    (lines, _), *more = write_lines((obj, obj))
    assert (lines.lines(), more) == ([line.encode()] * 2, [])


@pytest.mark.server
@pytest.mark.parametrize(
    ("obj", "stored"), [(c[1], c[3]) for c in CASES], ids=[c[0] for c in CASES]
)
async def test_instance_reads_back_identical(client, obj, stored):
    await client.write(obj)
    got = await stored_rows(client)
    if "time" not in stored[1]:
        got = [(n, {k: v for k, v in row.items() if k != "time"}) for n, row in got]
    assert same_rows(got, [stored])


def test_mixed_with_mappings_and_write_options():
    data = [
        Event("a"),
        {"measurement": "m", "fields": {"v": 1}},
        Trade(5, "x", "s", "b", 1.0, 1, "t"),
    ]
    assert serialize(data, precision="s", host="h") == (
        b"Event,kind=a,host=h _=true\nm,host=h v=1i\n"
        b'Trade,instrument=x,source=s,side=b,host=h price=1.0,size=1i,trade_id="t" 5'
    )


def test_write_extra_tags_win_over_attributes():
    assert serialize(Event("a"), kind="b") == b"Event,kind=b _=true"
    assert (
        serialize([Event("a"), Event("c")], kind="b") == b"Event,kind=b _=true\nEvent,kind=b _=true"
    )


def test_a_list_of_objects_of_one_class_with_write_options():
    trades = [Trade(i, Color.red, "s 1", "buy", i / 4, i, f"id{i}") for i in range(3)]
    assert serialize(trades, precision="s", dc="eu") == (
        b'Trade,instrument=red,source=s\\ 1,side=buy,dc=eu price=0.0,size=0i,trade_id="id0" 0\n'
        b'Trade,instrument=red,source=s\\ 1,side=buy,dc=eu price=0.25,size=1i,trade_id="id1" 1\n'
        b'Trade,instrument=red,source=s\\ 1,side=buy,dc=eu price=0.5,size=2i,trade_id="id2" 2'
    )
    # two classes in one list: each object by its own plan
    assert serialize([trades[0], Event("a")]) == (
        b'Trade,instrument=red,source=s\\ 1,side=buy price=0.0,size=0i,trade_id="id0" 0\n'
        b"Event,kind=a _=true"
    )
    with pytest.raises(
        TypeError, match="point 1: attribute 'size' is declared INT but holds float"
    ):
        serialize([trades[0], Trade(1, "i", "s", "b", 1.0, 1.5, "t"), trades[2]])


def test_precision_floors_datetimes():
    point = Load(
        "h", dt.datetime(2020, 1, 1, 0, 0, 1, 999), 1.0, 1, True, "", "c", decimal.Decimal(1)
    )
    assert serialize(point, precision="s").endswith(b" 1577836801")


# -- what raises ----------------------------------------------------------------------------

VALUE_ERRORS = [
    (
        "none_field_not_optional",
        Trade(1, "i", "s", "b", None, 1, "t"),
        LineProtocolError,
        "field 'price' is None",
    ),
    (
        "int_declared_gets_float",
        Trade(1, "i", "s", "b", 1.0, 1.5, "t"),
        TypeError,
        "attribute 'size' is declared INT but holds float",
    ),
    (
        "int_declared_gets_bool",
        Trade(1, "i", "s", "b", 1.0, True, "t"),
        TypeError,
        "declared INT but holds bool",
    ),
    (
        "float_declared_gets_str",
        Trade(1, "i", "s", "b", "1", 1, "t"),
        TypeError,
        "declared FLOAT but holds str",
    ),
    (
        "str_declared_gets_int",
        Trade(1, "i", "s", "b", 1.0, 1, 7),
        TypeError,
        "declared STR but holds int",
    ),
    (
        "timeint_gets_float",
        Trade(1.5, "i", "s", "b", 1.0, 1, "t"),
        TypeError,
        "declared TIMEINT but holds float",
    ),
    ("nan", Trade(1, "i", "s", "b", float("nan"), 1, "t"), LineProtocolError, "field 'price': nan"),
    (
        "int_overflow",
        Trade(1, "i", "s", "b", 1.0, 2**63, "t"),
        LineProtocolError,
        "outside the signed 64-bit",
    ),
    (
        "tag_trailing_backslash",
        Trade(1, "i", "s\\", "b", 1.0, 1, "t"),
        LineProtocolError,
        "tag value 's\\\\\\\\': a trailing backslash",
    ),
    (
        "measurement_attribute_bad",
        Reading("#r", "2020-01-01", None, 1.0),
        LineProtocolError,
        "leading '#'",
    ),
    (
        "time_unparseable",
        Reading("r", "not a time", None, 1.0),
        LineProtocolError,
        "time 'not a time'",
    ),
    (
        "bool_declared_gets_int",
        Load("h", dt.datetime(2020, 1, 1), 1.0, 1, 1, "", "c", decimal.Decimal(1)),
        TypeError,
        "declared BOOL but holds int",
    ),
    (
        "all_fields_none",
        Reading("r", "2020-01-01", None, None, None),
        LineProtocolError,
        "all its fields are None",
    ),
]


@pytest.mark.parametrize(
    ("obj", "exc", "message"), [e[1:] for e in VALUE_ERRORS], ids=[e[0] for e in VALUE_ERRORS]
)
def test_bad_value_raises_naming_the_attribute(obj, exc, message):
    with pytest.raises(exc, match=f"point 0: .*{message}"):
        serialize(obj)
    with pytest.raises(exc, match=f"point 0: .*{message}"):
        serialize([obj, obj])
    with pytest.raises(exc, match=message):
        obj.to_lineprotocol()


SCHEMA_ERRORS = [
    ("no_annotations", {}, None, "has no annotations"),
    (
        "two_measurements",
        {"a": MEASUREMENT, "b": MEASUREMENT, "v": FLOAT},
        None,
        "only one MEASUREMENT",
    ),
    ("two_times", {"a": TIMEINT, "b": TIMEDT, "v": FLOAT}, None, "only one time attribute"),
    ("no_field", {"a": TAG}, None, "at least one field attribute"),
    ("unknown_type", {"a": int}, None, "attribute 'a': invalid type <class 'int'>"),
    (
        "optional_time",
        {"a": TIMEINT | None, "v": FLOAT},
        None,
        "only fields and tags can be Optional",
    ),
    ("union_of_two", {"a": TAG | STR, "v": FLOAT}, None, "unsupported type"),
    ("field_named_time", {"time": FLOAT}, None, "field key 'time' cannot be written"),
    ("bad_name", {"v": FLOAT}, "#x", "leading '#'"),
]


@pytest.mark.parametrize(
    ("schema", "name", "message"), [e[1:] for e in SCHEMA_ERRORS], ids=[e[0] for e in SCHEMA_ERRORS]
)
def test_bad_schema_raises_schema_error(schema, name, message):
    cls = type("Bad", (), {"__annotations__": schema})
    with pytest.raises(SchemaError, match=message):
        lineprotocol(cls, name=name)


def test_extra_tags_that_clash_with_tag_attributes_raise_schema_error():
    cls = type("Clash", (), {"__annotations__": {"host": TAG, "v": FLOAT}})
    with pytest.raises(SchemaError, match=r"extra_tags and tag attributes both define \['host'\]"):
        lineprotocol(cls, extra_tags={"host": "x"})


def test_schema_error_is_a_type_error():
    assert issubclass(SchemaError, TypeError)


def test_no_eval_of_user_text():
    # an attribute name that would be code if pasted into generated source is just a name
    cls = type("Evil", (), {"__annotations__": {"x}{__import__('os')}": FLOAT}})
    lineprotocol(cls)
    obj = cls()
    setattr(obj, "x}{__import__('os')}", 1.0)
    assert serialize(obj) == b"Evil x}{__import__('os')}=1.0"
