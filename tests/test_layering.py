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
    "_influxql.py",
    "_show.py",
    "_units.py",
    "_frames.py",
    "_rows.py",
    "_polars.py",
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
    assert users == {"_transport.py"}


def test_every_pure_module_is_listed():
    assert {"_protocol.py", "exceptions.py", "_types.py", "queries.py"} <= set(pure_modules())


def test_import_aioinflux_loads_no_dataframe_code():
    """Answers become DataFrames in ``aioinflux._frames``, loaded when a DataFrame is asked
    for; ``import aioinflux`` (and 0.9's ``aioinflux.serialization.dataframe``) loads neither
    it nor pandas."""
    import subprocess
    import sys

    code = (
        "import sys, aioinflux, aioinflux.serialization.dataframe; "
        "print(*(m in sys.modules for m in "
        "('aioinflux._frames', 'aioinflux._polars', 'pandas', 'numpy', 'polars')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"] * 5


def _top_level_imports(path: Path) -> set[str]:
    """The modules a file imports when it is imported (not inside a function)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}".lstrip(".") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_frames_module_is_imported_only_where_a_dataframe_is_asked_for():
    importers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "_frames.py" and "_frames" in _names_used(path)
    }
    assert importers == {"client.py", "serialization/dataframe.py"}
    for name in importers:
        assert not any("_frames" in m for m in _top_level_imports(PACKAGE / name)), name


def test_serialization_only_makes_line_protocol():
    """``serialization/`` turns data into line protocol: it imports nothing of the writer,
    the client, the transport, the query protocol or the query answers."""
    elsewhere = {"writer", "client", "_transport", "_protocol", "_frames", "_show", "iterutils"}
    for path in (PACKAGE / "serialization").glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                names = [node.module] if node.module else [a.name for a in node.names]
                imported.update(name.split(".")[0] for name in names)
        # 0.9's serialization.dataframe.parse: loaded from _frames at first use
        allowed = {"_frames"} if path.name == "dataframe.py" else set()
        assert imported & elsewhere <= allowed, path.name


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


def _names_used(path: Path) -> set[str]:
    """Every name a module imports, reads or reaches as an attribute."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
            names.add(node.module or "")
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
    return names


def test_the_client_decodes_nothing_itself():
    """Decoding, checking and the end of a query answer belong to ``_protocol.QueryReader``:
    the client only loops over it."""
    used = _names_used(PACKAGE / "client.py")
    assert "QueryReader" in used
    decoding = {"ChunkDecoder", "MsgpackChunkDecoder", "AnswerChecker", "json", "msgpack"}
    assert not used & decoding


def test_the_writer_does_not_reach_into_the_client():
    """The writer gets a send coroutine from the client; it imports nothing of ``client.py``
    (not even for types) and touches no private attribute of the client."""
    tree = ast.parse((PACKAGE / "writer.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.module not in ("client", "aioinflux.client"), ast.unparse(node)
            assert "InfluxDBClient" not in {alias.name for alias in node.names}
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            owner = ast.unparse(node.value)
            assert owner.split(".")[-1] != "client", ast.unparse(node)


def _declared_exception_attributes() -> set[str]:
    declared = {"__cause__", "__context__", "__traceback__", "__suppress_context__", "args"}
    for node in ast.walk(ast.parse((PACKAGE / "exceptions.py").read_text())):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared.add(node.target.id)  # a class-level declaration
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self":
                declared.add(target.attr)
    return declared


def test_every_attribute_set_on_a_caught_error_is_declared():
    """An attribute added to an exception on its way up (``requests_written``) is declared by
    its class in ``exceptions.py``, with its type, so that no ``type: ignore`` is needed."""
    declared = _declared_exception_attributes()
    assert "requests_written" in declared
    undeclared = []
    for path in PACKAGE.rglob("*.py"):
        for handler in ast.walk(ast.parse(path.read_text())):
            if not isinstance(handler, ast.ExceptHandler) or handler.name is None:
                continue
            for node in ast.walk(handler):
                targets = node.targets if isinstance(node, ast.Assign) else []
                if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                    targets = [node.target]
                undeclared += [
                    f"{path.name}: {ast.unparse(t)}"
                    for t in targets
                    if isinstance(t, ast.Attribute)
                    and ast.unparse(t.value) == handler.name
                    and t.attr not in declared
                ]
    assert undeclared == []


def test_the_fake_transport_is_for_tests_only():
    """``aioinflux._mock`` (a transport without a server) is imported by no module of the
    package, so ``import aioinflux`` never loads it."""
    importers = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "_mock.py" and "_mock" in _names_used(path)
    ]
    assert importers == []


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


def test_the_writer_does_not_scan_what_serialization_made():
    # the writer queues the bodies serialization hands over (write_lines: a DataFrame slice
    # by slice, anything else at once), packed by the one packer (bodies), and cuts them
    # with their own methods; it neither scans nor splits a body itself
    writer = PACKAGE / "writer.py"
    assert not _names_used(writer) & {"split_lines", "_scan", "serialize", "split", "splitlines"}
    assert "serialization/write_lines" in imported_modules(writer)
    assert "serialization/bodies" in imported_modules(writer)
    assert "serialization/lines" not in imported_modules(writer)


def test_only_the_users_text_is_scanned():
    # the checker of line protocol given as str/bytes (which finds where its lines end) is
    # called from serialization only: the runs of text of a batch, and text_lines()
    callers = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "_textcheck.py"
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None))
        in {"split_lines", "check_text", "fast_check"}
    }
    assert callers == {"serialization/__init__.py", "serialization/lines.py"}


def _calls_of(path: Path, name: str) -> int:
    return sum(
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == name
        for node in ast.walk(ast.parse(path.read_text()))
    )


def test_the_client_and_writer_have_one_progress_loop_one_retry_loop_and_no_back_channel():
    # points are counted in one loop (client._reported), retries made by one loop
    # (_batching.Retry.call_with_retry), and the answer's format travels with its chunks,
    # never back up through an argument written by the callee
    client = PACKAGE / "client.py"
    assert _calls_of(client, "count_points") == 1
    assert _calls_of(client, "call_with_retry") == 1
    assert _calls_of(client, "retry_delay") == 0
    # the batch writer retries through the same loop, never one of its own
    writer = PACKAGE / "writer.py"
    assert _calls_of(writer, "call_with_retry") == 1
    assert _calls_of(writer, "retry_delay") == 0
    assert _calls_of(writer, "backoff_delay") == 0
    for node in ast.walk(ast.parse(client.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert "wire" not in {a.arg for a in node.args.args + node.args.kwonlyargs}, node.name


def test_one_dispatcher_and_one_packer_serve_the_client_and_the_writer():
    # every write reaches line protocol through serialization.write_lines(), and its bodies
    # are cut by lines.bodies() alone: no second dispatcher or packing loop beside them
    client, writer = PACKAGE / "client.py", PACKAGE / "writer.py"
    for path in (client, writer):
        assert _calls_of(path, "write_lines") == 1, path.name
    assert _calls_of(client, "requests") == 1  # LineSlices.requests(): lines.bodies() per slice
    assert _calls_of(writer, "bodies") == 1
    packers = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name == "bodies"
    }
    assert packers == {"serialization/lines.py"}


def import_graph() -> dict[str, set[str]]:
    """Which modules of the package each module imports (at its top or inside a function),
    as paths without ``.py`` (``client``, ``serialization/__init__``): ``from . import x``
    names the module ``x`` when there is one, else the package's ``__init__``."""
    modules = {str(p.relative_to(PACKAGE).with_suffix("")) for p in PACKAGE.rglob("*.py")}

    def resolve(parts: list[str]) -> str | None:
        name = "/".join(parts)
        if name in modules:
            return name
        return f"{name}/__init__" if f"{name}/__init__" in modules else None

    graph: dict[str, set[str]] = {}
    for name in modules:
        path = PACKAGE / f"{name}.py"
        here = path.relative_to(PACKAGE).parent.parts
        found: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = [*here[: len(here) - (node.level - 1)], *(node.module or "").split(".")]
                elif (node.module or "").split(".")[0] == "aioinflux":
                    base = (node.module or "").split(".")[1:]
                else:
                    continue
                base = [part for part in base if part]
                found.update(resolve([*base, a.name]) or resolve(base) for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(
                    resolve(a.name.split(".")[1:])
                    for a in node.names
                    if a.name.startswith("aioinflux.")
                )
        graph[name] = {target for target in found if target is not None and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph``: its strongly connected components of more than one
    module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = [stack.pop()]
            while component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_package_has_no_import_circle():
    assert cycles(import_graph()) == []


def test_the_circle_finder_finds_circles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    graph = import_graph()
    assert (
        "serialization/__init__" in graph["client"] or "serialization/__init__" in graph["writer"]
    )
    assert "_influxql" in graph["_sources"]


def test_no_two_classes_share_a_name():
    # a name says what a class is: two unrelated classes of one name (a batch of the
    # writer's queue, a write's options) make a reader of either one look for the other
    where: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(str(path.relative_to(PACKAGE)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}


def test_the_writer_is_told_where_a_write_is_encoded():
    # where a slice is encoded (a DataFrame's in the worker thread) is said by what
    # serialization hands over (LineSlices.on_demand), never guessed from the kind of
    # iterator that came back
    source = (PACKAGE / "writer.py").read_text()
    assert _calls_of(PACKAGE / "writer.py", "isgenerator") == 0
    assert "on_demand" in source


def test_the_dataframe_modules_import_numpy_and_pandas_at_their_top():
    # the plan and the kernels are imported only when a frame is written: they import
    # numpy and pandas at their top; polars, optional, is imported in a function twice,
    # each time with its reason (a polars frame; asking again whether polars is there)
    local = []
    for name in ("_plan.py", "_purekernel.py", "columnar.py"):
        tree = ast.parse((PACKAGE / "serialization" / name).read_text())
        top = set(tree.body)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and node not in top:
                roots = {alias.name.split(".")[0] for alias in node.names}
                if roots & {"numpy", "pandas", "polars"} and not _in_a_top_block(tree, node):
                    local.append((name, *sorted(roots)))
    assert sorted(local) == [("_plan.py", "polars"), ("columnar.py", "polars")]


def _in_a_top_block(tree: ast.Module, node: ast.AST) -> bool:
    """Whether ``node`` runs at import, in an ``if TYPE_CHECKING`` or ``with`` block."""
    return any(
        isinstance(block, (ast.If, ast.With)) and node in list(ast.walk(block))
        for block in tree.body
    )
