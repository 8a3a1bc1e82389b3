"""pandas DataFrames and InfluxDB: query results to DataFrames (and, later, DataFrames to lines).

Rule 1: pandas and numpy are imported lazily, inside the functions, never at
``import aioinflux``.
Rule 2: no I/O; what the client knows about the database (which columns are tags, the
type of each field) is passed in as a plain mapping.
Rule 3: frames are built column by column with numpy, never row by row, and every value
read equals the value written: a column's dtype is chosen so that nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["ColumnKinds", "join_tables", "rows_to_table", "to_dataframe", "unknown_columns"]


# -- query results -> DataFrames ---------------------------------------------------------

#: What the client knows about a database: ``{measurement: {column: kind}}`` where kind is
#: ``'tag'``, a field type (``'float'``, ``'integer'``, ``'string'``, ``'boolean'``, as
#: ``SHOW FIELD KEYS`` says) or None (a column seen before whose kind is unknown).
ColumnKinds = Mapping[str, Mapping[str, str | None]]

#: What :func:`to_dataframe` returns: a frame, a dict of frames (grouped series), or a list
#: of either (one entry per statement).
QueryFrames = Union["pd.DataFrame", dict[str, "pd.DataFrame"], list[Any]]

# ``epoch`` of a query -> unit of pandas.to_datetime
_UNITS = {"ns": "ns", "n": "ns", "u": "us", "ms": "ms", "s": "s", "m": "m", "h": "h"}


def unknown_columns(resp: Mapping[str, Any], kinds: ColumnKinds) -> bool:
    """True if a series of ``resp`` has a column whose kind ``kinds`` does not know.

    Only series with a ``time`` column (the results of ``SELECT``) are considered: the
    columns of ``SHOW`` statements are never tags.
    """
    for statement in resp.get("results", ()):
        for series in statement.get("series", ()):
            columns = series.get("columns", ())
            if not columns or columns[0] != "time":
                continue
            known = kinds.get(series.get("name", ""), {})
            if any(column not in known for column in columns[1:]):
                return True
    return False


def rows_to_table(rows: list[Any]) -> np.ndarray[Any, Any]:
    """The server's rows as a 2-D object array: the first step of a frame, which the client
    takes for each chunk as it arrives (the row lists can then be freed)."""
    import itertools

    import numpy as np

    width = len(rows[0]) if rows else 0
    if sum(map(len, rows)) != len(rows) * width:
        raise ValueError("the rows of a series have different lengths")
    # one flat pass in C, twice as fast as filling a 2-D array row by row (or zip(*rows),
    # shared/PERF.md): 1.1 ms vs 2.2 ms per 10,000 rows of 7 values, measured
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=object, count=len(rows) * width)
    return flat.reshape(len(rows), width)


def join_tables(tables: list[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any]:
    """The tables of one series' chunks, one under the other."""
    import numpy as np

    return tables[0] if len(tables) == 1 else np.concatenate(tables)


def _series_key(series: Mapping[str, Any]) -> str:
    tags = [f"{k}={v}" for k, v in sorted((series.get("tags") or {}).items())]
    return ",".join([series.get("name", ""), *tags])


def _index(column: np.ndarray[Any, Any], epoch: str | None) -> pd.Index:
    import numpy as np
    import pandas as pd

    if epoch is None:
        times = pd.to_datetime(column, utc=True, format="ISO8601")
    else:
        ints = np.asarray(column, dtype=np.int64)
        if not ints.any():  # aggregates over all time come at time 0: no time at all
            return pd.RangeIndex(len(ints))
        times = pd.to_datetime(ints, unit=_UNITS[epoch], utc=True)
    index = pd.DatetimeIndex(times)
    if epoch is None and len(index) and not index.asi8.any():
        return pd.RangeIndex(len(index))
    return index


def _column(values: np.ndarray[Any, Any], kind: str | None, index: pd.Index) -> Any:
    """One column from an object array of the server's values, with the exact dtype."""
    import numpy as np
    import pandas as pd
    from pandas.api.types import infer_dtype

    if kind == "tag":
        return pd.Categorical(values)
    inferred = infer_dtype(values, skipna=True)
    numbers = inferred in ("integer", "floating", "mixed-integer-float")
    if numbers and (kind == "float" or inferred != "integer"):
        # JSON writes the float 1.0 as 1 (influxd 1.6.7): a float field's whole values
        # arrive as ints, so its declared type decides; None becomes NaN
        return np.array(values, dtype=np.float64)
    if inferred == "integer":
        if not pd.isna(values).any():
            return np.array(values, dtype=np.int64)
        # int64 cannot hold a gap and float64 would round large values: nullable Int64
        return pd.array(values, dtype="Int64")
    if inferred == "boolean":
        if not pd.isna(values).any():
            return np.array(values, dtype=bool)
        return pd.array(values, dtype="boolean")
    # strings, columns without any value, and mixed types (a field whose type differs
    # between shards) stay Python objects, exactly as the server sent them (a Series, so
    # that pandas 3 does not turn strings into its ``str`` dtype)
    return pd.Series(values, index=index, dtype=object, copy=False)


def _frame(series: Mapping[str, Any], kinds: ColumnKinds, epoch: str | None) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    columns: list[str] = list(series.get("columns", ()))
    rows = series.get("values")
    known = kinds.get(series.get("name", ""), {})
    table = rows if isinstance(rows, np.ndarray) else rows_to_table(rows or [])
    if table.shape[1] != len(columns):  # no rows at all: nothing to take from them
        table = np.empty((len(table), len(columns)), dtype=object)
    length = len(table)
    timed = bool(columns) and columns[0] == "time"
    index = _index(table[:, 0], epoch) if timed else pd.RangeIndex(length)
    data: dict[str, Any] = {}
    for j in range(1 if timed else 0, len(columns)):
        data[columns[j]] = _column(table[:, j], known.get(columns[j]), index)
    for key, value in sorted((series.get("tags") or {}).items()):
        data[key] = pd.Categorical.from_codes(np.zeros(length, dtype=np.int8), [value])
    return pd.DataFrame(data, index=index, copy=False)


def _statement(result: Mapping[str, Any], kinds: ColumnKinds, epoch: str | None) -> Any:
    import pandas as pd

    series_list = result.get("series") or []
    if not series_list:
        return pd.DataFrame()
    if len(series_list) == 1 and not series_list[0].get("tags"):
        return _frame(series_list[0], kinds, epoch)
    return {_series_key(s): _frame(s, kinds, epoch) for s in series_list}


def to_dataframe(
    resp: Mapping[str, Any], *, kinds: ColumnKinds | None = None, epoch: str | None = "ns"
) -> QueryFrames:
    """Turn a query answer (``output='json'``) into DataFrames.

    Each statement gives a DataFrame (one series, or an empty DataFrame when nothing
    matched) or a dict of DataFrames keyed ``'measurement,tag=value,...'`` (a ``GROUP BY``
    answer, or several measurements; the group's tags become categorical columns). One
    statement gives its entry; several statements give a list, one entry per statement.

    Times become a tz-aware UTC ``DatetimeIndex``; when every time is 0 (aggregates over
    all time) the index is a plain ``RangeIndex``. Dtypes: float → ``float64`` (missing:
    NaN), integer → ``int64`` (with gaps: the nullable ``Int64``, missing: ``<NA>``, so that
    no value is rounded), boolean → ``bool`` (with gaps: nullable ``boolean``), string →
    ``object`` (missing: None), tag → ``category``.

    :param resp: the answer, as ``output='json'`` gives it (a series' ``values`` may also be
        a 2-D object array, see :func:`rows_to_table`).
    :param kinds: what is known about the measurements' columns (:data:`ColumnKinds`); a
        column named there as a tag becomes categorical, and a field's declared type
        decides its dtype (JSON cannot tell the float 1.0 from the integer 1).
    :param epoch: the ``epoch`` the query was made with (None: RFC3339 strings).
    """
    kinds = kinds or {}
    frames = [_statement(result, kinds, epoch) for result in resp.get("results", ())]
    if not frames:
        import pandas as pd

        return pd.DataFrame()
    return frames[0] if len(frames) == 1 else frames
