"""aioinflux 0.9.0's own examples, run unchanged against a real server.

Each ``CODE`` below is the text of a ``.. code::`` block of aioinflux 0.9.0's README.rst and
docs/usage.rst (its user guide; the package at tag v0.9.0), in page order, or of the
docstring of its ``iterpoints``: a user of 0.9 who follows them gets what the page shows.
Every block is here; none is skipped silently:

- ``REMOVED``: the blocks of a feature that is gone (the redis cache), checked to fail
  loudly, naming it;
- ``BROKEN_IN_09``: blocks that did not run in 0.9 either (typos of the page), run with the
  typo fixed and nothing else changed;
- bash blocks (``pip install``) and output blocks are not Python, but the outputs the page
  shows are compared with what the examples print.

How a block runs, as the page implies (``Block.client``): as a script, in one namespace
shared by the page's blocks; or, for a block with top-level ``await``, as the body of a
coroutine given ``client``, an async client of the database ``testdb`` (``output='dataframe'``
where the page says so); ``'blocking'`` blocks find ``client``, a blocking client of
``testdb``, in the namespace. ``InfluxDBClient()`` with the default host and port is a client
of the test server; ``testdb`` holds the points the page's outputs show.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import re
import textwrap
from collections import Counter
from dataclasses import dataclass

import pandas as pd
import pytest

import aioinflux
from aioinflux.testing import InfluxDBServer

pytestmark = pytest.mark.server


@dataclass(frozen=True)
class Block:
    section: str  #: the section of the page
    code: str  #: the block, as 0.9's page has it
    client: str | None = None  #: None: a script; 'async', 'dataframe', 'blocking': see above


README = [
    Block(
        "Quick start",
        """\
import asyncio
from aioinflux import InfluxDBClient

point = {
    'time': '2009-11-10T23:00:00Z',
    'measurement': 'cpu_load_short',
    'tags': {'host': 'server01',
             'region': 'us-west'},
    'fields': {'value': 0.64}
}

async def main():
    async with InfluxDBClient(db='testdb') as client:
       await client.create_database(db='testdb')
       await client.write(point)
       resp = await client.query('SELECT value FROM cpu_load_short')
       print(resp)


asyncio.get_event_loop().run_until_complete(main())""",
    ),
]

USAGE = [
    Block("TL;DR", README[0].code),
    Block("Client modes", "client = InfluxDBClient(mode='blocking')\nclient.mode = 'async'"),
    Block(
        "Client modes",
        """\
client = InfluxDBClient(db='testdb', mode='blocking')
client.ping()
client.write(point)
client.query('SELECT value FROM cpu_load_short')""",
    ),
    Block(
        "Writing dictionary-like objects",
        """\
{'time': '2009-11-10T23:00:00Z',
'measurement': 'cpu_load_short',
'tags': {'host': 'server01', 'region': 'us-west'},
'fields': {'value1': 0.64, 'value2': True, 'value3': 10}}""",
    ),
    Block(
        "Writing DataFrames",
        """\
client = InfluxDBClient(db='testdb', mode='blocking')
client.write(df, measurement='prices', tag_columns=['tag'], asset_class='equities')""",
    ),
    Block(
        "Writing user-defined class objects",
        """\
from aioinflux import *
from typing import NamedTuple

@lineprotocol
class Trade(NamedTuple):
    timestamp: TIMEINT
    instrument: TAGENUM
    source: TAG
    side: TAG
    price: FLOAT
    size: INT
    trade_id: STR""",
    ),
    Block(
        "Writing user-defined class objects",
        """\
from collections import namedtuple

schema = dict(
   timestamp=TIMEINT,
   instrument=TAG,
   source=TAG,
   side=TAG,
   price=FLOAT,
   size=INT,
   trade_id=STR,
)

# Create class
Trade = namedtuple('Trade', schema.keys())

# Monkey-patch existing class and add ``to_lineprotocol``
Trade = lineprotocol(Trade, schema=schema)""",
    ),
    Block(
        "Writing user-defined class objects",
        """\
from dataclasses import dataclass

@lineprotocol
@dataclass
class Trade:
    timestamp: TIMEINT
    instrument: TAGENUM
    source: TAG
    side: TAG
    price: FLOAT
    size: INT
    trade_id: STR""",
    ),
    Block(
        "Writing user-defined class objects",
        """\
@lineprotocol(schema=dict(timestamp=TIMEINT, value=FLOAT))
@dataclass
class MyTypedClass:
    timestamp: int
    value: float

 print(MyTypedClass.__annotations__)
 # {'timestamp': <class 'int'>, 'value': <class 'float'>}

 MyTypedClass(1547710904202826000, 2.1).to_lineprotocol()
 # b'MyTypedClass value=2.1 1547710904202826000'""",
    ),
    Block(
        "Writing user-defined class objects",
        """\
trade = Trade(
   timestamp=1540184368785116000,
   instrument='AAPL',
   source='NASDAQ',
   side='BUY',
   price=219.23,
   size=100,
   trade_id='34a1e085-3122-429c-9662-7ce82039d287'
)

trade.to_lineprotocol()
# b'Trade,instrument=AAPL,source=NASDAQ,side=BUY price=219.23,size=100i,trade_id="34a1e085-3122-429c-9662-7ce82039d287" 1540184368785116000'""",
    ),
    Block(
        "Writing user-defined class objects",
        "client = InfluxDBClient()\nawait client.write(trade)  # True",
        "async",
    ),
    Block("Querying data", "await client.query('SELECT myfield FROM mymeasurement')", "async"),
    Block(
        "Querying data",
        """\
{'results': [{'series': [{'columns': ['time', 'Price', 'Volume'],
     'name': 'mymeasurement',
     'values': [[1491963424224703000, 5783, 100],
      [1491963424375146000, 5783, 200],
      [1491963428374895000, 5783, 100],
      [1491963429645478000, 5783, 1100],
      [1491963429655289000, 5783, 100],
      [1491963437084443000, 5783, 100],
      [1491963442274656000, 5783, 900],
      [1491963442274657000, 5782, 5500],
      [1491963442274658000, 5781, 3200],
      [1491963442314710000, 5782, 100]]}],
   'statement_id': 0}]}""",
    ),
    Block("Output formats", "client = InfluxDBClient(output='dataframe')\nclient.mode = 'json'"),
    Block(
        "Chunked responses",
        """\
chunks = await client.query("SELECT * FROM mymeasurement", chunked=True)
async for chunk in chunks:
    # do something
    await process_chunk(...)""",
        "async",
    ),
    Block(
        "Chunked responses",
        """\
cursor = await client.query("SELECT * FROM mymeasurement", chunked=True)
df = pd.concat([i async for i in cursor])""",
        "dataframe",
    ),
    Block(
        "Iterating responses",
        """\
from aioinflux import iterpoints

r = client.query('SELECT * from h2o_quality LIMIT 10')
for i in iterpoints(r):
    print(i)""",
        "blocking",
    ),
    Block(
        "Iterating responses",
        """\
chunks = await client.query('SELECT * from h2o_quality', chunked=True)
async for chunk in chunks:
    for point in iterpoints(chunk):
        # do something""",
        "async",
    ),
    Block(
        "Using custom parsers",
        """\
r = await client.query('SELECT * from h2o_quality LIMIT 5')
for i in iterpoints(r, lambda *x, meta: dict(zip(meta['columns'], x))):
    print(i)""",
        "async",
    ),
    Block(
        "Using custom parsers",
        """\
from collections import namedtuple
nt = namedtuple('MyPoint', ['time', 'index', 'location', 'randtag'])

r = await client.query('SELECT * from h2o_quality LIMIT 5')
for i in iterpoints(r, parser=nt):
    print(i)""",
        "async",
    ),
    Block("Authentication", "client = InfluxDBClient(username='user', password='pass)"),
    Block("Unix domain sockets", "client = InfluxDBClient(unix_socket='/path/to/socket')"),
    Block("HTTPS/SSL", "client = InfluxDBClient(host='my.host.io', ssl=True)"),
    Block("Database selection", "client = InfluxDBClient(db='db1')\nclient.db = 'db2'"),
    Block(
        "Debugging",
        """\
import logging

logging.basicConfig()
logging.getLogger('aioinflux').setLevel(logging.DEBUG)""",
    ),
]

#: the examples of iterpoints' docstring, applied to a three-column answer
DOCSTRING = [
    Block(
        "iterpoints",
        """\
# Function optional meta argument
def parser(*x, meta):
    return dict(zip(meta['columns'], x))""",
    ),
    Block(
        "iterpoints",
        """\
# Namedtuple (callable)
from collections import namedtuple
parser = namedtuple('MyPoint', ['col1', 'col2', 'col3'])""",
    ),
]

#: blocks of removed features: none has Python code (the section describes options)
REMOVED = {
    "Caching query results": "the redis cache is gone (redis_opts, cache_expiry, use_cache); "
    "passing any of these raises TypeError naming it",
}

#: blocks that could not run in 0.9 either, by a line of theirs: (the typo, the fix applied)
BROKEN_IN_09 = {
    " print(MyTypedClass.__annotations__)": (
        "the lines after the class are indented one space more (IndentationError)",
        lambda code: code.replace("\n ", "\n"),
    ),
    "        # do something": (
        "the inner loop has a comment and no body (IndentationError)",
        lambda code: code + "\n        pass",
    ),
    "password='pass)": (
        "the password's string is not closed (SyntaxError)",
        lambda code: code.replace("'pass)", "'pass')"),
    ),
}

# The outputs docs/usage.rst shows for the examples above
H2O = [
    [1439856000000000000, 41, "coyote_creek", "1"],
    [1439856000000000000, 99, "santa_monica", "2"],
    [1439856360000000000, 11, "coyote_creek", "3"],
    [1439856360000000000, 56, "santa_monica", "2"],
    [1439856720000000000, 65, "santa_monica", "3"],
]
PRINTED_POINTS = """\
[1439856000000000000, 41, 'coyote_creek', '1']
[1439856000000000000, 99, 'santa_monica', '2']
[1439856360000000000, 11, 'coyote_creek', '3']
[1439856360000000000, 56, 'santa_monica', '2']
[1439856720000000000, 65, 'santa_monica', '3']"""
PRINTED_DICTS = """\
{'time': 1439856000000000000, 'index': 41, 'location': 'coyote_creek', 'randtag': '1'}
{'time': 1439856000000000000, 'index': 99, 'location': 'santa_monica', 'randtag': '2'}
{'time': 1439856360000000000, 'index': 11, 'location': 'coyote_creek', 'randtag': '3'}
{'time': 1439856360000000000, 'index': 56, 'location': 'santa_monica', 'randtag': '2'}
{'time': 1439856720000000000, 'index': 65, 'location': 'santa_monica', 'randtag': '3'}"""
PRINTED_TUPLES = """\
MyPoint(time=1439856000000000000, index=41, location='coyote_creek', randtag='1')
MyPoint(time=1439856000000000000, index=99, location='santa_monica', randtag='2')
MyPoint(time=1439856360000000000, index=11, location='coyote_creek', randtag='3')
MyPoint(time=1439856360000000000, index=56, location='santa_monica', randtag='2')
MyPoint(time=1439856720000000000, index=65, location='santa_monica', randtag='3')"""
PRICES_FRAME = """\
                                       LUY       BEM       AJW tag
2017-06-24 08:45:17.929097+00:00  2.545409  5.173134  5.532397   B
2017-06-24 10:15:17.929097+00:00 -0.306673 -1.132941 -2.130625   E
2017-06-24 11:45:17.929097+00:00  0.894738 -0.561979 -1.487940   B
2017-06-24 13:15:17.929097+00:00 -1.799512 -1.722805 -2.308823   D
2017-06-24 14:45:17.929097+00:00  0.390137 -0.016709 -0.667895   E"""
MYMEASUREMENT_FRAME = """\
                                  Price  Volume
2017-04-12 02:17:04.224703+00:00   5783     100
2017-04-12 02:17:04.375146+00:00   5783     200
2017-04-12 02:17:08.374895+00:00   5783     100
2017-04-12 02:17:09.645478+00:00   5783    1100
2017-04-12 02:17:09.655289+00:00   5783     100
2017-04-12 02:17:17.084443+00:00   5783     100
2017-04-12 02:17:22.274656+00:00   5783     900
2017-04-12 02:17:22.274657+00:00   5782    5500
2017-04-12 02:17:22.274658+00:00   5781    3200
2017-04-12 02:17:22.314710+00:00   5782     100"""


def frame_from_text(text: str) -> pd.DataFrame:
    """The DataFrame a page shows as text (its index: UTC times)."""
    header, *rows = text.splitlines()
    cells = [re.split(r"\s{2,}|(?<=\d) (?=-)", row.strip()) for row in rows]
    index = pd.DatetimeIndex([c[0] for c in cells])
    data = {
        name: [float(c[i + 1]) if name != "tag" else c[i + 1] for c in cells]
        for i, name in enumerate(header.split())
    }
    return pd.DataFrame(data, index=index)


def mymeasurement_lines() -> list[str]:
    frame = frame_from_text(MYMEASUREMENT_FRAME)
    return [
        f"mymeasurement Price={int(p)}i,Volume={int(v)}i {t.value}"
        for t, p, v in zip(frame.index, frame["Price"], frame["Volume"], strict=True)
    ]


def h2o_lines() -> list[str]:
    return [f"h2o_quality,location={loc},randtag={tag} index={i}i {t}" for t, i, loc, tag in H2O]


@pytest.fixture
def server09(influxdb_server: InfluxDBServer, monkeypatch):
    """The test server as ``InfluxDBClient()``'s default, with ``testdb`` seeded; every client
    the examples make is closed afterwards (they rebind ``client`` without closing the one
    before), and the logging set-up restored (the Debugging example configures it)."""
    base = aioinflux.InfluxDBClient
    made = []

    class Client(base):  # type: ignore[misc,valid-type]
        def __init__(self, host="localhost", port=8086, *args, **kwargs):
            if (host, port) == ("localhost", 8086):
                host, port = influxdb_server.host, influxdb_server.port
            super().__init__(host, port, *args, **kwargs)
            made.append(self)

    monkeypatch.setattr(aioinflux, "InfluxDBClient", Client)
    root, ours = logging.getLogger(), logging.getLogger("aioinflux")
    handlers, levels = root.handlers[:], (root.level, ours.level)
    with influxdb_server.client(mode="blocking") as admin:
        admin.drop_database("testdb")
        admin.create_database("testdb")
        admin.write(mymeasurement_lines() + h2o_lines(), db="testdb")
        try:
            yield influxdb_server
        finally:
            for client in made:
                if not client.closed:
                    client.mode = "blocking"
                    client.close()
            admin.drop_database("testdb")
            for handler in root.handlers[:]:
                if handler not in handlers:
                    root.removeHandler(handler)
            root.setLevel(levels[0])
            ours.setLevel(levels[1])


def run_block(block: Block, namespace: dict, server: InfluxDBServer) -> None:
    code = block.code
    for line, (_, fix) in BROKEN_IN_09.items():
        if line in code:
            code = fix(code)  # the page's typo, fixed
    if block.client in (None, "blocking"):
        if block.client == "blocking":
            namespace["client"] = namespace["InfluxDBClient"](db="testdb", mode="blocking")
        exec(compile(code, block.section, "exec", dont_inherit=True), namespace)
        return
    # top-level await: the body of a coroutine, whose names then join the page's (as names
    # bound at the top level would), all but the client given to it
    source = "async def __block(client):\n" + textwrap.indent(code, "    ")
    source += "\n    return locals()"
    exec(compile(source, block.section, "exec", dont_inherit=True), namespace)
    output = "dataframe" if block.client == "dataframe" else "json"

    async def main() -> dict:
        async with namespace["InfluxDBClient"](db="testdb", output=output) as client:
            return await namespace["__block"](client)  # type: ignore[no-any-return]

    names = asyncio.run(main())
    namespace.update((k, v) for k, v in names.items() if k != "client")


def test_every_block_of_the_pages_is_here():
    # aioinflux 0.9.0's README.rst has 2 blocks (bash, python); docs/usage.rst has 31: 25
    # python (one of them the JSON output of a query), 5 text (outputs) and 1 bash (redis-cli)
    assert len(README) == 1
    assert len(USAGE) == 25
    assert not set(REMOVED) & {b.section for b in USAGE}  # the cache's section: no Python


@pytest.mark.parametrize("line", BROKEN_IN_09)
def test_the_typos_fixed_are_typos(line):
    (block,) = [b for b in USAGE if line in b.code]
    fix = BROKEN_IN_09[line][1]
    wrap = (
        (lambda c: "async def f(client):\n" + textwrap.indent(c, " " * 4)) if block.client else str
    )
    with pytest.raises(SyntaxError):
        compile(wrap(block.code), block.section, "exec", dont_inherit=True)
    compile(wrap(fix(block.code)), block.section, "exec", dont_inherit=True)
    # nothing but the typo changes: spaces, and a missing quote or loop body
    added = Counter(fix(block.code)) - Counter(block.code)
    removed = Counter(block.code) - Counter(fix(block.code))
    assert set(added) <= set("pas'\n ")
    assert set(removed) <= {" "}


def test_readme_quick_start_runs_unchanged(server09, capsys):
    namespace: dict = {"__name__": "__docs09__"}
    # a fresh interpreter's state: the main thread's current event loop, which 0.9's
    # example asks for with asyncio.get_event_loop()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        run_block(README[0], namespace, server09)
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    out = capsys.readouterr().out
    assert "'name': 'cpu_load_short', 'columns': ['time', 'value'], 'values': [[" in out
    assert "[[1257894000000000000, 0.64]]" in out


def test_user_guide_examples_run_unchanged(server09, capsys):
    calls = []

    async def process_chunk(*args):
        calls.append(args)

    namespace: dict = {
        "__name__": "__docs09__",
        # names the page uses without defining them: its DataFrame (shown as text), pandas,
        # and the reader's own function
        "df": frame_from_text(PRICES_FRAME),
        "pd": pd,
        "process_chunk": process_chunk,
    }
    results = {}
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        run_block(USAGE[0], namespace, server09)  # TL;DR: the README's quick start
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    for block in USAGE[1:]:
        if block.section == "Output formats":
            # 0.9 raised ValueError('Invalid running mode') here too (it meant output)
            with pytest.raises(ValueError, match="mode must be 'async' or 'blocking'"):
                run_block(block, namespace, server09)
        elif "await client.write(trade)" in block.code:
            # a client without a database: 0.9 sent the write and the server refused it
            # (400 "database is required"); it is refused before sending now
            with pytest.raises(ValueError, match="needs a database"):
                run_block(block, namespace, server09)
        elif block.code.startswith("{"):
            results[block.section] = ast.literal_eval(block.code)  # a page's literal
        else:
            run_block(block, namespace, server09)
        if "trade.to_lineprotocol()" in block.code:
            results["trade"] = namespace["trade"].to_lineprotocol()
        if "MyTypedClass(" in block.code:
            results["typed"] = namespace["MyTypedClass"](1547710904202826000, 2.1)
    for block in DOCSTRING:
        run_block(block, namespace, server09)
        results.setdefault("parsers", []).append(namespace["parser"])
    with namespace["InfluxDBClient"](db="testdb", mode="blocking") as client:
        answer = client.query("SELECT * FROM mymeasurement")
        three = client.query("SELECT Price, Volume FROM mymeasurement LIMIT 1")
        client.output = "dataframe"
        frame = client.query("SELECT * FROM mymeasurement")
        prices = client.query("SELECT * FROM prices")
        client.output = "json"
        prices_tags = client.show_tag_keys("prices")
    out = capsys.readouterr().out

    # the outputs the page shows
    assert PRINTED_POINTS + "\n" in out
    assert PRINTED_DICTS + "\n" in out
    assert PRINTED_TUPLES + "\n" in out
    assert "{'timestamp': <class 'int'>, 'value': <class 'float'>}" in out
    assert results["Querying data"] == answer  # the JSON the page shows for mymeasurement
    assert str(frame) == MYMEASUREMENT_FRAME  # and its DataFrame
    assert results["trade"] == (
        b"Trade,instrument=AAPL,source=NASDAQ,side=BUY price=219.23,size=100i,"
        b'trade_id="34a1e085-3122-429c-9662-7ce82039d287" 1540184368785116000'
    )
    assert results["typed"].to_lineprotocol() == b"MyTypedClass value=2.1 1547710904202826000"
    assert len(calls) == 1  # one chunk of mymeasurement
    assert namespace["df"].shape == (10, 2)  # the chunks concatenated
    # the DataFrame written with tag_columns and an extra tag
    assert [row[0] for row in prices_tags["results"][0]["series"][0]["values"]] == [
        "asset_class",
        "tag",
    ]
    assert prices["tag"].tolist() == ["B", "E", "B", "D", "E"]
    assert set(prices["asset_class"]) == {"equities"}
    # the docstring's parsers, on an answer of three columns
    by_meta, point_type = results["parsers"]
    values = three["results"][0]["series"][0]["values"]
    assert list(aioinflux.iterpoints(three, by_meta)) == [
        dict(zip(["time", "Price", "Volume"], values[0], strict=True))
    ]
    assert list(aioinflux.iterpoints(three, point_type)) == [point_type(*values[0])]
    assert logging.getLogger("aioinflux").level == logging.DEBUG  # the Debugging example


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: aioinflux.InfluxDBClient(redis_opts={"address": "redis://localhost"}), "redis"),
        (lambda: aioinflux.InfluxDBClient(cache_expiry=10), "cache_expiry"),
        (lambda: aioinflux.InfluxDBClient().query("SELECT 1", use_cache=True), "use_cache"),
    ],
)
def test_the_removed_cache_fails_loudly(call, name):
    with pytest.raises(TypeError, match=name):
        call()
