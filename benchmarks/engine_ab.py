"""The engine's time per step against another commit of lava-wta, on the same work, in one run.

    .venv/bin/python benchmarks/engine_ab.py --baseline fb7f50b
    .venv/bin/python benchmarks/engine_ab.py --baseline HEAD~3 --images 1000 --rounds 2

Checks out ``--baseline`` into a temporary git worktree and trains the paper's network
(the configuration's defaults: 400 neurons, l2 at Wt 5) on the first ``--images`` MNIST
images in each tree, then runs the trained network frozen over as many test images (the
parallel batch that labelling and testing use), alternating baseline / this tree ``--rounds`` times, every run in a
fresh process of this virtual environment with the tree on ``PYTHONPATH``. Each process
warms up (numba compilation or its disk cache) before it times. Prints µs per 0.5 ms
step and test images per second of each run and, on its last line, the ratio this tree /
baseline of the median training times per step as ``N.NNx``.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import typing as ty
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _page import WRITE_PAGE_HELP, recording  # noqa: E402

_CHILD = r"""
import hashlib, json, sys, time
import numpy as np
from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.engine import EngineNetwork, present_engine
from lava_wta.state import WTAState
n_images = int(sys.argv[1])
data = load_dataset("mnist")
config = WTAConfig().with_overrides({"network.n_inputs": data.n_pixels})
state = WTAState.initial(config)
images = data.train_images[:n_images]
def timed(k):
    net = EngineNetwork(config, state, learning=True, input_seed=1)
    counts = np.zeros((k, config.network.n_neurons), np.int64)
    t0 = time.perf_counter()
    steps = net.run(images[:k], counts, k)
    return 1e6 * (time.perf_counter() - t0) / steps, net.state().weights
timed(2)
us, weights = timed(n_images)
trained = WTAState(weights, state.theta)
tests = data.test_images[:n_images]
present_engine(config, tests[:8], trained, learning=False, input_seed=2)
t0 = time.perf_counter()
frozen = present_engine(config, tests, trained, learning=False, input_seed=2)
rate = len(tests) / (time.perf_counter() - t0)
print(json.dumps({"us_per_step": us, "weights_sha256": hashlib.sha256(weights.tobytes()).hexdigest(),
                  "weights_sum": float(weights.sum()), "test_images_per_s": rate,
                  "test_counts_sum": int(frozen.counts.sum())}))
"""


def run_child(tree: Path, code: str, *args: ty.Any) -> dict:
    """Run ``code`` in a fresh process of this virtual environment with ``tree`` first on
    ``PYTHONPATH`` (arguments in ``sys.argv[1:]``); returns the JSON of its last line."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def checked_out(revision: str) -> ty.Iterator[Path]:
    """A temporary git worktree of ``revision`` (removed on exit)."""
    with tempfile.TemporaryDirectory(prefix="lava-wta-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
                       check=True, capture_output=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)


def _run(tree: Path, n_images: int) -> dict:
    return run_child(tree, _CHILD, n_images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-page", action="store_true", help=WRITE_PAGE_HELP)
    args = parser.parse_args()
    with recording(__file__, None, args.write_page):
        _measure(args)


def _measure(args) -> None:

    with checked_out(args.baseline) as base:
        times = {"baseline": [], "this tree": []}
        rates = {"baseline": [], "this tree": []}
        digests, sums = {}, {}
        for r in range(args.rounds):
            for name, tree in (("baseline", base), ("this tree", ROOT)):
                res = _run(tree, args.images)
                times[name].append(res["us_per_step"])
                rates[name].append(res["test_images_per_s"])
                digests[name], sums[name] = res["weights_sha256"], res["weights_sum"]
                print(f"round {r + 1}: {name:9s} training {res['us_per_step']:.3f} us/step, "
                      f"frozen batch {res['test_images_per_s']:.0f} test images/s", flush=True)
    b, t = statistics.median(times["baseline"]), statistics.median(times["this tree"])
    rb, rt = statistics.median(rates["baseline"]), statistics.median(rates["this tree"])
    print(f"frozen batch (labelling, testing) on {args.images} test images: baseline {rb:.0f}, "
          f"this tree {rt:.0f} images/s ({rt / rb:.2f}x)")
    same = "bit for bit identical" if digests["baseline"] == digests["this tree"] else "different"
    print(f"median: baseline ({args.baseline}) {b:.3f} us/step, this tree {t:.3f} us/step; "
          f"trained weights {same} (sums {sums['baseline']!r} and {sums['this tree']!r})")
    print(f"this tree / baseline: {t / b:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
