"""Where the engine's training step spends its time at 400, 1,600 and 6,400 neurons.

    .venv/bin/python benchmarks/step_profile.py
    .venv/bin/python benchmarks/step_profile.py --images 500 --sizes 1600 6400

numba code cannot be sampled by Python's profilers, so the step is taken apart by running
the same network with less work, each size in a fresh process (after a warm-up that
compiles or loads the kernels), one thread, CPU time:

* **training**: the full step (layers, input delivery, STDP, θ, synaptic scaling) on the
  first ``--images`` MNIST training images, from the initial weights;
* **frozen**: the same images with learning off (layers and input delivery);
* **layers**: the same number of steps with no image (both layers' membranes, thresholds and
  inhibition, no input spike to deliver).

Hence *delivery* = frozen − layers (adding the weight rows of each step's input spikes to
the excitatory conductances) and *plasticity* = training − frozen (depression of those rows,
potentiation of the columns of spiking neurons, θ, scaling). The input spikes per step are
counted on the images' Poisson rasters; *row traffic* is the bytes of the weight rows that
delivery reads (8 bytes × neurons per input spike) divided by its time. The parts are
differences of whole runs, not exclusive timings: the frozen and the training network do
not spike alike, so they are estimates.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _page import WRITE_PAGE_HELP, recording  # noqa: E402
from engine_ab import ROOT, run_child  # noqa: E402

SIZES = (400, 1600, 6400)

_CHILD = r"""
import json, sys, time
import numpy as np
from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.engine import EngineNetwork
from lava_wta.kernels.poisson import dense_raster
from lava_wta.state import WTAState
n, k = int(sys.argv[1]), int(sys.argv[2])
data = load_dataset("mnist")
config = WTAConfig().with_overrides({"network.n_inputs": data.n_pixels, "network.n_neurons": n})
state = WTAState.initial(config)
images = data.train_images[:k]
none = np.zeros((0, data.n_pixels), images.dtype)

def run_images(learning, m):
    net = EngineNetwork(config, state, learning=learning, input_seed=1)
    counts = np.zeros((m, n), np.int64)
    c0 = time.process_time()
    steps = net.run(images[:m], counts, m)
    return time.process_time() - c0, steps

def run_empty(m):
    net = EngineNetwork(config, state, learning=False, input_seed=1)
    counts = np.zeros((1, n), np.int64)
    c0 = time.process_time()
    net.run_steps(none, counts, m)
    return time.process_time() - c0

run_images(True, 2); run_images(False, 2); run_empty(100)          # compile or load
train_s, steps = run_images(True, k)
frozen_s, frozen_steps = run_images(False, k)
layers_s = run_empty(steps)
present = int(round(config.time.presentation_ms / config.time.dt_ms))
spikes = sum(int(dense_raster(images[i], config.input.pixel_rate_hz, config.time.dt_ms, present,
                              1, i, 0).sum()) for i in range(min(k, 200)))
per_present_step = spikes / (min(k, 200) * present)
period = int(round((config.time.presentation_ms + (config.time.rest_ms if config.time.between_images == "rest"
                                                   else 0.0)) / config.time.dt_ms))
print(json.dumps({"train_us": 1e6 * train_s / steps, "frozen_us": 1e6 * frozen_s / frozen_steps,
                  "layers_us": 1e6 * layers_s / steps, "steps": steps,
                  "input_spikes_per_step": per_present_step * present / period}))
"""


def measure(n: int, images: int) -> dict:
    return run_child(ROOT, _CHILD, n, images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300, help="training images per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="neurons")
    parser.add_argument("--write-page", action="store_true", help=WRITE_PAGE_HELP)
    args = parser.parse_args()
    with recording(__file__, None, args.write_page):
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
        print(f"µs per 0.5 ms step (CPU time, one thread), {args.images} MNIST training images per size")
        print(f"{'neurons':>7} {'training':>9} {'frozen':>8} {'layers':>8} {'delivery':>9} {'plasticity':>11} "
              f"{'inputs/step':>12} {'row GB/s':>9}  shares of training: layers / delivery / plasticity")
        for n in args.sizes:
            r = measure(n, args.images)
            delivery = r["frozen_us"] - r["layers_us"]
            plasticity = r["train_us"] - r["frozen_us"]
            traffic = 8 * n * r["input_spikes_per_step"] / (delivery * 1e-6) / 1e9 if delivery > 0 else float("nan")
            t = r["train_us"]
            print(f"{n:7d} {t:9.3f} {r['frozen_us']:8.3f} {r['layers_us']:8.3f} {delivery:9.3f} {plasticity:11.3f} "
                  f"{r['input_spikes_per_step']:12.2f} {traffic:9.2f}  "
                  f"{100 * r['layers_us'] / t:.0f} % / {100 * delivery / t:.0f} % / {100 * plasticity / t:.0f} %",
                  flush=True)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
