"""Every exception aioinflux raises on purpose, and nothing else.

The tree, one line per class saying when it is raised::

    InfluxDBError                 root of everything below; raised as is for a server answer
    │                             that is neither a query nor a write error (e.g. a bad ping),
    │                             and for an answer the client cannot take: redirected, cut,
    │                             over a limit, of the wrong shape, not decodable
    ├── InfluxDBQueryError        the server rejected a query: a 4xx/5xx answer, or an error in
    │                             one or more statements (all of them are reported)
    ├── InfluxDBWriteError        the server did not answer 204 to a write; carries the status,
    │                             the server's message and, for a partial write, what it dropped
    ├── InfluxDBBatchError        a batch writer could not write some batches, even after
    │                             retrying; lists each one with its lines and last error
    ├── InfluxDBConnectionError   the server could not be reached or the connection broke
    │   │                         (refused, DNS failure, TLS failure, reset); names the URL
    │   └── InfluxDBTimeoutError  a request took longer than the client's timeout (also a
    │                             builtin ``TimeoutError``)
    └── LineProtocolError         data that cannot be written exactly (also a ``ValueError``);
        │                         raised before anything is sent
        └── LineProtocolTypeError an object that is not a point, a DataFrame without a
                                  DatetimeIndex (also a ``TypeError``)

Rules: exceptions carry plain attributes (status, message, ...), never response or session
objects; client-side problems with arguments are plain ``ValueError``/``TypeError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "FailedBatch",
    "FieldTypeConflict",
    "InfluxDBBatchError",
    "InfluxDBConnectionError",
    "InfluxDBError",
    "InfluxDBQueryError",
    "InfluxDBTimeoutError",
    "InfluxDBWriteError",
    "LineProtocolError",
    "LineProtocolTypeError",
]


class InfluxDBError(Exception):
    """Root of every error aioinflux raises on purpose.

    :ivar requests_written: for an error of a write that took several requests (data over
        16 MiB of line protocol, a large DataFrame): how many of its earlier requests the
        server stored before this one failed; 0 otherwise.

    .. versionchanged:: 0.10
       ``requests_written``.
    """

    #: earlier requests of the failed write that were stored (set by the client's ``write``)
    requests_written: int = 0


class InfluxDBQueryError(InfluxDBError):
    """The server rejected a query.

    :ivar status: the HTTP status of the answer (200 when only statements failed).
    :ivar reason: the HTTP reason phrase, e.g. ``'Unauthorized'`` (may be empty).
    :ivar message: the server's own message; for statement errors, all of them joined.
    :ivar errors: ``(statement_id, message)`` for every failing statement; for an error that
        concerns the whole query (a parse error, a 401), one entry with ``statement_id`` None.
    :ivar headers: the response headers, as a plain dict.

    Its text is the server's message, followed by the status when it is not 200 (``error
    parsing query: ... (400 Bad Request)``) and, for a 401 or 403, by which credentials were
    sent: the user name, or that none or a token were sent (never a password or token).

    .. versionchanged:: 0.10
       ``reason``, ``headers``; the status and the credentials in the text.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: Sequence[tuple[int | None, str]],
        reason: str = "",
        note: str = "",
        headers: Mapping[str, str] | None = None,
    ):
        text = message
        if status != 200:
            text = f"{message} ({f'{status} {reason}'.strip()}){note}"
        super().__init__(text)
        self.status = status
        self.reason = reason
        self.message = message
        self.errors = list(errors)
        self.headers = dict(headers or {})


# influxd 1.x writes names between quotes as they are (a name may hold quotes itself; tests/
# test_errors.py writes each pair of types to the server and reads its message)
_CONFLICT = re.compile(
    r'field type conflict: input field "(?P<field>.*?)" on measurement "(?P<measurement>.*?)" '
    r"is type (?P<sent>\w+), already exists as type (?P<stored>\w+)",
    re.S,
)
# influxd 1.6.7 answers only this, and stores nothing, when the points of the write that
# creates a shard (the first write of its time range) conflict (tests/test_errors.py)
_BARE_CONFLICT = re.compile(r"(?:\A|: )field type conflict(?: dropped=\d+)?\Z")
#: How to write a value of each type the server may store, for the hint of an error.
_HOW_TO_WRITE = {
    "float": "a float (1.0, not 1; FLOAT in a @lineprotocol schema; a float column)",
    "integer": "an integer (a Python int; INT in a @lineprotocol schema; an int column)",
    "string": "a string (a Python str; STR in a @lineprotocol schema; a str column)",
    "boolean": "a boolean (a Python bool; BOOL in a @lineprotocol schema; a bool column)",
    "unsigned": "an unsigned integer (line protocol 5u)",
}


@dataclass(frozen=True)
class FieldTypeConflict:
    """A field written with another type than the one the server stores it as.

    :ivar measurement: the measurement, as the server names it.
    :ivar field: the field key.
    :ivar sent: the type of the value that was written: ``'float'``, ``'integer'``,
        ``'string'``, ``'boolean'`` or ``'unsigned'``, spelled as the server spells it.
    :ivar stored: the type the field already has in its shard, spelled the same way.

    .. versionadded:: 0.10
    """

    measurement: str
    field: str
    sent: str
    stored: str

    def _hint(self) -> str:
        """What to change: write the field as the type it is stored as."""
        how = _HOW_TO_WRITE.get(self.stored, self.stored)
        return (
            f"field {self.field!r} of measurement {self.measurement!r} is stored as "
            f"{self.stored}: write it as {how}"
        )


def _field_type_conflicts(message: str) -> list[FieldTypeConflict]:
    """Every field type conflict that a server's message names (influxd 1.x names the first)."""
    return [
        FieldTypeConflict(m["measurement"], m["field"], m["sent"], m["stored"])
        for m in _CONFLICT.finditer(message)
    ]


# `partial write: <reason> dropped=<n>` (tsdb.PartialWriteError.Error() in influxd 1.x)
_PARTIAL = re.compile(r"\Apartial write: (?P<reason>.*?)(?: dropped=(?P<dropped>\d+))?\Z", re.S)
# one `unable to parse '<line>': <why>` per rejected line, joined by newlines
_UNPARSEABLE = re.compile(r"\Aunable to parse '(?P<line>.*)': (?P<why>[^']*)\Z", re.S)


class InfluxDBWriteError(InfluxDBError):
    """The server did not accept a write (any answer but 204).

    :ivar status: the HTTP status, e.g. 400, 401, 404.
    :ivar reason: the HTTP reason phrase, e.g. ``'Bad Request'``.
    :ivar message: the server's own message (its JSON ``error``, or the body's text).
    :ivar headers: the response headers, as a plain dict.
    :ivar partial: True for a *partial write*: the server wrote the good lines of the batch
        and dropped the others. Those lines are stored: do not blindly resend the batch.
    :ivar dropped: for a partial write, how many points the server dropped as it says
        (its ``dropped=N``; lines it could not parse are listed in ``lines`` instead).
    :ivar lines: the lines the server could not parse, as it quotes them.
    :ivar conflicts: the field type conflicts the server names
        (:class:`FieldTypeConflict`: ``measurement``, ``field``, ``sent``, ``stored``);
        empty when there is none. InfluxDB 1.x names the first conflict of a write only
        (``dropped`` counts every point it dropped), and none when the conflict is between
        points of the write that creates a shard, the first of its time range (the message
        is then a bare ``field type conflict`` and nothing is stored).

    For a 401 or 403 its text also says which credentials were sent: the user name, or that
    none or a token were sent (never a password or token).

    .. versionchanged:: 0.10
        ``conflicts``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        reason: str = "",
        headers: Mapping[str, str] | None = None,
        note: str = "",
    ):
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = dict(headers or {})
        match = _PARTIAL.match(message)
        self.partial = match is not None
        self.dropped: int | None = None
        details = message
        if match is not None:
            details = match["reason"]
            if match["dropped"] is not None:
                self.dropped = int(match["dropped"])
        self.lines = [
            m["line"] for part in details.split("\n") if (m := _UNPARSEABLE.match(part)) is not None
        ]
        self.conflicts = _field_type_conflicts(message)
        kind = "Partial write" if self.partial else "Error writing data"
        hints = "".join(f"\n{conflict._hint()}" for conflict in self.conflicts)
        if not self.conflicts and _BARE_CONFLICT.search(message):
            hints = (
                "\nthe values of a field have different types in this write (the server "
                "names neither the field nor the types; nothing was stored)"
            )
        super().__init__(f"{kind} ({f'{status} {reason}'.strip()}): {message}{note}{hints}")


@dataclass(frozen=True)
class FailedBatch:
    """A batch the server did not take: its lines and the last error."""

    lines: list[bytes]
    error: InfluxDBError


class InfluxDBBatchError(InfluxDBError):
    """Raised by :meth:`BatchWriter.close` when batches could not be written.

    :ivar failures: every failed batch, with its lines and error (:class:`FailedBatch`).
    """

    def __init__(self, failures: list[FailedBatch]):
        self.failures = list(failures)
        points = sum(len(f.lines) for f in failures)
        super().__init__(
            f"{len(failures)} batch(es), {points} point(s), could not be written; "
            f"first error: {failures[0].error}"
        )


class InfluxDBConnectionError(InfluxDBError):
    """The server could not be reached, or the connection broke.

    :ivar url: the URL that was requested.
    """

    def __init__(self, message: str, *, url: str):
        super().__init__(message)
        self.url = url


class InfluxDBTimeoutError(InfluxDBConnectionError, TimeoutError):
    """A request took longer than the client's ``timeout``."""


class LineProtocolError(InfluxDBError, ValueError):
    """Data that cannot be written to InfluxDB exactly as given; nothing was sent."""


class LineProtocolTypeError(LineProtocolError, TypeError):
    """Data whose type cannot be written: an object that is not a point, a DataFrame without
    a ``DatetimeIndex``; nothing was sent. Both a ``TypeError`` and, as aioinflux 0.9
    raised ``ValueError`` there, a ``ValueError``.

    .. versionadded:: 0.10
    """
