"""Every code example of the docs and the README runs, against a real server.

- ``>>>`` examples run as doctests;
- each ``.. code-block:: python`` runs in page order, sharing one namespace per page: a block
  that compiles as a module (a script, blocking-mode code, ``asyncio.run(...)``) runs as it
  is; a block with top-level ``await`` runs as the body of a coroutine given ``client``, an
  async client on the database ``mydb``. ``InfluxDBClient()`` with the default host and port
  (also ``from aioinflux import InfluxDBClient``) is a client of the test server; ``mydb``
  holds a few ``cpu`` and ``mem`` points first. A block defining ``test_*`` coroutine
  functions (docs/testing.rst) has them called with the real fixtures.
- querying.rst and queries.rst are run, with assertions on what they print, by
  tests/test_query_results.py and tests/test_queries.py;
- the code examples of docstrings (shown by the API reference) run too.
"""

from __future__ import annotations

import asyncio
import doctest
import inspect
import logging
import os
import re
import sys
import textwrap
import traceback
import uuid
from pathlib import Path

import pytest
from docs_examples import (
    DOCS,
    ROOT,
    Example,
    as_coroutine,
    examples,
    pages,
    quickstart,
    run_as_script,
)

import aioinflux
from aioinflux.testing import InfluxDBServer

pytestmark = pytest.mark.server

#: blocks marked ``.. not executed: <reason>``: keep this set tiny
NOT_EXECUTED = {
    ("testing.rst", 'pytest_plugins = ["aioinflux.testing"]'),
}
#: pages whose blocks are run (with their own assertions) by another test
RUN_ELSEWHERE = {
    "querying.rst": "tests/test_query_results.py",
    "queries.rst": "tests/test_queries.py",
    "services.rst": "tests/test_services.py",  # real processes stopped with SIGINT/SIGTERM
}
SEED = [
    "cpu,host=server01 load=0.64 1257894000000000000",
    "cpu,host=server02 load=0.55 1257894000000000001",
    "mem v=1i 1257894000000000000",
]
#: what the examples of a page print (at least)
PRINTS = {
    "../README.rst": [
        "[[1257894000000000000, 0.64]",
        "'values': [[1257894000000000000, 0.64], [1257894000000000001, 0.55]]",
        "2009-11-10 23:00:01+00:00  server02  0.55",
        "('server01', 1257894000000000000, 0.64)",
        "('server02', 1257894000000000001, 0.55)",
    ],
    "client.rst": ["http://", "'async'", "'values': [[0, 3]]", "0.75"],
    "configuration.rst": [
        "http://127.0.0.1:",  # the test server stands for localhost:8086
        "mydb\n[[0, 2]]",
        "https://influx.example.com:443/influx/ other",
        "mydb [['cpu'], ['mem']]",
        "INFLUX_GZIP must be one of 1, true, yes, on or 0, false, no, off, got 'sometimes'",
        "[[0, 3]]\n200\n",
        "proxy='http://me:***@proxy.example.com:3128'",
        "[[1257894000000000000, 'server01', 0.64]]\n[[1257894000000000001, 'server02', 0.55]]\n",
        "https://influx.example.com:8086/",
    ],
    "errors.rst": [
        "cpu load integer float\n",
        "field 'load' of measurement 'cpu' is stored as float: write it as a float (1.0, not 1;",
        "[1257894000000000002, 1.0], [1257894000000000003, 2.0], [1257894000000000004, 3.0]]",
        "400 True ['cpu,host=a count=7u 3'] 0",
        "[(0, 'invalid operation: time and *influxql.StringLiteral are not compatible'), "
        "(1, 'not executed')]",
        "http://127.0.0.1:1/",
        "port must be an int in 1-65535 (or a str of one), got '8086x'",
        "params['host'] = {'a'} (set) cannot be sent as a bound parameter: use a str, int, "
        "float, bool or None",
        "iterpoints() got a coroutine: await the query first, e.g. "
        "iterpoints(await client.query(q))",
        "point 0: time '01/02/2020 10:00' is ambiguous: its day and month could be either "
        "way round; write it in ISO 8601: '2020-01-02T10:00' (month first) or "
        "'2020-02-01T10:00' (day first)",
        "401 authorization failed (401 Unauthorized), as user 'admin'",
        "401 unable to parse authentication credentials (401 Unauthorized): no credentials "
        "were sent; pass username= and password=",
    ],
    "writer.rst": ["points_written=1000", "points_written=3", "0 0 1"],
    "writing.rst": [
        "100000/250000 points\n200000/250000 points\n250000/250000 points\n"
        "100000/None points\n200000/None points\n250000/None points\n250000/250000 points\n",
        "b'm,1=2 3=4i'",
        "Non-string-like data passed. Attempting to convert to 'str': tag 1: value 2 (int) is "
        "written as '2'\nNon-string-like data passed. Attempting to convert to 'str': tag key 1 "
        "(int) is written as '1'\nNon-string-like data passed. Attempting to convert to 'str': "
        "field key 3 (int) is written as '3'",
    ],
    "index.rst": ["[[1257894002000000000, 0.42]]\n", "2009-11-10 23:00:03+00:00  0.71\n"],
    "migrating.rst": [
        "Point(time=1257894000000000000, host='server01', load=0.64)",
        "{'time': 1257894000000000000, 'host': 'server01', 'load': 0.64}",
        "2009-11-10 23:00:01+00:00  server02  0.55",
        # the DataFrameClient port
        "[0.64, 0.55, 0.72] ['host', 'load', 'region']",
        "['load,host=server01', 'load,host=server02'] ['load', 'host']",
        "[('load', (('host', 'server01'),)), ('load', (('host', 'server02'),))] ['load']\n"
        "['load']\n[{'name': 'load'}]\nTrue\n",
    ],
    "quickstart.rst": ["2009-11-10T23:00:00Z"],
    "testing.rst": [
        "'name': 'm', 'columns': ['time', 'v'], 'values': [[",
        "'name': 'm', 'columns': ['time', 'v'], 'values': [[1, 1]]",
        "passed test_store_reading",
    ],
}


def page_ids() -> list[str]:
    return [p for p in pages() if p not in RUN_ELSEWHERE and examples(p)]


def test_every_page_with_code_is_run():
    assert set(RUN_ELSEWHERE) <= set(pages())
    for page, test_file in RUN_ELSEWHERE.items():
        assert f'python_examples("{page}")' in (ROOT / test_file).read_text()
    assert set(page_ids()) == {
        "../README.rst",
        "client.rst",
        "configuration.rst",
        "errors.rst",
        "index.rst",
        "install.rst",
        "migrating.rst",
        "quickstart.rst",
        "testing.rst",
        "writer.rst",
        "writing.rst",
    }


def test_the_blocks_not_executed_are_the_known_few():
    marked = {(e.page, e.code) for p in pages() for e in examples(p) if e.not_executed}
    assert marked == NOT_EXECUTED


def test_python_code_is_in_python_blocks():
    # a ``::`` literal block holding code would not be run: code goes in code-block python
    for page in pages():
        text = (DOCS / page).read_text()
        for block in re.findall(r"::\n\n((?: {4,}.*\n|\n)+)", text):
            code = textwrap.dedent(block)
            assert not re.search(r"^(import |from \w+ import|await |\w+ = \w+\()", code, re.M), (
                page,
                code,
            )


@pytest.mark.parametrize("page", [p for p in pages() if ">>>" in (DOCS / p).read_text()])
def test_doctests_run(page):
    result = doctest.testfile(str(DOCS / page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.fixture
def docs_server(influxdb_server: InfluxDBServer, monkeypatch):
    """The test server as ``InfluxDBClient()``'s default, with ``mydb`` seeded."""
    base = aioinflux.InfluxDBClient

    class DocsClient(base):  # type: ignore[misc,valid-type]
        def __init__(self, host="localhost", port=8086, *args, **kwargs):
            if (host, port) == ("localhost", 8086):
                host, port = influxdb_server.host, influxdb_server.port
            super().__init__(host, port, *args, **kwargs)

    monkeypatch.setattr(aioinflux, "InfluxDBClient", DocsClient)
    with influxdb_server.client(mode="blocking") as admin:
        before = databases(admin)
        admin.query('DROP DATABASE "mydb"')
        admin.query('CREATE DATABASE "mydb"')
        admin.write(SEED, db="mydb")
        try:
            yield influxdb_server
        finally:
            for db in databases(admin) - before | {"mydb"}:
                admin.drop_database(db)


def databases(client) -> set[str]:
    series = client.show_databases()["results"][0]["series"][0]
    return {v[0] for v in series.get("values", [])}


def run_example(example: Example, namespace: dict, server: InfluxDBServer) -> None:
    filename = str(DOCS / example.page)
    if not run_as_script(example.code, filename, namespace, line=example.line):
        # top-level await: the body of a coroutine
        body = as_coroutine(example.code, filename, line=example.line, namespace=namespace)

        async def main() -> None:
            async with namespace["InfluxDBClient"](db="mydb") as client:
                await body(client)

        asyncio.run(main())
        return
    for name, function in list(namespace.items()):
        if name.startswith("test_") and inspect.iscoroutinefunction(function):
            database = f"docs_{uuid.uuid4().hex[:8]}"
            with server.client(mode="blocking") as admin:
                admin.create_database(database)
                try:
                    asyncio.run(function(server, database))
                finally:
                    admin.drop_database(database)
            print(f"passed {name}")
            del namespace[name]


@pytest.fixture
def logging_restored():
    """The logging set-up as it was (client.rst's example configures logging)."""
    root, ours = logging.getLogger(), logging.getLogger("aioinflux")
    handlers, root_level, our_level = root.handlers[:], root.level, ours.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(root_level)
    ours.setLevel(our_level)


@pytest.fixture
def environment_restored():
    """The process environment as it was (configuration.rst's example sets INFLUX_*)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.parametrize("page", page_ids())
def test_examples_run(page, docs_server, capsys, logging_restored, environment_restored):
    namespace: dict = {"__name__": "__docs__", "InfluxDBClient": aioinflux.InfluxDBClient}
    ran = 0
    for example in examples(page):
        if example.not_executed:
            continue
        try:
            run_example(example, namespace, docs_server)
        except Exception as exc:
            raise AssertionError(f"the example at {example} failed") from exc
        ran += 1
    assert ran > 0
    out = capsys.readouterr().out
    sys.stdout.write(out)
    for text in PRINTS.get(page, []):
        assert text in out, (page, text)


def test_a_failing_example_fails_its_test(docs_server):
    # both ways of running a block report its error, with the page's line number
    for code, error in [
        ("await client.query('SELEC')", aioinflux.InfluxDBQueryError),
        (
            "client = InfluxDBClient(db='mydb', mode='blocking')\nclient.write('m v=1u')",
            aioinflux.InfluxDBWriteError,
        ),
    ]:
        example = Example("client.rst", 40, textwrap.indent(code, "    "), None)
        namespace = {"InfluxDBClient": aioinflux.InfluxDBClient}
        with pytest.raises(error) as info:
            run_example(example, namespace, docs_server)
        if "client" in namespace:  # the blocking client the failed block did not close
            namespace["client"].close()
        frames = [(f.filename, f.lineno) for f in traceback.extract_tb(info.value.__traceback__)]
        assert (str(DOCS / "client.rst"), 40 + code.count("\n")) in frames


def test_readme_renders_as_a_package_description():
    from readme_renderer.rst import render

    warnings = []

    class Stream:
        def write(self, text):
            warnings.append(text)

    html = render((ROOT / "README.rst").read_text(), stream=Stream())
    assert html is not None, "".join(warnings)
    assert "Quick start" in html
    assert not warnings


def test_every_public_name_is_in_the_api_reference():
    text = "".join(p.read_text() for p in Path(DOCS).glob("*.rst"))
    documented = {
        eval_path(path) for path in re.findall(r"^\s*\.\. auto\w+:: (aioinflux[\w.]*)", text, re.M)
    }
    missing = [name for name in aioinflux.__all__ if getattr(aioinflux, name) not in documented]
    assert missing == []


def eval_path(path: str) -> object:
    module, _, rest = path.partition(".")
    obj: object = sys.modules[module]
    for part in rest.split("."):
        if not part:
            continue
        try:
            obj = getattr(obj, part)
        except AttributeError:
            __import__(f"{obj.__name__}.{part}")  # type: ignore[attr-defined]
            obj = getattr(obj, part)
    return obj


# -- the Jupyter examples of docs/client.rst, in a real IPython kernel --------------------

KERNEL_SETUP = """
import aioinflux

class InfluxDBClient(aioinflux.InfluxDBClient):  # the examples' default server: the test's
    def __init__(self, host='localhost', port=8086, *args, **kwargs):
        if (host, port) == ('localhost', 8086):
            host, port = {host!r}, {port}
        super().__init__(host, port, *args, **kwargs)
"""


def test_jupyter_examples_run_in_an_ipython_kernel(docs_server, tmp_path):
    from jupyter_client.manager import KernelManager

    cells = [e.code for e in examples("client.rst") if e.code.startswith("# a notebook cell")]
    assert len(cells) == 2
    # IPC sockets in a temporary directory: no TCP port, nothing left behind
    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(tmp_path / "kernel"))
    kernel.start_kernel()
    kernel_client = kernel.client()
    kernel_client.start_channels()
    try:
        kernel_client.wait_for_ready(timeout=60)

        def run(code: str) -> str:
            out: list[str] = []

            def hook(msg):
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    out.append("\n".join(msg["content"]["traceback"]))

            reply = kernel_client.execute_interactive(code, output_hook=hook, timeout=60)
            assert reply["content"]["status"] == "ok", "".join(out)
            return "".join(out)

        run(KERNEL_SETUP.format(host=docs_server.host, port=docs_server.port))
        # what makes asyncio.run() fail in a notebook: the cell runs inside a running loop
        assert "running=True" in run("import asyncio; print(asyncio.get_running_loop())")
        assert run(cells[0]) == "0.75\n"  # blocking mode
        assert run(cells[1]) == "0.75\n"  # async mode, top-level await
    finally:
        kernel_client.stop_channels()
        kernel.shutdown_kernel(now=True)


def test_every_mypy_exception_is_documented():
    # docs/development.rst lists each file with a ``# type: ignore`` and how many it has
    text = (DOCS / "development.rst").read_text().split("Exceptions to mypy strict")[1]
    documented = {
        path: int(count or 1)
        for path, count in re.findall(r"^- ``([\w/.]+\.py)``(?: \((\d+)\))?:", text, re.M)
    }
    found = {}
    for path in sorted((ROOT / "aioinflux").rglob("*.py")):
        count = path.read_text().count("# type: ignore")
        if count:
            found[path.relative_to(ROOT / "aioinflux").as_posix()] = count
    assert found == documented


# -- the examples in docstrings (shown by the API reference) ------------------------------


def literal_blocks(obj: object) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    return [textwrap.dedent(b) for b in re.findall(r"::\n\n((?: {4,}.*\n|\n)+)", doc + "\n")]


def test_the_only_docstring_blocks_that_are_not_code_is_the_exception_tree():
    import aioinflux.exceptions

    def documented(module):
        yield module.__name__, module
        for name, obj in vars(module).items():
            # a docstring inherited from the object's type is not ours (Python 3.12's TypeVar
            # gives each TypeVar its own class's, literal blocks included)
            inherited = not inspect.isclass(obj) and obj.__doc__ is type(obj).__doc__
            if getattr(obj, "__module__", None) == module.__name__ and not inherited:
                yield name, obj
                if inspect.isclass(obj):
                    yield from ((f"{name}.{n}", o) for n, o in vars(obj).items())

    blocks = {
        name: literal_blocks(obj)
        for module in [aioinflux.client, aioinflux.iterutils, aioinflux.exceptions]
        for name, obj in documented(module)
        if literal_blocks(obj)
    }
    assert set(blocks) == {"aioinflux.exceptions", "InfluxDBClient.batch_writer", "iterpoints"}
    assert blocks["aioinflux.exceptions"][0].startswith("InfluxDBError ")


def test_docstring_examples_run(docs_server, capsys):
    blocks = [
        *literal_blocks(aioinflux.InfluxDBClient.batch_writer),
        *literal_blocks(aioinflux.iterpoints),
    ]
    assert len(blocks) == 3
    with docs_server.client(db="mydb", mode="blocking") as client:
        resp = client.query("SELECT * FROM cpu")
        namespace = {
            "InfluxDBClient": aioinflux.InfluxDBClient,
            "iterpoints": aioinflux.iterpoints,
            "points": ["batched v=1i 1", "batched v=2i 2"],
            "resp": resp,
        }
        for code in blocks:
            try:  # an expression: show what it gives
                expression = compile(code, "<docstring>", "eval")
            except SyntaxError:
                run_example(Example("<docstring>", 1, code, None), namespace, docs_server)
            else:
                print(list(eval(expression, namespace)))
        # the batch writer wrote the points, the parsers work
        written = client.query("SELECT v FROM batched")["results"][0]["series"][0]["values"]
        assert written == [[1, 1], [2, 2]]
    assert "{'time': 1257894000000000000, 'host': 'server01', 'load': 0.64}" in (
        capsys.readouterr().out
    )
    assert next(aioinflux.iterpoints(resp, namespace["parser"])) == (
        1257894000000000000,
        "server01",
        0.64,
    )


def test_the_quick_start_page_shows_what_the_example_prints():
    text = (DOCS / "quickstart.rst").read_text()
    shown = textwrap.dedent(text.split("prints something like::\n\n")[1].split("\n\n")[0])
    out = quickstart()
    assert out.returncode == 0, out.stderr
    printed, expected = out.stdout.splitlines(), shown.splitlines()
    assert printed[0].startswith("started a throwaway InfluxDB at http://127.0.0.1:")
    assert printed[1].startswith("server version: 1.")
    assert printed[2:] == expected[2:]
