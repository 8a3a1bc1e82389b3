"""Which databases and measurements a query reads (pure: no server)."""

from __future__ import annotations

import pytest

from aioinflux._sources import Source, kinds_from_keys, query_sources, show_keys_query, tags_only

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


def test_show_keys_query_asks_each_database_read():
    sources = query_sources("SELECT * FROM m, autogen./x/, b..n, b.rp.m")
    assert sources is not None
    q, dbs = show_keys_query(sources, "a")
    assert dbs == ["a", "b"]
    assert q == (
        'SHOW TAG KEYS ON "a" FROM "m", "autogen"./x/; '
        'SHOW FIELD KEYS ON "a" FROM "m", "autogen"./x/; '
        'SHOW TAG KEYS ON "b" FROM "n", "rp"."m"; '
        'SHOW FIELD KEYS ON "b" FROM "n", "rp"."m"'
    )
    assert show_keys_query(query_sources("SELECT * FROM m") or [], None) == ("", [])


def test_kinds_from_keys_never_pick_one_of_two_kinds():
    answer = {
        "results": [
            {"series": [{"name": "m", "columns": ["tagKey"], "values": [["t"], ["both"]]}]},
            {
                "series": [
                    {
                        "name": "m",
                        "columns": ["fieldKey", "fieldType"],
                        "values": [
                            ["f", "float"],
                            ["two", "float"],
                            ["two", "integer"],
                            ["both", "string"],
                        ],
                    }
                ]
            },
            # a second database read, with the same measurement
            {"series": [{"name": "m", "columns": ["tagKey"], "values": [["t"]]}]},
            {
                "series": [
                    {
                        "name": "m",
                        "columns": ["fieldKey", "fieldType"],
                        "values": [["f", "integer"]],
                    }
                ]
            },
        ]
    }
    assert kinds_from_keys(answer) == {"m": {"t": "tag", "both": None, "f": None, "two": None}}
    assert tags_only(kinds_from_keys(answer)) == {"m": {"t": "tag"}}
