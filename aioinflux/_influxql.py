"""The one InfluxQL tokenizer: where influxd 1.x ends a statement, a quote, a regex and a comment.

Rule 1: pure, and one scan per query: :func:`scan` turns a query into its tokens, grouped by
statement, once; whether a query is read-only, whether to ask for MessagePack, which
sources a ``SELECT`` reads (``_sources``) and where a pattern's placeholder lands
(``queries``) are all read from that one :class:`Query`.
Rule 2: influxd's own scanner is the truth (tests/test_influxql.py sends each case below to
a real server):

- ``'…'`` and ``"…"`` end at the next unescaped quote of their kind; a backslash and the
  character after it are one escape; a line break inside (LF, or CR, which influxd reads as
  LF) is a parse error.
- A ``/`` starts a regex only where influxd's parser reads one: after ``=~``, ``!~``, ``,``,
  ``.``, ``(`` and the keywords ``SELECT``, ``FROM`` and ``BY``; anywhere else it divides.
  There ``/*`` starts a regex too (influxd reads ``FROM /*x*/`` as the regex ``*x*``). A
  regex ends at the first ``/`` with no backslash right before it (``\\\\/`` does not end
  one: influxd reads a backslash, then an escaped ``/``); a line break inside is an error.
- ``--`` starts a comment up to the end of its line (LF or CR); ``/*`` (where no regex may
  start) a comment up to ``*/``. Comments are skipped, like white space.
- ``;`` outside quotes, regexes and comments ends a statement; empty statements are dropped.

Rule 3: a query that cannot be read to its end (an unterminated quote, regex or comment, a
line break in quotes) is never guessed at: :attr:`Query.error` says why, and each reader
decides what "unknown" means for it (not read-only; no sources; no MessagePack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "IDENT",
    "NUMBER",
    "OP",
    "PUNCT",
    "QIDENT",
    "REGEX",
    "STRING",
    "Query",
    "Token",
    "scan",
]

# token kinds: a bare word (identifier or keyword), a quoted identifier, a string literal, a
# regex literal (text as written, slashes included), a number or duration, punctuation that
# structures a statement, any other operator
IDENT, QIDENT, STRING, REGEX, NUMBER, PUNCT, OP = range(7)
#: ``(kind, text)``; the text of a quoted identifier or string is unescaped.
Token = tuple[int, str]

_ESCAPES = {"n": "\n", "\\": "\\", '"': '"', "'": "'"}
_ESCAPE = re.compile(r"\\(.)", re.S)
_SPACE = re.compile(r"\s+")
_LINE_COMMENT = re.compile(r"--[^\r\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
# possessive: a quote or a regex never ends earlier than influxd ends it
_QUOTED = {
    '"': re.compile(r'"((?:[^"\\\r\n]|\\[^\r\n])*+)("?)'),
    "'": re.compile(r"'((?:[^'\\\r\n]|\\[^\r\n])*+)('?)"),
}
_REGEX_LITERAL = re.compile(r"/(?:\\/|[^/\r\n])*+(/?)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_TOKEN = re.compile(r"\d[\w.]*")
_OPERATOR = re.compile(r"=~|!~|<>|!=|<=|>=|::|.", re.S)
_PUNCTUATION = frozenset("(),.;")
#: what a regex may follow (measured on influxd 1.6.7: tests/test_influxql.py)
_BEFORE_REGEX = frozenset({(OP, "=~"), (OP, "!~"), (PUNCT, ","), (PUNCT, "."), (PUNCT, "(")})
_KEYWORDS_BEFORE_REGEX = frozenset({"SELECT", "FROM", "BY"})
_KIND_NAMES = {QIDENT: "quoted identifier", STRING: "string literal", REGEX: "regex"}


@dataclass(frozen=True)
class Query:
    """One query as influxd's scanner reads it, made once by :func:`scan`."""

    #: the query's text
    text: str
    #: the tokens of each non-empty statement, without the ``;``
    statements: tuple[tuple[Token, ...], ...]
    #: what the text ends inside of: None, ``'ident'`` (``"…``), ``'string'`` (``'…``),
    #: ``'regex'``, ``'line_comment'`` or ``'block_comment'``
    open: str | None = None
    #: the text ends in a backslash waiting for its character, inside quotes or a regex
    escaped: bool = False
    #: why influxd cannot read the text to its end (None when it can)
    error: str | None = None

    def words(self, index: int) -> list[str]:
        """The bare words of statement ``index``, in upper case (quoted text left out)."""
        return [text.upper() for kind, text in self.statements[index] if kind == IDENT]

    def first_words(self) -> list[str]:
        """The first token of each statement, upper case if a bare word ('' if not)."""
        return [s[0][1].upper() if s[0][0] == IDENT else "" for s in self.statements]


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], "\\" + m[1]), text)


def _regex_may_start(tokens: list[Token]) -> bool:
    if not tokens:
        return False  # a statement starts with a keyword: '/' there is a comment or an error
    last = tokens[-1]
    return last in _BEFORE_REGEX or (last[0] == IDENT and last[1].upper() in _KEYWORDS_BEFORE_REGEX)


def scan(q: str) -> Query:
    """The statements and tokens of ``q`` (see the module's rules), in one pass of one
    regex match per token (a query may be long: no Python step per character)."""
    statements: list[tuple[Token, ...]] = []
    tokens: list[Token] = []
    i, n = 0, len(q)
    open_: str | None = None
    escaped = False
    error: str | None = None
    while i < n:
        c = q[i]
        skipped = _SPACE.match(q, i) if c.isspace() else _LINE_COMMENT.match(q, i)
        if skipped is not None:  # white space, or a line comment (which starts with '--')
            i = skipped.end()
            if i == n and c == "-":
                open_ = "line_comment"
            continue
        if c == "/" and _regex_may_start(tokens):
            match = _REGEX_LITERAL.match(q, i)
            assert match is not None  # '/' matches
            if not match[1]:
                at_end = match.end() == n  # else a line break stopped it
                open_ = "regex" if at_end else None
                escaped = at_end and q.endswith("\\")
                error = _unterminated("regex", at_end)
                break
            tokens.append((REGEX, match[0]))
            i = match.end()
            continue
        if c == "/" and q.startswith("/*", i):
            match = _BLOCK_COMMENT.match(q, i)
            if match is None:
                open_, error = "block_comment", "a comment /* ... has no end */"
                break
            i = match.end()
            continue
        if c in _QUOTED:
            match = _QUOTED[c].match(q, i)
            assert match is not None  # the quote itself matches
            kind = QIDENT if c == '"' else STRING
            if not match[2]:
                at_end = match.end() == n or (match.end() == n - 1 and q[-1] == "\\")
                open_ = ("ident" if kind == QIDENT else "string") if at_end else None
                escaped = at_end and match.end() == n - 1
                error = _unterminated(_KIND_NAMES[kind], at_end)
                break
            tokens.append((kind, _unescape(match[1])))
            i = match.end()
            continue
        if (match := _WORD.match(q, i)) is not None:
            tokens.append((IDENT, match[0]))
        elif (match := _NUMBER_TOKEN.match(q, i)) is not None:
            tokens.append((NUMBER, match[0]))
        else:
            match = _OPERATOR.match(q, i)
            assert match is not None  # '.' matches any character
            if match[0] == ";":
                if tokens:
                    statements.append(tuple(tokens))
                tokens = []
            else:
                tokens.append((PUNCT if match[0] in _PUNCTUATION else OP, match[0]))
        i = match.end()
    if tokens:
        statements.append(tuple(tokens))
    return Query(q, tuple(statements), open_, escaped, error)


def _unterminated(what: str, at_end: bool) -> str:
    if at_end:
        return f"a {what} has no end"
    return f"a {what} holds a line break (influxd reads none inside quotes or a regex)"
