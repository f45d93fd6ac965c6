"""The engine's training step at 400, 1,600 and 6,400 neurons, and what it projects for an
epoch of 60,000 images; with ``--compare REF``, against another commit in the same run.

    .venv/bin/python benchmarks/scale.py
    .venv/bin/python benchmarks/scale.py --compare 4615151 --images 1000 --rounds 2

Each size trains the paper's network (the configuration's defaults, ``network.n_neurons``
set) on the first ``--images`` MNIST images, in a fresh process of this virtual
environment with the tree first on ``PYTHONPATH`` (the process warms up first: numba
compilation or its disk cache). Per size it prints µs per 0.5 ms step, seconds per image,
the projected minutes of a 60,000-image epoch at that rate, and the process's peak
resident memory (``resource.getrusage``) with the spike counts of a whole epoch in memory,
as a training pass over 60,000 images holds them (in the count type of each tree). Times
are the process's CPU time (one thread: what the step costs, whatever else the machine
runs); wall-clock µs per step are printed beside them. With ``--compare``, ``REF`` is
checked out into a temporary git worktree (:func:`engine_ab.checked_out`) and every size
runs in both trees, alternating, ``--rounds`` times; the medians give the ratios this tree
/ ``REF``, and the trained weights of both trees are compared bit for bit. With ``--write-page`` the medians are also
drawn (``--figure``): µs per step and the projected epoch against the number of neurons,
beside a cost proportional to the neurons and the 3-minute epoch we aim for.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _page import WRITE_PAGE_HELP, recording  # noqa: E402
from engine_ab import ROOT, checked_out, run_child  # noqa: E402

SIZES = (400, 1600, 6400)
EPOCH = 60_000
EPOCH_TARGET_MIN = 3.0
"""The epoch we aim for at 6,400 neurons (minutes, 60,000 training images, this machine)."""
FIGURE = ROOT / "benchmarks" / "figures" / "scale.png"

_CHILD = r"""
import hashlib, json, resource, sys, time
import numpy as np
from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.engine import EngineNetwork
from lava_wta.state import WTAState
n_neurons, n_images, EPOCH = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
data = load_dataset("mnist")
config = WTAConfig().with_overrides({"network.n_inputs": data.n_pixels,
                                     "network.n_neurons": n_neurons})
state = WTAState.initial(config)
images = data.train_images[:n_images]
try:
    from lava_wta.presentation import count_dtype
    dtype = count_dtype(config.time.period_steps)
except ImportError:          # a tree from before the counts had their own type
    dtype = np.int64
def timed(k):
    net = EngineNetwork(config, state, learning=True, input_seed=1)
    # the counts of a whole epoch, resident as a training pass holds them (np.full writes
    # every page; np.zeros would leave the untouched ones unmapped)
    counts = np.full((EPOCH, n_neurons), 0, dtype)
    c0, w0 = time.process_time(), time.perf_counter()
    steps = net.run(images[:k], counts, k)
    return time.process_time() - c0, time.perf_counter() - w0, steps, net.state().weights
timed(2)
cpu, wall, steps, weights = timed(n_images)
print(json.dumps({"us_per_step": 1e6 * cpu / steps, "wall_us_per_step": 1e6 * wall / steps,
                  "s_per_image": cpu / n_images, "steps": steps,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "weights_sha256": hashlib.sha256(weights.tobytes()).hexdigest()}))
"""


def measure(tree: Path, n_neurons: int, n_images: int) -> dict:
    return run_child(tree, _CHILD, n_neurons, n_images, EPOCH)


def _line(label: str, n: int, r: dict) -> str:
    return (f"{label:9s} {n:5d} neurons: {r['us_per_step']:7.3f} us/step (wall {r['wall_us_per_step']:7.3f}), "
            f"{r['s_per_image'] * 1e3:7.2f} ms/image, epoch {r['s_per_image'] * EPOCH / 60:6.1f} min, "
            f"peak RSS {r['peak_rss_mib']:6.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="training images per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="neurons")
    parser.add_argument("--compare", metavar="REF", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--write-page", action="store_true", help=WRITE_PAGE_HELP)
    parser.add_argument("--figure", type=Path, default=FIGURE,
                        help="where --write-page draws the medians (PNG)")
    args = parser.parse_args()
    with recording(__file__, None, args.write_page) as extra:
        medians = _measure(args)
        if args.write_page:
            png = plot(medians, args.figure)
            extra["table"] = f"![µs per step and epoch time against neurons]({os.path.relpath(png, ROOT)})"


def plot(medians: dict, path: Path) -> Path:
    """µs per step and the projected 60,000-image epoch against neurons (log-log), each
    tree's medians, with a line proportional to the neurons through this tree's smallest
    size and the epoch target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, by_n in medians.items():
        ns = sorted(by_n)
        ax1.plot(ns, [by_n[n]["us_per_step"] for n in ns], marker="o", label=name)
        ax2.plot(ns, [by_n[n]["s_per_image"] * EPOCH / 60 for n in ns], marker="o", label=name)
    ours = medians["this tree"]
    n0 = min(ours)
    ns = sorted(ours)
    ax1.plot(ns, [ours[n0]["us_per_step"] * n / n0 for n in ns], ls=":", color="grey",
             label=f"proportional to neurons (from {n0})")
    ax2.axhline(EPOCH_TARGET_MIN, ls="--", color="grey", label=f"{EPOCH_TARGET_MIN:g}-minute epoch")
    for ax, label in ((ax1, "µs per 0.5 ms step (CPU time, one thread)"),
                      (ax2, f"projected epoch of {EPOCH:,} images (min)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(ns)
        ax.set_xticklabels([str(n) for n in ns])
        ax.set_xlabel("excitatory neurons")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle("engine training step against network size (medians)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _measure(args) -> dict:
    """Measure and print; returns the medians, {tree name: {neurons: median}}."""
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} CPUs)", flush=True)

    with (checked_out(args.compare) if args.compare else _no_tree()) as ref:
        trees = [("this tree", ROOT)] + ([(args.compare, ref)] if ref else [])
        runs = {(name, n): [] for name, _ in trees for n in args.sizes}
        for r in range(args.rounds):
            for n in args.sizes:
                for name, tree in trees[::-1]:
                    res = measure(tree, n, args.images)
                    runs[name, n].append(res)
                    print(f"round {r + 1}: " + _line(name, n, res), flush=True)

    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"medians over {args.rounds} round(s), {args.images} training images per size:")
    medians = {name: {n: _median(runs[name, n]) for n in args.sizes} for name, _ in trees}
    for n in args.sizes:
        ours = medians["this tree"][n]
        print(_line("this tree", n, ours))
        if args.compare:
            theirs = medians[args.compare][n]
            same = {x["weights_sha256"] for x in runs["this tree", n] + runs[args.compare, n]}
            print(_line(args.compare[:9], n, theirs))
            print(f"          {n:5d} neurons: this tree / {args.compare}: "
                  f"{ours['us_per_step'] / theirs['us_per_step']:.2f}x per step (CPU time), "
                  f"{ours['wall_us_per_step'] / theirs['wall_us_per_step']:.2f}x wall; trained weights "
                  f"{'bit for bit identical' if len(same) == 1 else 'DIFFERENT'}")
    return medians


def _median(results: list) -> dict:
    out = {k: statistics.median(r[k] for r in results)
           for k in ("us_per_step", "wall_us_per_step", "s_per_image", "peak_rss_mib")}
    return out


class _no_tree:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    sys.exit(main())
