"""Query patterns: InfluxQL templates whose ``{placeholders}`` are filled safely.

Rule 1: no I/O. A :class:`Pattern` turns arguments into one InfluxQL string; the client sends it
through ``query()``, so patterns work in every mode and with every ``query()`` option.
Rule 2: the template's author places the quotes and a value is escaped for where it lands:
inside ``"…"`` (an identifier) or ``'…'`` (a string literal) a ``str`` is escaped so that it
cannot end the quotes; outside quotes it must be a plain identifier or a number. Nothing is
"fixed": what cannot be written exactly raises ValueError/TypeError naming the placeholder,
before anything is sent.
Rule 3: where a placeholder lands (outside quotes, inside ``"…"`` or ``'…'``, or refused
inside a regex or a comment) is decided by the one InfluxQL tokenizer, ``_influxql``.
Rule 4: escaping follows what influxd 1.6.7's InfluxQL scanner reads back (measured; see
docs/queries.rst): inside either quote, ``\\``, ``"``, ``'`` and a line feed are written
``\\\\``, ``\\"``, ``\\'`` and ``\\n``; a carriage return or a NUL cannot be written at all (the
scanner reads a CR as a line end and a NUL as the end of the query), other characters,
including tabs and any unicode, are written as they are.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import math
import re
import string
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ._influxql import scan

__all__ = [
    "PATTERNS",
    "Pattern",
    "PatternMethod",
    "helper_ident",
    "helper_source",
    "quote_ident",
    "quote_literal",
]

_Context = Literal["bare", "ident", "string"]

# Inside '…' and "…" the 1.x scanner knows exactly these escapes: \\ \" \' \n (measured: \t, \r
# or \x are parse errors, a raw CR ends the string like a raw LF, a NUL ends the query).
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "'": "\\'", "\n": "\\n"})
_UNWRITABLE = {"\r": "a carriage return", "\x00": "a NUL character"}
_PLAIN = re.compile(r"[A-Za-z0-9_.\-]+")
_WHERE = {"ident": 'inside "…" (an identifier)', "string": "inside '…' (a string literal)"}


def _escape(value: str, where: str) -> str:
    for char, what in _UNWRITABLE.items():
        if char in value:
            raise ValueError(
                f"{where}: {what} cannot be written in an InfluxQL quoted string or "
                f"identifier, got {value!r}; pass values through bound parameters (params=)"
            )
    return value.translate(_ESCAPES)


def quote_ident(name: str) -> str:
    """Quote an identifier (database, measurement, tag key, user…) for InfluxQL.

    ``quote_ident('my "db"')`` gives ``"my \\"db\\""``.

    :raises ValueError: if ``name`` holds a carriage return or a NUL, which InfluxQL
        cannot express.

    .. versionadded:: 0.10
    """
    if not isinstance(name, str):
        raise TypeError(f"an identifier must be a str, got {type(name).__name__}")
    return f'"{_escape(name, "identifier")}"'


def quote_literal(value: str) -> str:
    """Quote a string literal for InfluxQL: ``quote_literal("it's")`` gives ``'it\\'s'``.

    Prefer bound parameters (``query(q, params=...)``) for values in your own queries.

    :raises ValueError: if ``value`` holds a carriage return or a NUL, which InfluxQL
        cannot express (a bound parameter can).

    .. versionadded:: 0.10
    """
    if not isinstance(value, str):
        raise TypeError(f"a string literal must be a str, got {type(value).__name__}")
    return f"'{_escape(value, 'string literal')}'"


def _number(value: object, where: str) -> str | None:
    """InfluxQL text of an int or float, or None if ``value`` is not a number.

    :raises ValueError: for a float InfluxQL cannot write (naming ``where``).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} cannot be written in InfluxQL")
        text = repr(float(value))
        # InfluxQL has no exponent notation (measured: '1e3' is a parse error), so write the
        # shortest round-tripping digits out in full.
        if "e" in text:
            text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"  # a float stays a float
    return None


def _quoted_text(value: object, where: str, context: _Context = "ident") -> str:
    """What goes between the quotes of ``"…"`` (``context='ident'``) or ``'…'``
    (``'string'``) for ``value``: a number as InfluxQL writes it, a str escaped.

    :raises TypeError: for any other value; ValueError for one that cannot be written
        (both name ``where``).
    """
    number = _number(value, where)
    if number is not None:
        return number
    if not isinstance(value, str):
        raise TypeError(
            f"{where} ({_WHERE[context]}) takes a str or a number, got {type(value).__name__}"
        )
    return _escape(value, f"{where} ({_WHERE[context]})")


@dataclass(frozen=True)
class _Slot:
    name: str
    context: _Context


@dataclass(frozen=True, init=False)
class Pattern:
    """An InfluxQL template with named ``{placeholders}``, checked once when it is made.

    :param name: the method name it is used under (for error messages).
    :param template: InfluxQL; ``{name}`` marks a placeholder, ``{{`` and ``}}`` are braces.
        Put the quotes in the template: ``"{m}"`` fills an identifier, ``'{v}'`` a string
        literal, a bare ``{n}`` a plain identifier, keyword or number.
    :param summary: the first line of the docstring (:attr:`doc`), which shows the template.
    :param needs_db: the statement runs in a database that it does not name (``DROP
        MEASUREMENT``, ``SELECT``): ``db`` is then accepted like a placeholder and required.
    :raises ValueError: for a malformed template: a positional (``{}``, ``{0}``), attribute
        or formatted placeholder, one inside a comment or regex or right after a backslash, or
        an unterminated quote.
    """

    name: str
    template: str
    #: The method's docstring: the summary, the template and how arguments are taken.
    doc: str
    #: The arguments in positional order: placeholders by first appearance, ``db`` last.
    params: tuple[str, ...]
    _pieces: tuple[str | _Slot, ...] = field(repr=False)

    def __init__(
        self, name: str, template: str, summary: str | None = None, *, needs_db: bool = False
    ):
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"a query pattern's name must be a Python identifier, got {name!r}")
        if not isinstance(template, str):
            raise TypeError(f"query pattern {name!r} must be a str, got {type(template).__name__}")
        pieces: list[str | _Slot] = []
        # the template as influxd will read it, up to the placeholder at hand: where that
        # lands is asked of the one InfluxQL tokenizer (a bare placeholder reads as a name)
        text = ""
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise ValueError(f"query pattern {name!r}: {exc}: {template!r}") from None
        for literal, placeholder, spec, conversion in parsed:
            if literal:
                pieces.append(literal)
                text += literal
            if placeholder is None:
                continue
            where = f"query pattern {name!r}, placeholder {{{placeholder}}}"
            if not placeholder.isidentifier() or spec or conversion:
                raise ValueError(
                    f"{where}: placeholders must be plain names like {{measurement}}, "
                    f"without index, attribute, conversion or format: {template!r}"
                )
            at = scan(text)
            if at.escaped:
                raise ValueError(f"{where}: a placeholder cannot follow a backslash")
            if at.error is not None and at.open is None:
                raise ValueError(f"query pattern {name!r}: {at.error}: {template!r}")
            state = at.open or "out"
            if state not in ("out", "ident", "string"):
                raise ValueError(
                    f"{where}: a placeholder cannot be inside a {state.replace('_', ' ')}"
                )
            context: _Context = "bare" if state == "out" else state  # type: ignore[assignment]
            pieces.append(_Slot(placeholder, context))
            if context == "bare":
                text += "x"  # an operand: a following / is a division
        end = scan(text)
        if end.error is not None:
            what = "unterminated quote or comment" if end.open else end.error
            raise ValueError(f"query pattern {name!r}: {what}: {template!r}")
        names = [p.name for p in pieces if isinstance(p, _Slot)]
        params = [n for n in dict.fromkeys(names) if n != "db"]
        if "db" in names or needs_db:
            params.append("db")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "params", tuple(params))
        object.__setattr__(self, "_pieces", tuple(pieces))
        object.__setattr__(self, "doc", self._make_doc(summary))

    def _make_doc(self, summary: str | None) -> str:
        if not self.params:
            takes = "It takes no arguments."
        else:
            takes = f"Arguments ({', '.join(self.params)}) fill the placeholders, by position"
            takes += " or by name"
            takes += "; ``db`` defaults to the client's :attr:`db`." if "db" in self.params else "."
        lines = [
            summary or "A user-defined query pattern.",
            "",
            ".. code-block:: text",
            "",
            f"    {self.template}",
            "",
            takes,
            "Other keyword arguments are :meth:`query`'s options (``epoch``, ``chunked``…).",
            "",
            ":return: what :meth:`query` returns.",
        ]
        return "\n".join(lines)

    def bind(
        self, args: Sequence[Any], kwargs: Mapping[str, Any], *, db: str | None = None
    ) -> dict[str, Any]:
        """Map arguments to placeholders: keywords by name, then positional ones in order.

        :param db: the default of ``db`` (the client's), if the pattern takes one.
        :raises TypeError: for a missing, unknown or surplus argument, naming it.
        :raises ValueError: if the pattern needs a database and none is given.
        """
        unknown = [key for key in kwargs if key not in self.params]
        if unknown:
            raise TypeError(
                f"{self.name}() got an unexpected keyword argument {unknown[0]!r}; "
                f"it takes {self._takes()}"
            )
        values = dict(kwargs)
        free = [p for p in self.params if p not in values]
        if len(args) > len(free):
            raise TypeError(
                f"{self.name}() takes {self._takes()}, got {len(args) + len(values)} arguments"
            )
        values.update(zip(free, args, strict=False))
        missing = [p for p in self.params if p not in values and p != "db"]
        if missing:
            raise TypeError(f"{self.name}() missing argument {missing[0]!r} ({self._takes()})")
        if "db" in self.params and values.get("db") is None:
            if db is None:
                raise ValueError(
                    f"{self.name}() needs a database: pass db=... or set the client's db"
                )
            values["db"] = db
        if not isinstance(values.get("db", ""), str):
            raise TypeError(f"{self.name}(): db must be a str, got {type(values['db']).__name__}")
        return values

    def _takes(self) -> str:
        if not self.params:
            return "no arguments"
        return "the arguments " + ", ".join(self.params)

    def render(self, values: Mapping[str, Any]) -> str:
        """The InfluxQL text with every placeholder filled from ``values``.

        :raises TypeError: for a value that is neither a ``str`` nor a number.
        :raises ValueError: for a value that cannot be written where its placeholder is.
        """
        out: list[str] = []
        bare: list[tuple[int, int, str]] = []  # where each unquoted value landed
        for piece in self._pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            text = self._fill(piece, values[piece.name])
            if piece.context == "bare":
                start = sum(map(len, out))
                bare.append((start, start + len(text), piece.name))
            out.append(text)
        query = "".join(out)
        for start, end, name in bare:
            # '--' starts a comment: never let an unquoted value make one with its neighbours.
            if "--" in query[max(start - 1, 0) : end + 1]:
                raise ValueError(
                    f"{self.name}(): placeholder {{{name}}} is not quoted in the pattern and "
                    f"its value {query[start:end]!r} would start a comment ('--')"
                )
        return query

    def _fill(self, slot: _Slot, value: Any) -> str:
        where = f"{self.name}(): placeholder {{{slot.name}}}"
        if slot.context != "bare":
            return _quoted_text(value, where, slot.context)
        number = _number(value, where)
        if number is not None:
            return number
        if isinstance(value, bool):
            return "true" if value else "false"
        if not isinstance(value, str):
            raise TypeError(f"{where} takes a str, a number or a bool, got {type(value).__name__}")
        if not _PLAIN.fullmatch(value):
            raise ValueError(
                f"{where} is not quoted in the pattern, so its value must be a plain "
                f"identifier or number (letters, digits, '_', '.', '-'), got {value!r}; "
                f"quote it in the pattern (\"{{{slot.name}}}\" or '{{{slot.name}}}')"
            )
        if "." in value and (value.count(".") > 1 or "" in value.split(".")):
            # 'db.rp.m' and 'db..m' name a measurement of another database: an unquoted
            # value must not switch databases (one dot, 'rp.m' or '1.5', stays in the query's)
            raise ValueError(
                f"{where} is not quoted in the pattern, so its value may hold one '.' between "
                f"two non-empty parts at most (more would name another database), got "
                f'{value!r}; quote it in the pattern ("{{{slot.name}}}") or pass a number'
            )
        return value


def _builtin(
    name: str, template: str, summary: str, *, needs_db: bool = False
) -> tuple[str, Pattern]:
    return name, Pattern(name, template, summary, needs_db=needs_db)


#: The built-in patterns, each a method of :class:`~aioinflux.InfluxDBClient`.
PATTERNS: Mapping[str, Pattern] = dict(
    [
        _builtin(
            "show_tag_keys_from",
            'SHOW TAG KEYS ON "{db}" FROM "{measurement}"',
            "List the tag keys of a measurement.",
        ),
        _builtin(
            "show_field_keys_from",
            'SHOW FIELD KEYS ON "{db}" FROM "{measurement}"',
            "List the field keys (and types) of a measurement.",
        ),
        _builtin(
            "show_tag_values_from",
            'SHOW TAG VALUES ON "{db}" FROM "{measurement}" WITH KEY = "{key}"',
            "List the values of a tag key in a measurement.",
        ),
        _builtin(
            "select_all",
            'SELECT * FROM "{measurement}"',
            "Read every point of a measurement.",
            needs_db=True,
        ),
        _builtin(
            "create_retention_policy",
            'CREATE RETENTION POLICY "{rp}" ON "{db}" DURATION {duration} '
            "REPLICATION {replication}",
            "Create a retention policy; ``duration`` is an InfluxQL duration such as "
            "``'7d'`` or ``'INF'``, ``replication`` a number (1 on a single server).",
        ),
        _builtin(
            "alter_retention_policy",
            'ALTER RETENTION POLICY "{rp}" ON "{db}" DURATION {duration} REPLICATION {replication}',
            "Change a retention policy's duration and replication.",
        ),
        _builtin(
            "drop_retention_policy",
            'DROP RETENTION POLICY "{rp}" ON "{db}"',
            "Drop a retention policy and its data.",
        ),
        _builtin(
            "create_user",
            "CREATE USER \"{username}\" WITH PASSWORD '{password}'",
            "Create a user without privileges.",
        ),
        _builtin("drop_user", 'DROP USER "{username}"', "Drop a user."),
        _builtin(
            "grant_privilege",
            'GRANT {privilege} ON "{db}" TO "{username}"',
            "Grant a user ``'READ'``, ``'WRITE'`` or ``'ALL'`` privileges on a database.",
        ),
        _builtin(
            "revoke_privilege",
            'REVOKE {privilege} ON "{db}" FROM "{username}"',
            "Revoke a user's ``'READ'``, ``'WRITE'`` or ``'ALL'`` privileges on a database.",
        ),
        _builtin(
            "set_user_password",
            "SET PASSWORD FOR \"{username}\" = '{password}'",
            "Change a user's password.",
        ),
        _builtin(
            "show_grants",
            'SHOW GRANTS FOR "{username}"',
            "List a user's privileges per database.",
        ),
        _builtin("show_shards", "SHOW SHARDS", "List the shards of every database."),
        _builtin("show_stats", "SHOW STATS", "Show the server's internal statistics."),
        _builtin(
            "show_diagnostics",
            "SHOW DIAGNOSTICS",
            "Show the server's build, configuration and runtime information.",
        ),
    ]
)


# -- the helpers of aioinflux 0.9 --------------------------------------------------------
# Plain methods of the client with 0.9's parameters (client.py), whose InfluxQL is written
# as 0.9 wrote it, with each name quoted by _quoted_text (as a pattern's "{name}").


def helper_ident(helper: str, param: str, value: object) -> str:
    """``value`` as a quoted identifier in the InfluxQL of aioinflux 0.9's helper ``helper``
    (argument ``param``), quoted and escaped as a pattern's ``"{param}"``.

    :raises TypeError: for a value that is neither a str nor a number.
    :raises ValueError: for a value InfluxQL cannot express (a carriage return, a NUL).
    """
    return f'"{_quoted_text(value, f"{helper}(): placeholder {{{param}}}")}"'


# aioinflux 0.9 put these helpers' measurement into the InfluxQL unquoted, so a regular
# expression or a quoted name given there was read as InfluxQL; quoted now, it would name a
# measurement that does not exist and the answer would be silently empty.
_UNQUOTED_IN_09 = frozenset({"show_series", "show_tag_keys", "show_field_keys"})
_INFLUXQL_SOURCE = re.compile(r'/.*/|".*"', re.S)


def helper_source(helper: str, measurement: object) -> str:
    """`` FROM "measurement"`` for aioinflux 0.9's helper ``helper``, or ``""`` for no
    measurement (None or ``""``: 0.9 tested ``if measurement:``, an empty name meant all).

    :raises ValueError: for a measurement written as InfluxQL (``/regex/`` or ``"name"``)
        where aioinflux 0.9 inserted it unquoted: it would now name no measurement.
    """
    if measurement is None or measurement == "":
        return ""
    if (
        helper in _UNQUOTED_IN_09
        and isinstance(measurement, str)
        and _INFLUXQL_SOURCE.fullmatch(measurement)
    ):
        raise ValueError(
            f"{helper}(): measurement {measurement!r} is InfluxQL (a regular expression or a "
            "quoted name), which aioinflux 0.9 inserted unquoted; the measurement is quoted "
            f"now and names one measurement exactly: pass the name itself, or write the "
            f"statement with query()"
        )
    return f" FROM {helper_ident(helper, 'measurement', measurement)}"


def _signature(pattern: Pattern) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    params += [
        inspect.Parameter(name, kind, default=None if name == "db" else inspect.Parameter.empty)
        for name in pattern.params
    ]
    params.append(inspect.Parameter("options", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


class PatternMethod(functools.partialmethod[Any]):
    """A method made from a :class:`Pattern`: ``partialmethod(func, pattern)``, so that
    ``obj.name(*args, **kwargs)`` calls ``func(obj, pattern, *args, **kwargs)``; the method
    carries the pattern's name, docstring and signature (for ``help()``, ``dir()`` and IDEs).

    :meth:`bind` makes the bound method for one object only (a user-defined pattern).
    """

    def __init__(self, func: Callable[..., Any], pattern: Pattern):
        super().__init__(func, pattern)
        self.pattern = pattern
        self.__doc__ = pattern.doc
        self._function: Any = None  # the plain function taking self first, made once

    def __set_name__(self, owner: type, name: str) -> None:
        if name != self.pattern.name:
            raise ValueError(f"pattern {self.pattern.name!r} assigned to attribute {name!r}")
        self._make_function(owner)

    def _make_function(self, owner: type) -> Any:
        function: Any = super().__get__(None, owner)
        function.__name__ = self.pattern.name
        function.__qualname__ = f"{owner.__qualname__}.{self.pattern.name}"
        function.__module__ = owner.__module__
        function.__doc__ = self.pattern.doc
        function.__signature__ = _signature(self.pattern)
        function.pattern = self.pattern
        self._function = function
        return function

    def __get__(self, obj: Any, cls: type[Any] | None = None) -> Callable[..., Any]:
        function = self._function or self._make_function(cls if cls is not None else type(obj))
        return function if obj is None else types.MethodType(function, obj)

    def bind(self, obj: object) -> Callable[..., Any]:
        """The method bound to ``obj``, as ``obj.<name>`` would give it."""
        return self.__get__(obj, type(obj))
