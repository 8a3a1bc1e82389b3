"""Which columnar engine builds lines of line protocol faster: polars or pyarrow.compute.

Run (needs both engines; pyarrow is not a dependency of aioinflux)::

    .venv/bin/pip install polars pyarrow
    .venv/bin/python benchmarks/columnar_engines.py [--rows 200000] [--repeat 3]

Both engines get the same inputs, as the columnar encoder prepares them (tags and string
fields as integer codes into their texts escaped once per distinct value; floats with NaN
gaps, ints, bools and int64 times as numpy arrays) and build the same bytes: one line per row,
``,key=value`` pieces (a missing float left out), ints with ``i``, the time. Printed: rows/s
for each (best of ``--repeat``) and how many lines differ (only in the spelling of a float).

This chose polars for the ``fast`` extra, measured on 2 cores loaded by other work (so the
figures are rough; rerun on a quiet machine): over five runs of this script polars was
faster in three (2.0M vs 1.3M, 3.0M vs 2.6M, 3.2M vs 2.5M rows/s) and slower in two (1.3M vs
1.4M, 2.3M vs 2.6M); on a simpler frame (floats of 6 decades) 3.9-4.2M vs 1.6-2.4M rows/s.
Besides speed: polars DataFrames must be accepted by ``write()`` anyway, polars spells whole
floats as ``repr()`` does (``1.0``; pyarrow ``1``), and installing pyarrow changes the
default string dtype of pandas 3 for the whole program. Not a test.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable

import numpy as np


class Inputs:
    def __init__(self, n: int):
        rng = np.random.default_rng(1)
        self.n = n
        self.floats = rng.normal(size=n) * 10.0 ** rng.integers(-12, 12, n)
        self.floats[rng.random(n) < 0.1] = np.nan
        self.ints = rng.integers(-(10**12), 10**12, n)
        self.bools = rng.random(n) < 0.5
        self.host_codes = rng.integers(0, 200, n).astype(np.uint32)
        self.host_texts = [f"cpu,host=host\\ {i}\\,rack\\={i % 7}" for i in range(200)]
        self.message_codes = rng.integers(0, 1000, n).astype(np.uint32)
        self.message_texts = [f',message="said \\"hi {i}\\" \\\\ ok"' for i in range(1000)]
        self.times = np.arange(n, dtype=np.int64) * 10**6 + 1_700_000_000_000_000_000


def with_polars(d: Inputs) -> bytes:
    import polars as pl

    table = pl.DataFrame(
        {
            "h": pl.Series(d.host_texts).gather(d.host_codes),
            "m": pl.Series(d.message_texts).gather(d.message_codes),
            "f": pl.Series(d.floats, nan_to_null=True),
            "i": d.ints,
            "b": d.bools,
            "t": d.times,
        }
    )
    line = pl.concat_str(
        [
            pl.col("h"),
            pl.lit(" count="),
            pl.col("i").cast(pl.String),
            pl.lit("i"),
            pl.concat_str([pl.lit(",usage="), pl.col("f").cast(pl.String)]),
            pl.col("m"),
            pl.when(pl.col("b")).then(pl.lit(",ok=true")).otherwise(pl.lit(",ok=false")),
            pl.lit(" "),
            pl.col("t").cast(pl.String),
        ],
        ignore_nulls=True,
    )
    out = io.BytesIO()
    table.select(line).write_csv(out, include_header=False, quote_style="never")
    return out.getvalue()


def with_pyarrow(d: Inputs) -> bytes:
    import pyarrow as pa
    import pyarrow.compute as pc

    usage = pc.binary_join_element_wise(
        ",usage=", pc.cast(pa.array(d.floats, from_pandas=True), pa.string()), ""
    )
    lines = pc.binary_join_element_wise(
        pa.array(d.host_texts).take(pa.array(d.host_codes)),
        pc.binary_join_element_wise(" count=", pc.cast(pa.array(d.ints), pa.string()), "i", ""),
        pc.fill_null(usage, ""),
        pa.array(d.message_texts).take(pa.array(d.message_codes)),
        pc.if_else(pa.array(d.bools), ",ok=true", ",ok=false"),
        pc.binary_join_element_wise(" ", pc.cast(pa.array(d.times), pa.string()), ""),
        "\n",
        "",
    )
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return lines.buffers()[2].to_pybytes()[first:last]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inputs = Inputs(args.rows)
    engines: dict[str, Callable[[Inputs], bytes]] = {
        "polars": with_polars,
        "pyarrow": with_pyarrow,
    }
    outputs = {}
    for name, fn in engines.items():
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            outputs[name] = fn(inputs)
            best = min(best, time.perf_counter() - start)
        print(f"{name:<8} {args.rows / best:>12,.0f} rows/s")
    # the engines spell some floats differently (pyarrow: 1, 6.6e+13; polars: 1.0,
    # 66000000000000.0): the same floats, so lines may differ only in the usage field
    pairs = zip(outputs["polars"].split(b"\n"), outputs["pyarrow"].split(b"\n"), strict=True)
    differ = [(a, b) for a, b in pairs if a != b]
    same = all(
        float(a.split(b"usage=")[1].split(b",")[0]) == float(b.split(b"usage=")[1].split(b",")[0])
        for a, b in differ
    )
    print(f"lines spelled differently: {len(differ):,} (float spelling only: {same})")


if __name__ == "__main__":
    main()
