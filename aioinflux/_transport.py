"""The only module that talks to aiohttp: sessions, sending requests, streaming bodies.

Rule 1: sessions are lazy and loop-bound. An aiohttp session belongs to the event loop it
was made in, so there is one per loop, made on first use there (async mode uses the caller's
loop, blocking mode the private loop of ``blocking.py``). ``close()`` closes them all and can
be called any number of times.
Rule 2: every aiohttp call sits inside ``_map_errors()``, which turns aiohttp's and asyncio's
exceptions into ``InfluxDBConnectionError``/``InfluxDBTimeoutError`` naming the URL; nothing
above this module sees an aiohttp exception. The mapped error keeps plain text only (status,
message, URL without credentials), with no ``__cause__`` or ``__context__``: aiohttp's
exceptions hold the request's headers (``request_info``), hence its Authorization.
Rule 3: nothing secret is logged: a log line is method, URL (never holding credentials),
status and duration; a proxy is named with its password replaced by ``***``.
Rule 4: closing ends every request in flight. Each request is a ``_Call`` registered with
its loop's session; ``close()`` aborts them all (the task awaiting one is cancelled, and the
cancellation becomes ``InfluxDBConnectionError`` saying the client was closed; a streamed
body not being read at that moment fails on its next read). Closing the aiohttp session is
not enough: it drops the connections of bodies being read without waking their readers,
which then wait for the request timeout (tests/test_shutdown.py shows both). Nor does it
end the HTTPS connections aiohttp was still closing; our connectors abort those (``_Opened``).
Rule 5: memory is bounded whatever the server sends: an answer that is not streamed to a
query reader (an error, a ping, a write) is read up to ``ERROR_BODY_LIMIT`` bytes and its
connection dropped after; aiohttp does not inflate answers (``auto_decompress=False``): the
``Inflater`` does, in bounded pieces, only an encoding the request asked for.
Rule 6: redirects are followed here, not by aiohttp, by ``_protocol.redirect_target``'s rule
(a POST is never turned into a GET), at most ``MAX_REDIRECTS`` times; the Authorization
header is not sent to another origin (aiohttp's rule, kept).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
import re
import ssl as _ssl
import time
import urllib.request
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from ._config import redact_url
from ._protocol import ERROR_BODY_LIMIT, Inflater, Request, Response, redirect_target
from .exceptions import InfluxDBConnectionError, InfluxDBError, InfluxDBTimeoutError

__all__ = ["ClientSession", "ClientTimeout", "Transport", "make_timeout"]

# aiohttp's types that the client's signatures name, handed on from here: the transport is
# the one module that imports aiohttp (tests/test_layering.py)
ClientSession = aiohttp.ClientSession
ClientTimeout = aiohttp.ClientTimeout

T = TypeVar("T")

logger = logging.getLogger("aioinflux")

#: Pieces read at a time from a body (the query reader bounds the chunks they make up).
STREAM_READ_SIZE = 1 << 16
#: Redirects followed at most for one request (aiohttp's default).
MAX_REDIRECTS = 10
#: What the client accepts when neither the request nor the session says.
ACCEPT_ENCODING = "gzip, deflate"
#: Bodies larger than this go to aiohttp as a BytesIO, which it sends in pieces, yielding
#: to the loop between them (bytes are sent at once, and aiohttp warns above 1 MiB).
LARGE_BODY = 1 << 20


def make_timeout(timeout: float | aiohttp.ClientTimeout | None) -> aiohttp.ClientTimeout | None:
    """Seconds (the whole request) or an ``aiohttp.ClientTimeout``; None keeps aiohttp's."""
    if timeout is None or isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return aiohttp.ClientTimeout(total=float(timeout))


def _url(req: Request) -> str:
    return str(URL(req.url).with_query(req.params)) if req.params else req.url


#: Why the requests of a session are aborted when the client closes it.
CLIENT_CLOSED = "the client was closed"


class _Aborted(Exception):
    """A request aborted on purpose (see ``_Call``); ``_map_errors`` says why, with the URL."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Call:
    """One request in flight on a loop's session, which ``abort()`` can end at any time.

    Every await of the request goes through :meth:`wait`, which records the task awaiting;
    ``abort()`` cancels that task, and ``wait`` turns the cancellation into ``_Aborted``
    (a cancellation that also came from elsewhere stays a cancellation).
    """

    __slots__ = ("reason", "task")

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.reason: str | None = None

    def abort(self, reason: str) -> None:
        if self.reason is not None:
            return
        self.reason = reason
        # (the task of a loop that is closed already will never run again: leave it)
        if self.task is not None and not self.task.get_loop().is_closed():
            self.task.cancel()

    async def wait(self, awaitable: Awaitable[T]) -> T:
        if self.reason is not None:
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()  # a coroutine never to be awaited
            raise _Aborted(self.reason)
        task = self.task = asyncio.current_task()
        try:
            return await awaitable
        except asyncio.CancelledError:
            reason = self._aborted_by()
            if reason is None or task is None:
                raise
            # the cancellation was ours: take it back (tasks count their cancellations),
            # unless someone else cancelled the task too (tests/test_cancellation.py)
            if task.uncancel() > 0:
                raise
            raise _Aborted(reason) from None
        finally:
            self.task = None

    def _aborted_by(self) -> str | None:
        return self.reason


_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*):[^\s/@]*@")


def _text(exc: BaseException, secrets: tuple[str, ...]) -> str:
    """What ``exc`` says, without a URL's password or a secret header value.

    aiohttp's ``ClientResponseError`` says its status and message (its ``str`` adds the URL,
    which for a proxy holds the proxy's password); any other text is cleaned as well.
    """
    if isinstance(exc, aiohttp.ClientResponseError):
        text = f"{exc.status} {exc.message}"
    else:
        text = str(exc) or type(exc).__name__
    text = _URL_PASSWORD.sub(r"\g<head>:***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _secrets(req: Request) -> tuple[str, ...]:
    """The values of ``req`` that no message may show: its Authorization header and the
    credentials in it."""
    value = next((v for k, v in req.headers.items() if k.lower() == "authorization"), "")
    return (value, value.partition(" ")[2]) if value else ()


@contextlib.contextmanager
def _map_errors(
    req: Request, timeout: aiohttp.ClientTimeout | None, proxy: str | None = None
) -> Iterator[None]:
    try:
        with _mapping(req, timeout, proxy):
            yield
    except InfluxDBConnectionError as error:
        if isinstance(error.__context__, _FOREIGN):
            # raised while aiohttp's exception was handled, which Python keeps as the
            # context even after 'from None' (and error trackers read it): drop it
            error.__context__ = None
        raise


_FOREIGN = (aiohttp.ClientError, OSError, RuntimeError, _Aborted)


@contextlib.contextmanager
def _mapping(
    req: Request, timeout: aiohttp.ClientTimeout | None, proxy: str | None = None
) -> Iterator[None]:
    url = _url(req)
    secrets = _secrets(req)
    try:
        yield
    except InfluxDBError:
        raise
    except _Aborted as exc:
        raise InfluxDBConnectionError(
            f"{req.method} {url} was aborted: {exc.reason}", url=url
        ) from None
    except TimeoutError:  # aiohttp raises ServerTimeoutError, a subclass
        limit = f" (timeout: {timeout.total} s)" if timeout and timeout.total else ""
        raise InfluxDBTimeoutError(f"{req.method} {url} timed out{limit}", url=url) from None
    except aiohttp.ClientSSLError as exc:
        raise InfluxDBConnectionError(
            f"TLS error talking to {url}: {_text(exc, secrets)}", url=url
        ) from None
    except aiohttp.ClientProxyConnectionError as exc:
        where = f"the proxy {redact_url(proxy)}" if proxy else "the proxy"
        raise InfluxDBConnectionError(
            f"cannot connect to {where} (for {url}): {_text(exc, secrets)}", url=url
        ) from None
    except aiohttp.ClientConnectorError as exc:
        raise InfluxDBConnectionError(
            f"cannot connect to {url}: {_text(exc, secrets)}", url=url
        ) from None
    except aiohttp.ClientHttpProxyError as exc:
        where = f"the proxy {redact_url(proxy)}" if proxy else "the proxy"
        raise InfluxDBConnectionError(
            f"{where} refused to connect to {url}: {_text(exc, secrets)}", url=url
        ) from None
    except (aiohttp.ClientError, OSError) as exc:
        raise InfluxDBConnectionError(
            f"{req.method} {url} failed: {_text(exc, secrets)}", url=url
        ) from None
    except RecursionError:
        raise  # not aiohttp's: code run inside the request (never a connection error)
    except RuntimeError as exc:
        # only aiohttp's calls run in here: its RuntimeError('Connection closed.') comes
        # from a read on a connection closed under it (its session was closed)
        raise InfluxDBConnectionError(
            f"{req.method} {url} failed: {_text(exc, secrets)}", url=url
        ) from None


class _LoopSession:
    """The session of one event loop, with the guard that closes it when the loop ends.

    The guard is an async generator started in that loop: ``asyncio.run()`` (and any runner
    that calls ``loop.shutdown_asyncgens()``) closes it before closing the loop, and its
    ``finally`` then closes the session on its own loop. So a client used across several
    ``asyncio.run()`` calls leaves no socket behind.
    """

    def __init__(self, session: aiohttp.ClientSession):
        self.session = session
        self.guard = self._guard()
        #: the requests in flight on this session
        self.calls: set[_Call] = set()

    async def _guard(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            try:
                await self.session.close()
            finally:
                _LIVE.discard(self)

    async def start(self) -> None:
        await self.guard.__anext__()

    async def close(self, reason: str = CLIENT_CLOSED) -> None:
        """Abort the requests in flight, then close the session."""
        for call in list(self.calls):
            call.abort(reason)
        await self.guard.aclose()


class _Opened:
    """The transports a connector opened whose closing has not completed.

    aiohttp stops tracking a connection once it starts closing it (an answer saying
    ``Connection: close``, or every answer through a proxy, where connections are not reused).
    Over TLS that close is polite: send close_notify, wait for the peer's, then close the
    socket; a peer that never answers keeps the socket open (asyncio gives up after 30 s),
    past the connector's close and past the end of ``asyncio.run``, which then warns about
    an unclosed transport. ``close()`` aborts those, as aiohttp does with the TLS connections
    still in its pool (tests/test_connection.py: a TLS server that never answers close_notify).
    """

    def __init__(self) -> None:
        self._closing: dict[asyncio.Transport, asyncio.Future[None]] = {}

    def add(self, connection: aiohttp.connector.Connection) -> None:
        protocol, transport = connection.protocol, connection.transport
        if protocol is None or transport is None or transport in self._closing:
            return
        closed = protocol.closed  # None once the connection is lost
        if closed is not None:
            self._closing[transport] = closed
            closed.add_done_callback(lambda _: self._closing.pop(transport, None))

    async def abort(self, loop: asyncio.AbstractEventLoop) -> None:
        """Abort the transports not closed yet and wait until they are."""
        closing, self._closing = self._closing, {}
        if loop.is_closed():
            return
        waiting = []
        for transport, closed in closing.items():
            if not closed.done():
                transport.abort()
                waiting.append(closed)
        if waiting:
            await asyncio.gather(*waiting, return_exceptions=True)


class _Aborting(aiohttp.BaseConnector):
    """Put before aiohttp's connector class: ``close()`` also ends the connections being
    closed (:class:`_Opened`). Keyword arguments of ``close()`` go to aiohttp's as they are
    (its ``abort_ssl`` is newer than the oldest aiohttp supported)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._opened = _Opened()

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: Any,
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 (aiohttp's signature, overridden)
    ) -> aiohttp.connector.Connection:
        connection = await super().connect(req, traces, timeout)
        self._opened.add(connection)
        return connection

    async def close(self, **kwargs: Any) -> None:
        await super().close(**kwargs)
        await self._opened.abort(self._loop)


class _TCPConnector(_Aborting, aiohttp.TCPConnector):
    """``aiohttp.TCPConnector`` whose ``close()`` also ends the connections being closed."""


class _UnixConnector(_Aborting, aiohttp.UnixConnector):
    """``aiohttp.UnixConnector`` whose ``close()`` also ends the connections being closed."""


class Transport:
    """Sends ``Request`` objects over the session of the running loop.

    :param factory: makes and installs the session of the running loop (the client's
        ``create_session``); called the first time a loop needs one.
    """

    def __init__(
        self,
        factory: Callable[[], Awaitable[aiohttp.ClientSession]],
        *,
        ssl: _ssl.SSLContext | bool,
        timeout: aiohttp.ClientTimeout | None,
        max_connections: int | None = 100,
        keepalive_timeout: float = 15.0,
        proxy: str | None = None,
        url: str | None = None,
    ):
        self._factory = factory
        self._ssl = ssl
        self.timeout = timeout
        self.max_connections = max_connections
        self.keepalive_timeout = keepalive_timeout
        self._proxy = proxy
        self._url = url
        self._sessions: dict[asyncio.AbstractEventLoop, _LoopSession] = {}
        self._closing: set[concurrent.futures.Future[None]] = set()

    @property
    def closed(self) -> bool:
        return all(entry.session.closed for entry in self._sessions.values())

    def make_session(self, opts: dict[str, Any], unix_socket: str | None) -> aiohttp.ClientSession:
        """A new session for the running loop, with a connection pool of its own (a
        connector belongs to the loop it was made in, so each session gets a new one)."""
        opts = dict(opts)
        pool: dict[str, Any] = {"limit": self.max_connections or 0}  # aiohttp: 0 is no limit
        if self._proxied(opts):
            # Some proxies (tinyproxy) close the connection after each answer without saying
            # so; a request sent on it then fails ("Cannot write to closing transport", seen
            # with tinyproxy 1.11). Connections through a proxy are not reused
            # (tests/test_proxies.py sends requests in a row through tinyproxy).
            pool["force_close"] = True
        else:
            pool["keepalive_timeout"] = self.keepalive_timeout
        if unix_socket is not None:
            opts["connector"] = _UnixConnector(path=unix_socket, **pool)
        else:
            opts["connector"] = _TCPConnector(**pool)
        if self.timeout is not None and "timeout" not in opts:
            opts["timeout"] = self.timeout
        # answers are inflated by the Inflater, in bounded pieces (aiohttp would inflate a
        # gzip bomb whole, and any encoding, asked for or not)
        opts["auto_decompress"] = False
        return aiohttp.ClientSession(**opts)

    def _proxied(self, opts: dict[str, Any]) -> bool:
        """Whether requests go through a proxy: the ``proxy`` option, or with ``trust_env``
        the ``*_PROXY`` variables for the server's URL (as aiohttp reads them)."""
        if self._proxy is not None:
            return True
        if not opts.get("trust_env") or self._url is None:
            return False
        url = URL(self._url)
        return url.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(
            url.raw_host or ""
        )

    async def install(self, session: aiohttp.ClientSession) -> None:
        """Make ``session`` the one of the running loop, closing the one it replaces."""
        loop = asyncio.get_running_loop()
        old = self._sessions.get(loop)
        entry = self._sessions[loop] = _LoopSession(session)
        _LIVE.add(entry)
        await entry.start()
        if old is not None and old.session is not session:
            await old.close("its session was replaced (create_session)")

    async def session(self) -> aiohttp.ClientSession:
        return (await self._entry()).session

    async def _entry(self) -> _LoopSession:
        loop = asyncio.get_running_loop()
        entry = self._sessions.get(loop)
        if entry is None or entry.session.closed:
            self._forget_dead_loops()
            await self._factory()
            entry = self._sessions.get(loop)
            if entry is None:
                raise RuntimeError("create_session() must install the session it creates")
        return entry

    def _forget_dead_loops(self) -> None:
        """Drop the sessions of loops that were closed (closing them if still open)."""
        for loop in [loop for loop in self._sessions if loop.is_closed()]:
            _close_without_loop(self._sessions.pop(loop).close())

    @contextlib.asynccontextmanager
    async def _open(
        self, req: Request
    ) -> AsyncIterator[tuple[aiohttp.ClientResponse, _Call, Inflater]]:
        """Send ``req`` on the running loop's session, as a call that closing aborts,
        following redirects by ``_protocol.redirect_target``'s rule; errors inside are
        mapped too. Yields the answer, its call and the inflater of its body."""
        entry = await self._entry()
        call = _Call()
        entry.calls.add(call)
        headers = dict(req.headers)
        accept = _header(headers, "Accept-Encoding") or entry.session.headers.get("Accept-Encoding")
        if accept is None:
            accept = headers["Accept-Encoding"] = ACCEPT_ENCODING
        url, params = req.url, req.params
        try:
            with _map_errors(req, self.timeout, self._proxy):
                for _ in range(MAX_REDIRECTS + 1):
                    body: bytes | io.BytesIO | None = req.body
                    if req.body is not None and len(req.body) > LARGE_BODY:
                        body = io.BytesIO(req.body)
                    request = entry.session.request(
                        req.method,
                        url,
                        params=params,
                        headers=headers,
                        data=body,
                        ssl=self._ssl,
                        proxy=self._proxy,
                        allow_redirects=False,
                    )
                    async with await call.wait(request) as resp:
                        here = str(resp.url)
                        target = redirect_target(
                            req.method,
                            here,
                            resp.status,
                            resp.reason or "",
                            resp.headers.get("Location"),
                        )
                        if target is None:
                            try:
                                inflater = Inflater(resp.headers.get("Content-Encoding"), accept)
                            except InfluxDBError as exc:
                                raise InfluxDBError(
                                    f"{req.method} {_url(req)} answered {resp.status} "
                                    f"{resp.reason or ''}: {exc}"
                                ) from None
                            yield resp, call, inflater
                            return
                        # the redirect's own body is not read: its connection is dropped
                        resp.close()
                    if URL(target).origin() != URL(here).origin():
                        # credentials go to the server the user named only (aiohttp's rule)
                        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
                    url, params = target, {}
                raise InfluxDBError(
                    f"{req.method} {_url(req)} was redirected more than {MAX_REDIRECTS} times"
                )
        finally:
            entry.calls.discard(call)

    async def send(self, req: Request) -> Response:
        """Send ``req`` and read its answer, up to ``ERROR_BODY_LIMIT`` bytes (the answer of
        a ping or a write, or an error: nothing more is needed, and an endless body would
        otherwise take all memory); the connection of a longer answer is dropped."""
        start = time.perf_counter()
        async with self._open(req) as (resp, call, inflater):
            pieces: list[bytes] = []
            size = 0
            truncated = False
            while size <= ERROR_BODY_LIMIT:
                raw = await call.wait(resp.content.read(STREAM_READ_SIZE))
                if not raw:
                    break
                for piece in inflater.feed(raw):
                    pieces.append(piece)
                    size += len(piece)
                    if size > ERROR_BODY_LIMIT:
                        break
            if size > ERROR_BODY_LIMIT:
                truncated = True
                resp.close()  # the rest is not read
            body = b"".join(pieces)[:ERROR_BODY_LIMIT]
        _log(req, resp.status, start)
        return Response(resp.status, resp.reason or "", dict(resp.headers), body, truncated)

    @contextlib.asynccontextmanager
    async def stream(self, req: Request) -> AsyncIterator[tuple[Response, AsyncIterator[bytes]]]:
        """Send ``req``; yield the answer's head (empty body) and an iterator over its body,
        inflated (in pieces of at most ``STREAM_READ_SIZE`` bytes) if it was compressed."""
        start = time.perf_counter()
        async with self._open(req) as (resp, call, inflater):
            _log(req, resp.status, start)
            head = Response(resp.status, resp.reason or "", dict(resp.headers), b"")

            async def body() -> AsyncIterator[bytes]:
                with _map_errors(req, self.timeout, self._proxy):
                    while raw := await call.wait(resp.content.read(STREAM_READ_SIZE)):
                        for piece in inflater.feed(raw):
                            yield piece
                    inflater.close()

            yield head, body()

    def abandon(self) -> None:
        """Close the sessions of a transport dropped without ``close()``, each on its own
        loop, from whichever thread the garbage collector runs in (never waiting).

        Left to themselves, aiohttp's finalizers would close the sockets of a session of the
        blocking mode's loop from the collecting thread (asyncio refuses: "Non-thread-safe
        operation", under ``python -X dev``), or leave them open (tests/test_hostile.py drops
        200 blocking clients in a subprocess and counts its sockets).
        """
        sessions, self._sessions = self._sessions, {}
        for loop, entry in sessions.items():
            if entry.session.closed:
                continue
            if loop.is_closed():
                _close_without_loop(entry.close())
            elif loop.is_running():
                _hand_over(entry, loop)
                continue
            _LIVE.discard(entry)  # nothing can close it now: left to aiohttp's finalizers

    async def close(self) -> None:
        """Close every session, whichever loop it belongs to. Idempotent."""
        current = asyncio.get_running_loop()
        sessions, self._sessions = self._sessions, {}
        for loop, entry in sessions.items():
            if loop is current:
                await entry.close()
            elif loop.is_closed() or not loop.is_running():
                _close_without_loop(entry.close())
            else:
                # A loop running in another thread: the session must be closed there. Waiting
                # for it could deadlock (that thread may be waiting for us), so hand it over.
                future = asyncio.run_coroutine_threadsafe(entry.close(), loop)
                self._closing.add(future)
                future.add_done_callback(self._closing.discard)


#: Every session not closed yet. A client and its transport form a reference cycle (the
#: transport's factory is the client's method), so a dropped client is freed by the cyclic
#: collector, which would finalize its sessions and connectors in the same pass, on the
#: collecting thread, however ``abandon()`` hands them over. Held from here, they stay out
#: of that pass, and are closed on their own loop (tests/test_hostile.py).
_LIVE: set[_LoopSession] = set()
#: Closings handed over by dropped transports (``Transport.abandon``), kept until they end.
_ABANDONED: set[concurrent.futures.Future[None]] = set()


def _header(headers: dict[str, str], name: str) -> str | None:
    """The value of header ``name`` in ``headers``, whatever its case."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _hand_over(entry: _LoopSession, loop: asyncio.AbstractEventLoop) -> None:
    """Close ``entry`` on ``loop``, from any thread, without waiting for it."""
    future = asyncio.run_coroutine_threadsafe(entry.close("the client was dropped"), loop)
    _ABANDONED.add(future)
    future.add_done_callback(_ABANDONED.discard)


def _close_without_loop(closing: Coroutine[Any, Any, None]) -> None:
    """Run a session's closing where its loop no longer runs.

    aiohttp leaves the transports of a closed loop alone, so closing a session there
    completes without suspending: drive it by hand. If it would need the loop after all,
    give up on it (``close()`` on the loop that owns a session is the clean way).
    """
    try:
        closing.send(None)
    except StopIteration:
        return
    closing.close()


def _log(req: Request, status: int, start: float) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - start) * 1000
        logger.debug("%s %s -> %d (%.1f ms)", req.method, _url(req), status, elapsed)
