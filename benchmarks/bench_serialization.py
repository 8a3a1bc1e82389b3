"""Line-protocol encoding speed and memory: aioinflux against the peers and a floor.

Run (from the repository root, after ``bash scripts/test.sh`` made .venv)::

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_serialization.py [--mappings 100000] [--objects 100000]
        [--rows 1000000] [--repeat 3] [--stream-rows 0] [--split 0]

and for the 10M-row streaming figure alone::

    .venv/bin/python benchmarks/bench_serialization.py --mappings 0 --rows 0 \\
        --stream-rows 10000000

Encodes the same data with every contender in this one process and prints, per contender,
the best of ``--repeat`` runs (points/s), the ratio to the fastest peer, and the peak memory
traced (``tracemalloc``, in a separate run, since tracing slows everything down) next to
the size of the output. ``--stream-rows N`` also writes an N-row frame (10,000,000 in the
issue) to a throwaway influxd with ``client.write()`` and reports the process's resident
memory growth while it streams. Numbers drift between runs and machines (2 shared cores
here): compare the ratios of one run. Not a test: nothing here asserts a speed.

``--split N`` times what a write does beyond encoding, for N mappings (a string field with
``"`` in every third point) and an N-row DataFrame: the bodies of ``write()`` (cut at 16 MiB),
the counted bodies of ``write(progress=...)`` and the lines of the batch writer, each beside
the way they were made before lines were split where they are made (the whole body
serialized, then scanned line by line as influxd splits text: ``split_lines(serialize())``).
For the lead's before/after figures, one run::

    .venv/bin/python benchmarks/bench_serialization.py --mappings 0 --rows 0 --split 1000000

``--plot FILE.svg`` draws the "x peer" ratios of both tables as a bar chart (see
``chart.py``; ``--from-json`` draws a saved run).

Contenders:
- ``aioinflux``: ``serialize()`` (full escaping and validation), with the compiled encoders
  where they are built (``aioinflux.__extensions__``); on the pure implementation a list of
  mappings alike is encoded column by column, in chunks of 1024 points;
- ``aioinflux, pure``: the same call on the pure implementations (as with
  ``AIOINFLUX_NO_EXTENSIONS=1``): without the compiled encoders;
- ``aioinflux per point`` (mappings; a reference, not a contender): the same points given
  as a generator, which ``serialize()`` encodes point by point in Python;
- ``influxdb``: ``line_protocol.make_lines`` / ``DataFrameClient``'s conversion;
- ``influxdb-client``: ``Point.from_dict(...).to_line_protocol()`` / ``DataframeSerializer``
  (for dataclasses: ``Point.from_dict(asdict(obj), record_...=...)``, as its write API
  does with a dataclass record);
- ``floor``: no client; mappings: a plain f-string per point, no escaping or checks;
  frames: columns to lists, strings escaped once per distinct value (factorize), one
  f-string per row.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

import chart

from aioinflux import serialize
from aioinflux.serialization.usertype import BOOL, FLOAT, INT, STR, TAG, TIMEINT, lineprotocol

MiB = 1 << 20
BASE_NS = 1_700_000_000_000_000_000


# --- data --------------------------------------------------------------------------------


def make_mappings(n: int) -> list[dict[str, Any]]:
    return [
        {
            "measurement": "cpu",
            "time": BASE_NS + i * 1000,
            "tags": {"host": f"host{i % 100}", "region": f"region {i % 5}"},
            "fields": {
                "usage": i * 0.25,
                "count": i,
                "ok": bool(i % 2),
                "status": "ok" if i % 3 else 'warn "x"',
            },
        }
        for i in range(n)
    ]


def make_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "host": np.array([f"host{i}" for i in range(100)], dtype=object)[
                rng.integers(0, 100, n)
            ],
            "region": np.array([f"region {i}" for i in range(5)], dtype=object)[
                rng.integers(0, 5, n)
            ],
            "usage": rng.random(n) * 100,
            "count": rng.integers(0, 1_000_000, n),
            "status": np.array(["ok", "warn", 'bad "x"'], dtype=object)[rng.integers(0, 3, n)],
            "ok": rng.random(n) > 0.5,
        },
        index=pd.date_range("2023-11-14", periods=n, freq="ms", unit="ns"),
    ).astype({"host": "str", "region": "str", "status": "str"})


TAGS = ["host", "region"]


# --- contenders: mappings ------------------------------------------------------------------


def ours_mappings(points: list[dict[str, Any]]) -> bytes:
    return serialize(points)


def ours_mappings_per_point(points: list[dict[str, Any]]) -> bytes:
    return serialize(iter(points))


def pure(encode: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """``encode`` on the pure implementations (as with AIOINFLUX_NO_EXTENSIONS=1)."""
    from aioinflux.serialization import _textcheck, mapping, usertype

    modules = (mapping, usertype, _textcheck)

    def run(data: Any) -> bytes:
        saved = [module._COMPILED for module in modules]
        for module in modules:
            module._COMPILED = None  # type: ignore[attr-defined]
        try:
            return encode(data)
        finally:
            for module, compiled in zip(modules, saved, strict=True):
                module._COMPILED = compiled  # type: ignore[attr-defined]

    return run


def influxdb_mappings(points: list[dict[str, Any]]) -> bytes:
    from influxdb.line_protocol import make_lines

    return make_lines({"points": points}).encode()


def influxdb_client_mappings(points: list[dict[str, Any]]) -> bytes:
    from influxdb_client import Point, WritePrecision

    return "\n".join(
        Point.from_dict(p, write_precision=WritePrecision.NS).to_line_protocol() for p in points
    ).encode()


def floor_mappings(points: list[dict[str, Any]]) -> bytes:
    lines = []
    for p in points:
        t, f = p["tags"], p["fields"]
        lines.append(
            f"{p['measurement']},host={t['host']},region={t['region']} usage={f['usage']},"
            f'count={f["count"]}i,ok={f["ok"]},status="{f["status"]}" {p["time"]}'
        )
    return "\n".join(lines).encode()


# --- contenders: @lineprotocol objects -----------------------------------------------------


@lineprotocol(name="cpu")
@dataclasses.dataclass
class Cpu:
    """The mappings' points as a @lineprotocol dataclass."""

    host: TAG
    region: TAG
    usage: FLOAT
    count: INT
    ok: BOOL
    status: STR
    time: TIMEINT


def make_objects(n: int) -> list[Cpu]:
    return [
        Cpu(p["tags"]["host"], p["tags"]["region"], **p["fields"], time=p["time"])
        for p in make_mappings(n)
    ]


def ours_objects(objects: list[Cpu]) -> bytes:
    return serialize(objects)


def influxdb_client_objects(objects: list[Cpu]) -> bytes:
    # what influxdb-client's write API does with a dataclass record
    from influxdb_client import Point, WritePrecision

    keys = {
        "record_measurement_name": "cpu",
        "record_tag_keys": ["host", "region"],
        "record_field_keys": ["usage", "count", "ok", "status"],
        "record_time_key": "time",
    }
    return "\n".join(
        Point.from_dict(
            dataclasses.asdict(o), write_precision=WritePrecision.NS, **keys
        ).to_line_protocol()
        for o in objects
    ).encode()


def floor_objects(objects: list[Cpu]) -> bytes:
    return "\n".join(
        f"cpu,host={o.host},region={o.region} usage={o.usage},count={o.count}i,ok={o.ok},"
        f'status="{o.status}" {o.time}'
        for o in objects
    ).encode()


# --- contenders: DataFrames ----------------------------------------------------------------


def ours_frame(df: pd.DataFrame) -> bytes:
    return serialize(df, measurement="cpu", tag_columns=TAGS)


def influxdb_frame(df: pd.DataFrame) -> bytes:
    from influxdb import DataFrameClient

    lines = DataFrameClient()._convert_dataframe_to_lines(df, "cpu", tag_columns=TAGS)
    return "\n".join(lines).encode()


def influxdb_client_frame(df: pd.DataFrame) -> bytes:
    from influxdb_client import WritePrecision
    from influxdb_client.client.write.dataframe_serializer import DataframeSerializer
    from influxdb_client.client.write_api import PointSettings

    serializer = DataframeSerializer(
        df,
        PointSettings(),
        precision=WritePrecision.NS,
        data_frame_measurement_name="cpu",
        data_frame_tag_columns=TAGS,
    )
    return "\n".join(serializer.serialize()).encode()


def floor_frame(df: pd.DataFrame) -> bytes:
    def escaped(column: str, tag: bool) -> list[str]:
        codes, uniques = pd.factorize(df[column])
        if tag:
            texts = [u.replace(",", "\\,").replace(" ", "\\ ").replace("=", "\\=") for u in uniques]
        else:
            texts = ['"' + u.replace("\\", "\\\\").replace('"', '\\"') + '"' for u in uniques]
        return np.array(texts, dtype=object)[codes].tolist()  # type: ignore[no-any-return]

    host, region, status = escaped("host", True), escaped("region", True), escaped("status", False)
    usage, count = df["usage"].tolist(), df["count"].tolist()
    ok = np.array(["false", "true"], dtype=object)[df["ok"].to_numpy().astype(np.intp)].tolist()
    times = df.index.asi8.tolist()
    lines = [
        f"cpu,host={h},region={r} usage={u},count={c}i,status={s},ok={o} {t}"
        for h, r, u, c, s, o, t in zip(host, region, usage, count, status, ok, times, strict=True)
    ]
    return "\n".join(lines).encode()


# --- measuring -----------------------------------------------------------------------------


def best_time(fn: Callable[[Any], bytes], data: Any, repeat: int) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn(data)
        best = min(best, time.perf_counter() - start)
        size = len(out)
        del out
    return best, size


def peak_memory(fn: Callable[[Any], bytes], data: Any) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        out = fn(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del out
    return peak


def run_table(
    title: str, contenders: dict[str, Callable[[Any], bytes]], data: Any, n: int, repeat: int
) -> tuple[str, list[tuple[str, float]]]:
    """Run and print one table; its "x peer" ratios for the chart ("x floor" when no peer
    is installed), and which of the two they are."""
    print(f"\n{title} ({n:,} points, best of {repeat})")
    results = {}
    for name, fn in contenders.items():
        try:
            seconds, size = best_time(fn, data, repeat)
            peak = peak_memory(fn, data)
        except ImportError as exc:
            print(f"  {name}: skipped ({exc})")
            continue
        results[name] = (n / seconds, size, peak)
    peers = [rate for name, (rate, _, _) in results.items() if name.startswith("influxdb")]
    fastest_peer = max(peers) if peers else None
    floor = results.get("floor", (None,))[0]
    print(
        f"  {'contender':<20}{'points/s':>12}{'x peer':>9}{'x floor':>9}"
        f"{'output MiB':>12}{'peak MiB':>10}{'peak/output':>13}"
    )
    for name, (rate, size, peak) in results.items():
        vs_peer = f"{rate / fastest_peer:.2f}" if fastest_peer else "-"
        vs_floor = f"{rate / floor:.2f}" if floor else "-"
        print(
            f"  {name:<20}{rate:>12,.0f}{vs_peer:>9}{vs_floor:>9}"
            f"{size / MiB:>12.1f}{peak / MiB:>10.1f}{peak / size:>13.2f}"
        )
    basis, base = ("the fastest peer", fastest_peer) if fastest_peer else ("the floor", floor)
    if base is None:
        return basis, []
    return basis, [(name, rate / base) for name, (rate, _, _) in results.items()]


def run_split(n: int, repeat: int) -> None:
    """Bodies and lines of a write, now and as before (serialize, then scan the body)."""
    from aioinflux import serialization as ser
    from aioinflux.serialization.lines import Lines, bodies, split_lines

    def total(pieces: Any) -> bytes:
        return b"x" * sum(len(p) for p in pieces)

    def streamed(d: Any) -> bool:  # a frame the write streamed before too (no scan)
        return isinstance(d, pd.DataFrame) and len(d) > 100_000

    def requests(d: Any, max_lines: int | None) -> Any:
        return (body.body for body, _ in ser.write_lines(d, **kw).requests(max_lines))

    def scanned(d: Any, max_lines: int | None) -> Any:
        return (p.body for p in bodies(Lines.of(split_lines(serialize(d, **kw))), max_lines))

    kw: dict[str, Any] = {}
    ways: dict[str, Callable[[Any], bytes]] = {
        "write() bodies, now": lambda d: total(requests(d, None)),
        "write() bodies, before": lambda d: total(
            requests(d, None) if streamed(d) else scanned(d, None)
        ),
        "progress bodies, now": lambda d: total(requests(d, 100_000)),
        "progress bodies, before": lambda d: total(
            requests(d, 100_000) if streamed(d) else scanned(d, 100_000)
        ),
        "writer lines, now": lambda d: total(
            line for lines, _ in ser.write_lines(d, **kw) for line in lines.lines()
        ),
        "writer lines, before": lambda d: total(split_lines(serialize(d, **kw))),
    }
    for title, data in (
        ("Mappings, a '\"' in every third", make_mappings(n)),
        ("DataFrame, string fields", make_frame(n)),
    ):
        if isinstance(data, pd.DataFrame):
            kw.update(measurement="cpu", tag_columns=TAGS)
        print(f"\nLines and bodies of a write: {title} ({n:,} points, best of {repeat})")
        print(f"  {'way':<26}{'seconds':>10}{'MiB':>8}")
        for name, fn in ways.items():
            seconds, size = best_time(fn, data, repeat)
            print(f"  {name:<26}{seconds:>10.3f}{size / MiB:>8.1f}")
        del data


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def stream_to_server(rows: int) -> None:
    from aioinflux.testing import InfluxDBServer

    print(f"\nStreaming a {rows:,}-row DataFrame to influxd with client.write()")
    df = make_frame(rows)
    gc.collect()
    base = rss()
    peak = base
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, rss())

    sampler = threading.Thread(target=sample, daemon=True)
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "bench"')

        async def write() -> None:
            async with server.client(db="bench", timeout=3600) as client:
                await client.write(df, measurement="cpu", tag_columns=TAGS)

        sampler.start()
        start = time.perf_counter()
        asyncio.run(write())
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        count = server.request('SELECT count("usage") FROM cpu', db="bench")
        stored = count["results"][0]["series"][0]["values"][0][1]
    print(
        f"  frame: {df.memory_usage(deep=True).sum() / MiB:,.0f} MiB; written in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s, server included); stored {stored:,} points"
    )
    print(f"  resident memory growth while streaming: {(peak - base) / MiB:,.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mappings", type=int, default=100_000)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stream-rows", type=int, default=0)
    parser.add_argument("--split", type=int, default=0)
    chart.add_arguments(parser)
    args = parser.parse_args()
    if chart.from_json_only(args):
        return

    groups: list[tuple[str, list[tuple[str, float]]]] = []
    points = make_mappings(args.mappings)
    if args.mappings:
        basis, ratios = run_table(
            "Mappings (2 tags; float, int, bool, str fields; int ns time)",
            {
                "aioinflux": ours_mappings,
                "aioinflux, pure": pure(ours_mappings),
                "aioinflux per point": ours_mappings_per_point,
                "influxdb": influxdb_mappings,
                "influxdb-client": influxdb_client_mappings,
                "floor": floor_mappings,
            },
            points,
            args.mappings,
            args.repeat,
        )
        groups.append((f"{args.mappings:,} mappings, against {basis}", ratios))
    del points
    if args.objects:
        basis, ratios = run_table(
            "@lineprotocol dataclasses (the same points)",
            {
                "aioinflux": ours_objects,
                "aioinflux, pure": pure(ours_objects),
                "influxdb-client": influxdb_client_objects,
                "floor": floor_objects,
            },
            make_objects(args.objects),
            args.objects,
            args.repeat,
        )
        groups.append((f"{args.objects:,} @lineprotocol objects, against {basis}", ratios))
    df = make_frame(args.rows)
    if args.rows:
        basis, ratios = run_table(
            "DataFrame (2 tag columns; float, int, str, bool fields)",
            {
                "aioinflux": ours_frame,
                "influxdb": influxdb_frame,
                "influxdb-client": influxdb_client_frame,
                "floor": floor_frame,
            },
            df,
            args.rows,
            args.repeat,
        )
        groups.append((f"a {args.rows:,}-row DataFrame, against {basis}", ratios))
    del df
    if args.plot and any(bars for _, bars in groups):
        chart.save(
            chart.this_run(
                "Encoding line protocol",
                "points/s as a multiple of the fastest peer's, or of the floor's without "
                "peers (1.00x, dashed)",
                [(title, bars) for title, bars in groups if bars],
            ),
            args.plot,
        )
    if args.stream_rows:
        stream_to_server(args.stream_rows)
    if args.split:
        run_split(args.split, args.repeat)


if __name__ == "__main__":
    main()
