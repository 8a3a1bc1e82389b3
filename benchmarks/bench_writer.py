"""Sustained write throughput: the batch writer against raw aiohttp and influxdb-python.

Run (from the repository root, after ``bash scripts/test.sh`` made .venv)::

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_writer.py [--points 1000000] [--repeat 3]
    .venv/bin/python benchmarks/bench_writer.py --writer-cpu [--points 500000]
    .venv/bin/python benchmarks/bench_writer.py --check

Starts a throwaway influxd, writes the same points with every contender (a fresh database
each run, 5000 lines per request), and prints the best of ``--repeat`` runs, the ratio to
the best raw aiohttp figure, and the CPU time this process spent per point in that best run
(the server's is not counted: raw aiohttp's is the floor of sending). Every contender's
input is made before the clock starts: raw aiohttp gets the request bodies ready-made, the
batch writer gets the same points as line-protocol ``str`` lines (a list per ``write()``
of 10,000), as one pre-joined ``str`` per 10,000 lines, as mappings (with a string field:
the string-field lines' data, so compared with raw aiohttp sending those bodies), and as
DataFrames of 100,000 rows, and must do the rest itself. DataFrame input runs on both
encoders: polars' columnar one (the ``fast`` extra, installed with the ``test`` extra)
and, in the rows ending in ``pure``, the pure one. Numbers drift between runs and
machines: compare the ratios of one run. Not a test: nothing here asserts a speed.

``--writer-cpu`` starts no server: it gives the batch writer the same inputs with a send
coroutine that does nothing, and prints the CPU time per point of the writer's own work
(serializing, checking, queueing, cutting batches), best of ``--repeat``: steadier than
the table, for comparing two versions of the writer on a busy machine.

Line-protocol ``str`` lines come in two shapes: the one above (tags, float, int and bool
fields) and the users' one, with an escaped tag value and a string field holding an escaped
``"`` (rows ending in ``string field``, compared with raw aiohttp sending those same
bodies). Rows with ``spool`` give the writer an on-disk spool (a fresh
directory each run; ``spool+fsync``: synced to the disk at each ``write()``).
``--check`` starts no server: it prints the MB/s of the check of line protocol
text on bodies of 5000 lines of each shape, the compiled and the pure implementation apart.
``AIOINFLUX_NO_EXTENSIONS=1`` in the environment makes every row run the pure one.

``--plot FILE.svg`` draws the "vs best raw" ratios as a bar chart (see ``chart.py``;
``--from-json`` draws a saved run): :func:`chart_of`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))

import chart

from aioinflux.testing import InfluxDBServer

BATCH = 5000
#: points per ``write()`` of the batch writer (a DataFrame: FRAME_ROWS rows)
STEP = 10_000
#: raw aiohttp posting the bodies of the lines with a string field: what those rows compare with
RAW_STRING = "raw aiohttp, 4 in flight, string field"
FRAME_ROWS = 100_000
Contender = Callable[[InfluxDBServer, str], Coroutine[Any, Any, None] | None]


def make_lines(n: int) -> list[str]:
    base = 1_700_000_000_000_000_000
    return [
        f"cpu,host=h{i % 100},region=r{i % 5} usage={i * 0.25},count={i}i,"
        f"ok={'true' if i % 2 else 'false'} {base + i * 1000}"
        for i in range(n)
    ]


def make_string_lines(n: int) -> list[str]:
    """Users' lines: tags (one with an escaped space), float, int, bool and string fields,
    a ``"`` escaped inside the string."""
    base = 1_700_000_000_000_000_000
    return [
        f"cpu,host=h{i % 100},region=eu\\ west{i % 5} usage={i * 0.25},count={i}i,"
        f'ok={"true" if i % 2 else "false"},note="job \\"{i % 7}\\" done" {base + i * 1000}'
        for i in range(n)
    ]


def check_speed(repeat: int) -> None:
    """MB/s of the text check on bodies of 5000 lines, without and with a string field: the
    one in use (compiled when built), each of its two implementations, and ``split_lines()``,
    the byte-by-byte splitter that text with a ``"`` went through before the check (text
    without one was only counted, in C)."""
    import aioinflux
    from aioinflux.serialization import _textcheck
    from aioinflux.serialization.lines import split_lines

    runs: dict[str, Callable[[bytes], object]] = {"check in use": _textcheck.check_text}
    try:
        from aioinflux.serialization import _ctextcheck

        runs["compiled"] = lambda body: _ctextcheck.accepts(body, 1)
    except ImportError:
        print("(the compiled check is not built: no C compiler at install?)")
    runs["pure"] = _textcheck.pattern_check
    runs["split_lines"] = split_lines
    print(f"{BATCH} lines a body, best of {repeat}, extensions in use: {aioinflux.__extensions__}")
    print(f"MB/s of: {', '.join(runs)}\n")
    print(f"| {'lines':<24} | " + " | ".join(f"{name:>12}" for name in runs) + " |")
    print(f"| {'-' * 24} | " + " | ".join("-" * 12 for _ in runs) + " |")
    shapes = [("without a string field", make_lines), ("with a string field", make_string_lines)]
    for name, make in shapes:
        body = "\n".join(make(BATCH)).encode()
        rates = []
        for run in runs.values():
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                for _ in range(20):
                    run(body)
                best = min(best, (time.perf_counter() - start) / 20)
            rates.append(len(body) / best / 1e6)
        print(f"| {name:<24} | " + " | ".join(f"{rate:>12.0f}" for rate in rates) + " |")


async def raw_aiohttp(server: InfluxDBServer, db: str, bodies: list[bytes], in_flight: int) -> None:
    url = f"{server.url}write?db={db}"
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                async with session.post(url, data=body) as resp:
                    assert resp.status == 204, await resp.text()

        await asyncio.gather(*(worker() for _ in range(in_flight)))


async def ours_writer(
    server: InfluxDBServer,
    db: str,
    writes: list[Any],
    in_flight: int = 4,
    gzip: bool = False,
    spool: dict[str, Any] | None = None,
    **options: Any,
) -> None:
    """The batch writer given ``writes``, one ``write()`` each (made before the clock);
    ``spool``: the writer's spool options (a fresh directory each run)."""
    client = server.client(db=db, gzip=gzip)
    with tempfile.TemporaryDirectory(prefix="bench-spool-") as directory:
        spooled = {} if spool is None else {"spool": directory, **spool}
        async with (
            client,
            client.batch_writer(batch_size=BATCH, max_in_flight=in_flight, **spooled) as writer,
        ):
            for data in writes:
                await writer.write(data, **options)


async def ours_write(server: InfluxDBServer, db: str, bodies: list[bytes]) -> None:
    async with server.client(db=db) as client:
        for body in bodies:
            await client.write(body)


def make_mappings(n: int) -> list[dict[str, Any]]:
    """The users' points as mappings: the string-field lines' data (a tag value with a
    space, float, int, bool and string fields, a ``"`` in the string)."""
    base = 1_700_000_000_000_000_000
    return [
        {
            "measurement": "cpu",
            "time": base + i * 1000,
            "tags": {"host": f"h{i % 100}", "region": f"eu west{i % 5}"},
            "fields": {
                "usage": i * 0.25,
                "count": i,
                "ok": bool(i % 2),
                "note": f'job "{i % 7}" done',
            },
        }
        for i in range(n)
    ]


def make_frame(n: int) -> Any:
    import numpy as np
    import pandas as pd

    i = np.arange(n)
    index = pd.to_datetime(1_700_000_000_000_000_000 + i * 1000, utc=True)
    return pd.DataFrame(
        {
            "host": pd.Categorical([f"h{k}" for k in i % 100]),
            "region": pd.Categorical([f"r{k}" for k in i % 5]),
            "usage": i * 0.25,
            "count": i,
            "ok": i % 2 == 1,
        },
        index=index,
    )


def pieces(items: Any, step: int) -> list[Any]:
    return [items[start : start + step] for start in range(0, len(items), step)]


async def ours_write_frame(server: InfluxDBServer, db: str, frame: Any) -> None:
    async with server.client(db=db) as client:
        await client.write(frame, measurement="cpu")


async def pure_path(run: Coroutine[Any, Any, None]) -> None:
    """``run`` with the columnar DataFrame encoder switched off."""
    from aioinflux.serialization import columnar

    columnar.ENABLED = False
    try:
        await run
    finally:
        columnar.ENABLED = True


def influxdb_python(server: InfluxDBServer, db: str, lines: list[str]) -> None:
    from influxdb import InfluxDBClient as Peer

    peer = Peer(host=server.host, port=server.port, database=db)
    peer.write_points(lines, protocol="line", batch_size=BATCH)
    peer.close()


def count(server: InfluxDBServer, db: str) -> int:
    resp = server.request('SELECT count("usage") FROM "cpu"', db=db)
    return int(resp["results"][0]["series"][0]["values"][0][1])


class _NoServer:
    mode = "async"
    db = "bench"


async def _nothing(body: bytes, **options: Any) -> None:
    assert body


async def writer_alone(writes: list[Any], options: dict[str, Any]) -> None:
    from aioinflux.writer import BatchWriter

    writer = BatchWriter(_NoServer(), send=_nothing, batch_size=BATCH, max_in_flight=4)
    async with writer:
        for data in writes:
            await writer.write(data, **options)


def writer_cpu(points: int, repeat: int) -> None:
    lines = make_lines(points)
    inputs: dict[str, tuple[list[Any], dict[str, Any]]] = {
        "str lines, a list per write()": (pieces(lines, STEP), {}),
        "str lines, string field": (pieces(make_string_lines(points), STEP), {}),
        "one str per write()": (["\n".join(p) for p in pieces(lines, STEP)], {}),
        "mappings": (pieces(make_mappings(points), STEP), {"measurement": "cpu"}),
    }
    try:
        frames = pieces(make_frame(points), FRAME_ROWS)
        inputs["DataFrame"] = (frames, {"measurement": "cpu"})
        inputs["DataFrame, pure"] = (frames, {"measurement": "cpu"})
    except ImportError:
        pass
    print(f"{points:,} points, {BATCH} lines per batch, no server: the writer's own CPU\n")
    for name, (writes, options) in inputs.items():
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            run = writer_alone(writes, options)
            asyncio.run(pure_path(run) if name.endswith("pure") else run)
            best = min(best, time.process_time() - start)
        print(f"{name:<32} {best / points * 1e9:>6.0f} ns per point")


def vs_raw(results: Mapping[str, float]) -> dict[str, float]:
    """Each contender's points/s over raw aiohttp's posting the same bytes: lines with a
    string field and mappings (whose lines are those) over raw aiohttp sending those
    bodies, the others over raw's best."""
    best_raw = max(v for k, v in results.items() if k.startswith("raw") and "string" not in k)
    raw_string = results.get(RAW_STRING, best_raw)
    return {
        name: rate / (raw_string if _string_bodies(name) else best_raw)
        for name, rate in results.items()
    }


def _string_bodies(name: str) -> bool:
    return "string field" in name or "mappings" in name


def chart_of(results: Mapping[str, float]) -> chart.Chart:
    """The bar chart of a run: each contender's points/s over raw aiohttp's (see vs_raw)."""
    return chart.this_run(
        "Sustained writes to influxd, 5000 lines per request",
        "points/s as a share of raw aiohttp posting the same bytes (100%, dashed)",
        [("", list(vs_raw(results).items()))],
        unit="%",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--writer-cpu", action="store_true", help="the writer alone, no server")
    parser.add_argument("--check", action="store_true", help="MB/s of the text check alone")
    chart.add_arguments(parser)
    args = parser.parse_args()
    if chart.from_json_only(args):
        return
    if args.check:
        check_speed(args.repeat)
        return
    if args.writer_cpu:
        writer_cpu(args.points, args.repeat)
        return
    lines = make_lines(args.points)
    bodies = ["\n".join(lines[i : i + BATCH]).encode() for i in range(0, len(lines), BATCH)]
    line_writes = pieces(lines, STEP)
    text_writes = ["\n".join(piece) for piece in line_writes]
    # the users' shape: a string field (with an escaped quote) and an escaped tag value
    string_lines = make_string_lines(args.points)
    string_bodies = [
        "\n".join(string_lines[i : i + BATCH]).encode() for i in range(0, len(lines), BATCH)
    ]
    string_writes = pieces(string_lines, STEP)

    contenders: dict[str, Contender] = {}
    for n in (1, 2, 4):
        contenders[f"raw aiohttp, {n} in flight"] = lambda s, d, n=n: raw_aiohttp(s, d, bodies, n)
    contenders["aioinflux write(), 1 in flight"] = lambda s, d: ours_write(s, d, bodies)
    for n in (1, 2, 4):
        contenders[f"aioinflux batch_writer, {n} in flight"] = lambda s, d, n=n: ours_writer(
            s, d, line_writes, n
        )
    contenders["aioinflux batch_writer, 4 in flight, one str"] = lambda s, d: ours_writer(
        s, d, text_writes
    )
    contenders[RAW_STRING] = lambda s, d: raw_aiohttp(s, d, string_bodies, 4)
    contenders["aioinflux batch_writer, 4 in flight, string field"] = lambda s, d: ours_writer(
        s, d, string_writes
    )
    string_texts = ["\n".join(piece) for piece in string_writes]
    contenders["aioinflux batch_writer, 4 in flight, one str, string field"] = lambda s, d: (
        ours_writer(s, d, string_texts)
    )
    contenders["aioinflux batch_writer, 4 in flight, gzip"] = lambda s, d: ours_writer(
        s, d, line_writes, gzip=True
    )
    # the on-disk spool: every write() appended to a file before it returns (and with
    # spool_fsync, synced to the disk)
    contenders["aioinflux batch_writer, 4 in flight, spool, string field"] = lambda s, d: (
        ours_writer(s, d, string_writes, spool={})
    )
    contenders["aioinflux batch_writer, 4 in flight, spool+fsync, string field"] = lambda s, d: (
        ours_writer(s, d, string_writes, spool={"spool_fsync": True})
    )
    mappings = make_mappings(args.points)
    mapping_writes = pieces(mappings, STEP)
    contenders["aioinflux batch_writer, 4 in flight, mappings"] = lambda s, d: ours_writer(
        s, d, mapping_writes, measurement="cpu"
    )
    contenders["aioinflux batch_writer, 4 in flight, spool, mappings"] = lambda s, d: ours_writer(
        s, d, mapping_writes, spool={}, measurement="cpu"
    )
    try:
        frame = make_frame(args.points)
        frame_writes = pieces(frame, FRAME_ROWS)
        contenders["aioinflux batch_writer, 4 in flight, DataFrame"] = lambda s, d: ours_writer(
            s, d, frame_writes, measurement="cpu"
        )
        contenders["aioinflux write(DataFrame), 1 request at a time"] = lambda s, d: (
            ours_write_frame(s, d, frame)
        )
        # the same two without polars' columnar encoder (the `fast` extra)
        contenders["aioinflux batch_writer, 4 in flight, DataFrame, pure"] = lambda s, d: pure_path(
            ours_writer(s, d, frame_writes, measurement="cpu")
        )
        contenders["aioinflux write(DataFrame), 1 request at a time, pure"] = lambda s, d: (
            pure_path(ours_write_frame(s, d, frame))
        )
    except ImportError:
        frame = None
        print("(pandas not installed: no DataFrame input)")
    try:
        import influxdb  # noqa: F401

        contenders["influxdb write_points(batch_size=5000)"] = lambda s, d: influxdb_python(
            s, d, lines
        )
    except ImportError:
        print("(influxdb not installed: pip install -r benchmarks/requirements.txt)")

    results: dict[str, float] = {}
    cpu: dict[str, float] = {}  # this process's CPU seconds per point, in the best run
    with InfluxDBServer() as server:
        run = 0
        for _ in range(args.repeat):
            for name, contender in contenders.items():
                run += 1
                db = f"bench{run}"
                server.request(f'CREATE DATABASE "{db}"')
                start, start_cpu = time.perf_counter(), time.process_time()
                outcome = contender(server, db)
                if outcome is not None:
                    asyncio.run(outcome)
                elapsed = time.perf_counter() - start
                used = time.process_time() - start_cpu
                stored = count(server, db)
                assert stored == args.points, f"{name}: {stored} points stored"
                server.request(f'DROP DATABASE "{db}"')
                if args.points / elapsed > results.get(name, 0.0):
                    results[name] = args.points / elapsed
                    cpu[name] = used / args.points
    shares = vs_raw(results)
    print(f"\n{args.points:,} points, {BATCH} lines per request, best of {args.repeat}\n")
    print(f"| {'contender':<58} | {'points/s':>10} | {'vs best raw':>11} | {'CPU/point':>9} |")
    print(f"| {'-' * 58} | {'-' * 10} | {'-' * 11} | {'-' * 9} |")
    for name, rate in results.items():
        print(
            f"| {name:<58} | {rate:>10,.0f} | {shares[name]:>10.0%} | {cpu[name] * 1e6:>6.2f} us |"
        )
    if args.plot:
        chart.save(chart_of(results), args.plot)
    # where the time goes for mapping and DataFrame input: encoding alone, same data
    from aioinflux import serialize

    start = time.perf_counter()
    for i in range(0, len(mappings), 10_000):
        serialize(mappings[i : i + 10_000])
    rate = args.points / (time.perf_counter() - start)
    print(f"\nencoding alone: mappings {rate:,.0f}/s", end="")
    if frame is not None:
        start = time.perf_counter()
        for i in range(0, len(frame), 100_000):
            serialize(frame.iloc[i : i + 100_000], measurement="cpu")
        print(f", DataFrame {args.points / (time.perf_counter() - start):,.0f} rows/s", end="")
    best_raw = max(v for k, v in results.items() if k.startswith("raw") and "string" not in k)
    print(" (best raw sends", f"{best_raw:,.0f}/s)")
    print("\ninfluxdb-client (1.50) cannot write to InfluxDB 1.x before 1.8: its WriteApi posts")
    print("to /api/v2/write, which 1.6 answers 404, and it only logs the errors.")


if __name__ == "__main__":
    main()
