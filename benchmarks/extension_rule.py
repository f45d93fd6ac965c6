"""Cost of a user's STDP rule in the engine: the soft-bound rule of
``examples/custom_rules.py`` against the built-in additive rule, on the same work.

    .venv/bin/python benchmarks/extension_rule.py                  # 400 neurons, MNIST, 2,000 images
    .venv/bin/python benchmarks/extension_rule.py --images 500 --rounds 2

Both rules train the configuration's defaults (the paper's network: 400 neurons, l2
scaling at Wt 5) from the same initial state on the same images and input stream,
alternating A/B ``--rounds`` times so that drifts of the machine hit both. Compilation
(numba, cached on disk per rule) is excluded by a warm-up run of each rule. Prints µs per
0.5 ms step of each round and, on its last line, the ratio soft-bound / additive of the
median times per step as ``N.NNx``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _page import WRITE_PAGE_HELP, recording  # benchmarks/ (this script's folder)

ROOT = Path(__file__).resolve().parents[1]


def _time_rule(config, images, state, rule: str) -> float:
    """µs per step of training ``images`` with ``rule``."""
    from lava_wta.engine import EngineNetwork

    net = EngineNetwork(config.with_overrides({"stdp.rule": rule}), state, learning=True, input_seed=1)
    counts = np.zeros((len(images), config.network.n_neurons), np.int64)
    t0 = time.perf_counter()
    steps = net.run(images, counts, len(images))
    return 1e6 * (time.perf_counter() - t0) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=400)
    parser.add_argument("--images", type=int, default=2000, help="training images per timed run")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds")
    parser.add_argument("--write-page", action="store_true", help=WRITE_PAGE_HELP)
    args = parser.parse_args()
    with recording(__file__, None, args.write_page):
        _measure(args)


def _measure(args) -> None:

    from lava_wta import WTAConfig
    from lava_wta.data import load_dataset
    from lava_wta.plugins import load_plugin
    from lava_wta.state import WTAState

    load_plugin(str(ROOT / "examples" / "custom_rules.py"))
    data = load_dataset("mnist")
    config = WTAConfig().with_overrides({"network.n_inputs": data.n_pixels,
                                         "network.n_neurons": args.neurons})
    state = WTAState.initial(config)
    images = data.train_images[:args.images]
    for rule in ("additive", "soft_bound"):        # compile (or load the cache)
        _time_rule(config, images[:2], state, rule)
    times = {"additive": [], "soft_bound": []}
    for r in range(args.rounds):
        for rule in times:
            times[rule].append(_time_rule(config, images, state, rule))
        print(f"round {r + 1}: additive {times['additive'][-1]:.3f} us/step, "
              f"soft_bound {times['soft_bound'][-1]:.3f} us/step", flush=True)
    add, soft = (statistics.median(times[k]) for k in ("additive", "soft_bound"))
    print(f"median: additive {add:.3f} us/step, soft_bound {soft:.3f} us/step "
          f"({args.neurons} neurons, {args.images} MNIST training images, {args.rounds} rounds)")
    print(f"soft_bound / additive: {soft / add:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
