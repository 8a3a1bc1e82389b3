"""The main job, end to end: a local InfluxDB, a database, points written, read back, printed.

Run by ``bash scripts/quickstart.sh``. It starts a throwaway ``influxd`` (stopped at the
end); pass ``--host``/``--port`` to use a server of your own instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from aioinflux import InfluxDBClient
from aioinflux.testing import InfluxDBServer

LINES = [
    "cpu_load_short,host=server01,region=us-west value=0.64 1257894000000000000",
    "cpu_load_short,host=server02,region=us-west value=0.55 1257894000000000000",
    "cpu_load_short,host=server01,region=us-west value=0.71 1257894060000000000",
]


async def main(client: InfluxDBClient) -> None:
    async with client:
        print("server version:", (await client.ping())["X-Influxdb-Version"])
        await client.query('CREATE DATABASE "quickstart"')
        client.db = "quickstart"
        await client.write(LINES)
        resp = await client.query("SELECT value FROM cpu_load_short GROUP BY host", epoch=None)
        for series in resp["results"][0]["series"]:
            print(series["name"], series["tags"])
            for time, value in series["values"]:
                print("   ", time, value)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="use this InfluxDB server instead of a throwaway one")
    parser.add_argument("--port", type=int, default=8086)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.host:
            client = InfluxDBClient(args.host, args.port)
        else:
            server = stack.enter_context(InfluxDBServer())
            print("started a throwaway InfluxDB at", server.url)
            client = server.client()
        asyncio.run(main(client))
