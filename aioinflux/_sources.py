"""What a query reads: the database, retention policy and measurement of each source of its
``SELECT`` statements, so that the types of the columns read can be asked of them.

Rule 1: pure; the tokens are the one InfluxQL tokenizer's (``_influxql.scan``), which knows
what can hide a keyword or a ``;`` (quotes, regexes, comments) as influxd does; a query the
client has scanned already is passed as its :class:`~aioinflux._influxql.Query`.
Rule 2: a source is ``[db.[rp].]measurement`` (``db..m`` skips the retention policy), the
measurement a name or a regex; a subquery ``FROM (SELECT ...)`` contributes its own sources
(its series carry the inner measurements' names).
Rule 3: when a ``SELECT`` cannot be read, its sources are unknown, never guessed: the
caller then knows nothing of its columns (``None`` for the whole query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._influxql import IDENT as _IDENT
from ._influxql import PUNCT as _PUNCT
from ._influxql import QIDENT as _QIDENT
from ._influxql import REGEX as _REGEX
from ._influxql import Query, scan
from .queries import quote_ident

__all__ = ["Source", "query_sources", "statement_sources"]


@dataclass(frozen=True)
class Source:
    """One source of a ``FROM`` clause; ``db``/``rp`` None when the query does not say."""

    db: str | None
    rp: str | None
    #: a measurement name, or with ``regex`` the regex literal as written (``/cpu.*/``)
    measurement: str
    regex: bool = False

    def text(self) -> str:
        """The source without its database, as ``SHOW ... ON <db> FROM`` takes it."""
        name = self.measurement if self.regex else quote_ident(self.measurement)
        return f"{quote_ident(self.rp)}.{name}" if self.rp else name


class _Unreadable(Exception):
    pass


def _is_keyword(token: tuple[int, str], word: str) -> bool:
    return token[0] == _IDENT and token[1].lower() == word


def _select_sources(tokens: Sequence[tuple[int, str]]) -> list[Source]:
    """The sources of one SELECT statement (its tokens, without the ``;``)."""
    depth = 0
    start = None
    for i, token in enumerate(tokens):
        if token == (_PUNCT, "("):
            depth += 1
        elif token == (_PUNCT, ")"):
            depth -= 1
        elif depth == 0 and _is_keyword(token, "from"):
            start = i + 1
            break
    if start is None:
        raise _Unreadable("no FROM")
    sources: list[Source] = []
    i = start
    while True:
        if i < len(tokens) and tokens[i] == (_PUNCT, "("):
            end, depth = i, 0
            for end in range(i, len(tokens)):
                depth += {(_PUNCT, "("): 1, (_PUNCT, ")"): -1}.get(tokens[end], 0)
                if depth == 0:
                    break
            inner = tokens[i + 1 : end]
            if depth or not inner or not _is_keyword(inner[0], "select"):
                raise _Unreadable("not a subquery")
            sources.extend(_select_sources(inner))
            i = end + 1
        else:
            parts: list[tuple[int, str] | None] = [None]
            while i < len(tokens):
                kind, text = tokens[i]
                if kind in (_IDENT, _QIDENT, _REGEX) and parts[-1] is None:
                    parts[-1] = tokens[i]
                elif (kind, text) == (_PUNCT, "."):
                    parts.append(None)
                else:
                    break
                i += 1
            sources.append(_source(parts))
        if i < len(tokens) and tokens[i] == (_PUNCT, ","):
            i += 1
            continue
        return sources


def _source(parts: list[tuple[int, str] | None]) -> Source:
    last = parts[-1]
    if last is None or len(parts) > 3 or any(p is not None and p[0] == _REGEX for p in parts[:-1]):
        raise _Unreadable("not a measurement")
    names: list[str | None] = [None if p is None else p[1] for p in parts[:-1]]
    while len(names) < 2:
        names.insert(0, None)
    db, rp = names
    return Source(db or None, rp or None, last[1], last[0] == _REGEX)


def _scanned(q: str | Query) -> Query:
    return scan(q) if isinstance(q, str) else q


def query_sources(q: str | Query) -> list[Source] | None:
    """The sources of every ``SELECT`` statement of ``q``, in order, without repeats; None
    when a ``SELECT`` cannot be read."""
    query = _scanned(q)
    if query.error is not None:
        return None
    try:
        found: dict[Source, None] = {}
        for tokens in query.statements:
            if _is_keyword(tokens[0], "select"):
                found.update(dict.fromkeys(_select_sources(tokens)))
    except _Unreadable:
        return None
    return list(found)


def statement_sources(q: str | Query) -> list[tuple[list[str], int | None]]:
    """Each statement of ``q``: its bare words (upper case, quoted text left out) and, for
    a ``SELECT``, how many measurements it reads by name (None: a regex source, or sources
    that cannot be read); ``[]`` when ``q`` itself cannot be read."""
    query = _scanned(q)
    if query.error is not None:
        return []
    found: list[tuple[list[str], int | None]] = []
    for tokens in query.statements:
        words = [text.upper() for kind, text in tokens if kind == _IDENT]
        count: int | None = None
        if _is_keyword(tokens[0], "select"):
            try:
                sources = _select_sources(tokens)
            except _Unreadable:
                sources = []
            if sources and not any(source.regex for source in sources):
                count = len(set(sources))
        found.append((words, count))
    return found
