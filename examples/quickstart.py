"""The main job, end to end: a local InfluxDB, a database, points written, read back, printed.

Run by ``bash scripts/quickstart.sh``. It starts a throwaway ``influxd`` (stopped at the
end); pass ``--host``/``--port`` to use a server of your own instead. Points are written
three ways (line protocol, mappings, a pandas DataFrame) and read back as JSON and as a
DataFrame.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import pandas as pd

from aioinflux import InfluxDBClient
from aioinflux.testing import InfluxDBServer

LINES = [
    "cpu_load_short,host=server01,region=us-west value=0.64 1257894000000000000",
    "cpu_load_short,host=server02,region=us-west value=0.55 1257894000000000000",
]
POINTS = [
    {
        "measurement": "cpu_load_short",
        "time": "2009-11-10T23:01:00Z",
        "tags": {"host": "server01", "region": "us-west"},
        "fields": {"value": 0.71},
    },
    {
        "measurement": "cpu_load_short",
        "time": "2009-11-10T23:01:00Z",
        "tags": {"host": "server02", "region": "us-west"},
        "fields": {"value": 0.49},
    },
]
FRAME = pd.DataFrame(
    {
        "host": pd.Categorical(["server01", "server02"]),  # category columns become tags
        "region": pd.Categorical(["us-west", "us-west"]),
        "value": [0.68, 0.52],
    },
    index=pd.to_datetime(["2009-11-10T23:02:00Z", "2009-11-10T23:02:00Z"]),
)


async def main(client: InfluxDBClient) -> None:
    async with client:
        print("server version:", (await client.ping())["X-Influxdb-Version"])
        await client.create_database(db="quickstart")
        client.db = "quickstart"
        await client.write(LINES)  # line protocol
        await client.write(POINTS)  # mappings
        await client.write(FRAME, measurement="cpu_load_short")  # a DataFrame
        resp = await client.query("SELECT value FROM cpu_load_short GROUP BY host", epoch=None)
        for series in resp["results"][0]["series"]:
            print(series["name"], series["tags"])
            for time, value in series["values"]:
                print("   ", time, value)
        client.output = "dataframe"
        print(await client.query("SELECT * FROM cpu_load_short"))


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
