"""The pure kernel: a slice of a checked DataFrame plan (_plan.py) to line protocol, one
f-string per row.

Rule 1: format the way the benchmark says: rows are built by one f-string per row over
pre-extracted Python lists (measured faster than `%` formatting, per-column concatenation
and numpy 2 string ufuncs; benchmarks/bench_serialization.py), slice by slice, each slice
handed over as :class:`~.lines.Lines`: nothing holds all lines and all intermediates.
Rule 2: the reference: the polars kernel (columnar.py) writes the same data
(tests/test_serialization_columnar.py compares both through the real server).
Rule 3: the plan is only read: slices can be encoded in threads. No I/O.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any

import numpy as np
import pandas as pd

from ._plan import FOLD_VALUES, SUFFIX, VALUE_CODES, Codes, Column, FramePlan, combination_codes
from .lines import Lines

__all__ = ["slice_lines"]


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


def write_slice(plan: FramePlan, start: int, stop: int, out: io.BytesIO) -> None:
    """Write the lines of rows ``start:stop`` of a checked plan to ``out``, each ending with
    a newline (``serialize()``)."""
    out.write(slice_lines(plan, start, stop).body)


def slice_lines(plan: FramePlan, start: int, stop: int) -> Lines:
    """The lines of rows ``start:stop`` of a checked plan (a row with no field has none),
    each ending with a newline: ``Lines`` whose ends are listed only when a string value
    holds a newline."""
    lines = _lines(plan, start, stop)
    if not lines:
        return Lines(b"", 0)
    lines.append("")  # every line ends with a newline, without copying the text again
    body = "\n".join(lines).encode()
    count = len(lines) - 1
    if not plan.strings or body.count(b"\n") == count:
        return Lines(body, count, stop=len(body) - 1)
    # a string value holds a newline: line i ends where its newline is
    sizes = [len(line.encode()) + 1 for line in lines[:-1]]
    return Lines(body, count, list(accumulate(sizes, initial=-1))[1:], stop=len(body) - 1)


def _numbers(column: Column, part: pd.Series) -> tuple[list[Any], list[bool] | None]:
    """Int and float fields: the values (their str() is their text), the missing mask."""
    missing = part.isna().to_numpy()
    return _NUMERIC[column.kind](part), missing.tolist() if missing.any() else None


def _lines(plan: FramePlan, start: int, stop: int) -> list[str]:
    """The lines of rows ``start:stop`` (a row with no field has none), one by one, as
    the pure encoder makes them."""
    frame = plan.frame.iloc[start:stop]
    rows = len(frame)
    folded: list[Codes] = []  # codes, and the piece of each code (missing: last)
    product = 1
    for column in plan.tags:
        codes, pieces = plan.tag_codes(column, start, stop)
        folded.append((codes, [*pieces, ""]))
        product *= len(pieces) + 1
    categorical: list[tuple[Column, np.ndarray[Any, Any], list[str]]] = []
    numeric: list[tuple[Column, list[Any], list[bool] | None]] = []
    for column in plan.fields:
        part = frame[column.name]
        if column.kind in VALUE_CODES:
            categorical.append((column, *plan.value_codes(column, part)))
        else:
            numeric.append((column, *_numbers(column, part)))
    first = _first_field(plan, categorical, numeric)
    if first is None:
        return _encode_sparse(plan, start, rows, folded, categorical, numeric)

    slots: list[tuple[str, list[Any]]] = []  # (text before, values)
    fold = {first} if first.kind in VALUE_CODES else set()
    for column, _, texts in categorical:
        if fold and column not in fold:
            size = len(texts) + 1
            if len(texts) <= FOLD_VALUES and product * size <= max(FOLD_VALUES, rows // 8):
                fold.add(column)
                product *= size
    for column, codes, texts in sorted(categorical, key=lambda c: c[0] is not first):
        if column in fold:
            lead = f" {column.key}=" if column is first else f",{column.key}="
            folded.append((codes, [*(lead + t for t in texts), ""]))
    slots.append((plan.head, _combinations(folded, rows)))
    pending = ""
    for column, values, _ in numeric:
        if column is first:
            slots.append((f" {column.key}=", values))
            pending = SUFFIX.get(column.kind, "")
    for column, codes, texts in categorical:
        if column not in fold:
            table = np.array([*(f",{column.key}={t}" for t in texts), ""], dtype=object)
            slots.append((pending, table[codes].tolist()))
            pending = ""
    for column, values, mask in numeric:
        if column is first:
            continue
        suffix = SUFFIX.get(column.kind, "")
        if mask is None:
            slots.append((f"{pending},{column.key}=", values))
            pending = suffix
        else:
            lead = f",{column.key}="
            pieces = ["" if m else f"{lead}{v}{suffix}" for v, m in zip(values, mask, strict=True)]
            slots.append((pending, pieces))
            pending = ""
    slots.append((f"{pending} ", plan.times.slice(start, stop)))
    seps = [sep for sep, _ in slots]
    return _concat(seps, [values for _, values in slots], "")


def _first_field(
    plan: FramePlan,
    categorical: list[tuple[Column, np.ndarray[Any, Any], list[str]]],
    numeric: list[tuple[Column, list[Any], list[bool] | None]],
) -> Column | None:
    """The field to write first in this slice: present in every row, and without a
    leading tab/NUL; a small categorical one if any (it lets the others fold)."""
    safe = set(plan.safe_first)
    complete = [c for c, codes, _ in categorical if c in safe and not (codes < 0).any()]
    small = [c for c, _, texts in categorical if c in complete and len(texts) <= FOLD_VALUES]
    numbers = [c for c, _, mask in numeric if c in safe and mask is None]
    for candidates in (small, numbers, complete):
        if candidates:
            return candidates[0]
    return None


def _encode_sparse(
    plan: FramePlan,
    start: int,
    rows: int,
    folded: list[Codes],
    categorical: list[tuple[Column, np.ndarray[Any, Any], list[str]]],
    numeric: list[tuple[Column, list[Any], list[bool] | None]],
) -> list[str]:
    """No field is present in every row of this slice: rows are assembled from
    ``,key=value`` pieces, and a row with no field left is not written."""
    pieces: list[list[str]] = []
    for column, codes, texts in categorical:
        table = np.array([*(f",{column.key}={t}" for t in texts), ""], dtype=object)
        pieces.append(table[codes].tolist())
    for column, values, mask in numeric:
        lead, suffix = f",{column.key}=", SUFFIX.get(column.kind, "")
        present = mask or [False] * rows
        pieces.append(
            ["" if m else f"{lead}{v}{suffix}" for v, m in zip(values, present, strict=True)]
        )
    bodies = ["".join(row) for row in zip(*pieces, strict=True)]
    tags = _combinations(folded, rows)
    times = plan.times.slice(start, start + rows)
    return [
        f"{plan.head}{tag} {body[1:]} {time}"
        for tag, body, time in zip(tags, bodies, times, strict=True)
        if body
    ]


# --- how each kind of number field is read from a slice (one table, as h11's READERS) ---
def _int_values(part: pd.Series) -> list[Any]:
    values: list[Any] = part.to_numpy(dtype="int64", na_value=0).tolist()
    return values


def _float_values(part: pd.Series) -> list[Any]:
    values: list[Any] = part.to_numpy(dtype="float64", na_value=np.nan).tolist()
    return values


def _float32_values(part: pd.Series) -> list[Any]:
    narrow = part.to_numpy(dtype=getattr(part.dtype, "numpy_dtype", part.dtype))
    values: list[Any] = narrow.astype(str).tolist()  # numpy's shortest text for a float32
    return values


#: Int and float fields: values whose str() is their text (missing cells: any value).
_NUMERIC: dict[str, Callable[[pd.Series], list[Any]]] = {
    "int": _int_values,
    "float": _float_values,
    "float32": _float32_values,
}


def _combinations(folded: list[Codes], rows: int) -> list[str]:
    """Per row, the concatenated pieces of every folded column (code -1: the last piece)."""
    codes, texts = combination_codes(folded, rows)
    return np.array(texts, dtype=object)[codes].tolist()  # type: ignore[no-any-return]
