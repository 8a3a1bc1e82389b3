"""Pure tests of the HTTP protocol layer: requests built, answers checked, chunks decoded."""

from __future__ import annotations

import base64
import json
import math
from urllib.parse import parse_qs

import pytest

from aioinflux import InfluxDBError, InfluxDBQueryError, InfluxDBWriteError
from aioinflux._protocol import (
    ChunkDecoder,
    Inflater,
    QueryReader,
    Response,
    auth_headers,
    base_url,
    check_write,
    ping_request,
    query_request,
    redirect_target,
    write_request,
)

BASE = "http://localhost:8086/"


@pytest.mark.parametrize(
    ("host", "port", "path", "ssl", "url"),
    [
        ("localhost", 8086, "/", False, "http://localhost:8086/"),
        ("example.com", 443, "", True, "https://example.com:443/"),
        ("h", 80, "influx", False, "http://h:80/influx/"),
        ("h", 80, "/influx/v1/", False, "http://h:80/influx/v1/"),
        ("::1", 8086, "/", False, "http://[::1]:8086/"),
        ("[::1]", 8086, "/", False, "http://[::1]:8086/"),
    ],
)
def test_base_url(host, port, path, ssl, url):
    assert base_url(host, port, path, ssl) == url


def test_basic_auth_header_holds_the_credentials():
    header = auth_headers("user", "pä:ss", None)["Authorization"]
    assert header.startswith("Basic ")
    assert base64.b64decode(header[6:]).decode() == "user:pä:ss"


def test_token_header():
    assert auth_headers(None, None, "tok") == {"Authorization": "Token tok"}


def test_a_requests_repr_hides_its_authorization():
    req = ping_request("http://h:1/", auth_headers(None, None, "tok-secret"))
    assert "tok-secret" not in repr(req)
    assert "'Authorization': '***'" in repr(req)


def test_no_credentials_no_header():
    assert auth_headers(None, None, None) == {}


def test_token_and_password_together_are_refused():
    with pytest.raises(ValueError, match="either token or username/password"):
        auth_headers("u", "p", "tok")


def test_password_without_username_is_refused():
    with pytest.raises(ValueError, match="without a username"):
        auth_headers(None, "p", None)


def test_write_request_params():
    req = write_request(BASE, {}, b"m v=1", db="d", precision="s", rp="r", consistency="one")
    assert (req.method, req.url, req.body) == ("POST", BASE + "write", b"m v=1")
    assert req.params == {"db": "d", "rp": "r", "precision": "s", "consistency": "one"}


def test_write_request_needs_a_database():
    with pytest.raises(ValueError, match="write needs a database"):
        write_request(BASE, {}, b"m v=1", db=None)


def test_query_request_is_a_form_post():
    req = query_request(
        BASE,
        {"Authorization": "Basic x"},
        "SELECT * FROM m WHERE h=$h",
        db="d",
        epoch="ms",
        chunked=True,
        chunk_size=5,
        params={"h": "a b"},
    )
    assert (req.method, req.url, req.params) == ("POST", BASE + "query", {})
    assert req.headers["Authorization"] == "Basic x"
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert req.body is not None
    form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
    assert form == {
        "q": "SELECT * FROM m WHERE h=$h",
        "db": "d",
        "epoch": "ms",
        "chunked": "true",
        "chunk_size": "5",
        "params": json.dumps({"h": "a b"}),
    }


def test_query_request_without_epoch_or_db():
    req = query_request(BASE, {}, "SHOW DATABASES", db=None, epoch=None)
    assert req.body is not None
    assert parse_qs(req.body.decode()) == {"q": ["SHOW DATABASES"]}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epoch": "sec"}, ValueError, "epoch must be one of"),
        ({"chunked": "yes"}, TypeError, "chunked must be True or False"),
        ({"chunked": True, "chunk_size": 0}, ValueError, "chunk_size must be a positive"),
        ({"chunked": True, "chunk_size": True}, ValueError, "chunk_size must be a positive"),
        ({"chunk_size": 10}, ValueError, "pass chunked=True"),
    ],
)
def test_query_request_rejects_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        query_request(BASE, {}, "SELECT 1", db="d", **kwargs)


def test_query_must_be_text():
    with pytest.raises(TypeError, match="query must be a str, got int"):
        query_request(BASE, {}, 42, db="d")  # type: ignore[arg-type]


def _resp(status, body, headers=None, reason="Bad Request"):
    return Response(status, reason, headers or {}, body)


def test_write_204_is_success():
    check_write(_resp(204, b"", reason="No Content"))


def test_partial_write_details():
    msg = "partial write: unable to parse 'm3 v=bad 2': invalid boolean dropped=0"
    with pytest.raises(InfluxDBWriteError) as info:
        check_write(_resp(400, json.dumps({"error": msg}).encode()))
    err = info.value
    assert (err.status, err.reason, err.message) == (400, "Bad Request", msg)
    assert (err.partial, err.dropped, err.lines) == (True, 0, ["m3 v=bad 2"])
    assert str(err) == f"Partial write (400 Bad Request): {msg}"


def test_partial_write_with_several_unparseable_lines():
    msg = (
        "partial write: unable to parse 'a v=x 1': invalid boolean\n"
        "unable to parse 'b c': missing fields dropped=0"
    )
    err = InfluxDBWriteError(msg, status=400)
    assert err.lines == ["a v=x 1", "b c"]


def test_partial_write_dropped_points():
    msg = (
        'partial write: field type conflict: input field "v" on measurement "m" is type '
        "string, already exists as type float dropped=2"
    )
    err = InfluxDBWriteError(msg, status=400)
    assert (err.partial, err.dropped, err.lines) == (True, 2, [])


def test_write_error_falls_back_to_header_then_body():
    with pytest.raises(InfluxDBWriteError, match="from header"):
        check_write(_resp(500, b"", {"X-Influxdb-Error": "from header"}))
    with pytest.raises(InfluxDBWriteError, match="<html>bad gateway</html>") as info:
        check_write(_resp(502, b"<html>bad gateway</html>", reason="Bad Gateway"))
    assert (info.value.partial, info.value.dropped) == (False, None)


def test_every_failing_statement_is_reported():
    data = {
        "results": [
            {"statement_id": 0, "series": []},
            {"statement_id": 1, "error": "first"},
            {"statement_id": 2, "error": "second"},
        ]
    }
    reader = QueryReader(200, {})
    assert reader.feed(json.dumps(data).encode() + b"\n") == []
    with pytest.raises(InfluxDBQueryError) as info:
        reader.close()
    assert info.value.errors == [(1, "first"), (2, "second")]
    assert str(info.value) == "statement 1: first; statement 2: second"


def test_query_error_status():
    reader = QueryReader(400, {"Content-Type": "application/json"}, reason="Bad Request")
    assert reader.feed(b'{"error":"error parsing query: x"}') == []
    with pytest.raises(InfluxDBQueryError) as info:
        reader.close()
    assert info.value.status == 400
    assert info.value.errors == [(None, "error parsing query: x")]


def test_query_answer_that_is_not_json():
    with pytest.raises(InfluxDBError, match="not JSON"):
        QueryReader(200, {}).feed(b"<html>\n")


CHUNKS = [
    {
        "results": [
            {"statement_id": 0, "series": [{"name": "m", "values": [[1, "a\nb"]]}], "partial": True}
        ]
    },
    {"results": [{"statement_id": 0, "series": [{"name": "m", "values": [[2, "ü"]]}]}]},
    {"results": [{"statement_id": 1}]},
]
BODY = b"".join(json.dumps(c, ensure_ascii=False).encode() + b"\n" for c in CHUNKS)


@pytest.mark.parametrize("split", range(len(BODY) + 1))
def test_chunk_decoder_at_every_split_point(split):
    decoder = ChunkDecoder()
    out = decoder.feed(BODY[:split]) + decoder.feed(BODY[split:]) + decoder.flush()
    assert out == CHUNKS


def test_chunk_decoder_byte_by_byte():
    decoder = ChunkDecoder()
    out = [c for i in range(len(BODY)) for c in decoder.feed(BODY[i : i + 1])]
    assert out + decoder.flush() == CHUNKS


def test_chunk_decoder_last_chunk_without_newline():
    decoder = ChunkDecoder()
    assert decoder.feed(BODY[:-1]) == CHUNKS[:2]
    assert decoder.flush() == CHUNKS[2:]


def test_chunk_decoder_truncated_body_raises():
    decoder = ChunkDecoder()
    decoder.feed(BODY[:-10])
    with pytest.raises(InfluxDBError, match="ended in the middle of a chunk"):
        decoder.flush()


def test_chunk_decoder_hands_on_error_chunks_for_the_caller_to_check():
    decoder = ChunkDecoder()
    error = {"results": [{"statement_id": 1, "error": "boom"}]}
    chunks = decoder.feed(BODY + json.dumps(error).encode() + b"\n")
    assert chunks == [*CHUNKS, error]
    # the query reader checks them: it hands on the good ones, then raises the error
    reader = QueryReader(200, {})
    assert reader.feed(BODY + json.dumps(error).encode() + b"\n") == CHUNKS
    with pytest.raises(InfluxDBQueryError, match="statement 1: boom"):
        reader.close()


def test_chunk_decoder_rejects_a_chunk_that_is_not_an_object():
    with pytest.raises(InfluxDBError, match="unexpected chunk"):
        ChunkDecoder().feed(b"[1, 2]\n")


# -- limits, inflation, redirects (tests/test_hostile.py runs them against local servers) --


def test_a_chunk_at_the_limit_passes_and_one_byte_more_fails_at_every_split():
    chunk = b'{"results":[{"statement_id":0,"v":"' + b"x" * 1000 + b'"}]}'
    limit = len(chunk)
    for body, fits in ((chunk + b"\n", True), (chunk[:-2] + b" }}" + b"\n", False)):
        for split in range(len(body) + 1):
            decoder = ChunkDecoder(limit)
            if fits:
                got = decoder.feed(body[:split]) + decoder.feed(body[split:]) + decoder.flush()
                assert len(got) == 1
            else:
                with pytest.raises(InfluxDBError, match=f"longer than {limit:,} bytes"):
                    decoder.feed(body[:split]) + decoder.feed(body[split:]) + decoder.flush()


def test_inflater_hands_back_bounded_pieces():
    import gzip

    data = gzip.compress(b"\0" * 1_000_000)
    pieces = list(Inflater("gzip", "gzip, deflate", piece=4096).feed(data))
    assert max(map(len, pieces)) <= 4096
    assert sum(map(len, pieces)) == 1_000_000


@pytest.mark.parametrize(
    ("encoding", "accepted", "message"),
    [
        ("gzip", "identity", "'gzip', which the client did not ask for"),
        ("br", "br", "'br', which the client cannot inflate"),
    ],
)
def test_inflater_refuses_what_it_cannot_or_was_not_asked_to_inflate(encoding, accepted, message):
    with pytest.raises(InfluxDBError, match=message):
        Inflater(encoding, accepted)


def test_inflater_says_when_the_compressed_answer_is_cut():
    import gzip

    inflater = Inflater("gzip", "gzip")
    list(inflater.feed(gzip.compress(b"abc" * 1000)[:-10]))
    with pytest.raises(InfluxDBError, match="ended before its compressed end"):
        inflater.close()


@pytest.mark.parametrize(
    ("method", "status", "location", "target"),
    [
        ("POST", 307, "/x/write", "http://h:1/x/write"),
        ("POST", 308, "http://other:2/w", "http://other:2/w"),
        ("GET", 301, "/x/ping", "http://h:1/x/ping"),
        ("POST", 200, "/x", None),
        ("POST", 307, None, None),
    ],
)
def test_redirects_that_keep_the_request_are_followed(method, status, location, target):
    assert redirect_target(method, "http://h:1/write", status, "", location) == target


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_post_redirect_that_drops_the_body_raises(status):
    with pytest.raises(
        InfluxDBError, match=rf"redirected \({status} Moved\) to 'http://u:\*\*\*@n/w'"
    ):
        redirect_target("POST", "http://h:1/write", status, "Moved", "http://u:pw@n/w")


def test_a_redirect_out_of_http_raises():
    with pytest.raises(InfluxDBError, match="not an http"):
        redirect_target("GET", "http://h:1/ping", 307, "", "file:///etc/passwd")


@pytest.mark.parametrize(
    "chunk",
    [
        {"results": [{"statement_id": 0, "partial": True}]},
        {"results": [{"statement_id": 0}, {"statement_id": 1, "partial": True}]},
    ],
)
def test_an_answer_ending_on_a_partial_result_is_cut(chunk):
    reader = QueryReader(200, {"Content-Type": "application/json"})
    reader.feed(json.dumps(chunk).encode() + b"\n")
    with pytest.raises(InfluxDBError, match="the answer ended before the server finished"):
        reader.close()


def test_a_partial_series_in_an_unflagged_result_is_no_cut():
    # influxd's non-chunked answer to a series over 10,000 rows
    chunk = {
        "results": [
            {"statement_id": 0, "series": [{"name": "m", "values": [[1]], "partial": True}]}
        ]
    }
    reader = QueryReader(200, {"Content-Type": "application/json"})
    assert reader.feed(json.dumps(chunk).encode() + b"\n") + reader.close() == [chunk]


def test_an_error_answer_is_kept_up_to_its_limit_only():
    reader = QueryReader(500, {"Content-Type": "text/plain"}, reason="Internal Server Error")

    def feed_100_kb() -> None:
        for _ in range(100):
            reader.feed(b"x" * 1000)

    with pytest.raises(InfluxDBQueryError, match="the first 65,536 bytes of a longer answer"):
        feed_100_kb()


def test_a_messagepack_answer_ending_on_a_partial_result_is_cut():
    import msgpack

    chunk = {"results": [{"statement_id": 0, "partial": True, "series": []}]}
    reader = QueryReader(200, {"Content-Type": "application/x-msgpack"})
    reader.feed(msgpack.packb(chunk))
    with pytest.raises(InfluxDBError, match="the answer ended before the server finished"):
        reader.close()


def test_a_messagepack_chunk_over_the_limit_fails():
    import msgpack

    reader = QueryReader(200, {"Content-Type": "application/x-msgpack"}, limit=1024)
    body = msgpack.packb({"results": [{"statement_id": 0, "v": "x" * 5000}]})
    with pytest.raises(InfluxDBError, match="longer than 1,024 bytes"):
        reader.feed(body)


def test_many_small_messagepack_chunks_pass_a_small_limit_at_every_split():
    import msgpack

    chunk = {"results": [{"statement_id": 0, "series": [{"name": "m", "values": [[1, "x"]]}]}]}
    body = b"".join(msgpack.packb(chunk) for _ in range(200))  # 200 chunks, far over 1024
    for split in range(0, len(body) + 1, 7):
        reader = QueryReader(200, {"Content-Type": "application/x-msgpack"}, limit=1024)
        got = reader.feed(body[:split]) + reader.feed(body[split:]) + reader.close()
        assert len(got) == 200


@pytest.mark.parametrize(
    ("text", "values"),
    [
        (b"[[1,-0],[2,0],[3,-0.5]]", [[1, -0.0], [2, 0], [3, -0.5]]),
        (b"[[-0,-0e1],[-0.0,1]]", [[-0.0, -0.0], [-0.0, 1]]),
        (b'[[1,"-0"],[2,"host-0"]]', [[1, "-0"], [2, "host-0"]]),
        (b"[[-05]]", None),  # not JSON: refused as before
    ],
)
def test_json_negative_zero_keeps_its_sign(text, values):
    # influxd writes the float -0.0 as -0 in JSON; read as the int 0 it would lose its sign
    chunk = b'{"results":[{"statement_id":0,"series":[{"columns":["a","b"],"values":' + text
    decoder = ChunkDecoder()
    if values is None:
        with pytest.raises(InfluxDBError, match="not JSON"):
            decoder.feed(chunk + b"}]}]}\n")
        return
    [got] = decoder.feed(chunk + b"}]}]}\n")
    read = got["results"][0]["series"][0]["values"]
    assert read == values
    flat = [v for row in read for v in row]
    expected = [v for row in values for v in row]
    assert [type(v) for v in flat] == [type(v) for v in expected]
    signs = [math.copysign(1, v) for v in flat if isinstance(v, (int, float))]
    assert signs == [math.copysign(1, v) for v in expected if isinstance(v, (int, float))]
