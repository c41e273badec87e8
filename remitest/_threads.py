"""The threads that one call's numpy block work may use: the gate's ranks, the summaries' sorts.

Sorting, FFTs and most ufuncs in numpy release the GIL, so blocks of cells run on two threads
about twice as fast on two cores. A sweep's worker (:mod:`remitest.checks._sweep`) runs its fit
under :func:`one_thread`: there every core already has a fit of its own, and two threads each
would only make the workers contend (benchmarks/bench_checks.py on 2 cores: cross-validation
through two processes took 46.8 s with two threads in each worker, 41.4 s with one; serially,
with two threads, 45.7 s).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: At most this many threads, the number measured (2 cores, benchmarks/results.md).
MAX_THREADS = 2

_ONE_THREAD: ContextVar[bool] = ContextVar("remitest_one_thread", default=False)


def block_threads() -> int:
    """Threads for block work here: 1 under :func:`one_thread`, else up to ``MAX_THREADS``.

    Counts the cores this process may run on (its CPU affinity), not the machine's.
    """
    if _ONE_THREAD.get():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on macOS and Windows
        cores = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cores))


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block work of this thread (and of this context) on one thread."""
    token = _ONE_THREAD.set(True)
    try:
        yield
    finally:
        _ONE_THREAD.reset(token)


def map_blocks(function: Callable[[Any], Any], blocks: Sequence[Any]) -> list[Any]:
    """``[function(b) for b in blocks]``, on :func:`block_threads` threads when that is > 1.

    The first exception raised by a block is raised here.
    """
    threads = min(block_threads(), len(blocks))
    if threads <= 1:
        return [function(block) for block in blocks]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(function, blocks))
