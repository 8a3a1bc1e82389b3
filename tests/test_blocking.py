"""Blocking mode: scripts, after asyncio.run(), inside a running loop, threads, Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiohttp import web

from aioinflux import InfluxDBClient, blocking

pytestmark = pytest.mark.server


def run_script(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as a plain script, turning every warning into an error."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_plain_script_without_an_event_loop(influxdb_server):
    out = run_script(f"""
        from aioinflux import InfluxDBClient
        client = InfluxDBClient(port={influxdb_server.port}, mode="blocking", db="script_db")
        client.query('CREATE DATABASE "script_db"')
        for i in range(3):
            assert client.write(f"m v={{i}}i {{i}}") is True
        print(client.query("SELECT v FROM m")["results"][0]["series"][0]["values"])
        client.query('DROP DATABASE "script_db"')
        client.close()
        assert client.closed
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[[0, 0], [1, 1], [2, 2]]"


def test_script_after_asyncio_run(influxdb_server):
    out = run_script(f"""
        import asyncio
        from aioinflux import InfluxDBClient

        async def elsewhere():
            await asyncio.sleep(0)

        asyncio.run(elsewhere())
        client = InfluxDBClient(port={influxdb_server.port})
        print(asyncio.run(client.ping())["X-Influxdb-Build"])    # async mode, own loop
        client.mode = "blocking"
        print(client.ping()["X-Influxdb-Build"])                  # then blocking
        asyncio.run(elsewhere())
        print(client.query("SHOW DATABASES")["results"][0]["statement_id"])
        client.close()
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["OSS", "OSS", "0"]


async def test_blocking_inside_a_running_loop(influxdb_server, influxdb_database):
    # This coroutine runs in the test's event loop, as a Jupyter cell does.
    asyncio.get_running_loop()
    client = influxdb_server.client(db=influxdb_database, mode="blocking")
    assert client.write("m v=1 1") is True
    resp = client.query("SELECT v FROM m")
    assert resp["results"][0]["series"][0]["values"] == [[1, 1.0]]
    client.mode = "async"
    assert (await client.ping())["X-Influxdb-Build"] == "OSS"
    await client.close()
    assert client.closed


def test_mode_switching_on_one_client(influxdb_server, influxdb_database):
    client = influxdb_server.client(db=influxdb_database, mode="blocking")
    assert client.write("m v=1 1")

    async def in_async_mode():
        client.mode = "async"
        await client.write("m v=2 2")
        return await client.query("SELECT v FROM m")

    resp = asyncio.run(in_async_mode())
    assert resp["results"][0]["series"][0]["values"] == [[1, 1.0], [2, 2.0]]
    client.mode = "blocking"
    assert client.query("SELECT count(v) FROM m")["results"][0]["series"][0]["values"] == [[0, 2]]
    client.close()


def test_one_blocking_client_shared_by_threads(influxdb_server, influxdb_database):
    with influxdb_server.client(db=influxdb_database, mode="blocking") as client:
        client.write([f"m,t=t{i} v={i}i {i}" for i in range(8)])

        def work(i: int) -> list[int]:
            return [
                client.query("SELECT v FROM m WHERE t = $t", params={"t": f"t{i}"})["results"][0][
                    "series"
                ][0]["values"][0][1]
                for _ in range(20)
            ]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(work, range(8)))
    assert results == [[i] * 20 for i in range(8)]
    assert client.closed


def test_chunked_query_in_blocking_mode_is_a_lazy_iterator(influxdb_server, influxdb_database):
    with influxdb_server.client(db=influxdb_database, mode="blocking") as client:
        client.write([f"m v={i}i {i}" for i in range(5)])
        chunks = client.query("SELECT v FROM m", chunked=True, chunk_size=2)
        assert isinstance(chunks, Iterator)
        first = next(chunks)
        assert first["results"][0]["series"][0]["values"] == [[0, 0], [1, 1]]
        rest = [c["results"][0]["series"][0]["values"] for c in chunks]
        assert rest == [[[2, 2], [3, 3]], [[4, 4]]]


def test_blocking_call_from_the_private_loop_thread_is_refused(influxdb_server):
    client = influxdb_server.client(mode="blocking")

    async def callback_that_blocks():
        return client.ping()

    with pytest.raises(RuntimeError, match="from aioinflux's own event-loop thread"):
        blocking.run(callback_that_blocks())
    client.close()


def test_no_deprecation_warnings_from_asyncio(influxdb_server):
    out = run_script(f"""
        import warnings
        from aioinflux import InfluxDBClient
        with InfluxDBClient(port={influxdb_server.port}, mode="blocking") as client:
            client.ping()
    """)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""


async def test_ctrl_c_interrupts_a_blocking_call(fault_server):
    arrived = asyncio.Event()
    disconnected = asyncio.Event()

    async def never_answers(request: web.Request) -> web.StreamResponse:
        arrived.set()
        try:
            await asyncio.Event().wait()
        finally:
            disconnected.set()
        raise AssertionError("unreachable")

    port = await fault_server(never_answers)
    code = textwrap.dedent(f"""
        import signal, sys
        # as in an interactive terminal: a process started in the background (CI, nohup)
        # inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from aioinflux import InfluxDBClient
        client = InfluxDBClient(port={port}, mode="blocking")
        try:
            client.query("SHOW DATABASES")
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        sys.stdin.readline()  # stay alive until the test has seen the request go away
    """)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        await asyncio.wait_for(arrived.wait(), 30)
        os.kill(proc.pid, signal.SIGINT)
        assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"interrupted\n"
        # The request was cancelled, not left running in the background: the server sees
        # the connection go while the process is still alive.
        await asyncio.wait_for(disconnected.wait(), 30)
        assert proc.returncode is None
        proc.stdin.write(b"\n")
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_same_client_after_fork_in_child(influxdb_server):
    if not hasattr(os, "fork"):
        pytest.fail("this platform has no fork(); the test suite targets Linux")
    out = run_script(f"""
        import os
        from aioinflux import InfluxDBClient
        client = InfluxDBClient(port={influxdb_server.port}, mode="blocking")
        client.ping()
        pid = os.fork()
        if pid == 0:
            child = InfluxDBClient(port={influxdb_server.port}, mode="blocking")
            ok = child.ping()["X-Influxdb-Build"] == "OSS"
            child.close()
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        client.close()
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


def test_blocking_client_in_a_with_block_is_closed(influxdb_server):
    with InfluxDBClient(port=influxdb_server.port, mode="blocking") as client:
        client.ping()
        assert not client.closed
    assert client.closed
