"""DataFrames to line protocol with polars' columnar string kernels (the ``fast`` extra).

Rule 1: same checks, same data. The plan of a frame (each column's role, every check that
can raise) is dataframe.py's, made whole before the first byte; this module only encodes
slices of a checked plan, and what it writes reads back as the same data as the pure path
(tests/test_serialization_columnar.py compares both through the real server).
Rule 2: escape once per distinct value. Tags and string fields are factorized; each distinct
value is checked and escaped in Python by common.py's rules, and polars gathers the escaped
texts by code. All tags of a row are one combination, its text built once.
Rule 3: numbers are formatted by polars: floats in the shortest text that reads back as the
same float (a different spelling than ``repr()``: ``1e-9``, ``0.000012``; a property test
writes random floats of every exponent through influxd and reads them back), integers with
``i``. Times are int64 ticks computed exactly with numpy; no float on the way.
Rule 4: polars is imported lazily (never at ``import aioinflux``); no I/O.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from .dataframe import _CATEGORICAL, _SUFFIX, _combination_codes, _FramePlan

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import polars as pl

__all__ = ["ENABLED", "available", "encode_slice", "slice_lines", "write_slice"]

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
            import polars  # noqa: F401
        except ImportError:
            _found = False
        else:
            _found = True
    return ENABLED and _found


def _gathered(texts: list[str | None], codes: np.ndarray[Any, Any]) -> pl.Series:
    """Per row, ``texts[code]`` (code -1: the last text)."""
    import numpy as np
    import polars as pl

    index = np.where(codes < 0, len(texts) - 1, codes)
    return pl.Series(texts, dtype=pl.String).gather(index)


def _with_gaps(values: np.ndarray[Any, Any], mask: np.ndarray[Any, Any] | None) -> pl.Series:
    import numpy as np
    import polars as pl

    if mask is None:
        return pl.Series(values)
    if values.dtype.kind == "f":  # missing floats are NaN here: nulls in one pass
        return pl.Series(values, nan_to_null=True)
    return pl.Series(values).scatter(np.flatnonzero(mask), None)


class _Field:
    """One field column of a slice: its values (or per-row texts) and its missing mask."""

    __slots__ = ("column", "mask", "texts", "values")

    def __init__(self, column: Any, mask: np.ndarray[Any, Any] | None):
        self.column = column
        self.mask = mask  # None: present in every row of the slice
        self.values: np.ndarray[Any, Any] | None = None  # ints and floats
        self.texts: tuple[np.ndarray[Any, Any], list[str]] | None = None  # codes, texts


def _fields(plan: _FramePlan, frame: pd.DataFrame) -> list[_Field]:
    import numpy as np

    fields = []
    for column in plan.fields:
        part = frame[column.name]
        if column.kind in _CATEGORICAL:
            codes, texts = plan._value_codes(column, part)
            missing = codes < 0
            field = _Field(column, missing if missing.any() else None)
            field.texts = codes, texts
        else:
            missing = part.isna().to_numpy()
            field = _Field(column, missing if missing.any() else None)
            if column.kind == "int":
                field.values = part.to_numpy(dtype="int64", na_value=0)
            else:
                dtype = "float64" if column.kind == "float" else "float32"
                field.values = part.to_numpy(dtype=dtype, na_value=np.nan)
        fields.append(field)
    return fields


def _slice_lines(plan: _FramePlan, start: int, stop: int) -> pl.DataFrame:
    """One column ``l`` of the lines of rows ``start:stop`` (rows with no field: none)."""
    import polars as pl

    frame = plan.frame.iloc[start:stop]
    rows = len(frame)
    folded = []
    for column in plan.tags:
        codes, pieces = plan._tag_codes(column, start, stop)
        folded.append((codes, [*pieces, ""]))
    codes, texts = _combination_codes(folded, rows)
    data: dict[str, pl.Series] = {"h": _gathered([plan.head + text for text in texts], codes)}
    data["t"] = pl.Series(plan.times.array(start, stop))

    fields = _fields(plan, frame)
    first = _first_field(plan, fields)
    if first is not None:  # written first, after a space: it needs no comma
        fields.remove(first)
        fields.insert(0, first)
    # the pieces of a line: a field present in every row gives its parts to the line
    # directly; a field with gaps is one piece, null where its value is missing (left out)
    parts: list[pl.Expr] = [pl.col("h")]
    for number, field in enumerate(fields):
        lead = f"{' ' if field is first else ','}{field.column.key}="
        name = f"f{number}"
        if field.texts is not None:
            codes, values = field.texts
            data[name] = _gathered([*(lead + v for v in values), None], codes)
            parts.append(pl.col(name))
            continue
        assert field.values is not None
        data[name] = _with_gaps(field.values, field.mask)
        value = [pl.lit(lead), pl.col(name).cast(pl.String)]
        if suffix := _SUFFIX.get(field.column.kind):
            value.append(pl.lit(suffix))
        if field.mask is None:
            parts += value
        else:
            parts.append(pl.concat_str(value))
    table = pl.DataFrame(data)
    flat = parts
    time = [pl.lit(" "), pl.col("t").cast(pl.String)]
    if first is not None:
        return table.select(pl.concat_str([*flat, *time], ignore_nulls=True).alias("l"))
    # no field is present in every row of this slice: a row with no field left is not
    # written; the others lose the comma before their first field
    body = pl.concat_str(flat[1:], ignore_nulls=True)
    table = table.with_columns(body.alias("b")).filter(pl.col("b").str.len_bytes() > 0)
    line = pl.concat_str([pl.col("h"), pl.lit(" "), pl.col("b").str.slice(1), *time])
    return table.select(line.alias("l"))


def _first_field(plan: _FramePlan, fields: list[_Field]) -> _Field | None:
    """A field present in every row of the slice whose key has no leading tab/NUL, or
    None (influxd drops one from the first field key of a line)."""
    safe = {id(c) for c in plan.safe_first}
    for field in fields:
        if id(field.column) in safe and field.mask is None:
            return field
    return None


def write_slice(plan: _FramePlan, start: int, stop: int, out: io.BytesIO) -> None:
    """Write the lines of rows ``start:stop`` of a checked plan to ``out``, each ending
    with a newline."""
    lines = _slice_lines(plan, start, stop)
    if len(lines):
        # one column of finished lines, written as they are: nothing quoted, "\n" after each
        lines.write_csv(out, include_header=False, quote_style="never")


def encode_slice(plan: _FramePlan, start: int, stop: int) -> bytes:
    """The lines of rows ``start:stop`` of a checked plan, each ending with a newline."""
    lines = _slice_lines(plan, start, stop)
    if not len(lines):
        return b""
    out = io.BytesIO()
    # one column of finished lines, written as they are: nothing quoted, "\n" after each
    lines.write_csv(out, include_header=False, quote_style="never")
    return out.getvalue()


def slice_lines(plan: _FramePlan, start: int, stop: int) -> list[bytes]:
    """The lines of rows ``start:stop`` of a checked plan, one ``bytes`` each (a row with
    no field has none): one ``split`` of the slice's bytes when no string value holds a
    newline (the split then finds as many pieces as there are lines), else line by line."""
    lines = _slice_lines(plan, start, stop)
    if not len(lines):
        return []
    out = io.BytesIO()
    lines.write_csv(out, include_header=False, quote_style="never")
    pieces = out.getvalue()[:-1].split(b"\n")
    if len(pieces) == len(lines):
        return pieces
    return [line.encode() for line in lines.to_series().to_list()]
