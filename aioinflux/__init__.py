"""aioinflux: the asyncio-first Python client for InfluxDB.

The public API, and nothing else: everything is imported from the modules that own it.
"""

from ._compiled import active as _active_extensions
from ._dataframeclient import as_dataframeclient
from .client import InfluxDBClient
from .exceptions import (
    InfluxDBBatchError,
    InfluxDBConnectionError,
    InfluxDBError,
    InfluxDBQueryError,
    InfluxDBTimeoutError,
    InfluxDBWriteError,
    LineProtocolError,
    LineProtocolTypeError,
)
from .iterutils import InfluxDBChunkedResult, InfluxDBResult, iterpoints
from .serialization import serialize
from .serialization.usertype import (
    BOOL,
    DECIMAL,
    ENUM,
    FLOAT,
    INT,
    MEASUREMENT,
    STR,
    TAG,
    TAGENUM,
    TIMEDT,
    TIMEINT,
    TIMESTR,
    SchemaError,
    lineprotocol,
)
from .writer import BatchWriter, WriterStats

__version__ = "0.10.0.dev0"
#: the compiled accelerators in use: ``('textcheck',)``, or ``()`` when they were not built
#: (no C compiler at install) or ``AIOINFLUX_NO_EXTENSIONS=1`` switched them off
__extensions__ = _active_extensions()

__all__ = [
    "BOOL",
    "DECIMAL",
    "ENUM",
    "FLOAT",
    "INT",
    "MEASUREMENT",
    "STR",
    "TAG",
    "TAGENUM",
    "TIMEDT",
    "TIMEINT",
    "TIMESTR",
    "BatchWriter",
    "InfluxDBBatchError",
    "InfluxDBChunkedResult",
    "InfluxDBClient",
    "InfluxDBConnectionError",
    "InfluxDBError",
    "InfluxDBQueryError",
    "InfluxDBResult",
    "InfluxDBTimeoutError",
    "InfluxDBWriteError",
    "LineProtocolError",
    "LineProtocolTypeError",
    "SchemaError",
    "WriterStats",
    "as_dataframeclient",
    "iterpoints",
    "lineprotocol",
    "serialize",
]
