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
    of them notices its parent's death, so without this they outlive a killed run and
    keep their ``/dev/shm`` channel segments. Each such child asks Linux
    (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to be killed when its parent goes; the manager
    server's death then lets multiprocessing's resource tracker unlink the segments the
    server created. Linux delivers that signal when the *thread* that forked exits, so
    only forks from the main thread are tied; forks by other code are left alone (the
    stack of the forking call must pass through ``lava.magma.runtime``). These children
    ignore SIGINT and SIGTERM, so that a signal to the whole process group (Ctrl-C in a
    terminal) reaches only the parent, which stops them.

    Called from the main thread of a process that leaves SIGTERM and SIGINT at their
    defaults, it also makes SIGTERM raise ``SystemExit(143)`` (128 + SIGTERM, the shell's
    convention), so a terminated run stops its runtime in its ``finally`` blocks as Ctrl-C
    (``KeyboardInterrupt``) does, and makes either signal exit anyway with 128 + the
    signal after ``_STOP_GRACE_S`` seconds if the main thread is then still inside
    lava-nc's runtime (one signalled while it starts can wait forever for its workers);
    a second SIGTERM kills at once. Idempotent; the worker tie is a no-op where
    ``prctl`` is unavailable.
    """
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _stop_on)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _stop_on)
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
        # Ctrl-C in a terminal and `kill -- -PGID` reach every process of the group: a
        # worker that died of them would leave the parent's runtime waiting for it forever
        # while it stops; the parent stops the workers instead.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if os.getppid() != _tie["parent"]:    # the parent died before prctl took effect
            os._exit(1)

    def after_in_parent() -> None:
        _tie["armed"] = False

    os.register_at_fork(before=before, after_in_child=after_in_child,
                        after_in_parent=after_in_parent)
    _tie["installed"] = True


_STOP_GRACE_S = 5.0
"""How long a signalled process may take to stop its runtime before it exits anyway."""


def _stop_on(signum, frame) -> None:
    """Raise what the default disposition of ``signum`` means to Python, and exit with
    128 + ``signum`` if lava-nc's runtime is still stopping ``_STOP_GRACE_S`` seconds later."""
    main = threading.main_thread().ident

    def exit_if_stuck() -> None:
        frame = sys._current_frames().get(main)
        if frame is not None and _in_lava_runtime(frame):
            os._exit(128 + signum)

    timer = threading.Timer(_STOP_GRACE_S, exit_if_stuck)
    timer.daemon = True
    timer.start()
    if signum == signal.SIGINT:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt
    signal.signal(signum, signal.SIG_DFL)
    raise SystemExit(128 + signum)


def _called_from_lava_runtime() -> bool:
    return _in_lava_runtime(sys._getframe(2))


def _in_lava_runtime(frame) -> bool:
    """Whether ``frame`` or a frame that called it runs code of ``lava.magma.runtime``."""
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("lava.magma.runtime"):
            return True
        frame = frame.f_back
    return False
