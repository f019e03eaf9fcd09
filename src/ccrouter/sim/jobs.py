"""Running a batch of simulation jobs here or through an executor, with progress.

One home for what the replications, the constant staffing search and the per-interval and
daily searches each do with their runs: call ``run(*args)`` for every job, serially or in a
``concurrent.futures`` executor, results in the jobs' order (so the answer does not depend on
the executor), telling ``progress`` how many are done as they finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import TypeVar

__all__ = ["run_jobs"]

T = TypeVar("T")


def run_jobs(
    executor: Executor | None,
    run: Callable[..., T],
    args: Sequence[tuple[object, ...]],
    progress: Callable[[int], None] | None = None,
) -> list[T]:
    """``run(*a)`` for each ``a`` of ``args``, in order: here (``executor`` None) or through
    ``executor`` (``run`` and its arguments must then pickle for a process pool). ``progress``
    gets the number of jobs done after each one finishes (with an executor: as they finish,
    in any order)."""
    if executor is None:
        results: list[T] = []
        for a in args:
            results.append(run(*a))
            if progress is not None:
                progress(len(results))
        return results
    futures: list[Future[T]] = [executor.submit(run, *a) for a in args]
    if progress is not None:
        pending, done = set(futures), 0
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            done += len(finished)
            progress(done)
    return [f.result() for f in futures]
