"""aioinflux: the asyncio-first Python client for InfluxDB.

The public API, and nothing else: everything is imported from the modules that own it.
"""

from .client import InfluxDBClient
from .exceptions import (
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBTimeoutError,
    InfluxDBWriteError,
    LineProtocolError,
)
from .iterutils import InfluxDBChunkedResult, InfluxDBResult, iterpoints
from .serialization import serialize

__version__ = "0.10.0.dev0"

__all__ = [
    "InfluxDBChunkedResult",
    "InfluxDBClient",
    "InfluxDBConnectionError",
    "InfluxDBError",
    "InfluxDBQueryError",
    "InfluxDBResult",
    "InfluxDBTimeoutError",
    "InfluxDBWriteError",
    "LineProtocolError",
    "iterpoints",
    "serialize",
]
