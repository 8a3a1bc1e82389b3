"""Property-based round trip: generated points, written to the real server, read back equal.

Points the server cannot store exactly must raise LineProtocolError instead (they are not
written); every other point must read back identical.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aioinflux import LineProtocolError, serialize
from aioinflux.serialization.common import MAX_NS, MIN_NS
from tests.roundtrip import expected_row, same_rows, stored_rows

# every test runs on the compiled encoders and on the pure ones (tests/conftest.py)
pytestmark = [pytest.mark.server, pytest.mark.usefixtures("encoders")]

# the characters every escaping rule is about, plus anything else
SPECIAL = [*" ,=\"'\\#\t\r\n", "ü", "🚀", "\u00a0"]
text = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPECIAL), st.characters(codec="utf-8", exclude_categories=("Cs",))
    ),
    min_size=1,
    max_size=8,
)
field_value = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
time = st.one_of(
    st.none(),
    st.integers(min_value=MIN_NS, max_value=MAX_NS),
    st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2262, 1, 1)),
    st.datetimes(
        min_value=dt.datetime(1678, 1, 1),
        max_value=dt.datetime(2262, 1, 1),
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5, minutes=-30))]),
    ).map(lambda d: d.isoformat()),
)
point = st.fixed_dictionaries(
    {
        "measurement": text,
        "tags": st.dictionaries(text, st.one_of(text, st.just(""), st.none()), max_size=3),
        "fields": st.dictionaries(text, field_value, min_size=1, max_size=4),
        "time": time,
    }
)


async def write_and_read(server, database, data):
    async with server.client(db=database) as client:
        await client.write(data)
        return await stored_rows(client)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=point)
def test_generated_point_reads_back_identical_or_raises(influxdb_server, data):
    assume(not data["tags"].keys() & data["fields"].keys())  # the server would rename a key
    try:
        serialize(data)
    except LineProtocolError:
        assume(False)  # raised before anything was sent: the rules are tested one by one
    database = f"prop_{uuid.uuid4().hex[:12]}"
    influxdb_server.request(f'CREATE DATABASE "{database}"')
    try:
        got = asyncio.run(write_and_read(influxdb_server, database, data))
    finally:
        influxdb_server.request(f'DROP DATABASE "{database}"')
    assert same_rows(got, [expected_row(data)]), (serialize(data), got)
