"""The plan of a DataFrame to be written: each column's role and every check, made once,
before the first byte; what both kernels (pure: _purekernel.py; polars: columnar.py) read.

Rule 1: plan once, check everything up front. Each column's role (tag, int/float/bool/
string field) is decided once from its dtype; names, every distinct tag value, infinities,
integer ranges, object columns' types and the index are checked over the whole frame
before the first byte is produced (in bounded chunks), so encoding cannot fail on the data.
Rule 2: escape once per distinct value (categoricals: their categories; other string
columns: factorize per slice, escaped through the caches of common.py); low-cardinality
columns are folded into one column of combinations, each built once.
Rule 3: this module and the kernels are imported only when a DataFrame is written (never at
``import aioinflux``); they import numpy and pandas at their top. No I/O.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from .._units import NS_PER_UNIT
from ..exceptions import LineProtocolError, LineProtocolTypeError
from .common import (
    LEADING_STRIPPED,
    MAX_NS,
    MIN_NS,
    escape_field_key,
    escape_measurement,
    escape_tag_key,
    escape_tag_value,
    string_field,
    tag_value_text,
)
from .mapping import encode_tags

__all__ = [
    "FOLD_VALUES",
    "SUFFIX",
    "VALUE_CODES",
    "Codes",
    "Column",
    "FramePlan",
    "combination_codes",
    "factorize",
    "is_polars_frame",
]

_INT64_MAX = 2**63 - 1


#: Rows checked at a time by the up-front checks (their temporaries stay small).
_CHECK_ROWS = 1 << 20


class Column:
    """One column's role and how to turn a slice of it into a list of texts."""

    def __init__(self, name: str, key: str, kind: str):
        self.name = name
        self.key = key  # escaped
        self.kind = kind  # 'tag', 'int', 'float', 'float32', 'bool', 'str'
        # tags: the piece (",key=value") of each code, the last one "" (missing), and the
        # codes of the whole frame when kept from the check (categorical tags: their own)
        self.table: np.ndarray[Any, Any] | None = None
        self.codes: np.ndarray[Any, Any] | None = None


def _frame_error(message: str) -> LineProtocolError:
    return LineProtocolError(f"DataFrame {message}")


def _column_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"DataFrame column names must be str, got {type(name).__name__} {name!r}")
    return name


def _first_label(series: pd.Series, mask: Any) -> object:
    return series.index[np.flatnonzero(np.asarray(mask))[0]]


def _is_missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (
            isinstance(value, float) and value != value  # NaN
        )
    )


def _tag_piece(key: str, value: object, column: str) -> str:
    text = tag_value_text(value, column)
    return f",{key}={escape_tag_value(text)}" if text else ""


#: A tag column that is not categorical keeps the codes its check found (one or two bytes
#: a row) while it has at most this many distinct values: its slices are not factorized again.
_KEPT_VALUES = 1 << 15


def _check_tags(column: Column, series: pd.Series) -> None:
    """Check every distinct value of a tag column, chunk by chunk (pd.unique of a whole
    10M-row column of str takes about 150 MiB). While the column has few distinct values,
    keep its codes for the whole frame (``column.codes``, -1 = missing) and the piece of
    each code (``column.table``, the last one ""): encoding then hashes no value again."""
    pieces: list[str] = []
    numbers: dict[tuple[type, Any], int] | None = {}  # (type, value) -> code, while kept
    codes: np.ndarray[Any, Any] | None = np.empty(len(series), dtype=np.int8)
    for start in range(0, len(series), _CHECK_ROWS):
        part = series.iloc[start : start + _CHECK_ROWS]
        try:
            part_codes, uniques = factorize(part)
        except TypeError:  # unhashable values (lists, dicts): each is checked, and raises
            for value in part:
                if not _is_missing(value):
                    _tag_piece(column.key, value, column.name)
            raise
        if numbers is not None and codes is not None:
            renumber = np.empty(len(uniques) + 1, dtype=np.int64)  # part code -> code
            renumber[-1] = -1  # missing
            for position, value in enumerate(uniques):
                number = numbers.get((type(value), value))
                if number is None:
                    if len(pieces) == _KEPT_VALUES:  # many: slices factorize their own
                        numbers = codes = None
                        pieces = []
                        break
                    number = numbers[type(value), value] = len(pieces)
                    pieces.append(_tag_piece(column.key, value, column.name))
                renumber[position] = number
            else:
                if len(pieces) - 1 > np.iinfo(codes.dtype).max:
                    codes = codes.astype(np.int16)
                codes[start : start + len(part)] = renumber[part_codes]
                continue
        for value in uniques:  # checked only
            _tag_piece(column.key, value, column.name)
    if codes is not None:
        column.codes = codes
        column.table = np.array([*pieces, ""], dtype=object)


def _plan_column(frame: pd.DataFrame, name: str, is_tag: bool) -> Column:
    series = frame[name]
    dtype = series.dtype
    if is_tag or isinstance(dtype, pd.CategoricalDtype):
        column = Column(name, escape_tag_key(name), "tag")
        try:
            if isinstance(dtype, pd.CategoricalDtype):
                # every category is checked and escaped once; code -1 (missing) takes the last
                pieces = [_tag_piece(column.key, c, name) for c in dtype.categories]
                column.table = np.array([*pieces, ""], dtype=object)
            else:
                _check_tags(column, series)
        except (LineProtocolError, TypeError) as exc:
            raise type(exc)(f"DataFrame column {name!r}: {exc}") from None
        return column
    key = escape_field_key(name)
    if pd.api.types.is_bool_dtype(dtype):
        return Column(name, key, "bool")
    if pd.api.types.is_integer_dtype(dtype):
        if dtype.kind == "u" and dtype.itemsize == 8:
            too_big = (series > _INT64_MAX).fillna(False)  # UInt64 with gaps: NA
            if too_big.any():
                raise _frame_error(
                    f"column {name!r}, row {_first_label(series, too_big)!r}: an integer is "
                    "outside the signed 64-bit range of InfluxDB"
                )
        return Column(name, key, "int")
    if pd.api.types.is_float_dtype(dtype):
        for start in range(0, len(series), _CHECK_ROWS):  # bounded temporaries
            values = series.iloc[start : start + _CHECK_ROWS].to_numpy(
                dtype="float64", na_value=np.nan
            )
            infinite = np.isinf(values)
            if infinite.any():
                position = int(np.flatnonzero(infinite)[0])
                raise _frame_error(
                    f"column {name!r}, row {series.index[start + position]!r}: "
                    f"{float(values[position])!r} cannot be written to InfluxDB 1.x"
                )
        narrow = getattr(dtype, "numpy_dtype", dtype).itemsize < 8
        return Column(name, key, "float32" if narrow else "float")
    if pd.api.types.is_string_dtype(dtype):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred == "boolean" and pd.api.types.is_object_dtype(dtype):  # bools and None
            return Column(name, key, "bool")
        if inferred not in ("string", "empty"):
            bad = series[series.map(lambda v: not isinstance(v, str)) & series.notna()]
            raise TypeError(
                f"DataFrame column {name!r}: a string field column can only hold str (or "
                f"missing values), found {type(bad.iloc[0]).__name__} {bad.iloc[0]!r} in row "
                f"{bad.index[0]!r}"
            )
        return Column(name, key, "str")
    raise TypeError(
        f"DataFrame column {name!r}: cannot write a column of dtype {dtype} (fields are "
        "bool, int, float or str; tags are category columns or named in tag_columns)"
    )


class _Times:
    """The index as int64 ticks of the write's precision, exact (floored), one slice at a
    time (a 10M-row frame never gets a second full-length array)."""

    def __init__(self, index: Any, factor: int):
        if not isinstance(index, pd.DatetimeIndex):
            raise LineProtocolTypeError(
                f"a DataFrame needs a DatetimeIndex to be written, got {type(index).__name__}"
            )
        if index.hasnans:
            label = index[index.isna()][0]
            raise _frame_error(f"index: {label!r} is not a time (NaT)")
        self.ticks = index.asi8  # UTC for an aware index, wall time as UTC for a naive one
        unit_ns = NS_PER_UNIT[index.unit]
        if len(self.ticks):
            first, last = int(self.ticks.min()) * unit_ns, int(self.ticks.max()) * unit_ns
            if first < MIN_NS or last > MAX_NS:
                raise _frame_error("index: a time is outside the range InfluxDB can store")
        # the ratio is exact: units and precisions are all whole multiples of one another
        self.multiply = unit_ns // factor if unit_ns >= factor else 1
        self.divide = factor // unit_ns if unit_ns < factor else 1

    def array(self, start: int, stop: int) -> np.ndarray[Any, Any]:
        """The times of rows ``start:stop`` as int64 ticks of the write's precision."""
        ticks: np.ndarray[Any, Any] = self.ticks[start:stop]
        if self.multiply != 1:
            ticks = ticks * self.multiply
        elif self.divide != 1:
            ticks = ticks // self.divide
        return ticks

    def slice(self, start: int, stop: int) -> list[int]:
        return self.array(start, stop).tolist()  # type: ignore[no-any-return]


def is_polars_frame(obj: object) -> bool:
    """True for a polars DataFrame (without importing polars)."""
    pl = sys.modules.get("polars")
    return pl is not None and isinstance(obj, pl.DataFrame)


def _from_polars(frame: Any) -> pd.DataFrame:
    """A polars DataFrame as the pandas frame that stands for it: its ``time`` column (a
    ``Datetime``, naive = UTC) becomes the index, integer and boolean columns with nulls
    become the nullable ``Int64``/``boolean`` (no value rounded), ``String`` and
    ``Categorical``/``Enum`` columns become ``str`` objects and categoricals (tags), nulls
    missing values. Any other dtype raises TypeError naming the column."""
    # polars is optional (the `fast` extra): imported only for a polars frame, which exists
    # only where polars is installed
    import polars as pl

    if "time" not in frame.columns:
        raise TypeError(
            "a polars DataFrame needs a Datetime column named 'time' to be written (its "
            f"columns: {frame.columns})"
        )
    data: dict[str, Any] = {}
    index = None
    for series in frame.get_columns():
        name, dtype = series.name, series.dtype
        nulls = series.null_count() > 0
        if name == "time":
            if not isinstance(dtype, pl.Datetime):
                raise TypeError(f"a polars DataFrame's 'time' column must be Datetime, got {dtype}")
            if nulls:
                row = int(np.flatnonzero(series.is_null().to_numpy())[0])
                raise _frame_error(f"column 'time', row {row}: a null is not a time")
            ticks = series.to_physical().to_numpy()  # UTC for an aware column
            index = pd.DatetimeIndex(ticks.astype(f"datetime64[{dtype.time_unit}]"))
            if dtype.time_zone is not None:
                index = index.tz_localize("UTC")
        elif dtype.is_integer():
            values = series.fill_null(0).to_numpy()
            mask = series.is_null().to_numpy()
            data[name] = pd.arrays.IntegerArray(values, mask) if nulls else values
        elif dtype.is_float():
            data[name] = series.to_numpy()  # a null becomes NaN: missing, as NaN is
        elif dtype == pl.Boolean:
            values = series.fill_null(False).to_numpy()
            mask = series.is_null().to_numpy()
            data[name] = pd.arrays.BooleanArray(values, mask) if nulls else values
        elif dtype == pl.String:
            data[name] = series.to_numpy().astype(object)
        elif isinstance(dtype, (pl.Categorical, pl.Enum)):
            data[name] = pd.Categorical(series.cast(pl.String).to_numpy().astype(object))
        else:
            raise TypeError(
                f"DataFrame column {name!r}: cannot write a polars column of dtype {dtype} "
                "(fields are Boolean, integer, float or String; tags are Categorical or Enum "
                "columns or named in tag_columns)"
            )
    return pd.DataFrame(data, index=index, copy=False)


class FramePlan:
    """A DataFrame checked whole, and each column's role: what every kernel encodes from.

    Made once per frame (every check that can raise runs here, before the first byte); a
    kernel then only reads it, slice by slice (so slices can be encoded in a thread).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        measurement: str | None,
        tag_columns: Iterable[str],
        extra_tags: Mapping[str, Any],
        factor: int,
    ):
        if measurement is None:
            raise LineProtocolError("writing a DataFrame needs measurement=...")
        if is_polars_frame(frame):
            frame = _from_polars(frame)
        # the write's extra tags were encoded, and warned about, once for the batch already
        self.head = escape_measurement(measurement) + encode_tags(extra_tags, warn=False)
        names = [_column_name(c) for c in frame.columns]
        if len(set(names)) != len(names):
            raise _frame_error(f"has duplicate column names: {sorted(names)}")
        tags = set(tag_columns)
        if missing := sorted(tags - set(names)):
            raise _frame_error(f"has no column {missing[0]!r} (named in tag_columns)")
        if both := sorted(set(extra_tags) & set(names)):
            raise _frame_error(f"column {both[0]!r} is also given as an extra tag")
        self.times = _Times(frame.index, factor)
        columns = [_plan_column(frame, name, name in tags) for name in names]
        self.tags = [c for c in columns if c.kind == "tag"]
        self.fields = [c for c in columns if c.kind != "tag"]
        if not self.fields:
            raise _frame_error("has no field column (every column is a tag)")
        # influxd drops a leading tab/NUL of the first field key only (measured): the first
        # field written must be a key without one, present in every row.
        self.safe_first = [c for c in self.fields if c.key[0] not in LEADING_STRIPPED]
        if len(self.safe_first) < len(self.fields):
            complete = [c for c in self.safe_first if not frame[c.name].isna().any()]
            if not complete:
                raise _frame_error(
                    "needs a field column without missing values whose name does not start "
                    "with a tab or NUL (InfluxDB 1.x drops one from the first field key)"
                )
            self.safe_first = complete
        self.frame = frame
        #: a string value may hold a newline: then a line's end is not every newline (names
        #: and tag values never hold one: they raise)
        self.strings = any(column.kind == "str" for column in self.fields)

    # --- what both kernels read of a slice ---------------------------------------------
    # Low-cardinality columns (every tag; bool and string fields with few distinct values in
    # the slice, once a field of theirs leads the fields) are folded into one column of
    # "combinations": integer codes find the distinct combinations, each combination's text
    # is built once, and a row then costs one slot of the row f-string instead of several.

    def tag_codes(self, column: Column, start: int, stop: int) -> Codes:
        """The codes of rows ``start:stop`` of a tag column (-1 = missing) and, per code,
        the ``,key=value`` piece ("" if omitted)."""
        if column.table is not None and column.codes is not None:  # kept from the check
            return column.codes[start:stop].astype(np.int64), list(column.table[:-1])
        part = self.frame[column.name].iloc[start:stop]
        if column.table is not None:  # categorical
            return part.cat.codes.to_numpy().astype(np.int64), list(column.table[:-1])
        codes, uniques = factorize(part)
        return codes, [_tag_piece(column.key, u, column.name) for u in uniques]

    def value_codes(self, column: Column, part: pd.Series) -> Codes:
        """Bool and string fields: codes (-1 = missing) and the text of each value."""
        return VALUE_CODES[column.kind](part)


Codes: TypeAlias = "tuple[np.ndarray[Any, Any], list[str]]"


# --- how each kind of bool or string field is read from a slice (one table, as h11's READERS)
def _bool_codes(part: pd.Series) -> Codes:
    values = part.to_numpy(dtype=bool, na_value=False).astype(np.int64)
    missing = part.isna().to_numpy()
    if missing.any():
        values[missing] = -1
    return values, ["false", "true"]


def _string_codes(part: pd.Series) -> Codes:
    codes, uniques = factorize(part)
    return codes, [string_field(u) for u in uniques]


#: Bool and string fields: codes (-1 = missing) and the text of each distinct value.
VALUE_CODES: dict[str, Callable[[pd.Series], Codes]] = {
    "bool": _bool_codes,
    "str": _string_codes,
}


#: What follows a field value's text, by kind.
SUFFIX = {"int": "i"}


#: A bool/string field with at most this many distinct values in a slice may be folded.
FOLD_VALUES = 1024


def combination_codes(folded: list[Codes], rows: int) -> Codes:
    """Per row, the code of its combination of the folded columns' pieces (code -1: the
    last piece), and the concatenated text of each combination, built once."""
    if len(folded) == 1:  # one column: its own codes (missing: the last piece)
        column_codes, pieces = folded[0]
        return np.where(column_codes < 0, len(pieces) - 1, column_codes), list(pieces)
    # the columns' codes are combined as the digits of one number (mixed radix) while the
    # numbers stay few (their span); then the numbers present are renumbered 0, 1, ... and
    # each one's text is built from its digits
    bound = max(4 * rows, 1 << 16)
    texts = [""]
    codes: np.ndarray[Any, Any] = np.zeros(rows, dtype=np.int64)
    digits: list[list[str]] = []  # the pieces of each column combined since renumbering
    span = 1  # codes < span
    for column_codes, pieces in folded:
        size = len(pieces)
        if digits and span * size > bound:
            codes, texts = _renumber(codes, span, texts, digits)
            span, digits = len(texts), []
        codes = codes * size + np.where(column_codes < 0, size - 1, column_codes)
        span *= size
        digits.append(pieces)
    return _renumber(codes, span, texts, digits)


def _renumber(
    codes: np.ndarray[Any, Any], span: int, texts: list[str], digits: list[list[str]]
) -> Codes:
    """``codes`` (each ``code < span``, a number whose most significant part indexes
    ``texts`` and whose other digits index ``digits``' pieces) renumbered 0, 1, ... in the
    order of the combinations present, with the text of each."""
    if span <= max(4 * len(codes), 1 << 16):  # count them: 3x faster than factorizing
        uniques = np.flatnonzero(np.bincount(codes, minlength=span))
        renumber = np.zeros(span, dtype=np.int64)
        renumber[uniques] = np.arange(len(uniques))
        codes = renumber[codes]
    else:  # one column of many distinct values: at most len(codes) combinations
        codes, uniques = pd.factorize(codes)
    # each text: its digits' pieces, last digit first, added as object arrays (in C)
    text = np.full(len(uniques), "", dtype=object)
    for pieces in reversed(digits):
        uniques, digit = np.divmod(uniques, len(pieces))
        text = np.array(pieces, dtype=object)[digit] + text
    text = np.array(texts, dtype=object)[uniques] + text
    return codes, text.tolist()


def factorize(part: pd.Series) -> tuple[np.ndarray[Any, Any], Sequence[Any]]:
    """Codes (-1 = missing: None, NaN, NA) and the distinct values, in order of appearance;
    values of different types are distinct even where Python calls them equal."""
    if part.dtype == object or getattr(part.dtype, "storage", None) == "python":
        # str columns held as Python objects (pandas 3's default without pyarrow): their
        # object array, a view, factorizes 2.5x faster than the Series, whose extension
        # array makes a masked copy first
        values = part.to_numpy()
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            # 1, 1.0 and True are equal (one hash) but are written 1, 1.0 and True: values
            # are told apart by their type too
            keyed = np.empty(len(values), dtype=object)
            keyed[:] = [v if _is_missing(v) else (type(v), v) for v in values]
            codes, keys = pd.factorize(keyed)
            return codes, [key[1] for key in keys]
        codes, uniques = pd.factorize(values)
    else:
        codes, uniques = pd.factorize(part)
    return codes, list(uniques)
