"""Run independent pieces of a scan in forked child processes: the parse groups, then slices of evaluation.

A scan is CPU-bound pure Python, so threads would not help; ``fork`` gives a
child the parent's imported modules, parsed files and graph for free, and
only the (small, picklable) result comes back through a pipe. Spawning
fresh interpreters instead would pay the imports and a copy of the graph
again, which costs more than the work it spreads (measured: a process pool
parsed the 5k-resource corpus slower than one process).

Only where ``fork`` is safe and cheap: on Linux, in a process that asks for
it. The CLI does (``--jobs``, default: the cores this process may use); a
library caller gets one process unless it passes ``jobs`` itself, because
forking a program that runs threads can deadlock the child.

Whatever goes wrong in a child (an exception, a crash, a result that does
not pickle, a kill) the parent runs that task itself, so parallelism can
cost time but never a result.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from typing import Callable, Optional, Sequence, TypeVar, cast

T = TypeVar("T")

_IN_CHILD = False


def available() -> bool:
    """True where forking a child is safe and cheap (Linux); elsewhere every task runs here."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def default_jobs() -> int:
    """``$RISKGRAPH_JOBS`` when set to a positive number, else the cores this process may run on."""
    wanted = os.environ.get("RISKGRAPH_JOBS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def in_child() -> bool:
    """True inside a child started by :func:`run` (tasks use it to hand back what only a child holds)."""
    return _IN_CHILD


def run(tasks: Sequence[Callable[[], T]], jobs: int,
        meanwhile: Optional[Callable[[], object]] = None) -> list[T]:
    """Every task's result, in order; with ``jobs > 1`` tasks after the first run in forked children.

    The first task runs in this process while the children work; then
    ``meanwhile`` (when given, and only when children were started) runs
    here too, before their results are collected: work for a later stage
    that would otherwise wait. Callers make about ``jobs`` tasks of similar
    cost, the lightest first; a task's result must pickle.
    """
    if jobs <= 1 or len(tasks) <= 1 or _IN_CHILD or not available():
        return [task() for task in tasks]
    children = [_start(task) for task in tasks[1:]]
    try:
        first = tasks[0]()
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        for child in children:
            _stop(child)
        raise
    results: list[T] = [first]
    for task, child in zip(tasks[1:], children):
        ok, value = _collect(child)
        results.append(cast(T, value) if ok else task())  # the child ran this very task
    return results


def later(task: Callable[[], T], jobs: int) -> Callable[[], T]:
    """Start ``task`` now in a forked child when ``jobs > 1``; call the function returned for its result.

    For work whose result the caller needs only after doing work of its own
    (streamed output, say). The result comes from the child when it finished
    cleanly, else the task runs here then; ``jobs <= 1``, a child process or
    a platform without ``fork``: the task runs here when its result is asked for.
    """
    child = _start(task) if jobs > 1 and not _IN_CHILD and available() else None

    def result() -> T:
        ok, value = _collect(child)
        return cast(T, value) if ok else task()
    return result


def _start(task: Callable[[], object]) -> Optional[tuple[int, int]]:
    """Fork a child that runs ``task`` and writes its pickled result to a pipe; None when fork fails."""
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid:
        os.close(write_fd)
        return pid, read_fd
    _child(task, read_fd, write_fd)  # never returns
    raise AssertionError("unreachable")  # pragma: no cover


def _child(task: Callable[[], object], read_fd: int, write_fd: int) -> None:  # pragma: no cover - runs forked
    global _IN_CHILD
    _IN_CHILD = True
    code = 1
    try:
        os.close(read_fd)
        payload = pickle.dumps(task(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view):]
        code = 0
    except BaseException:  # noqa: BLE001 - the parent runs the task again and sees the error itself
        pass
    finally:
        os._exit(code)  # no atexit handlers, no flushing of buffers copied from the parent


def _stop(child: Optional[tuple[int, int]]) -> None:
    """Kill and reap a child whose result is no longer wanted."""
    if child is None:
        return
    pid, read_fd = child
    os.close(read_fd)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


def _collect(child: Optional[tuple[int, int]]) -> tuple[bool, object]:
    """``(True, result)`` from a child that finished cleanly; ``(False, None)`` otherwise."""
    if child is None:
        return False, None
    pid, read_fd = child
    chunks = []
    try:
        while True:
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        chunks = []
    finally:
        os.close(read_fd)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False, None
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return False, None
    try:
        return True, pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a truncated result: run the task here instead
        return False, None
