"""Helpers of the round-trip tests: what a point should look like once the server stored it."""

from __future__ import annotations

import math
from typing import Any

from aioinflux.serialization.common import time_to_int


async def stored_rows(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every measurement in the client's database: (measurement, non-null columns)."""
    resp = await client.query("SELECT * FROM /.*/", epoch="ns")
    rows = []
    for series in resp["results"][0].get("series", []):
        for values in series["values"]:
            row = {c: v for c, v in zip(series["columns"], values, strict=True) if v is not None}
            rows.append((series["name"], row))
    return sorted(rows, key=row_order)


def expected_row(point: dict[str, Any], factor: int = 1) -> tuple[str, dict[str, Any]]:
    """The row a mapping should read back as (time included only when the point has one)."""
    row: dict[str, Any] = {}
    for key, value in (point.get("tags") or {}).items():
        if value is not None and value != "":
            row[key] = value if isinstance(value, str) else str(value)
    for key, value in point["fields"].items():
        if value is not None:
            row[key] = value
    if point.get("time") is not None:
        row["time"] = time_to_int(point["time"], factor) * factor
    return point["measurement"], row


def same_rows(
    got: list[tuple[str, dict[str, Any]]], want: list[tuple[str, dict[str, Any]]]
) -> bool:
    """Equal, with floats compared exactly and ints equal to the floats the server wrote as ints."""
    if len(got) != len(want):
        return False
    for (gname, grow), (wname, wrow) in zip(got, want, strict=True):
        if "time" not in wrow:  # written without a time: the server's time, not compared
            grow = {k: v for k, v in grow.items() if k != "time"}
        if gname != wname or grow.keys() != wrow.keys():
            return False
        for key, value in wrow.items():
            other = grow[key]
            if isinstance(value, bool) or isinstance(other, bool):
                if value is not other:
                    return False
            elif isinstance(value, float) and math.isfinite(value):
                if float(other) != value:
                    return False
            elif other != value:
                return False
    return True


def row_order(row: tuple[str, dict[str, Any]]) -> tuple[str, int]:
    return row[0], row[1].get("time", 0)
