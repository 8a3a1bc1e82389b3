"""The DataFrame tables of docs/writing.rst are laid out as benchmarks/bench_dataframes.py
--rst prints them, and the figures in them agree with one another: each ratio is its row's
rate over influxdb-client's, each peak/size its peak over its size. Nothing is timed here.
A cell not measured yet reads "…" and is not checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_examples import load_benchmark

ROOT = Path(__file__).resolve().parent.parent


bench = load_benchmark("bench_dataframes")


def rst_tables(text):
    """Every simple table of ``text``: its rows (the header first), each a list of cells."""
    lines = text.splitlines()
    tables, i = [], 0
    while i < len(lines):
        rule = lines[i]
        if not re.fullmatch(r"=+( +=+)+", rule):
            i += 1
            continue
        starts = [m.start() for m in re.finditer(r"=+", rule)]
        bounds = list(zip(starts, [*starts[1:], None], strict=True))
        rows, rules, i = [], 1, i + 1
        while rules < 3:
            if lines[i] == rule:
                rules += 1
            else:
                rows.append([lines[i][a:b].strip() for a, b in bounds])
            i += 1
        tables.append(rows)
    return tables


PAGE = (ROOT / "docs" / "writing.rst").read_text()


def page_table(first_header):
    (table,) = [t for t in rst_tables(PAGE) if t[0][0] == "encoder" and t[0][1] == first_header]
    return table


ENCODERS = page_table("today rows/s")
STREAM = page_table("rows")


def number(cell):
    return float(cell.rstrip("x").replace(",", ""))


def measured(*cells):
    return "…" not in "".join(cells)


def test_the_encoder_table_is_laid_out_as_the_script_prints_it():
    fake = {name: (1.0 + i, 100, 150) for i, name in enumerate(bench.CONTENDERS)}
    printed = rst_tables(bench.encode_rst(fake, fake))[0]
    assert ENCODERS[0] == printed[0]
    assert [row[0] for row in ENCODERS] == [row[0] for row in printed]


@pytest.mark.parametrize("frame", [0, 1], ids=["today", "mixed"])
def test_each_ratio_is_the_rows_rate_over_influxdb_clients(frame):
    rate, ratio = 1 + 2 * frame, 2 + 2 * frame
    (peer,) = [row for row in ENCODERS if row[0].startswith("influxdb-client")]
    assert peer[ratio] == "1.00x"
    for row in ENCODERS[1:]:
        if measured(row[rate], row[ratio], peer[rate]):
            assert number(row[ratio]) == pytest.approx(
                number(row[rate]) / number(peer[rate]), abs=0.006
            ), row[0]


def test_the_stream_table_is_laid_out_as_the_script_prints_it():
    printed = rst_tables(bench.rst_table(bench.STREAM_HEADER, [["pure", "1", "2", "3", "4"]]))
    assert STREAM[0] == printed[0][0]
    assert {row[0] for row in STREAM[1:]} == {"pure", "columnar"}


def test_the_stream_table_goes_to_ten_million_rows_on_both_paths():
    for path in ("pure", "columnar"):
        rows = [number(row[1]) for row in STREAM[1:] if row[0] == path]
        assert rows == sorted(rows)
        assert rows[-1] == 10_000_000


def test_each_stream_peak_ratio_is_its_peak_over_its_size():
    for row in STREAM[1:]:
        if measured(*row):
            size, peak, ratio = number(row[2]), number(row[3]), number(row[4])
            # both MiB figures are rounded to whole MiB
            assert (peak - 0.5) / (size + 0.5) - 0.0005 <= ratio <= (peak + 0.5) / (size - 0.5)
