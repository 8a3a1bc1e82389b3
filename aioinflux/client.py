"""``InfluxDBClient``: configuration, modes, and the three endpoints ``ping``/``write``/``query``.

Rule 1: the client composes the pure parts (``serialization``, ``_protocol``) with the
transport; it parses nothing itself.
Rule 2: every argument is checked and the whole write body is encoded before any I/O.
Rule 3: each public I/O method is an ``async def`` wrapped by ``blocking.runner``, so it
follows ``client.mode``; internal code calls the undecorated coroutines, never the public
methods (a blocking call from the private loop's thread would wait on itself).
Rule 4: one of each: a query is scanned once (``_influxql.scan``) for everything that reads
it; retries go through the one loop of ``_batching.Retry``; a query's points are counted by
one loop (``_reported``); each chunk carries its answer's format up, nothing is handed down
to be written into. aiohttp is not imported here: only the transport imports it.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import logging
import os
import random
import ssl as _ssl
import string
import warnings
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Mapping,
)
from typing import Any, TypeVar, cast

from . import _batching, _config, _influxql, _progress, _protocol, serialization
from ._influxql import Query
from ._progress import Progress
from ._show import TAG_INFO_QUERY, ColumnKinds, kinds_from_keys, show_keys_query, tag_info
from ._sources import query_sources
from ._transport import ClientSession, ClientTimeout, Transport, make_timeout
from ._types import Consistency, Epoch, Mode, Output, Precision
from .blocking import iterate, run, runner
from .exceptions import InfluxDBError, InfluxDBQueryError
from .exceptions import InfluxDBWriteError as InfluxDBWriteError  # 0.9 imported it from here
from .iterutils import InfluxDBChunkedResult, InfluxDBResult, Parser
from .queries import PATTERNS, Pattern, PatternMethod, helper_ident, helper_source
from .writer import BatchWriter

__all__ = ["InfluxDBClient"]

_MODES = ("async", "blocking")
#: Options of aioinflux 0.x that no longer exist: refused by name instead of being passed on
#: to aiohttp, where they failed only at the first request.
_REMOVED_OPTIONS = {
    "loop": "a client works in whichever event loop uses it (one session per loop)",
    "redis_opts": "the redis cache is gone",
    "cache_expiry": "the redis cache is gone",
}
_OUTPUTS = {
    "json": "json",
    "raw": "json",
    "iterable": "iterable",
    "dataframe": "dataframe",
    "polars": "polars",
}
#: What each output that builds frames needs installed, and how to install it.
_FRAME_PACKAGES = {
    "dataframe": (("pandas",), "pip install 'aioinflux[pandas]'"),
    "polars": (("polars", "numpy"), "pip install 'aioinflux[fast]'"),
}
#: Points per chunk on the wire when a non-chunked query is read in chunks and reassembled.
_WIRE_CHUNK_SIZE = 10_000


_T = TypeVar("_T")
#: First back-off of a retry, doubled at each attempt up to _MAX_BACKOFF (as the writer's).
_BACKOFF = 0.1
_MAX_BACKOFF = 10.0

logger = logging.getLogger("aioinflux")

#: One chunk of a query's answer, with the format the server answered in.
_Chunk = tuple[dict[str, Any], str]


def _log_retry(attempts: int, delay: float, exc: InfluxDBError) -> None:
    logger.debug("attempt %d failed, retry in %.2f s: %s", attempts, delay, exc)


async def _aclose(chunks: AsyncIterator[Any]) -> None:
    close = getattr(chunks, "aclose", None)
    if close is not None:
        await close()


#: aioinflux 0.9's helpers: (name, InfluxQL, parameters, docstring). In the InfluxQL, ``{db}``,
#: ``{measurement}`` and ``{key}`` are filled with the argument quoted as an identifier
#: (``queries.helper_ident``, as a pattern's ``"{x}"``) and ``{source}`` with `` FROM
#: "measurement"`` or nothing (``queries.helper_source``). The parameters are 0.9's
#: positional ones in 0.9's order (``name=None``: optional), then ``*db`` for the keyword-only
#: database the statement runs in; every helper takes ``query()``'s options as ``**options``.
_HELPERS_09: dict[str, tuple[str, tuple[str, ...], str]] = {
    "create_database": (
        "CREATE DATABASE {db}",
        ("db=None",),
        """Create a database (nothing happens if it exists): ``CREATE DATABASE "{db}"``.

        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options (``epoch``, ``chunked``...).
        :return: what :meth:`query` returns.
        """,
    ),
    "drop_database": (
        "DROP DATABASE {db}",
        ("db=None",),
        """Drop a database and all its data: ``DROP DATABASE "{db}"``.

        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.
        """,
    ),
    "drop_measurement": (
        "DROP MEASUREMENT {measurement}",
        ("measurement", "*db"),
        """Drop a measurement, its series and all their data: ``DROP MEASUREMENT
        "{measurement}"``, run in ``db``.

        :param measurement: the measurement.
        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.

        .. versionchanged:: 0.10
           ``db``; the measurement is quoted and escaped.
        """,
    ),
    "show_databases": (
        "SHOW DATABASES",
        (),
        """List the databases: ``SHOW DATABASES``.

        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.
        """,
    ),
    "show_measurements": (
        "SHOW MEASUREMENTS ON {db}",
        ("*db",),
        """List a database's measurements: ``SHOW MEASUREMENTS ON "{db}"``.

        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.

        .. versionchanged:: 0.10
           ``db``.
        """,
    ),
    "show_users": (
        "SHOW USERS",
        (),
        """List the users and whether they are admins: ``SHOW USERS``.

        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.
        """,
    ),
    "show_series": (
        "SHOW SERIES ON {db}{source}",
        ("measurement=None", "*db"),
        """List the series of a database, or of one measurement: ``SHOW SERIES ON "{db}"
        [FROM "{measurement}"]``.

        :param measurement: the measurement; default all of them.
        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.
        :raises ValueError: for a measurement written as InfluxQL (``'/regex/'``), which
            aioinflux 0.9 inserted unquoted.

        .. versionchanged:: 0.10
           ``db``; the measurement is quoted and escaped.
        """,
    ),
    "show_tag_keys": (
        "SHOW TAG KEYS ON {db}{source}",
        ("measurement=None", "*db"),
        """List the tag keys of a database, or of one measurement: ``SHOW TAG KEYS ON
        "{db}" [FROM "{measurement}"]``.

        :param measurement: the measurement; default all of them.
        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.
        :raises ValueError: for a measurement written as InfluxQL (``'/regex/'``), which
            aioinflux 0.9 inserted unquoted.

        .. versionchanged:: 0.10
           ``db``; the measurement is quoted and escaped.
        """,
    ),
    "show_field_keys": (
        "SHOW FIELD KEYS ON {db}{source}",
        ("measurement=None", "*db"),
        """List the field keys and their types, of a database or of one measurement:
        ``SHOW FIELD KEYS ON "{db}" [FROM "{measurement}"]``.

        :param measurement: the measurement; default all of them.
        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.
        :raises ValueError: for a measurement written as InfluxQL (``'/regex/'``), which
            aioinflux 0.9 inserted unquoted.

        .. versionchanged:: 0.10
           ``db``; the measurement is quoted and escaped.
        """,
    ),
    "show_tag_values": (
        "SHOW TAG VALUES ON {db}{source} WITH KEY = {key}",
        ("key", "measurement=None", "*db"),
        """List the values of a tag key, in a database or in one measurement: ``SHOW TAG
        VALUES ON "{db}" [FROM "{measurement}"] WITH KEY = "{key}"``.

        :param key: the tag key.
        :param measurement: the measurement; default all of them.
        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.

        .. versionchanged:: 0.10
           ``db``; the key and measurement are quoted and escaped.
        """,
    ),
    "show_retention_policies": (
        "SHOW RETENTION POLICIES ON {db}",
        ("*db",),
        """List a database's retention policies: ``SHOW RETENTION POLICIES ON "{db}"``.

        :param db: the database; default :attr:`db`.
        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.

        .. versionchanged:: 0.10
           ``db``.
        """,
    ),
    "show_continuous_queries": (
        "SHOW CONTINUOUS QUERIES",
        (),
        """List the continuous queries of every database: ``SHOW CONTINUOUS QUERIES``.

        :param options: :meth:`query`'s options.
        :return: what :meth:`query` returns.
        """,
    ),
}


def _helper_09(name: str) -> Callable[..., Any]:
    """The method of aioinflux 0.9's helper ``name`` (a key of :data:`_HELPERS_09`), with
    the signature and docstring it has always had (``help()``, IDEs and the API reference
    show them)."""
    template, params, doc = _HELPERS_09[name]
    kind = inspect.Parameter
    parameters = [kind("self", kind.POSITIONAL_OR_KEYWORD)]
    for param in params:
        if param.startswith("*"):
            parameters.append(
                kind(param[1:], kind.KEYWORD_ONLY, default=None, annotation="str | None")
            )
        elif param.endswith("=None"):
            parameters.append(
                kind(
                    param[: -len("=None")],
                    kind.POSITIONAL_OR_KEYWORD,
                    default=None,
                    annotation="str | None",
                )
            )
        else:
            parameters.append(kind(param, kind.POSITIONAL_OR_KEYWORD, annotation="str"))
    parameters.append(kind("options", kind.VAR_KEYWORD, annotation="Any"))
    signature = inspect.Signature(parameters, return_annotation="Any")
    takes_db = "db" in signature.parameters
    fields = [field for _, field, _, _ in string.Formatter().parse(template) if field]

    def helper(self: InfluxDBClient, /, *args: Any, **kwargs: Any) -> Any:
        try:
            arguments = signature.bind(self, *args, **kwargs).arguments
        except TypeError as exc:
            raise TypeError(f"{name}() {exc}") from None
        options = arguments.get("options", {})
        # the database first, then each name in the order of the InfluxQL (as 0.9's order
        # of checks: the first wrong argument is the one named)
        db = self._helper_db(name, arguments.get("db")) if takes_db else ""
        values = {
            field: helper_source(name, arguments.get("measurement"))
            if field == "source"
            else helper_ident(name, field, db if field == "db" else arguments[field])
            for field in fields
        }
        q = template.format_map(values)
        return self._in_db(q, db, options) if takes_db else self.query(q, **options)

    method: Any = helper
    method.__name__ = name
    method.__qualname__ = f"InfluxDBClient.{name}"
    method.__doc__ = doc
    method.__signature__ = signature
    method.__annotations__ = {
        p.name: p.annotation for p in parameters if p.annotation is not kind.empty
    } | {"return": "Any"}
    return cast(Callable[..., Any], method)


def _override(options: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Configured ``options`` overridden by the caller's ``kwargs``: a database given as
    ``database=`` replaces ``db``, a token replaces user and password and the reverse."""
    replaced = set(kwargs)
    if "database" in kwargs:
        replaced.add("db")
    if "token" in kwargs:
        replaced.update(("username", "password"))
    if "username" in kwargs or "password" in kwargs:
        replaced.add("token")
    return {**{k: v for k, v in options.items() if k not in replaced}, **kwargs}


class InfluxDBClient:
    """Client for InfluxDB 1.x's HTTP API (and the v1-compatible API of 2.x/3.x).

    :param host: server host name or IP address (no scheme, port or path: those are
        ``ssl``, ``port`` and ``path``).
    :param port: server port: an int in 1-65535, or a str of one.
    :param path: path prefix of the API, for a server behind a reverse proxy.
    :param mode: ``'async'`` (methods return coroutines) or ``'blocking'`` (methods return
        results); can be changed at any time through :attr:`mode`.
    :param output: what :meth:`query` returns: ``'json'`` (the parsed JSON, alias ``'raw'``),
        ``'iterable'`` (:class:`~aioinflux.iterutils.InfluxDBResult`), ``'dataframe'``
        (pandas DataFrames) or ``'polars'`` (polars DataFrames, one per statement); can be
        changed at any time through :attr:`output`.
    :param db: default database of writes and queries; can be changed through :attr:`db`.
    :param database: alias of ``db``.
    :param ssl: ``True`` for HTTPS with the system's trusted certificates, or an
        :class:`ssl.SSLContext` for custom trust or client certificates.
    :param unix_socket: path of the server's unix socket, used instead of TCP.
    :param username: user name for HTTP basic auth (sent in a header, never in the URL;
        shown by ``repr`` and named by the error of a refused request).
    :param password: password for HTTP basic auth.
    :param token: token of InfluxDB 2.x/3.x, sent as ``Authorization: Token <token>``.
    :param timeout: seconds a whole request may take, or an :class:`aiohttp.ClientTimeout`;
        by default aiohttp's (5 minutes).
    :param gzip: compress write bodies (``Content-Encoding: gzip``); worth it across real
        networks, not on loopback. Can be changed through the ``gzip`` attribute.
    :param retry_for: seconds during which a :meth:`write` or a read-only :meth:`query`
        (``SELECT`` without ``INTO``, ``SHOW``) that failed on a connection error, a timeout,
        a 5xx or a 429 is sent again, with exponential back-off and jitter, honouring
        ``Retry-After`` (the batch writer's policy); 0, the default, never retries. Can be
        changed through the ``retry_for`` attribute. A retried write is safe for points
        with a timestamp; a point without one may be stored twice. See :doc:`configuration`.
    :param max_connections: connections open to the server at most, per event loop the
        client is used in (each loop has its own pool); more requests wait for a free
        one. None for no limit. Default 100, aiohttp's.
    :param keepalive_timeout: seconds an idle connection is kept open for the next request.
        Default 15, aiohttp's.
    :param proxy: URL of an HTTP(S) proxy every request goes through,
        ``http://[user:password@]host:port`` (its password is kept out of ``repr``, logs and
        messages). Without it, ``trust_env=True`` takes the proxy from the ``HTTP_PROXY``,
        ``HTTPS_PROXY`` and ``NO_PROXY`` environment variables, as aiohttp does.
    :param max_chunk_bytes: bytes one chunk of a query's answer may take at most (a line of
        a JSON answer, a map of a MessagePack one); a longer one raises
        :class:`~aioinflux.InfluxDBError` instead of taking memory without end. Default
        64 MiB: 10,000 rows of 100 fields take 20-31 MB. See :doc:`configuration`.
    :param kwargs: passed on to :class:`aiohttp.ClientSession` (e.g. ``trust_env=True``),
        except ``connector``
        (refused: a connector belongs to one event loop; use ``max_connections`` and
        ``keepalive_timeout``) and ``auto_decompress`` (refused: the client inflates
        answers itself, within its limits).

    .. versionchanged:: 0.10
        ``retry_for``, ``max_connections``, ``keepalive_timeout``, ``proxy``,
        ``max_chunk_bytes``; ``connector`` is refused.
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int = 8086,
        path: str = "/",
        mode: Mode = "async",
        output: Output = "json",
        db: str | None = None,
        database: str | None = None,
        ssl: bool | _ssl.SSLContext = False,
        *,
        unix_socket: str | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float | ClientTimeout | None = None,
        gzip: bool = False,
        retry_for: float = 0,
        max_connections: int | None = 100,
        keepalive_timeout: float = 15.0,
        proxy: str | None = None,
        max_chunk_bytes: int = _protocol.MAX_CHUNK_BYTES,
        **kwargs: Any,
    ):
        removed = sorted(_REMOVED_OPTIONS.keys() & kwargs.keys())
        if removed:
            raise TypeError(
                f"InfluxDBClient() got {', '.join(removed)}, removed in aioinflux 0.10: "
                + "; ".join(_REMOVED_OPTIONS[name] for name in removed)
            )
        if db is not None and database is not None and db != database:
            raise ValueError(f"db and database name different databases: {db!r}, {database!r}")
        if not isinstance(ssl, (bool, _ssl.SSLContext)):
            raise TypeError(f"ssl must be True, False or an ssl.SSLContext, got {ssl!r}")
        if unix_socket is not None and not isinstance(unix_socket, (str, os.PathLike)):
            raise TypeError(f"unix_socket must be a path (a str) or None, got {unix_socket!r}")
        if not isinstance(gzip, bool):
            raise TypeError(f"gzip must be True or False, got {gzip!r}")
        # checked here: a bad host or port would otherwise fail only at the first request
        self.host = _config.check_host(host)
        self.port = _config.check_port(port)
        self.path = path
        self.ssl = ssl
        self.unix_socket = unix_socket
        self.username = username
        #: Compress write bodies with gzip.
        self.gzip = gzip
        self.mode = mode
        self.output = output
        self.db = db if db is not None else database
        # MessagePack answers when the msgpack package is installed (None: decide then)
        self._msgpack: bool | None = None
        _config.check_session_options(kwargs)
        if proxy is not None:
            _config.check_proxy(proxy)
            if unix_socket is not None:
                raise ValueError("a proxy cannot be used with unix_socket: give one of them")
        self._proxy = proxy
        #: Bytes one chunk of a query's answer may take at most.
        self.max_chunk_bytes = _config.check_max_chunk_bytes(max_chunk_bytes)
        #: Options of every :class:`aiohttp.ClientSession` this client creates.
        self.opts: dict[str, Any] = kwargs
        #: Seconds a failed write or read-only query may be retried for (0: never).
        self.retry_for = _config.check_retry_for(retry_for)
        self._rng = random.Random()
        self._headers = _protocol.auth_headers(username, password, token)
        # what a 401/403 error says was sent: the user name at most, never a secret
        self._credentials = _protocol.credentials_note(username, token)
        self._url = _protocol.base_url(self.host, self.port, path, ssl is not False)
        # the one seam for tests without a server: aioinflux._mock replaces it
        self._transport = Transport(
            self.create_session,
            ssl=ssl if isinstance(ssl, _ssl.SSLContext) else True,
            timeout=make_timeout(timeout),
            max_connections=_config.check_max_connections(max_connections),
            keepalive_timeout=_config.check_keepalive(keepalive_timeout),
            proxy=self._proxy,
            url=self._url,
        )

    @classmethod
    def from_dsn(cls, dsn: str, **kwargs: Any) -> InfluxDBClient:
        """A client configured by one URL (a *DSN*, data source name).

        The forms (``[...]`` is optional; user, password, database and socket path are
        percent-decoded, as in any URL):

        - ``influxdb://[user[:password]@]host[:port][/database]``: HTTP, port 8086 by
          default; ``https+influxdb://...`` the same over HTTPS;
        - ``http://[user[:password]@]host[:port][/prefix][?db=database]``: ports 80 and 443
          by default, as in any URL; ``https://...`` the same over HTTPS;
        - ``http+unix://[user[:password]@]<socket path>[/prefix][?db=database]``: the
          socket path percent-encoded (``%2Fvar%2Frun%2Finfluxdb.sock``).

        ``influxdb://`` and ``https+influxdb://`` mean what they mean to the ``influxdb``
        package's ``from_dsn`` (the path is the database); in an ``http(s)://`` URL the
        path is the API prefix of a server behind a reverse proxy, as ``path=``.

        :param dsn: the URL.
        :param kwargs: constructor options; they override what the DSN says (``db=`` or
            ``database=`` replaces its database, ``ssl=`` an :class:`ssl.SSLContext` for a
            ``https`` DSN).
        :raises ValueError: for a malformed DSN, naming the part that is wrong (never
            quoting the password).

        .. versionadded:: 0.10
        """
        return cls(**_override(_config.parse_dsn(dsn), kwargs))

    @classmethod
    def from_env(cls, **kwargs: Any) -> InfluxDBClient:
        """A client configured by environment variables (unset or empty ones are ignored):

        - ``INFLUX_URL``: a DSN, as for :meth:`from_dsn` (default
          ``http://localhost:8086``);
        - ``INFLUX_DB``: the database;
        - ``INFLUX_USERNAME``, ``INFLUX_PASSWORD``: credentials (the names the 1.x ``influx``
          CLI reads);
        - ``INFLUX_TOKEN``: a token of InfluxDB 2.x/3.x;
        - ``INFLUX_TIMEOUT``: seconds a request may take;
        - ``INFLUX_GZIP``: compress write bodies: ``1``/``true``/``yes``/``on`` or
          ``0``/``false``/``no``/``off``;
        - ``INFLUX_SSL_CA_CERT``: a PEM file of the certificate authorities to trust, for an
          HTTPS ``INFLUX_URL``.

        A variable that contradicts ``INFLUX_URL`` (another database or user) is an error.

        :param kwargs: constructor options; they override the environment.
        :raises ValueError: naming the variable whose value is wrong.

        .. versionadded:: 0.10
        """
        options = _config.parse_environment(os.environ)
        ca_cert = options.pop("ca_cert", None)
        if ca_cert is not None and "ssl" not in kwargs:
            try:
                options["ssl"] = _ssl.create_default_context(cafile=ca_cert)
            except (OSError, _ssl.SSLError) as exc:
                raise ValueError(
                    f"INFLUX_SSL_CA_CERT: cannot load certificates from {ca_cert!r}: {exc}"
                ) from None
        return cls(**_override(options, kwargs))

    # -- configuration -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the API, e.g. ``http://localhost:8086/``."""
        return self._url

    @property
    def mode(self) -> Mode:
        """``'async'`` or ``'blocking'``; may be changed between calls."""
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be 'async' or 'blocking', got {mode!r}")
        self._mode = mode

    @property
    def output(self) -> Output:
        """What :meth:`query` returns: ``'json'`` (``'raw'`` is accepted as an alias),
        ``'iterable'``, ``'dataframe'`` or ``'polars'``; may be changed between calls.

        .. versionchanged:: 0.10
           ``'polars'``.
        """
        return self._output

    @output.setter
    def output(self, output: Output) -> None:
        if output not in _OUTPUTS:
            raise ValueError(
                f"output must be 'json', 'raw', 'iterable', 'dataframe' or 'polars', got {output!r}"
            )
        if output in _FRAME_PACKAGES:
            packages, install = _FRAME_PACKAGES[output]
            for package in packages:
                try:
                    importlib.import_module(package)
                except ImportError:
                    raise ValueError(
                        f"output={output!r} needs {' and '.join(packages)}: {install}"
                    ) from None
        self._output = cast(Output, _OUTPUTS[output])

    @property
    def db(self) -> str | None:
        """Default database of writes and queries."""
        return self._db

    @db.setter
    def db(self, db: str | None) -> None:
        if db is not None and not isinstance(db, str):
            raise TypeError(f"db must be a str or None, got {type(db).__name__}")
        self._db = db

    @property
    def closed(self) -> bool:
        """True while the client holds no open session: before first use and after
        :meth:`close`. A closed client opens a new session when it is used again."""
        return self._transport.closed

    def __repr__(self) -> str:
        user = f", username={self.username!r}" if self.username is not None else ""
        where = f", unix_socket={self.unix_socket!r}" if self.unix_socket else ""
        if self._proxy is not None:
            where += f", proxy={_config.redact_url(self._proxy)!r}"
        return (
            f"{type(self).__name__}(url={self.url!r}{where}, db={self.db!r}, "
            f"mode={self.mode!r}, output={self.output!r}{user})"
        )

    async def create_session(self, **kwargs: Any) -> ClientSession:
        """Create the :class:`aiohttp.ClientSession` of the running event loop.

        Called on the first request made in each event loop. Call it with ``kwargs`` to
        change the session's options (they are kept for later sessions too), or override it
        to build the session yourself; an override must call ``super().create_session()``.
        """
        _config.check_session_options(kwargs)
        self.opts.update(kwargs)
        session = self._transport.make_session(self.opts, self.unix_socket)
        await self._transport.install(session)
        return session

    # -- endpoints -----------------------------------------------------------------------

    @runner
    async def ping(self) -> dict[str, str]:
        """Ping the server.

        InfluxDB 1.x answers ``/ping`` without checking credentials (unless its
        ``ping-auth-enabled`` setting is on): a successful ping shows the server is up, not
        that the client's credentials are good.

        :return: the response headers, e.g. ``X-Influxdb-Version``.
        :raises InfluxDBError: if the server does not answer 204.
        """
        resp = await self._transport.send(_protocol.ping_request(self.url, self._headers))
        if resp.status != 204:
            message = _protocol.server_message(resp)
            raise InfluxDBError(f"ping {self.url}ping answered {resp.status}: {message}")
        return dict(resp.headers)

    @runner
    async def write(
        self,
        /,
        data: Any,
        measurement: str | None = None,
        db: str | None = None,
        precision: Precision | None = None,
        rp: str | None = None,
        tag_columns: list[str] | None = None,
        consistency: Consistency | None = None,
        progress: bool | Progress | None = None,
        **extra_tags: Any,
    ) -> bool:
        """Write data.

        The whole batch is encoded and checked before it is sent (line protocol given as
        ``str``/``bytes`` too, by InfluxDB 1.x's grammar), so a batch with a bad point or a
        bad line writes nothing.

        :param data: a point or an iterable of points, in any mix: line protocol (``str`` or
            ``bytes``), mappings, pandas DataFrames, ``@lineprotocol`` objects (see
            :doc:`writing`). Everything is checked before the first request; data over
            16 MiB of line protocol is sent in several requests (influxd's default limit is
            25 MB), and a DataFrame of more than 100,000 rows is encoded slice by slice as
            it is sent.
        :param measurement: measurement of points that do not name one.
        :param db: database; default :attr:`db`.
        :param precision: precision of the write: integer timestamps are in it and other
            times are floored to it: ``'ns'`` (default), ``'u'``, ``'ms'``, ``'s'``, ``'m'``
            or ``'h'``.
        :param rp: retention policy; default the database's default one.
        :param tag_columns: DataFrame columns to write as tags.
        :param consistency: write consistency of an InfluxDB Enterprise cluster.
        :param progress: report progress: a function called as ``f(done, total)`` with the
            points written so far and the points of the write (rows for a DataFrame of more
            than 100,000 rows), after each request, at least every 100,000 points, and at
            least once; or ``True`` for a tqdm progress bar (``pip install tqdm``: it
            renders in a terminal and as a widget in Jupyter). Nothing by default.
        :param extra_tags: tags added to every point.
        :return: True once the server has stored the data.
        :raises InfluxDBWriteError: if the server does not accept the data. When the write
            took several requests and earlier ones were stored, the error's
            ``requests_written`` says how many.
        :raises LineProtocolError: (a ``ValueError``) for data that cannot be written exactly,
            or a line of text InfluxDB 1.x would refuse (naming its number); nothing is sent.
        :raises TypeError: for data of an unsupported type; nothing is sent.

        .. versionchanged:: 0.10
            ``progress``.
        """
        if isinstance(progress, str):
            raise TypeError(
                f"progress={progress!r}: progress is the option that reports progress (True "
                "or a function); a tag named 'progress' goes in the points' own tags"
            )
        factor = _config.check_write_options(precision, consistency)  # once, for every request
        report = _progress.reporter(progress)
        made = serialization.write_lines(
            data, measurement, tag_columns, factor=factor, extra_tags=extra_tags
        )
        # a report comes after each request, at least every MAX_ROWS points
        total = made.total() if report is not None else None
        written = done = 0
        try:
            for body, rows in made.requests(
                serialization.lines.MAX_ROWS if report is not None else None
            ):
                try:
                    send = functools.partial(
                        self._post_write,
                        body.body,
                        db=db,
                        precision=precision,
                        rp=rp,
                        consistency=consistency,
                    )
                    await self._retrying(send, retry=True)
                except InfluxDBError as exc:
                    if written:  # the data took several requests: say what is stored already
                        exc.requests_written = written
                        exc.add_note(f"{written} earlier request(s) of this write were stored")
                    raise
                written += bool(body.body)
                if report is not None:  # its lines, and the rows of a frame that have none
                    done += body.count + rows
                    report(done, total)
            if report is not None and not done:
                report(0, total)  # nothing to write: still one report
        finally:
            if report is not None:
                report.close()
        return True

    def batch_writer(self, **options: Any) -> BatchWriter:
        """A :class:`~aioinflux.writer.BatchWriter` that writes through this client in batches,
        in the background, retrying what can be retried. Use it with ``async with`` (or
        ``with`` in blocking mode)::

            async with client.batch_writer(batch_size=5000, flush_interval=1.0) as writer:
                await writer.write(points)

        :param options: the :class:`~aioinflux.writer.BatchWriter` options.
        """
        # the writer gets the one coroutine it needs to send a body, not the client's inside
        return BatchWriter(self, send=self._post_write, **options)

    async def _post_write(
        self,
        body: bytes,
        *,
        db: str | None = None,
        precision: Precision | None = None,
        rp: str | None = None,
        consistency: Consistency | None = None,
        gzip: bool | None = None,
    ) -> None:
        """Send an encoded body to ``/write`` (nothing for an empty body); raise unless 204."""
        req = _protocol.write_request(
            self.url,
            self._headers,
            body,
            db=self.db if db is None else db,
            precision=precision,
            rp=rp,
            consistency=consistency,
            gzip=self.gzip if gzip is None else gzip,
        )
        if body:
            _protocol.check_write(await self._transport.send(req), self._credentials)

    @runner
    async def query(
        self,
        q: str | bytes,
        *,
        epoch: Epoch | None = "ns",
        chunked: bool = False,
        chunk_size: int | None = None,
        db: str | None = None,
        params: Mapping[str, Any] | None = None,
        parser: Parser | None = None,
        progress: bool | Progress | None = None,
    ) -> Any:
        """Run one or more InfluxQL statements (separated by ``;``).

        The answer is always read from the server in chunks (so the server's
        ``max-row-limit`` cannot cut it) and, unless ``chunked=True``, reassembled into
        one answer; it comes as MessagePack when the ``msgpack`` package is installed.

        :param q: the query.
        :param epoch: precision of the returned times (``'ns'``, ``'u'``, ``'ms'``, ``'s'``,
            ``'m'``, ``'h'``), or None for RFC3339 strings.
        :param chunked: stream the answer in chunks: the call returns an async generator of
            responses in the current :attr:`output` format (a plain iterator in blocking
            mode), or with ``output='iterable'`` an
            :class:`~aioinflux.iterutils.InfluxDBChunkedResult`.
        :param chunk_size: points per chunk (the server's default is 10,000).
        :param db: database; default :attr:`db`.
        :param params: bound parameters, referred to as ``$name`` in ``q``: values JSON
            can carry (str, int, float, bool, None); another raises TypeError naming it.
        :param parser: with ``output='iterable'``, applied to each point (see
            :func:`~aioinflux.iterutils.iterpoints`).
        :param progress: report progress: a function called as ``f(done, total)`` with the
            points received so far, after each chunk (``chunk_size`` points; 10,000 when
            the answer is reassembled), ``total`` None until the last call, where it is
            ``done``; or ``True`` for a tqdm progress bar (``pip install tqdm``). A query
            retried after a failure counts again from 0. Nothing by default.
        :return: the answer in the :attr:`output` format: the parsed JSON (a dict), an
            :class:`~aioinflux.iterutils.InfluxDBResult`, DataFrames (see
            :func:`~aioinflux.serialization.dataframe.to_dataframe`), or polars DataFrames
            (one per statement, a list for several; see :doc:`querying`).
        :raises InfluxDBQueryError: naming every failing statement (in a chunked query,
            when the chunk holding the error is reached).

        .. versionchanged:: 0.10
           ``parser``, ``progress``; ``output='iterable'`` and ``'dataframe'`` also for
           chunked queries; ``output='polars'``.
        """
        if isinstance(q, bytes):
            q = q.decode("utf-8")
        if chunk_size is not None and not chunked:
            raise ValueError("chunk_size only applies to chunked queries: pass chunked=True")
        output = self.output
        if parser is not None and output != "iterable":
            raise ValueError(f"parser only applies to output='iterable' (output is {output!r})")
        report = _progress.reporter(progress)
        db = self._database(db)
        # scanned once: whether it only reads, the answer's format and what it reads
        scanned = _influxql.scan(q)
        if output in _FRAME_PACKAGES and epoch is None:
            # the times are the same from RFC3339 strings and from integer nanoseconds,
            # which are much faster to read
            epoch = "ns"
        req = _protocol.query_request(
            self.url,
            self._headers,
            q,
            db=db,
            epoch=epoch,
            chunked=True,
            chunk_size=chunk_size if chunked else _WIRE_CHUNK_SIZE,
            params=params,
            accept=self._accept(scanned),
            compress=self._compress(),
        )
        retry = _protocol.read_only(scanned)
        if chunked:
            retrying = retry and self.retry_for > 0
            chunks = self._retrying_chunks(req) if retrying else self._chunks(req)
            if report is not None:
                chunks = self._reported(chunks, report, closes=True)
            if output in _FRAME_PACKAGES:
                return self._frames(chunks, scanned, db, epoch, output)
            if output == "iterable":
                to_sync = iterate if self.mode == "blocking" else None
                return InfluxDBChunkedResult(self._unpaired(chunks), parser, q, to_sync=to_sync)
            return self._unpaired(chunks)
        if output in _FRAME_PACKAGES:
            assembler, build = self._frame_builder(output, scanned)
            # the columns' types are asked while the answer comes
            kinds = self._ask_kinds(scanned, db)
            try:
                # rows become tables chunk by chunk, while the server sends the rest
                resp, wire = await self._answer(req, assembler, retry=retry, report=report)
                known = await kinds
            finally:
                kinds.cancel()
            return build(resp, known, epoch, msgpack=wire == "msgpack")
        resp, _ = await self._answer(req, retry=retry, report=report)
        if output == "iterable":
            return InfluxDBResult(resp, parser, q)
        return resp

    @runner
    async def get_tag_info(self, *, db: str | None = None) -> dict[str, dict[str, list[str]]]:
        """Every measurement of the database with its tag keys and their values.

        :param db: database; default :attr:`db`.
        :return: ``{measurement: {tag_key: [value, ...]}}``; a measurement without tags
            maps to ``{}``.

        .. versionadded:: 0.10
        """
        db = self._database(db)
        answer, _ = await self._answer(self._internal_query(TAG_INFO_QUERY, db))
        return tag_info(answer)

    def _database(self, db: str | None) -> str | None:
        """``db``, or :attr:`db` when None; an empty name is refused, as by :meth:`write`."""
        if db is None:
            db = self.db
        if db == "":
            raise ValueError("db='' names no database: pass a database name, or None for client.db")
        return db

    def _internal_query(self, q: str, db: str | None) -> _protocol.Request:
        if not db:
            raise ValueError("this needs a database: pass db=... or set client.db")
        return _protocol.query_request(
            self.url,
            self._headers,
            q,
            db=db,
            chunked=True,
            accept=self._accept(q),
            compress=self._compress(),
        )

    def _compress(self) -> bool:
        """Whether to let the server gzip answers: only when it is not on this machine."""
        local = self.unix_socket is not None or self.host in ("localhost", "127.0.0.1", "::1")
        headers = {k.lower() for k in self.opts.get("headers") or {}}
        # a session header of the user's own (create_session(headers=...)) wins
        return not local or "accept-encoding" in headers

    def _accept(self, q: str | Query) -> str | None:
        """MessagePack for SELECT queries when the msgpack package is installed."""
        if self._msgpack is None:
            self._msgpack = _protocol.msgpack_available()
        return _protocol.MSGPACK if self._msgpack and _protocol.msgpack_suits(q) else None

    def _ask_kinds(self, q: Query, db: str | None) -> asyncio.Task[ColumnKinds]:
        """Start asking which columns of what ``q`` reads are tags, and each field's type.

        Asked of the databases and measurements the query actually reads, at each query:
        a measurement may have been dropped and rewritten with other types meanwhile, and
        ``FROM other_db..m`` reads another database than :attr:`db`.
        """
        task = asyncio.ensure_future(self._column_kinds(q, db))
        # its error (if any) is raised where it is awaited; never "never retrieved"
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task

    async def _column_kinds(self, q: Query, db: str | None) -> ColumnKinds:
        sources = query_sources(q)
        if not sources:  # nothing read, or a query not understood: types from the values
            return {}
        text, databases = show_keys_query(sources, db)
        if not text:
            return {}
        try:
            answer, _ = await self._answer(self._internal_query(text, databases[0]))
        except InfluxDBQueryError:
            # e.g. a database that does not exist: the query itself reports it
            return {}
        return kinds_from_keys(answer)

    @staticmethod
    def _frame_builder(
        output: str, q: Query
    ) -> tuple[Callable[[], _protocol.ResultAssembler], Callable[..., Any]]:
        """The assembler and the builder of the frames of ``output`` for query ``q``,
        imported only now: pandas for ``'dataframe'``, polars for ``'polars'``."""
        if output == "polars":
            from . import _polars
            from ._sources import statement_sources

            # which frames name each row's measurement is decided from the query alone,
            # so that every chunk of a statement has the same columns
            named = _polars.named_statements(statement_sources(q))
            return _polars.assembler, functools.partial(_polars.answer_frames, named=named)
        from . import _frames

        return _frames.assembler, _frames.answer_frames

    async def _frames(
        self,
        chunks: AsyncIterator[tuple[dict[str, Any], str]],
        q: Query,
        db: str | None,
        epoch: str | None,
        output: str = "dataframe",
    ) -> AsyncIterator[Any]:
        """The frames of ``output`` of each chunk of ``chunks`` (with its answer's format)."""
        _, build = self._frame_builder(output, q)
        kinds = self._ask_kinds(q, db)
        try:
            known: ColumnKinds | None = None
            async for chunk, wire in chunks:
                if known is None:
                    known = await kinds
                yield build(chunk, known, epoch, msgpack=wire == "msgpack")
        finally:
            kinds.cancel()
            await _aclose(chunks)

    async def _answer(
        self,
        req: _protocol.Request,
        assembler: Callable[[], _protocol.ResultAssembler] = _protocol.ResultAssembler,
        *,
        retry: bool = True,
        report: _progress.Reporter | None = None,
    ) -> tuple[dict[str, Any], str]:
        """The whole answer of a query read in chunks, reassembled, and the format the
        server answered in; read again from the start after a failure when ``retry`` (a
        read-only query) and :attr:`retry_for` allow. ``report`` is told the points received
        after each chunk (from 0 again at each attempt).
        """

        async def read() -> tuple[dict[str, Any], str]:
            assembled = assembler()
            wire = "json"  # (the format of the last chunk: every chunk of one answer has it)
            chunks: AsyncIterator[_Chunk] = self._chunks(req)
            if report is not None:
                chunks = self._reported(chunks, report, closes=False)
            # The pause spans the awaits of the read: other tasks and threads run without the
            # cyclic collector meanwhile (for seconds only with answers of millions of points).
            # Measured 2026-11-25 on 1M rows, output='json': 2.0 s pausing across the whole
            # read, 3.3 s pausing only inside each feed() (1.65x; the decoding alone gains
            # more, see _protocol.gc_paused).
            with _protocol.gc_paused():
                async for chunk, wire in chunks:  # noqa: B007 (wire is returned)
                    assembled.add(chunk)
            return assembled.result(), wire

        try:
            return await self._retrying(read, retry=retry)
        finally:
            if report is not None:
                report.close()

    @staticmethod
    async def _reported(
        chunks: AsyncIterator[_Chunk], report: _progress.Reporter, *, closes: bool
    ) -> AsyncIterator[_Chunk]:
        """``chunks``, telling ``report`` the points received after each, and at the end;
        the one progress loop of a query. ``closes``: end the report with the stream (a
        reassembled answer ends it after its last attempt instead)."""
        done = 0
        try:
            async for chunk in chunks:
                done += _protocol.count_points(chunk[0])
                report(done, None)
                yield chunk
            report(done, done)
        finally:
            if closes:
                report.close()
            await _aclose(chunks)

    @staticmethod
    async def _unpaired(chunks: AsyncIterator[_Chunk]) -> AsyncIterator[dict[str, Any]]:
        """The chunks of ``chunks`` without their format (what the caller is given)."""
        try:
            async for chunk, _ in chunks:
                yield chunk
        finally:
            await _aclose(chunks)

    async def _retrying(self, attempt: Callable[[], Awaitable[_T]], *, retry: bool) -> _T:
        """``await attempt()``, again after a failure that a later attempt may fix, while
        :attr:`retry_for` seconds have not passed (the policy and loop of
        ``_batching.Retry``, the batch writer's)."""
        if not retry or self.retry_for <= 0:
            return await attempt()
        policy = _batching.Retry(self.retry_for, _BACKOFF, _MAX_BACKOFF, rng=self._rng)
        return await policy.call_with_retry(
            attempt,
            sleep=asyncio.sleep,
            clock=asyncio.get_running_loop().time,
            on_retry=_log_retry,
        )

    async def _retrying_chunks(self, req: _protocol.Request) -> AsyncIterator[_Chunk]:
        """The chunks of a streamed answer; the request is sent again after a failure that
        comes before the first chunk (after it, chunks have been handed on: no retry)."""
        chunks: AsyncGenerator[_Chunk, None] | None = None

        async def start() -> _Chunk | None:
            nonlocal chunks
            chunks = self._chunks(req)
            return await anext(chunks, None)

        first = await self._retrying(start, retry=True)
        assert chunks is not None
        try:
            if first is None:
                return
            yield first
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()

    async def _chunks(self, req: _protocol.Request) -> AsyncGenerator[_Chunk, None]:
        """The checked chunks of a chunked answer, each with the format the server answered
        in (``'msgpack'`` or ``'json'``), as the query reader hands them on while the body
        arrives (it raises every failing statement at the end).
        """
        async with self._transport.stream(req) as (head, body):
            reader = _protocol.QueryReader(
                head.status,
                head.headers,
                reason=head.reason,
                credentials=self._credentials,
                limit=self.max_chunk_bytes,
            )
            wire = reader.format
            async for piece in body:
                for chunk in reader.feed(piece):
                    yield chunk, wire
            for chunk in reader.close():
                yield chunk, wire

    # -- the helpers of aioinflux 0.9 ----------------------------------------------------
    # Made by _helper_09 from the table _HELPERS_09: 0.9's parameters, in 0.9's order, its
    # InfluxQL with every name quoted and escaped (queries.helper_ident, as a pattern's
    # "{x}"); the database is the keyword ``db`` (default: the client's), and also the
    # database the statement runs in. Each runs with query(): it follows the mode and the
    # output, and takes every query() option. Every argument is checked when it is called.

    def _helper_db(self, name: str, db: str | None) -> str:
        """The database of helper ``name``: ``db``, or :attr:`db` when None."""
        if db == "" and name != "create_database":
            # refused as by query() and write(): the server reads 'ON ""' as the query's
            # database and takes 'DROP DATABASE ""' silently, without dropping anything
            # (0.9 used the client's database); 'CREATE DATABASE ""' it refuses itself
            self._database("")
        if db is None:
            db = self.db
            if db is None:
                raise ValueError(f"{name}() needs a database: pass db=... or set the client's db")
        if not isinstance(db, str):
            raise TypeError(f"{name}(): db must be a str, got {type(db).__name__}")
        return db

    def _in_db(self, q: str, db: str, options: dict[str, Any]) -> Any:
        """``query(q)`` run in ``db`` (an empty name is left to the server)."""
        if db:
            options["db"] = db
        return self.query(q, **options)

    create_database = _helper_09("create_database")
    drop_database = _helper_09("drop_database")
    drop_measurement = _helper_09("drop_measurement")
    show_databases = _helper_09("show_databases")
    show_measurements = _helper_09("show_measurements")
    show_users = _helper_09("show_users")
    show_series = _helper_09("show_series")
    show_tag_keys = _helper_09("show_tag_keys")
    show_field_keys = _helper_09("show_field_keys")
    show_tag_values = _helper_09("show_tag_values")
    show_retention_policies = _helper_09("show_retention_policies")
    show_continuous_queries = _helper_09("show_continuous_queries")

    # -- query patterns ------------------------------------------------------------------
    # Each pattern is a partialmethod over _query_pattern(pattern, *args, **kwargs), which
    # fills the pattern's placeholders (aioinflux.queries, pure) and hands the InfluxQL to the
    # public query(): patterns follow the mode and accept every query() option.

    def set_query_pattern(self, queries: Mapping[str, str] | None = None, **kwargs: str) -> None:
        """Add query patterns to this client (other clients are not changed).

        Each pattern becomes a method of this client, like the built-in ones: after
        ``client.set_query_pattern(load=LOAD)``, ``client.load('cpu', host='a')`` fills
        ``LOAD``'s placeholders in order, then runs it. Put the quotes in the template:
        ``"{x}"`` fills an identifier and ``'{x}'`` a string literal, each escaped; a bare
        ``{x}`` takes only a plain identifier or number. See :doc:`queries`.

        :param queries: a mapping of method names to InfluxQL templates.
        :param kwargs: more patterns, as ``name=template``.
        :raises ValueError: for a name that is not a public identifier or that would shadow
            an attribute of the client (a pattern set earlier on this client may be
            replaced), a placeholder named like a :meth:`query` option other than ``db``, or
            a malformed template. Nothing is added then.

        .. versionadded:: 0.10
        """
        if queries is not None and not isinstance(queries, Mapping):
            raise TypeError(
                f"queries must be a mapping of names to templates, got {type(queries).__name__}"
            )
        given = dict(queries or {})
        for name, template in kwargs.items():
            if given.get(name, template) != template:
                raise ValueError(f"query pattern {name!r} is given twice, differently")
            given[name] = template
        options = self._query_options() - {"db"}
        patterns = []
        for name, template in given.items():
            pattern = Pattern(name, template)
            if name.startswith("_"):
                raise ValueError(f"query pattern {name!r}: a name cannot start with '_'")
            if name in dir(self) and not hasattr(vars(self).get(name), "pattern"):
                raise ValueError(
                    f"query pattern {name!r} would shadow the client's attribute {name!r}: "
                    f"choose another name"
                )
            clash = sorted(options.intersection(pattern.params))
            if clash:
                raise ValueError(
                    f"query pattern {name!r}: placeholder {{{clash[0]}}} is named like an "
                    f"option of query(); rename it"
                )
            patterns.append(pattern)
        for pattern in patterns:
            method = PatternMethod(type(self)._query_pattern, pattern)
            setattr(self, pattern.name, method.bind(self))

    def _query_options(self) -> frozenset[str]:
        return self._keyword_only_of(type(self).query)

    @staticmethod
    @functools.cache
    def _keyword_only_of(function: Callable[..., Any]) -> frozenset[str]:
        parameters = inspect.signature(function).parameters.values()
        return frozenset(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)

    def _query_pattern(self, pattern: Pattern, /, *args: Any, **kwargs: Any) -> Any:
        """Fill ``pattern`` with the arguments and run it with :meth:`query`.

        Keywords naming :meth:`query` options (``epoch``, ``chunked``…) go to it; ``db``
        fills the pattern's ``{db}`` (default :attr:`db`) and is also the query's database.
        Every argument is checked here, before anything is sent, also in async mode.
        """
        names = self._query_options().difference(pattern.params)
        options = {key: kwargs.pop(key) for key in [*kwargs] if key in names}
        values = pattern.bind(args, kwargs, db=self.db)
        if values.get("db"):
            # (an empty name is left to the server, which refuses it with its own message)
            options["db"] = values["db"]
        return self.query(pattern.render(values), **options)

    show_tag_keys_from = PatternMethod(_query_pattern, PATTERNS["show_tag_keys_from"])
    show_field_keys_from = PatternMethod(_query_pattern, PATTERNS["show_field_keys_from"])
    show_tag_values_from = PatternMethod(_query_pattern, PATTERNS["show_tag_values_from"])
    select_all = PatternMethod(_query_pattern, PATTERNS["select_all"])
    create_retention_policy = PatternMethod(_query_pattern, PATTERNS["create_retention_policy"])
    alter_retention_policy = PatternMethod(_query_pattern, PATTERNS["alter_retention_policy"])
    drop_retention_policy = PatternMethod(_query_pattern, PATTERNS["drop_retention_policy"])
    create_user = PatternMethod(_query_pattern, PATTERNS["create_user"])
    drop_user = PatternMethod(_query_pattern, PATTERNS["drop_user"])
    grant_privilege = PatternMethod(_query_pattern, PATTERNS["grant_privilege"])
    revoke_privilege = PatternMethod(_query_pattern, PATTERNS["revoke_privilege"])
    set_user_password = PatternMethod(_query_pattern, PATTERNS["set_user_password"])
    show_grants = PatternMethod(_query_pattern, PATTERNS["show_grants"])
    show_shards = PatternMethod(_query_pattern, PATTERNS["show_shards"])
    show_stats = PatternMethod(_query_pattern, PATTERNS["show_stats"])
    show_diagnostics = PatternMethod(_query_pattern, PATTERNS["show_diagnostics"])

    # -- life cycle ----------------------------------------------------------------------

    @runner
    async def close(self) -> None:
        """Close the client's sessions. Calling it again does nothing."""
        await self._transport.close()

    async def __aenter__(self) -> InfluxDBClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.shield(self._transport.close())

    def __enter__(self) -> InfluxDBClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        run(self._transport.close())

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None and not transport.closed:
            warnings.warn(
                f"{self!r} was not closed: call close() or use 'async with' / 'with'",
                ResourceWarning,
                source=self,
                stacklevel=2,
            )
            # its connections are closed on their own loop's thread, not left to aiohttp's
            # finalizers on this one
            transport.abandon()
