"""Calls written for aioinflux 0.9 mean what they meant there, against a real server: what
0.9 refused with ValueError, non-str names and tag values, parsers of one-column answers.
(0.9's helpers: tests/test_queries.py; DataFrame shapes: tests/test_query_results.py.)"""

from __future__ import annotations

import pandas as pd
import pytest

from aioinflux import LineProtocolError, LineProtocolTypeError

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
