"""Line protocol given as text, checked as influxd 1.x reads it: one table of cases drives
the pure tests and the real-server test (each case written alone to a fresh database: the
server's verdict must be the checker's)."""

from __future__ import annotations

import http.client
import importlib
import json
import urllib.parse
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioinflux import LineProtocolError, serialize
from aioinflux._config import precision_factor
from aioinflux.serialization import _textcheck
from aioinflux.serialization._textcheck import check_text, exact_lines, pattern_check
from aioinflux.serialization.lines import checked_lines, split_lines

# the compiled fast check is built by the README's test command (a failed import here is a
# failure: the compiled path would go untested), and compared with the pure one whichever is
# in use
ctextcheck = importlib.import_module("aioinflux.serialization._ctextcheck")


def compiled_check(body: bytes, factor: int = 1) -> bool:
    """The compiled fast check as fast_check() calls it (UTF-8 checked first)."""
    return _textcheck._utf8(body) and ctextcheck.accepts(body, factor)


def pure_check(body: bytes, factor: int = 1) -> bool:
    return _textcheck._utf8(body) and pattern_check(body, factor)


FAST_CHECKS = [pytest.param(pure_check, id="pure"), pytest.param(compiled_check, id="compiled")]


class Case(NamedTuple):
    name: str
    body: bytes
    #: None: accepted; else a piece of the checker's message
    refused: str | None
    precision: str | None = None
    #: where influxd 1.6 answers otherwise, on purpose: "unsigned" (valid from 1.8, so
    #: the check lets it through and 1.6 refuses it) or "dropped" (influxd answers 204 and
    #: drops the field silently, so the check refuses it), "swallowed" (influxd answers 204
    #: and stores nothing: a comment went on over the lines after it)
    server: str | None = None


CASES = [
    # -- accepted, sent as given
    Case("float", b"m v=1.5", None),
    Case("float_forms", b"m a=1.,b=.5,c=-0.5,d=1e5,e=1E-5,f=-1.5e+10,g=0 1", None),
    Case("float_long_exponent", b"m v=1.7976931348623157e+308,w=5e-324", None),
    Case("int_bounds", b"m v=9223372036854775807i,w=-9223372036854775808i", None),
    Case("booleans", b"m a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE", None),
    Case("string_escapes", b'm s="say \\"hi\\" \\\\ back \\n" 1', None),
    Case("string_newline", b'm s="two\nlines" 1\nm s="x" 2', None),
    Case("string_field_syntax", b'm s="a=1,b t=2 x" 1', None),
    Case("tag_escapes", b"m,host=a\\ b,path=c\\,d,eq=e\\=f v=1 1", None),
    Case("measurement_escapes", b"my\\ meas\\,x v=1 1", None),
    Case("quotes_in_names", b'm,t=x" k"ey=1 1', None),
    Case("tab_in_tag_value", b"m,t=a\tb v=1 1", None),
    Case("unicode", 'm,ü=ö s="😀" 1'.encode(), None),
    Case("comments_and_blanks", b"# head\n\nm v=1 1\n   \n# x\nm v=2 2\n", None),
    Case("comment_balanced_quote", b'# s = "x"\nm v=1 1', None),
    Case("comment_quote_without_equals", b'# say "hi\nm v=1 1', None),
    Case("leading_and_trailing_spaces", b"  m v=1 1   \nm v=2 2", None),
    Case("time_range_edges", b"m v=1 9223372036854775806\nm v=2 -9223372036854775806", None),
    Case("time_in_seconds", b"m v=1 9223372036", None, precision="s"),
    Case("sorted_tags_not_required", b"m,z=1,a=2 v=1 1", None),
    Case("unsigned", b"m v=1u", None, server="unsigned"),
    Case("unsigned_max", b"m v=18446744073709551615u", None, server="unsigned"),
    # -- refused
    Case("missing_fields", b"m", "missing fields"),
    Case("missing_measurement", b",t=a v=1", "missing measurement"),
    Case("empty_tag_value", b"m,t= v=1", "missing tag value"),
    Case("missing_tag_key", b"m,=a v=1", "missing tag key"),
    Case("tag_without_value", b"m,t v=1", "missing tag value"),
    Case("equals_in_tag_value", b"m,t=a=b v=1", "invalid tag format"),
    Case("duplicate_tag", b"m,t=a,t=b v=1", "duplicate tag key 't'"),
    Case("duplicate_tag_unsorted", b"m,t=a,u=c,t=b v=1", "duplicate tag key 't'"),
    Case("tag_key_time", b"m,time=x v=1", "a tag key 'time'"),
    Case("field_key_time_alone", b"m time=1", "a field key 'time'"),
    Case("field_key_time", b"m time=1,v=2", "a field key 'time'", server="dropped"),
    Case("missing_field_value", b"m v=", "missing field value"),
    Case("missing_field_key", b"m =1", "missing field key"),
    Case("field_without_value", b"m v=1,w", "invalid field format"),
    Case("invalid_boolean", b"m v=tRUE", "invalid boolean 'tRUE'"),
    Case("bare_word", b"m v=hello", "invalid boolean"),
    Case("nan", b"m v=NaN", "NaN"),
    Case("inf", b"m v=Inf", "invalid boolean"),
    Case("minus_inf", b"m v=-Inf", "invalid number"),
    Case("float_overflow", b"m v=1e400", "invalid float '1e400'"),
    Case("int_overflow", b"m v=9223372036854775808i", "out of the int64 range"),
    Case("int_underflow", b"m v=-9223372036854775809i", "out of the int64 range"),
    Case("int_with_dot", b"m v=1.5i", "invalid number"),
    Case("two_dots", b"m v=1.2.3", "invalid number"),
    Case("unsigned_overflow", b"m v=18446744073709551616u", "out of the uint64 range"),
    Case("negative_unsigned", b"m v=-1u", "invalid number"),
    Case("unbalanced_quotes", b'm s="open', "unbalanced quotes"),
    Case("unbalanced_quotes_take_the_next_line", b'm s="open\nm v=1 1', "unbalanced quotes"),
    Case("bad_timestamp", b"m v=1 12x", "bad timestamp"),
    Case("time_too_late", b"m v=1 9223372036854775807", "outside range"),
    Case("time_too_early", b"m v=1 -9223372036854775807", "outside range"),
    Case("time_too_late_in_seconds", b"m v=1 9223372037", "outside range", precision="s"),
    Case("after_the_timestamp", b"m v=1 1 2", "something after the timestamp"),
    Case("crlf", b"m v=1 1\r\nm v=2 2", "bad timestamp"),
    Case(
        "comment_takes_the_next_lines",
        b'# x = "\nm v=1i 1\nm v=2i 2',
        "a comment line",
        server="swallowed",
    ),
    Case("comment_escaped_newline", b"# x\\\nm v=1 1", "a comment line", server="swallowed"),
    Case("one_bad_among_good", b"m v=1 1\nm v=bad 2\nm v=3 3", "line 2: "),
]


def verdict(case: Case) -> str | None:
    try:
        check_text(case.body, precision_factor(case.precision))
    except LineProtocolError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_checker_gives_influxds_verdict(case):
    found = verdict(case)
    if case.refused is None:
        assert found is None
    else:
        assert found is not None
        assert case.refused in found


@pytest.mark.parametrize("fast_check", FAST_CHECKS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_fast_check_never_accepts_what_the_exact_one_refuses(case, fast_check):
    factor = precision_factor(case.precision)
    lines, bad = exact_lines(case.body, factor)
    if fast_check(case.body, factor):
        assert not bad
        assert lines == case.body.rstrip(b"\n").split(b"\n")
    assert bool(bad) == (case.refused is not None)


def _write(server, db: str, body: bytes, precision: str | None) -> tuple[int, str]:
    """``body`` written as is to ``db`` (the client would refuse some of them)."""
    url = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    query = urllib.parse.urlencode({"db": db, **({"precision": precision} if precision else {})})
    try:
        conn.request("POST", f"/write?{query}", body=body)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


@pytest.mark.server
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_influxd_gives_the_checkers_verdict(influxdb_server, influxdb_database, case):
    status, answer = _write(influxdb_server, influxdb_database, case.body, case.precision)
    if case.server == "unsigned":  # the test server is 1.6: it refuses them
        assert (status, "invalid number" in answer) == (400, True)
    elif case.server == "dropped":  # 204, and the field is gone: never silently, here
        assert status == 204
        keys = influxdb_server.request("SHOW FIELD KEYS", db=influxdb_database)
        names = [v[0] for s in keys["results"][0]["series"] for v in s["values"]]
        assert "time" not in names
    elif case.server == "swallowed":
        assert status == 204
        resp = influxdb_server.request("SHOW MEASUREMENTS", db=influxdb_database)
        assert "series" not in resp["results"][0]
    else:
        assert (status == 204) == (case.refused is None), answer


@pytest.mark.server
async def test_a_write_with_one_bad_text_line_stores_nothing(client):
    with pytest.raises(LineProtocolError, match=r"point 1: influxd 1\.x refuses it"):
        await client.write(["good v=1i 1", "m v=tRUE 2"])
    with pytest.raises(LineProtocolError, match=r"line 3: .*'m s=\"open'"):
        await client.write('good v=1i 1\n# fine\nm s="open')
    resp = await client.query("SHOW MEASUREMENTS")
    assert "series" not in resp["results"][0]  # nothing was sent


@pytest.mark.server
async def test_the_batch_writer_refuses_a_bad_text_line_at_write(client):
    async with client.batch_writer() as writer:
        with pytest.raises(LineProtocolError, match=r"point 2: influxd 1\.x refuses it"):
            await writer.write(["good v=1i 1", 'good s="x" 2', "m v=1 1 x"])
        assert writer.pending == 0
        await writer.write('# a comment\ngood v=2i 3\n\ngood s="y\nz" 4\n')
    assert writer.stats.points_written == 2
    resp = await client.query("SELECT count(*) FROM good")
    assert resp["results"][0]["series"][0]["values"][0][1:] == [1, 1]


@pytest.mark.server
async def test_comment_and_blank_lines_are_not_counted(client):
    reports = []
    body = "# comment\n\nm v=1 1\n# more\nm v=2 2\n"
    await client.write(body, progress=lambda done, total: reports.append((done, total)))
    assert reports == [(2, 2)]
    resp = await client.query("SELECT count(v) FROM m")
    assert resp["results"][0]["series"][0]["values"][0][1] == 2


def test_comment_lines_are_no_points():
    from aioinflux.serialization import write_lines

    made = write_lines("# comment\n\nm v=1 1\n  # more\nm v=2 2\n")
    total = made.total()
    assert (total, [(b.body, b.count + n) for b, n in made.requests()]) == (
        2,
        [(b"m v=1 1\nm v=2 2", 2)],
    )
    ((lines, _),) = write_lines(["# comment", "m v=1 1", "", "m v=2 2"])
    assert lines.count == 2


def test_text_influxd_accepts_is_sent_byte_for_byte():
    body = b'  m,t=a\\ b  s="x\\"\ny",v=1i  1  \n# note\n\nm v=2 2\n'
    assert serialize(body) == body
    assert serialize(body.decode()) == body


def test_the_message_names_the_line_and_shortens_it():
    long = "m,host=" + "h" * 200 + " v=bad 1"
    with pytest.raises(LineProtocolError) as info:
        serialize(f"m v=1 1\n{long}\n{long}")
    message = str(info.value)
    assert message.startswith("line 2: influxd 1.x refuses it: invalid boolean 'bad' (")
    assert "'m,host=hhh" in message
    assert "h...'" in message  # shortened
    assert len(message) < 400
    assert "(1 more line(s) refused too)" in message
    with pytest.raises(LineProtocolError, match=r"^point 3, line 2: "):
        serialize([{"measurement": "m", "fields": {"v": 1}}, "a v=1", "b v=2", "c v=3\nd v=x"])


# -- the fast check against the exact one, on random bodies ---------------------------------

_TOKENS = [
    b"m",
    b"cpu",
    b",",
    b"=",
    b" ",
    b"  ",
    b"t",
    b"v",
    b"time",
    b"1",
    b"1.5",
    b"-",
    b".",
    b"e5",
    b"E",
    b"1i",
    b"1u",
    b"9223372036854775808",
    b"18",
    b"true",
    b"False",
    b"tRUE",
    b'"',
    b'"x"',
    b"\\",
    b"\\ ",
    b"\\,",
    b"\\=",
    b"\\\\",
    b"\n",
    b"\n\n",
    b"#",
    b"\t",
    b"\r",
    b"\x00",
    b"NaN",
    b"Inf",
    b"\xc3\xa9",
    b"a=b",
    b"k=1i",
    b" 1700000000000000000",
]
_VALUES = [
    b"1",
    b"-1.5",
    b".5",
    b"1e5",
    b"1e400",
    b"1i",
    b"-9i",
    b"1u",
    b"-1u",
    b"t",
    b"FALSE",
    b"tRUE",
    b'"s"',
    b'"a\\"b"',
    b'"x\ny"',
    b'"open',
    b"NaN",
    b"",
    b"1.2.3",
]
_LINE = st.builds(
    lambda m, tags, fields, stamp: m + b"".join(tags) + b" " + b",".join(fields) + stamp,
    st.sampled_from([b"m", b"cpu", b"a\\ b", b"#c", b"", b"m\\"]),
    st.lists(
        st.sampled_from([b",t=a", b",u=b\\ c", b",t=b", b",time=x", b",x=", b",=y"]), max_size=3
    ),
    st.lists(
        st.builds(
            lambda k, v: k + b"=" + v,
            st.sampled_from([b"v", b"w", b"time", b"k\\ x", b"", b'q"']),
            st.sampled_from(_VALUES),
        ),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from([b"", b" 1", b" -5", b" 9223372036854775807", b" 1x", b"  2  ", b" 1 2"]),
)
#: lines of one shape (what the fast check takes together), their values varied
_SHAPED = st.lists(
    st.tuples(
        st.sampled_from([b"a", b"b\\ c", b"a", b"x=y"]),
        st.sampled_from([b"1", b"-1.5", b"1e5", b"1e400", b"NaN", b"t", b'"s"']),
        st.sampled_from([b"1i", b"-5i", b"9223372036854775807i", b"9223372036854775808i"]),
        st.sampled_from([b" 1", b"", b" -1", b" 9223372036854775807"]),
    ),
    min_size=1,
    max_size=5,
).map(lambda rows: b"\n".join(b"m,t=%s v=%s,n=%s%s" % row for row in rows))
_BODIES = st.one_of(
    _SHAPED,
    st.lists(st.sampled_from(_TOKENS), max_size=30).map(b"".join),
    st.lists(st.one_of(_LINE, st.sampled_from([b"", b"# c", b'# x="', b"  "])), max_size=6).map(
        b"\n".join
    ),
)


@pytest.mark.parametrize("fast_check", FAST_CHECKS)
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_BODIES, precision=st.sampled_from([None, "s"]))
def test_the_fast_check_agrees_with_the_exact_scan(fast_check, body, precision):
    factor = precision_factor(precision)
    lines, bad = exact_lines(body, factor)
    if fast_check(body, factor):
        assert not bad
        assert lines == (body[:-1] if body.endswith(b"\n") else body).split(b"\n")
    try:
        found = checked_lines(body, factor)
    except LineProtocolError:
        assert bad
        return
    assert not bad
    assert found == lines
    # where influxd splits lines: as split_lines does
    assert found == split_lines(body), json.dumps(body.decode("latin-1"))


# -- the compiled fast check against the patterns, at their bounds ---------------------------


def _digits(counts: list[int], first: str = "") -> list[bytes]:
    return [(first + "7" * (n - len(first))).encode() for n in counts if n >= len(first)]


#: values at and beyond the bounds of the fast check's numbers (digits of integers,
#: unsigned, floats, fractions and exponents)
_BOUND_VALUES = [
    *(d + b"i" for d in _digits([1, 18, 19])),
    *(b"-" + d + b"i" for d in _digits([18, 19])),
    *(d + b"u" for d in _digits([19, 20])),
    b"-1u",
    *_digits([18, 19]),
    *(b"1." + d for d in _digits([20, 21])),
    *(b"." + d for d in _digits([20, 21])),
    b"1.",
    b"-.5",
    b"-.",
    b".",
    b"1e",
    b"1e+",
    b"1E-05",
    b"1e123",
    b"1.5e99",
    b"1ei",
    b"1.5i",
    b"t",
    b"tr",
    b"true",
    b"True",
    b"TRUE",
    b"TRue",
    b"f",
    b"False",
    b"FALSE",
    b"falsE",
    b'"a\\"b"',
    b'"a\\\\"',
    b'"\\',
    b'"a\\\nb"',
    b'"x,y=z w"',
]
#: timestamps around the bound of each precision (nanoseconds per unit: digits)
_BOUND_STAMPS = [
    b"",
    b" ",
    b" -",
    b" -1",
    b" 0",
    *(b" " + d for d in _digits([6, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19, 20])),
    *(b" " + d for d in _digits([8, 19], "1")),
    *(b" " + d for d in _digits([8, 19], "9")),
    *(b" -" + d for d in _digits([19], "8")),
    b" 1 ",
    b" 1x",
]
_BOUND_KEYS = [
    b"v",
    b"w",
    b"time",
    b"Time",
    b"times",
    b"k\\ x",
    b"k\\,x\\=y",
    b"k\\x",
    b"k\\",
    b'k"',
    b"a" * 1000,
    b"a" * 1001,
    b"a" * 1000 + b"\\ " + b"b" * 1000,
    b"\\ " * 16 + b"x",
    b"\\ " * 17 + b"x",
    b"",
]
_BOUND_TAGS = [
    b",t=a",
    b",t=b",
    b",u=\\ c",
    b",time=x",
    b",x=time",
    b",t=",
    b",=y",
    b",t=a=b",
    b",t\\=a=b",
    b",t=a\\",
    b",t=a\\x",
    b",t\\ =\\,",
    b",\x00=\x00",
    b",t=\xc3\xa9",
]


def _mostly(valid: list[bytes], others: list[bytes]) -> st.SearchStrategy[bytes]:
    """One of ``valid`` at least 5 times in 6, else any of ``valid + others``: bodies the
    checks accept often enough for their agreement on acceptance to be tested too."""
    return st.one_of(*[st.sampled_from(valid)] * 5, st.sampled_from(valid + others))


def _split(items: list[bytes], good: set[bytes]) -> tuple[list[bytes], list[bytes]]:
    return [i for i in items if i in good], [i for i in items if i not in good]


_VALID_VALUES = {
    b"777777777777777777i",
    b"-777777777777777777i",
    b"7777777777777777777u",
    b"777777777777777777",
    b"1.77777777777777777777",
    b".77777777777777777777",
    b"1.",
    b"-.5",
    b"1E-05",
    b"1.5e99",
    b"t",
    b"true",
    b"True",
    b"TRUE",
    b"f",
    b"False",
    b"FALSE",
    b'"a\\"b"',
    b'"a\\\\"',
    b'"x,y=z w"',
}
_VALID_KEYS = {b"v", b"w", b"Time", b"times", b"k\\ x", b"k\\,x\\=y", b"a" * 1000}
_VALID_TAGS = {b",t=a", b",t=b", b",u=\\ c", b",x=time", b",t\\ =\\,", b",t=\xc3\xa9"}
_BOUND_LINE = st.builds(
    lambda m, tags, fields, stamp: m + b"".join(tags) + b" " + b",".join(fields) + stamp,
    _mostly([b"m", b"a\\ b", b"a\\,b", b"m=1", b'm"', b"\\#"], [b"#c", b"", b"m\\", b"\x00m"]),
    st.lists(_mostly(*_split(_BOUND_TAGS, _VALID_TAGS)), max_size=4),
    st.lists(
        st.builds(
            lambda k, v: k + b"=" + v,
            _mostly(*_split(_BOUND_KEYS, _VALID_KEYS)),
            _mostly(*_split(_BOUND_VALUES, _VALID_VALUES)),
        ),
        min_size=1,
        max_size=3,
    ),
    _mostly(*_split(_BOUND_STAMPS, {b"", b" -1", b" 0", b" 777777"})),
)
_BOUND_BODIES = st.builds(
    lambda lines, end: b"\n".join(lines) + end,
    st.lists(
        st.one_of(_BOUND_LINE, _BOUND_LINE, st.sampled_from([b"", b"# c", b" m v=1", b"m\tv=1"])),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([b"", b"\n", b"", b"\n\n", b"\r\n"]),
)


@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(_BODIES, _BOUND_BODIES),
    precision=st.sampled_from([None, "u", "ms", "s", "m", "h"]),
)
def test_the_compiled_fast_check_is_the_patterns(body, precision):
    """The compiled check takes exactly what the patterns take, bar one place where the
    patterns are stricter on purpose (any `` time=`` or ``,time=`` in a body, even inside a
    string, sends it to the exact check; the compiled one looks at the keys themselves)."""
    factor = precision_factor(precision)
    compiled = ctextcheck.accepts(body, factor)
    if compiled and _textcheck._utf8(body):
        lines, bad = exact_lines(body, factor)
        assert not bad
        assert lines == (body[:-1] if body.endswith(b"\n") else body).split(b"\n")
    if b" time=" not in body and b",time=" not in body:
        assert compiled == pattern_check(body, factor), json.dumps(body.decode("latin-1"))


def test_the_compiled_fast_check_takes_bytes_and_a_factor():
    with pytest.raises(TypeError, match=r"accepts\(body: bytes, factor: int\)"):
        ctextcheck.accepts("m v=1", 1)
    with pytest.raises(TypeError):
        ctextcheck.accepts(b"m v=1")
    assert ctextcheck.accepts(b"m v=1 1", 1)
    assert not ctextcheck.accepts(b"m v=1 1", 7)  # no timestamp at an unknown precision


@pytest.mark.parametrize("fast_check", FAST_CHECKS)
def test_a_series_key_longer_than_influxd_takes_goes_to_the_exact_check(fast_check):
    # (kept out of the random bodies: hypothesis would print a 48 kB example)
    for size, fits in ((48_000, True), (48_001, False)):
        key = b"m,k=" + b"h" * (size - 4)
        assert len(key) == size
        assert fast_check(key + b" v=1 1", 1) is fits
    assert not exact_lines(b"m,k=" + b"h" * 70_000 + b" v=1 1", 1)[0]


def test_a_string_holding_time_is_taken_by_the_compiled_check():
    body = b'm s="a time=1",v=1 1'
    assert ctextcheck.accepts(body, 1)
    assert exact_lines(body, 1) == ([body], [])
    assert not ctextcheck.accepts(b'm s="a",time=1 1', 1)
    assert not ctextcheck.accepts(b"m,time=a s=1 1", 1)
