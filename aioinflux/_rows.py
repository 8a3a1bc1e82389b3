"""The rows of a query answer as a table of columns: the first step of every frame.

Rule: pure, and numpy only (no pandas, no polars): both the pandas builder
(``_frames``) and the polars builder (``_polars``) start here.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

__all__ = ["rows_to_table"]


def rows_to_table(rows: list[Any]) -> np.ndarray[Any, Any]:
    """The server's rows as a 2-D object array, one column per column of the series."""
    width = len(rows[0]) if rows else 0
    if sum(map(len, rows)) != len(rows) * width:
        raise ValueError("the rows of a series have different lengths")
    # one flat pass in C, twice as fast as filling a 2-D array row by row (or zip(*rows)):
    # 1.1 ms vs 2.2 ms per 10,000 rows of 7 values, measured
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=object, count=len(rows) * width)
    return flat.reshape(len(rows), width)
