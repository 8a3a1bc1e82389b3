"""The HTTP side of InfluxDB 1.x's API, with no I/O: what to send, and what an answer means.

Rule 1: nothing here touches a socket or an event loop; the transport sends the ``Request``
objects built here and hands back ``Response`` objects to be checked here.
Rule 2: every answer is checked completely: a query reports every failing statement, a write
reports the server's own message and, for a partial write, what was dropped.
Rule 3: credentials only ever go into headers, never into URLs or logs.
Rule 4: nothing an answer says is taken on trust: an error body is kept up to
``ERROR_BODY_LIMIT`` bytes, a chunk of a query's answer up to the reader's limit, a
compressed answer inflated in bounded pieces; a wrong shape, an undecodable chunk and an
answer cut after a ``"partial"`` chunk are ``InfluxDBError`` (tests/test_hostile.py).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import gc
import gzip as _gzip
import json
import math
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode, urljoin, urlsplit

from ._config import check_choice
from ._influxql import Query, scan
from ._units import PRECISIONS
from .exceptions import InfluxDBError, InfluxDBQueryError, InfluxDBWriteError

__all__ = [
    "ERROR_BODY_LIMIT",
    "MAX_CHUNK_BYTES",
    "MSGPACK",
    "REDIRECTS",
    "AnswerChecker",
    "ChunkDecoder",
    "Inflater",
    "MsgpackChunkDecoder",
    "QueryReader",
    "Request",
    "Response",
    "ResultAssembler",
    "auth_headers",
    "base_url",
    "check_write",
    "count_points",
    "credentials_note",
    "gc_paused",
    "msgpack_available",
    "msgpack_suits",
    "ping_request",
    "query_request",
    "read_only",
    "redirect_target",
    "server_message",
    "write_request",
]

#: ``Accept`` header asking the server for MessagePack instead of JSON.
MSGPACK = "application/x-msgpack"
#: Bytes of an answer kept when the whole answer is not wanted: an error answer (4xx/5xx) and
#: the answer of a ping or a write. influxd's own messages are a few hundred bytes; the rest of
#: a longer answer is not read (its connection is dropped), so an endless body costs nothing.
ERROR_BODY_LIMIT = 64 * 1024
#: Default most bytes of one chunk of a query's answer (a line of JSON, a MessagePack map): a
#: longer one is an error, not memory without end. 10,000 rows of 100 float fields and 5 tags
#: answer in one JSON chunk of 20 MB, of 50 float and 50 string fields (40 characters) in
#: 31 MB (influxd 1.6.7, ``chunk_size=10000``; benchmarks/hostile.py re-measures it).
MAX_CHUNK_BYTES = 64 * 1024 * 1024
#: Statuses of a redirect.
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Request:
    """One HTTP request, fully decided: the transport only sends it."""

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def __repr__(self) -> str:
        # shown in tracebacks and by error trackers (a frame's locals): no Authorization
        headers = {k: "***" if k.lower() == "authorization" else v for k, v in self.headers.items()}
        size = None if self.body is None else len(self.body)
        return (
            f"Request(method={self.method!r}, url={self.url!r}, params={self.params!r}, "
            f"headers={headers!r}, body={size} bytes)"
        )


@dataclass(frozen=True)
class Response:
    """What the transport read back: status, headers and the whole body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    #: the body is the first :data:`ERROR_BODY_LIMIT` bytes of a longer one
    truncated: bool = False


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def redirect_target(
    method: str, url: str, status: int, reason: str, location: str | None
) -> str | None:
    """Where to send ``method`` again after a ``status`` answer, or None if it is no redirect
    to follow (the answer is then handed on as it is).

    Rule: a redirect is followed only where the request stays what it was. 307 and 308 keep
    the method and the body; 301, 302 and 303 turn a POST into a GET without a body (what
    every HTTP client does), so a write would be lost or answered by something else: those
    raise an error naming the redirect and where it points. A GET (ping) follows any of them.

    :raises InfluxDBError: for a POST redirected by 301/302/303, or a redirect to a URL that
        is not http(s).
    """
    if status not in REDIRECTS or location is None:
        return None
    target = urljoin(url, location)
    shown = _without_password(target)
    if urlsplit(target).scheme not in ("http", "https"):
        raise InfluxDBError(
            f"{method} {url} was redirected ({status} {reason}) to {shown!r}, which is not an "
            "http(s) URL: point the client at the server's address (host=, port=, ssl=, path=)"
        )
    if status in (301, 302, 303) and method != "GET":
        raise InfluxDBError(
            f"{method} {url} was redirected ({status} {reason}) to {shown!r}: a {method} "
            f"redirected by {status} becomes a GET without its body, so it is not followed; "
            "point the client at the new address (host=, port=, ssl=, path=)"
        )
    return target


class Inflater:
    """Undoes the ``Content-Encoding`` of an answer, in bounded pieces.

    The answer's ``Content-Encoding`` must be one the request asked for (its
    ``Accept-Encoding``); ``gzip`` and ``deflate`` are inflated, ``identity`` passes. Each
    piece handed back is at most ``piece`` bytes, however much a few compressed bytes
    inflate to (a gzip bomb), so a reader that stops at its own limit stops the inflating too.

    :raises InfluxDBError: for an encoding that was not asked for or cannot be inflated.
    """

    # gzip (16 +) and deflate (32 +: a zlib stream, its header detected) windows
    _INFLATED: ClassVar[dict[str, int]] = {
        "gzip": 16 + zlib.MAX_WBITS,
        "x-gzip": 16 + zlib.MAX_WBITS,
        "deflate": 32 + zlib.MAX_WBITS,
    }

    def __init__(self, encoding: str | None, accepted: str, *, piece: int = 1 << 16) -> None:
        self.encoding = (encoding or "identity").strip().lower()
        self._piece = piece
        asked = {token.split(";")[0].strip().lower() for token in accepted.split(",")}
        self._z: Any = None
        if self.encoding == "identity":
            return
        if self.encoding not in asked or self.encoding not in self._INFLATED:
            raise InfluxDBError(
                f"the answer has Content-Encoding {self.encoding!r}, which the client "
                f"{'cannot inflate' if self.encoding in asked else 'did not ask for'} "
                f"(it asked for {accepted!r}; it inflates gzip and deflate)"
            )
        self._z = zlib.decompressobj(self._INFLATED[self.encoding])

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The inflated bytes of ``data``, in pieces of at most ``piece`` bytes."""
        if self._z is None:
            if data:
                yield data
            return
        try:
            while data:
                out = self._z.decompress(data, self._piece)
                data = self._z.unconsumed_tail
                if out:
                    yield out
        except zlib.error as exc:
            raise InfluxDBError(f"the {self.encoding} answer cannot be inflated: {exc}") from None

    def close(self) -> None:
        """Raise if the compressed stream stopped before its end."""
        if self._z is not None and not self._z.eof:
            raise InfluxDBError(f"the {self.encoding} answer ended before its compressed end")


def base_url(host: str, port: int, path: str, ssl: bool) -> str:
    """``scheme://host:port/path/``, with IPv6 literals bracketed and ``path`` made ``/…/``."""
    if not isinstance(path, str):
        raise TypeError(f"path must be a str (a URL path prefix), got {path!r}")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    path = "/" + path.strip("/") + "/" if path.strip("/") else "/"
    return f"{'https' if ssl else 'http'}://{host}:{port}{path}"


def auth_headers(username: str | None, password: str | None, token: str | None) -> dict[str, str]:
    """The Authorization header for basic auth (1.x) or a token (2.x/3.x v1 endpoints)."""
    for name, value in (("username", username), ("password", password), ("token", token)):
        if value is not None and not isinstance(value, str):  # the value is never shown
            raise TypeError(f"{name} must be a str or None, got {type(value).__name__}")
    if token is not None and (username is not None or password is not None):
        raise ValueError("give either token or username/password, not both")
    if token is not None:
        return {"Authorization": f"Token {token}"}
    if username is None and password is None:
        return {}
    if username is None:
        raise ValueError("a password was given without a username")
    credentials = f"{username}:{password or ''}".encode()
    return {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}


def credentials_note(username: str | None, token: str | None) -> str:
    """What an error for a 401/403 answer adds about the credentials that were sent: the
    user name, or that a token or nothing was sent. Never the password or the token."""
    if token is not None:
        return ": a token was sent (InfluxDB 1.x reads username= and password=, not token=)"
    if username is not None:
        return f", as user {username!r}"
    return ": no credentials were sent; pass username= and password="


def _auth_note(status: int, credentials: str) -> str:
    # 401: no, unreadable or wrong credentials; 403: the user lacks a privilege
    return credentials if status in (401, 403) else ""


def ping_request(base: str, headers: dict[str, str]) -> Request:
    return Request("GET", base + "ping", headers=headers)


def write_request(
    base: str,
    headers: dict[str, str],
    body: bytes,
    *,
    db: str | None,
    precision: str | None = None,
    rp: str | None = None,
    consistency: str | None = None,
    gzip: bool = False,
) -> Request:
    """``POST /write``; raises ValueError before anything is sent for a missing database.
    ``precision`` and ``consistency`` were checked once for the write
    (``_config.check_write_options``), not again for each of its requests.

    With ``gzip`` the body is compressed (level 1: on 2 cores, compression was measured to
    cost more CPU than it saves on loopback, so the cheapest level; ``benchmarks/bench_writer.py``
    compares gzip with plain bodies).
    """
    if not db:
        raise ValueError("write needs a database: pass db=... or set client.db")
    params = {"db": db}
    if rp:
        params["rp"] = rp
    if precision is not None:
        params["precision"] = precision
    if consistency is not None:
        params["consistency"] = consistency
    if gzip:
        headers = {**headers, "Content-Encoding": "gzip"}
        body = _gzip.compress(body, compresslevel=1)
    return Request("POST", base + "write", params, headers, body)


def query_request(
    base: str,
    headers: dict[str, str],
    q: str,
    *,
    db: str | None,
    epoch: str | None = "ns",
    chunked: bool = False,
    chunk_size: int | None = None,
    params: Mapping[str, Any] | None = None,
    accept: str | None = None,
    compress: bool = True,
) -> Request:
    """``POST /query`` with the statement(s) as a form body (never in the URL).

    ``accept`` is the answer's format: None for JSON, :data:`MSGPACK` for MessagePack.
    ``compress=False`` asks for an uncompressed answer: influxd gzips answers when asked
    (aiohttp asks by default), which pays over a network but costs the server about as much
    as producing the answer (1M rows on loopback, msgpack: 2.8-4.0 s plain, 5.5-6.4 s
    gzipped, measured on 1.6.7).
    """
    if not isinstance(q, str):
        raise TypeError(f"query must be a str, got {type(q).__name__}")
    check_choice("epoch", epoch, PRECISIONS)  # the same units; None: RFC3339 strings
    if not isinstance(chunked, bool):
        raise TypeError(f"chunked must be True or False, got {chunked!r}")
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        if not chunked:
            raise ValueError("chunk_size only applies to chunked queries: pass chunked=True")
    form = {"q": q}
    if db:
        form["db"] = db
    if epoch is not None:
        form["epoch"] = epoch
    if chunked:
        form["chunked"] = "true"
        if chunk_size is not None:
            form["chunk_size"] = str(chunk_size)
    if params:
        form["params"] = _bound_parameters(params)
    headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    if accept is not None:
        headers["Accept"] = accept
    if not compress:
        headers["Accept-Encoding"] = "identity"
    return Request("POST", base + "query", {}, headers, urlencode(form).encode("ascii"))


def _bound_parameters(params: Mapping[str, Any]) -> str:
    """``params`` as the JSON the server reads; TypeError/ValueError naming a value it
    cannot carry (the server would reject NaN and infinities: JSON has no such numbers)."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of names to values, got {params!r:.80}")
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"params: parameter names must be str, got {name!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"params[{name!r}] is {value!r}, which JSON cannot carry")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise TypeError(
                f"params[{name!r}] = {value!r:.80} ({type(value).__name__}) cannot be sent as "
                "a bound parameter: use a str, int, float, bool or None"
            ) from None
    return json.dumps(dict(params))


def server_message(resp: Response) -> str:
    """The server's own words for an error: its JSON ``error``, its header, or the body."""
    text = resp.body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    header = resp.headers.get("X-Influxdb-Error")
    if header:
        return header
    if resp.truncated:
        text += f" [... the first {len(resp.body):,} bytes of a longer answer]"
    return text or resp.reason or f"HTTP {resp.status}"


def check_write(resp: Response, credentials: str = "") -> None:
    """Raise InfluxDBWriteError unless the server answered 204 No Content.

    ``credentials`` (from :func:`credentials_note`) is added to the error of a 401/403.
    """
    if resp.status == 204:
        return
    raise InfluxDBWriteError(
        server_message(resp),
        status=resp.status,
        reason=resp.reason,
        headers=resp.headers,
        note=_auth_note(resp.status, credentials),
    )


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while an answer's objects are created.

    Decoding creates one list per row and keeps them all, and the collector walks the
    growing heap again and again: with it paused, 1M rows of MessagePack decoded in
    0.7-0.8 s instead of 2.1-2.6 s (measured 2026-11-25; benchmarks/query.py's last lines
    re-measure it). Decoding creates no reference cycles;
    collection resumes on the way out (if it was on when entered; a pause inside another
    does nothing). Each decoder ``feed()`` pauses it; the client also pauses it while it
    reads a whole answer to reassemble it (other tasks and threads run meanwhile, without
    the collector), never while user code consumes a stream.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


#: ``-0`` as a JSON number (not ``-0.5`` nor ``-01``); a match inside a string only costs time
_NEGATIVE_ZERO = re.compile(rb"-0(?![.\deE])")


def _json_int(text: str) -> int | float:
    return -0.0 if text == "-0" else int(text)


class ChunkDecoder:
    """Decodes a chunked query body: newline-delimited JSON objects, one per chunk.

    ``feed(bytes)`` returns the chunks completed by those bytes; ``flush()`` at the end of
    the body returns a final chunk that had no newline, and raises if the body stopped in the
    middle of a chunk. Chunks are not checked here: :class:`QueryReader` checks each one
    as it hands it on, so the good chunks before a failing one still arrive. Pieces of an
    unfinished chunk are kept in a list and joined once, so a chunk of any size costs
    linear time; a chunk longer than ``limit`` bytes raises as soon as it is that long.

    :param limit: the most bytes of one chunk (:data:`MAX_CHUNK_BYTES` by default).
    :param content_type: the answer's ``Content-Type``, named when the body is not JSON.
    """

    def __init__(self, limit: int = MAX_CHUNK_BYTES, content_type: str = "") -> None:
        self._pending: list[bytes] = []
        self._size = 0  # bytes in _pending
        self._limit = limit
        self._content_type = content_type
        self._decoded = 0  # chunks decoded so far

    def _too_long(self, size: int) -> InfluxDBError:
        return InfluxDBError(
            f"a chunk of the server's answer is longer than {self._limit:,} bytes (the "
            f"client's max_chunk_bytes) after {self._decoded} chunk(s), with {size:,} bytes "
            "and no end yet: ask for smaller chunks (chunk_size=) or raise max_chunk_bytes"
        )

    def _not_json(self, line: bytes) -> InfluxDBError:
        if self._decoded == 0 and not line.lstrip().startswith(b"{"):
            return InfluxDBError(
                "the server's answer is not JSON (Content-Type: "
                f"{self._content_type or 'none'!r}): {line[:200]!r}"
            )
        return InfluxDBError(f"a chunk of the server's answer is not JSON: {line[:200]!r}")

    def _decode(self, line: bytes) -> list[dict[str, Any]]:
        if not line.strip():
            return []
        if len(line) > self._limit:
            raise self._too_long(len(line))
        try:
            # influxd writes the float -0.0 as -0, which json reads as the int 0: the sign
            # is kept by reading it as a float (an integer is never -0), and only in the
            # rare chunks that hold one, as the hook costs a call per integer
            # (tests/test_query_results.py reads -0.0 back in every wire format)
            data = (
                json.loads(line, parse_int=_json_int)
                if _NEGATIVE_ZERO.search(line)
                else json.loads(line)
            )
        except ValueError:
            raise self._not_json(line) from None
        except RecursionError:
            # a document nested deeper than Python's stack: an odd answer, not a broken
            # connection (never retried)
            raise InfluxDBError(
                f"a chunk of the server's answer is nested too deeply to decode: {line[:200]!r}"
            ) from None
        if not isinstance(data, dict):
            raise InfluxDBError(
                f"unexpected chunk from the server: expected a JSON object, got {line[:200]!r}"
            )
        self._decoded += 1
        return [data]

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        with gc_paused():
            return self._feed(data)

    def _feed(self, data: bytes) -> list[dict[str, Any]]:
        newline = data.find(b"\n")
        if newline < 0:
            if data:
                self._size += len(data)
                if self._size > self._limit:
                    raise self._too_long(self._size)
                self._pending.append(data)
            return []
        if self._size + newline > self._limit:
            raise self._too_long(self._size + newline)
        self._pending.append(data[:newline])
        chunks = self._decode(b"".join(self._pending))
        self._pending.clear()
        self._size = 0
        start = newline + 1
        while (newline := data.find(b"\n", start)) >= 0:
            chunks += self._decode(data[start:newline])
            start = newline + 1
        if start < len(data):
            self._size = len(data) - start
            if self._size > self._limit:
                raise self._too_long(self._size)
            self._pending.append(data[start:])
        return chunks

    def flush(self) -> list[dict[str, Any]]:
        tail = b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        if not tail.strip():
            return []
        try:
            return self._decode(tail)
        except InfluxDBError as exc:
            if self._decoded == 0 and not tail.lstrip().startswith(b"{"):
                raise  # not JSON at all: say so, with its Content-Type
            raise InfluxDBError(
                f"the chunked answer ended in the middle of a chunk ({len(tail)} bytes)"
            ) from exc


def msgpack_suits(q: str | Query) -> bool:
    """Whether to ask for MessagePack for ``q``: only for a query whose first statement is a
    SELECT and that holds no SHOW DIAGNOSTICS.

    influxd 1.6.7 cannot encode every answer as MessagePack: its answer to SHOW DIAGNOSTICS
    stops in the middle of the document (measured), while JSON works for every statement.
    SELECT answers hold only floats, integers, strings, booleans and times, and they are
    the big ones, where MessagePack's speed matters.
    """
    query = scan(q) if isinstance(q, str) else q
    first = query.first_words()
    return (
        query.error is None
        and first[:1] == ["SELECT"]
        and not any(
            word == "SHOW" and query.words(i)[1:2] == ["DIAGNOSTICS"]
            for i, word in enumerate(first)
        )
    )


def read_only(q: str | Query) -> bool:
    """Whether every statement of ``q`` only reads: a SELECT without INTO, or a SHOW.

    Such a query can be sent again after a failure; anything else (``SELECT ... INTO``,
    ``CREATE``, ``DROP``, ``DELETE``, ``GRANT``, ``KILL``, ``EXPLAIN``...) is never retried,
    nor a query of several statements of which one is not read-only, nor a query that
    cannot be read to its end (influxd refuses it).
    """
    query = scan(q) if isinstance(q, str) else q
    return (
        query.error is None
        and bool(query.statements)
        and all(
            word in _READ_ONLY_FIRST and "INTO" not in query.words(i)
            for i, word in enumerate(query.first_words())
        )
    )


_READ_ONLY_FIRST = ("SELECT", "SHOW")


def count_points(chunk: Mapping[str, Any]) -> int:
    """The points (rows) of every series of every statement of one answer or chunk."""
    return sum(
        len(series.get("values") or ())
        for result in chunk.get("results", ())
        for series in result.get("series", ())
    )


def msgpack_available() -> bool:
    """True when the optional ``msgpack`` package (extra ``aioinflux[msgpack]``) is installed."""
    try:
        import msgpack  # noqa: F401
    except ImportError:
        return False
    return True


_EPOCH = datetime.datetime(1970, 1, 1)
_TIME_EXT = 5  # influxd 1.x encodes a time (no ``epoch``) as ext 5: int64 s, uint32 ns
_TIME = struct.Struct(">qI")


def _rfc3339(seconds: int, nanos: int) -> str:
    """A time as influxd writes it in JSON (Go's RFC3339Nano: no trailing zeros)."""
    try:
        # about twice as fast as datetime (2.3-3.1 vs 6.4 us a time, measured)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    except (OSError, OverflowError, ValueError):  # platforms without times before 1970
        text = (_EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        text += f".{nanos:09d}".rstrip("0")
    return text + "Z"


def _msgpack_ext(code: int, data: bytes) -> Any:
    if code == _TIME_EXT and len(data) == 12:
        return _rfc3339(*_TIME.unpack(data))
    raise InfluxDBError(f"unexpected MessagePack extension {code} in the server's answer")


class MsgpackChunkDecoder:
    """Decodes a MessagePack query body (``Accept: application/x-msgpack``), chunked or not.

    The same ``feed()``/``flush()`` interface as :class:`ChunkDecoder`: a chunked body is a
    sequence of MessagePack maps, one per chunk. Times without ``epoch`` arrive as an
    extension type and are turned into the RFC3339 strings the JSON answer holds, so both
    formats decode to the same objects (except that MessagePack keeps a float a float:
    JSON writes ``1.0`` as ``1``, measured on influxd 1.6.7).
    """

    def __init__(self, limit: int = MAX_CHUNK_BYTES) -> None:
        import msgpack

        # the buffer holds the unfinished chunk only: its bound is the bound of a chunk
        self._unpacker = msgpack.Unpacker(
            raw=False, ext_hook=_msgpack_ext, max_buffer_size=limit, strict_map_key=False
        )
        self._limit = limit
        self._fed = 0
        self._done = 0  # bytes up to the end of the last complete chunk

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        # Fed no more than the room left under the limit at a time, so that the buffer
        # holds one unfinished chunk at most and is full only when that chunk is too long
        # (a piece holding many small chunks would otherwise overflow a small limit).
        chunks: list[dict[str, Any]] = []
        view = memoryview(data)
        while view:
            room = self._limit - (self._fed - self._done)
            if room <= 0:
                raise InfluxDBError(
                    f"a chunk of the server's answer is longer than {self._limit:,} bytes (the "
                    f"client's max_chunk_bytes), after byte {self._done:,}: ask for smaller "
                    "chunks (chunk_size=) or raise max_chunk_bytes"
                )
            part, view = view[:room], view[room:]
            self._unpacker.feed(part)
            self._fed += len(part)
            chunks += self._unpacked()
        return chunks

    def _unpacked(self) -> list[dict[str, Any]]:
        chunks = []
        with gc_paused():
            try:
                for chunk in self._unpacker:
                    if not isinstance(chunk, dict):
                        raise InfluxDBError(f"unexpected chunk from the server: {chunk!r:.200}")
                    chunks.append(chunk)
                    self._done = self._unpacker.tell()
            except ValueError as exc:
                # msgpack's FormatError, StackError and ExtraData, and text that is not
                # UTF-8, are all ValueErrors: the body is not the MessagePack it says it is
                raise InfluxDBError(
                    f"the server's answer is not valid MessagePack after byte {self._done}: "
                    f"{exc or type(exc).__name__}"
                ) from exc
        return chunks

    def flush(self) -> list[dict[str, Any]]:
        left = self._fed - self._done
        if left:
            raise InfluxDBError(f"the chunked answer ended in the middle of a chunk ({left} bytes)")
        return []


def _check_shape(chunk: dict[str, Any], results: object) -> None:
    """Raise InfluxDBError unless ``results`` is a list of objects whose ``series`` are lists
    of objects with ``values`` lists of rows: what the rest of the client reads."""
    expected = (
        'expected {"results": [{"statement_id": ..., "series": [{"name": ..., "columns": '
        '[...], "values": [[...], ...]}]}]}'
    )
    # (the rows themselves are not walked: their first stands for them, at no cost per row)
    ok = isinstance(results, list) and all(
        isinstance(result, dict)
        and isinstance(result.get("series") or [], list)
        and all(
            isinstance(series, dict)
            and isinstance(values := series.get("values") or [], list)
            and (not values or isinstance(values[0], list))
            for series in result.get("series") or ()
        )
        for result in results
    )
    if not ok:
        raise InfluxDBError(f"unexpected answer from the server, {expected}; got {chunk!r:.200}")


class AnswerChecker:
    """Checks the chunks of one query answer in order and collects every statement error.

    influxd 1.x stops at the first failing statement and answers ``"not executed"`` for
    each statement after it. Measured on 1.6.7: in a chunked JSON answer those results carry
    the failing statement's id; in MessagePack no error result carries an id at all. Every
    statement answers with at least one result, in order, so an error result belongs to the
    statement after the last one seen: ``check()`` relabels it so (the first error keeps the
    id the server gave it, when it gave one). It also gives MessagePack's results the JSON
    shape: no ``series`` key when empty, tags sorted by key.
    """

    def __init__(
        self,
        status: int = 200,
        reason: str = "",
        credentials: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self._note = _auth_note(status, credentials)
        self.errors: list[tuple[int | None, str]] = []
        self._last_id = -1

    def check(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """Normalize ``chunk`` in place, record its errors and return it."""
        if "error" in chunk:
            self.errors.append((None, str(chunk["error"])))
        results = chunk.get("results", [])
        _check_shape(chunk, results)
        for result in results:
            if "error" in result:
                given = result.get("statement_id")
                sid = given if isinstance(given, int) and not self.errors else self._last_id + 1
                result["statement_id"] = sid
                self.errors.append((sid, str(result["error"])))
            else:
                sid = result.get("statement_id", self._last_id)
                if result.get("series") == []:
                    del result["series"]
                for series in result.get("series", ()):
                    # MessagePack sends a series' tags in any order, JSON sorted by key
                    tags = series.get("tags")
                    if tags:
                        series["tags"] = dict(sorted(tags.items()))
            self._last_id = sid
        return chunk

    def raise_errors(self) -> None:
        """Raise one InfluxDBQueryError naming every failing statement, if any failed."""
        if not self.errors:
            return
        if len(self.errors) == 1 and self.errors[0][0] is None:
            message = self.errors[0][1]
        else:
            message = "; ".join(
                f"statement {sid}: {msg}" if sid is not None else msg for sid, msg in self.errors
            )
        raise InfluxDBQueryError(
            message,
            status=self.status,
            errors=self.errors,
            reason=self.reason,
            note=self._note,
            headers=self.headers,
        )


class QueryReader:
    """Reads one query answer, with no I/O: built from the answer's status and headers, fed
    its body piece by piece, closed at its end.

    ``feed(bytes)`` returns the chunks those bytes complete, decoded (JSON or MessagePack,
    as the ``Content-Type`` says) and checked; ``close()`` returns the last chunk, if the
    body ended without a newline, and raises one :class:`~aioinflux.InfluxDBQueryError`
    naming every failing statement. The caller only loops::

        reader = QueryReader(status, headers, reason=reason)
        for piece in body:
            yield from reader.feed(piece)
        yield from reader.close()

    A chunk is handed on only while no statement has failed; after a failure the rest of
    the answer is still read (influxd's ``"not executed"`` for each later statement), so
    that the error names them all. An answer other than 200 is held whole and raised by
    ``close()`` with the server's own message: its errors when the body holds influxd's
    JSON or MessagePack, otherwise the body's text (an error page of a proxy).

    :param status: the HTTP status of the answer.
    :param headers: its headers (``Content-Type`` decides the decoder).
    :param reason: its reason phrase, for the error's text.
    :param credentials: what a 401/403 error adds about the credentials sent (from
        :func:`credentials_note`).
    :param limit: the most bytes of one chunk (:data:`MAX_CHUNK_BYTES` by default); an
        answer other than 200 is kept up to :data:`ERROR_BODY_LIMIT` bytes only.

    An answer that ends right after a chunk whose last result is flagged ``"partial": true``
    was cut: ``close()`` raises. In a chunked answer (the only kind the client asks for)
    influxd flags a *result* partial when the statement goes on in the next chunk, and never
    flags the last chunk of a statement so (measured on 1.6.7 with several chunk sizes, an
    exact multiple included). A *series* flagged partial with an unflagged result is not a
    cut: influxd's non-chunked answer flags every series over 10,000 rows so although it is
    whole (tests/test_hostile.py shows both on the real server).
    """

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        *,
        reason: str = "",
        credentials: str = "",
        limit: int = MAX_CHUNK_BYTES,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        # what the server sent, not what was asked for: a server or proxy may ignore
        # Accept (InfluxDB 2.x's v1 API, error pages)
        msgpack = headers.get("Content-Type", "").startswith(MSGPACK)
        #: the format the server answered in: ``'msgpack'`` or ``'json'``
        self.format = "msgpack" if msgpack else "json"
        self._decoder = (
            MsgpackChunkDecoder(limit)
            if msgpack
            else ChunkDecoder(limit, headers.get("Content-Type", ""))
        )
        self._checker = AnswerChecker(status, reason, credentials, headers=headers)
        self._credentials = credentials
        self._held: list[bytes] = []  # the body of an answer other than 200
        self._held_size = 0
        self._cut = False  # the last chunk's last result was flagged partial
        # an error found after good chunks of the same feed(): raised at the next call, so
        # that those chunks are handed on first
        self._failure: InfluxDBError | None = None

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """The chunks completed by ``data``, checked; none once a statement has failed."""
        self._raise_failure()
        if self.status != 200:
            self._held.append(data)
            self._held_size += len(data)
            if self._held_size > ERROR_BODY_LIMIT:
                # enough for the server's message: the rest is not read
                self._raise_status()
            return []
        return self._checked(self._decoder.feed(data))

    def close(self) -> list[dict[str, Any]]:
        """The chunk left at the end of the body, if any; raise for every failing statement, for
        an answer other than 200, or for a body that stopped in the middle of a chunk."""
        self._raise_failure()
        if self.status != 200:
            self._raise_status()
        # (a flush completes one chunk at most: nothing can follow a failure in it)
        chunks = self._checked(self._decoder.flush())
        self._checker.raise_errors()
        if self._cut:
            raise InfluxDBError(
                "the answer ended before the server finished: its last chunk is flagged "
                '"partial": true (the statement goes on in a chunk that never came)'
            )
        return chunks

    def _checked(self, chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        good: list[dict[str, Any]] = []
        checker = self._checker
        for chunk in chunks:
            try:
                checker.check(chunk)
            except InfluxDBError as exc:
                if not good:
                    raise
                self._failure = exc
                break
            results = chunk.get("results") or []
            self._cut = bool(results) and results[-1].get("partial") is True
            if not checker.errors:
                good.append(chunk)
        return good

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _raise_status(self) -> None:
        body = b"".join(self._held)[:ERROR_BODY_LIMIT]
        truncated = self._held_size > ERROR_BODY_LIMIT
        self._held.clear()
        try:
            for chunk in self._decoder.feed(body) + self._decoder.flush():
                self._checker.check(chunk)
        except InfluxDBError:
            pass  # not the server's JSON/MessagePack: say what it said instead
        self._checker.raise_errors()
        message = server_message(
            Response(self.status, self.reason, self.headers, body, truncated=truncated)
        )
        raise InfluxDBQueryError(
            message,
            status=self.status,
            errors=[(None, message)],
            reason=self.reason,
            note=_auth_note(self.status, self._credentials),
            headers=self.headers,
        )


class ResultAssembler:
    """Joins the checked chunks of one answer into the answer a non-chunked query gives.

    A series continued in the next chunk is flagged ``"partial": true``; its values are
    appended to the series already held. The result has no ``partial`` flags left: every
    series is complete (a chunked answer is not cut by the server's ``max-row-limit``,
    measured on influxd 1.6.7).

    :param convert: applied to each chunk's values of a series as the chunk arrives (the
        DataFrame path turns rows into typed columns while the server sends the rest).
    :param join: joins the converted pieces of a series, once, in :meth:`result`.
    """

    def __init__(
        self,
        convert: Callable[[list[Any]], Any] | None = None,
        join: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if (convert is None) != (join is None):
            raise ValueError("convert and join go together")
        self._convert = convert
        self._join = join
        self._results: list[dict[str, Any]] = []
        self._pieces: dict[int, list[Any]] = {}  # id(series) -> converted pieces
        self._open = False  # the last series held was flagged partial

    def add(self, chunk: dict[str, Any]) -> None:
        for result in chunk.get("results", ()):
            result.pop("partial", None)
            series_list: Iterable[dict[str, Any]] = result.pop("series", ())
            last = self._results[-1] if self._results else None
            if last is None or last.get("statement_id") != result.get("statement_id"):
                last = result
                self._results.append(result)
                self._open = False
            for series in series_list:
                partial = series.pop("partial", False)
                held = last.setdefault("series", [])
                continued = (
                    self._open
                    and held
                    and held[-1].get("name") == series.get("name")
                    and held[-1].get("tags") == series.get("tags")
                )
                values = series.get("values") or []
                if self._convert is not None:
                    piece = self._convert(values)
                    if not continued:
                        held.append(series)
                        self._pieces[id(series)] = [piece]
                    else:
                        self._pieces[id(held[-1])].append(piece)
                elif continued:
                    held[-1]["values"].extend(values)
                else:
                    held.append(series)
                self._open = bool(partial)

    def result(self) -> dict[str, Any]:
        if self._join is not None:
            for result in self._results:
                for series in result.get("series", ()):
                    series["values"] = self._join(self._pieces.pop(id(series)))
        return {"results": self._results}
