"""Progress reports of long writes and queries: a function ``f(done, total)`` or a tqdm bar.

Rule 1: ``progress=`` is checked before any I/O: ``True`` without tqdm installed is a
ValueError saying so, never a silent no-op.
Rule 2: nothing is printed unless asked for: ``None`` (the default) and ``False`` report
nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["Progress", "Reporter", "reporter"]

#: ``f(done, total)``: points done so far, and the total (None while it is unknown).
Progress = Callable[[int, "int | None"], Any]


class Reporter:
    """Calls the user's function, or drives a tqdm bar, as points are done."""

    def __init__(self, report: Progress | None = None, bar: Any = None):
        self._report = report
        self._tqdm = bar
        self._bar: Any = None

    def __call__(self, done: int, total: int | None) -> None:
        if self._report is not None:
            self._report(done, total)
            return
        if self._bar is None:
            self._bar = self._tqdm(total=total, unit=" points", unit_scale=True)
        if total != self._bar.total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """End a bar (also after a failure); nothing for a function."""
        if self._bar is not None:
            self._bar.close()


def reporter(progress: bool | Progress | None) -> Reporter | None:
    """The reporter ``progress=`` asks for, or None; raises before any I/O when it is wrong."""
    if progress is None or progress is False:
        return None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ValueError(
                "progress=True shows a progress bar made by tqdm, which is not installed: "
                "pip install tqdm, or pass a function f(done, total)"
            ) from None
        return Reporter(bar=tqdm)
    if not callable(progress) or inspect.iscoroutinefunction(progress):
        raise TypeError(
            "progress must be True, None or a plain function f(done, total) (not a "
            f"coroutine function), got {progress!r}"
        )
    return Reporter(progress)
