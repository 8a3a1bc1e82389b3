"""The docs read well, and say what the benchmarks measured:

- every line of code in docs/*.rst and README.rst fits in 88 characters;
- the front page's speed figures are those of the pages' tables, and each chart of the
  docs (docs/figures/) is what its benchmark script draws from the figures it summarises;
- in a real browser (headless Chromium, 1280 px wide) no code block of the front page or
  the writing page needs a horizontal scroll bar, every highlighted block has a copy
  button that copies the code without prompts or output, the front page follows a dark
  system setting, at a phone's width (390 px) the front page itself does not scroll
  sideways, and no page logs a console error.

The browser check builds the HTML with ``sphinx-build -W`` (as the docs gate does), serves
it on 127.0.0.1, and drives Chromium over the DevTools protocol with aiohttp (no other
dependency). Screenshots are kept in docs/_build/screenshots/ for CI to publish. A missing
``chromium`` fails the test: ``bash scripts/test.sh`` installs it (Debian's package).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from docs_examples import ROOT, code_lines, load_benchmark, pages

#: the longest line of code the docs show (black's default: a code block of the docs'
#: content column at 1280 px shows it whole)
MAX_CODE_LINE = 88


@pytest.mark.parametrize("page", pages())
def test_every_line_of_code_fits_in_88_characters(page):
    too_long = [f"{page}:{n}: {line}" for n, line in code_lines(page) if len(line) > MAX_CODE_LINE]
    assert too_long == []


def test_code_lines_finds_every_kind_of_code_block():
    found = {line.strip() for _, line in code_lines("writing.rst")}
    # a python block, a shell block, a literal block after ``::`` and a doctest's output
    assert "import warnings" in found
    assert "pip install 'aioinflux[fast]'" in found
    assert "cpu load=0.000012 1577934246000000000" in found
    assert "b'm v=1i 1577934245'" in found
    # prose and tables are not code
    assert not any(line.startswith(("Writing data", "=====", "encoder ")) for line in found)


def table_row(page: str, table: str, name: str) -> list[str]:
    """The cells of the row ``name`` of the simple table of ``docs/<page>`` whose header
    starts with ``table``."""
    text = (ROOT / "docs" / page).read_text()
    for line in text[text.index(table) :].splitlines():
        if line.startswith(name + "  "):
            return re.split(r"\s{2,}", line.strip())
    raise AssertionError(f"no row {name!r} in {page}")


def test_the_front_page_quotes_the_benchmark_tables():
    front = " ".join((ROOT / "docs" / "index.rst").read_text().split())
    columnar = table_row("writing.rst", "encoder  ", "aioinflux, columnar (``fast`` extra)")
    assert f"DataFrame to line protocol {float(columnar[2].rstrip('x')):.1f}x as fast" in front
    mappings = table_row("writing.rst", "100,000 points, as", "aioinflux, compiled")
    quoted = f"100,000 mappings {float(mappings[2].rstrip('x')):.0f}x as fast as ``influxdb``'s"
    assert quoted in front
    readme = " ".join((ROOT / "README.rst").read_text().split())
    assert quoted.replace("mappings", "mappings to line protocol") in readme
    ours = table_row("querying.rst", "1M rows,", "aioinflux dataframe (msgpack)")
    peer = table_row("querying.rst", "1M rows,", "influxdb DataFrameClient.query")
    speed, memory = float(peer[1]) / float(ours[1]), int(ours[4]) / int(peer[4])
    assert f"DataFrame {speed:.1f}x as fast as ``influxdb``'s ``DataFrameClient``" in front
    assert f"at {memory:.0%} of its peak memory" in front
    writer = " ".join((ROOT / "docs" / "writer.rst").read_text().split())
    words, share = WRITER_QUOTED["aioinflux batch_writer, 4 in flight, DataFrame"]
    assert words in writer
    assert f"the batch writer given DataFrames at {share:.0%} of raw aiohttp" in front


# -- the charts of the benchmark figures ---------------------------------------------------


def number(cell: str) -> float:
    return float(cell.rstrip("x%").replace(",", ""))


#: the runs the docs quote: (date, machine, command), in their pages' words (what a page
#: does not say about a run is said to be not recorded)
RUNS = {
    "writing-dataframes": (
        "2026-11-30",
        "a quiet 2-core machine (CPU model not recorded), Python 3.11, pandas 3.1, "
        "polars 2.1, influxdb-client 1.50, influxdb 5.3.2",
        "python benchmarks/bench_dataframes.py --rows 1000000 --repeat 3 --rst",
    ),
    "querying-dataframes": (
        "2026-11-30",
        "a quiet 2-core machine shared by client and server (CPU model and Python not "
        "recorded), influxd 1.6.7, pandas 3.1, msgpack installed",
        "python benchmarks/query.py",
    ),
    "writer-throughput": (
        "2026-12-07",
        "a quiet 2-core machine (CPU model not recorded), Python 3.11, influxd 1.6.7 on "
        "the same machine",
        "python benchmarks/bench_writer.py --points 1000000 --repeat 3",
    ),
}

#: the batch writer's figures as docs/writer.rst quotes them: the script's rows, as shares
#: of raw aiohttp's best (the page gives these four, rounded to whole percents)
WRITER_QUOTED = {
    "raw aiohttp, 4 in flight": ("raw aiohttp's best was 632,764 points/s (4 in flight)", 1.0),
    "aioinflux batch_writer, 4 in flight": ("reached 95% of it with lists of ``str`` lines", 0.95),
    "aioinflux batch_writer, 4 in flight, DataFrame": (
        "91% with DataFrames (``fast`` extra)",
        0.91,
    ),
    "aioinflux batch_writer, 4 in flight, DataFrame, pure": (
        "77% with DataFrames without it",
        0.77,
    ),
}


def documented_charts() -> dict[str, Any]:
    """Each chart of the docs as the benchmark script draws it (its ``chart_of()``) from the
    figures the page's table quotes, dated and placed as the run the table quotes."""
    bench_dataframes = load_benchmark("bench_dataframes")
    query = load_benchmark("query")
    bench_writer = load_benchmark("bench_writer")
    frames: dict[str, dict[str, tuple[float, int, int]]] = {"today": {}, "mixed": {}}
    for contender, label in bench_dataframes.DOC_NAMES.items():
        row = table_row("writing.rst", "encoder  ", label)
        frames["today"][contender] = (number(row[1]), 0, 0)
        frames["mixed"][contender] = (number(row[3]), 0, 0)
    times = {}
    page = (ROOT / "docs" / "querying.rst").read_text()
    table = page.split("1M rows, ``SELECT *``", 1)[1].split("\n\n", 1)[0]
    for line in table.splitlines()[2:-1]:
        cells = re.split(r"\s{2,}", line.strip())
        times[cells[0]] = (float(cells[1]), float(cells[4]))
    writer = " ".join((ROOT / "docs" / "writer.rst").read_text().split())
    rates = {}
    for name, (words, share) in WRITER_QUOTED.items():
        assert words in writer, words
        rates[name] = share * 632_764
    charts = {
        "writing-dataframes": bench_dataframes.chart_of(frames, 1_000_000),
        "querying-dataframes": query.chart_of(times),
        "writer-throughput": bench_writer.chart_of(rates),
    }
    for name, chart in charts.items():
        date, machine, command = RUNS[name]
        chart.date, chart.machine, chart.command = date, machine, command
        where = "quoted on this page" if name == "writer-throughput" else "in the table"
        chart.note = (
            f"Figures of the run of {date}, as {where} (drawn from them with --from-json; "
            "the run was not repeated)"
        )
    return charts


@pytest.mark.parametrize("name", sorted(RUNS))
def test_each_chart_is_what_its_script_draws_from_the_tables_figures(name):
    chart = load_benchmark("chart")
    expected = documented_charts()[name]
    saved = (ROOT / "docs" / "figures" / f"{name}.json").read_text()
    assert saved == expected.to_json()
    svg = (ROOT / "docs" / "figures" / f"{name}.svg").read_text()
    assert svg == chart.render(chart.Chart.from_json(saved))
    # on its page, beside the figures it draws
    page = {"writing": "writing.rst", "querying": "querying.rst", "writer": "writer.rst"}
    text = (ROOT / "docs" / page[name.split("-")[0]]).read_text()
    assert f".. figure:: figures/{name}.svg" in text


# -- in a real browser --------------------------------------------------------------------

#: the pages opened, and the width they are read at (a laptop's browser window)
PAGES = ["index.html", "writing.html"]
WIDTH, HEIGHT = 1280, 900
#: a phone's width: code blocks may scroll there, the page itself must not
PHONE = 390
BUILD = ROOT / "docs" / "_build"
SCREENSHOTS = BUILD / "screenshots"

#: every ``pre`` block that needs a horizontal scroll bar: its text's first line, its widths
OVERFLOWING_PRE = """
[...document.querySelectorAll('pre')]
    .filter(pre => pre.scrollWidth > pre.clientWidth)
    .map(pre => [pre.textContent.split('\\n')[0], pre.scrollWidth, pre.clientWidth])
"""


#: resolves when the page has a copy button
FIRST_COPY_BUTTON = """
new Promise(resolve => {
    const found = () => document.querySelector('button.copybtn') !== null && resolve(true);
    if (!found()) {
        new MutationObserver(found).observe(document.body, {childList: true, subtree: true});
    }
})
"""
#: what a click on the copy button of the first ``>>>`` block copies (read from the copy
#: event: sphinx-copybutton copies through a selected textarea), and the block's text
COPIED_DOCTEST = """
new Promise(resolve => {
    const pre = [...document.querySelectorAll('div.highlight pre')]
        .find(pre => pre.textContent.startsWith('>>> '));
    const button = document.querySelector(`button[data-clipboard-target="#${pre.id}"]`);
    document.addEventListener('copy', event => {
        const field = event.target;
        const copied = field.value !== undefined ? field.value : String(getSelection());
        resolve([copied, pre.textContent]);
    }, {once: true});
    button.click();
})
"""


@pytest.fixture(scope="module")
def html() -> Path:
    """The docs built as the docs gate builds them (``sphinx-build -W``, incremental)."""
    out = BUILD / "html"
    built = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "docs", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    return out


@pytest.fixture
async def site(html: Path) -> AsyncIterator[str]:
    """The built HTML served on 127.0.0.1; its base URL."""
    app = web.Application()
    app.router.add_static("/", html)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


class DevTools:
    """A client of Chromium's DevTools protocol over its websocket: ``send()`` a command
    and get its result; events are kept in ``events``, and ``until()`` waits for one."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: list[tuple[str, asyncio.Future[dict[str, Any]]]] = []
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data:
                reply = self._replies.pop(data["id"])
                if "error" in data:
                    reply.set_exception(RuntimeError(f"DevTools: {data['error']}"))
                else:
                    reply.set_result(data.get("result", {}))
                continue
            self.events.append(data)
            for method, waiter in self._waiters[:]:
                if data["method"] == method and not waiter.done():
                    waiter.set_result(data)
                    self._waiters.remove((method, waiter))

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        command: dict[str, Any] = {"id": next(self._ids), "method": method}
        command["params"] = params or {}
        if session is not None:
            command["sessionId"] = session
        reply = asyncio.get_running_loop().create_future()
        self._replies[command["id"]] = reply
        await self.ws.send_str(json.dumps(command))
        return await asyncio.wait_for(reply, 60)

    def until(self, method: str) -> asyncio.Future[dict[str, Any]]:
        """A future of the next event ``method`` (ask before causing it)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((method, waiter))
        return waiter

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@pytest.fixture
async def chromium(tmp_path: Path) -> AsyncIterator[DevTools]:
    """Headless Chromium (Debian's ``chromium``), started and stopped by its pid, reached
    through the DevTools websocket it prints on stderr."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail(
            "chromium (Debian package chromium) is needed for the browser check of the docs:"
            " sudo apt-get install chromium (bash scripts/test.sh installs it as root)"
        )
    args = [
        binary,
        "--headless",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={WIDTH},{HEIGHT}",
        # no network but loopback: nothing of Chromium's own that would call home
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-gpu",
        "about:blank",
    ]
    if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox
        args.insert(1, "--no-sandbox")
    process = await asyncio.create_subprocess_exec(
        *args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    stderr: list[str] = []
    try:
        assert process.stderr is not None
        url = await asyncio.wait_for(devtools_url(process.stderr, stderr), 60)
        # the rest of stderr is read as it comes (a full pipe would stop Chromium)
        drain = asyncio.ensure_future(read_lines(process.stderr, stderr))
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, max_msg_size=0) as ws,
        ):
            devtools = DevTools(ws)
            try:
                yield devtools
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(devtools.send("Browser.close"), 10)
                await devtools.close()
        await asyncio.wait_for(process.wait(), 30)
        await drain
    finally:
        if process.returncode is None:
            process.kill()  # by its pid: the process this fixture started
            await process.wait()


async def devtools_url(stream: asyncio.StreamReader, lines: list[str]) -> str:
    while line := (await stream.readline()).decode(errors="replace"):
        lines.append(line)
        if match := re.search(r"DevTools listening on (ws://\S+)", line):
            return match[1]
    raise AssertionError("chromium exited without a DevTools URL:\n" + "".join(lines))


async def read_lines(stream: asyncio.StreamReader, lines: list[str]) -> None:
    while line := await stream.readline():
        lines.append(line.decode(errors="replace"))


async def open_page(
    devtools: DevTools, url: str, *, width: int = WIDTH, dark: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """Open ``url`` in a new tab ``width`` px wide; its session, and the events of its load."""
    target = await devtools.send("Target.createTarget", {"url": "about:blank"})
    attached = await devtools.send(
        "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
    )
    session = attached["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        await devtools.send(f"{domain}.enable", session=session)
    metrics = {"width": width, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}
    await devtools.send("Emulation.setDeviceMetricsOverride", metrics, session=session)
    scheme = [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]
    await devtools.send("Emulation.setEmulatedMedia", {"features": scheme}, session=session)
    start = len(devtools.events)
    loaded = devtools.until("Page.loadEventFired")
    await devtools.send("Page.navigate", {"url": url}, session=session)
    await asyncio.wait_for(loaded, 60)
    # the page's scripts (copy buttons, the theme's) have run: nothing left to wait for
    ready = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    await evaluate(devtools, session, ready)
    events = [e for e in devtools.events[start:] if e.get("sessionId") == session]
    return session, events


async def evaluate(devtools: DevTools, session: str, expression: str) -> Any:
    result = await devtools.send(
        "Runtime.evaluate",
        # as if the reader did it (a copy needs a user's gesture)
        {
            "expression": expression,
            "returnByValue": True,
            "awaitPromise": True,
            "userGesture": True,
        },
        session=session,
    )
    assert "exceptionDetails" not in result, result["exceptionDetails"]
    return result["result"].get("value")


def console_errors(events: list[dict[str, Any]]) -> list[str]:
    """The errors a page logged: console.error() calls, uncaught exceptions, and the
    browser's own (a resource that failed to load)."""
    errors = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            errors.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            errors.append(f"{entry['text']} {entry.get('url', '')}".strip())
    return errors


async def screenshot(devtools: DevTools, session: str, path: Path) -> None:
    """The whole page, as a PNG."""
    size = (await devtools.send("Page.getLayoutMetrics", session=session))["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = await devtools.send(
        "Page.captureScreenshot",
        {"format": "png", "clip": clip, "captureBeyondViewport": True},
        session=session,
    )
    await asyncio.to_thread(save, path, base64.b64decode(shot["data"]))


def save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.mark.parametrize("page", PAGES)
async def test_no_code_block_scrolls_and_no_console_error_at_1280_px(page, site, chromium):
    session, events = await open_page(chromium, site + page)
    await screenshot(chromium, session, SCREENSHOTS / f"{Path(page).stem}-{WIDTH}.png")
    # the page is the one asked for, drawn by the theme, with code blocks to check
    assert await evaluate(chromium, session, "document.body.dataset.theme") is not None
    assert await evaluate(chromium, session, "document.querySelectorAll('pre').length") > 0
    assert await evaluate(chromium, session, "window.innerWidth") == WIDTH
    # a copy button on every highlighted block (sphinx-copybutton adds them when the
    # document is parsed; waiting for the first one costs nothing if they are there)
    await evaluate(chromium, session, FIRST_COPY_BUTTON)
    blocks = await evaluate(
        chromium, session, "document.querySelectorAll('div.highlight pre').length"
    )
    buttons = await evaluate(
        chromium, session, "document.querySelectorAll('button.copybtn').length"
    )
    assert buttons == blocks > 0
    assert await evaluate(chromium, session, OVERFLOWING_PRE) == []
    assert console_errors(events) == []


async def test_the_copy_button_leaves_out_prompts_and_output(site, chromium):
    session, _ = await open_page(chromium, site + "writing.html")
    await evaluate(chromium, session, FIRST_COPY_BUTTON)
    copied, shown = await evaluate(chromium, session, COPIED_DOCTEST)
    # the first doctest of the writing page: two lines of code and one of output
    assert shown.startswith(">>> from aioinflux import serialize\n>>> serialize([")
    assert "\nb'cpu,host=a load=0.5 1" in shown
    assert copied == (
        "from aioinflux import serialize\n"
        "serialize(['cpu,host=a load=0.5 1', b'cpu,host=b load=1.5 2'])"
    )


async def test_at_a_phone_width_only_code_blocks_scroll_sideways(site, chromium):
    session, events = await open_page(chromium, site + "index.html", width=PHONE)
    await screenshot(chromium, session, SCREENSHOTS / f"index-{PHONE}.png")
    assert await evaluate(chromium, session, "window.innerWidth") == PHONE
    page = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    scroll_width, client_width = await evaluate(chromium, session, page)
    assert scroll_width <= client_width
    assert console_errors(events) == []


async def test_the_front_page_has_a_dark_mode(site, chromium):
    session, events = await open_page(chromium, site + "index.html", dark=True)
    await screenshot(chromium, session, SCREENSHOTS / f"index-{WIDTH}-dark.png")
    background = "getComputedStyle(document.body).backgroundColor"
    rgb = [int(v) for v in re.findall(r"\d+", await evaluate(chromium, session, background))]
    assert sum(rgb[:3]) < 3 * 64, rgb  # a dark background
    assert console_errors(events) == []


def test_console_errors_are_found():
    # what the browser check looks for, in the shapes Chromium reports it
    events = [
        {
            "method": "Runtime.consoleAPICalled",
            "params": {"type": "error", "args": [{"value": "boom"}]},
        },
        {
            "method": "Runtime.consoleAPICalled",
            "params": {"type": "log", "args": [{"value": "fine"}]},
        },
        {"method": "Runtime.exceptionThrown", "params": {"exceptionDetails": {"text": "Uncaught"}}},
        {
            "method": "Log.entryAdded",
            "params": {"entry": {"level": "error", "text": "404", "url": "http://x/a.js"}},
        },
    ]
    assert console_errors(events) == ["boom", "Uncaught", "404 http://x/a.js"]
