"""Query speed: 1M rows to a DataFrame, and point iteration, side by side with the peers.

Run (needs influxd, and the peer installed only for the benchmark)::

    .venv/bin/pip install influxdb
    .venv/bin/python benchmarks/query.py            # 1,000,000 rows, best of 2
    .venv/bin/python benchmarks/query.py --rows 100000 --repeat 3

One throwaway influxd is started, ``--rows`` points are written once (6 columns: float, int,
bool and string fields, two tags), then every contender runs the same ``SELECT *`` in this
one process. Times are the best of ``--repeat`` runs; peak memory is measured in a
separate run with ``tracemalloc`` (Python and numpy allocations), so that its overhead does
not touch the times. "vs floor" is the ratio to the server alone producing the body the
way aioinflux asks for it (chunked MessagePack, uncompressed), read by aiohttp and
discarded; the other floors show what JSON, gzip (which the peer's ``requests`` asks for)
and non-chunked answers cost the server. "vs peer" is how many times faster than
``DataFrameClient``. Then MessagePack against JSON, the same work otherwise; point
iteration; and decoding an answer already read, with the cyclic GC running and paused.

The ratios are computed by :func:`frame_report` and :func:`msgpack_gains`, which
tests/test_benchmark_figures.py also runs on the times the docs quote, to check the
ratios quoted there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from aioinflux import iterpoints
from aioinflux.testing import InfluxDBServer

DB = "bench"
QUERY = "SELECT * FROM m"
FLOOR = "floor: msgpack chunked (ours)"
PEER = "influxdb DataFrameClient.query"
#: MessagePack against JSON, the same work otherwise: (what, MessagePack's row, JSON's row)
MSGPACK_VS_JSON = [
    ("the server's answer, read", "floor: msgpack", "floor: JSON"),
    ("the same, chunked", "floor: msgpack chunked (ours)", "floor: JSON chunked"),
    ("output='dataframe'", "aioinflux dataframe (msgpack)", "aioinflux dataframe (JSON)"),
    ("output='json'", "aioinflux json dict (msgpack)", "aioinflux json dict (JSON)"),
]


def frame_report(results: dict[str, tuple[float, float]]) -> list[str]:
    """The table of the 1M-row contenders: ``results`` maps a name to (seconds, peak MiB)."""
    base, peer = results[FLOOR][0], results[PEER][0]
    report = [f"{'contender':40} {'time s':>7} {'vs floor':>9} {'vs peer':>8} {'peak MiB':>9}"]
    for name, (seconds, peak) in results.items():
        ratios = f"{seconds / base:8.2f}x {peer / seconds:7.2f}x"
        report.append(f"{name:40} {seconds:7.2f} {ratios} {peak:9.0f}")
    return report


def msgpack_gains(results: dict[str, tuple[float, float]]) -> dict[str, float]:
    """How many times as fast MessagePack is as JSON, for each pair of rows in ``results``."""
    return {
        what: results[json_row][0] / results[msgpack_row][0]
        for what, msgpack_row, json_row in MSGPACK_VS_JSON
        if msgpack_row in results and json_row in results
    }


async def chunked_msgpack_body(server: InfluxDBServer) -> bytes:
    """The whole chunked MessagePack answer, as aioinflux asks for it."""
    form = {"q": QUERY, "db": DB, "epoch": "ns", "chunked": "true"}
    headers = {"Accept-Encoding": "identity", "Accept": "application/x-msgpack"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.url + "query", data=form, headers=headers) as resp,
    ):
        return await resp.read()


def decode(body: bytes, *, gc_paused: bool) -> int:
    """Decode ``body`` keeping every chunk (as a reassembled answer does), the cyclic GC
    running or paused as the client pauses it."""
    import msgpack

    from aioinflux._protocol import _msgpack_ext
    from aioinflux._protocol import gc_paused as paused

    unpacker = msgpack.Unpacker(
        raw=False, ext_hook=_msgpack_ext, max_buffer_size=0, strict_map_key=False
    )
    unpacker.feed(body)
    with paused() if gc_paused else contextlib.nullcontext():
        chunks = list(unpacker)
    return len(chunks)


def lines(rows: int) -> list[str]:
    start = 1_500_000_000_000_000_000
    return [
        f"m,host=h{i % 10},region=r{i % 3} f={i * 0.37},i={i}i,b={'true' if i % 2 else 'false'},"
        f's="text {i % 100}" {start + i * 1_000_000}'
        for i in range(rows)
    ]


async def write(server: InfluxDBServer, rows: int) -> None:
    data = lines(rows)
    async with server.client(db=DB) as client:
        for i in range(0, rows, 10_000):
            await client.write(data[i : i + 10_000])


async def floor(server: InfluxDBServer, *, chunked: bool, msgpack: bool, gzip: bool) -> int:
    """The server alone: the body read in pieces and discarded."""
    form = {"q": QUERY, "db": DB, "epoch": "ns"}
    if chunked:
        form["chunked"] = "true"
    headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
    if msgpack:
        headers["Accept"] = "application/x-msgpack"
    size = 0
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.url + "query", data=form, headers=headers) as resp,
    ):
        while piece := await resp.content.read(1 << 16):
            size += len(piece)
    return size


async def aioinflux_query(
    server: InfluxDBServer, *, output: str, msgpack: bool, iterate: bool = False
) -> Any:
    async with server.client(db=DB, output=output) as client:
        client._msgpack = msgpack
        result = await client.query(QUERY)
        if iterate:
            return sum(1 for _ in result)
        return result


async def plain_json_loop(server: InfluxDBServer) -> int:
    """aiohttp + json.loads + a plain loop over every value list: the iteration floor."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.url + "query", data={"q": QUERY, "db": DB, "epoch": "ns"}) as resp,
    ):
        data = json.loads(await resp.read())
    count = 0
    for statement in data["results"]:
        for series in statement.get("series", ()):
            for _ in series["values"]:
                count += 1
    return count


def blocking_chunked(server: InfluxDBServer, *, by_chunk: bool) -> int:
    """Blocking mode, chunked, output='iterable': ``for point in result`` (one trip to the
    loop thread per chunk), or ``iterchunks()`` + ``iterpoints()`` by hand."""
    with server.client(db=DB, output="iterable", mode="blocking") as client:
        result = client.query(QUERY, chunked=True)
        if by_chunk:
            return sum(1 for chunk in result.iterchunks() for _ in iterpoints(chunk))
        return sum(1 for _ in result)


def dataframe_client(server: InfluxDBServer) -> Any:
    from influxdb import DataFrameClient

    client = DataFrameClient(server.host, server.port, database=DB)
    try:
        # epoch='ns' as for every contender (its default, RFC3339 strings, fails to parse
        # under pandas 3 when the first time has no fraction)
        return client.query(QUERY, epoch="ns")
    finally:
        client.close()


def influxdb_points(server: InfluxDBServer) -> int:
    from influxdb import InfluxDBClient as PeerClient

    client = PeerClient(server.host, server.port, database=DB)
    try:
        return sum(1 for _ in client.query(QUERY, epoch="ns").get_points())
    finally:
        client.close()


def measure(run: Callable[[], Any], repeat: int, memory: bool = True) -> tuple[float, float]:
    """(best time in s, peak traced memory in MiB, or NaN when not asked)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
        del result
    gc.collect()
    if not memory:
        return best, float("nan")
    tracemalloc.start()
    result = run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del result
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    with InfluxDBServer() as server:
        server.request(f'CREATE DATABASE "{DB}"')
        print(f"writing {args.rows:,} points ...", flush=True)
        asyncio.run(write(server, args.rows))
        # warm the server's caches
        asyncio.run(floor(server, chunked=False, msgpack=False, gzip=False))

        def arun(factory: Callable[[], Awaitable[Any]]) -> Callable[[], Any]:
            return lambda: asyncio.run(factory())

        def raw(chunked: bool, msgpack: bool, gzip: bool = False) -> Callable[[], Any]:
            return arun(lambda: floor(server, chunked=chunked, msgpack=msgpack, gzip=gzip))

        def ours(output: str, msgpack: bool, iterate: bool = False) -> Callable[[], Any]:
            return arun(
                lambda: aioinflux_query(server, output=output, msgpack=msgpack, iterate=iterate)
            )

        frames: list[tuple[str, Callable[[], Any]]] = [
            ("floor: JSON gzipped (the peer's way)", raw(False, False, gzip=True)),
            ("floor: JSON", raw(False, False)),
            ("floor: JSON chunked", raw(True, False)),
            ("floor: msgpack", raw(False, True)),
            ("floor: msgpack chunked (ours)", raw(True, True)),
            ("influxdb DataFrameClient.query", lambda: dataframe_client(server)),
            ("aioinflux dataframe (msgpack)", ours("dataframe", True)),
            ("aioinflux dataframe (JSON)", ours("dataframe", False)),
            ("aioinflux json dict (msgpack)", ours("json", True)),
            ("aioinflux json dict (JSON)", ours("json", False)),
        ]
        points: list[tuple[str, Callable[[], Any]]] = [
            ("aiohttp + json.loads + plain loop", arun(lambda: plain_json_loop(server))),
            ("influxdb query().get_points()", lambda: influxdb_points(server)),
            ("aioinflux iterable (msgpack)", ours("iterable", True, iterate=True)),
            ("aioinflux iterable (JSON)", ours("iterable", False, iterate=True)),
            (
                "aioinflux blocking chunked: for point",
                lambda: blocking_chunked(server, by_chunk=False),
            ),
            (
                "aioinflux blocking chunked: iterchunks",
                lambda: blocking_chunked(server, by_chunk=True),
            ),
        ]

        print(f"\n{args.rows:,} rows, SELECT * (6 columns + time), best of {args.repeat}")
        results = {name: measure(run, args.repeat) for name, run in frames}
        print("\n".join(frame_report(results)))
        print("\nMessagePack against JSON (times as fast)")
        for what, gain in msgpack_gains(results).items():
            print(f"{what:40} {gain:7.2f}x")

        print("\npoint iteration, end to end (query + every point)")
        print(f"{'contender':40} {'time s':>7} {'points/s':>10} {'vs loop':>8}")
        timed = {name: measure(run, args.repeat, memory=False)[0] for name, run in points}
        loop = timed["aiohttp + json.loads + plain loop"]
        for name, seconds in timed.items():
            print(f"{name:40} {seconds:7.2f} {args.rows / seconds:10,.0f} {loop / seconds:7.2f}x")

        print("\npoint iteration alone, over an answer already decoded")
        resp = asyncio.run(aioinflux_query(server, output="json", msgpack=True))

        def plain() -> int:
            return sum(
                1
                for statement in resp["results"]
                for series in statement.get("series", ())
                for _ in series["values"]
            )

        def as_dicts() -> int:
            def parser(x: list[Any], meta: dict[str, Any]) -> dict[str, Any]:
                return dict(zip(meta["columns"], x, strict=True))

            return sum(1 for _ in iterpoints(resp, parser))

        alone = [
            ("plain nested loop", plain),
            ("iterpoints(resp)", lambda: sum(1 for _ in iterpoints(resp))),
            ("iterpoints(resp, dict parser)", as_dicts),
        ]
        for name, run in alone:
            seconds = measure(run, args.repeat, memory=False)[0]
            print(f"{name:40} {seconds:7.2f} {args.rows / seconds:10,.0f} points/s")

        print("\ndecoding the chunked MessagePack answer, already read")
        body = asyncio.run(chunked_msgpack_body(server))
        running = measure(lambda: decode(body, gc_paused=False), args.repeat, memory=False)[0]
        paused = measure(lambda: decode(body, gc_paused=True), args.repeat, memory=False)[0]
        print(f"{'cyclic GC running':40} {running:7.2f}")
        print(
            f"{'cyclic GC paused (as the client does)':40} {paused:7.2f} {running / paused:7.2f}x"
        )


if __name__ == "__main__":
    main()
