"""Configuration checks and parsing: options, one URL (a DSN) or environment variables; pure,
no I/O.

Rule 1: a DSN or a variable becomes constructor options of ``InfluxDBClient``, nothing else;
anything not understood raises ValueError naming the part (or the variable) that is wrong,
before any I/O.
Rule 2: a password is never part of a message: errors name the part that is wrong and never
quote the whole DSN, and a DSN whose password would be misread (an unencoded ``/``, ``?``
or ``#`` in it) is refused without quoting anything of it.
Rule 3: the ``influxdb`` package's DSNs mean the same thing here (``influxdb://`` and
``https+influxdb://``, the path is the database, port 8086 by default); plain ``http(s)://``
URLs mean what a URL means (default ports 80 and 443, the path is the API prefix).
Rule 4: a host and a port follow one set of rules wherever they come from (the constructor,
a DSN, a proxy URL): :func:`check_host` and :func:`check_port`, with one message per mistake.
Rule 5: the client's other options are checked here too, each by one function (the pool,
``retry_for``, ``max_chunk_bytes``, the aiohttp session options the client sets itself).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from ._units import PRECISION_NS, PRECISIONS

__all__ = [
    "CONSISTENCIES",
    "DSN_SCHEMES",
    "ENVIRONMENT",
    "check_choice",
    "check_host",
    "check_keepalive",
    "check_max_chunk_bytes",
    "check_max_connections",
    "check_port",
    "check_proxy",
    "check_retry_for",
    "check_session_options",
    "check_write_options",
    "choice_error",
    "parse_dsn",
    "parse_environment",
    "precision_factor",
    "redact_url",
    "split_host_port",
]

#: scheme -> (transport, default port, what the path is)
DSN_SCHEMES: dict[str, tuple[str, int | None, str]] = {
    "influxdb": ("http", 8086, "database"),
    "https+influxdb": ("https", 8086, "database"),
    "http": ("http", 80, "prefix"),
    "https": ("https", 443, "prefix"),
    "http+unix": ("unix", None, "prefix"),
}
#: Options a DSN's query string may set, and the constructor option each one becomes.
_QUERY_OPTIONS = {"db": "db", "proxy": "proxy"}
#: Query options whose value is a URL, which may hold a '@' of its own.
_URL_OPTIONS = frozenset({"proxy"})
_SCHEME_LIST = ", ".join(f"{s}://" for s in DSN_SCHEMES)

#: The variables :func:`parse_environment` reads, in the order of the docs' table.
ENVIRONMENT = (
    "INFLUX_URL",
    "INFLUX_DB",
    "INFLUX_USERNAME",
    "INFLUX_PASSWORD",
    "INFLUX_TOKEN",
    "INFLUX_TIMEOUT",
    "INFLUX_GZIP",
    "INFLUX_SSL_CA_CERT",
)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def redact_url(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***`` (for messages and
    ``repr``). The user part ends at the last ``@``, so a password holding an unencoded
    ``/``, ``?`` or ``#`` is hidden too."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        # no scheme ('u:pw@proxy:1080'): the user part still ends at the last '@'
        scheme, rest = "", url
    userinfo, at, hostport = rest.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    return f"{scheme}{sep}{userinfo}{at}{hostport}"


def check_max_chunk_bytes(value: object) -> int:
    """``value`` if it is an int of at least 1024 (bytes); raise TypeError/ValueError
    otherwise, naming the option."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_chunk_bytes must be an int (bytes), got {type(value).__name__}")
    if value < 1024:
        raise ValueError(f"max_chunk_bytes must be an int of at least 1024 (bytes), got {value!r}")
    return value


def check_proxy(proxy: str) -> str:
    """``proxy`` if it is the URL of an HTTP(S) proxy, ``http(s)://[user:password@]host[:port]``.

    :raises ValueError: naming what is wrong, with the password replaced by ``***``.
    """
    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be a str (a URL), got {type(proxy).__name__}")
    scheme, sep, rest = proxy.partition("://")
    shown = redact_url(proxy)
    if scheme.lower() not in ("http", "https") or not sep:
        raise ValueError(f"proxy must be an http:// or https:// URL, got {shown!r}")
    authority, _, tail = rest.partition("/")
    if "@" in tail or "?" in authority or "#" in authority:
        raise ValueError(
            f"proxy {shown!r}: percent-encode '/', '?' and '#' in its user name or password "
            "(%2F, %3F, %23); a proxy URL has no path or query"
        )
    host, _ = split_host_port(authority.rpartition("@")[2], f"proxy {shown!r}")
    if not host:
        raise ValueError(f"proxy {shown!r} names no host")
    if tail:
        raise ValueError(f"proxy {shown!r}: a proxy URL has no path or query")
    return proxy


def check_host(host: object) -> str:
    """``host`` if it is a host name or an IP address; raise ValueError/TypeError otherwise.

    Catches what would otherwise fail only at the first request, as a connection error
    naming a URL the user never meant: a scheme (``'http://db'``), a port (``'db:8086'``) or
    a path (``'db/influx'``) written into the host.
    """
    if not isinstance(host, str):
        raise TypeError(f"host must be a str (a host name or IP address), got {host!r}")
    if not host:
        raise ValueError("host must be a host name or IP address, got ''")
    if "://" in host:
        raise ValueError(
            f"host must be a host name or IP address without a scheme, got {host!r}: "
            "pass ssl=True for HTTPS"
        )
    if "/" in host or any(c.isspace() for c in host):
        raise ValueError(
            f"host must be a host name or IP address, got {host!r}: a path prefix goes in path=..."
        )
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.removeprefix("[").removesuffix("]").split("%")[0])
        except ValueError:
            raise ValueError(
                f"host must be a host name or IP address, got {host!r}: pass the port as port=..."
            ) from None
    return host


def check_port(port: object) -> int:
    """``port`` as an int: an int in 1-65535, or a str of one; raise ValueError otherwise."""
    if isinstance(port, str) and port.strip().isdecimal() and port.strip().isascii():
        number = int(port)
    elif isinstance(port, int) and not isinstance(port, bool):
        number = port
    else:
        raise ValueError(f"port must be an int in 1-65535 (or a str of one), got {port!r}")
    if not 1 <= number <= 65535:
        raise ValueError(f"port must be an int in 1-65535 (or a str of one), got {port!r}")
    return number


def split_host_port(hostport: str, where: str) -> tuple[str, int | None]:
    """``host[:port]`` of a URL (IPv6 literals in brackets) -> (host, port or None), each
    checked by the rules of :func:`check_host` and :func:`check_port`; errors start with
    ``where``. An empty host is left to the caller (a DSN may default it)."""
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise ValueError(f"{where}: the IPv6 host has no closing ']'")
        host, rest = hostport[1:close], hostport[close + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"{where}: unexpected {rest!r} after the IPv6 host")
        port_text = rest[1:] if rest else None
    else:
        host, colon, port_text_ = hostport.partition(":")
        port_text = port_text_ if colon else None
    if port_text == "":
        raise ValueError(f"{where}: the port after ':' is empty")
    host = unquote(host)
    try:
        if host:
            check_host(host)
        return host, None if port_text is None else check_port(port_text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def parse_dsn(dsn: str) -> dict[str, Any]:
    """The constructor options a DSN stands for.

    Forms (``[...]`` is optional; user, password, database and socket path are
    percent-decoded):

    - ``influxdb://[user[:password]@]host[:port][/database]``: HTTP, port 8086 by default
      (as the ``influxdb`` package reads it); ``https+influxdb://`` the same over HTTPS;
    - ``http(s)://[user[:password]@]host[:port][/prefix][?db=database]``: the path is the
      API prefix (a server behind a reverse proxy); ports 80 and 443 by default;
    - ``http+unix://[user[:password]@]<percent-encoded socket path>[/prefix][?db=database]``.

    :raises ValueError: naming the part that is wrong; never quoting the password.
    """
    if not isinstance(dsn, str):
        raise TypeError(f"dsn must be a str, got {type(dsn).__name__}")
    scheme, sep, rest = dsn.strip().partition("://")
    scheme = scheme.lower()
    if not sep or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        raise ValueError(f"a DSN starts with a scheme: one of {_SCHEME_LIST}")
    if scheme == "udp+influxdb":
        raise ValueError("DSN scheme 'udp+influxdb': aioinflux speaks HTTP only, not UDP")
    if scheme not in DSN_SCHEMES:
        raise ValueError(f"DSN scheme {scheme!r} is not known: one of {_SCHEME_LIST}")
    transport, default_port, path_is = DSN_SCHEMES[scheme]
    if "#" in rest:
        raise ValueError(
            f"DSN ({scheme}://): a DSN has no '#' part; percent-encode '#' (%23) in a "
            "user name, password or database"
        )
    rest, _, query = rest.partition("?")
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    if "@" in path or any(
        "@" in name or ("@" in value and name not in _URL_OPTIONS)
        for name, _, value in (pair.partition("=") for pair in query.split("&"))
    ):
        # an unencoded '/' or '?' in the password would put part of it here
        raise ValueError(
            f"DSN ({scheme}://): '@' after the host; percent-encode '/', '?' and '#' in a "
            "user name or password (%2F, %3F, %23)"
        )
    userinfo, at, hostport = authority.rpartition("@")
    options: dict[str, Any] = {}
    if at:
        user, colon, password = userinfo.partition(":")
        if user:
            options["username"] = unquote(user)
        if colon:
            options["password"] = unquote(password)
        if colon and not user:
            raise ValueError(f"DSN ({scheme}://): a password is given without a user name")
    if transport == "unix":
        socket_path = unquote(hostport)
        if not socket_path:
            raise ValueError(
                f"DSN ({scheme}://): the socket path is missing; percent-encode it as the "
                "host, e.g. http+unix://%2Fvar%2Frun%2Finfluxdb.sock"
            )
        options["unix_socket"] = socket_path
    else:
        if "," in hostport:
            # the influxdb package takes the first of several hosts and ignores the others
            raise ValueError(f"DSN ({scheme}://): one host only; several are not supported")
        host, port = split_host_port(hostport, f"DSN ({scheme}://)")
        if not host and path_is == "prefix":
            raise ValueError(f"DSN ({scheme}://): the host is missing")
        options["host"] = host or "localhost"
        options["port"] = port if port is not None else default_port
        options["ssl"] = transport == "https"
    if path_is == "database":
        if len(path) > 1:
            options["db"] = unquote(path[1:])
    elif path.strip("/"):
        options["path"] = path
    for name, value in _parse_query(query, scheme).items():
        option = _QUERY_OPTIONS[name]
        if option in options and options[option] != value:
            raise ValueError(
                f"DSN ({scheme}://): the path and ?{name}= name different databases: "
                f"{options[option]!r}, {value!r}"
            )
        options[option] = value
    return options


def _parse_query(query: str, scheme: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if not query:
        return found
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ValueError(
            f"DSN ({scheme}://): the query string is malformed: it must be name=value pairs "
            "joined by '&'"
        ) from None
    for name, value in pairs:
        if name not in _QUERY_OPTIONS:
            known = ", ".join(sorted(_QUERY_OPTIONS))
            raise ValueError(
                f"DSN ({scheme}://): unknown query parameter {name!r} (known: {known})"
            )
        if name in found:
            raise ValueError(f"DSN ({scheme}://): query parameter {name!r} is given twice")
        if not value:
            raise ValueError(f"DSN ({scheme}://): query parameter {name!r} is empty")
        if name in _URL_OPTIONS:
            try:
                check_proxy(value)
            except ValueError as exc:
                raise ValueError(f"DSN ({scheme}://): {exc}") from None
        found[name] = value
    return found


def _boolean(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        f"{name} must be one of {', '.join(_TRUE)} or {', '.join(_FALSE)}, got {value!r}"
    )


def _seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return seconds


def parse_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The constructor options that the ``INFLUX_*`` variables of ``environ`` stand for.

    An empty variable counts as unset. ``INFLUX_SSL_CA_CERT`` comes back as the option
    ``ca_cert`` (a path: the client reads it). A variable that says something the URL says
    differently is an error, not an override.

    :raises ValueError: naming the variable whose value is wrong.
    """
    env = {name: environ[name] for name in ENVIRONMENT if environ.get(name)}
    options: dict[str, Any] = {}
    if "INFLUX_URL" in env:
        try:
            options = parse_dsn(env["INFLUX_URL"])
        except ValueError as exc:
            raise ValueError(f"INFLUX_URL: {exc}") from None
    for name, option in (
        ("INFLUX_DB", "db"),
        ("INFLUX_USERNAME", "username"),
        ("INFLUX_PASSWORD", "password"),
    ):
        if name not in env:
            continue
        if option in options and options[option] != env[name]:
            what = "a different password" if option == "password" else repr(options[option])
            raise ValueError(f"{name} and INFLUX_URL disagree: INFLUX_URL gives {what}")
        options[option] = env[name]
    if "INFLUX_TOKEN" in env:
        options["token"] = env["INFLUX_TOKEN"]
    if "INFLUX_TIMEOUT" in env:
        options["timeout"] = _seconds("INFLUX_TIMEOUT", env["INFLUX_TIMEOUT"])
    if "INFLUX_GZIP" in env:
        options["gzip"] = _boolean("INFLUX_GZIP", env["INFLUX_GZIP"])
    if "INFLUX_SSL_CA_CERT" in env:
        if options.get("ssl") is not True:
            raise ValueError(
                "INFLUX_SSL_CA_CERT is set but INFLUX_URL is not an HTTPS URL "
                "(https:// or https+influxdb://)"
            )
        options["ca_cert"] = env["INFLUX_SSL_CA_CERT"]
    return options


def check_retry_for(retry_for: float) -> float:
    """``retry_for`` as a float, if it is a finite number of seconds >= 0."""
    if (
        isinstance(retry_for, bool)
        or not isinstance(retry_for, (int, float))
        or not retry_for >= 0
        or retry_for == float("inf")
    ):
        raise ValueError(f"retry_for must be a number of seconds >= 0, got {retry_for!r}")
    return float(retry_for)


def check_session_options(options: Mapping[str, Any]) -> None:
    """Refuse the aiohttp session options the client must set itself."""
    if "connector" in options:
        raise TypeError(
            "connector= cannot be given: a connector belongs to one event loop, and the "
            "client makes a session with a connection pool of its own in each loop it is "
            "used in; set the pool with max_connections= and keepalive_timeout="
        )
    if "auto_decompress" in options:
        raise TypeError(
            "auto_decompress= cannot be given: the client inflates answers itself, only in an "
            "encoding it asked for and in bounded pieces (see max_chunk_bytes)"
        )


def check_max_connections(value: int | None) -> int | None:
    """``value`` if it is a positive int, or None (no limit)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"max_connections must be a positive integer or None, got {value!r}")
    return value


def check_keepalive(value: float) -> float:
    """``value`` as a float, if it is a finite number of seconds > 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < float("inf")
    ):
        raise ValueError(f"keepalive_timeout must be a positive number of seconds, got {value!r}")
    return float(value)


#: Write consistencies of an InfluxDB Enterprise cluster.
CONSISTENCIES = ("any", "one", "quorum", "all")


def choice_error(name: str, value: object, allowed: tuple[str, ...]) -> ValueError:
    """The error for option ``name`` given ``value``, which is not one of ``allowed``."""
    options = ", ".join(repr(a) for a in allowed)
    return ValueError(f"{name} must be one of {options} or None, got {value!r}")


def check_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    """Raise ValueError unless ``value`` is None or one of ``allowed``, naming them."""
    if value is not None and value not in allowed:
        raise choice_error(name, value, allowed)


def precision_factor(precision: str | None) -> int:
    """Nanoseconds per unit of ``precision`` (None means ns): the one precision rule,
    raising ValueError for a precision the server does not know."""
    if precision is None:
        return 1
    try:
        return PRECISION_NS[precision]
    except KeyError:
        raise choice_error("precision", precision, PRECISIONS) from None


def check_write_options(precision: str | None, consistency: str | None) -> int:
    """Raise ValueError for a precision or consistency the server does not know: once per
    write (``client.write()``, the batch writer's ``write()``), never per request. Returns
    the precision's nanoseconds per unit, which the write hands to the serializer."""
    factor = precision_factor(precision)
    check_choice("consistency", consistency, CONSISTENCIES)
    return factor
