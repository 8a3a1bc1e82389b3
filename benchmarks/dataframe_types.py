"""What asking the column types costs per DataFrame query.

With ``output='dataframe'`` the client asks ``SHOW TAG KEYS`` / ``SHOW FIELD KEYS`` of the
databases and measurements a query reads, at every query, in one extra request sent while
the answer comes. This prints, per query, side by side:

- ``json``: the same query with ``output='json'`` (no DataFrame, nothing asked);
- ``dataframe``: ``output='dataframe'`` as users get it (answer + types asked + frame);
- ``dataframe, types known``: the same with the types handed over without a request (as a
  cache would): ``dataframe`` minus this is what asking costs;
- ``SHOW ... alone``: the types request by itself, one after the other.

Run (needs influxd)::

    .venv/bin/python benchmarks/dataframe_types.py               # 10 and 100,000 rows
    .venv/bin/python benchmarks/dataframe_types.py --queries 500 --rows 10 1000

Quote ratios measured in one run on an idle machine, never absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aioinflux import InfluxDBClient
from aioinflux._sources import kinds_from_keys, query_sources, show_keys_query, tags_only
from aioinflux.testing import InfluxDBServer

DB = "bench"


async def per_query(run: Callable[[], Awaitable[Any]], queries: int) -> float:
    """Milliseconds per call, best of 3 rounds of ``queries`` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(queries):
            await run()
        best = min(best, (time.perf_counter() - start) / queries * 1000)
    return best


async def bench(server: InfluxDBServer, rows: int, queries: int, msgpack: bool) -> None:
    measurement = f"m{rows}"
    q = f"SELECT * FROM {measurement}"
    async with server.client(db=DB) as client:
        client._msgpack = msgpack
        start = 1_500_000_000_000_000_000
        data = [
            f'{measurement},host=h{i % 10} f={i * 0.5},i={i}i,s="t{i % 7}" {start + i}'
            for i in range(rows)
        ]
        for i in range(0, rows, 10_000):
            await client.write(data[i : i + 10_000])
        sources = query_sources(q) or []
        show, databases = show_keys_query(sources, DB)
        answer = await client.query(show, db=databases[0])
        kinds = kinds_from_keys(answer)
        if msgpack:
            kinds = tags_only(kinds)

        async def json_output() -> Any:
            client.output = "json"
            return await client.query(q)

        async def dataframe_output() -> Any:
            client.output = "dataframe"
            return await client.query(q)

        async def types_known() -> Any:
            client.output = "dataframe"
            asked = client._ask_kinds
            # the same path, the request replaced by the known answer
            client._ask_kinds = lambda q, db: asyncio.ensure_future(asyncio.sleep(0, kinds))
            try:
                return await client.query(q)
            finally:
                client._ask_kinds = asked

        async def show_alone() -> Any:
            client.output = "json"
            return await client.query(show, db=databases[0])

        results = {
            "json": await per_query(json_output, queries),
            "dataframe": await per_query(dataframe_output, queries),
            "dataframe, types known": await per_query(types_known, queries),
            "SHOW TAG/FIELD KEYS alone": await per_query(show_alone, queries),
        }
    wire = "msgpack" if msgpack else "JSON"
    print(f"\n{rows:,} rows, {wire} answers, ms per query (best of 3 x {queries})")
    for name, ms in results.items():
        print(f"  {name:28} {ms:9.3f}")
    cost = results["dataframe"] - results["dataframe, types known"]
    share = cost / results["dataframe, types known"] * 100
    print(f"  {'asking the types costs':28} {cost:9.3f} ms ({share:+.1f}%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rows", type=int, nargs="+", default=[10, 100_000])
    args = parser.parse_args()
    with InfluxDBServer() as server:
        server.request(f'CREATE DATABASE "{DB}"')
        for rows in args.rows:
            queries = max(3, args.queries * 10 // max(rows, 10)) if rows > 1000 else args.queries
            for msgpack in (True, False):
                asyncio.run(bench(server, rows, queries, msgpack))


if __name__ == "__main__":
    assert InfluxDBClient  # the client under test, installed in this environment
    main()
