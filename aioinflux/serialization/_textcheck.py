"""Line protocol the user gave as text, checked by influxd 1.x's grammar before it is sent.

Rule 1: a body's verdict is influxd's: every line influxd would refuse raises
LineProtocolError naming the line (its number, 1-based) and what is wrong, so a write with
one bad line writes nothing (influxd would store the good lines and refuse the rest: a
partial write). What influxd accepts is sent byte for byte as given.
Rule 2: one regular expression over the whole body (C, no Python loop over bytes or lines)
accepts the common case: lines of a strict subset of the grammar, whose numbers and times
cannot be out of range. The rare semantic checks (duplicate tag keys, keys named ``time``,
key length) run only where a cheap pre-test says they might be needed, once per distinct
series key. Anything else goes to :func:`exact_lines`, a port of influxd 1.6's
``models/points.go`` (``scanLine``, ``parsePoint``) run line by line, which gives the
verdict and names the culprit. The fast check only ever accepts what the exact one accepts
(tests/test_serialization_textcheck.py checks it on random bodies).
Rule 3: comment lines (``#`` first) and blank lines are skipped as influxd skips them, and
are no points; a comment that goes on past a newline (an unbalanced ``"`` after an ``=``, or
a backslash before the newline) is refused: influxd would skip the lines after it and still
answer 204.
Rule 4: on purpose stricter than influxd in one place: a field named ``time``, which influxd
drops silently when the line has other fields (and refuses when it has none).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .._compiled import load
from ..exceptions import LineProtocolError

__all__ = ["check_text", "exact_lines", "fast_check", "pattern_check"]

#: the compiled fast check (_ctextcheck.c): the same subset of the grammar as the patterns
#: below, read in one pass over the bytes (3 to 4 times their speed on lines with a string
#: field, ``benchmarks/bench_writer.py --check``); None when not built or switched off
_MODULE = load("textcheck", "aioinflux.serialization._ctextcheck")
_COMPILED: Callable[[bytes, int], bool] | None = None if _MODULE is None else _MODULE.accepts

# influxd's limits (models/points.go, models/time.go of 1.6)
_MAX_KEY = 65535
_MIN_TIME = -(2**63) + 2
_MAX_TIME = 2**63 - 2
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1

# --- the fast check: one regular expression, a strict subset of the grammar ------------------
# Names: no unescaped backslash, only `\ ` `\,` `\=` as escapes (where influxd's two ways of
# reading escapes agree); no whitespace but the separators. Values: floats of at most 20+20
# digits and a two-digit exponent, integers of at most 18 digits, unsigned of at most 19,
# booleans as influxd spells them, strings without a line break. Each bound keeps a value
# inside its type's range, so no number needs parsing.
# Bytes are spelled out, never ``\s`` or ``\d``: Python's ``re`` tests a class of plain bytes
# with one bitmap lookup, but one holding a category item by item (20% slower over a body,
# ``benchmarks/bench_writer.py --check``).
_ESC = rb"\\[ ,=]"
_SPACES = rb"\t\n\x0b\x0c\r "  # what \s means for bytes
# each name is non-empty: a lookahead refuses what would end it (or start a comment) first
_MEAS = (
    rb"(?!["
    + _SPACES
    + rb",#\x00])[^"
    + _SPACES
    + rb",\\]*+(?:"
    + _ESC
    + rb"[^"
    + _SPACES
    + rb",\\]*+)*+"
)
_NAME_BYTE = rb"[^" + _SPACES + rb",=\\]"
_TAG = rb"(?![" + _SPACES + rb",=])" + _NAME_BYTE + rb"*+(?:" + _ESC + _NAME_BYTE + rb"*+)*+"
# a field key is bounded (with the series key, checked apart) so that no key can be too long
_KEY_BYTE = rb"[^" + _SPACES + rb',=\\"]'
_FKEY = (
    rb"(?!["
    + _SPACES
    + rb',="])'
    + _KEY_BYTE
    + rb"{0,1000}+(?:"
    + _ESC
    + _KEY_BYTE
    + rb"{0,1000}+){0,16}+"
)
_EXP = rb"(?:[eE][+-]?[0-9]{1,2}+)?"
# unsigned first: the lines after the first are matched by a possessive repeat, which never
# comes back to try another alternative once a line matched (a 19-digit unsigned would be
# cut after 18 digits by the number's)
_VALUE = (
    rb"(?:[0-9]{1,19}+u"
    rb"|-?(?:[0-9]{1,18}+(?:i|(?:\.[0-9]{0,20}+)?" + _EXP + rb")|\.[0-9]{1,20}+" + _EXP + rb")"
    rb'|"[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*+"'
    rb"|t(?:rue)?+|T(?:rue|RUE)?+|f(?:alse)?+|F(?:alse|ALSE)?+)"
)
_FIELD = _FKEY + rb"=" + _VALUE
#: timestamps that cannot be out of range at each precision's multiplier: an optional
#: first digit, then so many (ns: up to 8999999999999999999, the range ends at 9.22e18)
_TIME_DIGITS = {
    1: (b"[1-8]", 18),
    10**3: (b"[1-8]", 15),
    10**6: (b"[1-8]", 12),
    10**9: (b"[1-8]", 9),
    60 * 10**9: (b"1", 7),
    3600 * 10**9: (b"1", 6),
}
_FAST: dict[int, re.Pattern[bytes]] = {}


def _fast(factor: int) -> re.Pattern[bytes]:
    pattern = _FAST.get(factor)
    if pattern is None:
        first, digits = _TIME_DIGITS.get(factor, (b"", 0))
        stamp = rb"(?: -?%s?[0-9]{1,%d}+)?" % (first, digits) if digits else b""
        line = (
            rb"(?:"
            + _MEAS
            + rb"(?:,"
            + _TAG
            + rb"="
            + _TAG
            + rb")*+ "
            + _FIELD
            + rb"(?:,"
            + _FIELD
            + rb")*+"
            + stamp
            + rb")"
        )
        pattern = _FAST[factor] = re.compile(line + rb"(?:(?:\n" + line + rb")*+\n?)")
    return pattern


#: the series key (measurement and tags) at the start of each line of a body the fast
#: pattern matched (no line break inside a line there)
_KEYS = re.compile(rb"(?m)^[^ \\\n]*+(?:\\.[^ \\\n]*+)*+")
_UNESCAPED_COMMA = re.compile(rb"(?<!\\),")
_UNESCAPED_EQUALS = re.compile(rb"(?<!\\)=")
#: series keys seen to have no duplicate tag key (bounded: cleared when full)
_GOOD_KEYS: set[bytes] = set()


def _duplicate_tag(key: bytes) -> bytes | None:
    """The first tag key ``key`` (a series key) holds twice, or None (influxd compares the
    keys as written, escapes and all)."""
    tags = _UNESCAPED_COMMA.split(key)[1:]
    if len(tags) < 2:
        return None
    names = [_UNESCAPED_EQUALS.split(tag, 1)[0] for tag in tags]
    if len(set(names)) == len(names):
        return None
    seen: set[bytes] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None  # pragma: no cover


def _keys_fine(body: bytes) -> bool:
    """Whether no series key of ``body`` (a body the fast pattern matched) has a duplicate
    tag key or is too long: once per distinct series key, remembered."""
    good = _GOOD_KEYS
    fresh = set(_KEYS.findall(body)).difference(good)
    for key in fresh:
        if len(key) > 48_000 or (key.count(b",") > 1 and _duplicate_tag(key) is not None):
            return False
    if len(good) + len(fresh) > 100_000:
        good.clear()
    good.update(fresh)
    return True


def fast_check(body: bytes, factor: int = 1) -> bool:
    """Whether ``body`` is accepted by the fast check: every newline in it ends a line, no
    line is blank or a comment (a final newline is allowed), and influxd accepts each.

    Compiled when built (one pass over the bytes), else :func:`pattern_check`; both only
    ever accept what :func:`exact_lines` accepts."""
    if not (body.isascii() or _utf8(body)):
        return False
    if _COMPILED is not None:
        return _COMPILED(body, factor)
    return pattern_check(body, factor)


def pattern_check(body: bytes, factor: int = 1) -> bool:
    """The fast check in regular expressions, on a UTF-8 ``body`` (the pure implementation).

    First as lines of one shape, that of the first line (its measurement, tag keys, field
    keys and the types of their values: what most bodies are), whose names are checked once;
    else line by line by the general pattern, each distinct series key checked once."""
    shape = _shape(body, factor)
    if shape is not None and shape.fullmatch(body) is not None:
        return True
    return (
        _fast(factor).fullmatch(body) is not None
        and b" time=" not in body
        and b",time=" not in body
        and _keys_fine(body)
    )


# --- one shape for a whole body ----------------------------------------------------------
_FIRST = re.compile(rb"(" + _MEAS + rb")((?:," + _TAG + rb"=" + _TAG + rb")*+) ")
_FIELD_PARTS = re.compile(rb"(" + _FKEY + rb")=(" + _VALUE + rb")(,| |$)")
_STAMP = re.compile(rb"-?\d++")
#: each kind of value (by its first and last byte), as a pattern for the values of its type
_KINDS = {
    "float": rb"-?(?:[0-9]{1,18}+(?:\.[0-9]{0,20}+)?|\.[0-9]{1,20}+)" + _EXP,
    "int": rb"-?[0-9]{1,18}+i",
    "uint": rb"[0-9]{1,19}+u",
    "bool": rb"(?:t(?:rue)?+|T(?:rue|RUE)?+|f(?:alse)?+|F(?:alse|ALSE)?+)",
    "str": rb'"[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*+"',
}
_SHAPES: dict[tuple[object, ...], re.Pattern[bytes] | None] = {}


def _kind(value: bytes) -> str:
    if value[:1] == b'"':
        return "str"
    if value[-1:] == b"i":
        return "int"
    if value[-1:] == b"u":
        return "uint"
    if value[:1] in b"tTfF":
        return "bool"
    return "float"


def _shape(body: bytes, factor: int) -> re.Pattern[bytes] | None:
    """A pattern of the lines shaped as the first line of ``body``, or None when that line
    is not one the general fast pattern takes, or its names are refused (duplicate tag
    keys, a key ``time``)."""
    end = body.find(b"\n")
    line = body if end < 0 else body[:end]
    first = _FIRST.match(line)
    if first is None:
        return None
    measurement, tags = first.group(1), first.group(2)
    tag_keys = tuple(_UNESCAPED_EQUALS.split(t, 1)[0] for t in _UNESCAPED_COMMA.split(tags)[1:])
    fields = []
    pos = first.end()
    while True:
        part = _FIELD_PARTS.match(line, pos)
        if part is None:
            return None
        fields.append((part.group(1), _kind(part.group(2))))
        pos = part.end()
        if part.group(3) != b",":
            break
    stamp = part.group(3) == b" "
    if stamp and _STAMP.fullmatch(line, pos) is None:
        return None
    key = (measurement, tag_keys, tuple(fields), stamp, factor)
    try:
        return _SHAPES[key]
    except KeyError:
        pass
    pattern = None
    names = [*tag_keys, *(name for name, _ in fields)]
    if (
        len(set(tag_keys)) == len(tag_keys)
        and b"time" not in names
        and (not stamp or factor in _TIME_DIGITS)
    ):
        # tag values bounded so that no series key is longer than the general path allows
        # (runs of plain bytes between at most 8 escapes: faster than a loop over bytes)
        room = (48_000 - len(measurement) - sum(len(k) + 2 for k in tag_keys)) // max(
            1, 9 * len(tag_keys)
        )
        run = _NAME_BYTE + rb"{0,%d}+" % max(1, room)
        value = rb"(?![" + _SPACES + rb",=])" + run + rb"(?:" + _ESC + run + rb"){0,8}+"
        one = re.escape(measurement) + b"".join(
            b"," + re.escape(k) + b"=" + value for k in tag_keys
        )
        one += b" " + b",".join(re.escape(name) + b"=" + _KINDS[kind] for name, kind in fields)
        if stamp:
            first_digit, digits = _TIME_DIGITS[factor]
            one += rb" -?%s?[0-9]{1,%d}+" % (first_digit, digits)
        pattern = re.compile(one + rb"(?:\n" + one + rb")*+\n?")
    if len(_SHAPES) >= 256:
        _SHAPES.clear()
    _SHAPES[key] = pattern
    return pattern


# --- the exact check: influxd 1.6's parser, line by line -----------------------------------


class _Refused(Exception):
    """A line influxd refuses; the message says why, in influxd's words where it has some."""


_WS = (0x20, 0x09, 0x00)  # influxd's whitespace: space, tab, NUL


def _skip_ws(buf: bytes, i: int) -> int:
    n = len(buf)
    while i < n and buf[i] in _WS:
        i += 1
    return i


def _scan_line(buf: bytes, i: int) -> int:
    """Where the line starting at ``i`` ends (its newline, or the end): influxd's
    ``scanLine``, quirks included (a backslash skips the next byte unless it is among the
    last two of the body; quotes count only in values, after a space)."""
    n = len(buf)
    quoted = fields = False
    equals = commas = 0
    while i < n:
        c = buf[i]
        if c == 0x5C and i + 2 < n:
            i += 2
            continue
        if c == 0x20:
            fields = True
        if fields:
            if not quoted and c == 0x3D:
                i += 1
                equals += 1
                continue
            if not quoted and c == 0x2C:
                i += 1
                commas += 1
                continue
            if c == 0x22 and equals > commas:
                i += 1
                quoted = not quoted
                continue
        if c == 0x0A and not quoted:
            break
        i += 1
    return i


def _scan_key(buf: bytes) -> tuple[int, bytes]:
    """influxd's ``scanKey``: where the series key ends and the key."""
    n = len(buf)
    i = 0
    if i >= n or buf[i] == 0x2C:
        raise _Refused("missing measurement")
    # the measurement: a byte after a backslash is skipped, whatever the backslash itself is
    while True:
        i += 1
        if i >= n:
            raise _Refused("missing fields")
        if buf[i - 1] == 0x5C:
            continue
        if buf[i] == 0x2C:
            has_tags = True
            i += 1
            break
        if buf[i] == 0x20:
            has_tags = False
            break
    starts: list[int] = []
    while has_tags:
        starts.append(i)
        # a tag key
        if i >= n or buf[i] in (0x20, 0x2C, 0x3D):
            raise _Refused("missing tag key")
        while True:
            i += 1
            if i >= n or (buf[i] in (0x20, 0x2C) and buf[i - 1] != 0x5C):
                raise _Refused("missing tag value")
            if buf[i] == 0x3D and buf[i - 1] != 0x5C:
                i += 1
                break
        # its value
        if i >= n or buf[i] in (0x2C, 0x20):
            raise _Refused("missing tag value")
        while True:
            i += 1
            if i >= n:
                raise _Refused("missing fields")
            if buf[i] == 0x3D and buf[i - 1] != 0x5C:
                raise _Refused("invalid tag format (an unescaped '=' in a tag value)")
            if buf[i] == 0x2C and buf[i - 1] != 0x5C:
                i += 1
                break
            if buf[i] == 0x20 and buf[i - 1] != 0x5C:
                has_tags = False
                break
    names = []
    for start in starts:
        j = start
        while j < n and not (buf[j] == 0x3D and buf[j - 1] != 0x5C):
            j += 1
        names.append(buf[start:j])
    if len(set(names)) != len(names):
        raise _Refused(f"duplicate tag key {_show(_first_duplicate(names))}")
    if b"time" in names:
        raise _Refused("a tag key 'time' (influxd refuses it)")
    return i, buf[:i]


def _first_duplicate(names: list[bytes]) -> bytes:
    seen: set[bytes] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return b""  # pragma: no cover


def _is_numeric(c: int) -> bool:
    return 0x30 <= c <= 0x39 or c == 0x2E


def _scan_number(buf: bytes, i: int) -> int:
    """influxd's ``scanNumber``, with unsigned integers accepted (within uint64)."""
    n = len(buf)
    start = i
    is_int = is_unsigned = decimal = scientific = False
    if i < n and buf[i] == 0x2D:
        i += 1
        if i == n:
            raise _Refused("invalid number")
    while i < n:
        c = buf[i]
        if c in (0x2C, 0x20):
            break
        if c == 0x69 and i > start and not (is_int or is_unsigned):  # i
            is_int = True
            i += 1
            continue
        if c == 0x75 and i > start and not (is_int or is_unsigned):  # u
            is_unsigned = True
            i += 1
            continue
        if c == 0x2E:
            if decimal:
                raise _Refused("invalid number")
            decimal = True
        if i > start and c in (0x65, 0x45):
            scientific = True
            i += 1
            continue
        if c in (0x2B, 0x2D) and buf[i - 1] in (0x65, 0x45):
            i += 1
            continue
        if i + 2 < n and c in (0x4E, 0x6E):
            raise _Refused("invalid number (NaN cannot be written)")
        if not _is_numeric(c):
            raise _Refused("invalid number")
        i += 1
    if (is_int or is_unsigned) and (decimal or scientific):
        raise _Refused("invalid number")
    digits = i - start - is_int - decimal - (buf[start] == 0x2D)
    if digits == 0:
        raise _Refused("invalid number")
    text = buf[start:i]
    if is_int:
        if buf[i - 1] != 0x69:
            raise _Refused("invalid number")
        if len(text) - 1 >= 19 and not _INT64[0] <= int(text[:-1]) <= _INT64[1]:
            raise _Refused(f"integer {_show(text)} out of the int64 range")
    elif is_unsigned:
        if buf[i - 1] != 0x75 or buf[start] == 0x2D:
            raise _Refused("invalid number")
        if len(text) - 1 >= 20 and int(text[:-1]) > _UINT64_MAX:
            raise _Refused(f"unsigned integer {_show(text)} out of the uint64 range")
    elif (scientific or len(text) >= 25) and not _go_float(text):
        raise _Refused(f"invalid float {_show(text)}")
    return i


_GO_FLOAT = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _go_float(text: bytes) -> bool:
    """Whether Go's ``strconv.ParseFloat`` reads ``text`` (made of digits, ``.``, ``e``,
    signs) as a finite float64."""
    if _GO_FLOAT.fullmatch(text) is None:
        return False
    return float(text) not in (float("inf"), float("-inf"))


_BOOLEANS = {b"t", b"T", b"f", b"F", b"true", b"True", b"TRUE", b"false", b"False", b"FALSE"}


def _scan_boolean(buf: bytes, i: int) -> int:
    n = len(buf)
    start = i
    i += 1
    while i < n and buf[i] not in (0x2C, 0x20):
        i += 1
    if buf[start:i] not in _BOOLEANS:  # influxd reads anything else than a number there
        raise _Refused(
            f"invalid boolean {_show(buf[start:i])} (a field value is a float, an integer "
            "such as 1i, a string in double quotes, or t, T, true, True, TRUE, f, F, false, "
            "False, FALSE)"
        )
    return i


def _scan_fields(buf: bytes, i: int) -> tuple[int, bytes]:
    """influxd's ``scanFields``: where the fields end, and the fields."""
    n = len(buf)
    start = i = _skip_ws(buf, i)
    quoted = False
    equals = commas = 0
    while i < n:
        c = buf[i]
        if c == 0x5C and i + 1 < n:
            i += 2
            continue
        if c == 0x22 and equals > commas:
            quoted = not quoted
            i += 1
            continue
        if c == 0x3D and not quoted:
            equals += 1
            before, before2 = buf[i - 1], buf[i - 2] if i >= 2 else -1
            if before in (0x20, 0x2C) and before2 != 0x5C:
                raise _Refused("missing field key")
            if i + 1 >= n or buf[i + 1] in (0x2C, 0x20):
                raise _Refused("missing field value")
            after = buf[i + 1]
            if _is_numeric(after) or after in (0x2D, 0x4E, 0x6E):
                i = _scan_number(buf, i + 1)
                continue
            if after != 0x22:
                i = _scan_boolean(buf, i + 1)
                continue
        if c == 0x2C and not quoted:
            commas += 1
        if c == 0x20 and not quoted:
            break
        i += 1
    if quoted:
        raise _Refused("unbalanced quotes")
    if equals == 0 or commas != equals - 1:
        raise _Refused("invalid field format")
    return i, buf[start:i]


def _fields(fields: bytes) -> list[tuple[bytes, bytes]]:
    """influxd's ``walkFields``: the fields' keys and values as its write path reads them
    (its ``scanTo`` skips a byte after a backslash; its ``scanFieldValue`` knows only
    ``\\"`` and ``\\\\`` as escapes), which is not always how ``scanFields`` read them."""
    keys = []
    buf = fields
    while buf:
        i = 0
        n = len(buf)
        while i < n and not (buf[i] == 0x3D and (i == 0 or buf[i - 1] != 0x5C)):
            i += 1
        key = buf[:i]
        if i > n - 2:
            raise _Refused(f"invalid value: field key {_show(key)}")
        buf = buf[i + 1 :]
        i, n, quoted = 0, len(buf), False
        while i < n:
            c = buf[i]
            if c == 0x5C and i + 1 < n and buf[i + 1] in (0x22, 0x5C):
                i += 2
                continue
            if c == 0x22:
                quoted = not quoted
            elif c == 0x2C and not quoted:
                break
            i += 1
        keys.append((key, buf[:i]))
        buf = buf[i + 1 :]
    return keys


_GO_INT = re.compile(rb"[+-]?\d+")
_GO_BOOLEANS = {b"1", b"0", *_BOOLEANS}


def _stored(value: bytes) -> bool:
    """Whether influxd's storage engine reads ``value`` as the type its first byte gives it
    (the parser and the engine do not always cut fields at the same place; where they
    differ, the engine fails and influxd answers 500)."""
    if not value:
        return True
    if value[:1] == b'"':  # influxd takes value[1:-1]: one byte crashes it
        return len(value) >= 2
    if value[:1] in b"0123456789-.nNiIu":
        if value.endswith(b"i"):
            return (
                _GO_INT.fullmatch(value[:-1]) is not None
                and _INT64[0] <= int(value[:-1]) <= _INT64[1]
            )
        if value.endswith(b"u"):
            return value[:-1].isdigit() and int(value[:-1]) <= _UINT64_MAX
        return _go_float(value)
    return value in _GO_BOOLEANS


def _utf8(name: bytes) -> bool:
    try:
        name.decode()
    except UnicodeDecodeError:
        return False
    return True


def _parse_point(buf: bytes, factor: int) -> None:
    """influxd's ``parsePoint`` and the checks of its write path; raises :class:`_Refused`."""
    pos, key = _scan_key(buf)
    if not key:
        raise _Refused("missing measurement")
    if len(key) > _MAX_KEY:
        raise _Refused(f"max key length exceeded: {len(key)} > {_MAX_KEY}")
    pos, fields = _scan_fields(buf, pos)
    if not fields:
        raise _Refused("missing fields")
    pairs = _fields(fields)
    for name, value in pairs:
        if len(key) + 4 + len(name) > _MAX_KEY:
            raise _Refused(f"max key length exceeded: {len(key) + 4 + len(name)} > {_MAX_KEY}")
        if not _stored(value):
            raise _Refused(
                f"field {_show(name)}: influxd reads its value as {_show(value)}, which its "
                "storage cannot parse (it answers 500)"
            )
        if not _utf8(name):
            raise _Refused(f"field key {_show(name)} is not UTF-8 (influxd answers 500)")
    if any(name == b"time" for name, _ in pairs):
        raise _Refused("a field key 'time' (influxd drops it, or refuses the line)")
    if not _utf8(key[: _scan_measurement_end(key)]):
        raise _Refused("the measurement is not UTF-8 (influxd answers 500)")
    # the timestamp
    n = len(buf)
    start = i = _skip_ws(buf, pos)
    while i < n and buf[i] not in (0x0A, 0x20):
        if not (i == start and buf[i] == 0x2D) and not 0x30 <= buf[i] <= 0x39:
            raise _Refused("bad timestamp")
        i += 1
    stamp = buf[start:i]
    if stamp:
        if stamp == b"-" or not _INT64[0] <= int(stamp) <= _INT64[1]:
            raise _Refused(f"bad timestamp {_show(stamp)}")
        if not _MIN_TIME <= int(stamp) * factor <= _MAX_TIME:
            raise _Refused(
                f"time {stamp.decode()} outside range {_MIN_TIME} - {_MAX_TIME} "
                "(in nanoseconds, at the write's precision)"
            )
        if buf[i:].strip(b" "):
            raise _Refused("invalid point (something after the timestamp)")


def _scan_measurement_end(key: bytes) -> int:
    """Where the measurement of a series key ends (a byte after a backslash is skipped)."""
    i, n = 1, len(key)
    while i < n and not (key[i] == 0x2C and key[i - 1] != 0x5C):
        i += 1
    return i


def _show(value: bytes, limit: int = 60) -> str:
    text = value.decode("utf-8", "backslashreplace")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def _verdict(line: bytes, factor: int) -> str | None:
    """What is wrong with ``line`` (one line as influxd splits them, not blank, not a
    comment), or None when influxd accepts it."""
    body = line[:-1] if line.endswith(b"\n") else line
    if (
        (body.isascii() or _utf8(body))
        and _fast(factor).fullmatch(body) is not None
        and b" time=" not in body
        and b",time=" not in body
        and _keys_fine(body)  # its series key, checked once
    ):
        return None
    try:
        _parse_point(body[_skip_ws(body, 0) :], factor)
    except _Refused as exc:
        return str(exc)
    return None


def exact_lines(body: bytes, factor: int = 1) -> tuple[list[bytes], list[tuple[int, str, bytes]]]:
    """The lines of ``body`` as influxd splits them, without blank and comment lines, and
    the refused ones: (line number, 1-based; what is wrong; the line)."""
    lines: list[bytes] = []
    bad: list[tuple[int, str, bytes]] = []
    n = len(body)
    pos = 0
    number = 1
    find = body.find
    fast = _fast(factor).match
    while pos < n:
        # the lines from here the general fast pattern takes, at once (in C); then one line
        # (a comment, a blank line, a refused one...) the slow way
        region = _fast_region(body, pos, fast(body, pos))
        if region is not None:
            text, pos = region
            found = text.split(b"\n")
            if (
                (text.isascii() or _utf8(text))
                and b" time=" not in text
                and b",time=" not in text
                and _keys_fine(text)
            ):
                lines += found
            else:
                for offset, line in enumerate(found):
                    reason = _verdict(line, factor)
                    if reason is None:
                        lines.append(line)
                    else:
                        bad.append((number + offset, f"influxd 1.x refuses it: {reason}", line))
            number += len(found)
            if pos >= n:
                break
        newline = find(b"\n", pos)
        end = n if newline < 0 else newline
        piece = body[pos:end]
        if b'"' not in piece and b"\\" not in piece:
            # no quote, no escape: the newline ends the line (scanLine cannot go on)
            block = piece
        else:
            end = _scan_line(body, pos)
            block = body[pos:end]
        start = _skip_ws(block, 0)
        if start < len(block):
            if block[start] == 0x23:  # '#': a comment
                if b"\n" in block:
                    bad.append(
                        (
                            number,
                            "a comment line that goes on past its newline (an unbalanced "
                            "'\"' after an '=', or a backslash before the newline): influxd "
                            "would skip the lines after it",
                            block,
                        )
                    )
            else:
                reason = _verdict(block, factor)
                if reason is None:
                    lines.append(block)
                else:
                    bad.append((number, f"influxd 1.x refuses it: {reason}", block))
        number += block.count(b"\n") + 1
        pos = end + 1
    return lines, bad


def _fast_region(body: bytes, pos: int, match: re.Match[bytes] | None) -> tuple[bytes, int] | None:
    """The whole lines from ``pos`` that ``match`` (of the general fast pattern) covers,
    and where the line after them starts; None when it covers no whole line. The last line
    it covers may be cut short (``m v=1`` of ``m v=1x``): that one is left out."""
    if match is None:
        return None
    end = match.end()
    if end > pos and body[end - 1] == 0x0A:  # its final newline: the line before is whole
        return body[pos : end - 1], end
    if end == len(body) or body[end] == 0x0A:
        return (body[pos:end], end + 1) if end > pos else None
    cut = body.rfind(b"\n", pos, end)
    if cut < 0:
        return None
    return body[pos:cut], cut + 1


def check_text(
    body: bytes,
    factor: int = 1,
    items: Sequence[str | bytes] | None = None,
    first: int = 0,
) -> list[bytes] | None:
    """Check ``body``, line protocol the user gave, as influxd would read it at the
    precision whose nanoseconds per unit are ``factor``.

    :return: None when every newline of ``body`` ends a line and every line is a point (a
        final newline aside): the fast path, no line is made; else the lines that are
        points, as influxd splits them (no blank or comment line).
    :raises LineProtocolError: naming the first refused line (its number, 1-based, and
        its text) and how many more are refused. ``items`` are the points ``body`` was
        joined from (by newlines), the first being point ``first`` of the write: the
        message then names the point and the line within it.
    """
    if fast_check(body, factor):
        return None
    lines, bad = exact_lines(body, factor)
    if bad:
        number, reason, line = bad[0]
        where = f"line {number}"
        if items is not None:
            where = _locate(items, number, first)
        more = f" ({len(bad) - 1} more line(s) refused too)" if len(bad) > 1 else ""
        raise LineProtocolError(f"{where}: {reason}: {_show(line, 80)}{more}; nothing was sent")
    return lines


def _locate(items: Sequence[str | bytes], number: int, first: int) -> str:
    """Which item of ``items`` (joined by newlines) holds line ``number``, as "point k" or
    "point k, line m" when the item has several lines."""
    if len(items) == 1:
        return f"line {number}"
    seen = 0
    for index, item in enumerate(items):
        count = (item.count("\n") if isinstance(item, str) else item.count(b"\n")) + 1
        if number <= seen + count:
            if count == 1:
                return f"point {first + index}"
            return f"point {first + index}, line {number - seen}"
        seen += count
    return f"line {number}"  # pragma: no cover
