"""The SHOW statements the client sends for itself, and their answers parsed (pure)."""

from __future__ import annotations

from aioinflux._show import kinds_from_keys, show_keys_query, tag_info, tags_only
from aioinflux._sources import query_sources


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


def test_tag_info_lists_every_measurement_with_its_tags():
    answer = {
        "results": [
            {"series": [{"name": "measurements", "columns": ["name"], "values": [["a"], ["b"]]}]},
            {
                "series": [
                    {"name": "a", "columns": ["key", "value"], "values": [["h", "1"], ["h", "2"]]}
                ]
            },
        ]
    }
    assert tag_info(answer) == {"a": {"h": ["1", "2"]}, "b": {}}
    assert tag_info({"results": [{}, {}]}) == {}
