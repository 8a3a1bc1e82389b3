"""Pure tests of reading query answers: MessagePack chunks, statement errors, reassembly."""

from __future__ import annotations

import gc
import json
import struct

import msgpack
import pytest

from aioinflux import InfluxDBError, InfluxDBQueryError
from aioinflux._protocol import (
    MSGPACK,
    AnswerChecker,
    MsgpackChunkDecoder,
    QueryReader,
    ResultAssembler,
    _rfc3339,
    gc_paused,
    query_request,
)

CHUNKS = [
    {
        "results": [
            {
                "statement_id": 0,
                "series": [{"name": "m", "values": [[1, "a\nb"]], "partial": True}],
                "partial": True,
            }
        ]
    },
    {"results": [{"statement_id": 0, "series": [{"name": "m", "values": [[2, 1.0]]}]}]},
    {"results": [{"statement_id": 1, "series": []}]},
]
BODY = b"".join(msgpack.packb(c) for c in CHUNKS)


@pytest.mark.parametrize("split", range(0, len(BODY) + 1, 3))
def test_msgpack_decoder_at_every_split_point(split):
    decoder = MsgpackChunkDecoder()
    assert decoder.feed(BODY[:split]) + decoder.feed(BODY[split:]) + decoder.flush() == CHUNKS


def test_msgpack_decoder_byte_by_byte():
    decoder = MsgpackChunkDecoder()
    out = [c for i in range(len(BODY)) for c in decoder.feed(BODY[i : i + 1])]
    assert out + decoder.flush() == CHUNKS


def test_msgpack_decoder_truncated_body_raises():
    decoder = MsgpackChunkDecoder()
    assert decoder.feed(BODY[:-3]) == CHUNKS[:2]
    with pytest.raises(InfluxDBError, match=r"ended in the middle of a chunk \(\d+ bytes\)"):
        decoder.flush()


def test_msgpack_decoder_rejects_what_is_not_a_map():
    with pytest.raises(InfluxDBError, match="unexpected chunk"):
        MsgpackChunkDecoder().feed(msgpack.packb([1, 2]))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\xc1", id="reserved-byte"),
        pytest.param(msgpack.packb({"results": []}) + b"\xc1", id="after-a-good-chunk"),
        pytest.param(b"\x81\xa1\xff\x01", id="key-not-utf8"),
    ],
)
def test_msgpack_decoder_reports_what_is_not_msgpack_as_the_servers_answer(body):
    decoder = MsgpackChunkDecoder()
    with pytest.raises(InfluxDBError, match="not valid MessagePack") as info:
        decoder.feed(body)
    assert isinstance(info.value.__cause__, ValueError)


def test_msgpack_times_become_the_strings_json_holds():
    # influxd sends a time as extension 5: int64 seconds, uint32 nanoseconds (measured)
    def time_ext(seconds, nanos):
        return msgpack.ExtType(5, struct.pack(">qI", seconds, nanos))

    body = msgpack.packb({"v": [time_ext(1_500_000_000, 123_456_789), time_ext(0, 0)]})
    assert MsgpackChunkDecoder().feed(body) == [
        {"v": ["2017-07-14T02:40:00.123456789Z", "1970-01-01T00:00:00Z"]}
    ]
    with pytest.raises(InfluxDBError, match="unexpected MessagePack extension 7"):
        MsgpackChunkDecoder().feed(msgpack.packb({"v": msgpack.ExtType(7, b"")}))


@pytest.mark.parametrize(
    ("seconds", "nanos", "text"),
    [
        (0, 0, "1970-01-01T00:00:00Z"),
        (0, 1, "1970-01-01T00:00:00.000000001Z"),
        (1_500_000_000, 500_000_000, "2017-07-14T02:40:00.5Z"),
        (-1, 999_999_999, "1969-12-31T23:59:59.999999999Z"),
        (-9_223_372_037, 145_224_192, "1677-09-21T00:12:43.145224192Z"),
    ],
)
def test_rfc3339_like_influxd(seconds, nanos, text):
    assert _rfc3339(seconds, nanos) == text


def test_query_request_accept_header():
    req = query_request("http://h:1/", {}, "SELECT 1", db="d", accept=MSGPACK)
    assert req.headers["Accept"] == "application/x-msgpack"
    assert "Accept" not in query_request("http://h:1/", {}, "SELECT 1", db="d").headers


# -- statement errors, as influxd 1.6.7 sends them (measured) ----------------------------

OK0 = {"results": [{"statement_id": 0, "series": [{"name": "n", "values": [[4, 1]]}]}]}
BAD = "invalid operation: time and *influxql.StringLiteral are not compatible"


def check_all(chunks):
    checker = AnswerChecker()
    for chunk in chunks:
        checker.check(chunk)
    return checker


@pytest.mark.parametrize(
    "chunks",
    [
        # chunked JSON: the real error, then "not executed" labelled with the failing id
        [OK0, {"results": [{"statement_id": 1, "error": BAD}]}]
        + [{"results": [{"statement_id": 1, "error": "not executed"}]}] * 2,
        # chunked MessagePack: no error result carries an id
        [OK0, {"results": [{"error": BAD}]}] + [{"results": [{"error": "not executed"}]}] * 2,
    ],
)
def test_every_failing_statement_is_named_with_its_own_id(chunks):
    checker = check_all(chunks)
    assert checker.errors == [(1, BAD), (2, "not executed"), (3, "not executed")]
    with pytest.raises(InfluxDBQueryError) as info:
        checker.raise_errors()
    assert (
        str(info.value)
        == f"statement 1: {BAD}; statement 2: not executed; statement 3: not executed"
    )
    assert info.value.status == 200


def test_first_statement_failing_without_id():
    checker = check_all([{"results": [{"error": BAD}]}])
    assert checker.errors == [(0, BAD)]


def test_whole_query_error():
    checker = AnswerChecker(400, "Bad Request", ", as user 'u'")
    checker.check({"error": "error parsing query: x"})
    with pytest.raises(InfluxDBQueryError) as info:
        checker.raise_errors()
    # the status is in the text; the credentials only for a 401/403
    assert (str(info.value), info.value.status, info.value.errors) == (
        "error parsing query: x (400 Bad Request)",
        400,
        [(None, "error parsing query: x")],
    )


def test_checker_gives_msgpack_empty_results_the_json_shape():
    chunk = {"results": [{"statement_id": 0, "series": []}]}
    assert check_all([chunk]).errors == []
    assert chunk == {"results": [{"statement_id": 0}]}
    AnswerChecker().raise_errors()  # nothing failed: nothing raised


def test_checker_rejects_results_that_are_not_a_list():
    with pytest.raises(InfluxDBError, match="unexpected answer"):
        AnswerChecker().check({"results": 3})


# -- the query reader: decoding, checking and end of answer in one object ------------------

FAILING = [
    OK0,
    {"results": [{"statement_id": 1, "error": BAD}]},
    {"results": [{"statement_id": 1, "error": "not executed"}]},
]
FAILING_JSON = b"".join(json.dumps(c).encode() + b"\n" for c in FAILING)


def read_all(reader, body, split):
    return reader.feed(body[:split]) + reader.feed(body[split:]) + reader.close()


@pytest.mark.parametrize("split", range(len(FAILING_JSON) + 1))
def test_reader_hands_on_good_chunks_then_names_every_failing_statement(split):
    reader = QueryReader(200, {"Content-Type": "application/json"})
    handed = reader.feed(FAILING_JSON[:split]) + reader.feed(FAILING_JSON[split:])
    assert handed == [OK0]
    with pytest.raises(InfluxDBQueryError) as info:
        reader.close()
    assert info.value.errors == [(1, BAD), (2, "not executed")]
    assert info.value.status == 200


@pytest.mark.parametrize("split", range(0, len(BODY) + 1, 5))
def test_reader_decodes_msgpack_as_the_content_type_says(split):
    reader = QueryReader(200, {"Content-Type": "application/x-msgpack"})
    assert reader.format == "msgpack"
    chunks = read_all(reader, BODY, split)
    # checked on the way: an empty series list is dropped, as JSON has it
    assert chunks == [*CHUNKS[:2], {"results": [{"statement_id": 1}]}]
    assert QueryReader(200, {}).format == "json"


def test_reader_last_chunk_without_newline_comes_from_close():
    reader = QueryReader(200, {})
    assert reader.feed(json.dumps(OK0).encode()) == []
    assert reader.close() == [OK0]


def test_reader_raises_for_a_body_cut_in_a_chunk():
    reader = QueryReader(200, {})
    assert reader.feed(FAILING_JSON[:-5]) == [OK0]
    with pytest.raises(InfluxDBError, match="ended in the middle of a chunk"):
        reader.close()


def test_reader_holds_an_error_answer_and_raises_the_servers_message():
    reader = QueryReader(
        401, {"Content-Type": "application/json"}, reason="Unauthorized", credentials=", as u"
    )
    assert reader.feed(b'{"error":"authorization') == []
    assert reader.feed(b' failed"}\n') == []
    with pytest.raises(InfluxDBQueryError) as info:
        reader.close()
    assert str(info.value) == "authorization failed (401 Unauthorized), as u"
    assert (info.value.status, info.value.errors) == (401, [(None, "authorization failed")])


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ({"Content-Type": "text/html"}, b"<html>bad gateway</html>", "<html>bad gateway</html>"),
        ({"X-Influxdb-Error": "from header"}, b"", "from header"),
    ],
)
def test_reader_says_what_a_non_influxdb_error_answer_said(headers, body, message):
    reader = QueryReader(502, headers, reason="Bad Gateway")
    reader.feed(body)
    with pytest.raises(InfluxDBQueryError) as info:
        reader.close()
    assert (info.value.message, info.value.status) == (message, 502)
    assert str(info.value) == f"{message} (502 Bad Gateway)"


def test_reader_error_answer_in_msgpack_names_every_statement():
    body = msgpack.packb({"results": [{"error": BAD}]}) + msgpack.packb(
        {"results": [{"error": "not executed"}]}
    )
    reader = QueryReader(500, {"Content-Type": MSGPACK}, reason="Internal Server Error")
    assert reader.feed(body) == []
    with pytest.raises(InfluxDBQueryError) as info:
        reader.close()
    assert info.value.errors == [(0, BAD), (1, "not executed")]
    assert info.value.status == 500


def test_reader_hands_on_good_chunks_before_a_malformed_one_then_raises():
    reader = QueryReader(200, {})
    body = json.dumps(OK0).encode() + b"\n" + b'{"results": 3}\n'
    assert reader.feed(body) == [OK0]
    with pytest.raises(InfluxDBError, match="unexpected answer"):
        reader.feed(b"")
    # a malformed chunk first: raised at once
    with pytest.raises(InfluxDBError, match="unexpected answer"):
        QueryReader(200, {}).feed(b'{"results": 3}\n')


# -- reassembly ---------------------------------------------------------------------------


def series(name, values, tags=None, partial=False):
    s = {"name": name, "columns": ["time", "v"], "values": values}
    if tags:
        s["tags"] = tags
    if partial:
        s["partial"] = True
    return s


def test_partial_series_are_stitched_and_flags_removed():
    assembler = ResultAssembler()
    chunks = [
        {
            "results": [
                {
                    "statement_id": 0,
                    "series": [series("m", [[1, 1]], {"t": "a"}, True)],
                    "partial": True,
                }
            ]
        },
        {
            "results": [
                {
                    "statement_id": 0,
                    "series": [series("m", [[2, 2]], {"t": "a"}, True)],
                    "partial": True,
                }
            ]
        },
        {
            "results": [
                {"statement_id": 0, "series": [series("m", [[3, 3]], {"t": "a"})], "partial": True}
            ]
        },
        {"results": [{"statement_id": 0, "series": [series("m", [[4, 4]], {"t": "b"})]}]},
        {"results": [{"statement_id": 1}]},
        {"results": [{"statement_id": 2, "series": [series("m", [[5, 5]])]}]},
    ]
    for chunk in chunks:
        assembler.add(chunk)
    assert assembler.result() == {
        "results": [
            {
                "statement_id": 0,
                "series": [
                    series("m", [[1, 1], [2, 2], [3, 3]], {"t": "a"}),
                    series("m", [[4, 4]], {"t": "b"}),
                ],
            },
            {"statement_id": 1},
            {"statement_id": 2, "series": [series("m", [[5, 5]])]},
        ]
    }


def test_a_complete_series_is_not_joined_with_the_next_one():
    # the same name and tags in the next statement, or after a series that was complete
    assembler = ResultAssembler()
    assembler.add({"results": [{"statement_id": 0, "series": [series("m", [[1, 1]])]}]})
    assembler.add({"results": [{"statement_id": 1, "series": [series("m", [[2, 2]])]}]})
    assert [len(r["series"]) for r in assembler.result()["results"]] == [1, 1]


def test_checker_sorts_tags_as_json_has_them():
    # MessagePack sends a series' tags in any order (measured)
    chunk = {"results": [{"statement_id": 0, "series": [series("m", [], {"z": "1", "a": "2"})]}]}
    check_all([chunk])
    assert list(chunk["results"][0]["series"][0]["tags"]) == ["a", "z"]


def test_query_request_can_ask_for_an_uncompressed_answer():
    req = query_request("http://h:1/", {}, "SELECT 1", db="d", compress=False)
    assert req.headers["Accept-Encoding"] == "identity"
    assert "Accept-Encoding" not in query_request("http://h:1/", {}, "SELECT 1", db="d").headers


def test_assembler_converts_pieces_as_they_come_and_joins_them_once():
    calls = []

    def convert(values):
        calls.append(len(values))
        return tuple(values)

    assembler = ResultAssembler(convert, lambda pieces: sum(pieces, ()))
    assembler.add(
        {"results": [{"statement_id": 0, "series": [series("m", [[1, 1], [2, 2]], partial=True)]}]}
    )
    assembler.add({"results": [{"statement_id": 0, "series": [series("m", [[3, 3]])]}]})
    assembler.add({"results": [{"statement_id": 1, "series": [series("n", [])]}]})
    assert calls == [2, 1, 0]
    results = assembler.result()["results"]
    assert results[0]["series"][0]["values"] == ([1, 1], [2, 2], [3, 3])
    assert results[1]["series"][0]["values"] == ()
    with pytest.raises(ValueError, match="convert and join go together"):
        ResultAssembler(convert)


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_pause_restores_the_collector(enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), gc_paused():
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize(
    ("q", "suits"),
    [
        ("SELECT * FROM m", True),
        ("  select mean(v) from m; SELECT v FROM n", True),
        ("SHOW MEASUREMENTS", False),
        ("SELECT * FROM m; SHOW DIAGNOSTICS", False),  # influxd cannot encode that one
        ("CREATE DATABASE x", False),
    ],
)
def test_msgpack_is_asked_for_select_queries_only(q, suits):
    from aioinflux._protocol import msgpack_suits

    assert msgpack_suits(q) is suits
