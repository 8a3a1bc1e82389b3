"""Units of time, defined once: the server's precisions and epochs, and numpy's units.

Rule: every table of units in the package is derived from :data:`NS_PER_UNIT` and
:data:`PRECISIONS` here (tests/test_units.py checks that ``_types.Precision`` and
``_types.Epoch`` name the same values).
"""

from __future__ import annotations

__all__ = ["EPOCH_UNITS", "NS_PER_UNIT", "PRECISIONS", "PRECISION_NS", "SUB_NS_DIVISORS"]

#: Nanoseconds per unit, by numpy's (and pandas') unit names.
NS_PER_UNIT = {
    "W": 604_800_000_000_000,
    "D": 86_400_000_000_000,
    "h": 3_600_000_000_000,
    "m": 60_000_000_000,
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1_000,
    "ns": 1,
}
#: numpy's units finer than a nanosecond: how many make one nanosecond.
SUB_NS_DIVISORS = {"ps": 1_000, "fs": 1_000_000, "as": 1_000_000_000}

#: The precisions of ``/write`` and the epochs of ``/query`` that InfluxDB 1.x understands.
PRECISIONS = ("ns", "n", "u", "ms", "s", "m", "h")
# the server's own aliases: ``n`` is ``ns`` and ``u`` is ``us``
_ALIASES = {"n": "ns", "u": "us"}

#: A precision or epoch as numpy's (and ``pandas.to_datetime``'s) unit name.
EPOCH_UNITS = {p: _ALIASES.get(p, p) for p in PRECISIONS}
#: Nanoseconds per unit of each precision or epoch.
PRECISION_NS = {p: NS_PER_UNIT[unit] for p, unit in EPOCH_UNITS.items()}
