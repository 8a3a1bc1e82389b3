"""Query answers -> polars DataFrames: everything ``output='polars'`` does with an answer.

Rule 1: imported only when polars frames are asked for (``import aioinflux`` does not load
this module); it imports polars and numpy, never pandas.
Rule 2: no I/O; what the client knows about the database (which columns are tags, each
field's type) comes in as a plain mapping, as for ``_frames``.
Rule 3: exact types, or a clear error: ``time`` is a UTC ``Datetime``; a field is
``Float64``, ``Int64``, ``Boolean`` or ``String`` by its type, never a float for an integer
field, with nulls where values are missing; a tag is ``Categorical``. A column whose values
have several types (a field of another type in another shard) raises ValueError: one
polars column holds one type, and nothing is converted behind the caller's back.
Rule 4: one long frame per statement: the series of a ``GROUP BY`` are stacked, their tags
as columns; each chunk's rows become typed columns as the chunk arrives, joined once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from ._protocol import ResultAssembler
from ._rows import rows_to_table
from ._show import ColumnKinds
from .iterutils import _check_answer

__all__ = [
    "MEASUREMENT",
    "PolarsChunk",
    "PolarsSeries",
    "answer_frames",
    "assembler",
    "named_statements",
    "to_polars",
]

#: The column that says each row's measurement, in a statement that can read several.
MEASUREMENT = "measurement"

#: polars' type of each field type ``SHOW FIELD KEYS`` names.
_DECLARED: dict[str, pl.DataType] = {
    "float": pl.Float64(),
    "integer": pl.Int64(),
    "boolean": pl.Boolean(),
    "string": pl.String(),
}
#: ``epoch`` -> (polars time unit, multiplier to it): polars has no unit coarser than ms
_TIME_UNITS: dict[str, tuple[Any, int]] = {
    "ns": ("ns", 1),
    "n": ("ns", 1),
    "u": ("us", 1),
    "ms": ("ms", 1),
    "s": ("ms", 1_000),
    "m": ("ms", 60_000),
    "h": ("ms", 3_600_000),
}
_NUMBERS = {pl.Int64(), pl.Float64()}


def _types_of(values: list[Any]) -> str:
    names = sorted({type(v).__name__ for v in values if v is not None})
    return ", ".join(names)


def _piece(values: list[Any]) -> pl.Series:
    """One column of one chunk, typed by its values (nulls where None)."""
    try:
        piece = pl.Series(values)
    except (TypeError, OverflowError):
        pass
    else:
        # polars takes a bool after a number as 1 or 1.0 (measured with polars 2.1): a
        # field that is a number in one shard and a boolean in another is not one type
        if piece.dtype not in _NUMBERS or bool not in set(map(type, values)):
            return piece
    # ints among floats (a float field whose whole values JSON writes as ints, or the
    # -0.0 of a JSON answer among ints): a float column, as the field is a float
    kinds = {type(v) for v in values} - {type(None)}
    if kinds == {int, float}:
        try:
            return pl.Series(values, dtype=pl.Float64, strict=False)
        except (TypeError, OverflowError):
            pass
    big = [v for v in values if type(v) is int and not -(2**63) <= v < 2**63]
    if big:
        raise ValueError(
            f"the integer {big[0]} cannot be held by a polars Int64 column (-2**63 to 2**63-1)"
        )
    raise ValueError(
        f"a column holds values of several types ({_types_of(values)}): a polars column "
        "holds one type (use output='json' or output='dataframe' for such a column)"
    )


class PolarsChunk:
    """The rows of one chunk of a series, as one typed polars Series per column."""

    __slots__ = ("columns", "length")

    def __init__(self, rows: list[Any]) -> None:
        table = rows_to_table(rows)
        self.length = len(table)
        try:
            self.columns = [_piece(table[:, j].tolist()) for j in range(table.shape[1])]
        except ValueError as exc:
            raise ValueError(f"output='polars': {exc}") from None


class PolarsSeries:
    """The columns of a whole series: for each column, its pieces from every chunk."""

    __slots__ = ("columns", "length")

    def __init__(self, chunks: list[PolarsChunk]) -> None:
        chunks = [chunk for chunk in chunks if chunk.length]
        if len({len(chunk.columns) for chunk in chunks}) > 1:
            raise ValueError("the rows of a series have different lengths")
        self.length = sum(chunk.length for chunk in chunks)
        self.columns: list[list[pl.Series]] = [
            list(pieces) for pieces in zip(*(c.columns for c in chunks), strict=True)
        ]


def assembler() -> ResultAssembler:
    """A :class:`~aioinflux._protocol.ResultAssembler` that types each chunk's rows as
    polars Series as the chunk arrives (while the server sends the rest)."""
    return ResultAssembler(PolarsChunk, PolarsSeries)


def _target(
    name: str, dtypes: set[pl.DataType], kind: str | None, typed: bool = False
) -> pl.DataType | None:
    """The type of a whole column, from its pieces' types and its declared kind (None:
    the pieces' common type). ``typed``: the values carry their own types (MessagePack),
    so the declared type only types a column without any value."""
    known = dtypes - {pl.Null()}
    if kind == "tag":  # a String here, made Categorical once the statement is whole
        if known - {pl.String()}:
            raise ValueError(f"tag {name!r} holds values that are not strings")
        return pl.String()
    declared = _DECLARED.get(kind or "")
    if known and known <= _NUMBERS and declared == pl.Float64() and not typed:
        # JSON writes the float 1.0 as 1: the field's declared type decides
        return pl.Float64()
    if not known:
        return declared  # no value at all: the declared type, or polars' Null
    if len(known) == 1:
        return known.pop()
    if known == _NUMBERS:
        return pl.Float64()  # ints and floats: a float field, read in pieces
    names = ", ".join(sorted(str(t) for t in known))
    raise ValueError(
        f"column {name!r} holds values of several types ({names}): a polars column holds "
        "one type (use output='json' or output='dataframe' for such a column)"
    )


def _column(
    name: str, pieces: list[pl.Series], kind: str | None, length: int, typed: bool = False
) -> pl.Series:
    if not pieces:
        target = _target(name, set(), kind)
        return pl.Series(name, [None] * length, dtype=target or pl.Null())
    target = _target(name, {p.dtype for p in pieces}, kind, typed)
    if target is not None:  # the pieces are joined in the column's type
        pieces = [p if p.dtype == target else p.cast(target, strict=True) for p in pieces]
    column = pieces[0] if len(pieces) == 1 else pl.concat(pieces, rechunk=True)
    return column.rename(name)


def _times(pieces: list[pl.Series], epoch: str | None, length: int) -> pl.Series:
    column = _column("time", pieces, None, length)
    if epoch is None:
        if column.dtype == pl.Null():
            column = column.cast(pl.String)
        if column.dtype != pl.String():
            raise ValueError(f"times read as RFC3339 strings are {column.dtype}")
        return column.str.to_datetime(time_unit="ns", time_zone="UTC")
    if column.dtype == pl.Null():
        column = column.cast(pl.Int64)
    if column.dtype != pl.Int64():
        raise ValueError(f"times read with epoch={epoch!r} are {column.dtype}, not integers")
    unit, factor = _TIME_UNITS[epoch]
    if factor != 1:
        column = column * factor
    return column.cast(pl.Datetime(unit, "UTC"))


def _series_frame(
    series: Mapping[str, Any], kinds: ColumnKinds, epoch: str | None, named: bool, typed: bool
) -> tuple[pl.DataFrame, set[str]]:
    """The frame of one series, and which of its columns are tags (or the measurement)."""
    names: list[str] = list(series.get("columns", ()))
    rows = series.get("values")
    table = rows if isinstance(rows, PolarsSeries) else PolarsSeries([PolarsChunk(rows or [])])
    pieces = table.columns
    if len(pieces) != len(names):
        if table.length:
            raise ValueError(f"a series has {len(names)} columns but rows of {len(pieces)} values")
        pieces = [[] for _ in names]
    length = table.length
    known = kinds.get(series.get("name", ""), {})
    tags = dict(series.get("tags") or {})
    categorical = {name for name in names if known.get(name) == "tag"} | set(tags)
    columns: list[pl.Series] = []
    if named:
        if MEASUREMENT in names or MEASUREMENT in tags:
            raise ValueError(
                f"output='polars': the series of this statement come from several "
                f"measurements, named in a column {MEASUREMENT!r}, but a column of theirs "
                f"is called so: select it under another name (AS)"
            )
        columns.append(_constant(MEASUREMENT, series.get("name"), length))
        categorical.add(MEASUREMENT)
    for j, name in enumerate(names):
        if j == 0 and name == "time":
            columns.append(_times(pieces[0], epoch, length))
        else:
            columns.append(_column(name, pieces[j], known.get(name), length, typed))
    for key, value in sorted(tags.items()):
        columns.append(_constant(key, value, length))
    return pl.DataFrame(columns), categorical


def _constant(name: str, value: str | None, length: int) -> pl.Series:
    """A column of one value: a group's tag, or the series' measurement."""
    return pl.repeat(value, length, dtype=pl.String, eager=True).alias(name)


def _stack(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The frames of one statement's series, one under the other (columns in order of
    appearance; a column missing from a series is null there)."""
    if len(frames) == 1:
        return frames[0]
    dtypes: dict[str, set[pl.DataType]] = {}
    for frame in frames:
        for name, dtype in frame.schema.items():
            dtypes.setdefault(name, set()).add(dtype)
    targets = {name: _target(name, found, None) for name, found in dtypes.items()}
    aligned = [
        frame.with_columns(
            pl.col(n).cast(t) for n, t in targets.items() if n in frame.columns and t is not None
        )
        for frame in frames
    ]
    return pl.concat(aligned, how="diagonal")


def _statement(
    result: Mapping[str, Any], kinds: ColumnKinds, epoch: str | None, named: bool, typed: bool
) -> pl.DataFrame:
    series_list = list(result.get("series") or ())
    if not series_list:
        return pl.DataFrame()
    # a statement classified as reading one measurement still says which, if its series
    # do come from several (nothing read is left unnamed)
    named = named or len({s.get("name") for s in series_list}) > 1
    built = [_series_frame(s, kinds, epoch, named, typed) for s in series_list]
    frame = _stack([frame for frame, _ in built])
    categorical = set().union(*(names for _, names in built))
    # tags become Categorical once, on the whole statement: categoricals made apart and
    # then joined need a global string cache in polars before 1.32
    return frame.with_columns(
        pl.col(name).cast(pl.Categorical) for name in frame.columns if name in categorical
    )


def to_polars(
    resp: Mapping[str, Any],
    *,
    kinds: ColumnKinds | None = None,
    epoch: str | None = "ns",
    named: Sequence[bool] = (),
    typed: bool = False,
) -> pl.DataFrame | list[pl.DataFrame]:
    """A query answer (``output='json'``) as polars DataFrames: one frame per statement
    (the frame of a statement without series has no column), a list of them for several
    statements.

    :param kinds: what is known of the measurements' columns, as for
        :func:`aioinflux._frames.to_dataframe`.
    :param epoch: the ``epoch`` the query was made with (None: RFC3339 strings).
    :param named: for each statement (by ``statement_id``), whether its frame starts with a
        :data:`MEASUREMENT` column (:func:`named_statements`); a statement whose series
        come from several measurements gets it anyway.
    :param typed: the values carry their own types (a MessagePack answer): a field's
        declared type then only types a column without any value (JSON writes the float
        1.0 as 1, so there the declared type decides).
    """
    _check_answer(resp, "to_polars()")
    kinds = kinds or {}
    frames = []
    for result in resp.get("results", ()):
        statement_id = result.get("statement_id")
        flag = isinstance(statement_id, int) and 0 <= statement_id < len(named)
        frames.append(_statement(result, kinds, epoch, flag and named[statement_id], typed))
    return frames[0] if len(frames) == 1 else frames


def answer_frames(
    resp: dict[str, Any],
    kinds: ColumnKinds,
    epoch: str | None,
    *,
    msgpack: bool,
    named: Sequence[bool],
) -> pl.DataFrame | list[pl.DataFrame]:
    """What ``query(output='polars')`` returns for ``resp`` (a whole answer or one chunk).

    :param msgpack: the answer came as MessagePack, whose values carry their own types.
    """
    return to_polars(resp, kinds=kinds, epoch=epoch, named=named, typed=msgpack)


#: ``SHOW`` statements whose answer is one series (or none): their frames need no
#: measurement column. The others (``SHOW TAG KEYS``, ``FIELD KEYS``, ``TAG VALUES``,
#: ``SHARDS``, ``CONTINUOUS QUERIES``, ``STATS``, ``DIAGNOSTICS``...) answer one series
#: per measurement, database or module, which the column then names.
_ONE_SERIES_SHOW = {
    "DATABASES",
    "MEASUREMENTS",
    "SERIES",
    "USERS",
    "RETENTION",
    "GRANTS",
    "QUERIES",
}


def named_statements(statements: Sequence[tuple[Sequence[str], int | None]]) -> list[bool]:
    """Which statements' frames start with a :data:`MEASUREMENT` column, decided from the
    query alone, so that every chunk of a statement has the same columns.

    :param statements: each statement's first words (upper case) and, for a ``SELECT``,
        how many measurements it reads by name (None: a regex, or sources not understood).
    """
    named = []
    for words, sources in statements:
        first = words[0] if words else ""
        if first == "SELECT":
            named.append(sources != 1)
        elif first == "SHOW":
            rest = list(words[1:])
            named.append(not rest or rest[0] not in _ONE_SERIES_SHOW or "CARDINALITY" in rest)
        else:
            named.append(False)
    return named
