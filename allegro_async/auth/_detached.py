"""Tasks that outlive their caller: a token refresh must finish and save the rotated pair (A5)
even when the caller that needed it is cancelled or out of time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

#: Strong references: asyncio keeps only weak ones to tasks, and one could be collected
#: mid-refresh.
_RUNNING: set[asyncio.Task[Any]] = set()


def start_detached(fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
    """Start ``fn(*args)`` in a task owned by the event loop, not by the calling task: on
    asyncio a task of the loop, on trio a system task. ``fn`` must not raise (a trio system
    task's error ends the run): it hands its outcome to whoever waits for it."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: the other backend anyio runs on
        import trio

        trio.lowlevel.spawn_system_task(fn, *args)
        return
    task = loop.create_task(fn(*args))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
