"""Several threads stepping one training network (``threads=``, ``lava-wta train --threads``)
against one thread, on the same images in one run; and what this machine's cores give two
threads in the first place.

    .venv/bin/python benchmarks/team.py
    .venv/bin/python benchmarks/team.py --sizes 6400 --images 200 --rounds 3 --write-page

First a probe of the cores: a vectorised floating-point loop (the kind of work the
network's step is made of) and a latency-bound scalar loop, each run by one thread and
then by two threads at once on separate data; the ratio is the throughput two threads
get over one (2.0: two full cores; about 1.0: the two logical CPUs share one core's
vector units, as hyperthreads or a host's co-scheduled vCPUs do).

Then, per size, the engine trains the first ``--images`` MNIST images with 1 thread and
with each count of ``--threads``, alternating, ``--rounds`` times. Times are wall-clock
(several threads: CPU time would count each); medians give µs per 0.5 ms step, the
projected 60,000-image epoch and the speed-up over one thread. The trained weights of
every thread count are compared bit for bit with one thread's.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _page import WRITE_PAGE_HELP, recording  # noqa: E402

EPOCH = 60_000


def _probe_kernels():
    from numba import njit

    @njit(nogil=True, cache=True)
    def vector(a, reps):
        for _ in range(reps):
            for j in range(a.shape[0]):
                a[j] = a[j] * 0.999 + 0.001
        return a[0]

    @njit(nogil=True, cache=True)
    def scalar(x, reps):
        for _ in range(reps):
            x = x * 1.0000001 + 1e-9
        return x

    return vector, scalar


def probe_cores(rounds: int = 5) -> dict:
    """Throughput of two threads over one, for a vectorised and a latency-bound loop
    (medians of ``rounds``)."""
    import numpy as np

    vector, scalar = _probe_kernels()
    jobs = {"vectorised float64 loop": (vector, lambda: np.ones(3200), 30_000),
            "latency-bound scalar loop": (scalar, lambda: 1.0, 30_000_000)}
    out = {}
    for name, (fn, data, reps) in jobs.items():
        fn(data(), 10)
        ratios = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            fn(data(), reps)
            one = time.perf_counter() - t0
            other = threading.Thread(target=fn, args=(data(), reps))
            t0 = time.perf_counter()
            other.start()
            fn(data(), reps)
            other.join()
            two = time.perf_counter() - t0
            ratios.append(2 * one / two)
        out[name] = statistics.median(ratios)
    return out


def measure(n_neurons: int, n_images: int, threads: int, images) -> dict:
    import numpy as np

    from lava_wta import WTAConfig
    from lava_wta.engine import EngineNetwork
    from lava_wta.state import WTAState

    config = WTAConfig().with_overrides({"network.n_inputs": images.shape[1], "network.n_neurons": n_neurons})
    net = EngineNetwork(config, WTAState.initial(config), learning=True, input_seed=1, threads=threads)
    counts = np.zeros((n_images, n_neurons), np.int64)
    net.compile(images[:n_images], counts)
    t0 = time.perf_counter()
    steps = net.run(images[:n_images], counts, n_images)
    wall = time.perf_counter() - t0
    weights = net.state().weights
    return {"us_per_step": 1e6 * wall / steps, "s_per_image": wall / n_images,
            "weights_sha256": hashlib.sha256(weights.tobytes()).hexdigest()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200, help="training images per measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1600, 6400], help="neurons")
    parser.add_argument("--threads", type=int, nargs="+", default=[2], help="thread counts against 1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-page", action="store_true", help=WRITE_PAGE_HELP)
    args = parser.parse_args()
    with recording(__file__, None, args.write_page):
        run(args)


def run(args) -> None:
    from lava_wta.data import load_dataset

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} CPUs)", flush=True)
    print("two threads at once, throughput over one thread (2.0: two full cores):")
    for name, ratio in probe_cores().items():
        print(f"  {name:26s} {ratio:5.2f}x", flush=True)
    images = load_dataset("mnist").train_images
    counts = [1] + [t for t in args.threads if t != 1]
    print(f"\nengine training, first {args.images} MNIST images, wall-clock medians of {args.rounds} rounds:")
    for n in args.sizes:
        runs = {t: [] for t in counts}
        for _ in range(args.rounds):
            for t in counts:
                runs[t].append(measure(n, args.images, t, images))
        base = statistics.median(r["us_per_step"] for r in runs[1])
        for t in counts:
            us = statistics.median(r["us_per_step"] for r in runs[t])
            s_img = statistics.median(r["s_per_image"] for r in runs[t])
            same = all(r["weights_sha256"] == runs[1][0]["weights_sha256"] for r in runs[t])
            print(f"  {n:5d} neurons, {t} thread{'s' if t > 1 else ' '}: {us:7.2f} us/step, "
                  f"epoch {s_img * EPOCH / 60:5.1f} min, speed-up {base / us:4.2f}x, "
                  f"weights {'identical to 1 thread' if same else 'DIFFER from 1 thread'}", flush=True)


if __name__ == "__main__":
    main()
