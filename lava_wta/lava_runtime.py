"""Living with lava-nc's runtime in one process.

lava-nc sets multiprocessing's start method to 'fork' when its runtime is first imported,
and fails if something fixed one before (numba's threading layer, tqdm's lock). Code that
may do either before a user runs Lava calls :func:`keep_lava_importable` first.
"""
from __future__ import annotations

import ctypes
import os
import re
import secrets
import signal
import sys
import threading
import typing as ty
from pathlib import Path


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

    The shared-memory segments of these children are named after this process
    (:data:`SEGMENT_NAME`); the first call removes those that processes no longer alive
    left behind (:func:`remove_dead_segments`): a kill of the whole process group
    (``kill -9 -- -PGID``, an out-of-memory kill, a stopped container) takes
    multiprocessing's resource tracker with it, which would otherwise unlink them.
    """
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _stop_on)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _stop_on)
    if _tie["installed"] or not sys.platform.startswith("linux"):
        return
    remove_dead_segments()
    _name_lava_segments()
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


SEGMENT_NAME = re.compile(r"psm_lavawta_(?P<pid>[0-9]+)_[0-9a-f]+")
"""Names of the ``/dev/shm`` segments of the Lava runtimes of lava-wta processes:
``psm_lavawta_<pid>_<random hex>``, ``pid`` the process whose runtime created them."""
SHM_DIR = Path("/dev/shm")


def _segment_name() -> str:
    """A new segment's name (with the leading slash of POSIX shared memory)."""
    return f"/psm_lavawta_{os.getpid()}_{secrets.token_hex(4)}"


def _name_lava_segments() -> None:
    """Name the segments lava-nc's runtime creates for its channels after the process
    creating them (:data:`SEGMENT_NAME`), so that a later process can tell whether their
    owner is alive. Only lava-nc's ``create_shared_memory`` is affected: other code of
    this process keeps multiprocessing's random names."""
    from multiprocessing import shared_memory

    from lava.magma.runtime.message_infrastructure.shared_memory_manager import SharedMemoryManager

    original = SharedMemoryManager.create_shared_memory
    if getattr(original, "names_after_owner", False):
        return

    def create_shared_memory(self, size: int):
        default = shared_memory._make_filename
        shared_memory._make_filename = _segment_name
        try:
            return original(self, size)
        finally:
            shared_memory._make_filename = default

    create_shared_memory.names_after_owner = True
    create_shared_memory.__doc__ = original.__doc__
    SharedMemoryManager.create_shared_memory = create_shared_memory


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # a process of another user
        return True
    return True


def remove_dead_segments(shm_dir: ty.Union[str, Path, None] = None) -> ty.List[str]:
    """Unlink the shared-memory segments (:data:`SEGMENT_NAME`) in ``shm_dir`` (default
    ``/dev/shm``) that belong to this user and whose owning process is no longer alive;
    return their names. A segment of a live process, of another user or of other
    software is left alone."""
    folder = Path(shm_dir) if shm_dir is not None else SHM_DIR
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = SEGMENT_NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != os.getuid() or not entry.is_file(
                    follow_symlinks=False):
                continue
        except OSError:
            continue
        if _pid_alive(int(match["pid"])):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(entry.name)
    return sorted(removed)


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
