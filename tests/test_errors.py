"""Field type conflicts: the server's message parsed into objects (pure), and each pair of
types the server can store, produced on the real server."""

from __future__ import annotations

import dataclasses
import itertools

import pandas as pd
import pytest

from aioinflux import FLOAT, InfluxDBBatchError, InfluxDBWriteError, lineprotocol
from aioinflux.exceptions import FieldTypeConflict

# how each type the server knows is written in line protocol (influxd 1.6 refuses 5u)
LITERALS = {"float": "1.5", "integer": "2i", "string": '"text"', "boolean": "true"}


def conflict_message(field, measurement, sent, stored, dropped=1):
    return (
        f'partial write: field type conflict: input field "{field}" on measurement '
        f'"{measurement}" is type {sent}, already exists as type {stored} dropped={dropped}'
    )


@pytest.mark.parametrize(
    ("message", "conflicts"),
    [
        (conflict_message("value", "cpu", "integer", "float"), [("cpu", "value", "integer", "float")]),
        (conflict_message("v", "m", "unsigned", "integer"), [("m", "v", "unsigned", "integer")]),
        # names as influxd writes them: between quotes, as they are (measured on 1.6.7)
        (conflict_message('"f x"', "m x", "float", "integer"), [("m x", '"f x"', "float", "integer")]),
        (conflict_message('f"q', 'm"q', "integer", "float"), [('m"q', 'f"q', "integer", "float")]),
        (conflict_message("", "m", "string", "float"), [("m", "", "string", "float")]),
        # without the partial-write frame (other servers and versions)
        (
            'field type conflict: input field "a" on measurement "b" is type boolean, '
            "already exists as type string",
            [("b", "a", "boolean", "string")],
        ),
        # several, should a server name them all
        (
            conflict_message("a", "m", "float", "integer")[:-10]
            + "\n"
            + conflict_message("b", "n", "string", "boolean"),
            [("m", "a", "float", "integer"), ("n", "b", "string", "boolean")],
        ),
        ("partial write: unable to parse 'm v=x 1': invalid boolean dropped=0", []),
        ("database not found: \"x\"", []),
        ("", []),
    ],
)  # fmt: skip
def test_conflicts_are_parsed_from_the_message(message, conflicts):
    error = InfluxDBWriteError(message, status=400)
    assert error.conflicts == [FieldTypeConflict(*c) for c in conflicts]
    assert all(dataclasses.is_dataclass(c) for c in error.conflicts)


def test_the_error_says_how_to_fix_a_conflict():
    error = InfluxDBWriteError(conflict_message("value", "cpu", "integer", "float"), status=400)
    assert str(error).splitlines()[1] == (
        "field 'value' of measurement 'cpu' is stored as float: write it as a float "
        "(1.0, not 1; FLOAT in a @lineprotocol schema; a float column)"
    )
    assert error.message == conflict_message("value", "cpu", "integer", "float")
    plain = InfluxDBWriteError("database not found", status=404)
    assert "\n" not in str(plain)


# -- on the real server ------------------------------------------------------------------------

PAIRS = list(itertools.permutations(LITERALS, 2))  # (stored, sent): the 12 pairs 1.6 can make


@pytest.mark.server
@pytest.mark.parametrize(("stored", "sent"), PAIRS)
async def test_each_type_pair_on_the_server(client, stored, sent):
    await client.write(f"cpu value={LITERALS[stored]} 1")
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write([f"cpu value={LITERALS[sent]} 2", f"cpu value={LITERALS[stored]} 3"])
    error = info.value
    assert error.conflicts == [FieldTypeConflict("cpu", "value", sent, stored)]
    assert (error.status, error.partial, error.dropped) == (400, True, 1)
    assert f"is stored as {stored}: write it as" in str(error)


@pytest.mark.server
async def test_conflicts_within_one_write(client):
    await client.write("other v=1 1")  # the shard of this time range exists
    # a new field gets the type of its first value; later ones in the same write conflict
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write(["new v=1i 1", "new v=true 2", 'new v="s" 3'])
    assert info.value.conflicts == [FieldTypeConflict("new", "v", "boolean", "integer")]
    assert info.value.dropped == 2  # the server names the first conflict and counts them all


@pytest.mark.server
async def test_a_conflict_the_server_does_not_name(client):
    # a conflict inside the write that creates the shard (the first write of a time range):
    # influxd 1.6.7 answers a bare "field type conflict" and stores nothing
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write(["new,t=a v=1i 1", "new,t=b v=true 2"])
    error = info.value
    assert (error.status, error.message, error.partial, error.conflicts) == (
        400,
        "field type conflict",
        False,
        [],
    )
    assert str(error).endswith(
        "the values of a field have different types in this write (the server names "
        "neither the field nor the types; nothing was stored)"
    )
    assert "series" not in (await client.query("SELECT * FROM new"))["results"][0]


@pytest.mark.server
async def test_the_fixes_the_docs_show(client):
    await client.write("cpu,host=a value=0.5 1")  # stored as float
    # a Python int where a float is stored...
    point = {"measurement": "cpu", "tags": {"host": "a"}, "fields": {"value": 1}, "time": 2}
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write(point)
    assert info.value.conflicts == [FieldTypeConflict("cpu", "value", "integer", "float")]
    # ...written as a float
    await client.write({**point, "fields": {"value": float(1)}})

    # a DataFrame's integer column: cast it
    df = pd.DataFrame({"value": [3, 4]}, index=pd.to_datetime([3, 4], utc=True))
    with pytest.raises(InfluxDBWriteError) as info:
        await client.write(df, measurement="cpu", host="a")
    assert info.value.conflicts == [FieldTypeConflict("cpu", "value", "integer", "float")]
    await client.write(df.astype({"value": float}), measurement="cpu", host="a")

    # a @lineprotocol schema: FLOAT, not INT
    @lineprotocol(name="cpu")
    @dataclasses.dataclass
    class Load:
        value: FLOAT

    await client.write(Load(5))  # an int value, written as a float by the schema
    resp = await client.query("SELECT value FROM cpu")
    assert [v[1] for v in resp["results"][0]["series"][0]["values"]] == [0.5, 1, 3, 4, 5]


@pytest.mark.server
async def test_a_batch_writer_reports_the_conflict(client):
    await client.write("cpu value=1i 1")
    writer = client.batch_writer(retry_for=0)
    await writer.write("cpu value=1.5 2")
    with pytest.raises(InfluxDBBatchError) as info:
        await writer.close()
    assert info.value.failures[0].error.conflicts == [
        FieldTypeConflict("cpu", "value", "float", "integer")
    ]
