"""A request that closing the client aborts, in a task that is also cancelled, ends cancelled.

A task counts its cancellations (``Task.uncancel()``), which tells the client's abort apart
from the caller's cancel. The same with a real server is in tests/test_shutdown.py.
"""

from __future__ import annotations

import asyncio

import pytest

from aioinflux._transport import _Aborted, _Call


async def in_flight() -> tuple[_Call, asyncio.Task[None]]:
    """A call whose task is awaiting a request that never answers."""
    call, started = _Call(), asyncio.Event()

    async def request() -> None:
        started.set()
        await asyncio.get_running_loop().create_future()

    task = asyncio.ensure_future(call.wait(request()))
    await started.wait()  # the task is now suspended inside call.wait()
    return call, task


async def test_an_aborted_request_raises_aborted():
    call, task = await in_flight()
    call.abort("the client was closed")
    with pytest.raises(_Aborted, match="the client was closed"):
        await task


async def test_a_task_cancelled_before_the_abort_stays_cancelled():
    call, task = await in_flight()
    task.cancel()
    call.abort("the client was closed")
    await asyncio.wait({task})
    assert task.cancelled()


async def test_a_task_cancelled_after_the_abort_stays_cancelled():
    call, task = await in_flight()
    call.abort("the client was closed")
    task.cancel()  # before the task has run again
    await asyncio.wait({task})
    assert task.cancelled()


async def test_an_aborted_request_is_not_awaited_again():
    call, task = await in_flight()
    call.abort("the client was closed")
    with pytest.raises(_Aborted):
        await task

    async def never_awaited() -> None:
        raise AssertionError("a request after abort() must not run")

    with pytest.raises(_Aborted, match="the client was closed"):
        await call.wait(never_awaited())
