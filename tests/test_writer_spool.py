"""The batch writer with a spool: what write() accepted survives the process being killed.

Real servers throughout (stopped and started again by the tests), real processes killed with
SIGKILL; a small local server only to hold a request open (to fill the spool) on demand.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_writer import Held, count, eventually, lines
from test_writer_stopping import finish, interrupt_with_server_gone, serve, start_child

from aioinflux import InfluxDBClient
from aioinflux._spool import SpoolInUse, encode_record
from aioinflux.serialization.lines import Lines
from aioinflux.testing import InfluxDBServer

pytestmark = pytest.mark.server

#: a failure guard only (a child that never ends fails the test instead of hanging it)
GUARD = 60


@pytest.fixture
def own_server() -> Iterator[InfluxDBServer]:
    """A real server of this test only, which the test may stop and start again."""
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "own"')
        yield server


def stored(server: InfluxDBServer, q: str = 'SELECT count("v") FROM "m"') -> int:
    series = server.request(q, db="own")["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def drain(server: InfluxDBServer, spool: Path) -> None:
    """Open a writer on ``spool`` and close it: it sends what the spool holds."""

    async def reopen() -> None:
        async with server.client(db="own") as client, client.batch_writer(spool=spool):
            pass

    asyncio.run(reopen())


def segments(spool: Path) -> list[Path]:
    return sorted(spool.glob("*.seg"))


async def test_lines_leave_the_spool_once_stored(own_server, tmp_path):
    spool = tmp_path / "spool"
    async with own_server.client(db="own") as client:
        writer = client.batch_writer(spool=spool, flush_interval=3600, batch_size=1000)
        async with writer:
            await writer.write(lines(0, 250))
            assert (writer.stats.spooled_lines, writer.pending) == (250, 250)
            assert writer.stats.spooled_bytes == sum(p.stat().st_size for p in segments(spool))
            assert f"spool={str(spool)!r}" in repr(writer)
            assert "spooled_lines=250" in repr(writer)
        assert (writer.stats.points_written, writer.stats.spooled_lines) == (250, 0)
        assert await count(client) == 250
    assert segments(spool) == []  # nothing left: the files go


async def test_one_writer_per_spool(own_server, tmp_path):
    async with own_server.client(db="own") as client:
        async with client.batch_writer(spool=tmp_path) as writer:
            with pytest.raises(SpoolInUse, match="in use by another batch writer of this process"):
                client.batch_writer(spool=tmp_path)
            await writer.write(lines(0, 3))
        async with client.batch_writer(spool=tmp_path) as again:  # closed: free again
            await again.write(lines(3, 5))
        assert await count(client) == 5


def test_options_are_checked(own_server, tmp_path):
    client = own_server.client(db="own")
    with pytest.raises(ValueError, match="spool_max_bytes must be a positive integer"):
        client.batch_writer(spool=tmp_path, spool_max_bytes=0)
    with pytest.raises(TypeError, match="spool must be a directory"):
        client.batch_writer(spool=3)


WRITER = """
    import asyncio, sys
    from aioinflux import InfluxDBClient

    async def main(port, spool, n):
        async with InfluxDBClient("127.0.0.1", port, db="own") as client:
            writer = client.batch_writer(
                spool=spool, flush_interval=0.05, retry_for=3600, backoff=0.05, max_backoff=0.2
            )
            for i in range(n):
                # every other point without a timestamp: stamped when accepted
                await writer.write(f"m,s=x v={i}i {i}" if i % 2 else f"m,s=x v={i}i")
                print(i + 1, flush=True)  # only once write() returned
            await asyncio.Event().wait()  # killed here, holding all of them

    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
"""


def test_what_write_accepted_survives_sigkill(own_server, tmp_path, caplog):
    spool = tmp_path / "spool"
    n = 300
    own_server.stop(keep_data=True)  # the server is down: nothing can be sent
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(own_server.port), str(spool), str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    with child:
        assert child.stdout is not None
        accepted = 0
        while accepted < n:
            accepted = int(child.stdout.readline())
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=GUARD)
    assert child.returncode == -signal.SIGKILL
    own_server.start()
    caplog.set_level(logging.WARNING, logger="aioinflux")
    drain(own_server, spool)
    assert any(f"{n} line(s) left by a previous writer" in r.getMessage() for r in caplog.records)
    assert stored(own_server) == n  # one point per line: each at a time of its own
    stamped = 'SELECT count("v") FROM "m" WHERE time > 1000000000'
    assert stored(own_server, stamped) == n // 2  # those without one: when accepted
    assert segments(spool) == []


async def test_a_stopped_writer_keeps_what_it_could_not_send_for_the_next(
    own_server, tmp_path, caplog
):
    spool = tmp_path / "spool"
    await asyncio.to_thread(own_server.stop, keep_data=True)
    async with own_server.client(db="own") as client:
        writer = client.batch_writer(spool=spool, grace=0, retry_for=3600, backoff=0.05)
        with pytest.raises(TimeoutError):
            await serve(writer, lines(0, 100), 0.3)
    kept = [r for r in caplog.records if "kept in its spool" in r.getMessage()]
    assert len(kept) == 1
    assert kept[0].levelno == logging.WARNING
    assert "100 line(s) not written" in kept[0].getMessage()
    assert writer.stats.points_failed == 0  # not failed: kept
    await asyncio.to_thread(own_server.start)
    async with own_server.client(db="own") as client:
        async with client.batch_writer(spool=spool) as again:
            assert again.stats.spooled_lines == 100
        assert await count(client) == 100


async def test_recovered_lines_go_first_and_a_torn_record_is_skipped(own_server, tmp_path, caplog):
    spool = tmp_path / "spool"
    spool.mkdir()
    first = encode_record(0, ("own", None, None, None), Lines.of([b"m v=1i 1", b"m v=2i 2"]))
    torn = encode_record(2, ("own", None, None, None), Lines.of([b"m v=3i 3"]))[:-3]
    (spool / f"{0:020d}.seg").write_bytes(first + torn)
    caplog.set_level(logging.WARNING, logger="aioinflux")
    async with own_server.client(db="own") as client:
        async with client.batch_writer(spool=spool) as writer:
            await writer.write(["m v=4i 4"])
        resp = await client.query('SELECT "v" FROM "m"', epoch="ns")
    assert [row[1] for row in resp["results"][0]["series"][0]["values"]] == [1, 2, 4]
    assert any("not a whole record" in r.getMessage() for r in caplog.records)
    assert writer.stats.points_written == 3


async def test_write_waits_while_the_spool_is_full(fault_server, tmp_path):
    held = Held()
    bodies, release = held.bodies, held.release
    port = await fault_server(held.handle)
    async with InfluxDBClient("127.0.0.1", port, db="d") as client:
        writer = client.batch_writer(
            spool=tmp_path, spool_max_bytes=600, batch_size=10, max_in_flight=1
        )
        await writer.write(lines(0, 10))
        await eventually(lambda: writer.in_flight == 1 and len(bodies) == 1)
        while writer.stats.spooled_bytes + 200 < 600:
            await writer.write(lines(10, 12))
        full = writer.stats.spooled_lines
        blocked = asyncio.ensure_future(writer.write(lines(100, 200)))
        done, _ = await asyncio.wait({blocked}, timeout=0.3)
        assert not done, "write() should wait while the spool is full"
        assert writer.stats.spooled_lines == full
        release.set()
        await blocked
        await writer.close()
    assert writer.stats.points_written == full + 100
    assert len(b"\n".join(bodies).split(b"\n")) == full + 100


FULL_DISK = """
    import asyncio, errno, os, resource, signal, sys
    from aioinflux import InfluxDBClient

    async def main(port, spool):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))
        async with InfluxDBClient("127.0.0.1", port, db="own") as client:
            writer = client.batch_writer(spool=spool, retry_for=3600, grace=0)
            accepted = 0
            try:
                while True:
                    await writer.write([f"m,s=x v={accepted + k}i {accepted + k}" for k in range(20)])
                    accepted += 20
            except OSError as exc:
                print(accepted, exc.errno == errno.EFBIG, exc, flush=True)
            os._exit(0)  # the process ends there, its writer never closed

    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""


def test_a_full_disk_refuses_the_write_and_keeps_what_was_accepted(own_server, tmp_path):
    spool = tmp_path / "spool"
    own_server.stop(keep_data=True)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FULL_DISK), str(own_server.port), str(spool)],
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    accepted, efbig, message = done.stdout.split(" ", 2)
    assert efbig == "True"
    assert "could not take the 20 line(s) of this write, so none of them was accepted" in message
    own_server.start()
    drain(own_server, spool)
    assert stored(own_server) == int(accepted)


def test_blocking_mode(own_server, tmp_path):
    client = own_server.client(db="own", mode="blocking")
    with client, client.batch_writer(spool=tmp_path, flush_interval=3600) as writer:
        writer.write(lines(0, 50))
        assert writer.stats.spooled_lines == 50
    assert (writer.stats.points_written, writer.stats.spooled_lines) == (50, 0)
    assert stored(own_server) == 50


@pytest.mark.parametrize("mode", ["async", "blocking"])
def test_a_service_interrupted_while_its_server_is_gone_keeps_its_readings(
    own_server, tmp_path, mode
):
    spool = tmp_path / "spool"
    child = start_child(mode, own_server, "own", 4500, 0.5, SPOOL=str(spool))
    interrupt_with_server_gone(child, own_server)
    _, err = finish(child)
    assert child.returncode == -signal.SIGINT, err  # the interrupt went on
    # the WARNING reaches stderr with no logging set up in the child
    assert "with 4500 line(s) not written: they are kept in its spool" in err, err
    own_server.start()
    drain(own_server, spool)
    assert stored(own_server, 'SELECT count("v") FROM "reading"') == 4500
