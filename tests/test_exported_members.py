"""The public API is exactly what __all__ says, sorted, and importable."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import aioinflux

MODULES = [
    "aioinflux",
    "aioinflux.client",
    "aioinflux.exceptions",
    "aioinflux.blocking",
    "aioinflux.iterutils",
    "aioinflux.queries",
    "aioinflux.serialization",
    "aioinflux.serialization.common",
    "aioinflux.serialization.mapping",
    "aioinflux.serialization.dataframe",
    "aioinflux.serialization.usertype",
    "aioinflux.serialization.lines",
    "aioinflux.testing",
    "aioinflux.writer",
    "aioinflux._batching",
    "aioinflux._config",
    "aioinflux._progress",
    "aioinflux._protocol",
    "aioinflux._transport",
    "aioinflux._types",
    "aioinflux._polars",
    "aioinflux._rows",
    "aioinflux._dataframeclient",
]


def test_package_exports_are_sorted_and_complete():
    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert aioinflux.__all__ == sorted(aioinflux.__all__, key=kind)
    public = {
        name
        for name, value in vars(aioinflux).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(aioinflux.__all__)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_has_all(name):
    module = importlib.import_module(name)
    assert all(hasattr(module, member) for member in module.__all__)


def test_import_does_not_import_pandas():
    code = "import sys, aioinflux; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_works_without_pandas_installed():
    # sys.modules[name] = None makes any import of pandas fail, as if it were not installed
    code = (
        "import sys; sys.modules['pandas'] = None; sys.modules['numpy'] = None\n"
        "import aioinflux, aioinflux.testing\n"
        "print(aioinflux.InfluxDBClient(mode='blocking').mode)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "blocking"
