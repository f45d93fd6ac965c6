"""A killed or terminated Lava run leaves no worker process and no shared-memory segment behind."""
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc; prctl(PR_SET_PDEATHSIG) is Linux only")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ppid_and_state(pid: int):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[1]), rest[0]


def _descendants(root: int) -> set:
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid, _ = _ppid_and_state(int(entry))
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [root]
    while todo:
        for kid in children.get(todo.pop(), []):
            out.add(kid)
            todo.append(kid)
    return out


def _alive(pid: int) -> bool:
    try:
        return _ppid_and_state(pid)[1] != "Z"
    except (OSError, IndexError):
        return False


def _shm_mapped(pids) -> set:
    names = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/maps") as f:
                names |= {line.split()[5] for line in f
                          if len(line.split()) > 5 and line.split()[5].startswith("/dev/shm/")}
        except OSError:
            continue
    return names


def _poll(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


EXIT = {signal.SIGKILL: -signal.SIGKILL, signal.SIGTERM: 143, signal.SIGINT: 130}


# group: the signal reaches every process of the run's group, as Ctrl-C in a terminal does
@pytest.mark.parametrize("sig, group", [(signal.SIGKILL, False), (signal.SIGTERM, False),
                                        (signal.SIGINT, True), (signal.SIGTERM, True)])
def test_killed_lava_run_leaves_no_workers_or_segments(tmp_path, sig, group):
    cmd = [sys.executable, "-m", "lava_wta.cli", "train", "--dataset", "digits", "--neurons", "10",
           "--train-images", "200", "--label-images", "20", "--test-images", "20",
           "--backend", "lava-fused", "--no-progress", "--out", str(tmp_path / "run")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    with open(tmp_path / "stderr.txt", "wb") as err:   # a pipe would stay open in survivors
        proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=err, env=env)
    try:
        # the runtime is up once its workers map their channel segments
        def started():
            kids = _descendants(proc.pid)
            segments = _shm_mapped(kids | {proc.pid})
            return (kids, segments) if len(kids) >= 3 and segments else None

        kids, up = set(), _poll(started, 60.0)
        assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
        assert up, "no Lava workers appeared"
        kids, segments = up
        (os.killpg if group else os.kill)(proc.pid, sig)
        # SIGTERM and SIGINT stop the runtime and exit with 128 + the signal
        assert proc.wait(timeout=10) == EXIT[sig]
        assert _poll(lambda: not any(_alive(p) for p in kids), 10.0), \
            f"alive 10 s after the parent: {[p for p in kids if _alive(p)]}"
        assert _poll(lambda: not any(os.path.exists(s) for s in segments), 10.0), \
            f"left in /dev/shm: {[s for s in segments if os.path.exists(s)]}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in kids if up else ():
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_next_start_removes_only_the_segments_of_dead_lava_wta_processes():
    """Segments named after a lava-wta process (``psm_lavawta_<pid>_<hex>``) go when that
    process is dead; those of a live process, and other software's, stay."""
    from lava_wta.lava_runtime import SEGMENT_NAME, remove_dead_segments

    dead_pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True, check=True).stdout)
    assert not _alive(dead_pid)
    tag = os.urandom(4).hex()
    names = {"dead": f"psm_lavawta_{dead_pid}_{tag}", "live": f"psm_lavawta_{os.getpid()}_{tag}",
             "other": f"psm_{tag}", "unlike": f"psm_lavawta_x{dead_pid}_{tag}"}
    assert SEGMENT_NAME.fullmatch(names["dead"]) and not SEGMENT_NAME.fullmatch(names["unlike"])
    paths = {k: os.path.join("/dev/shm", v) for k, v in names.items()}
    try:
        for path in paths.values():
            with open(path, "wb") as f:
                f.write(bytes(64))
        removed = remove_dead_segments()
        assert names["dead"] in removed
        assert not any(names[k] in removed for k in ("live", "other", "unlike"))
        assert {k: os.path.exists(p) for k, p in paths.items()} == {
            "dead": False, "live": True, "other": True, "unlike": True}
    finally:
        for path in paths.values():
            if os.path.exists(path):
                os.unlink(path)


def test_lava_segments_are_named_after_the_process_that_creates_them():
    from multiprocessing import shared_memory

    from lava.magma.runtime.message_infrastructure.shared_memory_manager import SharedMemoryManager

    from lava_wta.lava_runtime import SEGMENT_NAME, tie_lava_workers_to_this_process

    tie_lava_workers_to_this_process()
    default = shared_memory._make_filename
    smm = SharedMemoryManager()
    smm.start()
    try:
        segment = smm.create_shared_memory(64)
        match = SEGMENT_NAME.fullmatch(segment.name)
        assert match and int(match["pid"]) == os.getpid()
        assert os.path.exists(os.path.join("/dev/shm", segment.name))
        assert shared_memory._make_filename is default      # other code keeps random names
    finally:
        smm.shutdown()
