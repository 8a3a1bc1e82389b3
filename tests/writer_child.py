"""A small service writing readings with the batch writer, for tests/test_writer_stopping.py and
tests/test_writer_spool.py.

Run as ``python writer_child.py MODE PORT DB LIMIT GRACE``: ``MODE`` is ``async`` (under
``asyncio.run()``) or ``blocking``; readings go to database ``DB`` of the server on 127.0.0.1
``PORT``, 100 per ``write()``, each with its own timestamp (reading ``i`` at time ``i``), and
``ready N`` is printed each time ``write()`` has returned for ``N`` readings in all. After
``LIMIT`` readings (0: no limit) the service idles until it is stopped; the test stops it
with SIGINT. With ``DEBUG`` set in the environment, the ``aioinflux`` logger's DEBUG records
(each retry of a batch) go to stderr; with ``SPOOL`` set, the writer keeps its lines in that
directory (``spool=``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading

from aioinflux import InfluxDBClient

PER_WRITE = 100
SPOOL = os.environ.get("SPOOL")


def readings(start: int) -> list[str]:
    return [f"reading,sensor=s1 v={i}i {i}" for i in range(start, start + PER_WRITE)]


async def serve_async(port: int, db: str, limit: int, grace: float) -> None:
    async with (
        InfluxDBClient("127.0.0.1", port, db=db) as client,
        client.batch_writer(flush_interval=3600, grace=grace, spool=SPOOL) as writer,
    ):
        done = 0
        while not limit or done < limit:
            await writer.write(readings(done))
            done += PER_WRITE
            print(f"ready {done}", flush=True)
            await asyncio.sleep(0.001)  # the next reading of a sensor
        await asyncio.Event().wait()  # idle until stopped


def serve_blocking(port: int, db: str, limit: int, grace: float) -> None:
    with (
        InfluxDBClient("127.0.0.1", port, db=db, mode="blocking") as client,
        client.batch_writer(flush_interval=3600, grace=grace, spool=SPOOL) as writer,
    ):
        done = 0
        while not limit or done < limit:
            writer.write(readings(done))
            done += PER_WRITE
            print(f"ready {done}", flush=True)
        threading.Event().wait()  # idle until stopped


def main() -> None:
    mode, port, db, limit, grace = sys.argv[1:]
    if os.environ.get("DEBUG"):
        logging.basicConfig(level=logging.DEBUG)
    if mode == "async":
        asyncio.run(serve_async(int(port), db, int(limit), float(grace)))
    else:
        serve_blocking(int(port), db, int(limit), float(grace))


if __name__ == "__main__":
    main()
