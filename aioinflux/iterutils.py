"""Query results point by point: ``iterpoints``, ``InfluxDBResult``, ``InfluxDBChunkedResult``.

Rule 1: every point of every series of every statement is yielded, in the answer's order
(aioinflux up to 0.9 stopped after the first series).
Rule 2: no I/O here. ``InfluxDBChunkedResult`` wraps an async iterator of chunk answers that
the client hands it; in blocking mode the client also hands it the function that turns an
async iterator into a plain one, so the same object works with ``for`` and ``async for``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

__all__ = ["InfluxDBChunkedResult", "InfluxDBResult", "iterpoints"]

#: ``parser(values)`` or ``parser(values, meta)`` (also ``parser(values, meta=meta)``).
Parser = Callable[..., Any]


def _call_style(parser: Parser) -> str:
    """How to call ``parser`` with a point's ``values`` (a list) and the series' ``meta``.

    - ``'values'``: ``parser(values)``: one positional parameter, or no signature (builtins
      and C types such as ``tuple``);
    - ``'meta'`` / ``'meta_kw'``: ``parser(values, meta)`` / ``parser(values, meta=meta)``: a
      parameter named ``meta`` (positional or keyword-only);
    - ``'star'`` / ``'star_meta'``: ``parser(*values)`` / ``parser(*values, meta=meta)``: how
      aioinflux 0.x called every parser, kept for parsers written for it, recognised by
      ``*args`` (``lambda *x, meta: ...``) or by several required positional parameters
      besides ``meta`` (``lambda time, value: ...``, ``def p(time, value, meta)``, a
      namedtuple class), so they are never handed the values in a shape they do not expect.

    A series of one column is handed to every parser as 0.9 did, unpacked (``_ONE_VALUE``).
    """
    try:
        signature = inspect.signature(parser)
    except (TypeError, ValueError):
        return "values"
    params = signature.parameters
    meta = params.get("meta")
    required = [
        p
        for p in params.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        and p.default is inspect.Parameter.empty
        and p.name != "meta"
    ]
    if len(required) >= 2 or any(
        p.kind is inspect.Parameter.VAR_POSITIONAL for p in params.values()
    ):
        return "star_meta" if meta is not None else "star"
    if meta is not None:
        return "meta_kw" if meta.kind is inspect.Parameter.KEYWORD_ONLY else "meta"
    return "values"


#: The call style used for a series of one column: the value unpacked, as aioinflux 0.9 did.
_ONE_VALUE = {
    "values": "star",
    "meta": "star_meta",
    "meta_kw": "star_meta",
    "star": "star",
    "star_meta": "star_meta",
}


def _check_answer(resp: object, where: str) -> None:
    """Raise TypeError unless ``resp`` is a query answer (a mapping, as ``output='json'``
    gives it); a coroutine (a query that was not awaited) is closed, so that Python does not
    warn a second time that it was never awaited."""
    if isinstance(resp, Mapping):
        return
    if inspect.iscoroutine(resp):
        resp.close()
        raise TypeError(
            f"{where} got a coroutine: await the query first, "
            f"e.g. {where.rstrip('()')}(await client.query(q))"
        )
    if hasattr(resp, "__aiter__") or hasattr(resp, "__next__"):
        raise TypeError(
            f"{where} got the chunks of a chunked query: call it on each chunk, in the loop "
            f"over them"
        )
    if isinstance(resp, InfluxDBResult):
        raise TypeError(f"{where} got an InfluxDBResult: iterate over it, or pass its .data")
    raise TypeError(
        f"{where} needs a query answer as output='json' gives it (a dict), "
        f"got {type(resp).__name__}"
    )


def iterpoints(resp: dict[str, Any], parser: Parser | None = None) -> Iterator[Any]:
    """Iterate over every point of a query answer: every series of every statement.

    :param resp: a query answer as returned with ``output='json'`` (one chunk of a chunked
        query works too).
    :param parser: called on each point. A parser that takes a second argument (or a
        keyword-only ``meta``) gets the series' metadata too: a dict with ``columns``,
        ``name``, ``tags`` (grouped series only) and ``statement_id``. A callable that
        takes one argument gets the values only. A point of a one-column answer
        (``SHOW MEASUREMENTS``, ``SHOW DATABASES``) is passed as its value, not as a list of
        one value, as aioinflux 0.9 did (``lambda name: name`` gives ``'cpu'``). Without a
        parser, each point is yielded as the server's list of values.
    :return: an iterator of points.

    Dicts of column name to value::

        iterpoints(resp, lambda x, meta: dict(zip(meta['columns'], x)))

    Named tuples (one type per series layout; ``rename=True`` copes with column names that
    are not identifiers)::

        from collections import namedtuple
        from functools import lru_cache

        @lru_cache
        def point_type(columns):
            return namedtuple('Point', columns, rename=True)

        def parser(values, meta):
            return point_type(tuple(meta['columns']))(*values)

    :raises TypeError: when ``resp`` is not an answer, e.g. a query of an async client
        that was not awaited.

    .. versionchanged:: 0.10
       Yields the points of every series, not only the first one's; checks ``resp`` when
       called, not when iterated. A parser with one parameter besides ``meta`` gets the list
       of values, except for a one-column answer.
    """
    _check_answer(resp, "iterpoints()")
    return _points(resp, parser)


def _points(resp: Mapping[str, Any], parser: Parser | None) -> Iterator[Any]:
    given = _call_style(parser) if parser is not None else "values"
    for statement in resp.get("results", ()):
        for series in statement.get("series", ()):
            values = series.get("values", ())
            if parser is None:
                yield from values
                continue
            # one value per point (SHOW MEASUREMENTS, SHOW DATABASES): the value itself, as
            # aioinflux 0.9 called every parser (parser(*values))
            style = _ONE_VALUE[given] if len(series.get("columns", ())) == 1 else given
            if style == "values":
                yield from map(parser, values)
                continue
            if style == "star":
                for point in values:
                    yield parser(*point)
                continue
            meta = {k: v for k, v in series.items() if k not in ("values", "partial")}
            meta["statement_id"] = statement.get("statement_id")
            if style == "meta":
                for point in values:
                    yield parser(point, meta)
            elif style == "meta_kw":
                for point in values:
                    yield parser(point, meta=meta)
            else:  # star_meta
                for point in values:
                    yield parser(*point, meta=meta)


def _short(query: str | None) -> str:
    query = query or ""
    return query[:80] + "..." if len(query) > 80 else query


class InfluxDBResult:
    """A query answer (``output='iterable'``): iterate over it to get its points.

    :param data: the answer, as ``output='json'`` gives it.
    :param parser: applied to each point, as in :func:`iterpoints`.
    :param query: the query that gave this answer (shown by ``repr``).

    ``len()`` is the number of points of all series; iteration is
    ``iterpoints(data, parser)``.
    """

    __slots__ = ("_data", "parser", "query")

    def __init__(
        self, data: dict[str, Any], parser: Parser | None = None, query: str | None = None
    ):
        _check_answer(data, "InfluxDBResult()")
        self._data = data
        self.parser = parser
        self.query = query

    @property
    def data(self) -> dict[str, Any]:
        """The answer as the server gave it (``output='json'``)."""
        return self._data

    def _counts(self) -> list[int]:
        return [
            len(series.get("values", ()))
            for statement in self._data.get("results", ())
            for series in statement.get("series", ())
        ]

    @property
    def series_count(self) -> int:
        """Number of series, over all statements."""
        return len(self._counts())

    def __len__(self) -> int:
        return sum(self._counts())

    def __iter__(self) -> Iterator[Any]:
        return iterpoints(self._data, self.parser)

    def show(self) -> list[Any]:
        """Every point, in a list."""
        return list(self)

    def __repr__(self) -> str:
        return f'<{type(self).__name__} [q="{_short(self.query)}"]>'


class InfluxDBChunkedResult:
    """A chunked query's answer (``output='iterable'``, ``chunked=True``).

    ``async for point in result`` iterates over the points of every chunk as they arrive;
    :meth:`iterchunks` iterates over the chunks themselves. In blocking mode use ``for``
    instead of ``async for``, and :meth:`iterchunks` returns a plain iterator; ``for``
    fetches a chunk at a time from the event loop's thread and runs the parser in the
    caller's thread. Either can be consumed only once: the chunks are streamed, never all
    held.

    :param gen: the async iterator of chunk answers (what ``output='json'`` yields).
    :param parser: applied to each point, as in :func:`iterpoints`.
    :param query: the query (shown by ``repr``).
    :param to_sync: turns ``gen`` into a plain iterator; given by the client in blocking mode.
    """

    __slots__ = ("_gen", "_to_sync", "parser", "query")

    def __init__(
        self,
        gen: AsyncIterator[dict[str, Any]],
        parser: Parser | None = None,
        query: str | None = None,
        *,
        to_sync: Callable[[AsyncIterator[Any]], Iterator[Any]] | None = None,
    ):
        given: object = gen  # typed as an async iterator; a query not awaited is not one
        if inspect.iscoroutine(given):
            given.close()
            raise TypeError(
                "InfluxDBChunkedResult() got a coroutine: await the query first "
                "(await client.query(q, chunked=True))"
            )
        self._gen = gen
        self._to_sync = to_sync
        self.parser = parser
        self.query = query

    @property
    def gen(self) -> AsyncIterator[dict[str, Any]]:
        """The async iterator of chunk answers."""
        return self._gen

    def __aiter__(self) -> AsyncIterator[Any]:
        return self.iterpoints()

    async def iterpoints(self) -> AsyncIterator[Any]:
        """Every point of every chunk, as the chunks arrive."""
        async for chunk in self._gen:
            for point in iterpoints(chunk, self.parser):
                yield point

    async def _chunks(self, wrap: bool) -> AsyncIterator[Any]:
        async for chunk in self._gen:
            yield InfluxDBResult(chunk, self.parser, self.query) if wrap else chunk

    def iterchunks(self, wrap: bool = False) -> Any:
        """The chunks: answers as ``output='json'`` gives them, or :class:`InfluxDBResult`
        objects with ``wrap=True``. An async iterator (a plain one in blocking mode)."""
        chunks = self._chunks(wrap)
        return chunks if self._to_sync is None else self._to_sync(chunks)

    def __iter__(self) -> Iterator[Any]:
        if self._to_sync is None:
            raise TypeError(
                "a chunked result of an async client is iterated with 'async for'; "
                "'for' works in blocking mode"
            )
        return self._sync_points(self._to_sync(self._gen))

    def _sync_points(self, chunks: Iterator[dict[str, Any]]) -> Iterator[Any]:
        # one trip to the event loop's thread per chunk; the points (and the parser) come
        # from the chunk in the caller's thread (tests/test_query_results.py checks it)
        for chunk in chunks:
            yield from iterpoints(chunk, self.parser)

    def __repr__(self) -> str:
        return f'<{type(self).__name__} [q="{_short(self.query)}"]>'
