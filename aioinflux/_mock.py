"""A fake transport for fast tests of the client's own branches, with no server and no socket.

Rule 1: private, for tests only. What a server does is tested against a real ``influxd``
(``aioinflux.testing``); this seam serves the branches of the client around it (output x
chunked x mode, the format the answer comes in), which the server answers the same way.
Rule 2: one seam: ``use(client, handler)`` replaces the client's transport. A handler is a
plain function (or coroutine function) from the ``Request`` the client built to the
``Response`` to give back, like httpx's ``MockTransport(handler)``; it may raise, as the
transport does (``InfluxDBConnectionError``...).
Rule 3: a streamed body is handed over in pieces of ``piece_size`` bytes, so a test can cut
an answer anywhere, as the network does.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ._protocol import MSGPACK, Request, Response
from ._transport import STREAM_READ_SIZE, Transport

if TYPE_CHECKING:
    from .client import InfluxDBClient

__all__ = ["Handler", "MockTransport", "answer", "form", "use"]

Handler = Callable[[Request], "Response | Awaitable[Response]"]


class MockTransport(Transport):
    """A transport that hands each request to ``handler`` and gives back its answer.

    :ivar requests: every request sent, in order.
    """

    def __init__(self, handler: Handler, *, piece_size: int = STREAM_READ_SIZE):
        super().__init__(_no_session, ssl=True, timeout=None)
        if piece_size < 1:
            raise ValueError(f"piece_size must be a positive integer, got {piece_size!r}")
        self.handler = handler
        self.piece_size = piece_size
        self.requests: list[Request] = []

    async def _answer(self, req: Request) -> Response:
        self.requests.append(req)
        resp = self.handler(req)
        if inspect.isawaitable(resp):
            resp = await resp
        return resp

    async def send(self, req: Request) -> Response:
        return await self._answer(req)

    @contextlib.asynccontextmanager
    async def stream(self, req: Request) -> AsyncIterator[tuple[Response, AsyncIterator[bytes]]]:
        resp = await self._answer(req)
        head = Response(resp.status, resp.reason, resp.headers, b"")

        async def body() -> AsyncIterator[bytes]:
            for start in range(0, len(resp.body), self.piece_size):
                yield resp.body[start : start + self.piece_size]

        yield head, body()


async def _no_session() -> Any:
    raise RuntimeError("a MockTransport opens no session")


def use(
    client: InfluxDBClient, handler: Handler, *, piece_size: int = STREAM_READ_SIZE
) -> MockTransport:
    """Make ``client`` send every request to ``handler``; return the transport."""
    transport = MockTransport(handler, piece_size=piece_size)
    client._transport = transport
    return transport


def answer(
    chunks: Iterable[Mapping[str, Any]],
    *,
    format: str = "json",
    status: int = 200,
    reason: str = "OK",
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An answer holding ``chunks`` as influxd sends them: newline-delimited JSON, or
    MessagePack maps one after the other (``format='msgpack'``)."""
    if format == "msgpack":
        import msgpack

        body = b"".join(msgpack.packb(chunk) for chunk in chunks)
        content_type = MSGPACK
    else:
        body = b"".join(json.dumps(chunk).encode() + b"\n" for chunk in chunks)
        content_type = "application/json"
    return Response(status, reason, {"Content-Type": content_type, **(headers or {})}, body)


def form(req: Request) -> dict[str, str]:
    """The form fields of a ``/query`` request (``q``, ``db``, ``epoch``, ``chunked``...)."""
    fields = parse_qs((req.body or b"").decode("ascii"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}
