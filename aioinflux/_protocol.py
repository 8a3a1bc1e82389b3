"""The HTTP side of InfluxDB 1.x's API, with no I/O: what to send, and what an answer means.

Rule 1: nothing here touches a socket or an event loop; the transport sends the ``Request``
objects built here and hands back ``Response`` objects to be checked here.
Rule 2: every answer is checked completely: a query reports every failing statement, a write
reports the server's own message and, for a partial write, what was dropped.
Rule 3: credentials only ever go into headers (shared/DESIGN.md: never URLs or logs).
"""

from __future__ import annotations

import base64
import gzip as _gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .exceptions import InfluxDBError, InfluxDBQueryError, InfluxDBWriteError

__all__ = [
    "CONSISTENCIES",
    "EPOCHS",
    "PRECISIONS",
    "ChunkDecoder",
    "Request",
    "Response",
    "auth_headers",
    "base_url",
    "check_results",
    "check_write",
    "parse_query",
    "ping_request",
    "query_request",
    "server_message",
    "write_request",
]

#: Precisions the 1.x server understands for ``/write`` (``n`` is its alias of ``ns``).
PRECISIONS = ("ns", "n", "u", "ms", "s", "m", "h")
#: Values of ``epoch`` for ``/query``; ``None`` means RFC3339 strings.
EPOCHS = PRECISIONS
CONSISTENCIES = ("any", "one", "quorum", "all")


@dataclass(frozen=True)
class Request:
    """One HTTP request, fully decided: the transport only sends it."""

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Response:
    """What the transport read back: status, headers and the whole body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options} or None, got {value!r}")


def base_url(host: str, port: int, path: str, ssl: bool) -> str:
    """``scheme://host:port/path/``, with IPv6 literals bracketed and ``path`` made ``/…/``."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    path = "/" + path.strip("/") + "/" if path.strip("/") else "/"
    return f"{'https' if ssl else 'http'}://{host}:{port}{path}"


def auth_headers(username: str | None, password: str | None, token: str | None) -> dict[str, str]:
    """The Authorization header for basic auth (1.x) or a token (2.x/3.x v1 endpoints)."""
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
    """``POST /write``; raises ValueError before anything is sent for a bad argument.

    With ``gzip`` the body is compressed (level 1: on 2 cores, shared/PERF.md measured
    compression costing more CPU than it saves on loopback, so the cheapest level).
    """
    if not db:
        raise ValueError("write needs a database: pass db=... or set client.db")
    _choice("precision", precision, PRECISIONS)
    _choice("consistency", consistency, CONSISTENCIES)
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
) -> Request:
    """``POST /query`` with the statement(s) as a form body (never in the URL)."""
    if not isinstance(q, str):
        raise TypeError(f"query must be a str, got {type(q).__name__}")
    _choice("epoch", epoch, EPOCHS)
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
        form["params"] = json.dumps(dict(params))
    headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    return Request("POST", base + "query", {}, headers, urlencode(form).encode("ascii"))


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
    return text or resp.reason or f"HTTP {resp.status}"


def check_write(resp: Response) -> None:
    """Raise InfluxDBWriteError unless the server answered 204 No Content."""
    if resp.status == 204:
        return
    raise InfluxDBWriteError(
        server_message(resp), status=resp.status, reason=resp.reason, headers=resp.headers
    )


def check_results(data: Any, status: int = 200) -> dict[str, Any]:
    """Raise InfluxDBQueryError naming every failing statement; return ``data`` otherwise."""
    if not isinstance(data, dict):
        raise InfluxDBError(f"unexpected answer from the server: {data!r:.200}")
    if "error" in data:
        message = str(data["error"])
        raise InfluxDBQueryError(message, status=status, errors=[(None, message)])
    errors = [
        (result.get("statement_id"), str(result["error"]))
        for result in data.get("results", ())
        if "error" in result
    ]
    if errors:
        message = "; ".join(f"statement {sid}: {msg}" for sid, msg in errors)
        raise InfluxDBQueryError(message, status=status, errors=errors)
    return data


def parse_query(resp: Response) -> dict[str, Any]:
    """Decode a whole (non-chunked) query answer and check it."""
    if resp.status != 200:
        message = server_message(resp)
        raise InfluxDBQueryError(message, status=resp.status, errors=[(None, message)])
    try:
        data = json.loads(resp.body)
    except ValueError as exc:
        raise InfluxDBError(f"the server's answer is not JSON: {resp.body[:200]!r}") from exc
    return check_results(data)


class ChunkDecoder:
    """Decodes a chunked query body: newline-delimited JSON objects, one per chunk.

    ``feed(bytes)`` returns the chunks completed by those bytes; ``flush()`` at the end of
    the body returns a final chunk that had no newline, and raises if the body stopped in the
    middle of a chunk. Chunks are not checked here: the caller checks each one with
    ``check_results`` as it hands it on, so the good chunks before a failing one still
    arrive. Pieces of an unfinished chunk are kept in a list and joined once, so a chunk of
    any size costs linear time.
    """

    def __init__(self) -> None:
        self._pending: list[bytes] = []

    def _decode(self, line: bytes) -> list[dict[str, Any]]:
        if not line.strip():
            return []
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise InfluxDBError(
                f"a chunk of the server's answer is not JSON: {line[:200]!r}"
            ) from exc
        if not isinstance(data, dict):
            raise InfluxDBError(f"unexpected chunk from the server: {line[:200]!r}")
        return [data]

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        newline = data.find(b"\n")
        if newline < 0:
            if data:
                self._pending.append(data)
            return []
        self._pending.append(data[:newline])
        chunks = self._decode(b"".join(self._pending))
        self._pending.clear()
        start = newline + 1
        while (newline := data.find(b"\n", start)) >= 0:
            chunks += self._decode(data[start:newline])
            start = newline + 1
        if start < len(data):
            self._pending.append(data[start:])
        return chunks

    def flush(self) -> list[dict[str, Any]]:
        tail = b"".join(self._pending)
        self._pending.clear()
        if not tail.strip():
            return []
        try:
            return self._decode(tail)
        except InfluxDBError as exc:
            raise InfluxDBError(
                f"the chunked answer ended in the middle of a chunk ({len(tail)} bytes)"
            ) from exc
