"""Timestamps added to the lines that have none, for writes that may be sent twice.

Rule 1: a line has a timestamp when it ends with one: whitespace (influxd skips spaces, tabs
and NULs before it), an optional ``-``, digits, and only spaces after. No line without one
ends so: its last part is a field value, and the only values that hold whitespace are
strings, which end with ``"``. (The lines given here were checked or made by the encoders.)
Rule 2: the common cases cost one pass in C: a body whose every line has a timestamp is
found so by the compiled scan (or its pure twin, one regular expression); only a body where
some line lacks one is split.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .._compiled import load
from .lines import Lines

__all__ = ["all_stamped", "stamped"]

_STAMP = re.compile(rb"[ \t\x00]-?[0-9]+ *\Z")
_STAMPS = re.compile(rb"(?m)[ \t\x00]-?[0-9]+ *$")


def pattern_all_stamped(body: bytes) -> bool:
    """Whether every line of ``body`` (each newline ends one) ends with a timestamp: the
    pure implementation (a line holds at most one match: none of its bytes is a newline)."""
    return len(_STAMPS.findall(body)) == body.count(b"\n") + 1


_MODULE = load("textcheck", "aioinflux.serialization._ctextcheck")
#: the compiled twin of :func:`pattern_all_stamped` (_ctextcheck.c), 5 times as fast or more
all_stamped: Callable[[bytes], bool] = (
    pattern_all_stamped if _MODULE is None else _MODULE.all_stamped
)


def stamped(lines: Lines, stamp: int) -> Lines:
    """``lines`` with `` stamp`` at the end of each line that has no timestamp."""
    if not lines.count:
        return lines
    if lines.ends is None and all_stamped(lines.content):
        return lines
    suffix = b" %d" % stamp
    every = lines.lines()
    return Lines.of([line if _STAMP.search(line) else line + suffix for line in every])
