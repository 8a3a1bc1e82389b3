"""Pure tests of iterpoints, InfluxDBResult and InfluxDBChunkedResult (no server)."""

from __future__ import annotations

import asyncio
from collections import namedtuple
from functools import lru_cache

import pytest

from aioinflux import InfluxDBChunkedResult, InfluxDBResult, iterpoints

ANSWER = {
    "results": [
        {
            "statement_id": 0,
            "series": [
                {
                    "name": "m",
                    "tags": {"t": "a"},
                    "columns": ["time", "v"],
                    "values": [[1, 1.5], [3, 2.5]],
                },
                {"name": "m", "tags": {"t": "b"}, "columns": ["time", "v"], "values": [[2, 3.5]]},
            ],
        },
        {"statement_id": 1},
        {
            "statement_id": 2,
            "series": [{"name": "n", "columns": ["time", "s"], "values": [[4, "x"]]}],
        },
    ]
}
ALL_VALUES = [[1, 1.5], [3, 2.5], [2, 3.5], [4, "x"]]


def test_iterpoints_yields_every_series_of_every_statement():
    assert list(iterpoints(ANSWER)) == ALL_VALUES


def test_parser_with_meta_gets_columns_name_tags_and_statement_id():
    seen = list(iterpoints(ANSWER, lambda x, meta: (x[0], meta)))
    assert [t for t, _ in seen] == [1, 3, 2, 4]
    assert seen[0][1] == {
        "name": "m",
        "tags": {"t": "a"},
        "columns": ["time", "v"],
        "statement_id": 0,
    }
    assert seen[3][1] == {"name": "n", "columns": ["time", "s"], "statement_id": 2}


def test_dict_parser():
    points = list(iterpoints(ANSWER, lambda x, meta: dict(zip(meta["columns"], x, strict=True))))
    assert points == [
        {"time": 1, "v": 1.5},
        {"time": 3, "v": 2.5},
        {"time": 2, "v": 3.5},
        {"time": 4, "s": "x"},
    ]


def test_keyword_only_meta():
    def parser(values, *, meta):
        return meta["statement_id"], values[0]

    assert list(iterpoints(ANSWER, parser)) == [(0, 1), (0, 3), (0, 2), (2, 4)]


def test_single_argument_callables_get_the_values_only():
    assert list(iterpoints(ANSWER, tuple)) == [tuple(v) for v in ALL_VALUES]
    assert list(iterpoints(ANSWER, lambda x: x[0])) == [1, 3, 2, 4]
    # a second parameter with a default that is not called meta is not meta
    assert list(iterpoints(ANSWER, lambda x, scale=10: x[0] * scale)) == [10, 30, 20, 40]


def test_parsers_written_for_aioinflux_0x_are_called_as_0x_called_them():
    # 0.x called parser(*values) and parser(*values, meta=meta): such parsers (recognised by
    # *args, or by several positional parameters none called meta) still get that call
    assert list(iterpoints(ANSWER, lambda *x: x)) == [tuple(v) for v in ALL_VALUES]
    assert list(
        iterpoints(ANSWER, lambda *x, meta: dict(zip(meta["columns"], x, strict=False)))
    ) == [
        {"time": 1, "v": 1.5},
        {"time": 3, "v": 2.5},
        {"time": 2, "v": 3.5},
        {"time": 4, "s": "x"},
    ]
    assert list(iterpoints(ANSWER, lambda time, value: (value, time))) == [
        (v, t) for t, v in ALL_VALUES
    ]
    Point = namedtuple("Point", ["time", "value"])
    assert next(iter(iterpoints(ANSWER, Point))) == Point(1, 1.5)


def test_09_parsers_with_meta_and_several_values_get_them_unpacked():
    def by_name(time, value, meta):  # 0.9: parser(*values, meta=meta)
        return meta["statement_id"], time, value

    def keyword_meta(time, value, *, meta):
        return time, value, meta["name"]

    first = {"results": ANSWER["results"][:1]}
    assert list(iterpoints(first, by_name)) == [(0, 1, 1.5), (0, 3, 2.5), (0, 2, 3.5)]
    assert next(iter(iterpoints(first, keyword_meta))) == (1, 1.5, "m")


SHOW = {
    "results": [
        {
            "statement_id": 0,
            "series": [{"name": "measurements", "columns": ["name"], "values": [["cpu"], ["m"]]}],
        }
    ]
}


def test_a_one_column_answer_hands_every_parser_the_value_as_09_did():
    # aioinflux 0.9 called parser(*values): a one-argument parser got 'cpu', not ['cpu']
    assert list(iterpoints(SHOW, lambda name: name)) == ["cpu", "m"]
    assert list(iterpoints(SHOW, str.upper)) == ["CPU", "M"]
    assert list(iterpoints(SHOW, lambda name, meta: (name, meta["name"]))) == [
        ("cpu", "measurements"),
        ("m", "measurements"),
    ]
    assert list(iterpoints(SHOW, lambda name, *, meta: name)) == ["cpu", "m"]
    assert list(iterpoints(SHOW, lambda *x: x)) == [("cpu",), ("m",)]
    assert list(iterpoints(SHOW)) == [["cpu"], ["m"]]  # no parser: the server's rows
    # several columns: a one-argument parser still gets the list
    assert list(iterpoints(ANSWER, lambda x: x)) == ALL_VALUES


def test_namedtuple_parser_as_documented():
    @lru_cache
    def point_type(columns):
        return namedtuple("Point", columns, rename=True)

    def parser(values, meta):
        return point_type(tuple(meta["columns"]))(*values)

    points = list(iterpoints(ANSWER, parser))
    assert points[0].time == 1
    assert points[0].v == 1.5
    assert points[3].s == "x"
    Point = namedtuple("Point", ["time", "v"])
    assert next(iter(iterpoints({"results": ANSWER["results"][:1]}, Point._make))) == Point(1, 1.5)


def test_empty_answers():
    assert list(iterpoints({"results": [{"statement_id": 0}]})) == []
    assert list(iterpoints({"results": []}, lambda x, meta: x)) == []


def test_influxdb_result():
    result = InfluxDBResult(ANSWER, query="SELECT * FROM m GROUP BY t; SHOW x; SELECT s FROM n")
    assert len(result) == 4
    assert result.series_count == 3
    assert result.data is ANSWER
    assert list(result) == ALL_VALUES
    assert result.show() == ALL_VALUES
    assert (
        repr(result) == '<InfluxDBResult [q="SELECT * FROM m GROUP BY t; SHOW x; SELECT s FROM n"]>'
    )
    result.parser = lambda x, meta: meta["statement_id"]
    assert result.show() == [0, 0, 0, 2]


def test_long_queries_are_shortened_in_repr():
    result = InfluxDBResult({"results": []}, query="SELECT " + "x" * 100)
    assert repr(result) == f'<InfluxDBResult [q="SELECT {"x" * 73}..."]>'
    assert len(result) == 0
    assert result.series_count == 0


async def _agen(items):
    for item in items:
        yield item


async def test_chunked_result_async_iteration():
    chunks = [
        ANSWER,
        {
            "results": [
                {"statement_id": 0, "series": [{"name": "m", "columns": ["time"], "values": [[9]]}]}
            ]
        },
    ]
    result = InfluxDBChunkedResult(_agen(chunks), query="q")
    assert [p async for p in result] == [*ALL_VALUES, [9]]
    assert repr(result) == '<InfluxDBChunkedResult [q="q"]>'
    wrapped = [c async for c in InfluxDBChunkedResult(_agen(chunks)).iterchunks(wrap=True)]
    assert [len(c) for c in wrapped] == [4, 1]
    assert all(isinstance(c, InfluxDBResult) for c in wrapped)
    plain = [c async for c in InfluxDBChunkedResult(_agen(chunks)).iterchunks()]
    assert plain == chunks


def _to_sync(agen):
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.close()


def test_chunked_result_plain_iteration_when_given_a_converter():
    result = InfluxDBChunkedResult(_agen([ANSWER]), lambda x: x[0], to_sync=_to_sync)
    assert list(result) == [1, 3, 2, 4]
    chunks = InfluxDBChunkedResult(_agen([ANSWER]), to_sync=_to_sync).iterchunks()
    assert list(chunks) == [ANSWER]


def test_chunked_result_of_an_async_client_refuses_plain_iteration():
    gen = _agen([ANSWER])
    with pytest.raises(TypeError, match="iterated with 'async for'"):
        iter(InfluxDBChunkedResult(gen))
    asyncio.run(gen.aclose())


# -- a query that was not awaited -------------------------------------------------------


async def _answer():
    return ANSWER


def _no_warning_after_collect(check):
    """Run ``check`` and collect garbage: a coroutine left unclosed warns 'never awaited'."""
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check()
        gc.collect()
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            iterpoints,
            r"iterpoints\(\) got a coroutine: await the query first, "
            r"e\.g\. iterpoints\(await client\.query\(q\)\)",
        ),
        (InfluxDBResult, r"InfluxDBResult\(\) got a coroutine: await the query first"),
        (InfluxDBChunkedResult, r"InfluxDBChunkedResult\(\) got a coroutine: await the query"),
    ],
)
def test_a_query_not_awaited_is_named_and_closed(call, message):
    coroutine = _answer()

    def check():
        with pytest.raises(TypeError, match=message):
            call(coroutine)

    _no_warning_after_collect(check)
    assert coroutine.cr_frame is None  # closed: it can no longer run


def test_to_dataframe_names_a_query_not_awaited():
    from aioinflux.serialization.dataframe import to_dataframe

    def check():
        with pytest.raises(TypeError, match=r"to_dataframe\(\) got a coroutine"):
            to_dataframe(_answer())

    _no_warning_after_collect(check)


def test_iterpoints_checks_its_argument_when_called_not_when_iterated():
    with pytest.raises(TypeError, match=r"iterpoints\(\) got an InfluxDBResult: iterate over it"):
        iterpoints(InfluxDBResult(ANSWER))
    with pytest.raises(TypeError, match=r"needs a query answer as output='json' gives it .*list"):
        iterpoints([ANSWER])


def test_iterpoints_given_the_chunks_of_a_chunked_query_says_to_call_it_on_each():
    async def chunks():
        yield ANSWER

    stream = chunks()
    with pytest.raises(TypeError, match=r"got the chunks of a chunked query: call it on each"):
        iterpoints(stream)
    asyncio.run(stream.aclose())
