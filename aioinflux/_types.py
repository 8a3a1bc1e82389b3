"""Type aliases shared by the package; nothing else lives here.

Rule: string options are ``Literal`` types so that mypy and IDEs know the allowed values;
the runtime checks that go with them live where the option is used.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["Consistency", "Epoch", "Mode", "Output", "Precision"]

#: How a client runs its methods: ``'async'`` returns coroutines, ``'blocking'`` returns results.
Mode: TypeAlias = Literal["async", "blocking"]

#: What ``query()`` returns. ``'raw'`` is an alias of ``'json'``.
Output: TypeAlias = Literal["json", "raw", "iterable", "dataframe", "polars"]

#: Timestamp precision of a write (``n`` is the server's own alias of ``ns``): the values of
#: ``_units.PRECISIONS`` (tests/test_units.py checks it).
Precision: TypeAlias = Literal["ns", "n", "u", "ms", "s", "m", "h"]

#: Format of the times a query returns, in the same units; ``None`` asks for RFC3339 strings.
Epoch: TypeAlias = Precision

#: Write consistency of an InfluxDB Enterprise cluster.
Consistency: TypeAlias = Literal["any", "one", "quorum", "all"]
