"""The one InfluxQL tokenizer: where statements, quotes, regexes and comments end, as influxd
reads them (pure cases, then the same cases sent to a real server)."""

from __future__ import annotations

import pytest

from aioinflux import InfluxDBQueryError
from aioinflux._influxql import IDENT, OP, QIDENT, REGEX, STRING, scan
from aioinflux._protocol import msgpack_suits, read_only
from aioinflux._sources import Source, query_sources
from aioinflux.queries import Pattern

#: (query, the number of statements influxd 1.6.7 runs, or None where it refuses to parse
#: the query); test_the_server_reads_each_query_as_the_tokenizer_does sends each one.
STATEMENTS = [
    # a quote inside a regex is a character of the regex, not the start of a string
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /it's/; SHOW DATABASES", 2),
    ('SHOW MEASUREMENTS WITH MEASUREMENT =~ /"/; SHOW DATABASES; SELECT * FROM "\'"', 3),
    # a ';' inside a regex, a string, a quoted identifier or a comment ends no statement
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /a;b/", 1),
    ("SELECT * FROM m WHERE s = 'a;b'; SHOW DATABASES", 2),
    ('SELECT * FROM "a;b"', 1),
    ("-- a; b\nSHOW DATABASES", 1),
    ("-- a; b\rSHOW DATABASES", 1),  # a CR ends a line comment too
    ("/* a; b */ SHOW DATABASES", 1),
    ("SHOW DATABASES; -- x; y", 1),
    ("SELECT v FROM m WHERE v = 1--2; SHOW DATABASES", 1),  # '--' starts a comment anywhere
    ("SELECT v FROM m WHERE \"a--b\" = 'c--d'; SHOW DATABASES", 2),
    # '\\/' does not end a regex: influxd reads a backslash, then an escaped '/'
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /a\\\\/ ; SHOW DATABASES /", 1),
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /a\\\\/ ; SHOW DATABASES", None),
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /a\\/;b/", 1),
    ("SELECT * FROM m WHERE s = 'it\\'s; x'; SHOW DATABASES", 2),
    # where no regex may start, '/' divides and '/*' starts a comment
    ("SELECT v / 2 FROM m; SELECT v /2 FROM m", 2),
    ("SELECT * FROM m WHERE v = /* ; */ 1; SHOW DATABASES", 2),
    ("SELECT v /* ; */ FROM m", 1),
    # where one may (after =~ !~ , . ( SELECT FROM BY), '/' starts a regex
    ("SELECT mean(/;/) FROM m; SELECT /;/ FROM m GROUP BY /;/", 2),
    ("SELECT * FROM autogen.m, /;/ WHERE h !~ /;/", 1),
    # what influxd cannot read: a line break inside quotes or a regex, no end
    ("SELECT * FROM m WHERE s = 'a\nb'", None),
    ('SELECT * FROM "a\rb"', None),
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /a\nb/", None),
    ("SELECT * FROM m WHERE s = 'a", None),
    ("SELECT * FROM m /* x", None),
]


@pytest.mark.parametrize(("q", "statements"), STATEMENTS)
def test_statements_end_where_influxd_ends_them(q, statements):
    query = scan(q)
    if statements is None:
        assert query.error is not None
    else:
        assert query.error is None
        assert len(query.statements) == statements


def test_tokens_keep_quoted_text_and_regexes_whole():
    (tokens,) = scan(
        "SELECT \"a\\\"b\" FROM /c\\/d/ WHERE s = 'it\\'s' AND t =~ /x\\\\/y/"
    ).statements
    assert (QIDENT, 'a"b') in tokens
    assert (REGEX, "/c\\/d/") in tokens
    assert (STRING, "it's") in tokens
    assert (REGEX, "/x\\\\/y/") in tokens
    assert (OP, "=~") in tokens
    assert [text for kind, text in tokens if kind == IDENT] == [
        "SELECT",
        "FROM",
        "WHERE",
        "s",
        "AND",
        "t",
    ]


@pytest.mark.parametrize(
    ("text", "open_", "escaped"),
    [
        ("SELECT * FROM m WHERE s = 'a", "string", False),
        ("SELECT * FROM m WHERE s = 'a\\", "string", True),
        ('SELECT * FROM "a', "ident", False),
        ("SELECT * FROM m WHERE t =~ /a", "regex", False),
        ("SELECT * FROM /a\\", "regex", True),
        ("SELECT * FROM m -- a", "line_comment", False),
        ("SELECT * FROM m /* a", "block_comment", False),
        ("SELECT * FROM m WHERE s = 'a'", None, False),
    ],
)
def test_what_a_text_ends_inside_of(text, open_, escaped):
    query = scan(text)
    assert (query.open, query.escaped) == (open_, escaped)


@pytest.mark.parametrize(
    ("q", "only_reads"),
    [
        # the old scanner of read_only() took this regex's quote for a string reaching to the
        # last quote of the query, and so missed the DROP: it would have retried it
        ("SELECT * FROM m WHERE h =~ /it's/; DROP MEASUREMENT m; SELECT * FROM \"'\"", False),
        ("SELECT * FROM m WHERE h =~ /a;INTO/", True),
        ("/* INTO; DROP */ SELECT * FROM m", True),
        ("SELECT * FROM m -- INTO x", True),
        ("SELECT * FROM m WHERE s = 'a", False),  # unreadable: influxd refuses it anyway
        ("SELECT * FROM m WHERE h =~ /a\\\\/ INTO x FROM m /", True),  # one regex
    ],
)
def test_read_only_reads_the_query_as_influxd(q, only_reads):
    assert read_only(q) is only_reads


@pytest.mark.parametrize(
    ("q", "suits"),
    [
        ("-- first\nSELECT * FROM m", True),
        ('SELECT * FROM "diagnostics"', True),
        ("SELECT * FROM m; show  diagnostics", False),
        ("SELECT * FROM m WHERE s = 'a", False),
    ],
)
def test_msgpack_is_chosen_from_the_statements(q, suits):
    assert msgpack_suits(q) is suits


def test_one_scan_serves_every_reader():
    query = scan("SELECT v FROM m WHERE h =~ /it's/; SHOW DATABASES")
    assert read_only(query)
    assert msgpack_suits(query)
    assert query_sources(query) == [Source(None, None, "m")]


def test_sources_follow_the_same_rules():
    assert query_sources("-- x\rSELECT v FROM m") == [Source(None, None, "m")]
    assert query_sources("SELECT v FROM m WHERE h =~ /'/ ; SELECT w FROM n") == [
        Source(None, None, "m"),
        Source(None, None, "n"),
    ]
    # influxd reads '/*x*/' right after FROM as a regex (see the server test below)
    assert query_sources("SELECT v FROM /*x*/") == [Source(None, None, "/*x*/", regex=True)]


def test_patterns_follow_the_same_rules():
    # '\\/' does not end the regex: the placeholder is still inside it
    with pytest.raises(ValueError, match="inside a regex"):
        Pattern("p", "SELECT * FROM m WHERE h =~ /a\\\\/ AND v = {x}")
    # after '=' a '/*' is a comment, so is the placeholder
    with pytest.raises(ValueError, match="inside a block comment"):
        Pattern("p", "SELECT * FROM m WHERE v = /* {x} */ 1")
    with pytest.raises(ValueError, match="holds a line break"):
        Pattern("p", "SELECT * FROM m WHERE s = 'a\nb' AND v = {x}")
    assert Pattern("p", "-- a\rSELECT * FROM m WHERE v = {x}").render({"x": 1}).endswith("= 1")


@pytest.mark.server
@pytest.mark.parametrize(("q", "statements"), STATEMENTS)
async def test_the_server_reads_each_query_as_the_tokenizer_does(client, q, statements):
    if statements is None:
        with pytest.raises(InfluxDBQueryError, match="error parsing query") as info:
            await client.query(q)
        assert info.value.status == 400
    else:
        answer = await client.query(q)
        assert len(answer["results"]) == statements


@pytest.mark.server
async def test_where_a_regex_may_start_the_server_reads_slash_star_as_one(client):
    with pytest.raises(InfluxDBQueryError, match="error parsing regexp"):
        await client.query("SELECT * FROM /*x*/")
    assert scan("SELECT * FROM /*x*/").statements[0][-1] == (REGEX, "/*x*/")
