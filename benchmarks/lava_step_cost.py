"""Cost per simulated step of the composed Lava graph (the reference implementation).

    python benchmarks/lava_step_cost.py [--images 20] [--neurons 100 400]

For each network size, trains on the first N MNIST images and then runs them frozen, in
one Lava graph of six processes (input, plastic synapses, excitatory, E->I, inhibitory,
I->E), and prints ms per 0.5 ms step, ms per image, the real-time factor and the peak
memory of this process tree. ``engine_vs_lava.py`` times the same graph against the
engine and the fused models in one run.
"""
from __future__ import annotations

import argparse
import resource

from _page import WRITE_PAGE_HELP, recording  # benchmarks/ (this script's folder)

from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.simulation import present_lava
from lava_wta.state import WTAState


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=20)
    p.add_argument("--neurons", type=int, nargs="+", default=[100, 400])
    p.add_argument("--write-page", action="store_true", help=WRITE_PAGE_HELP)
    args = p.parse_args()
    with recording(__file__, None, args.write_page):
        _measure(args)


def _measure(args) -> None:
    data = load_dataset("mnist")
    images = data.train_images[:args.images]
    print(f"{'neurons':>7} {'mode':>7} {'steps':>7} {'ms/step':>8} {'ms/image':>9} {'x real time':>11}")
    for n in args.neurons:
        cfg = WTAConfig().with_overrides({"network.n_neurons": n})
        trained = present_lava(cfg, images, WTAState.initial(cfg), learning=True, input_seed=1)
        frozen = present_lava(cfg, images, trained.state, learning=False, input_seed=2)
        for mode, res in (("train", trained), ("frozen", frozen)):
            print(f"{n:>7} {mode:>7} {res.steps:>7} {res.ms_per_step:>8.3f} "
                  f"{1e3 * res.seconds / args.images:>9.1f} {res.ms_per_step / cfg.time.dt_ms:>11.2f}")
        print(f"{n:>7} train/frozen cost ratio {trained.ms_per_step / frozen.ms_per_step:.2f}")
    print(f"peak memory (this process + Lava's process children, max of each): {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
