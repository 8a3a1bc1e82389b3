"""Throwaway, real InfluxDB 1.x servers for tests: ours and our users'.

``InfluxDBServer`` starts ``influxd`` on 127.0.0.1 with free ports and a temporary directory,
waits until ``/ping`` answers, and stops it (by the pid it started, never by name), removing
the directory. It can require authentication (an admin user is created), listen on a unix
socket too, and serve HTTPS with a self-signed certificate made on the spot by ``openssl``.

With pytest, ``pytest_plugins = ["aioinflux.testing"]`` in a ``conftest.py`` provides the
fixtures ``influxdb_server``, ``influxdb_auth_server``, ``influxdb_unix_server``,
``influxdb_https_server`` (one server per test session each, started on first use) and
``influxdb_database`` (a fresh database on ``influxdb_server`` for one test, dropped after).
A missing ``influxd`` is an error, never a skip.

Rule: nothing here depends on the client under test; readiness and set-up use ``http.client``.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
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
    """Path of the ``influxd`` binary: ``$AIOINFLUX_INFLUXD``, else ``influxd`` on PATH."""
    path = os.environ.get("AIOINFLUX_INFLUXD") or shutil.which("influxd")
    if not path:
        raise RuntimeError(
            "influxd (InfluxDB 1.x) was not found: install it (Debian/Ubuntu: "
            "'apt-get install influxdb') or set AIOINFLUX_INFLUXD to its path"
        )
    return path


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
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        [
            "openssl",
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
        check=True,
        capture_output=True,
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

    @property
    def url(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.host}:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def ssl_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this server's certificate (HTTPS servers only)."""
        if self.certificate is None:
            raise RuntimeError("this server does not serve HTTPS")
        return ssl.create_default_context(cafile=str(self.certificate))

    def client(self, **kwargs: Any) -> InfluxDBClient:
        """An :class:`~aioinflux.InfluxDBClient` for this server (credentials and trust set)."""
        options: dict[str, Any] = {"host": self.host, "port": self.port}
        if self.auth:
            options.update(username=self.username, password=self.password)
        if self.https:
            options["ssl"] = self.ssl_context()
        options.update(kwargs)
        return InfluxDBClient(**options)

    def start(self) -> InfluxDBServer:
        """Start the server; after ``stop(keep_data=True)``, on the same data and ports."""
        if self._process is not None:
            raise RuntimeError("the server is already running")
        influxd = find_influxd()
        restart = self._dir is not None
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="aioinflux-influxd-"))
            if self.https:
                self.certificate, self._key = _make_certificate(self._dir)
        errors = []
        # another process may take a free port before influxd binds it: try new ones
        for _ in range(1 if restart else 3):
            if not restart:
                self.port, self._rpc_port = _free_ports(2)
            self._process = self._spawn(influxd, self._dir)
            if self._wait_ready():
                if self.auth and not self._admin_created:
                    self._create_admin()
                return self
            errors.append(self.log_tail())
            self._stop_process()
        self._remove_dir()
        raise RuntimeError("influxd did not start:\n" + "\n---\n".join(errors))

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
            return subprocess.Popen(
                [influxd, "-config", "/dev/null"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server logged."""
        if self._dir is None or not (self._dir / "influxd.log").exists():
            return ""
        text = (self._dir / "influxd.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _connection(self) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=5, context=self.ssl_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=5)

    def _wait_ready(self) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            conn = self._connection()
            try:
                conn.request("GET", "/ping")
                if conn.getresponse().status == 204:
                    return True
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.02)  # polling for readiness; influxd offers no other signal
        return False

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

    def _remove_dir(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s) and remove its data, unless
        ``keep_data``: then :meth:`start` brings it back on the same data, ports and
        credentials, as a restarted production server would be. Calling it again does
        nothing."""
        self._stop_process()
        if not keep_data:
            self._remove_dir()
            self._admin_created = False

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

    def _server(**options: Any) -> Iterator[InfluxDBServer]:
        with InfluxDBServer(**options) as server:
            yield server

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
        influxdb_server.request(f'DROP DATABASE "{name}"')
