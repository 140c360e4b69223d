"""Counting what a client could leave behind: threads, file descriptors and
tasks on its event loop.

Threads are counted by the suite's autouse fixture (``tests/conftest.py``);
the helpers here add file descriptors (entries of ``/proc/self/fd``, which
covers files, sockets, pipes and the loops' own epoll and wake-up fds) and
tasks, counted with the loop's own bookkeeping: ``asyncio.all_tasks()``, or
the whole trio task tree from ``trio.lowlevel.current_root_task()``.
"""

import collections
import gc
import os
import sys
import time
from typing import Any, Counter, List, Optional

_FD_DIR = "/proc/self/fd"


def fd_counting_supported() -> bool:
    return sys.platform.startswith("linux") and os.path.isdir(_FD_DIR)


def open_fds(collect: bool = False) -> Optional[List[str]]:
    """The process's open file descriptors (``None`` where ``/proc`` is missing).

    With ``collect``, garbage is collected first, so that only what
    something still holds counts (slow in a big process: a tenth of a second
    under pytest).
    """
    if not fd_counting_supported():
        return None
    if collect:
        gc.collect()
    return sorted(os.listdir(_FD_DIR), key=int)


def describe_fds(fds: List[str]) -> List[str]:
    described = []
    for fd in fds:
        try:
            target = os.readlink(os.path.join(_FD_DIR, fd))
        except OSError:
            target = "?"
        described.append(f"{fd} -> {target}")
    return described


def _task_name(task: Any) -> str:
    # asyncio tasks: the qualified name of the coroutine; trio tasks: their name.
    coro = getattr(task, "get_coro", None)
    if coro is not None:
        coroutine = coro()
        code = getattr(coroutine, "cr_code", None)
        return getattr(code, "co_qualname", None) or getattr(code, "co_name", None) or repr(coroutine)
    return str(task.name)


async def loop_tasks() -> List[str]:
    """Every task on the running loop, by name, sorted (this one included).

    Run it on a client's loop with ``client.run(loop_tasks)``.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return sorted(_task_name(task) for task in asyncio.all_tasks())
    import trio

    names: List[str] = []
    stack = [trio.lowlevel.current_root_task()]
    while stack:
        task = stack.pop()
        names.append(_task_name(task))
        for nursery in task.child_nurseries:
            stack.extend(nursery.child_tasks)
    return sorted(names)


def tasks_settle(client: Any, baseline: List[str], timeout: float = 5.0) -> List[str]:
    """Wait (bounded) until the client's loop runs exactly the ``baseline``
    tasks again; return what it runs at the end.

    An app that has just reported its outcome may still be unwinding for a
    moment, so this polls instead of asking once.
    """
    deadline = time.monotonic() + timeout
    while True:
        tasks = client.run(loop_tasks)
        if tasks == baseline or time.monotonic() > deadline:
            return list(tasks)
        time.sleep(0.01)


def task_difference(baseline: List[str], now: List[str]) -> Counter[str]:
    """Tasks running now that were not in ``baseline``."""
    return collections.Counter(now) - collections.Counter(baseline)
