"""aioinflux.testing: throwaway servers start, serve, and leave nothing behind."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from aioinflux import testing
from aioinflux.testing import InfluxDBServer, find_influxd

pytestmark = pytest.mark.server


def test_server_starts_serves_and_cleans_up():
    server = InfluxDBServer()
    assert "stopped" in repr(server)
    with server:
        pid, directory = server.pid, server._dir
        assert pid is not None
        assert directory is not None
        assert directory.exists()
        assert f"pid={pid}" in repr(server)
        assert server.request("SHOW DATABASES")["results"][0]["statement_id"] == 0
        with server.client(mode="blocking") as client:
            assert client.ping()["X-Influxdb-Build"] == "OSS"
    assert server.pid is None
    assert not directory.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    server.stop()  # idempotent


def test_two_servers_side_by_side():
    with InfluxDBServer() as first, InfluxDBServer() as second:
        assert first.port != second.port
        first.request('CREATE DATABASE "only_on_first"')
        series = second.request("SHOW DATABASES")["results"][0]["series"][0]
        assert ["only_on_first"] not in series.get("values", [])
        series = first.request("SHOW DATABASES")["results"][0]["series"][0]
        assert ["only_on_first"] in series["values"]


def test_settings_reach_influxd():
    with InfluxDBServer(settings={"INFLUXDB_HTTP_MAX_ROW_LIMIT": "3"}) as server:
        server.request('CREATE DATABASE "d"')
        with server.client(db="d", mode="blocking") as client:
            client.write([f"m v={i} {i}" for i in range(10)])
        # a plain (non-chunked) query is cut; the client's are not (test_query_results.py)
        series = server.request("SELECT v FROM m", db="d")["results"][0]["series"][0]
    assert len(series["values"]) == 3
    assert series["partial"] is True


def test_auth_server_requires_credentials(influxdb_auth_server):
    with pytest.raises(RuntimeError, match="401"):
        influxdb_auth_server.request("SHOW DATABASES", admin=False)
    users = influxdb_auth_server.request("SHOW USERS")["results"][0]["series"][0]["values"]
    assert users == [["admin", True]]


def test_database_fixture_gives_a_fresh_database(influxdb_server, influxdb_database):
    resp = influxdb_server.request("SHOW DATABASES")
    assert [influxdb_database] in resp["results"][0]["series"][0]["values"]
    assert (
        "series"
        not in influxdb_server.request("SHOW MEASUREMENTS", db=influxdb_database)["results"][0]
    )


def test_missing_influxd_is_an_error_not_a_skip(monkeypatch):
    monkeypatch.delenv("AIOINFLUX_INFLUXD", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeError, match=r"influxd \(InfluxDB 1.x\) was not found: install it"):
        find_influxd()


# -- nothing left behind, whatever fails ---------------------------------------------------


@pytest.fixture
def tmpdir_of_servers(tmp_path, monkeypatch):
    """Servers make their directories here: whatever is left in it was left behind."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def influxd_processes_in(directory):
    """Pids of live processes running with their data under ``directory`` (read from /proc:
    the processes' environments name their data directories)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if f"INFLUXDB_META_DIR={directory}".encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


def assert_nothing_left(server, directory):
    assert server.pid is None
    assert list(directory.iterdir()) == []
    assert influxd_processes_in(directory) == []
    assert server._watcher is None


def fake_influxd(tmp_path, script):
    path = tmp_path / "bin" / "influxd"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return str(path)


def test_a_missing_binary_is_named(monkeypatch, tmpdir_of_servers):
    monkeypatch.setenv("AIOINFLUX_INFLUXD", "/nonexistent/influxd")
    server = InfluxDBServer()
    with pytest.raises(
        RuntimeError, match=r"AIOINFLUX_INFLUXD is '/nonexistent/influxd', which is not a file"
    ):
        server.start()
    assert_nothing_left(server, tmpdir_of_servers)


def test_a_binary_that_is_not_executable_is_named(monkeypatch, tmp_path, tmpdir_of_servers):
    path = tmp_path / "influxd"
    path.write_text("not a program")
    monkeypatch.setenv("AIOINFLUX_INFLUXD", str(path))
    with pytest.raises(RuntimeError, match=r"influxd', which is not executable"):
        InfluxDBServer().start()


def test_a_server_that_exits_at_once_gives_its_exit_code_and_log(
    monkeypatch, tmp_path, tmpdir_of_servers
):
    influxd = fake_influxd(tmp_path, 'echo "run: open server: cannot open meta" >&2\nexit 3\n')
    monkeypatch.setenv("AIOINFLUX_INFLUXD", influxd)
    server = InfluxDBServer()
    with pytest.raises(RuntimeError) as info:
        server.start()
    assert str(info.value) == (
        f"influxd ({influxd}) exited with code 3 before answering /ping; the end of its "
        "log:\nrun: open server: cannot open meta"
    )
    assert_nothing_left(server, tmpdir_of_servers)


def test_a_server_that_exits_silently_says_so(monkeypatch, tmpdir_of_servers):
    monkeypatch.setenv("AIOINFLUX_INFLUXD", "/bin/false")
    server = InfluxDBServer()
    with pytest.raises(
        RuntimeError,
        match=r"^influxd \(/bin/false\) exited with code 1 before answering /ping; it logged "
        r"nothing$",
    ):
        server.start()
    assert_nothing_left(server, tmpdir_of_servers)


def test_a_server_that_never_answers_is_stopped(monkeypatch, tmp_path, tmpdir_of_servers):
    influxd = fake_influxd(tmp_path, "echo listening nowhere\nexec sleep 600\n")
    monkeypatch.setenv("AIOINFLUX_INFLUXD", influxd)
    monkeypatch.setattr(testing, "START_TIMEOUT", 0.3)
    server = InfluxDBServer()
    with pytest.raises(RuntimeError, match=r"did not answer /ping in 0.3 s .*\nlistening nowhere"):
        server.start()
    assert_nothing_left(server, tmpdir_of_servers)


def test_https_without_openssl_is_named(monkeypatch, tmp_path, tmpdir_of_servers):
    monkeypatch.setenv("AIOINFLUX_INFLUXD", find_influxd())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    server = InfluxDBServer(https=True)
    with pytest.raises(
        RuntimeError,
        match=r"https=True needs the openssl command, to make a self-signed certificate; "
        r"it was not found on PATH",
    ):
        server.start()
    assert_nothing_left(server, tmpdir_of_servers)


def test_a_failure_to_create_the_admin_stops_the_server(tmpdir_of_servers):
    server = InfluxDBServer(auth=True)
    server.password = "it's"  # the quote breaks the CREATE USER statement on the server
    with pytest.raises(
        RuntimeError,
        match=r"influxd started, but creating its admin user failed: .* failed on the test "
        r"server \(400\): .*error parsing query",
    ):
        server.start()
    assert_nothing_left(server, tmpdir_of_servers)


def test_a_normal_stop_ends_the_watcher_too(tmpdir_of_servers):
    with InfluxDBServer() as server:
        watcher = server._watcher
        assert watcher is not None
        assert watcher.poll() is None
        assert influxd_processes_in(tmpdir_of_servers) == [server.pid]
    assert watcher.poll() == 0
    assert_nothing_left(server, tmpdir_of_servers)


def wait_for_exit(pid):
    """Return once process ``pid`` has exited (a pidfd is readable then), or it is gone."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([fd], [], [], 30)
        assert ready, f"process {pid} still runs"
    finally:
        os.close(fd)


HANGING_TEST = """
import sys

def test_hang(influxdb_server):
    server = influxdb_server
    print("READY", server.pid, server._watcher.pid, server._dir, flush=True)
    sys.stdin.read()  # until the test run is killed
"""


def documented_pytest_ini():
    """The pytest settings docs/testing.rst recommends, as written there."""
    page = (Path(__file__).parent.parent / "docs" / "testing.rst").read_text()
    block = page.split(".. code-block:: ini\n\n", 1)[1].split("\n\n", 1)[0]
    return textwrap.dedent(block) + "\n"


#: the documented settings, and every warning an error: pytest-asyncio must not warn
PYTEST_INI = documented_pytest_ini() + "filterwarnings = error\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_test_run_leaves_no_server_and_no_directory(tmp_path, sig):
    (tmp_path / "test_hang.py").write_text(HANGING_TEST)
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    command = [sys.executable, "-m", "pytest", "-s", "-q", "-p", "aioinflux.testing"]
    with subprocess.Popen(
        [*command, "test_hang.py"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as run:
        assert run.stdout is not None
        for line in run.stdout:
            if line.startswith(b"READY"):
                break
        else:
            pytest.fail(f"the test run ended early: {run.stderr.read().decode()}")
        _, pid, watcher, directory = line.decode().split()
        assert Path(directory).is_dir()
        assert influxd_processes_in(directory) == [int(pid)]
        run.send_signal(sig)
        assert run.wait() == -sig
    wait_for_exit(int(pid))
    wait_for_exit(int(watcher))  # it removes the directory, then exits
    assert influxd_processes_in(directory) == []
    assert not Path(directory).exists()


# -- fixtures without traps -----------------------------------------------------------------

TESTS_STOPPING_THE_SHARED_SERVER = """
import pytest

ports = []


@pytest.mark.parametrize("keep_data", [False, True])
def test_stop_the_shared_server(influxdb_server, influxdb_database, keep_data):
    ports.append(influxdb_server.port)
    influxdb_server.stop(keep_data=keep_data)


async def test_the_next_test_finds_it_running(influxdb_server, influxdb_database):
    assert influxdb_server.running
    assert ports == [influxdb_server.port] * 2  # the same port each time
    async with influxdb_server.client(db=influxdb_database) as client:
        await client.write("m v=1i 1")
        resp = await client.query("SELECT v FROM m")
    assert resp["results"][0]["series"][0]["values"] == [[1, 1]]
    databases = influxdb_server.request("SHOW DATABASES")["results"][0]["series"][0]["values"]
    assert databases == [[influxdb_database]]  # the databases of the earlier tests: dropped
"""


def test_a_test_that_stops_the_shared_server_does_not_break_the_next(tmp_path):
    (tmp_path / "test_stopping.py").write_text(TESTS_STOPPING_THE_SHARED_SERVER)
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "aioinflux.testing", "test_stopping.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
    assert "warning" not in done.stdout.lower()  # the documented settings: no deprecation


async def test_the_client_of_a_unix_socket_server_uses_the_socket(influxdb_unix_server):
    # port 9 is closed: the request can only succeed over the socket
    async with influxdb_unix_server.client(port=9) as client:
        assert client.unix_socket == influxdb_unix_server.unix_socket
        assert "X-Influxdb-Version" in await client.ping()
        resp = await client.query("SHOW DATABASES")
    assert resp["results"][0]["statement_id"] == 0


def test_a_server_that_died_is_started_again_by_the_fixture_guard(tmpdir_of_servers):
    with InfluxDBServer() as server:
        server.request('CREATE DATABASE "kept"')
        port, first = server.port, server._process
        first.kill()  # influxd crashes
        first.wait()
        assert not server.running
        server._revive()
        assert server.running
        assert server.port == port
        databases = server.request("SHOW DATABASES")["results"][0]["series"][0]["values"]
        assert ["kept"] in databases  # a crash keeps the data: the same directory
    assert_nothing_left(server, tmpdir_of_servers)


def test_start_after_stop_reuses_the_ports_or_takes_new_ones_when_taken(tmpdir_of_servers):
    server = InfluxDBServer()
    with server:
        port = server.port
    with server:  # a plain stop() and start(): fresh data, the same port while it is free
        assert server.port == port
    taken = socket.socket()
    taken.bind(("127.0.0.1", port))  # another process takes it meanwhile
    taken.listen()
    try:
        with server:
            assert server.port != port
            assert server.request("SHOW DATABASES")["results"][0]["statement_id"] == 0
            assert "address already in use" in server.log_tail(100)  # the first attempt's
    finally:
        taken.close()
    assert_nothing_left(server, tmpdir_of_servers)
