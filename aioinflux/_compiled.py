"""Compiled accelerators: which are in use, and the switch that turns them off.

Rule 1: each compiled module has a pure-Python implementation of the same behaviour beside
it, which stays the reference: same results, same errors (tests run both).
Rule 2: a compiled module that was not built (``pip install`` on a machine without a C
compiler installs the pure package) is no error: the pure implementation runs.
Rule 3: ``AIOINFLUX_NO_EXTENSIONS`` set to anything but empty or ``0`` (read once, at
import) forces the pure implementations, as ``AIOHTTP_NO_EXTENSIONS`` does for aiohttp;
set at install time, it builds none.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: whether AIOINFLUX_NO_EXTENSIONS turned the compiled modules off
DISABLED = os.environ.get("AIOINFLUX_NO_EXTENSIONS", "") not in ("", "0")
_ACTIVE: list[str] = []


def load(name: str, module: str) -> ModuleType | None:
    """The compiled ``module`` (known as ``name`` in :func:`active`), or None when it is
    switched off or was not built."""
    if DISABLED:
        return None
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return None
    if name not in _ACTIVE:  # one module may serve several pure ones
        _ACTIVE.append(name)
    return loaded


def active() -> tuple[str, ...]:
    """The names of the compiled accelerators in use."""
    return tuple(sorted(_ACTIVE))
