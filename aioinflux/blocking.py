"""Blocking mode: run the client's coroutines to completion for synchronous callers.

Rule 1: one private event loop, in a daemon thread, runs every blocking call of the process
(anyio's blocking portal, asgiref's design). The caller's thread only waits on a
``concurrent.futures.Future``, so this works with no event loop at all, after
``asyncio.run()``, from several threads at once, and inside a running loop (Jupyter), where
``run_until_complete`` would fail.
Rule 2: never ``run_until_complete`` on the caller's loop, never ``nest_asyncio``, never
``asyncio.get_event_loop()``.
Rule 3: a blocking call from the private loop's own thread would wait on itself forever:
it raises RuntimeError instead. Ctrl-C while waiting cancels the call.
Rule 4: work that must leave the event loop free (the batch writer encoding a DataFrame
slice) goes to one worker thread, ``in_worker()``; it is this module's too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

__all__ = ["in_worker", "is_private_loop", "iterate", "run", "run_to_end", "runner"]

T = TypeVar("T")
P = ParamSpec("P")


class _HasMode(Protocol):
    @property
    def mode(self) -> str: ...


S = TypeVar("S", bound=_HasMode)


class _Portal:
    """The private event loop, started on first use in a daemon thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=serve, name="aioinflux-blocking", daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def in_loop_thread(self) -> bool:
        return self._thread is not None and self._thread is threading.current_thread()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError(
                "a blocking-mode call was made from aioinflux's own event-loop thread "
                "(for example inside a parser or callback): use mode='async' there"
            )
        future = asyncio.run_coroutine_threadsafe(coro, self.loop())
        try:
            return future.result()
        except BaseException:
            # KeyboardInterrupt (Ctrl-C) or SystemExit while waiting: stop the work too.
            future.cancel()
            raise

    def run_to_end(self, coro: Coroutine[Any, Any, None]) -> None:
        """As :meth:`run`, but when the wait is interrupted (a second Ctrl-C), the coroutine
        is cancelled and waited for until it has handled its cancellation, then the
        interrupt goes on: what it does when cancelled (report what it gives up) is done
        before the interpreter may exit. Another interrupt stops that wait too."""
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError("run_to_end() was called from aioinflux's own event-loop thread")
        loop = self.loop()
        ended = threading.Event()
        started: list[asyncio.Task[None]] = []

        def start() -> None:
            # a task, not run_coroutine_threadsafe(): its done callback fires even when it is
            # cancelled before its first step, where a coroutine's finally would never run
            task = loop.create_task(coro)
            task.add_done_callback(lambda _: ended.set())
            started.append(task)

        def cancel() -> None:
            # callbacks run in order: start() has run before this one, unless the interrupt
            # came before it was scheduled (then there is nothing to wait for)
            if started:
                started[0].cancel()
            else:
                ended.set()

        try:
            # inside the try: the interrupt may come while this wakes the loop up, after
            # start() has run there already
            loop.call_soon_threadsafe(start)
            ended.wait()
        except BaseException:
            loop.call_soon_threadsafe(cancel)
            ended.wait()
            raise
        started[0].result()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        """Start ``coro`` on the private loop without waiting for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop())

    def reset_after_fork(self) -> None:
        # The thread does not exist in a forked child: start a new one when needed.
        self._lock = threading.Lock()
        self._loop = self._thread = None


class _Worker:
    """One thread for work taken off an event loop, started on first use. One, not a pool:
    the memory it allocates comes from one malloc arena, used again from call to call
    (``asyncio.to_thread``'s pool spreads it over several: more page faults, measured)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    def executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    1, thread_name_prefix="aioinflux-worker"
                )
            return self._executor

    def reset_after_fork(self) -> None:
        # The thread does not exist in a forked child: start a new one when needed.
        self._lock = threading.Lock()
        self._executor = None


_portal = _Portal()
_worker = _Worker()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_portal.reset_after_fork)
    os.register_at_fork(after_in_child=_worker.reset_after_fork)


async def in_worker(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)`` run in aioinflux's worker thread, awaited from the
    running loop (which goes on meanwhile). Calls run one at a time, in order."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        _worker.executor(), functools.partial(function, *args, **kwargs)
    )


def is_private_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is blocking mode's private loop (whose thread ends with the
    interpreter, a daemon)."""
    return loop is _portal._loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the private loop and wait for its result, from any thread."""
    return _portal.run(coro)


def run_to_end(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro`` on the private loop; interrupted, wait until it has handled its
    cancellation before the interrupt goes on (see :meth:`_Portal.run_to_end`)."""
    _portal.run_to_end(coro)


async def _anext(agen: AsyncIterator[T]) -> T:
    return await agen.__anext__()


def iterate(agen: AsyncIterator[T]) -> Iterator[T]:
    """A plain iterator over an async iterator, pulling one item per ``next()``."""
    try:
        while True:
            try:
                yield _portal.run(_anext(agen))
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            _portal.submit(aclose())


def runner(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[S, P], Any]:
    """Decorate an async method so that it follows its object's ``mode``.

    In ``'async'`` mode the call returns the coroutine; in ``'blocking'`` mode it runs the
    coroutine to completion and returns its result. A coroutine that returns an async
    iterator (a chunked query) gives a plain iterator in blocking mode.
    """

    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        coro = method(self, *args, **kwargs)
        if self.mode == "async":
            return coro
        result = _portal.run(coro)
        if isinstance(result, AsyncIterator):
            return iterate(result)
        return result

    functools.update_wrapper(wrapper, method)
    return wrapper
