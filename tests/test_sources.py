"""Which databases and measurements a query reads (pure: no server)."""

from __future__ import annotations

import pytest

from aioinflux._sources import Source, query_sources

CASES = [
    ("SELECT * FROM m", [Source(None, None, "m")]),
    ("select v from M where time > 0", [Source(None, None, "M")]),
    ("SELECT y FROM b.autogen.n", [Source("b", "autogen", "n")]),
    ("SELECT y FROM b..n", [Source("b", None, "n")]),
    ("SELECT y FROM autogen.n", [Source(None, "autogen", "n")]),
    ('SELECT y FROM "my db"."rp"."m.x"', [Source("my db", "rp", "m.x")]),
    ('SELECT y FROM "a\\"b"', [Source(None, None, 'a"b')]),
    ("SELECT * FROM /cpu.*/", [Source(None, None, "/cpu.*/", regex=True)]),
    ("SELECT * FROM b.autogen./c\\/pu/", [Source("b", "autogen", "/c\\/pu/", regex=True)]),
    (
        "SELECT * FROM m1, b..m2 WHERE x = 'FROM z'",
        [Source(None, None, "m1"), Source("b", None, "m2")],
    ),
    ("SELECT a / 2 FROM m GROUP BY time(1m)", [Source(None, None, "m")]),
    ("SELECT /from/ FROM m", [Source(None, None, "m")]),
    ('SELECT "from" FROM m', [Source(None, None, "m")]),
    (
        "SELECT mean(v) FROM (SELECT v FROM b..n WHERE t =~ /x/) GROUP BY time(1h)",
        [Source("b", None, "n")],
    ),
    (
        "SELECT v FROM m; SELECT w FROM n; SELECT v FROM m",
        [Source(None, None, "m"), Source(None, None, "n")],
    ),
    ("SELECT * INTO b..copy FROM m", [Source(None, None, "m")]),
    ("-- FROM x\nSELECT v /* FROM y */ FROM m", [Source(None, None, "m")]),
    ("SHOW MEASUREMENTS; DROP MEASUREMENT m", []),
    ("SELECT v FROM m -- the end", [Source(None, None, "m")]),
    ('SELECT v FROM "温度", _x1', [Source(None, None, "温度"), Source(None, None, "_x1")]),
    ("SELECT v FROM m WHERE s = 'it\\'s; FROM x'", [Source(None, None, "m")]),
]


@pytest.mark.parametrize(("q", "sources"), CASES)
def test_sources_of_a_query(q, sources):
    assert query_sources(q) == sources


@pytest.mark.parametrize(
    "q", ["SELECT v", "SELECT v FROM", "SELECT v FROM 'm'", 'SELECT "x FROM m']
)
def test_an_unreadable_select_gives_no_sources(q):
    assert query_sources(q) is None
