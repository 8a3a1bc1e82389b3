"""pandas DataFrames to line protocol.

Rule 1: pandas and numpy are imported lazily, inside the functions, never at
``import aioinflux``.
Rule 2: no I/O. (Query answers -> DataFrames is ``aioinflux._frames``; aioinflux 0.9's
``parse`` and ``to_dataframe`` are still found here, loaded from there when first used.)
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

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
from .lines import MAX_ROWS, exact_lines
from .mapping import encode_tags

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .._frames import parse, to_dataframe  # loaded by __getattr__ at first use

__all__ = [
    "dataframe_lines",
    "dataframe_to_bytes",
    "parse",
    "serialize",
    "serialize_dataframe",
    "serialize_dataframe_counted",
    "to_dataframe",
]


# -- DataFrames -> line protocol -----------------------------------------------------------
# Rule 1: plan once, check everything up front. Each column's role (tag, int/float/bool/
# string field) is decided once from its dtype; names, every distinct tag value, infinities,
# integer ranges, object columns' types and the index are checked over the whole frame
# before the first byte is produced (in bounded chunks), so encoding cannot fail on the data.
# Rule 2: escape once per distinct value (categoricals: their categories; other string
# columns: factorize per slice, escaped through the caches of common.py); low-cardinality
# columns are folded into one column of combinations, each built once.
# Rule 3: format the way the benchmark says: rows are built by one f-string per row over
# pre-extracted Python lists (measured faster than `%` formatting, per-column concatenation
# and numpy 2 string ufuncs; benchmarks/bench_serialization.py), slice by slice, each
# slice yielded as bytes: nothing holds all lines and all intermediates.

_INT64_MAX = 2**63 - 1
#: Rows checked at a time by the up-front checks (their temporaries stay small).
_CHECK_ROWS = 1 << 20


# --- row formatting: one f-string per row, literal source only (no eval) ------------------
# seps[i] is written before column i and tail after the last one; a column holds values
# whose str() is their text (Python floats: shortest round-trip repr; ints; escaped str).


def _rows1(s: Sequence[str], c: Sequence[list[Any]], t: str) -> list[str]:
    (s0,) = s
    return [f"{s0}{a}{t}" for a in c[0]]


def _rows2(s: Sequence[str], c: Sequence[list[Any]], t: str) -> list[str]:
    s0, s1 = s
    return [f"{s0}{a}{s1}{b}{t}" for a, b in zip(*c, strict=True)]


def _rows3(s: Sequence[str], c: Sequence[list[Any]], t: str) -> list[str]:
    s0, s1, s2 = s
    return [f"{s0}{a}{s1}{b}{s2}{d}{t}" for a, b, d in zip(*c, strict=True)]


def _rows4(s: Sequence[str], c: Sequence[list[Any]], t: str) -> list[str]:
    s0, s1, s2, s3 = s
    return [f"{s0}{a}{s1}{b}{s2}{d}{s3}{e}{t}" for a, b, d, e in zip(*c, strict=True)]


def _rows5(s: Sequence[str], c: Sequence[list[Any]], t: str) -> list[str]:
    s0, s1, s2, s3, s4 = s
    return [f"{s0}{a}{s1}{b}{s2}{d}{s3}{e}{s4}{f}{t}" for a, b, d, e, f in zip(*c, strict=True)]


def _rows6(s: Sequence[str], c: Sequence[list[Any]], t: str) -> list[str]:
    s0, s1, s2, s3, s4, s5 = s
    return [
        f"{s0}{a}{s1}{b}{s2}{d}{s3}{e}{s4}{f}{s5}{g}{t}"
        for a, b, d, e, f, g in zip(*c, strict=True)
    ]


def _rows7(s: Sequence[str], c: Sequence[list[Any]], t: str) -> list[str]:
    s0, s1, s2, s3, s4, s5, s6 = s
    return [
        f"{s0}{a}{s1}{b}{s2}{d}{s3}{e}{s4}{f}{s5}{g}{s6}{h}{t}"
        for a, b, d, e, f, g, h in zip(*c, strict=True)
    ]


def _rows8(s: Sequence[str], c: Sequence[list[Any]], t: str) -> list[str]:
    s0, s1, s2, s3, s4, s5, s6, s7 = s
    return [
        f"{s0}{a}{s1}{b}{s2}{d}{s3}{e}{s4}{f}{s5}{g}{s6}{h}{s7}{i}{t}"
        for a, b, d, e, f, g, h, i in zip(*c, strict=True)
    ]


_ROWS = {1: _rows1, 2: _rows2, 3: _rows3, 4: _rows4, 5: _rows5, 6: _rows6, 7: _rows7, 8: _rows8}


def _concat(seps: list[str], cols: list[list[Any]], tail: str) -> list[str]:
    """Row ``r`` is ``seps[0] cols[0][r] seps[1] cols[1][r] ... tail``."""
    while len(cols) > 8:  # fold the first eight columns into one column of text
        cols = [_rows8(seps[:8], cols[:8], ""), *cols[8:]]
        seps = ["", *seps[8:]]
    return _ROWS[len(cols)](seps, cols, tail)


# --- the plan ------------------------------------------------------------------------------


class _Column:
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
    import numpy as np

    return series.index[np.flatnonzero(np.asarray(mask))[0]]


def _is_missing(value: object) -> bool:
    import pandas as pd

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


def _check_tags(column: _Column, series: pd.Series) -> None:
    """Check every distinct value of a tag column, chunk by chunk (pd.unique of a whole
    10M-row column of str takes about 150 MiB). While the column has few distinct values,
    keep its codes for the whole frame (``column.codes``, -1 = missing) and the piece of
    each code (``column.table``, the last one ""): encoding then hashes no value again."""
    import numpy as np

    pieces: list[str] = []
    numbers: dict[tuple[type, Any], int] | None = {}  # (type, value) -> code, while kept
    codes: np.ndarray[Any, Any] | None = np.empty(len(series), dtype=np.int8)
    for start in range(0, len(series), _CHECK_ROWS):
        part = series.iloc[start : start + _CHECK_ROWS]
        try:
            part_codes, uniques = _factorize(part)
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


def _plan_column(frame: pd.DataFrame, name: str, is_tag: bool) -> _Column:
    import numpy as np
    import pandas as pd

    series = frame[name]
    dtype = series.dtype
    if is_tag or isinstance(dtype, pd.CategoricalDtype):
        column = _Column(name, escape_tag_key(name), "tag")
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
        return _Column(name, key, "bool")
    if pd.api.types.is_integer_dtype(dtype):
        if dtype.kind == "u" and dtype.itemsize == 8:
            too_big = (series > _INT64_MAX).fillna(False)  # UInt64 with gaps: NA
            if too_big.any():
                raise _frame_error(
                    f"column {name!r}, row {_first_label(series, too_big)!r}: an integer is "
                    "outside the signed 64-bit range of InfluxDB"
                )
        return _Column(name, key, "int")
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
        return _Column(name, key, "float32" if narrow else "float")
    if pd.api.types.is_string_dtype(dtype):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred == "boolean" and pd.api.types.is_object_dtype(dtype):  # bools and None
            return _Column(name, key, "bool")
        if inferred not in ("string", "empty"):
            bad = series[series.map(lambda v: not isinstance(v, str)) & series.notna()]
            raise TypeError(
                f"DataFrame column {name!r}: a string field column can only hold str (or "
                f"missing values), found {type(bad.iloc[0]).__name__} {bad.iloc[0]!r} in row "
                f"{bad.index[0]!r}"
            )
        return _Column(name, key, "str")
    raise TypeError(
        f"DataFrame column {name!r}: cannot write a column of dtype {dtype} (fields are "
        "bool, int, float or str; tags are category columns or named in tag_columns)"
    )


class _Times:
    """The index as int64 ticks of the write's precision, exact (floored), one slice at a
    time (a 10M-row frame never gets a second full-length array)."""

    def __init__(self, index: Any, factor: int):
        import pandas as pd

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
    import numpy as np
    import pandas as pd
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


class _FramePlan:
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
        from . import columnar

        # polars' columnar kernels encode the slices when installed (the `fast` extra): the
        # same plan, so the same checks, and the same stored data (tests/test_serialization_
        # columnar.py); columnar.ENABLED = False keeps the pure path
        self.columnar = columnar.available()

    # --- one slice ---------------------------------------------------------------------
    # Low-cardinality columns (every tag; bool and string fields with few distinct values in
    # the slice, once a field of theirs leads the fields) are folded into one column of
    # "combinations": integer codes find the distinct combinations, each combination's text
    # is built once, and a row then costs one slot of the row f-string instead of several.

    def _tag_codes(self, column: _Column, start: int, stop: int) -> _Codes:
        """The codes of rows ``start:stop`` of a tag column (-1 = missing) and, per code,
        the ``,key=value`` piece ("" if omitted)."""
        import numpy as np

        if column.table is not None and column.codes is not None:  # kept from the check
            return column.codes[start:stop].astype(np.int64), list(column.table[:-1])
        part = self.frame[column.name].iloc[start:stop]
        if column.table is not None:  # categorical
            return part.cat.codes.to_numpy().astype(np.int64), list(column.table[:-1])
        codes, uniques = _factorize(part)
        return codes, [_tag_piece(column.key, u, column.name) for u in uniques]

    def _value_codes(self, column: _Column, part: pd.Series) -> _Codes:
        """Bool and string fields: codes (-1 = missing) and the text of each value."""
        return _CATEGORICAL[column.kind](part)

    def _numbers(self, column: _Column, part: pd.Series) -> tuple[list[Any], list[bool] | None]:
        """Int and float fields: the values (their str() is their text), the missing mask."""
        missing = part.isna().to_numpy()
        return _NUMERIC[column.kind](part), missing.tolist() if missing.any() else None

    def encode(self, start: int, stop: int) -> bytes:
        """The lines of rows ``start:stop``, each ending with a newline, as bytes."""
        if self.columnar:
            from .columnar import encode_slice

            return encode_slice(self, start, stop)
        lines = self.lines(start, stop)
        if not lines:
            return b""
        lines.append("")  # every line ends with a newline, without copying the text again
        return "\n".join(lines).encode()

    def write_to(self, out: io.BytesIO, start: int, stop: int) -> None:
        """Write the lines of rows ``start:stop`` to ``out`` (polars writes them there
        directly: no copy of the slice's text in between)."""
        if self.columnar:
            from .columnar import write_slice

            write_slice(self, start, stop, out)
        else:
            out.write(self.encode(start, stop))

    def line_list(self, start: int, stop: int) -> list[bytes]:
        """The lines of rows ``start:stop``, one ``bytes`` each (a row with no field has
        none), for the batch writer."""
        if self.columnar:
            from .columnar import slice_lines

            return slice_lines(self, start, stop)
        return exact_lines(self.lines(start, stop))

    def lines(self, start: int, stop: int) -> list[str]:
        """The lines of rows ``start:stop`` (a row with no field has none), one by one, as
        the pure encoder makes them."""
        import numpy as np

        frame = self.frame.iloc[start:stop]
        rows = len(frame)
        folded: list[_Codes] = []  # codes, and the piece of each code (missing: last)
        product = 1
        for column in self.tags:
            codes, pieces = self._tag_codes(column, start, stop)
            folded.append((codes, [*pieces, ""]))
            product *= len(pieces) + 1
        categorical: list[tuple[_Column, np.ndarray[Any, Any], list[str]]] = []
        numeric: list[tuple[_Column, list[Any], list[bool] | None]] = []
        for column in self.fields:
            part = frame[column.name]
            if column.kind in _CATEGORICAL:
                categorical.append((column, *self._value_codes(column, part)))
            else:
                numeric.append((column, *self._numbers(column, part)))
        first = self._first_field(categorical, numeric)
        if first is None:
            return self._encode_sparse(start, rows, folded, categorical, numeric)

        slots: list[tuple[str, list[Any]]] = []  # (text before, values)
        fold = {first} if first.kind in _CATEGORICAL else set()
        for column, _, texts in categorical:
            if fold and column not in fold:
                size = len(texts) + 1
                if len(texts) <= _FOLD_VALUES and product * size <= max(_FOLD_VALUES, rows // 8):
                    fold.add(column)
                    product *= size
        for column, codes, texts in sorted(categorical, key=lambda c: c[0] is not first):
            if column in fold:
                lead = f" {column.key}=" if column is first else f",{column.key}="
                folded.append((codes, [*(lead + t for t in texts), ""]))
        slots.append((self.head, _combinations(folded, rows)))
        pending = ""
        for column, values, _ in numeric:
            if column is first:
                slots.append((f" {column.key}=", values))
                pending = _SUFFIX.get(column.kind, "")
        for column, codes, texts in categorical:
            if column not in fold:
                table = np.array([*(f",{column.key}={t}" for t in texts), ""], dtype=object)
                slots.append((pending, table[codes].tolist()))
                pending = ""
        for column, values, mask in numeric:
            if column is first:
                continue
            suffix = _SUFFIX.get(column.kind, "")
            if mask is None:
                slots.append((f"{pending},{column.key}=", values))
                pending = suffix
            else:
                lead = f",{column.key}="
                pieces = [
                    "" if m else f"{lead}{v}{suffix}" for v, m in zip(values, mask, strict=True)
                ]
                slots.append((pending, pieces))
                pending = ""
        slots.append((f"{pending} ", self.times.slice(start, stop)))
        seps = [sep for sep, _ in slots]
        return _concat(seps, [values for _, values in slots], "")

    def _first_field(
        self,
        categorical: list[tuple[_Column, np.ndarray[Any, Any], list[str]]],
        numeric: list[tuple[_Column, list[Any], list[bool] | None]],
    ) -> _Column | None:
        """The field to write first in this slice: present in every row, and without a
        leading tab/NUL; a small categorical one if any (it lets the others fold)."""
        safe = set(self.safe_first)
        complete = [c for c, codes, _ in categorical if c in safe and not (codes < 0).any()]
        small = [c for c, _, texts in categorical if c in complete and len(texts) <= _FOLD_VALUES]
        numbers = [c for c, _, mask in numeric if c in safe and mask is None]
        for candidates in (small, numbers, complete):
            if candidates:
                return candidates[0]
        return None

    def _encode_sparse(
        self,
        start: int,
        rows: int,
        folded: list[_Codes],
        categorical: list[tuple[_Column, np.ndarray[Any, Any], list[str]]],
        numeric: list[tuple[_Column, list[Any], list[bool] | None]],
    ) -> list[str]:
        """No field is present in every row of this slice: rows are assembled from
        ``,key=value`` pieces, and a row with no field left is not written."""
        import numpy as np

        pieces: list[list[str]] = []
        for column, codes, texts in categorical:
            table = np.array([*(f",{column.key}={t}" for t in texts), ""], dtype=object)
            pieces.append(table[codes].tolist())
        for column, values, mask in numeric:
            lead, suffix = f",{column.key}=", _SUFFIX.get(column.kind, "")
            present = mask or [False] * rows
            pieces.append(
                ["" if m else f"{lead}{v}{suffix}" for v, m in zip(values, present, strict=True)]
            )
        bodies = ["".join(row) for row in zip(*pieces, strict=True)]
        tags = _combinations(folded, rows)
        times = self.times.slice(start, start + rows)
        return [
            f"{self.head}{tag} {body[1:]} {time}"
            for tag, body, time in zip(tags, bodies, times, strict=True)
            if body
        ]


_Codes: TypeAlias = "tuple[np.ndarray[Any, Any], list[str]]"


# --- how each kind of field column is read from a slice (one table, as h11's READERS) -----
def _bool_codes(part: pd.Series) -> _Codes:
    import numpy as np

    values = part.to_numpy(dtype=bool, na_value=False).astype(np.int64)
    missing = part.isna().to_numpy()
    if missing.any():
        values[missing] = -1
    return values, ["false", "true"]


def _string_codes(part: pd.Series) -> _Codes:
    codes, uniques = _factorize(part)
    return codes, [string_field(u) for u in uniques]


def _int_values(part: pd.Series) -> list[Any]:
    values: list[Any] = part.to_numpy(dtype="int64", na_value=0).tolist()
    return values


def _float_values(part: pd.Series) -> list[Any]:
    import numpy as np

    values: list[Any] = part.to_numpy(dtype="float64", na_value=np.nan).tolist()
    return values


def _float32_values(part: pd.Series) -> list[Any]:
    narrow = part.to_numpy(dtype=getattr(part.dtype, "numpy_dtype", part.dtype))
    values: list[Any] = narrow.astype(str).tolist()  # numpy's shortest text for a float32
    return values


#: Bool and string fields: codes (-1 = missing) and the text of each distinct value.
_CATEGORICAL: dict[str, Callable[[pd.Series], _Codes]] = {
    "bool": _bool_codes,
    "str": _string_codes,
}
#: Int and float fields: values whose str() is their text (missing cells: any value).
_NUMERIC: dict[str, Callable[[pd.Series], list[Any]]] = {
    "int": _int_values,
    "float": _float_values,
    "float32": _float32_values,
}
#: What follows a field value's text, by kind.
_SUFFIX = {"int": "i"}
#: A bool/string field with at most this many distinct values in a slice may be folded.
_FOLD_VALUES = 1024


def _combination_codes(folded: list[_Codes], rows: int) -> _Codes:
    """Per row, the code of its combination of the folded columns' pieces (code -1: the
    last piece), and the concatenated text of each combination, built once."""
    import numpy as np

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
) -> _Codes:
    """``codes`` (each ``code < span``, a number whose most significant part indexes
    ``texts`` and whose other digits index ``digits``' pieces) renumbered 0, 1, ... in the
    order of the combinations present, with the text of each."""
    import numpy as np
    import pandas as pd

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


def _combinations(folded: list[_Codes], rows: int) -> list[str]:
    """Per row, the concatenated pieces of every folded column (code -1: the last piece)."""
    import numpy as np

    codes, texts = _combination_codes(folded, rows)
    return np.array(texts, dtype=object)[codes].tolist()  # type: ignore[no-any-return]


def _factorize(part: pd.Series) -> tuple[np.ndarray[Any, Any], Sequence[Any]]:
    """Codes (-1 = missing: None, NaN, NA) and the distinct values, in order of appearance;
    values of different types are distinct even where Python calls them equal."""
    import numpy as np
    import pandas as pd

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


def serialize_dataframe(
    frame: pd.DataFrame,
    *,
    measurement: str | None,
    tag_columns: Iterable[str] = (),
    factor: int = 1,
    extra_tags: Mapping[str, Any] | None = None,
    slice_rows: int = MAX_ROWS,
    max_bytes: int | None = None,
) -> Iterator[bytes]:
    """Check ``frame`` completely, then return an iterator of its lines, ``slice_rows`` rows
    at a time (each piece is bytes, every line ending with ``\\n``).

    Columns of dtype ``category`` and those named in ``tag_columns`` are tags; the others are
    fields by dtype: integers (``Int64`` too) → ``i``, floats (float32 with the shortest text
    that reads back as the same float32) , bool (``boolean`` too), strings (``str``,
    ``string``, object columns of str). A missing value (NaN, None, NA) leaves that field or
    tag out of its row; a row with no field left is not written. The index must be a
    DatetimeIndex (naive = UTC). With ``max_bytes``, a slice whose text is longer is cut
    into fewer rows (and the following slices with it), down to one row per piece.

    :raises LineProtocolError: before anything is produced, for anything that cannot be
        written exactly (the column and row are named).
    :raises TypeError: for an unsupported index or column dtype.
    """
    pieces = serialize_dataframe_counted(
        frame,
        measurement=measurement,
        tag_columns=tag_columns,
        factor=factor,
        extra_tags=extra_tags,
        slice_rows=slice_rows,
        max_bytes=max_bytes,
    )
    return (piece for piece, _ in pieces if piece)


def serialize_dataframe_counted(
    frame: pd.DataFrame,
    *,
    measurement: str | None,
    tag_columns: Iterable[str] = (),
    factor: int = 1,
    extra_tags: Mapping[str, Any] | None = None,
    slice_rows: int = MAX_ROWS,
    max_bytes: int | None = None,
) -> Iterator[tuple[bytes, int]]:
    """:func:`serialize_dataframe`'s pieces, each with the number of rows it stands for
    (the rows of a slice add up to ``len(frame)``; a piece is empty when no row of its slice
    had a field left). Checked completely before it returns."""
    if slice_rows < 1:
        raise ValueError(f"slice_rows must be positive, got {slice_rows}")
    plan = _FramePlan(frame, measurement, tag_columns, extra_tags or {}, factor)

    def pieces() -> Iterator[tuple[bytes, int]]:
        rows, start, end = slice_rows, 0, len(frame)
        while start < end:
            stop = min(start + rows, end)
            piece = plan.encode(start, stop)
            while max_bytes is not None and len(piece) > max_bytes and stop - start > 1:
                # too big for one request: fewer rows, for this slice and the next ones
                rows = max(1, (stop - start) * max_bytes // len(piece) * 9 // 10)
                stop = start + rows
                piece = plan.encode(start, stop)
            yield piece, stop - start
            start = stop

    return pieces()


def dataframe_lines(
    frame: pd.DataFrame,
    *,
    measurement: str | None,
    tag_columns: Iterable[str] = (),
    factor: int = 1,
    extra_tags: Mapping[str, Any] | None = None,
    slice_rows: int = MAX_ROWS,
) -> list[bytes]:
    """Every line of ``frame`` as its own ``bytes`` (a row with no field has none), checked
    completely first, encoded ``slice_rows`` rows at a time. The encoder hands over its
    lines one by one: a newline inside a string value is never taken for a boundary, and
    nothing is scanned."""
    if slice_rows < 1:
        raise ValueError(f"slice_rows must be positive, got {slice_rows}")
    plan = _FramePlan(frame, measurement, tag_columns, extra_tags or {}, factor)
    lines: list[bytes] = []
    for start in range(0, len(frame), slice_rows):
        lines += plan.line_list(start, min(start + slice_rows, len(frame)))
    return lines


def dataframe_to_bytes(
    frame: pd.DataFrame,
    *,
    measurement: str | None,
    tag_columns: Iterable[str] = (),
    factor: int = 1,
    extra_tags: Mapping[str, Any] | None = None,
    slice_rows: int = MAX_ROWS,
) -> bytes:
    """All of :func:`serialize_dataframe`'s lines as one ``bytes`` (joined by ``\\n``, no
    trailing newline), each slice written straight into the result: no piece is held
    beside it."""
    if slice_rows < 1:
        raise ValueError(f"slice_rows must be positive, got {slice_rows}")
    plan = _FramePlan(frame, measurement, tag_columns, extra_tags or {}, factor)
    out = io.BytesIO()
    for start in range(0, len(frame), slice_rows):
        plan.write_to(out, start, min(start + slice_rows, len(frame)))
    if out.tell():
        out.truncate(out.tell() - 1)  # the last newline
    return out.getvalue()  # the buffer itself, shrunk in place: not a copy


# -- aioinflux 0.9's names ------------------------------------------------------------------


def serialize(
    df: pd.DataFrame,
    measurement: str | None,
    tag_columns: Iterable[str] | None = None,
    **extra_tags: Any,
) -> bytes:
    """A DataFrame as line protocol, as aioinflux 0.9's
    ``aioinflux.serialization.dataframe.serialize``: :func:`aioinflux.serialize` of one
    DataFrame (``category`` columns are tags too).
    """
    from . import serialize as serialize_data

    return serialize_data(df, measurement, tag_columns, **extra_tags)


def __getattr__(name: str) -> Any:
    """aioinflux 0.9's ``parse`` (and ``to_dataframe``), from ``aioinflux._frames``: imported
    at first use, so that importing this module imports neither pandas nor numpy."""
    if name in ("parse", "to_dataframe"):
        from .. import _frames

        return getattr(_frames, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
