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


def imported_modules(path: Path) -> set[str]:
    """The package modules ``path`` imports, as paths relative to the package without
    ``.py`` (``writer``, ``serialization/lines``); third-party imports are left out."""
    here = path.relative_to(PACKAGE).parent.parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.split(".")[0] == "aioinflux":
                    base = node.module.split(".")[1:]
                else:
                    continue
            else:
                up = here[: len(here) - (node.level - 1)]
                base = [*up, *(node.module.split(".") if node.module else [])]
            found.add("/".join(base))
            found.update("/".join([*base, alias.name]) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "aioinflux":
                    found.add("/".join(parts[1:]))
    return found


def test_serialization_imports_nothing_from_the_writer_or_the_client():
    # serialization turns data into lines; who sends them is not its business
    for path in (PACKAGE / "serialization").glob("*.py"):
        used = imported_modules(path)
        assert not used & {"writer", "_batching", "client", "blocking", "_transport"}, path.name


def test_the_scanner_lives_in_serialization_only():
    # where a line ends is line-protocol knowledge: one scanner, in serialization/lines.py
    defining = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name in {"split_lines", "_scan"}
    }
    assert defining == {"serialization/lines.py"}


def names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    return names


def test_the_writer_does_not_scan_what_serialization_made():
    # the writer queues the lines serialization hands over (write_lines); it neither scans
    # nor splits a body itself
    writer = PACKAGE / "writer.py"
    assert not names_used(writer) & {"split_lines", "_scan", "serialize", "split", "splitlines"}
    assert "serialization/write_lines" in imported_modules(writer)
    assert "serialization/lines" not in imported_modules(writer)


def test_only_the_users_text_is_scanned():
    # the scanner is called from one place: the split of line protocol given as str/bytes
    callers = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "lines.py"
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "split_lines"
    }
    assert callers == {"serialization/__init__.py"}
