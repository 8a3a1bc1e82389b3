"""Units of time are defined once (aioinflux._units); the Literal types agree with them."""

from __future__ import annotations

from typing import get_args

from aioinflux import _types, _units


def test_the_literal_types_name_the_precisions_of_the_table():
    assert get_args(_types.Precision) == _units.PRECISIONS
    assert _types.Epoch == _types.Precision


def test_each_precision_is_a_numpy_unit_with_its_nanoseconds():
    import numpy as np

    for precision, unit in _units.EPOCH_UNITS.items():
        assert np.timedelta64(1, unit) == np.timedelta64(_units.PRECISION_NS[precision], "ns")
    assert _units.PRECISION_NS["n"] == 1
    assert _units.PRECISION_NS["u"] == 1_000
    assert _units.PRECISION_NS["h"] == 3_600_000_000_000
