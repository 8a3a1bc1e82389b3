"""Our DataFrame results in the shapes of influxdb-python's ``DataFrameClient.query()``,
for code ported from it that depends on them.

Rule: pure, and without pandas at import (``import aioinflux`` loads this module): the
frames given bring their own methods; pandas is imported only to give an index.
"""

from __future__ import annotations

from typing import Any

__all__ = ["as_dataframeclient"]

#: A key of ``DataFrameClient.query()``'s dict: the measurement, or for a series of a
#: ``GROUP BY`` by tags, ``(measurement, ((tag, value), ...))`` sorted by tag key.
DataFrameClientKey = str | tuple[str, tuple[tuple[str, str], ...]]


def as_dataframeclient(result: Any, *, dropna: bool = True) -> Any:
    """``result`` of ``query()`` with ``output='dataframe'``, in the shapes of
    ``influxdb.DataFrameClient.query()`` (influxdb-python 5.3), for code that depends on them.

    - One statement: a dict of DataFrames keyed by the measurement, ``'cpu'``, or for the
      series of a ``GROUP BY`` by tags by ``('cpu', (('host', 'server01'),))``, the tags
      sorted by key (where aioinflux keys ``'cpu,host=server01'`` and gives a statement of
      one series as its DataFrame).
    - Several statements: a list of such dicts (``DataFrameClient`` returns a ``map``
      object, which can be iterated once).
    - The tags of a ``GROUP BY`` are not columns of their frames (they are in the key).
    - ``dropna=True`` (``DataFrameClient``'s default) drops the columns where every value
      is missing.
    - An aggregate over all time is indexed by its time, 1970-01-01 UTC, where aioinflux
      gives a ``RangeIndex``.

    The dtypes stay aioinflux's (``DataFrameClient`` reads integers with gaps as
    ``float64``, tags as strings): see :doc:`querying`. ``DataFrameClient.query()`` of a
    statement that is not a ``SELECT`` returns its ``ResultSet``, not frames: for ``SHOW``
    statements use ``df.to_dict('records')``, the list of dicts of ``get_points()``.

    :param result: what ``query()`` returned with ``output='dataframe'``: a DataFrame, a
        dict of DataFrames or a list of such dicts (the frames of a chunked query, one at
        a time).
    :param dropna: drop the columns where every value is missing, as ``DataFrameClient``.
    :raises TypeError: for anything else, or frames that do not say which series they are
        (``df.attrs['name']`` and ``df.attrs['tags']``, set by ``query()``).

    .. versionadded:: 0.10
    """
    if isinstance(result, list):
        return [_statement(part, dropna) for part in result]
    if isinstance(result, dict):
        return _statement(result, dropna)
    return _statement({None: result}, dropna)


def _statement(frames: Any, dropna: bool) -> dict[DataFrameClientKey, Any]:
    if not isinstance(frames, dict):
        raise TypeError(
            "as_dataframeclient() takes what query() returns with output='dataframe': a "
            f"DataFrame, a dict of DataFrames or a list of such dicts, got {type(frames).__name__}"
        )
    converted: dict[DataFrameClientKey, Any] = {}
    for frame in frames.values():
        attrs = getattr(frame, "attrs", None)
        if not isinstance(attrs, dict) or "tags" not in attrs or "name" not in attrs:
            raise TypeError(
                "as_dataframeclient() takes the DataFrames of query(output='dataframe'), "
                f"which say their series in .attrs['name'] and .attrs['tags'], got {frame!r:.80}"
            )
        name, tags = attrs["name"], attrs["tags"]
        key: DataFrameClientKey = (name, tuple(sorted(tags.items()))) if tags else name
        frame = frame.drop(columns=[tag for tag in tags if tag in frame.columns])
        if dropna:
            frame = frame.dropna(how="all", axis=1)
        if not _timed(frame.index):
            import pandas as pd  # the frames are pandas': it is loaded already

            frame = frame.set_axis(pd.DatetimeIndex([0] * len(frame), tz="UTC"), axis=0)
        converted[key] = frame
    return converted


def _timed(index: Any) -> bool:
    return getattr(index, "tz", None) is not None
