"""The examples of docs/services.rst, each run as a real process against a real server and
stopped with SIGINT (Ctrl-C) or SIGTERM once it has queued a few hundred readings: every
reading whose ``write()`` returned is stored, and the process ends as it was told to.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from docs_examples import ROOT, python_examples
from test_writer_stopping import GUARD, finish

from aioinflux.testing import InfluxDBServer

pytestmark = pytest.mark.server

EXAMPLES = [textwrap.dedent(code) for code in python_examples("services.rst")]
#: readings a service queues before the test stops it
AT_LEAST = 300
BASE = 1_700_000_000_000_000_000  # the time of reading 0 in the examples


def example(marker: str) -> str:
    (code,) = [code for code in EXAMPLES if marker in code]
    return code


def test_every_example_of_the_page_is_run_here():
    markers = ["add_signal_handler", "mode='blocking'", "web.run_app", "lifespan(app)"]
    assert sorted(EXAMPLES) == sorted(example(marker) for marker in markers)


def start(code: str, server: InfluxDBServer, db: str, tmp_path: Path, **env: str):
    script = tmp_path / "service.py"
    script.write_text(code)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INFLUX_")}
    environ.update(
        INFLUX_URL=f"influxdb://127.0.0.1:{server.port}/{db}",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
        **env,
    )
    return subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )


def stop_when_queued(child: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    """Wait for ``N readings queued`` with N >= AT_LEAST, send ``signum``; the number the
    service says it stopped after, and its stderr."""
    assert child.stdout is not None
    for line in child.stdout:
        if line.endswith(" readings queued\n") and int(line.split()[0]) >= AT_LEAST:
            break
    else:
        raise AssertionError(f"the service ended early: {finish(child)}")
    child.send_signal(signum)
    out, err = finish(child)
    stopped = re.search(r"^stopped after (\d+) readings$", out, re.MULTILINE)
    assert stopped, (out, err)
    return int(stopped[1]), err


def stored(server: InfluxDBServer, db: str) -> int:
    """How many readings are stored; they are readings 0 to N - 1, none missing."""
    with server.client(db=db, mode="blocking") as client:
        resp = client.query("SELECT count(celsius) FROM temperature", epoch="ns")
        last = client.query("SELECT last(celsius) FROM temperature", epoch="ns")
    series = resp["results"][0].get("series")
    if not series:
        return 0
    number = series[0]["values"][0][1]
    assert last["results"][0]["series"][0]["values"][0][0] == BASE + number - 1
    return int(number)


def assert_clean_end(child: subprocess.Popen[str], err: str) -> None:
    assert child.returncode == 0, err
    assert "Traceback" not in err, err
    assert "not written" not in err, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_asyncio_service_stores_every_reading_it_queued(
    influxdb_server, influxdb_database, tmp_path, signum
):
    code = example("add_signal_handler")
    child = start(code, influxdb_server, influxdb_database, tmp_path)
    queued, err = stop_when_queued(child, signum)
    assert_clean_end(child, err)
    # a cancellation lands at an await: a reading is counted as soon as write() returns
    assert stored(influxdb_server, influxdb_database) == queued >= AT_LEAST


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_blocking_script_stores_every_reading_it_queued(
    influxdb_server, influxdb_database, tmp_path, signum
):
    child = start(example("mode='blocking'"), influxdb_server, influxdb_database, tmp_path)
    queued, err = stop_when_queued(child, signum)
    assert_clean_end(child, err)
    # the interrupt may land after a write() returned and before it was counted
    assert stored(influxdb_server, influxdb_database) in (queued, queued + 1)
    assert queued >= AT_LEAST


def test_the_lifespan_example_stores_every_reading_it_queued(
    influxdb_server, influxdb_database, tmp_path
):
    child = start(example("lifespan(app)"), influxdb_server, influxdb_database, tmp_path)
    queued, err = stop_when_queued(child, signal.SIGINT)
    assert_clean_end(child, err)
    assert stored(influxdb_server, influxdb_database) == queued >= AT_LEAST


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_aiohttp_app_stores_every_reading_it_accepted(
    influxdb_server, influxdb_database, tmp_path, signum
):
    port = free_port()
    child = start(
        example("web.run_app"), influxdb_server, influxdb_database, tmp_path, PORT=str(port)
    )
    assert child.stdout is not None
    for line in child.stdout:  # run_app prints where it listens once it does
        if line.startswith("======== Running on"):
            break
    else:
        raise AssertionError(f"the app did not start: {finish(child)}")
    for i in range(AT_LEAST):
        reading = {
            "measurement": "temperature",
            "tags": {"sensor": "s1"},
            "fields": {"celsius": 20.0 + i % 5},
            "time": BASE + i,
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/readings",
            data=json.dumps(reading).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=GUARD) as answer:
            assert answer.status == 202
    child.send_signal(signum)
    _, err = finish(child)
    assert_clean_end(child, err)
    assert stored(influxdb_server, influxdb_database) == AT_LEAST
