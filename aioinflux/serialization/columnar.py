"""DataFrames to line protocol with polars' columnar string kernels (the ``fast`` extra).

Rule 1: same checks, same data. The plan of a frame (each column's role, every check that
can raise) is _plan.py's, made whole before the first byte; this module only encodes
slices of a checked plan, and what it writes reads back as the same data as the pure path
(tests/test_serialization_columnar.py compares both through the real server).
Rule 2: escape once per distinct value. Tags and string fields are factorized (tags once,
by the plan's check); each distinct value is checked and escaped in Python by common.py's
rules, and polars gathers the escaped texts by code. All tags of a row, and the bool and
string fields with few values when one of them leads, are one combination, its text built
once (as on the pure path: the same field order, the same bytes where the spelling agrees).
Rule 3: numbers are formatted by polars: floats in the shortest text that reads back as the
same float (a different spelling than ``repr()``: ``1e-9``, ``0.000012``; a property test
writes random floats of every exponent through influxd and reads them back), integers with
``i``. Times are int64 ticks computed exactly with numpy; no float on the way.
Rule 4: one polars query per slice builds each line up to its time (``concat_str``, missing
values left out as nulls) and its CSV writer writes it, a space, the time and a newline.
Rule 5: a slice is encoded from the plan, which it only reads: slices can be encoded in
threads (polars releases the GIL while its query runs).
Rule 6: this module is imported only when a DataFrame is written (never at ``import
aioinflux``), and imports numpy and polars at its top (polars only where it is installed:
the ``fast`` extra). No I/O.
"""

from __future__ import annotations

import contextlib
import io
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import numpy as np

from ._plan import FOLD_VALUES, SUFFIX, VALUE_CODES, FramePlan, combination_codes
from .lines import Lines

with contextlib.suppress(ImportError):  # the `fast` extra is not installed: see available()
    import polars as pl

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ENABLED", "available", "slice_lines"]

#: Set to False to use the pure path even where polars is installed (the tests run the
#: DataFrame table through both paths this way).
ENABLED = True
_found: bool | None = None


def available() -> bool:
    """True when the columnar encoder can be used: polars is installed (and
    :data:`ENABLED` is true)."""
    global _found
    if _found is None:
        try:
            # asked again at first use (not from the import above): a test makes polars
            # unimportable and asks again
            import polars  # noqa: F401
        except ImportError:
            _found = False
        else:
            _found = True
    return ENABLED and _found


def _gathered(
    texts: list[str | None], codes: np.ndarray[Any, Any], name: str
) -> tuple[pl.Series, pl.Expr]:
    """Per row, ``texts[code]`` (code -1: the last text): the codes, to be the column
    ``name``, and the expression that gathers the texts by them."""
    index = np.where(codes < 0, len(texts) - 1, codes)
    return pl.Series(index), pl.lit(pl.Series(texts, dtype=pl.String)).gather(pl.col(name))


def _with_gaps(values: np.ndarray[Any, Any], mask: np.ndarray[Any, Any] | None) -> pl.Series:
    if mask is None:
        return pl.Series(values)
    if values.dtype.kind == "f":  # missing floats are NaN here: nulls in one pass
        return pl.Series(values, nan_to_null=True)
    return pl.Series(values).scatter(np.flatnonzero(mask), None)


class _Field:
    """One field column of a slice: its values (or per-row texts) and its missing mask."""

    __slots__ = ("column", "folded", "mask", "texts", "values")

    def __init__(self, column: Any, mask: np.ndarray[Any, Any] | None):
        self.column = column
        self.mask = mask  # None: present in every row of the slice
        self.values: np.ndarray[Any, Any] | None = None  # ints and floats
        self.texts: tuple[np.ndarray[Any, Any], list[str]] | None = None  # codes, texts
        self.folded = False  # written as part of the tags' combinations


def _fields(plan: FramePlan, frame: pd.DataFrame) -> list[_Field]:
    fields = []
    for column in plan.fields:
        part = frame[column.name]
        if column.kind in VALUE_CODES:
            codes, texts = plan.value_codes(column, part)
            missing = codes < 0
            field = _Field(column, missing if missing.any() else None)
            field.texts = codes, texts
        elif column.kind == "int":
            values = part.to_numpy(dtype="int64", na_value=0)
            # a numpy integer column has no missing value; a nullable one says where
            gaps = None if isinstance(part.dtype, np.dtype) else part.isna().to_numpy()
            field = _Field(column, gaps if gaps is not None and gaps.any() else None)
            field.values = values
        else:
            dtype = "float64" if column.kind == "float" else "float32"
            values = part.to_numpy(dtype=dtype, na_value=np.nan)
            missing = np.isnan(values)  # missing floats are NaN here (the check refused inf)
            field = _Field(column, missing if missing.any() else None)
            field.values = values
        fields.append(field)
    return fields


def _slice_lines(plan: FramePlan, start: int, stop: int) -> tuple[pl.LazyFrame, bool, bool]:
    """The lines of rows ``start:stop`` (rows with no field: none) as two columns: ``l``,
    the line up to its time, and ``t``, the time (int64); whether every row has one (a
    field is present in every row of the slice); and whether a string value of the slice
    holds a newline (then a newline does not always end a line)."""
    frame = plan.frame.iloc[start:stop]
    rows = len(frame)
    folded = []
    product = 1  # the most combinations of the folded columns
    for column in plan.tags:
        codes, pieces = plan.tag_codes(column, start, stop)
        folded.append((codes, [*pieces, ""]))
        product *= len(pieces) + 1
    fields = _fields(plan, frame)
    # each distinct string of the slice is looked at once
    breaks = any(
        "\n" in text
        for field in fields
        if field.column.kind == "str" and field.texts is not None
        for text in field.texts[1]
    )
    first = _first_field(plan, fields)
    if first is not None:  # written first, after a space: it needs no comma
        fields.remove(first)
        fields.insert(0, first)
    # bool and string fields with few values in the slice are folded with the tags when
    # the first field is one of them: each combination's text is built once
    budget = max(FOLD_VALUES, rows // 8)
    for field in fields if first is not None and first.texts is not None else ():
        if field.texts is None:
            continue
        codes, values = field.texts
        size = len(values) + 1
        if len(values) > FOLD_VALUES or product * size > budget:
            if field is first:
                break
            continue
        lead = f"{' ' if field is first else ','}{field.column.key}="
        folded.append((codes, [*(lead + v for v in values), ""]))
        product *= size
        field.folded = True
    fields = [field for field in fields if not field.folded]
    codes, texts = combination_codes(folded, rows)
    data: dict[str, pl.Series] = {}
    data["h"], head = _gathered([plan.head + text for text in texts], codes, "h")
    data["t"] = pl.Series(plan.times.array(start, stop))

    # the pieces of a line, each a column or a literal; a field's pieces are null where
    # its value is missing, and concat_str leaves them out
    parts: list[pl.Expr] = [head.alias("h")]
    for number, field in enumerate(fields):
        lead = f"{' ' if field is first else ','}{field.column.key}="
        name = f"f{number}"
        if field.texts is not None:
            codes, values = field.texts
            data[name], piece = _gathered([*(lead + v for v in values), None], codes, name)
            parts.append(piece)
            continue
        assert field.values is not None
        data[name] = _with_gaps(field.values, field.mask)
        value = [pl.lit(lead), pl.col(name).cast(pl.String)]
        if suffix := SUFFIX.get(field.column.kind):
            value.append(pl.lit(suffix))
        if field.mask is not None:  # the lead and suffix null too where the value is
            present = pl.col(name).is_not_null()
            value = [v if i == 1 else pl.when(present).then(v) for i, v in enumerate(value)]
        parts += value
    table = pl.DataFrame(data).lazy()
    if first is not None:
        line = pl.concat_str(parts, ignore_nulls=True)
        return table.select(line.alias("l"), pl.col("t")), True, breaks
    # no field is present in every row of this slice: a row with no field left is not
    # written; the others lose the comma before their first field
    body = pl.concat_str(parts[1:], ignore_nulls=True)
    table = table.with_columns(parts[0], body.alias("b")).filter(pl.col("b").str.len_bytes() > 0)
    line = pl.concat_str([pl.col("h"), pl.lit(" "), pl.col("b").str.slice(1)])
    return table.select(line.alias("l"), pl.col("t")), False, breaks


def _first_field(plan: FramePlan, fields: list[_Field]) -> _Field | None:
    """The field to write first in this slice: present in every row, and without a leading
    tab/NUL (influxd drops one from the first field key of a line); a bool or string field
    with few values if any (it lets the others fold), else a number, else any (the pure
    path's choice), or None."""
    safe = {id(c) for c in plan.safe_first}
    complete = [f for f in fields if id(f.column) in safe and f.mask is None]
    small = [f for f in complete if f.texts is not None and len(f.texts[1]) <= FOLD_VALUES]
    numbers = [f for f in complete if f.texts is None]
    for candidates in (small, numbers, complete):
        if candidates:
            return candidates[0]
    return None


def _sink(lines: pl.LazyFrame, out: io.BytesIO) -> None:
    # the line up to its time, a space, the time, "\n": written as they are (nothing is
    # quoted); the CSV writer formats the int64 time itself
    lines.sink_csv(out, include_header=False, quote_style="never", separator=" ")


def write_slice(plan: FramePlan, start: int, stop: int, out: io.BytesIO) -> None:
    """Write the lines of rows ``start:stop`` of a checked plan to ``out``, each ending with
    a newline: polars runs the query into it, no copy in between (``serialize()``)."""
    _sink(_slice_lines(plan, start, stop)[0], out)


def slice_lines(plan: FramePlan, start: int, stop: int) -> Lines:
    """The lines of rows ``start:stop`` of a checked plan (a row with no field has none),
    each ending with a newline: one a row (or counted in C) when no string value of the
    slice holds a newline, else by the query's rows, with their ends listed."""
    out = io.BytesIO()
    query, every_row, breaks = _slice_lines(plan, start, stop)
    if not breaks:  # every newline ends a line: the query is run into the buffer
        _sink(query, out)
        body = out.getvalue()
        if not body:
            return Lines(b"", 0)
        # one line a row, else counted (in C): rows without a field have no line
        count = stop - start if every_row else body.count(b"\n")
        return Lines(body, count, stop=len(body) - 1)
    lines = query.collect()
    if not len(lines):
        return Lines(b"", 0)
    _sink(lines.lazy(), out)
    body = out.getvalue()
    if body.count(b"\n") == len(lines):
        return Lines(body, len(lines), stop=len(body) - 1)
    whole = pl.concat_str(pl.col("l"), pl.lit(" "), pl.col("t").cast(pl.String))
    sizes = [len(line.encode()) + 1 for line in lines.select(whole).to_series().to_list()]
    ends = list(accumulate(sizes, initial=-1))[1:]
    return Lines(body, len(lines), ends, stop=len(body) - 1)
