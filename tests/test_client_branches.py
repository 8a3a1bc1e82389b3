"""The client's own branches, output x chunked x mode x wire format, over a fake transport.

No server: ``aioinflux._mock`` hands each request to a handler playing influxd's part, as
influxd 1.6.7 answers (chunks flagged ``partial``, ``"not executed"`` after a failing
statement). What the server itself does is tested against a real influxd elsewhere
(test_client.py, test_query_results.py); these tests show that every combination of the
client's options takes the same path to the same result.
"""

from __future__ import annotations

import asyncio
import json

import polars as pl
import pytest

from aioinflux import InfluxDBClient, InfluxDBError, InfluxDBQueryError, InfluxDBWriteError, _mock
from aioinflux._protocol import Response
from aioinflux.iterutils import InfluxDBChunkedResult, InfluxDBResult, iterpoints

Q = "SELECT * FROM m"
COLUMNS = ["time", "host", "n", "v"]
ROWS = [[1, "a", 1, 0.5], [2, "b", 2, 1.5], [3, "a", 3, 2.5]]
# the answer to Q as the server sends it in chunks of two points
CHUNKS = [
    {
        "results": [
            {
                "statement_id": 0,
                "series": [{"name": "m", "columns": COLUMNS, "values": ROWS[:2], "partial": True}],
                "partial": True,
            }
        ]
    },
    {
        "results": [
            {"statement_id": 0, "series": [{"name": "m", "columns": COLUMNS, "values": ROWS[2:]}]}
        ]
    },
]
# what a non-chunked query gives: the chunks reassembled
WHOLE = {
    "results": [{"statement_id": 0, "series": [{"name": "m", "columns": COLUMNS, "values": ROWS}]}]
}
# the answer to the client's question about m's columns (asked for DataFrames)
KEYS = [
    {
        "results": [
            {
                "statement_id": 0,
                "series": [{"name": "m", "columns": ["tagKey"], "values": [["host"]]}],
            }
        ]
    },
    {
        "results": [
            {
                "statement_id": 1,
                "series": [
                    {
                        "name": "m",
                        "columns": ["fieldKey", "fieldType"],
                        "values": [["n", "integer"], ["v", "float"]],
                    }
                ],
            }
        ]
    },
]

OUTPUTS = ["json", "iterable", "dataframe", "polars"]
#: the outputs that build frames, and so ask the columns' kinds
FRAMES = ("dataframe", "polars")
MODES = ["async", "blocking"]
WIRES = ["json", "msgpack"]


def influxd(chunks, wire="json"):
    """A handler answering Q with ``chunks`` and the column question with KEYS."""

    def handler(req):
        q = _mock.form(req)["q"]
        if q.startswith("SHOW TAG KEYS"):
            return _mock.answer(KEYS)
        return _mock.answer(chunks, format=wire)

    return handler


def run(mode, output, handler, q=Q, *, chunked=False, piece_size=1 << 16, **client_options):
    """Query through the fake transport in ``mode``; a chunked result is read to its end.
    Returns the result (a list of what a chunked one gave) and the transport."""
    client = InfluxDBClient(db="db", mode=mode, output=output, **client_options)
    transport = _mock.use(client, handler, piece_size=piece_size)
    if mode == "blocking":
        result = client.query(q, chunked=chunked)
        return (list(result) if chunked else result), transport

    async def main():
        result = await client.query(q, chunked=chunked)
        if chunked:
            return [item async for item in result]
        return result

    return asyncio.run(main()), transport


def check_frame(frame, rows=ROWS):
    if isinstance(frame, pl.DataFrame):
        assert frame.schema == pl.Schema(
            {
                "time": pl.Datetime("ns", "UTC"),
                "host": pl.Categorical(),
                "n": pl.Int64(),
                "v": pl.Float64(),
            }
        )
        assert frame["time"].dt.epoch("ns").to_list() == [row[0] for row in rows]
        assert frame.select("host", "n", "v").rows() == [tuple(row[1:]) for row in rows]
        return
    assert list(frame.index.asi8) == [row[0] for row in rows]
    assert str(frame.index.tz) == "UTC"
    assert frame["host"].dtype == "category"
    assert list(frame["host"]) == [row[1] for row in rows]
    assert (frame["n"].dtype, list(frame["n"])) == ("int64", [row[2] for row in rows])
    assert (frame["v"].dtype, list(frame["v"])) == ("float64", [row[3] for row in rows])


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("output", OUTPUTS)
def test_a_query_gives_the_same_answer_by_every_path(output, mode, wire):
    result, transport = run(mode, output, influxd(CHUNKS, wire))
    if output == "json":
        assert result == WHOLE
    elif output == "iterable":
        assert isinstance(result, InfluxDBResult)
        assert list(result) == list(iterpoints(WHOLE)) == ROWS
    else:
        check_frame(result)
        if output == "dataframe":
            assert result.attrs["statement_id"] == 0
    # always read in chunks, so that max-row-limit cannot cut the answer
    sent = _mock.form(transport.requests[0])
    assert (sent["q"], sent["db"], sent["epoch"], sent["chunked"]) == (Q, "db", "ns", "true")
    assert sent["chunk_size"] == "10000"
    # DataFrames ask which columns are tags, and the fields' types, of what Q reads
    questions = sorted(_mock.form(req)["q"] for req in transport.requests)
    asked = ['SHOW TAG KEYS ON "db" FROM "m"; SHOW FIELD KEYS ON "db" FROM "m"']
    assert questions == sorted([Q, *asked] if output in FRAMES else [Q])


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("output", OUTPUTS)
def test_a_chunked_query_gives_each_chunk_by_every_path(output, mode, wire):
    result, transport = run(mode, output, influxd(CHUNKS, wire), chunked=True)
    if output == "json":
        assert result == CHUNKS
    elif output == "iterable":
        assert result == ROWS  # the points of every chunk, in order
    else:
        first, second = result
        check_frame(first, ROWS[:2])
        check_frame(second, ROWS[2:])
    sent = _mock.form(transport.requests[0])
    assert sent["chunked"] == "true"
    assert "chunk_size" not in sent


@pytest.mark.parametrize("mode", MODES)
def test_a_chunked_iterable_result_is_the_chunked_result_class(mode):
    client = InfluxDBClient(db="db", mode=mode, output="iterable")
    _mock.use(client, influxd(CHUNKS))

    async def chunks():
        result = await client.query(Q, chunked=True)
        assert isinstance(result, InfluxDBChunkedResult)
        return [chunk async for chunk in result.iterchunks()]

    if mode == "async":
        assert asyncio.run(chunks()) == CHUNKS
    else:
        result = client.query(Q, chunked=True)
        assert isinstance(result, InfluxDBChunkedResult)
        assert list(result.iterchunks()) == CHUNKS


@pytest.mark.parametrize("piece_size", [1, 7, 1 << 16])
@pytest.mark.parametrize("wire", WIRES)
def test_the_answer_may_arrive_in_pieces_of_any_size(wire, piece_size):
    result, _ = run("async", "json", influxd(CHUNKS, wire), piece_size=piece_size)
    assert result == WHOLE
    result, _ = run("async", "json", influxd(CHUNKS, wire), chunked=True, piece_size=piece_size)
    assert result == CHUNKS


# -- errors: every path raises the same error ---------------------------------------------

Q2 = "SELECT * FROM m; SELECT nope FROM m; SELECT * FROM m"
BAD = "undefined function nope()"
FAILING = [
    {
        "results": [
            {"statement_id": 0, "series": [{"name": "m", "columns": COLUMNS, "values": ROWS}]}
        ]
    },
    {"results": [{"statement_id": 1, "error": BAD}]},
    {"results": [{"statement_id": 1, "error": "not executed"}]},
]


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("output", OUTPUTS)
def test_every_failing_statement_is_raised_by_every_path(output, mode, wire):
    with pytest.raises(InfluxDBQueryError) as info:
        run(mode, output, influxd(FAILING, wire), Q2)
    assert info.value.errors == [(1, BAD), (2, "not executed")]
    assert str(info.value) == f"statement 1: {BAD}; statement 2: not executed"


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("output", OUTPUTS)
def test_a_chunked_query_gives_the_good_chunks_then_raises(output, mode, wire):
    client = InfluxDBClient(db="db", mode=mode, output=output)
    _mock.use(client, influxd(FAILING, wire))
    got = []

    async def read():
        async for item in await client.query(Q2, chunked=True):
            got.append(item)

    def read_all():
        if mode == "async":
            asyncio.run(read())
        else:
            got.extend(client.query(Q2, chunked=True))

    with pytest.raises(InfluxDBQueryError, match=r"statement 1: .*; statement 2: not executed"):
        read_all()
    assert len(got) == (3 if output == "iterable" else 1)  # the first statement's


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("chunked", [False, True])
def test_an_error_answer_is_raised_with_the_servers_words(output, mode, chunked):
    def refuse(req):
        return _mock.answer([{"error": "authorization failed"}], status=401, reason="Unauthorized")

    with pytest.raises(InfluxDBQueryError) as info:
        run(mode, output, refuse, chunked=chunked, username="u", password="p")
    assert str(info.value) == "authorization failed (401 Unauthorized), as user 'u'"
    assert info.value.errors == [(None, "authorization failed")]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_proxy_error_page_is_raised_as_it_reads(chunked):
    def proxy(req):
        return Response(502, "Bad Gateway", {"Content-Type": "text/html"}, b"<h1>down</h1>\n")

    with pytest.raises(InfluxDBQueryError) as info:
        run("blocking", "json", proxy, chunked=chunked)
    assert str(info.value) == "<h1>down</h1> (502 Bad Gateway)"


@pytest.mark.parametrize("status", [200, 500])
@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_that_is_not_the_msgpack_it_claims_is_an_influxdb_error(chunked, status):
    def broken(req):
        return Response(status, "", {"Content-Type": "application/x-msgpack"}, b"\xc1\x00")

    with pytest.raises(InfluxDBError) as info:
        run("blocking", "json", broken, chunked=chunked)
    if status == 200:
        assert "not valid MessagePack" in str(info.value)
    else:  # an error answer that cannot be decoded is reported as the text it holds
        assert isinstance(info.value, InfluxDBQueryError)
        assert str(info.value).endswith("(500)")


def test_a_handler_may_be_a_coroutine_function_and_may_raise():
    async def slow(req):
        await asyncio.sleep(0)
        return _mock.answer(CHUNKS)

    assert run("async", "json", slow)[0] == WHOLE

    def down(req):
        raise InfluxDBError("no route")

    with pytest.raises(InfluxDBError, match="no route"):
        run("blocking", "json", down)


def test_the_fake_transport_opens_no_session():
    with pytest.raises(ValueError, match="piece_size must be a positive integer"):
        _mock.MockTransport(influxd(CHUNKS), piece_size=0)
    client = InfluxDBClient()
    transport = _mock.use(client, influxd(CHUNKS))
    with pytest.raises(RuntimeError, match="opens no session"):
        asyncio.run(transport.session())


# -- writes --------------------------------------------------------------------------------


def test_a_failed_one_request_write_stored_nothing():
    def refuse(req):
        body = json.dumps({"error": 'database not found: "db"'}).encode()
        return Response(404, "Not Found", {"Content-Type": "application/json"}, body)

    client = InfluxDBClient(db="db", mode="blocking")
    _mock.use(client, refuse)
    with pytest.raises(InfluxDBWriteError) as info:
        client.write("m v=1")
    assert info.value.requests_written == 0
    assert info.value.status == 404


@pytest.mark.parametrize("mode", MODES)
def test_the_batch_writer_sends_through_the_client(mode):
    bodies = []

    def store(req):
        bodies.append((req.url, req.params, req.body))
        return Response(204, "No Content", {}, b"")

    client = InfluxDBClient(db="db", mode=mode)
    _mock.use(client, store)

    writer = client.batch_writer(batch_size=2, rp="r")
    if mode == "blocking":
        with writer:
            writer.write(["m v=1", "m v=2", "m v=3"])
    else:

        async def main():
            async with writer:
                await writer.write(["m v=1", "m v=2", "m v=3"])

        asyncio.run(main())
    assert bodies == [
        (client.url + "write", {"db": "db", "rp": "r"}, b"m v=1\nm v=2"),
        (client.url + "write", {"db": "db", "rp": "r"}, b"m v=3"),
    ]
    assert writer.stats.points_written == 3
