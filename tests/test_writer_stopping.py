"""A batch writer stopped by cancellation, Ctrl-C or SIGTERM sends what it holds first, for a
bounded grace, and reports loudly what it could not send; and the options of its write()
are options, never tags. Real servers throughout; real processes interrupted with SIGINT.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_writer import count, eventually, lines

from aioinflux import BatchWriter, InfluxDBBatchError, InfluxDBClient, InfluxDBError
from aioinflux.testing import InfluxDBServer

pytestmark = pytest.mark.server

CHILD = Path(__file__).with_name("writer_child.py")
#: a failure guard only (a child that never ends fails the test instead of hanging it)
GUARD = 60


def finish(child: subprocess.Popen[str]) -> tuple[str, str]:
    """Wait for ``child`` to end; the rest of its stdout and stderr, read through the files
    the test has read lines from (``communicate()`` reads the pipes underneath them, and
    would miss what they had read ahead)."""
    assert child.stdout is not None
    assert child.stderr is not None
    child.wait(timeout=GUARD)
    with child.stdout, child.stderr:
        return child.stdout.read(), child.stderr.read()


@pytest.fixture
def own_server() -> Iterator[InfluxDBServer]:
    """A real server of this test only, which the test may stop and restart."""
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "own"')
        yield server


def not_written_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "aioinflux" and r.levelno == logging.ERROR and "not written" in r.getMessage()
    ]


async def serve(writer: BatchWriter, points: list[str], cancel_after: float) -> None:
    """A service: writes ``points``, then runs until the timeout around it cancels it."""
    async with asyncio.timeout(cancel_after), writer:
        await writer.write(points)
        await asyncio.Event().wait()


# -- a cancelled block sends what it holds -------------------------------------------------


async def test_a_cancelled_block_sends_what_it_holds_before_the_cancellation_goes_on(client):
    writer = client.batch_writer(flush_interval=3600)  # nothing would go before close()
    with pytest.raises(TimeoutError):
        await serve(writer, lines(0, 1000), 0.2)
    # sent within the grace, before the cancellation went on: no await since
    assert (writer.stats.points_written, writer.pending, writer.in_flight) == (1000, 0, 0)
    assert await count(client) == 1000


async def test_a_cancelled_task_stays_cancelled(client):
    writer = client.batch_writer(flush_interval=3600)
    queued = asyncio.Event()

    async def service() -> None:
        async with writer:
            await writer.write(lines(0, 10))
            queued.set()
            await asyncio.Event().wait()

    task = asyncio.ensure_future(service())
    await queued.wait()
    task.cancel()
    await asyncio.wait({task})
    assert task.cancelled()  # never swallowed, never replaced
    assert writer.stats.points_written == 10


async def test_a_block_cancelled_while_the_server_is_down_reports_every_line(own_server, caplog):
    reported: list[tuple[list[bytes], InfluxDBError]] = []
    async with own_server.client(db="own") as client:
        await asyncio.to_thread(own_server.stop, keep_data=True)
        writer = client.batch_writer(
            batch_size=4,
            retry_for=60,
            backoff=0.01,
            max_backoff=0.05,
            grace=0.3,
            on_error=lambda batch, exc: reported.append((batch, exc)),
        )
        with pytest.raises(TimeoutError):
            await serve(writer, lines(0, 10), 0.1)
        # given up after the grace (the batches would be retried for 60 s): reported now
        (batch, error), *others = reported
        assert not others
        assert batch == [line.encode() for line in lines(0, 10)]
        assert "10 line(s) not sent: the batch writer was stopped (CancelledError)" in str(error)
        assert "cannot connect" in str(error)  # the last error says why
        (record,) = not_written_records(caplog)
        assert record.startswith(
            "the batch writer was stopped (CancelledError) with 10 line(s) not written: "
            "10 unsent when its grace of 0.3 s ended, passed to on_error"
        )
        assert (writer.pending, writer.in_flight, writer.stats.points_failed) == (0, 0, 10)
        with pytest.raises(InfluxDBBatchError) as info:
            await writer.close()  # a later close() raises them too
        assert [f.lines for f in info.value.failures] == [batch]


async def test_grace_zero_gives_up_at_once(client, caplog):
    reported = []
    writer = client.batch_writer(
        flush_interval=3600, grace=0, on_error=lambda batch, exc: reported.append(batch)
    )
    with pytest.raises(TimeoutError):
        await serve(writer, lines(0, 7), 0.1)
    assert writer.stats.points_written == 0
    assert reported == [[line.encode() for line in lines(0, 7)]]
    assert len(not_written_records(caplog)) == 1
    assert await count(client) == 0
    with pytest.raises(InfluxDBBatchError):
        await writer.close()


async def test_a_coroutine_on_error_is_awaited_before_the_cancellation_goes_on(client):
    saved: list[list[bytes]] = []

    async def save(batch: list[bytes], exc: InfluxDBError) -> None:
        await asyncio.sleep(0)  # a coroutine that awaits, as one writing to a file would
        saved.append(batch)

    writer = client.batch_writer(flush_interval=3600, grace=0, on_error=save)
    with pytest.raises(TimeoutError):
        await serve(writer, lines(0, 4), 0.1)
    assert saved == [[line.encode() for line in lines(0, 4)]]
    with pytest.raises(InfluxDBBatchError):
        await writer.close()


async def test_a_cancellation_while_the_block_exit_waits_is_a_stop_too(own_server, caplog):
    async with own_server.client(db="own") as client:
        await asyncio.to_thread(own_server.stop, keep_data=True)
        writer = client.batch_writer(retry_for=60, backoff=0.01, max_backoff=0.05, grace=0.2)

        async def write_and_leave() -> None:
            async with asyncio.timeout(0.3):
                async with writer:
                    await writer.write(lines(0, 5))
                # the block ended; its exit waits for the server until the timeout

        with pytest.raises(TimeoutError):
            await write_and_leave()
        (record,) = not_written_records(caplog)
        assert "with 5 line(s) not written" in record
        with pytest.raises(InfluxDBBatchError):
            await writer.close()


async def test_a_cancelled_close_still_keeps_the_lines_for_a_later_close(own_server, caplog):
    async with own_server.client(db="own") as client:
        writer = client.batch_writer(retry_for=120, backoff=0.05, max_backoff=0.2, grace=0)
        await asyncio.to_thread(own_server.stop, keep_data=True)
        await writer.write(lines(0, 25))
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await writer.close()  # not a stop: the waiting only ends
        assert not not_written_records(caplog)
        await asyncio.to_thread(own_server.start)
        await asyncio.wait_for(writer.close(), GUARD)  # failure guard
        assert await count(client) == 25


def interrupted(writer: BatchWriter, points: list[str]) -> None:
    """A blocking-mode block that writes ``points``, then gets Ctrl-C."""
    with writer:
        writer.write(points)
        raise KeyboardInterrupt


async def test_what_a_stop_reports_holds_no_secret(caplog):
    # a server that is gone: nothing listens on the port any more
    with InfluxDBServer() as server:
        port = server.port
    password = "pw-" + uuid.uuid4().hex
    reported: list[InfluxDBError] = []
    client = InfluxDBClient("127.0.0.1", port, db="d", username="admin", password=password)
    async with client:
        writer = client.batch_writer(
            retry_for=60, grace=0.2, on_error=lambda batch, exc: reported.append(exc)
        )
        with pytest.raises(TimeoutError):
            await serve(writer, lines(0, 3), 0.1)
        with pytest.raises(InfluxDBBatchError) as info:
            await writer.close()
    (error,) = reported
    assert "3 line(s) not sent" in str(error)
    basic = base64.b64encode(f"admin:{password}".encode()).decode()
    seen = [caplog.text, repr(info.value)]
    exc: BaseException | None = error
    while exc is not None:
        seen += [str(exc), repr(exc), repr(vars(exc))]
        exc = exc.__cause__ or exc.__context__
    for text in seen:
        assert password not in text
        assert basic not in text


def test_a_keyboard_interrupt_in_a_blocking_block_is_not_replaced(own_server, caplog):
    # the server is down: close() would retry for 60 s and raise InfluxDBBatchError; the
    # interrupt waits for the grace only, and goes on unchanged
    reported = []
    with own_server.client(db="own", mode="blocking") as client:
        own_server.stop(keep_data=True)
        writer = client.batch_writer(
            retry_for=60, grace=0.2, on_error=lambda batch, exc: reported.append(batch)
        )
        with pytest.raises(KeyboardInterrupt) as info:
            interrupted(writer, lines(0, 8))
        assert info.value.__context__ is None
        assert reported == [[line.encode() for line in lines(0, 8)]]
        (record,) = not_written_records(caplog)
        assert "stopped (KeyboardInterrupt) with 8 line(s) not written" in record
        with pytest.raises(InfluxDBBatchError):
            writer.close()


def test_a_keyboard_interrupt_in_a_blocking_block_sends_what_is_held(
    influxdb_server, influxdb_database
):
    with influxdb_server.client(db=influxdb_database, mode="blocking") as client:
        writer = client.batch_writer(flush_interval=3600)
        with pytest.raises(KeyboardInterrupt):
            interrupted(writer, lines(0, 300))
        assert writer.stats.points_written == 300
        resp = client.query("SELECT count(v) FROM m")
    assert resp["results"][0]["series"][0]["values"][0][1] == 300


# -- a writer never closed: counts that agree, advice that works ---------------------------


def test_a_writer_whose_loop_ends_mid_send_counts_its_lines_and_says_so(own_server, caplog):
    async def main() -> BatchWriter:
        # the client is left open: asyncio.run() closes its session with the loop (closing
        # it here would end the requests in flight first)
        client = own_server.client(db="own")
        writer = client.batch_writer(batch_size=50, flush_interval=3600)
        # the server answers nothing more: batches stay in flight as the loop ends
        os.kill(own_server.pid, signal.SIGSTOP)
        await writer.write(lines(0, 120))
        await eventually(lambda: writer.in_flight == 2)
        await asyncio.sleep(0)  # their tasks have taken their first step: sending
        return writer

    try:
        writer = asyncio.run(main())
    finally:
        os.kill(own_server.pid, signal.SIGCONT)
    # the loop's end cancelled the sends: their lines are counted again, not lost from view
    assert (writer.pending, writer.in_flight) == (120, 0)
    (record,) = not_written_records(caplog)
    assert "cancelled with 120 line(s) not written" in record
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del writer
        gc.collect()
    (message,) = [str(w.message) for w in caught if w.category is ResourceWarning]
    assert "pending=120 in_flight=0" in message
    assert "120 line(s) were never written (120 queued)" in message
    assert "inside the coroutine that asyncio.run() runs" in message


# -- write() options are options -----------------------------------------------------------


async def test_write_options_choose_the_destination_and_never_become_tags(client, influxdb_server):
    other = f"other_{uuid.uuid4().hex[:8]}"
    now = time.time_ns()  # within the retention policy of a week
    influxdb_server.request(f'CREATE DATABASE "{other}"')
    influxdb_server.request(
        f'CREATE RETENTION POLICY "week" ON "{other}" DURATION 7d REPLICATION 1'
    )
    try:
        async with client.batch_writer(flush_interval=3600) as writer:
            await writer.write(lines(0, 3))
            await writer.write(["m,s=x v=10i 10"], db=other, precision="s")
            await writer.write([f"m,s=x v=20i {now}"], db=other, rp="week", consistency="one")
        assert await count(client) == 3
        stored = await client.query("SELECT * FROM m", db=other, epoch="s")
        assert stored["results"][0]["series"][0]["columns"] == ["time", "s", "v"]  # no db tag
        assert stored["results"][0]["series"][0]["values"] == [[10, "x", 10]]
        in_week = await client.query('SELECT * FROM "week".m', db=other, epoch="ns")
        assert in_week["results"][0]["series"][0]["values"] == [[now, "x", 20]]
    finally:
        influxdb_server.request(f'DROP DATABASE "{other}"')


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"precision": "sec"}, ValueError, "precision must be one of"),
        ({"consistency": "most"}, ValueError, "consistency must be one of"),
        ({"db": 5}, TypeError, "db must be a str or None, got 5"),
        ({"rp": ""}, ValueError, "rp must be a name or None, got ''"),
        (
            {"tag_columns": "mydb"},  # writer.write(data, 'm', 'mydb'), as client.write()
            TypeError,
            r"tag_columns must be a list of column names, got 'mydb': .* \(db='mydb'\)",
        ),
        ({"gzip": True}, TypeError, r"write\(\) got gzip=True: compression is the writer's"),
        ({"progress": True}, TypeError, r"write\(\) got progress=True: the writer reports"),
        (
            {"batch_size": 10},
            TypeError,
            r"batch_size is an option of the writer: client.batch_writer\(batch_size=...\); "
            "a tag named 'batch_size' goes in the points' own tags",
        ),
    ],
)
async def test_bad_write_options_are_refused_and_queue_nothing(client, options, error, message):
    async with client.batch_writer() as writer:
        with pytest.raises(error, match=message):
            await writer.write(lines(0, 3), **options)
        assert writer.pending == 0
    assert await count(client) == 0


# -- real processes stopped with SIGINT ----------------------------------------------------


def start_child(
    mode: str, server: InfluxDBServer, db: str, limit: int, grace: float, **env: str
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), **env}
    return subprocess.Popen(
        [sys.executable, str(CHILD), mode, str(server.port), db, str(limit), str(grace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def interrupt_when_ready(child: subprocess.Popen[str], at_least: int) -> tuple[int, str, str]:
    """Read ``ready N`` lines until ``N >= at_least``, send SIGINT, let the child end; the
    last N it printed (write() had returned for N readings), its stdout and its stderr."""
    assert child.stdout is not None
    ready = 0
    for line in child.stdout:
        ready = int(line.split()[1])
        if ready >= at_least:
            break
    else:
        raise AssertionError(f"the child ended early: {finish(child)}")
    child.send_signal(signal.SIGINT)
    out, err = finish(child)
    for line in out.split():
        if line.isdigit():
            ready = int(line)
    return ready, out, err


def stored(server: InfluxDBServer, db: str) -> tuple[int, int]:
    """How many readings are stored, and the highest time among them plus one."""
    with server.client(db=db, mode="blocking") as client:
        resp = client.query("SELECT count(v), max(v) FROM reading")
    series = resp["results"][0].get("series")
    if not series:
        return 0, 0
    _, number, highest = series[0]["values"][0]
    return number, highest + 1


@pytest.mark.parametrize("mode", ["async", "blocking"])
def test_a_service_interrupted_with_sigint_stores_every_reading_it_acknowledged(
    influxdb_server, influxdb_database, mode
):
    child = start_child(mode, influxdb_server, influxdb_database, 0, 5)
    ready, _, err = interrupt_when_ready(child, 4500)
    assert child.returncode == -signal.SIGINT, err  # the interrupt went on: not swallowed
    assert "KeyboardInterrupt" in err
    assert "not written" not in err
    number, highest = stored(influxdb_server, influxdb_database)
    assert number == highest  # readings 0 to highest - 1: none missing
    if mode == "async":
        # the cancellation lands at an await: every acknowledged reading was printed
        assert number == ready
    else:
        # Ctrl-C may land between a write() that returned and its print
        assert number in (ready, ready + 100)


def interrupt_with_server_gone(child: subprocess.Popen[str], server: InfluxDBServer) -> None:
    """Once ``child`` printed ``ready 4500`` (write() returned for 4500 readings), stop
    ``server`` (keeping its data) and send the child SIGINT."""
    assert child.stdout is not None
    for line in child.stdout:
        if line == "ready 4500\n":
            break
    server.stop(keep_data=True)
    child.send_signal(signal.SIGINT)


@pytest.mark.parametrize("mode", ["async", "blocking"])
def test_a_service_whose_server_is_gone_says_how_many_lines_it_lost(own_server, mode):
    child = start_child(mode, own_server, "own", 4500, 0.5)
    interrupt_with_server_gone(child, own_server)
    _, err = finish(child)
    assert child.returncode == -signal.SIGINT, err
    # the ERROR record reaches stderr with no logging set up in the child
    assert (
        "the batch writer was stopped (CancelledError) with 4500 line(s) not written"
        if mode == "async"
        else "the batch writer was stopped (KeyboardInterrupt) with 4500 line(s) not written"
    ) in err, err


@pytest.mark.parametrize("mode", ["async", "blocking"])
def test_a_second_sigint_ends_the_grace_at_once_and_still_reports(own_server, mode):
    # a grace of an hour: the child ends within the guard only if the second Ctrl-C ends it
    child = start_child(mode, own_server, "own", 4500, 3600, DEBUG="1")
    assert child.stderr is not None
    interrupt_with_server_gone(child, own_server)
    for line in child.stderr:  # the writer is in its grace: retrying the lines it holds
        if "retry in" in line:
            break
    child.send_signal(signal.SIGINT)
    _, err = finish(child)
    assert child.returncode == -signal.SIGINT, err
    assert "with 4500 line(s) not written: 4500 unsent when its grace of 3600 s ended" in err


# -- a blocking-mode writer the script never closed -------------------------------------------

FORGETFUL = """
import sys
from aioinflux import InfluxDBClient

port, db = int(sys.argv[1]), sys.argv[2]
client = InfluxDBClient("127.0.0.1", port, db=db, mode="blocking")
writer = client.batch_writer(flush_interval=3600, grace=float(sys.argv[3]))
for start in range(0, 4500, 100):
    writer.write([f"reading,sensor=s1 v={i}i {i}" for i in range(start, start + 100)])
print("ready 4500", flush=True)
if sys.argv[4] == "wait":
    sys.stdin.readline()  # the test stops the server first
# the script ends here: neither writer.close() nor client.close()
"""


def run_forgetful(server: InfluxDBServer, db: str, grace: float, wait: bool):
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            FORGETFUL,
            str(server.port),
            db,
            str(grace),
            "wait" if wait else "-",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    return child


def test_a_blocking_writer_never_closed_sends_what_it_holds_at_interpreter_exit(
    influxdb_server, influxdb_database
):
    child = run_forgetful(influxdb_server, influxdb_database, 5, wait=False)
    out, err = child.communicate(timeout=GUARD)
    assert child.returncode == 0, err
    assert out == "ready 4500\n"
    assert "not written" not in err
    assert stored(influxdb_server, influxdb_database) == (4500, 4500)


def test_a_blocking_writer_never_closed_says_at_exit_what_it_could_not_send(own_server):
    child = run_forgetful(own_server, "own", 0.5, wait=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "ready 4500\n"
    own_server.stop(keep_data=True)
    _, err = child.communicate("go\n", timeout=GUARD)
    assert child.returncode == 0, err
    # the ERROR record reaches stderr with no logging set up in the child
    assert (
        "the batch writer was stopped (the interpreter exited) with 4500 line(s) not written" in err
    ), err
