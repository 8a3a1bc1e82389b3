"""aioinflux 0.9's ``aioinflux.serialization.dataframe``: its names, kept working.

Rule 1: importing this module imports neither pandas nor numpy: what it offers is loaded at
first use. A DataFrame's lines are made by the plan (_plan.py) and a kernel (_purekernel.py,
or columnar.py where polars is installed), reached through ``serialization``; this module
imports nothing that imports it back.
Rule 2: no I/O. (Query answers -> DataFrames is ``aioinflux._frames``; aioinflux 0.9's
``parse`` and ``to_dataframe`` are still found here, loaded from there when first used.)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .._frames import parse, to_dataframe  # loaded by __getattr__ at first use

__all__ = ["parse", "serialize", "serialize_dataframe", "to_dataframe"]


def serialize_dataframe(
    frame: pd.DataFrame,
    *,
    measurement: str | None,
    tag_columns: Iterable[str] = (),
    factor: int = 1,
    extra_tags: Mapping[str, Any] | None = None,
    slice_rows: int | None = None,
    max_bytes: int | None = None,
) -> Iterator[bytes]:
    """Check ``frame`` completely, then return an iterator of its lines, ``slice_rows`` rows
    at a time (default :data:`~aioinflux.serialization.lines.MAX_ROWS`; each piece is bytes,
    every line ending with ``\\n``).

    Columns of dtype ``category`` and those named in ``tag_columns`` are tags; the others are
    fields by dtype: integers (``Int64`` too) → ``i``, floats (float32 with the shortest text
    that reads back as the same float32) , bool (``boolean`` too), strings (``str``,
    ``string``, object columns of str). A missing value (NaN, None, NA) leaves that field or
    tag out of its row; a row with no field left is not written. The index must be a
    DatetimeIndex (naive = UTC). With ``max_bytes``, a slice whose text is longer is cut
    between lines into pieces of at most ``max_bytes`` bytes (a longer line alone).

    :raises LineProtocolError: before anything is produced, for anything that cannot be
        written exactly (the column and row are named).
    :raises TypeError: for an unsupported index or column dtype.
    """
    # the package imports nothing of this module: no circle
    from . import bodies, write_lines

    slices = write_lines(
        frame, measurement, tag_columns, factor=factor, extra_tags=extra_tags, slice_rows=slice_rows
    )
    limit = sys.maxsize if max_bytes is None else max_bytes
    return (
        # a slice whole ends with its newline already; a piece cut from it gets one
        piece.body if piece.stop < len(piece.body) else piece.body + b"\n"
        for lines, _ in slices
        for piece in bodies(lines, max_bytes=limit)
    )


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
    from . import serialize as serialize_data  # the package imports nothing of this module

    return serialize_data(df, measurement, tag_columns, **extra_tags)


def __getattr__(name: str) -> Any:
    """aioinflux 0.9's ``parse`` (and ``to_dataframe``), from ``aioinflux._frames``: imported
    at first use, so that importing this module imports neither pandas nor numpy."""
    if name in ("parse", "to_dataframe"):
        from .. import _frames

        return getattr(_frames, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
