"""``InfluxDBClient``: configuration, modes, and the three endpoints ``ping``/``write``/``query``.

Rule 1: the client composes the pure parts (``serialization``, ``_protocol``) with the
transport; it parses nothing itself.
Rule 2: every argument is checked and the whole write body is encoded before any I/O.
Rule 3: each public I/O method is an ``async def`` wrapped by ``blocking.runner``, so it
follows ``client.mode``; internal code calls the undecorated coroutines, never the public
methods (a blocking call from the private loop's thread would wait on itself).
"""

from __future__ import annotations

import asyncio
import ssl as _ssl
import warnings
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from . import _protocol
from ._transport import Transport, make_timeout
from .blocking import run, runner
from .exceptions import InfluxDBError
from .serialization import write_bodies
from .writer import BatchWriter

__all__ = ["InfluxDBClient"]

_MODES = ("async", "blocking")
_OUTPUTS = {"json": "json", "raw": "json"}


class InfluxDBClient:
    """Client for InfluxDB 1.x's HTTP API (and the v1-compatible API of 2.x/3.x).

    :param host: server host name or IP address.
    :param port: server port.
    :param path: path prefix of the API, for a server behind a reverse proxy.
    :param mode: ``'async'`` (methods return coroutines) or ``'blocking'`` (methods return
        results); can be changed at any time through :attr:`mode`.
    :param output: what :meth:`query` returns: ``'json'`` (the parsed JSON, alias ``'raw'``).
    :param db: default database of writes and queries; can be changed through :attr:`db`.
    :param database: alias of ``db``.
    :param ssl: ``True`` for HTTPS with the system's trusted certificates, or an
        :class:`ssl.SSLContext` for custom trust or client certificates.
    :param unix_socket: path of the server's unix socket, used instead of TCP.
    :param username: user name for HTTP basic auth (sent in a header, never in the URL).
    :param password: password for HTTP basic auth.
    :param token: token of InfluxDB 2.x/3.x, sent as ``Authorization: Token <token>``.
    :param timeout: seconds a whole request may take, or an :class:`aiohttp.ClientTimeout`;
        by default aiohttp's (5 minutes).
    :param gzip: compress write bodies (``Content-Encoding: gzip``); worth it across real
        networks, not on loopback. Can be changed through the ``gzip`` attribute.
    :param kwargs: passed on to :class:`aiohttp.ClientSession`.
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int = 8086,
        path: str = "/",
        mode: str = "async",
        output: str = "json",
        db: str | None = None,
        database: str | None = None,
        ssl: bool | _ssl.SSLContext = False,
        *,
        unix_socket: str | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float | aiohttp.ClientTimeout | None = None,
        gzip: bool = False,
        **kwargs: Any,
    ):
        if db is not None and database is not None and db != database:
            raise ValueError(f"db and database name different databases: {db!r}, {database!r}")
        if not isinstance(ssl, (bool, _ssl.SSLContext)):
            raise TypeError(f"ssl must be True, False or an ssl.SSLContext, got {ssl!r}")
        self.host = host
        self.port = port
        self.path = path
        self.ssl = ssl
        self.unix_socket = unix_socket
        self.username = username
        #: Compress write bodies with gzip.
        self.gzip = gzip
        self.mode = mode
        self.output = output
        self.db = db if db is not None else database
        #: Options of every :class:`aiohttp.ClientSession` this client creates.
        self.opts: dict[str, Any] = kwargs
        self._headers = _protocol.auth_headers(username, password, token)
        self._url = _protocol.base_url(host, port, path, ssl is not False)
        self._transport = Transport(
            self.create_session,
            ssl=ssl if isinstance(ssl, _ssl.SSLContext) else True,
            timeout=make_timeout(timeout),
        )

    # -- configuration -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the API, e.g. ``http://localhost:8086/``."""
        return self._url

    @property
    def mode(self) -> str:
        """``'async'`` or ``'blocking'``; may be changed between calls."""
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be 'async' or 'blocking', got {mode!r}")
        self._mode = mode

    @property
    def output(self) -> str:
        """What :meth:`query` returns: ``'json'`` (``'raw'`` is accepted as an alias)."""
        return self._output

    @output.setter
    def output(self, output: str) -> None:
        if output not in _OUTPUTS:
            raise ValueError(f"output must be 'json' or 'raw', got {output!r}")
        self._output = _OUTPUTS[output]

    @property
    def db(self) -> str | None:
        """Default database of writes and queries."""
        return self._db

    @db.setter
    def db(self, db: str | None) -> None:
        if db is not None and not isinstance(db, str):
            raise TypeError(f"db must be a str or None, got {type(db).__name__}")
        self._db = db

    @property
    def closed(self) -> bool:
        """True while the client holds no open session: before first use and after
        :meth:`close`. A closed client opens a new session when it is used again."""
        return self._transport.closed

    def __repr__(self) -> str:
        user = f", username={self.username!r}" if self.username is not None else ""
        where = f", unix_socket={self.unix_socket!r}" if self.unix_socket else ""
        return (
            f"{type(self).__name__}(url={self.url!r}{where}, db={self.db!r}, "
            f"mode={self.mode!r}, output={self.output!r}{user})"
        )

    async def create_session(self, **kwargs: Any) -> aiohttp.ClientSession:
        """Create the :class:`aiohttp.ClientSession` of the running event loop.

        Called on the first request made in each event loop. Call it with ``kwargs`` to
        change the session's options (they are kept for later sessions too), or override it
        to build the session yourself; an override must call ``super().create_session()``.
        """
        self.opts.update(kwargs)
        session = self._transport.make_session(self.opts, self.unix_socket)
        await self._transport.install(session)
        return session

    # -- endpoints -----------------------------------------------------------------------

    @runner
    async def ping(self) -> dict[str, str]:
        """Ping the server.

        :return: the response headers, e.g. ``X-Influxdb-Version``.
        :raises InfluxDBError: if the server does not answer 204.
        """
        resp = await self._transport.send(_protocol.ping_request(self.url, self._headers))
        if resp.status != 204:
            message = _protocol.server_message(resp)
            raise InfluxDBError(f"ping {self.url}ping answered {resp.status}: {message}")
        return dict(resp.headers)

    @runner
    async def write(
        self,
        /,
        data: Any,
        measurement: str | None = None,
        db: str | None = None,
        precision: str | None = None,
        rp: str | None = None,
        tag_columns: list[str] | None = None,
        consistency: str | None = None,
        **extra_tags: Any,
    ) -> bool:
        """Write data.

        The whole batch is encoded and checked before it is sent, so a batch with a bad
        point writes nothing.

        :param data: a point or an iterable of points, in any mix: line protocol (``str`` or
            ``bytes``), mappings, pandas DataFrames, ``@lineprotocol`` objects (see
            :doc:`writing`). Everything is checked before the first request; data over
            16 MiB of line protocol is sent in several requests (influxd's default limit is
            25 MB), and a DataFrame of more than 100,000 rows is encoded slice by slice as
            it is sent.
        :param measurement: measurement of points that do not name one.
        :param db: database; default :attr:`db`.
        :param precision: precision of the write: integer timestamps are in it and other
            times are floored to it: ``'ns'`` (default), ``'u'``, ``'ms'``, ``'s'``, ``'m'``
            or ``'h'``.
        :param rp: retention policy; default the database's default one.
        :param tag_columns: DataFrame columns to write as tags.
        :param consistency: write consistency of an InfluxDB Enterprise cluster.
        :param extra_tags: tags added to every point.
        :return: True once the server has stored the data.
        :raises InfluxDBWriteError: if the server does not accept the data. When the write
            took several requests and earlier ones were stored, the error's
            ``requests_written`` says how many.
        :raises LineProtocolError: (a ``ValueError``) for data that cannot be written exactly;
            nothing is sent.
        :raises TypeError: for data of an unsupported type; nothing is sent.
        """
        bodies = write_bodies(data, measurement, tag_columns, precision, **extra_tags)
        for written, body in enumerate(bodies):
            try:
                await self._post_write(
                    body, db=db, precision=precision, rp=rp, consistency=consistency
                )
            except InfluxDBError as exc:
                if written:  # the data took several requests: say what is stored already
                    exc.requests_written = written  # type: ignore[attr-defined]
                    if hasattr(exc, "add_note"):  # Python 3.11+
                        exc.add_note(f"{written} earlier request(s) of this write were stored")
                raise
        return True

    def batch_writer(self, **options: Any) -> BatchWriter:
        """A :class:`~aioinflux.writer.BatchWriter` that writes through this client in batches,
        in the background, retrying what can be retried. Use it with ``async with`` (or
        ``with`` in blocking mode)::

            async with client.batch_writer(batch_size=5000, flush_interval=1.0) as writer:
                await writer.write(points)

        :param options: the :class:`~aioinflux.writer.BatchWriter` options.
        """
        return BatchWriter(self, **options)

    async def _post_write(
        self,
        body: bytes,
        *,
        db: str | None = None,
        precision: str | None = None,
        rp: str | None = None,
        consistency: str | None = None,
        gzip: bool | None = None,
    ) -> None:
        """Send an encoded body to ``/write`` (nothing for an empty body); raise unless 204."""
        req = _protocol.write_request(
            self.url,
            self._headers,
            body,
            db=db or self.db,
            precision=precision,
            rp=rp,
            consistency=consistency,
            gzip=self.gzip if gzip is None else gzip,
        )
        if body:
            _protocol.check_write(await self._transport.send(req))

    @runner
    async def query(
        self,
        q: str | bytes,
        *,
        epoch: str | None = "ns",
        chunked: bool = False,
        chunk_size: int | None = None,
        db: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run one or more InfluxQL statements (separated by ``;``).

        :param q: the query.
        :param epoch: precision of the returned times (``'ns'``, ``'u'``, ``'ms'``, ``'s'``,
            ``'m'``, ``'h'``), or None for RFC3339 strings.
        :param chunked: stream the answer in chunks: the call returns an async generator of
            responses (a plain iterator in blocking mode).
        :param chunk_size: points per chunk (the server's default is 10,000).
        :param db: database; default :attr:`db`.
        :param params: bound parameters, referred to as ``$name`` in ``q``.
        :return: the parsed JSON answer.
        :raises InfluxDBQueryError: naming every failing statement.
        """
        if isinstance(q, bytes):
            q = q.decode("utf-8")
        req = _protocol.query_request(
            self.url,
            self._headers,
            q,
            db=db or self.db,
            epoch=epoch,
            chunked=chunked,
            chunk_size=chunk_size,
            params=params,
        )
        if chunked:
            return self._chunks(req)
        return _protocol.parse_query(await self._transport.send(req))

    async def _chunks(self, req: _protocol.Request) -> AsyncIterator[dict[str, Any]]:
        async with self._transport.stream(req) as (head, body):
            if head.status != 200:
                content = b"".join([piece async for piece in body])
                _protocol.parse_query(
                    _protocol.Response(head.status, head.reason, head.headers, content)
                )
            decoder = _protocol.ChunkDecoder()
            async for piece in body:
                for chunk in decoder.feed(piece):
                    yield _protocol.check_results(chunk)
            for chunk in decoder.flush():
                yield _protocol.check_results(chunk)

    # -- life cycle ----------------------------------------------------------------------

    @runner
    async def close(self) -> None:
        """Close the client's sessions. Calling it again does nothing."""
        await self._transport.close()

    async def __aenter__(self) -> InfluxDBClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.shield(self._transport.close())

    def __enter__(self) -> InfluxDBClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        run(self._transport.close())

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None and not transport.closed:
            warnings.warn(
                f"{self!r} was not closed: call close() or use 'async with' / 'with'",
                ResourceWarning,
                source=self,
                stacklevel=2,
            )
