"""Fixtures: real, throwaway InfluxDB servers from aioinflux.testing, clients on them, a
real HTTP proxy (tinyproxy), and a local server for faults."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from aioinflux import InfluxDBClient

if TYPE_CHECKING:  # imported as a plugin below, so that pytest can rewrite its asserts
    from aioinflux.testing import InfluxDBServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

pytest_plugins = ["aioinflux.testing"]


@pytest.fixture
async def client(
    influxdb_server: InfluxDBServer, influxdb_database: str
) -> AsyncIterator[InfluxDBClient]:
    """An async client on a fresh database of the plain server."""
    async with influxdb_server.client(db=influxdb_database) as client:
        yield client


@pytest.fixture
async def fault_server() -> AsyncIterator[Callable[[Handler], Awaitable[int]]]:
    """Start small local aiohttp servers for faults influxd cannot produce on demand
    (500s, slowness, dropped connections, a header echo); returns their port."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return int(runner.addresses[0][1])

    yield start
    for runner in runners:
        await runner.cleanup()


class TinyProxy:
    """Debian's tinyproxy on 127.0.0.1, started in the foreground by pid, logging each request.

    :param auth: ``(user, password)`` the proxy requires (``Proxy-Authorization``).
    """

    def __init__(self, directory: Path, auth: tuple[str, str] | None = None):
        binary = shutil.which("tinyproxy")
        if binary is None:
            raise RuntimeError(
                "tinyproxy is needed by the proxy tests and was not found: "
                "'apt-get install tinyproxy' (bash scripts/test.sh does it as root)"
            )
        self.log = directory / "tinyproxy.log"
        self.auth = auth
        with socket.socket() as sock:  # a free port (tinyproxy cannot pick one itself)
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = directory / "tinyproxy.conf"
        lines = [
            f"Port {self.port}",
            "Listen 127.0.0.1",
            "Allow 127.0.0.1",
            "Timeout 60",
            "MaxClients 300",
            f'LogFile "{self.log}"',
            "LogLevel Connect",
        ]
        if auth is not None:
            lines.append(f"BasicAuth {auth[0]} {auth[1]}")
        config.write_text("\n".join(lines) + "\n")
        self.process = subprocess.Popen(
            [binary, "-d", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:  # ready when it accepts a connection; it offers no other signal
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"tinyproxy did not start: {self.log_text()}") from None
                time.sleep(0.02)

    @property
    def url(self) -> str:
        credentials = f"{self.auth[0]}:{self.auth[1]}@" if self.auth else ""
        return f"http://{credentials}127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def requests(self) -> list[str]:
        """Every request the proxy received, as ``METHOD target``, in order."""
        return re.findall(r"Request \(file descriptor \d+\): (\S+ \S+)", self.log_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def http_proxy() -> Iterator[Callable[..., TinyProxy]]:
    """Start real HTTP proxies (tinyproxy) on 127.0.0.1, each with its config and log in a
    temporary directory; after the test each is stopped by its pid and the directory is
    removed. A missing tinyproxy is an error, never a skip."""
    proxies: list[TinyProxy] = []
    with tempfile.TemporaryDirectory(prefix="aioinflux-tinyproxy-") as tmp:

        def start(auth: tuple[str, str] | None = None) -> TinyProxy:
            directory = Path(tmp) / f"proxy{len(proxies)}"
            directory.mkdir()
            proxies.append(TinyProxy(directory, auth))
            return proxies[-1]

        try:
            yield start
        finally:
            for proxy in proxies:
                proxy.stop()


class SilentTLSServer:
    """A TLS server on 127.0.0.1 that answers one request with ``Connection: close``, then
    neither sends its close_notify nor closes: the client's polite TLS shutdown never ends."""

    def __init__(self, directory: Path):
        from aioinflux.testing import _make_certificate  # the plugin: imported by pytest

        certificate, key = _make_certificate(directory)
        self.client_context = ssl.create_default_context(cafile=str(certificate))
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(certificate, key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._kept: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve_one)
        self._thread.start()

    def _serve_one(self) -> None:
        raw, _ = self._listener.accept()
        conn = self._context.wrap_socket(raw, server_side=True)
        self._kept.append(conn)
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        conn.sendall(
            b"HTTP/1.1 204 No Content\r\nX-Influxdb-Version: 1.8.10\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        # and nothing more: no close_notify, no close, no read

    @staticmethod
    def sockets_to(port: int) -> set[int]:
        """Sockets of this process connected to ``port`` on 127.0.0.1 (their inodes)."""
        ours = set()
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/self/fd/{fd}")
                if target.startswith("socket:["):
                    ours.add(int(target[8:-1]))
        connected = set()
        with open("/proc/net/tcp") as table:
            for line in list(table)[1:]:
                fields = line.split()
                if int(fields[2].split(":")[1], 16) == port:
                    connected.add(int(fields[9]))
        return ours & connected

    def stop(self) -> None:
        self._thread.join()
        for conn in self._kept:
            conn.close()
        self._listener.close()


@pytest.fixture
def silent_tls_server(tmp_path: Path) -> Iterator[SilentTLSServer]:
    """A TLS server that never ends the TLS shutdown of a connection it asked to close."""
    server = SilentTLSServer(tmp_path)
    yield server
    server.stop()


# -- the compiled encoders and their pure twins --------------------------------------------
# Every test of a module marked ``pytest.mark.usefixtures("encoders")`` (the
# serialization tests) runs on both implementations: the compiled one must give the same
# bytes and the same errors as the pure one. On a run with AIOINFLUX_NO_EXTENSIONS=1 only the
# pure one exists.


def compiled_encoders() -> list[tuple[object, str]]:
    """(module, attribute) of each compiled accelerator in use: None there is the pure path."""
    from aioinflux.serialization import _textcheck, mapping, usertype

    found = [(mapping, "_COMPILED"), (usertype, "_COMPILED"), (_textcheck, "_COMPILED")]
    return [(module, name) for module, name in found if getattr(module, name) is not None]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "encoders" in metafunc.fixturenames:
        kinds = ["compiled", "pure"] if compiled_encoders() else ["pure"]
        metafunc.parametrize("encoders", kinds, indirect=True)


@pytest.fixture
def encoders(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The implementation a test runs on (parametrized): 'pure' turns the compiled ones off."""
    kind: str = request.param
    if kind == "pure":
        for module, name in compiled_encoders():
            monkeypatch.setattr(module, name, None)
    return kind
