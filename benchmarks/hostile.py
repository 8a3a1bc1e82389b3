"""Hostile answers: the client's memory growth and the time to its error, for each answer.

Run (loopback only; no influxd needed)::

    .venv/bin/python benchmarks/hostile.py                  # the client of this checkout
    .venv/bin/python benchmarks/hostile.py --timeout 8 --memory-cap 4096
    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/hostile.py   # another

A local aiohttp server (a subprocess) answers every request with one hostile answer: an
endless 500 body (to ``write()``, ``query()`` and ``ping()``), an endless 200 answer with no
newline (to ``query()``), and a gzip bomb (endless compressed zeros) to ``query()``, once
to a client that did not ask for gzip (a local client asks for ``identity``) and once to a
client whose session header asks for it. Each case runs in a fresh client process with
``--timeout`` seconds of client timeout and an address-space cap of ``--memory-cap`` MiB
(so that an unbounded client fails with ``MemoryError`` instead of taking the machine);
it prints the growth of its peak resident memory over its level before the call, the
seconds until the call raised, and what it raised.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
import zlib

MB = 1024 * 1024
CASES = {
    "500-endless-write": ("write", "500"),
    "500-endless-query": ("query", "500"),
    "500-endless-ping": ("ping", "500"),
    "200-no-newline-query": ("query", "nonl"),
    "gzip-bomb-not-asked": ("query", "bomb"),
    "gzip-bomb-asked": ("query", "bomb"),
}


# -- the server ------------------------------------------------------------------------------


def serve(port: int) -> None:
    from aiohttp import web

    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb_head = compressor.compress(b"\0" * MB)
    bomb_piece = compressor.compress(b"\0" * MB) + compressor.flush(zlib.Z_SYNC_FLUSH)

    async def handler(request: web.Request) -> web.StreamResponse:
        kind = request.headers.get("X-Hostile", "500")
        if kind == "500":
            resp = web.StreamResponse(status=500)
            head, piece = b"", b"oops " * 13107
        elif kind == "nonl":
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            head, piece = b"", b"[" * 65536
        else:
            resp = web.StreamResponse(
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
            )
            head, piece = bomb_head, bomb_piece
        await resp.prepare(request)
        with contextlib.suppress(ConnectionError, RuntimeError, asyncio.CancelledError):
            await resp.write(head)
            while True:
                await resp.write(piece)
        return resp

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None, handler_cancellation=True)


# -- one client case -------------------------------------------------------------------------


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


async def run_case(name: str, port: int, seconds: float) -> dict[str, object]:
    from aioinflux import InfluxDBClient

    call, kind = CASES[name]
    headers = {"X-Hostile": kind}
    if name == "gzip-bomb-asked":
        headers["Accept-Encoding"] = "gzip"
    async with InfluxDBClient(
        "127.0.0.1", port, db="d", timeout=seconds, headers=headers
    ) as client:
        base = peak_rss()
        start = time.perf_counter()
        try:
            if call == "write":
                await client.write("m v=1 1")
            elif call == "query":
                await client.query("SELECT * FROM m")
            else:
                await client.ping()
            error = "no error"
        except MemoryError:
            error = "MemoryError"
        except Exception as exc:
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:70]}"
        took = time.perf_counter() - start
        growth = peak_rss() - base
    return {"case": name, "growth_mb": growth / MB, "seconds": took, "error": error}


# -- the table -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the hostile server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=8.0, help="client timeout, seconds")
    parser.add_argument("--memory-cap", type=int, default=4096, help="MiB of address space")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.case:
        cap = args.memory_cap * MB
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        print(json.dumps(asyncio.run(run_case(args.case, args.port, args.timeout))))
        return
    import aioinflux

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_ready(port, time.monotonic() + 30)
        print(f"client: {os.path.dirname(aioinflux.__file__)}; timeout {args.timeout} s")
        print(f"{'answer':<22} {'growth MB':>10} {'to error s':>11}  raised")
        for name in CASES:
            done = subprocess.run(
                [sys.executable, __file__, "--case", name, "--port", str(port),
                 "--timeout", str(args.timeout), "--memory-cap", str(args.memory_cap)],
                capture_output=True, text=True, timeout=args.timeout * 4 + 60, check=False,
            )  # fmt: skip
            try:
                row = json.loads(done.stdout.strip().splitlines()[-1])
            except (IndexError, ValueError):
                tail = (done.stderr.strip().splitlines() or ["?"])[-1][:70]
                print(f"{name:<22} {'-':>10} {'-':>11}  process failed: {tail}")
                continue
            print(f"{name:<22} {row['growth_mb']:>10.1f} {row['seconds']:>11.2f}  {row['error']}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
