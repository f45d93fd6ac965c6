"""Living with lava-nc's runtime in one process.

lava-nc sets multiprocessing's start method to 'fork' when its runtime is first imported,
and fails if something fixed one before (numba's threading layer, tqdm's lock). Code that
may do either before a user runs Lava calls :func:`keep_lava_importable` first.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading


def keep_lava_importable() -> None:
    """Import lava-nc's runtime now (it sets the 'fork' start method), unless a start
    method is already fixed."""
    import multiprocessing

    if multiprocessing.get_start_method(allow_none=True) is None:
        import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401  (sets 'fork')


_PR_SET_PDEATHSIG = 1
_tie = {"installed": False, "armed": False, "parent": 0}


def tie_lava_workers_to_this_process() -> None:
    """Make every process lava-nc's runtime forks from this process's main thread die
    when this process dies, however it dies (``kill -9`` included).

    lava-nc forks one worker per process model and a shared-memory manager server; none
    of them notices its parent's death, so they lived on after a killed run and kept
    their ``/dev/shm`` channel segments. Each such child asks Linux
    (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to be killed when its parent goes; the manager
    server's death then lets multiprocessing's resource tracker unlink the segments the
    server created. Linux delivers that signal when the *thread* that forked exits, so
    only forks from the main thread are tied; forks by other code are left alone (the
    stack of the forking call must pass through ``lava.magma.runtime``).

    Called from the main thread of a process that leaves SIGTERM at its default, it also
    makes SIGTERM raise ``SystemExit(143)`` (128 + SIGTERM, the shell's convention), so a
    terminated run stops its runtime in its ``finally`` blocks as Ctrl-C
    (``KeyboardInterrupt``) does; a second SIGTERM kills at once. Idempotent; the worker
    tie is a no-op where ``prctl`` is unavailable.
    """
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if _tie["installed"] or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return

    def before() -> None:
        _tie["armed"] = (threading.current_thread() is threading.main_thread()
                         and _called_from_lava_runtime())
        _tie["parent"] = os.getpid()

    def after_in_child() -> None:
        if not _tie["armed"]:
            return
        _tie["armed"] = False                 # the child's own forks decide afresh
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != _tie["parent"]:    # the parent died before prctl took effect
            os._exit(1)

    def after_in_parent() -> None:
        _tie["armed"] = False

    os.register_at_fork(before=before, after_in_child=after_in_child,
                        after_in_parent=after_in_parent)
    _tie["installed"] = True


def _exit_on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise SystemExit(128 + signal.SIGTERM)


def _called_from_lava_runtime() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("lava.magma.runtime"):
            return True
        frame = frame.f_back
    return False
