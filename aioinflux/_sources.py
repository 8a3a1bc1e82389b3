"""What a query reads: the database, retention policy and measurement of each source of its
``SELECT`` statements, so that the types of the columns read can be asked of them.

Rule 1: pure; a small InfluxQL scanner that knows what can hide a keyword or a ``;``:
quoted identifiers, string literals, regex literals, comments and parentheses. A ``/``
starts a regex only where an operand is expected (``SELECT a / 2`` divides).
Rule 2: a source is ``[db.[rp].]measurement`` (``db..m`` skips the retention policy), the
measurement a name or a regex; a subquery ``FROM (SELECT ...)`` contributes its own sources
(its series carry the inner measurements' names).
Rule 3: when a ``SELECT`` cannot be read, its sources are unknown, never guessed: the
caller then knows nothing of its columns (``None`` for the whole query).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


# token kinds
_IDENT, _QIDENT, _STRING, _REGEX, _NUMBER, _PUNCT, _OP = range(7)
_ESCAPES = {"n": "\n", "\\": "\\", '"': '"', "'": "'"}
#: after these an operand is expected, so a ``/`` starts a regex
_OPERAND_NEXT = {
    "(",
    ",",
    ".",
    "=~",
    "!~",
    "=",
    "<>",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "+",
    "-",
    "*",
    "%",
}
_KEYWORDS_BEFORE_OPERAND = {"select", "from", "where", "and", "or", "by", "on"}


class _Unreadable(Exception):
    pass


_SPACE = re.compile(r"(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)+", re.S)
_QUOTED = {
    '"': re.compile(r'"((?:[^"\\]|\\.)*)"', re.S),
    "'": re.compile(r"'((?:[^'\\]|\\.)*)'", re.S),
}
_REGEX_LITERAL = re.compile(r"/(?:[^/\\]|\\.)*/", re.S)
_WORD = re.compile(r"[^\W\d]\w*")
_NUMBER_TOKEN = re.compile(r"\d[\w.]*")
_OPERATOR = re.compile(r"=~|!~|<>|!=|<=|>=|::|.", re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], "\\" + m[1]), text)


def _tokens(q: str) -> list[tuple[int, str]]:
    """The tokens of ``q``, one regex match each (a query may be long: no loop per char)."""
    tokens: list[tuple[int, str]] = []
    i, n = 0, len(q)
    while i < n:
        space = _SPACE.match(q, i)
        if space is not None:
            i = space.end()
            continue
        c = q[i]
        if c in _QUOTED:
            match = _QUOTED[c].match(q, i)
            if match is None:
                raise _Unreadable(f"unterminated {c}")
            tokens.append((_QIDENT if c == '"' else _STRING, _unescape(match[1])))
        elif q.startswith("/*", i):
            raise _Unreadable("unterminated comment")
        elif c == "/" and _operand_expected(tokens):
            match = _REGEX_LITERAL.match(q, i)
            if match is None:
                raise _Unreadable("unterminated regex")
            tokens.append((_REGEX, match[0]))
        elif (match := _WORD.match(q, i)) is not None:
            tokens.append((_IDENT, match[0]))
        elif (match := _NUMBER_TOKEN.match(q, i)) is not None:
            tokens.append((_NUMBER, match[0]))
        else:
            match = _OPERATOR.match(q, i)
            assert match is not None  # '.' matches any character
            kind = _PUNCT if match[0] in ("(", ")", ",", ".", ";") else _OP
            tokens.append((kind, match[0]))
        i = match.end()
    return tokens


def _operand_expected(tokens: list[tuple[int, str]]) -> bool:
    if not tokens:
        return True
    kind, text = tokens[-1]
    if kind in (_PUNCT, _OP):
        return text in _OPERAND_NEXT
    return kind == _IDENT and text.lower() in _KEYWORDS_BEFORE_OPERAND


def _statements(tokens: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    statements: list[list[tuple[int, str]]] = [[]]
    depth = 0
    for token in tokens:
        if token == (_PUNCT, "("):
            depth += 1
        elif token == (_PUNCT, ")"):
            depth -= 1
        if token == (_PUNCT, ";") and depth == 0:
            statements.append([])
        else:
            statements[-1].append(token)
    return [s for s in statements if s]


def _is_keyword(token: tuple[int, str], word: str) -> bool:
    return token[0] == _IDENT and token[1].lower() == word


def _select_sources(tokens: list[tuple[int, str]]) -> list[Source]:
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


def query_sources(q: str) -> list[Source] | None:
    """The sources of every ``SELECT`` statement of ``q``, in order, without repeats; None
    when a ``SELECT`` cannot be read."""
    try:
        statements = _statements(_tokens(q))
        found: dict[Source, None] = {}
        for tokens in statements:
            if _is_keyword(tokens[0], "select"):
                found.update(dict.fromkeys(_select_sources(tokens)))
    except _Unreadable:
        return None
    return list(found)


def statement_sources(q: str) -> list[tuple[list[str], int | None]]:
    """Each statement of ``q``: its bare words (upper case, quoted text left out) and, for
    a ``SELECT``, how many measurements it reads by name (None: a regex source, or sources
    that cannot be read); ``[]`` when ``q`` itself cannot be read."""
    try:
        statements = _statements(_tokens(q))
    except _Unreadable:
        return []
    found: list[tuple[list[str], int | None]] = []
    for tokens in statements:
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
