"""The architecture, enforced: pure modules import no I/O; only the transport imports aiohttp."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aioinflux"
PURE = [
    "_types.py",
    "_protocol.py",
    "_batching.py",
    "_config.py",
    "_progress.py",
    "exceptions.py",
    "iterutils.py",
    "queries.py",
    "_sources.py",
    "serialization/__init__.py",
    "serialization/common.py",
    "serialization/mapping.py",
    "serialization/dataframe.py",
    "serialization/usertype.py",
]
IO_MODULES = {"aiohttp", "asyncio", "socket", "threading", "yarl"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def pure_modules():
    found = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")]
    return sorted(m for m in found if m in PURE or m.startswith("serialization/"))


@pytest.mark.parametrize("module", pure_modules())
def test_pure_module_does_no_io(module):
    assert not imported_roots(PACKAGE / module) & IO_MODULES


def test_only_the_transport_imports_aiohttp_at_run_time():
    users = {
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if "aiohttp" in imported_roots(p)
    }
    # client.py imports aiohttp only for the ClientSession/ClientTimeout types it hands on
    assert users <= {"_transport.py", "client.py"}


def test_every_pure_module_is_listed():
    assert {"_protocol.py", "exceptions.py", "_types.py", "queries.py"} <= set(pure_modules())


def test_the_project_stands_alone():
    """No file of the project points to notes kept outside the repository: a fact is stated
    where it is used, with the test or benchmark in the repository that shows it."""
    import re
    import subprocess

    root = PACKAGE.parent
    outside = re.compile("shared" + r"/[A-Z]+\.md|\.\./shared")
    files = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    pointing = [
        name
        for name in files
        if (root / name).is_file() and outside.search((root / name).read_text(errors="replace"))
    ]
    assert pointing == []
