"""Throwaway, real InfluxDB 1.x servers for tests: ours and our users'.

``InfluxDBServer`` starts ``influxd`` on 127.0.0.1 with free ports and a temporary directory,
waits until ``/ping`` answers, and stops it (by the pid it started, never by name), removing
the directory. It can require authentication (an admin user is created), listen on a unix
socket too, and serve HTTPS with a self-signed certificate made on the spot by ``openssl``.

With pytest, ``pytest_plugins = ["aioinflux.testing"]`` in a ``conftest.py`` provides the
fixtures ``influxdb_server``, ``influxdb_auth_server``, ``influxdb_unix_server``,
``influxdb_https_server`` (one server per test session each, started on first use; one a
test stopped, or that died, is started again after that test, on the same port) and
``influxdb_database`` (a fresh database on ``influxdb_server`` for one test, dropped after).
A missing ``influxd`` is an error, never a skip.

Rule 1: nothing here depends on the client under test; readiness and set-up use
``http.client``.
Rule 2: nothing is left behind, whatever happens: every failure to start stops what was
started and removes the directory before raising ``RuntimeError``; ``influxd`` dies with the
process that started it (Linux: ``PR_SET_PDEATHSIG``), and a small watcher process removes
the directory (and kills ``influxd`` elsewhere) when that process dies without stopping it,
even by SIGTERM or SIGKILL.
"""

from __future__ import annotations

import base64
import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .client import InfluxDBClient

__all__ = ["InfluxDBServer", "find_influxd"]

#: Seconds a server may take to answer its first ping (it usually takes well under one).
START_TIMEOUT = 30.0


def find_influxd() -> str:
    """Path of the ``influxd`` binary: ``$AIOINFLUX_INFLUXD``, else ``influxd`` on PATH.

    :raises RuntimeError: when there is none, or ``$AIOINFLUX_INFLUXD`` names no executable
        file.
    """
    given = os.environ.get("AIOINFLUX_INFLUXD")
    if given:
        if not os.path.isfile(given):
            raise RuntimeError(f"AIOINFLUX_INFLUXD is {given!r}, which is not a file")
        if not os.access(given, os.X_OK):
            raise RuntimeError(f"AIOINFLUX_INFLUXD is {given!r}, which is not executable")
        return given
    path = shutil.which("influxd")
    if not path:
        raise RuntimeError(
            "influxd (InfluxDB 1.x) was not found: install it (Debian/Ubuntu: "
            "'apt-get install influxdb') or set AIOINFLUX_INFLUXD to its path"
        )
    return path


# The watcher of one server's directory: a separate Python process that reads the pid of the
# running influxd ("pid N", "pid -" when stopped) from a pipe. At "done" (the directory is
# removed) it exits; at the end of the pipe without "done", the process that started the
# server died without stopping it (SIGTERM, SIGKILL, a crash): it kills influxd (by pid,
# after checking /proc that the pid is still that influxd) and removes the directory.
_WATCHER = """
import os, select, shutil, signal, sys
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)  # a signal to the group: wait for the pipe to end
directory, influxd, pid = sys.argv[1], sys.argv[2], None
for line in sys.stdin:
    word, _, arg = line.strip().partition(" ")
    if word == "done":
        sys.exit(0)
    pid = int(arg) if word == "pid" and arg != "-" else None
if pid is not None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            ours = influxd.encode() in f.read().split(b"\\0")[:2]  # a script: after its shell
    except OSError:
        ours = not os.path.isdir("/proc")  # no /proc: trust the pid
    if ours:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = None
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        if fd is not None:
            select.select([fd], [], [], 15)  # until it is dead: no more files written
shutil.rmtree(directory, ignore_errors=True)
"""

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Any:
    """A ``preexec_fn`` making the child get SIGKILL when its parent dies (Linux only), or
    None. The death signal comes when the *thread* that started the child ends, so it is set
    only for servers started from the main thread; the watcher covers the others."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:  # runs in the child, between fork and exec
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl: die now
            os._exit(1)

    return preexec


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError(
            "https=True needs the openssl command, to make a self-signed certificate; it "
            "was not found on PATH (Debian/Ubuntu: 'apt-get install openssl')"
        )
    cert, key = directory / "server.crt", directory / "server.key"
    done = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"openssl could not make a certificate (exit code {done.returncode}): "
            + done.stderr.decode(errors="replace").strip()[-2000:]
        )
    return cert, key


class InfluxDBServer:
    """A real ``influxd`` for tests, on 127.0.0.1, with its data in a temporary directory.

    :param auth: require authentication; an admin user (:attr:`username`,
        :attr:`password`) is created.
    :param unix_socket: also listen on a unix socket (:attr:`unix_socket`).
    :param https: serve HTTPS with a self-signed certificate (:attr:`certificate`).
    :param settings: more ``INFLUXDB_*`` environment variables for ``influxd``, e.g.
        ``{"INFLUXDB_HTTP_MAX_ROW_LIMIT": "100"}``.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    :ivar host: ``'127.0.0.1'``: the server listens there only.
    :ivar port: the HTTP port, free when the server was started (0 before the first start).
    :ivar auth: the ``auth`` argument.
    :ivar https: the ``https`` argument.
    :ivar settings: the ``settings`` argument, as a dict.
    :ivar username: ``'admin'`` when ``auth``, else None.
    :ivar password: the admin's password (random, made for this server) when ``auth``,
        else None.
    :ivar unix_socket: the path of the unix socket (``unix_socket=True``, once started),
        else None.
    :ivar certificate: the path of the self-signed certificate (``https=True``, once
        started), else None; :meth:`ssl_context` trusts it.

    Also :attr:`url`, :attr:`pid` and :attr:`running`.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        auth: bool = False,
        unix_socket: bool = False,
        https: bool = False,
        settings: Mapping[str, str] | None = None,
    ):
        self.auth = auth
        self.https = https
        self.settings = dict(settings or {})
        self.username: str | None = "admin" if auth else None
        self.password: str | None = uuid.uuid4().hex if auth else None
        self.port = 0
        self.unix_socket: str | None = None
        self.certificate: Path | None = None
        self._want_socket = unix_socket
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._admin_created = False
        self._rpc_port = 0
        self._key: Path | None = None
        self._watcher: subprocess.Popen[bytes] | None = None
        self._log_offset = 0  # where the log of the latest start begins

    @property
    def url(self) -> str:
        """The base URL of the HTTP API, e.g. ``http://127.0.0.1:41234/``."""
        return f"{'https' if self.https else 'http'}://{self.host}:{self.port}/"

    @property
    def pid(self) -> int | None:
        """The process id of the running ``influxd``, None when stopped."""
        return self._process.pid if self._process is not None else None

    def ssl_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this server's certificate (HTTPS servers only)."""
        if self.certificate is None:
            raise RuntimeError("this server does not serve HTTPS")
        return ssl.create_default_context(cafile=str(self.certificate))

    def client(self, **kwargs: Any) -> InfluxDBClient:
        """An :class:`~aioinflux.InfluxDBClient` for this server: credentials and trust set,
        and on a server with a unix socket, requests sent over the socket. ``kwargs`` go to
        the client and win over those."""
        options: dict[str, Any] = {"host": self.host, "port": self.port}
        if self.auth:
            options.update(username=self.username, password=self.password)
        if self.https:
            options["ssl"] = self.ssl_context()
        if self.unix_socket is not None:
            options["unix_socket"] = self.unix_socket
        options.update(kwargs)
        return InfluxDBClient(**options)

    @property
    def running(self) -> bool:
        """True while the ``influxd`` this object started is alive.

        .. versionadded:: 0.10
        """
        return self._process is not None and self._process.poll() is None

    def start(self) -> InfluxDBServer:
        """Start the server; after ``stop(keep_data=True)``, on the same data and ports (after
        a plain ``stop()``, on fresh data, and on the same ports when they are still free).

        :raises RuntimeError: saying why when it cannot start (no ``influxd``, no
            ``openssl`` for HTTPS, ``influxd`` exiting, with its exit code and the end of
            its log, or not answering, the admin user not created); whatever was started is
            stopped and the directory removed first.
        """
        if self._process is not None:
            raise RuntimeError("the server is already running")
        influxd = find_influxd()
        restart = self._dir is not None
        try:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="aioinflux-influxd-"))
                self._watch(influxd)
                if self.https:
                    self.certificate, self._key = _make_certificate(self._dir)
            self._launch(influxd, restart)
            if self.auth and not self._admin_created:
                try:
                    self._create_admin()
                except (RuntimeError, OSError) as exc:
                    raise RuntimeError(
                        f"influxd started, but creating its admin user failed: {exc}"
                    ) from exc
        except BaseException:  # also KeyboardInterrupt: leave nothing behind
            self._stop_process()
            self._remove_dir()
            raise
        return self

    def _launch(self, influxd: str, restart: bool) -> None:
        """Spawn influxd until it answers /ping; raise RuntimeError saying why it did not."""
        assert self._dir is not None
        failures = []
        # another process may take a free port before influxd binds it: try new ones then
        for attempt in range(1 if restart else 3):
            if not restart and (attempt or not self.port):
                self.port, self._rpc_port = _free_ports(2)
            self._log_offset = self._log_size()
            self._process = self._spawn(influxd, self._dir)
            self._tell(f"pid {self._process.pid}")
            failure = self._wait_ready(influxd)
            if failure is None:
                return
            self._stop_process()
            failures.append(failure)
            if "address already in use" not in failure:
                break
        raise RuntimeError("\n---\n".join(failures))

    def _watch(self, influxd: str) -> None:
        if not sys.executable:  # embedded Python: no interpreter to run the watcher with
            return
        self._watcher = subprocess.Popen(
            [sys.executable, "-c", _WATCHER, str(self._dir), influxd],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # out of reach of signals sent to this process group
        )

    def _tell(self, line: str) -> None:
        if self._watcher is not None and self._watcher.stdin is not None:
            try:
                self._watcher.stdin.write(line.encode() + b"\n")
                self._watcher.stdin.flush()
            except OSError:
                pass

    def _spawn(self, influxd: str, directory: Path) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.update(
            INFLUXDB_META_DIR=str(directory / "meta"),
            INFLUXDB_DATA_DIR=str(directory / "data"),
            INFLUXDB_DATA_WAL_DIR=str(directory / "wal"),
            INFLUXDB_HTTP_BIND_ADDRESS=f"{self.host}:{self.port}",
            INFLUXDB_BIND_ADDRESS=f"{self.host}:{self._rpc_port}",
            INFLUXDB_REPORTING_DISABLED="true",
            INFLUXDB_HTTP_LOG_ENABLED="false",
            INFLUXDB_DATA_QUERY_LOG_ENABLED="false",
            INFLUXDB_HTTP_AUTH_ENABLED="true" if self.auth else "false",
        )
        if self._want_socket:
            self.unix_socket = str(directory / "influxdb.sock")
            env.update(
                INFLUXDB_HTTP_UNIX_SOCKET_ENABLED="true",
                INFLUXDB_HTTP_BIND_SOCKET=self.unix_socket,
            )
        if self.https:
            env.update(
                INFLUXDB_HTTP_HTTPS_ENABLED="true",
                INFLUXDB_HTTP_HTTPS_CERTIFICATE=str(self.certificate),
                INFLUXDB_HTTP_HTTPS_PRIVATE_KEY=str(self._key),
            )
        env.update(self.settings)
        with open(directory / "influxd.log", "ab") as log:
            try:
                return subprocess.Popen(
                    [influxd, "-config", "/dev/null"],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # preexec_fn is unsafe only for non-trivial work: this is one prctl call
                    preexec_fn=_die_with_parent(),
                )
            except OSError as exc:
                raise RuntimeError(f"influxd ({influxd}) could not be run: {exc}") from exc

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server logged."""
        return "\n".join(self._log_text().splitlines()[-lines:])

    def _log_text(self, start: int = 0) -> str:
        if self._dir is None or not (self._dir / "influxd.log").exists():
            return ""
        with open(self._dir / "influxd.log", "rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")

    def _log_size(self) -> int:
        assert self._dir is not None
        path = self._dir / "influxd.log"
        return path.stat().st_size if path.exists() else 0

    def _connection(self) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=5, context=self.ssl_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=5)

    def _wait_ready(self, influxd: str) -> str | None:
        """None once influxd answers /ping; else why not, with the end of its log."""
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                return self._failure(f"influxd ({influxd}) exited with code {code}")
            conn = self._connection()
            try:
                conn.request("GET", "/ping")
                if conn.getresponse().status == 204:
                    return None
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.02)  # polling for readiness; influxd offers no other signal
        return self._failure(f"influxd ({influxd}) did not answer /ping in {START_TIMEOUT:g} s")

    def _failure(self, what: str) -> str:
        tail = "\n".join(self._log_text(self._log_offset).strip().splitlines()[-20:])
        if not tail:
            return f"{what} before answering /ping; it logged nothing"
        return f"{what} before answering /ping; the end of its log:\n{tail}"

    def request(self, q: str, *, db: str | None = None, admin: bool = True) -> dict[str, Any]:
        """Run ``q`` with ``http.client`` (as the admin when auth is on); raise on any error."""
        form = {"q": q, **({"db": db} if db else {})}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if admin and self.auth and self._admin_created:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        conn = self._connection()
        try:
            conn.request("POST", "/query", body=urlencode(form), headers=headers)
            resp = conn.getresponse()
            data = json.loads(resp.read() or b"{}")
        finally:
            conn.close()
        failures = [data.get("error")] + [r.get("error") for r in data.get("results", [])]
        if resp.status != 200 or any(failures):
            raise RuntimeError(f"{q!r} failed on the test server ({resp.status}): {data}")
        return data  # type: ignore[no-any-return]

    def _create_admin(self) -> None:
        self.request(
            f"CREATE USER \"{self.username}\" WITH PASSWORD '{self.password}' WITH ALL PRIVILEGES"
        )
        self._admin_created = True

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._tell("pid -")

    def _remove_dir(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.certificate = self._key = None
        self._admin_created = False
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            self._tell_watcher(watcher, "done")

    @staticmethod
    def _tell_watcher(watcher: subprocess.Popen[bytes], line: str) -> None:
        assert watcher.stdin is not None
        try:
            watcher.stdin.write(line.encode() + b"\n")
            watcher.stdin.close()
        except OSError:
            pass
        watcher.wait()

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s) and remove its data, unless
        ``keep_data``: then :meth:`start` brings it back on the same data, ports and
        credentials, as a restarted production server would be. Calling it again does
        nothing."""
        self._stop_process()
        if not keep_data:
            self._remove_dir()

    def _revive(self) -> None:
        """Start the server again if it was stopped or died (the session fixtures' guard)."""
        if not self.running:
            self._stop_process()
            self.start()

    def __enter__(self) -> InfluxDBServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self._process is not None else "stopped"
        return f"InfluxDBServer(url={self.url!r}, auth={self.auth}, {state})"


try:
    import pytest
except ImportError:  # the server class works without pytest; the fixtures need it
    pass
else:
    #: the servers of the session fixtures started so far
    _SESSION_SERVERS: list[InfluxDBServer] = []

    def _server(**options: Any) -> Iterator[InfluxDBServer]:
        with InfluxDBServer(**options) as server:
            _SESSION_SERVERS.append(server)
            try:
                yield server
            finally:
                _SESSION_SERVERS.remove(server)

    @pytest.fixture(autouse=True)
    def _influxdb_servers_kept_running() -> Iterator[None]:
        """After each test, start again a session server the test stopped (or that died),
        so that the tests after it find it running, on the same port."""
        yield
        for server in _SESSION_SERVERS:
            server._revive()

    @pytest.fixture(scope="session")
    def influxdb_server() -> Iterator[InfluxDBServer]:
        """A plain InfluxDB server for the whole test session."""
        yield from _server()

    @pytest.fixture(scope="session")
    def influxdb_auth_server() -> Iterator[InfluxDBServer]:
        """A server that requires authentication; ``.username``/``.password`` are an admin."""
        yield from _server(auth=True)

    @pytest.fixture(scope="session")
    def influxdb_unix_server() -> Iterator[InfluxDBServer]:
        """A server that also listens on the unix socket ``.unix_socket``."""
        yield from _server(unix_socket=True)

    @pytest.fixture(scope="session")
    def influxdb_https_server() -> Iterator[InfluxDBServer]:
        """A server on HTTPS; ``.ssl_context()`` trusts its self-signed certificate."""
        yield from _server(https=True)

    @pytest.fixture
    def influxdb_database(influxdb_server: InfluxDBServer) -> Iterator[str]:
        """The name of a fresh database on ``influxdb_server``, dropped after the test."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        influxdb_server.request(f'CREATE DATABASE "{name}"')
        yield name
        influxdb_server._revive()  # the test may have stopped it
        influxdb_server.request(f'DROP DATABASE "{name}"')
