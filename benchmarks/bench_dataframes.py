"""DataFrames to line protocol: the pure and the columnar encoder against the peers and a floor.

Run (from the repository root, after ``bash scripts/test.sh`` made .venv, which installs the
``fast`` extra with the ``test`` one)::

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_dataframes.py [--rows 1000000] [--repeat 3]
    .venv/bin/python benchmarks/bench_dataframes.py --rows 0 --stream-rows 10000000

Two frames, each encoded by every contender in this one process:

- ``today``: the frame of ``bench_serialization.py`` (2 str tag columns; float, int, quoted
  str and bool fields);
- ``mixed``: tags that need escaping (a categorical and a str column with spaces, commas and
  ``=``), floats with NaN gaps over many decades, ints, quoted strings with ``"`` and ``\\``,
  bools with gaps.

Contenders: ``aioinflux pure`` (``serialize()`` with the columnar encoder switched off),
``aioinflux columnar`` (``serialize()`` with polars), ``influxdb-client``'s
``DataframeSerializer``, ``influxdb``'s ``DataFrameClient`` conversion, and ``floor`` (no
client: columns to lists, strings escaped once per distinct value, one f-string per row, no
checks; NaN gaps are written as ``nan``, so its output is not even valid).

Printed per contender: rows/s (best of ``--repeat``), the ratio to ``influxdb-client``, the
output size, and the peak growth of the resident memory while encoding once (each contender
in a fresh interpreter, so that one's freed memory does not hide the next one's; polars
allocates outside Python, so ``tracemalloc`` would not see it), also as a multiple of the
output.

``--stream-rows N [N ...]`` writes an N-row ``mixed`` frame to a throwaway influxd with
``client.write()`` on both paths (``--stream-paths`` to choose; each in a fresh interpreter)
and prints the time, the points stored, the size of the line protocol sent, and the peak
growth of the resident memory while it streams, also as a multiple of that size. Several
row counts show whether memory stays flat as the frame grows::

    .venv/bin/python benchmarks/bench_dataframes.py --rows 0 \\
        --stream-rows 1000000 2000000 5000000 10000000

``--profile`` prints where the columnar encoder's CPU time goes instead (cProfile of one
``serialize()`` per frame, summed by phase: the up-front check, tag codes, field columns,
combinations, the polars query with its CSV writer); CPU time, so it can guide work on a
busy machine::

    .venv/bin/python benchmarks/bench_dataframes.py --profile [--rows 1000000]

``--plot FILE.svg`` draws the ratios of the encoders (each frame's rows/s against
``influxdb-client``'s) as a bar chart (see ``chart.py``; ``--from-json`` draws a saved run).

Numbers drift between runs and machines: compare the ratios of one run, on a quiet machine.
Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

import chart
from bench_serialization import floor_frame as floor_today
from bench_serialization import make_frame as make_today

from aioinflux import serialize
from aioinflux.serialization import columnar

MiB = 1 << 20


def make_mixed(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    usage = rng.random(n) * 10.0 ** rng.integers(-12, 12, n)
    usage[rng.random(n) < 0.1] = np.nan
    ok = pd.array(rng.random(n) > 0.5, dtype="boolean")
    ok[rng.random(n) < 0.05] = pd.NA
    return pd.DataFrame(
        {
            "host": pd.Categorical.from_codes(
                rng.integers(0, 200, n), [f"host {i},rack={i % 7}" for i in range(200)]
            ),
            "region": np.array([f"eu west={i}" for i in range(8)], dtype=object)[
                rng.integers(0, 8, n)
            ],
            "usage": usage,
            "count": rng.integers(-(10**12), 10**12, n),
            "message": np.array([f'said "hi {i}" \\ ok' for i in range(1000)], dtype=object)[
                rng.integers(0, 1000, n)
            ],
            "ok": ok,
        },
        index=pd.date_range("2023-11-14", periods=n, freq="ms", unit="us"),
    ).astype({"region": "str", "message": "str"})


FRAMES = {"today": (make_today, ["host", "region"]), "mixed": (make_mixed, ["region"])}


def pure(df: pd.DataFrame, tags: list[str]) -> bytes:
    columnar.ENABLED = False
    try:
        return serialize(df, measurement="cpu", tag_columns=tags)
    finally:
        columnar.ENABLED = True


def fast(df: pd.DataFrame, tags: list[str]) -> bytes:
    if not columnar.available():
        raise ImportError("polars is not installed: pip install 'aioinflux[fast]'")
    return serialize(df, measurement="cpu", tag_columns=tags)


def influxdb_client(df: pd.DataFrame, tags: list[str]) -> bytes:
    from influxdb_client import WritePrecision
    from influxdb_client.client.write.dataframe_serializer import DataframeSerializer
    from influxdb_client.client.write_api import PointSettings

    serializer = DataframeSerializer(
        df,
        PointSettings(),
        precision=WritePrecision.NS,
        data_frame_measurement_name="cpu",
        data_frame_tag_columns=tags,
    )
    return "\n".join(serializer.serialize()).encode()


def influxdb(df: pd.DataFrame, tags: list[str]) -> bytes:
    from influxdb import DataFrameClient

    lines = DataFrameClient()._convert_dataframe_to_lines(df, "cpu", tag_columns=tags)
    return "\n".join(lines).encode()


def floor_mixed(df: pd.DataFrame) -> bytes:
    def escaped(column: str, tag: bool) -> list[str]:
        codes, uniques = pd.factorize(df[column])
        if tag:
            texts = [u.replace(",", "\\,").replace(" ", "\\ ").replace("=", "\\=") for u in uniques]
        else:
            texts = ['"' + u.replace("\\", "\\\\").replace('"', '\\"') + '"' for u in uniques]
        return np.array(texts, dtype=object)[codes].tolist()  # type: ignore[no-any-return]

    host, region, message = (
        escaped("host", True),
        escaped("region", True),
        escaped("message", False),
    )
    usage, count = df["usage"].tolist(), df["count"].tolist()
    ok = df["ok"].astype(object).tolist()
    times = df.index.asi8.tolist()
    lines = [
        f"cpu,host={h},region={r} usage={u},count={c}i,message={m},ok={o} {t}"
        for h, r, u, c, m, o, t in zip(host, region, usage, count, message, ok, times, strict=True)
    ]
    return "\n".join(lines).encode()


def floor(df: pd.DataFrame, tags: list[str]) -> bytes:
    return floor_mixed(df) if "message" in df else floor_today(df)


CONTENDERS: dict[str, Callable[[pd.DataFrame, list[str]], bytes]] = {
    "aioinflux pure": pure,
    "aioinflux columnar": fast,
    "influxdb-client": influxdb_client,
    "influxdb": influxdb,
    "floor": floor,
}


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def peak_growth(fn: Callable[[], Any]) -> int:
    """The peak growth of this process's resident memory while ``fn()`` runs once."""
    gc.collect()
    base = peak = rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.005):
            peak = max(peak, rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out = fn()
        peak = max(peak, rss())
        del out
    finally:
        done.set()
        sampler.join()
    return peak - base


def in_child(*args: str) -> str:
    """Run this script with ``args`` in a fresh interpreter (one measurement's memory must
    not be hidden by another's freed memory; and polars must not be forked) and return what
    it printed."""
    command = [sys.executable, __file__, *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def child_encode(contender: str, frame: str, rows: int) -> None:
    make, tags = FRAMES[frame]
    df = make(rows)
    fn = CONTENDERS[contender]
    if contender == "aioinflux columnar":
        fn(df.iloc[:10], tags)  # import polars before measuring: a fixed cost, not per row
    print(peak_growth(lambda: fn(df, tags)))


Results = dict[str, tuple[float, int, int]]  # contender: (rows/s, output bytes, peak growth)


def run(name: str, rows: int, repeat: int) -> Results:
    make, tags = FRAMES[name]
    df = make(rows)
    print(f"\nDataFrame '{name}' ({rows:,} rows, best of {repeat})")
    results: Results = {}
    for contender, fn in CONTENDERS.items():
        best, size = float("inf"), 0
        try:
            for _ in range(repeat):
                gc.collect()
                start = time.perf_counter()
                out = fn(df, tags)
                best = min(best, time.perf_counter() - start)
                size = len(out)
                del out
        except ImportError as exc:
            print(f"  {contender}: skipped ({exc})")
            continue
        growth = int(in_child("--child-encode", contender, name, str(rows)))
        results[contender] = (rows / best, size, growth)
    peer = results.get("influxdb-client", (None,))[0]
    print(
        f"  {'contender':<20}{'rows/s':>12}{'x influxdb-client':>19}{'output MiB':>12}"
        f"{'peak MiB':>10}{'peak/output':>13}"
    )
    for contender, (rate, size, growth) in results.items():
        ratio = f"{rate / peer:.2f}" if peer else "-"
        print(
            f"  {contender:<20}{rate:>12,.0f}{ratio:>19}{size / MiB:>12.1f}"
            f"{growth / MiB:>10.1f}{growth / size:>13.2f}"
        )
    return results


#: The rows of the writing page's table (docs/writing.rst), in its order and words.
DOC_NAMES = {
    "aioinflux columnar": "aioinflux, columnar (``fast`` extra)",
    "aioinflux pure": "aioinflux, pure Python",
    "influxdb-client": "influxdb-client ``DataframeSerializer``",
    "influxdb": "influxdb ``DataFrameClient``",
    "floor": "floor (no client, no checks)",
}


def rst_table(header: list[str], rows: list[list[str]]) -> str:
    """A reStructuredText simple table: the first column left-aligned, as written."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    rule = "  ".join("=" * width for width in widths)
    lines = [rule, "  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)), rule]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in [*lines, rule])


def encode_rst(today: Results, mixed: Results) -> str:
    """The writing page's table of one run of both frames."""
    rows = []
    for contender, label in DOC_NAMES.items():
        cells = [label]
        for results in (today, mixed):
            rate = results.get(contender, (0.0,))[0]
            peer = results.get("influxdb-client", (0.0,))[0]
            cells += [f"{rate:,.0f}" if rate else "-", f"{rate / peer:.2f}x" if peer else "-"]
        peaks = [
            f"{r[contender][2] / r[contender][1]:.2f}" if contender in r else "-"
            for r in (today, mixed)
        ]
        rows.append([*cells, " / ".join(peaks)])
    header = ["encoder", "today rows/s", "ratio", "mixed rows/s", "ratio", "peak / output"]
    return rst_table(header, rows)


def chart_of(results: dict[str, Results], rows: int) -> chart.Chart:
    """The bar chart of a run: each encoder's rows/s over influxdb-client's, per frame
    (over the floor's when influxdb-client is not installed)."""
    basis = "influxdb-client" if all("influxdb-client" in r for r in results.values()) else "floor"
    groups = []
    for frame, by_contender in results.items():
        base = by_contender[basis][0]
        bars = [
            (DOC_NAMES[name].replace("``", ""), by_contender[name][0] / base)
            for name in DOC_NAMES
            if name in by_contender
        ]
        groups.append((f"the {frame!r} frame", bars))
    return chart.this_run(
        f"DataFrame to line protocol, {rows:,} rows",
        f"rows/s as a multiple of {DOC_NAMES[basis].replace('``', '')}'s (1.00x, dashed)",
        groups,
    )


def profile(name: str, rows: int) -> None:
    """Where the columnar encoder's CPU time goes on one frame: cProfile (timed with
    process_time, so polars' threads count) of one ``serialize()``, summed by phase."""
    import cProfile
    import pstats

    from aioinflux.serialization import _plan

    phases = {
        "check (whole frame, up front)": _plan.FramePlan.__init__,
        "tag codes (kept from the check)": _plan.FramePlan.tag_codes,
        "field columns (pandas -> numpy)": columnar._fields,
        "combinations of tags and folded fields": _plan.combination_codes,
        "polars query and CSV writer": columnar._sink,
    }
    keys = {
        label: (fn.__code__.co_filename, fn.__code__.co_firstlineno, fn.__code__.co_name)
        for label, fn in phases.items()
    }
    make, tags = FRAMES[name]
    df = make(rows)
    fast(df.iloc[:10], tags)
    profiler = cProfile.Profile(time.process_time)
    start = time.process_time()
    profiler.runcall(fast, df, tags)
    total = time.process_time() - start
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    print(f"\nCPU of the columnar encoder, '{name}' frame ({rows:,} rows, one run, cProfile)")
    spent = 0.0
    for label, key in keys.items():
        seconds = stats[key][3] if key in stats else 0.0  # cumulative time
        spent += seconds
        print(f"  {label:<42}{seconds:>8.3f} s{seconds / total:>7.0%}")
    print(f"  {'the rest':<42}{total - spent:>8.3f} s{(total - spent) / total:>7.0%}")
    print(f"  {'total':<42}{total:>8.3f} s")


def child_stream(path: str, rows: int) -> None:
    from aioinflux.serialization.dataframe import serialize_dataframe
    from aioinflux.testing import InfluxDBServer

    columnar.ENABLED = path == "columnar"
    df = make_mixed(rows)
    serialize(df.iloc[:10], measurement="cpu", tag_columns=["region"])  # imports done
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "bench"')

        async def write() -> None:
            async with server.client(db="bench", timeout=3600) as client:
                await client.write(df, measurement="cpu", tag_columns=["region"])

        start = time.perf_counter()
        growth = peak_growth(lambda: asyncio.run(write()))
        seconds = time.perf_counter() - start
        count = server.request('SELECT count("count") FROM cpu', db="bench")
        stored = count["results"][0]["series"][0]["values"][0][1]
    # the size of what was sent: the same encoder again, a slice at a time
    size = sum(map(len, serialize_dataframe(df, measurement="cpu", tag_columns=["region"])))
    print(seconds, stored, growth, size)


STREAM_HEADER = ["encoder", "rows", "line protocol MiB", "peak MiB", "peak / line protocol"]


def stream(counts: list[int], paths: list[str], rst: bool) -> None:
    print(
        "\nWriting the 'mixed' DataFrame to influxd with client.write(), each in a fresh "
        "interpreter\n(peak: the growth of the resident memory while writing, the frame "
        "itself made before)"
    )
    print(
        f"  {'path':<10}{'rows':>12}{'seconds':>9}{'rows/s':>11}{'stored':>12}"
        f"{'LP MiB':>10}{'peak MiB':>10}{'peak/LP':>9}"
    )
    table = []
    for rows in counts:
        for path in paths:
            seconds, stored, growth, size = in_child("--child-stream", path, str(rows)).split()
            print(
                f"  {path:<10}{rows:>12,}{float(seconds):>9.1f}{rows / float(seconds):>11,.0f}"
                f"{int(stored):>12,}{int(size) / MiB:>10,.1f}{int(growth) / MiB:>10,.1f}"
                f"{int(growth) / int(size):>9.3f}",
                flush=True,
            )
            table.append(
                [
                    path,
                    f"{rows:,}",
                    f"{int(size) / MiB:,.0f}",
                    f"{int(growth) / MiB:,.0f}",
                    f"{int(growth) / int(size):.3f}",
                ]
            )
    if rst:
        print("\n" + rst_table(STREAM_HEADER, table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--frames", nargs="*", default=list(FRAMES), choices=list(FRAMES))
    parser.add_argument("--stream-rows", type=int, nargs="*", default=[])
    parser.add_argument(
        "--stream-paths", nargs="*", default=["pure", "columnar"], choices=["pure", "columnar"]
    )
    parser.add_argument(
        "--rst", action="store_true", help="also print the tables of docs/writing.rst"
    )
    parser.add_argument(
        "--profile", action="store_true", help="the columnar encoder's CPU time by phase"
    )
    chart.add_arguments(parser)
    parser.add_argument("--child-encode", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--child-stream", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if chart.from_json_only(args):
        return
    if args.child_encode:
        contender, frame, rows = args.child_encode
        child_encode(contender, frame, int(rows))
        return
    if args.child_stream:
        child_stream(args.child_stream[0], int(args.child_stream[1]))
        return
    if args.profile:
        for name in args.frames:
            profile(name, args.rows or 1_000_000)
        return
    if args.rows:
        results = {name: run(name, args.rows, args.repeat) for name in args.frames}
        if args.rst and results.keys() == FRAMES.keys():
            print("\n" + encode_rst(results["today"], results["mixed"]))
        if args.plot:
            chart.save(chart_of(results, args.rows), args.plot)
    if any(args.stream_rows):
        stream([rows for rows in args.stream_rows if rows], args.stream_paths, args.rst)


if __name__ == "__main__":
    main()
