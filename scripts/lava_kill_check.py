"""Kill a Lava training run and list what it leaves behind.

Starts ``lava-wta train`` with a Lava backend as a subprocess in its own process group,
waits until its Lava workers exist, records every descendant process and every
``/dev/shm`` segment the tree maps, sends the parent one signal, and after a grace period
prints which of those processes are still alive and which of those segments still exist.

    python scripts/lava_kill_check.py --backend lava-fused --signal KILL --grace 5
    python scripts/lava_kill_check.py --signal INT --group      # Ctrl-C in a terminal
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import psutil


def tree(pid: int) -> list:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def shm_mapped(procs) -> set:
    """The /dev/shm files any of ``procs`` maps or holds open."""
    names = set()
    for p in procs:
        try:
            with open(f"/proc/{p.pid}/maps") as f:
                for line in f:
                    path = line.rstrip("\n").split(maxsplit=5)[-1]
                    if path.startswith("/dev/shm/"):
                        names.add(path.split()[0])
            for fd in os.listdir(f"/proc/{p.pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{p.pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("/dev/shm/"):
                    names.add(target.split()[0])
        except OSError:
            continue
    return names


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="lava-fused")
    ap.add_argument("--signal", default="KILL", help="KILL, TERM or INT")
    ap.add_argument("--group", action="store_true",
                    help="signal the whole process group (as Ctrl-C in a terminal does)")
    ap.add_argument("--grace", type=float, default=5.0, help="seconds to wait after the signal")
    ap.add_argument("--workers", type=int, default=3, help="descendants to wait for before the signal")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    out = tempfile.mkdtemp(prefix="lava-kill-")
    cmd = [sys.executable, "-m", "lava_wta.cli", "train", "--dataset", "digits", "--neurons", "10",
           "--train-images", "200", "--label-images", "20", "--test-images", "20",
           "--backend", args.backend, "--no-progress", "--out", out]
    shm_before = set(os.listdir("/dev/shm"))
    err_file = open(os.path.join(out, "stderr.txt"), "w+b")   # a pipe would stay open in survivors
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=err_file)
    deadline = time.monotonic() + args.timeout
    seen, segments = {}, set()
    while time.monotonic() < deadline and proc.poll() is None:
        kids = tree(proc.pid)
        for k in kids:
            seen.setdefault(k.pid, k)
        segments |= shm_mapped([psutil.Process(proc.pid)] + kids)
        if len(kids) >= args.workers and segments:
            time.sleep(1.0)            # let the runtime finish starting its workers
            kids = tree(proc.pid)
            for k in kids:
                seen.setdefault(k.pid, k)
            segments |= shm_mapped([psutil.Process(proc.pid)] + kids)
            break
        time.sleep(0.2)
    if proc.poll() is not None:
        err_file.seek(0)
        print(f"run ended before the signal (rc {proc.returncode}): "
              f"{err_file.read().decode()[-2000:]}")
        return 2
    print(f"descendants before the signal: {len(seen)}; /dev/shm segments mapped: {len(segments)}")
    (os.killpg if args.group else os.kill)(proc.pid, getattr(signal, "SIG" + args.signal))
    t_sig = time.monotonic()
    proc.wait()
    time.sleep(args.grace)
    err_file.seek(0)
    err = err_file.read().decode()
    alive = [p for p in seen.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    left = sorted(s for s in segments if os.path.exists(s))
    new = sorted(set(os.listdir("/dev/shm")) - shm_before)
    print(f"parent exit code {proc.returncode} "
          f"({time.monotonic() - t_sig:.1f} s after the signal incl. {args.grace} s grace)")
    print(f"survivors after {args.grace} s: {len(alive)} "
          f"{[(p.pid, ' '.join(p.cmdline())[:60]) for p in alive]}")
    print(f"our segments left: {len(left)} {left}")
    print(f"new /dev/shm entries (any process): {len(new)} "
          f"{[(n, os.path.getsize('/dev/shm/' + n)) for n in new if os.path.exists('/dev/shm/' + n)]}")
    if err.strip():
        print("stderr tail:", err[-1500:])
    for p in alive:
        p.kill()
    return 0 if not alive and not left else 1


if __name__ == "__main__":
    sys.exit(main())
