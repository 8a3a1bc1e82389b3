"""Query speed: 1M rows to a DataFrame, and point iteration, side by side with the peers.

Run (needs influxd, and the peer installed only for the benchmark)::

    .venv/bin/pip install influxdb
    .venv/bin/python benchmarks/query.py            # 1,000,000 rows, best of 2
    .venv/bin/python benchmarks/query.py --rows 100000 --repeat 3
    .venv/bin/python benchmarks/query.py --rows 500000 --chunk-size 2500   # other chunks
    .venv/bin/python benchmarks/query.py --rows 500000 --polars   # output='polars' alone

One throwaway influxd is started, ``--rows`` points are written once (6 columns: float, int,
bool and string fields, two tags), then every contender runs the same ``SELECT *`` in this
one process. Times are the best of ``--repeat`` runs; peak memory is measured in a
separate run with ``tracemalloc`` (Python and numpy allocations), so that its overhead does
not touch the times. "vs floor" is the ratio to the server alone producing the body the
way aioinflux asks for it (chunked MessagePack, uncompressed), read by aiohttp and
discarded; the other floors show what JSON, gzip (which the peer's ``requests`` asks for)
and non-chunked answers cost the server. "vs peer" is how many times faster than
``DataFrameClient``. "vs JSON fl." is the ratio to the chunked JSON floor, and the CPU
columns are the seconds of CPU this process ("client") and influxd ("server", read from
/proc on Linux) spent in the best run: influxd streams the chunked JSON answer faster than
the MessagePack one when the client leaves it both cores (it encodes JSON on both; it
writes MessagePack in 2 KB pieces, one HTTP chunk each), but spends more CPU on it, which
a client that decodes and builds a frame meanwhile competes for. Then MessagePack against
JSON, the same work otherwise; point iteration; and decoding an answer already read, with
the cyclic GC running and paused.

``--polars`` runs only what docs/querying.rst's polars figure quotes (no peer needed): the
floor, ``output='polars'`` and ``output='dataframe'``, each against the floor
(:func:`polars_report`).

``--plot FILE.svg`` draws the "vs peer" ratios (with ``--polars``: "vs floor") as a bar
chart (see ``chart.py``; ``--from-json`` draws a saved run): :func:`chart_of`.

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
import math
import os
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))

import chart

from aioinflux import client as client_module
from aioinflux import iterpoints
from aioinflux.testing import InfluxDBServer

DB = "bench"
QUERY = "SELECT * FROM m"
FLOOR = "floor: msgpack chunked (ours)"
JSON_FLOOR = "floor: JSON chunked"
#: rows per chunk the floors ask for: what aioinflux asks for, unless --chunk-size says
CHUNK = [10_000]
PEER = "influxdb DataFrameClient.query"
#: MessagePack against JSON, the same work otherwise: (what, MessagePack's row, JSON's row)
MSGPACK_VS_JSON = [
    ("the server's answer, read", "floor: msgpack", "floor: JSON"),
    ("the same, chunked", "floor: msgpack chunked (ours)", "floor: JSON chunked"),
    ("output='dataframe'", "aioinflux dataframe (msgpack)", "aioinflux dataframe (JSON)"),
    ("output='json'", "aioinflux json dict (msgpack)", "aioinflux json dict (JSON)"),
]


def frame_report(results: Mapping[str, tuple[float, ...]]) -> list[str]:
    """The table of the contenders: ``results`` maps a name to (seconds, peak MiB), and
    optionally the client's and the server's CPU seconds (``-`` where not measured, as the
    ratio to the JSON floor when its row is missing)."""
    base, peer = results[FLOOR][0], results[PEER][0]
    json_base = results[JSON_FLOOR][0] if JSON_FLOOR in results else None
    report = [
        f"{'contender':40} {'time s':>7} {'vs floor':>9} {'vs peer':>8} {'peak MiB':>9}"
        f" {'vs JSON fl.':>11} {'client CPU':>10} {'server CPU':>10}"
    ]
    for name, (seconds, peak, *cpu) in results.items():
        ratios = f"{seconds / base:8.2f}x {peer / seconds:7.2f}x"
        json_ratio = f"{seconds / json_base:10.2f}x" if json_base else f"{'-':>11}"
        client, server = (*cpu, math.nan, math.nan)[:2]
        cpus = " ".join(f"{'-':>10}" if math.isnan(c) else f"{c:10.2f}" for c in (client, server))
        report.append(f"{name:40} {seconds:7.2f} {ratios} {peak:9.0f} {json_ratio} {cpus}")
    return report


#: the rows of ``--polars``, the floor first
POLARS_ROWS = [
    FLOOR,
    "aioinflux polars (msgpack)",
    "aioinflux dataframe (msgpack)",
    "aioinflux polars (JSON)",
]


def polars_report(results: Mapping[str, tuple[float, ...]]) -> list[str]:
    """The ``--polars`` table: each row's time and its ratio to the floor."""
    base = results[FLOOR][0]
    report = [f"{'contender':40} {'time s':>7} {'vs floor':>9} {'peak MiB':>9}"]
    for name, (seconds, peak, *_) in results.items():
        report.append(f"{name:40} {seconds:7.2f} {seconds / base:8.2f}x {peak:9.0f}")
    return report


def chart_of(results: Mapping[str, tuple[float, ...]], *, polars: bool = False) -> chart.Chart:
    """The bar chart of a run: each row's "vs peer" ratio of :func:`frame_report` (how many
    times as fast as the peer), or with ``polars`` the "vs floor" of :func:`polars_report`."""
    if polars:
        base = results[FLOOR][0]
        bars = [(name, seconds / base) for name, (seconds, *_) in results.items()]
        return chart.this_run(
            "Query to a DataFrame, SELECT *",
            "time as a multiple of the floor's (the server alone streaming the answer; "
            "shorter is faster)",
            [("", bars)],
        )
    peer = results[PEER][0]
    bars = [(name, peer / seconds) for name, (seconds, *_) in results.items()]
    return chart.this_run(
        "Query to a DataFrame, SELECT *",
        "times as fast as influxdb's DataFrameClient.query (1.00x, dashed)",
        [("", bars)],
    )


def msgpack_gains(results: Mapping[str, tuple[float, ...]]) -> dict[str, float]:
    """How many times as fast MessagePack is as JSON, for each pair of rows in ``results``."""
    return {
        what: results[json_row][0] / results[msgpack_row][0]
        for what, msgpack_row, json_row in MSGPACK_VS_JSON
        if msgpack_row in results and json_row in results
    }


async def chunked_msgpack_body(server: InfluxDBServer) -> bytes:
    """The whole chunked MessagePack answer, as aioinflux asks for it."""
    form = {"q": QUERY, "db": DB, "epoch": "ns", "chunked": "true", "chunk_size": str(CHUNK[0])}
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
        form["chunk_size"] = str(CHUNK[0])
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


def server_cpu(pid: int | None) -> float:
    """The CPU seconds (user + system) process ``pid`` has used, NaN where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return math.nan


def measure(
    run: Callable[[], Any], repeat: int, memory: bool = True, pid: int | None = None
) -> tuple[float, float, float, float]:
    """(best time in s, peak traced memory in MiB (NaN when not asked), the CPU seconds of
    this process and of process ``pid`` (the server) in the best run)."""
    best = (float("inf"), math.nan, math.nan)
    for _ in range(repeat):
        gc.collect()
        cpu, server = time.process_time(), server_cpu(pid)
        start = time.perf_counter()
        result = run()
        took = time.perf_counter() - start
        if took < best[0]:
            best = (took, time.process_time() - cpu, server_cpu(pid) - server)
        del result
    gc.collect()
    if not memory:
        return best[0], math.nan, best[1], best[2]
    tracemalloc.start()
    result = run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del result
    return best[0], peak, best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=client_module._WIRE_CHUNK_SIZE,
        help="rows per chunk asked of the server, by the floors and by aioinflux when it "
        "reassembles an answer (default: what aioinflux asks for)",
    )
    parser.add_argument(
        "--polars",
        action="store_true",
        help="only the floor, output='polars' and output='dataframe' (no peer needed)",
    )
    chart.add_arguments(parser)
    args = parser.parse_args()
    if chart.from_json_only(args):
        return
    CHUNK[0] = client_module._WIRE_CHUNK_SIZE = args.chunk_size

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
            ("aioinflux polars (msgpack)", ours("polars", True)),
            ("aioinflux polars (JSON)", ours("polars", False)),
        ]
        if args.polars:
            chosen = dict(frames)
            print(
                f"\n{args.rows:,} rows, SELECT * (6 columns + time) to polars, best of "
                f"{args.repeat}, chunks of {args.chunk_size:,} rows"
            )
            timed = {name: measure(chosen[name], args.repeat) for name in POLARS_ROWS}
            print("\n".join(polars_report(timed)))
            if args.plot:
                chart.save(chart_of(timed, polars=True), args.plot)
            return
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

        print(
            f"\n{args.rows:,} rows, SELECT * (6 columns + time), best of {args.repeat}, "
            f"chunks of {args.chunk_size:,} rows"
        )
        results = {name: measure(run, args.repeat, pid=server.pid) for name, run in frames}
        print("\n".join(frame_report(results)))
        if args.plot:
            chart.save(chart_of(results), args.plot)
        print("\nMessagePack against JSON (times as fast)")
        for what, gain in msgpack_gains(results).items():
            print(f"{what:40} {gain:7.2f}x")
        print("\nthe server's CPU, JSON against MessagePack (times as much)")
        for what, msgpack_row, json_row in MSGPACK_VS_JSON:
            print(f"{what:40} {results[json_row][3] / results[msgpack_row][3]:7.2f}x")

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
