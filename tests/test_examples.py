"""The README's main job (examples/quickstart.py) runs and prints what it wrote."""

from __future__ import annotations

import pytest
from docs_examples import quickstart

pytestmark = pytest.mark.server


def test_quickstart_example_writes_three_ways_and_reads_back():
    out = quickstart()  # run once for this test and tests/test_docs.py
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].startswith("server version: 1.")
    # line protocol (.64, .55), mappings (.71, .49) and the DataFrame (.68, .52), per host
    assert lines[2:10] == [
        "cpu_load_short {'host': 'server01'}",
        "    2009-11-10T23:00:00Z 0.64",
        "    2009-11-10T23:01:00Z 0.71",
        "    2009-11-10T23:02:00Z 0.68",
        "cpu_load_short {'host': 'server02'}",
        "    2009-11-10T23:00:00Z 0.55",
        "    2009-11-10T23:01:00Z 0.49",
        "    2009-11-10T23:02:00Z 0.52",
    ]
    frame = lines[10:]
    assert frame[0].split() == ["host", "region", "value"]
    assert len(frame) == 7
    assert frame[-1].split()[-3:] == ["server02", "us-west", "0.52"]
