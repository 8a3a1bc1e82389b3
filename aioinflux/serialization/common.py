"""The pieces every encoder shares: escaping, representability checks, time conversion.

Rule 1: what the server stores is exactly what the user gave, or we raise
``LineProtocolError`` (a ``ValueError``). The escaping rules below were measured on
influxd 1.6.7 by writing each name and reading it back (the cases are in
``tests/test_serialization_mapping.py``, which checks them on the real server); they differ
per element.
Rule 2: a name that needs no escaping costs one dict lookup: escaped names are cached, and a
name is only rewritten when it holds a special character.
Rule 3: timestamps are integers all the way: no float seconds, no local time zone.
"""

from __future__ import annotations

import re
import sys
import warnings
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import ciso8601

from .._units import NS_PER_UNIT, SUB_NS_DIVISORS
from ..exceptions import LineProtocolError

__all__ = [
    "LEADING_STRIPPED",
    "MAX_NS",
    "MIN_NS",
    "escape_field_key",
    "escape_measurement",
    "escape_tag_key",
    "escape_tag_value",
    "field_value",
    "string_field",
    "tag_value_text",
    "time_to_int",
]

# influxd 1.x: "time outside range -9223372036854775806 - 9223372036854775806" (measured)
MIN_NS = -9_223_372_036_854_775_806
MAX_NS = 9_223_372_036_854_775_806
_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_CACHE_LIMIT = 100_000


# --- names --------------------------------------------------------------------------------
# Tag keys, tag values, field keys: a backslash before each comma, space and '=', and any
# other backslash written as is (doubling it stores two). Measurements: ',' and ' ' escaped,
# backslashes and '=' as is (measured on influxd 1.6.7; tests/test_serialization_mapping.py).
# A measurement with a backslash right before ',', ' ', '=' or '"' raises: written as the matrix
# says (`x\\\ y`), SHOW MEASUREMENTS lists it exactly but no SELECT returns its data, and no
# other encoding does better (measured on 1.6.7, tests/test_serialization_mapping.py).
_KEY_SPECIAL = re.compile(r"[,= \\\n]")
_KEY_ESCAPE = re.compile(r"[,= ]")
_MEAS_SPECIAL = re.compile(r"[, \\\n]")
_MEAS_ESCAPE = re.compile(r"[, ]")
# influxd skips tabs and NULs before a measurement and before the first field key (its
# whitespace), escaped or not (measured); later field keys keep them.
_STRIPPED = LEADING_STRIPPED = "\t\x00"
_MEAS_UNREADABLE = re.compile(r"\\[, =\"]")
# In a field key the server also takes a backslash before '"' as an escape (`\"` stores `"`),
# so a '"' gets a backslash there too (measured); tags keep `\"` as is.
_FIELD_KEY_SPECIAL = re.compile(r'[,= "\\\n]')
_FIELD_KEY_ESCAPE = re.compile(r'[,= "]')
# A field key with an odd run of backslashes right before ',', ' ' or '=' is rejected (400)
# however it is written; an even run is stored exactly (measured).
_FIELD_KEY_ODD_BACKSLASHES = re.compile(r"(?<!\\)(?:\\\\)*\\[, =]")


def _backslash(match: re.Match[str]) -> str:
    return "\\" + match.group()


def _check_name(kind: str, name: str) -> None:
    if not name:
        raise LineProtocolError(f"{kind} cannot be empty")
    if "\n" in name:
        raise LineProtocolError(
            f"{kind} {name!r}: a line break cannot be written to InfluxDB 1.x in a name"
        )
    if name.endswith("\\"):
        raise LineProtocolError(
            f"{kind} {name!r}: a trailing backslash cannot be written to InfluxDB 1.x"
        )


def _not_a_string(kind: str, name: object) -> TypeError:
    return TypeError(f"{kind} must be a str, got {type(name).__name__} {name!r}")


# aioinflux 0.9 wrote a name or tag value that is not a str as its str(), with this warning;
# the message starts as 0.9's did, so that warning filters written for 0.9 still match.
_NON_STR_WARNING = "Non-string-like data passed. Attempting to convert to 'str': "


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) or _is_numpy_scalar(value)


def _number_text(what: str, value: object) -> str:
    """The text of a number given where a str is expected: its ``str()``, as aioinflux 0.9
    wrote it, with 0.9's UserWarning naming ``what`` it is."""
    text = str(value)
    warnings.warn(
        f"{_NON_STR_WARNING}{what} {value!r} ({type(value).__name__}) is written as {text!r}",
        UserWarning,
        stacklevel=2,
    )
    return text


def _name_text(kind: str, name: object) -> str:
    """A name as a str: itself, or a number's text (with 0.9's warning); else TypeError."""
    if isinstance(name, str):
        return name
    if _is_number(name):
        return _number_text(kind, name)
    raise _not_a_string(kind, name)


_MEASUREMENTS: dict[str, str] = {}
_TAG_KEYS: dict[str, str] = {}
_TAG_VALUES: dict[str, str] = {}
_FIELD_KEYS: dict[str, str] = {}


def _remember(cache: dict[str, str], name: str, escaped: str) -> str:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[name] = escaped
    return escaped


def escape_measurement(name: str) -> str:
    """``name`` as a measurement in line protocol; raises if 1.x cannot store it exactly."""
    try:
        return _MEASUREMENTS[name]
    except (KeyError, TypeError):
        pass
    name = _name_text("measurement", name)  # a number is remembered under its text only
    _check_name("measurement", name)
    if name.startswith("#"):
        raise LineProtocolError(
            f"measurement {name!r}: a leading '#' makes the line a comment in InfluxDB 1.x"
        )
    if name[0] in _STRIPPED:
        raise LineProtocolError(
            f"measurement {name!r}: InfluxDB 1.x drops a leading tab or NUL character"
        )
    if _MEAS_UNREADABLE.search(name):
        raise LineProtocolError(
            f"measurement {name!r}: InfluxDB 1.x cannot read back a measurement with a "
            "backslash right before a comma, space, '=' or '\"'"
        )
    escaped = _MEAS_ESCAPE.sub(_backslash, name) if _MEAS_SPECIAL.search(name) else name
    return _remember(_MEASUREMENTS, name, escaped)


def _escape_key(
    name: str,
    kind: str,
    cache: dict[str, str],
    special: re.Pattern[str] = _KEY_SPECIAL,
    escape: re.Pattern[str] = _KEY_ESCAPE,
) -> str:
    name = _name_text(kind, name)  # a number is remembered under its text only
    _check_name(kind, name)
    if name == "time":
        # influxd drops a field or tag named 'time' (partial write, measured)
        raise LineProtocolError(f"{kind} 'time' cannot be written to InfluxDB 1.x")
    escaped = escape.sub(_backslash, name) if special.search(name) else name
    return _remember(cache, name, escaped)


def escape_tag_key(name: str) -> str:
    """``name`` as a tag key; raises if 1.x cannot store it exactly."""
    try:
        return _TAG_KEYS[name]
    except (KeyError, TypeError):
        return _escape_key(name, "tag key", _TAG_KEYS)


def escape_field_key(name: str) -> str:
    """``name`` as a field key; raises if 1.x cannot store it exactly."""
    try:
        return _FIELD_KEYS[name]
    except (KeyError, TypeError):
        pass
    if isinstance(name, str) and _FIELD_KEY_ODD_BACKSLASHES.search(name):
        raise LineProtocolError(
            f"field key {name!r}: a backslash right before a comma, space or '=' in a field "
            "key cannot be written to InfluxDB 1.x"
        )
    return _escape_key(name, "field key", _FIELD_KEYS, _FIELD_KEY_SPECIAL, _FIELD_KEY_ESCAPE)


def escape_tag_value(value: str) -> str:
    """A non-empty tag value (a str) escaped; raises if 1.x cannot store it exactly."""
    try:
        return _TAG_VALUES[value]
    except KeyError:
        pass
    _check_name("tag value", value)
    escaped = _KEY_ESCAPE.sub(_backslash, value) if _KEY_SPECIAL.search(value) else value
    return _remember(_TAG_VALUES, value, escaped)


def tag_value_text(value: object, key: str, *, warn: bool = False) -> str | None:
    """The text of a tag value, or None when the tag is to be omitted (None or empty).

    Strings are written as they are; numbers (bool, int, float, Decimal, numpy scalars) as
    their ``str()``, with aioinflux 0.9's UserWarning if ``warn`` (mappings and extra tags,
    where 0.9 warned); anything else raises TypeError.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if _is_number(value):
        return _number_text(f"tag {key!r}: value", value) if warn else str(value)
    raise TypeError(
        f"tag {key!r}: cannot write a tag value of type {type(value).__name__} ({value!r})"
    )


def _is_numpy_scalar(value: object) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, (np.number, np.bool_))


# --- field values ---------------------------------------------------------------------------


def string_field(value: str) -> str:
    """A string field value in quotes: a backslash before each ``"`` and ``\\``."""
    if '"' in value or "\\" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


def _float_text(value: float, key: str) -> str:
    if value - value != 0.0:  # NaN or +-inf: rejected by 1.x (400)
        raise LineProtocolError(f"field {key!r}: {value!r} cannot be written to InfluxDB 1.x")
    return repr(value)


def _int_text(value: int, key: str) -> str:
    if not _INT_MIN <= value <= _INT_MAX:
        raise LineProtocolError(
            f"field {key!r}: the integer {value} is outside the signed 64-bit range of InfluxDB"
        )
    return f"{value}i"


def field_value(value: Any, key: str) -> str | None:
    """The text of a field value, or None when the field is to be skipped (None).

    ``bool`` → ``true``/``false``; ``int`` → ``42i`` (signed 64-bit); ``float`` → its
    shortest round-trip text (NaN and infinities raise); ``str`` → quoted and escaped;
    ``Decimal`` → the float nearest to it; numpy scalars as their Python counterparts, with
    float32 written as the shortest text that reads back as the same float32.
    """
    kind = type(value)
    if kind is float:
        return _float_text(value, key)
    if kind is int:
        return _int_text(value, key)
    if kind is str:
        return string_field(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return None
    return _other_field_value(value, key)


def _other_field_value(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _int_text(int(value), key)
    if isinstance(value, float):
        return _float_text(float(value), key)
    if isinstance(value, str):
        return string_field(str(value))
    if isinstance(value, Decimal):
        # float() rounds the decimal to the nearest double, as the server's parser would
        return _float_text(float(value), key)
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.bool_):
            return "true" if value else "false"
        if isinstance(value, np.integer):
            return _int_text(int(value), key)
        if isinstance(value, (np.float32, np.float16)):
            _float_text(float(value), key)  # raises for NaN and infinities
            return str(value)  # numpy's shortest text that reads back as this float32
        if isinstance(value, np.floating):
            return _float_text(float(value), key)
    raise TypeError(
        f"field {key!r}: cannot write a field value of type {type(value).__name__} ({value!r})"
    )


# --- time -----------------------------------------------------------------------------------
# The fraction of the seconds in an ISO 8601 string: ciso8601 keeps microseconds only.
_FRACTION = re.compile(r"[T ]\d\d:?\d\d:?\d\d[.,](\d+)")


def _datetime_ns(value: datetime) -> int:
    delta: timedelta = value - (_EPOCH_NAIVE if value.tzinfo is None else _EPOCH)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _string_ns(value: str) -> int:
    try:
        parsed = ciso8601.parse_datetime(value)
    except ValueError:
        return _other_string_ns(value)
    ns = _datetime_ns(parsed)
    fraction = _FRACTION.search(value)
    if fraction is not None and len(fraction.group(1)) > 6:
        # ciso8601 stops at microseconds: add back the nanoseconds (digits past 9 are floored)
        ns += int(fraction.group(1)[6:9].ljust(3, "0"))
    return ns


# Strings that are not ISO 8601 are read only when they can be read one way. Refused: a
# numeric date with the year last (the day and month could be either way round: pandas reads
# '01/02/2020' as 2 January but '02 01 2020' as 1 February; refusing the form, not only the
# dates whose day is 12 or less, fails on the first date written, not on the 13th of a month),
# and anything without a four-digit year ('20-01-02', a time of day alone, 'now', 'today':
# pandas fills those from the machine's clock and local time). A numeric date with the year
# first ('2020/01/02', '2020.1.2') is rewritten as ISO 8601; the rest (month names, RFC 2822)
# goes to pandas, whose reading must agree with the year (and month) the string names.
_YEAR_LAST = re.compile(r"(?<![\d.:])(\d{1,2})([/.\- ])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})([/.\- ])(\d{1,2})\2(\d{1,2})(?!\d)")
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAME = re.compile(r"(?<![a-z])(" + "|".join(_MONTHS) + r")[a-z]*", re.IGNORECASE)
_ISO_ADVICE = "write it in ISO 8601, e.g. '2020-01-02T03:04:05Z'"


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _year_last_error(value: str, match: re.Match[str]) -> LineProtocolError:
    first, second, year = int(match[1]), int(match[3]), match[4]
    if len(year) == 2:
        return LineProtocolError(
            f"time {value!r} has a two-digit year, and its day and month could be either way "
            f"round: {_ISO_ADVICE}"
        )
    after = value[match.end() :]
    if after[:1] == " " and after[1:2].isdigit():  # ISO 8601 puts a T before the time
        after = "T" + after[1:]
    readings: dict[str, str] = {}
    for month, day, order in ((first, second, "month first"), (second, first, "day first")):
        if _valid_date(int(year), month, day):
            iso = f"{value[: match.start()]}{year}-{month:02d}-{day:02d}{after}"
            readings.setdefault(iso, order)
    if len(readings) == 2:
        shown = " or ".join(f"{iso!r} ({order})" for iso, order in readings.items())
        return LineProtocolError(
            f"time {value!r} is ambiguous: its day and month could be either way round; "
            f"write it in ISO 8601: {shown}"
        )
    if readings:
        (iso,) = readings
        return LineProtocolError(
            f"time {value!r} puts the day and month before the year, which can be read either "
            f"way round (on days 1 to 12 of a month); write it in ISO 8601: {iso!r}"
        )
    return LineProtocolError(f"time {value!r} is not a date: {_ISO_ADVICE}")


def _other_string_ns(value: str) -> int:
    """A time string that is not ISO 8601, read only when it can be read one way."""
    year_last = _YEAR_LAST.search(value)
    if year_last is not None:
        raise _year_last_error(value, year_last)
    if value.strip().isdigit() and len(value.strip()) != 4:  # four digits: a year
        raise LineProtocolError(
            f"time {value!r} is a string of digits: pass an int for a timestamp in the "
            f"write's precision, or {_ISO_ADVICE}"
        )
    year = _FOUR_DIGITS.search(value)
    if year is None:
        raise LineProtocolError(
            f"time {value!r} has no four-digit year: {_ISO_ADVICE} (a time of day alone, "
            "'now' or 'today' would be read with the machine's clock and time zone)"
        )
    year_first = _YEAR_FIRST.search(value)
    expected: tuple[int, ...] = (int(year[0]),)
    if year_first is not None:
        y, month, day = int(year_first[1]), int(year_first[3]), int(year_first[4])
        if not _valid_date(y, month, day):
            raise LineProtocolError(f"time {value!r} is not a date: {_ISO_ADVICE}")
        expected = (y, month, day)
        before, after = value[: year_first.start()], value[year_first.end() :]
        rewritten = f"{before}{y:04d}-{month:02d}-{day:02d}{after}"
        try:
            ciso8601.parse_datetime(rewritten)
        except ValueError:
            pass  # not ISO 8601 once rewritten either ('2020/01/02 10:00 UTC'): pandas
        else:
            return _string_ns(rewritten)
    else:
        month_name = _MONTH_NAME.search(value)
        if month_name is not None:
            expected = (int(year[0]), _MONTHS.index(month_name[1].lower()) + 1)
    return _pandas_string_ns(value, expected)


def _pandas_string_ns(value: str, expected: tuple[int, ...]) -> int:
    try:
        import pandas as pd
    except ImportError:
        raise LineProtocolError(
            f"time {value!r} is not ISO 8601 (pandas, which reads other forms, is not "
            f"installed): {_ISO_ADVICE}"
        ) from None
    try:
        with warnings.catch_warnings():
            # pandas 2 drops a time zone it does not know ('EST') with only a FutureWarning
            # and reads the wall time as UTC; pandas 3 raises: refused either way
            # (tests/test_serialization_mapping.py, run on pandas 2 under Python 3.12)
            warnings.simplefilter("error", FutureWarning)
            stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError, FutureWarning) as exc:
        raise LineProtocolError(f"time {value!r} cannot be parsed: {exc}") from None
    if stamp is pd.NaT:
        raise LineProtocolError(f"time {value!r} is not a time (NaT)")
    if (stamp.year, stamp.month, stamp.day)[: len(expected)] != expected:
        raise LineProtocolError(
            f"time {value!r} would be read as {stamp.isoformat()!r}, which is not what it "
            f"says: {_ISO_ADVICE}"
        )
    return _pandas_ns(stamp)


def _pandas_ns(stamp: Any) -> int:
    # Timestamp.value is nanoseconds since the epoch: UTC when aware, wall time as UTC when naive
    return int(stamp.value)


def _numpy_ns(value: Any) -> int:
    np = sys.modules["numpy"]
    if np.isnat(value):
        raise LineProtocolError("time is NaT (not a time)")
    unit, count = np.datetime_data(value.dtype)
    if unit in ("Y", "M"):
        value, unit, count = value.astype("datetime64[D]"), "D", 1
    ticks = int(value.astype(np.int64)) * int(count)
    if unit in SUB_NS_DIVISORS:
        return ticks // SUB_NS_DIVISORS[str(unit)]
    return ticks * NS_PER_UNIT[str(unit)]


def time_to_int(value: Any, factor: int) -> int:
    """A point's time as an integer in the write's precision (``factor`` ns per unit).

    Integers are taken as already in the precision; datetimes (naive = UTC), ISO 8601
    strings, ``pandas.Timestamp`` and ``numpy.datetime64`` are converted exactly and floored
    to the precision.
    """
    kind = type(value)
    if kind is int:
        ticks: int = value
        ns = ticks * factor
    elif kind is str:
        ns = _string_ns(value)
        ticks = ns // factor
    elif kind is datetime:
        ns = _datetime_ns(value)
        ticks = ns // factor
    else:
        ticks, ns = _other_time(value, factor)
    if not MIN_NS <= ns <= MAX_NS:
        raise LineProtocolError(
            f"time {value!r} is outside the range InfluxDB can store (1677-09-21 to 2262-04-11)"
        )
    return ticks


def _other_time(value: Any, factor: int) -> tuple[int, int]:
    pd = sys.modules.get("pandas")
    if pd is not None and value is pd.NaT:
        raise LineProtocolError("time is NaT (not a time); leave the time out for server time")
    if isinstance(value, (bool, float)):
        raise TypeError(
            f"time must be an int, a datetime, an ISO 8601 string, a pandas.Timestamp or a "
            f"numpy.datetime64, got {type(value).__name__} {value!r} (timestamps are exact: "
            "no floats)"
        )
    if isinstance(value, int):
        return int(value), int(value) * factor
    if pd is not None and isinstance(value, pd.Timestamp):
        ns = _pandas_ns(value)
        return ns // factor, ns
    if isinstance(value, datetime):
        ns = _datetime_ns(value)
        return ns // factor, ns
    if isinstance(value, str):
        ns = _string_ns(str(value))
        return ns // factor, ns
    if isinstance(value, date):
        ns = _datetime_ns(datetime(value.year, value.month, value.day))
        return ns // factor, ns
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.datetime64):
            ns = _numpy_ns(value)
            return ns // factor, ns
        if isinstance(value, np.integer):
            return int(value), int(value) * factor
    raise TypeError(
        f"time must be an int, a datetime, an ISO 8601 string, a pandas.Timestamp or a "
        f"numpy.datetime64, got {type(value).__name__} {value!r}"
    )
