"""Speed and memory of the three executions of one model, measured in one run on the same images.

    .venv/bin/python benchmarks/engine_vs_lava.py                 # 400 neurons, 150 ms (the paper)
    .venv/bin/python benchmarks/engine_vs_lava.py --neurons 100 --lava-images 3

Prints, for the composed Lava graph, the fused Lava model (synchronous, tag "fused", and
asynchronous, tag "fused-async") and the engine (training, STDP
and scaling on, MNIST, the same first images and input stream for all three):
microseconds per simulated 0.5 ms step, milliseconds per presentation, and the ratios;
then test images per second of the engine's batched (parallel) frozen inference, and the
peak resident memory of an engine training process at 400 and 6,400 neurons.

A row "lava floor" times a one-process Lava model that does no work
(``benchmarks/lava_floor.py``): the per-step cost of Lava's synchronous runtime alone,
which bounds any synchronous model from below.

Compilation (numba, cached on disk) and Lava's process start-up are excluded: each
execution runs one warm-up presentation before the timed ones. Timings are wall-clock
on this machine; the script prints the numbers it measured, nothing else.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
from _page import WRITE_PAGE_HELP, recording  # benchmarks/ (this script's folder)


def _lava_timing(cfg, images, state, n_images: int, tag) -> dict:
    from lava.magma.core.run_conditions import RunSteps

    from lava_wta.processes import WTANetwork
    from lava_wta.run_config import WTASimCfg

    period = cfg.time.period_steps
    net = WTANetwork(config=cfg, images=images[:n_images + 1], weights=state.weights, theta=state.theta,
                     learning=True, input_seed=1, buffer_images=n_images + 1)
    run_cfg = WTASimCfg(models={WTANetwork: tag} if tag else None)
    try:
        net.run(condition=RunSteps(num_steps=period), run_cfg=run_cfg)          # warm-up
        t0 = time.perf_counter()
        net.run(condition=RunSteps(num_steps=n_images * period), run_cfg=run_cfg)
        seconds = time.perf_counter() - t0
        weights = net.weights.get()
    finally:
        net.stop()
    return {"steps": n_images * period, "seconds": seconds, "presentations": n_images,
            "weights": weights}


def _engine_timing(cfg, images, state, n_presentations: int) -> dict:
    from lava_wta.engine import EngineNetwork

    period = cfg.time.period_steps
    x = np.ascontiguousarray(images, dtype=np.float64)
    counts = np.zeros((len(x), cfg.network.n_neurons), np.int64)
    net = EngineNetwork(cfg, state, learning=True, input_seed=1)
    net.run_steps(x, counts, period)                             # warm-up (and compile)
    t0 = time.perf_counter()
    net.run_steps(x, counts, n_presentations * period)           # the same work as the Lava runs
    seconds = time.perf_counter() - t0
    return {"steps": n_presentations * period, "seconds": seconds, "presentations": n_presentations,
            "weights": net.state().weights}


def _memory_child(neurons: int, images: int) -> None:
    """Train ``images`` MNIST images at ``neurons`` neurons in the engine; print peak RSS."""
    from lava_wta import WTAConfig
    from lava_wta.data import load_dataset
    from lava_wta.engine import present_engine
    from lava_wta.state import WTAState

    data = load_dataset("mnist")
    cfg = WTAConfig().with_overrides({"network.n_neurons": neurons})
    present_engine(cfg, data.train_images[:images], WTAState.initial(cfg), learning=True, input_seed=1)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"neurons": neurons, "images": images, "peak_rss_mib": peak_kib / 1024}))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--neurons", type=int, default=400)
    p.add_argument("--presentation-ms", type=float, default=150.0)
    p.add_argument("--lava-images", type=int, default=5, help="presentations timed in the composed graph")
    p.add_argument("--fused-images", type=int, default=40, help="presentations timed in the fused model")
    p.add_argument("--async-images", type=int, default=2000,
                   help="presentations timed in the asynchronous fused model")
    p.add_argument("--engine-images", type=int, default=4000, help="presentations timed in the engine")
    p.add_argument("--test-images", type=int, default=10000, help="images for the batched inference")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    p.add_argument("--memory-child", nargs=2, type=int, help=argparse.SUPPRESS)
    p.add_argument("--write-page", action="store_true", help=WRITE_PAGE_HELP)
    args = p.parse_args(argv)
    if args.memory_child:
        _memory_child(*args.memory_child)
        return 0
    with recording(__file__, argv, args.write_page):
        return _measure(args)


def _measure(args) -> int:
    from lava_wta import WTAConfig
    from lava_wta.data import load_dataset
    from lava_wta.engine import present_engine
    from lava_wta.state import WTAState

    data = load_dataset("mnist")
    cfg = WTAConfig().with_overrides({"network.n_neurons": args.neurons,
                                      "time.presentation_ms": args.presentation_ms})
    state = WTAState.initial(cfg)
    n_max = max(args.lava_images, args.fused_images, args.async_images, args.engine_images) + 2
    images = data.train_images[:n_max]
    print(f"MNIST, {args.neurons} neurons, {args.presentation_ms:g} ms presentation "
          f"({cfg.time.period_steps} steps of {cfg.time.dt_ms} ms), training (STDP, l2 scaling, theta)")
    print(f"threads available to numba: {os.cpu_count()}; numpy {np.__version__}")

    from lava_floor import floor_timing  # benchmarks/ (this script's folder)

    rows = {}
    # Lava's own floor: a one-process model that does nothing but send s_out each step
    floor = floor_timing(args.neurons, args.fused_images * cfg.time.period_steps)
    rows["lava (composed graph)"] = _lava_timing(cfg, images, state, args.lava_images, None)
    rows["lava-fused"] = _lava_timing(cfg, images, state, args.fused_images, "fused")
    rows["lava-fused-async"] = _lava_timing(cfg, images, state, args.async_images, "fused-async")
    same = _engine_timing(cfg, images, state, args.lava_images)
    same_async = _engine_timing(cfg, images, state, args.async_images)
    rows["engine"] = _engine_timing(cfg, images, state, args.engine_images)

    # they agree on the same work (weights after the same presentations)
    np.testing.assert_allclose(rows["lava (composed graph)"]["weights"], same["weights"], rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(rows["lava-fused-async"]["weights"], same_async["weights"])

    print(f"\n{'execution':24s} {'presentations':>13s} {'steps':>9s} {'us/step':>10s} {'ms/presentation':>16s}")
    us = {}
    for name, r in rows.items():
        us[name] = 1e6 * r["seconds"] / r["steps"]
        ms_img = 1e3 * r["seconds"] / max(r["presentations"], 1)
        print(f"{name:24s} {r['presentations']:13d} {r['steps']:9d} {us[name]:10.3f} {ms_img:16.4f}")
    lava, fused, eng = us["lava (composed graph)"], us["lava-fused"], us["engine"]
    us_floor = 1e6 * floor["seconds"] / floor["steps"]
    print(f"{'lava floor (no work)':24s} {'-':>13s} {floor['steps']:9d} {us_floor:10.3f} {'-':>16s}")
    fa = us["lava-fused-async"]
    print(f"\nratios (per step): engine vs composed graph {lava / eng:,.0f}x, "
          f"engine vs fused {fused / eng:,.0f}x, fused vs composed graph {lava / fused:,.1f}x, "
          f"fused-async vs composed graph {lava / fa:,.0f}x, fused-async vs engine {fa / eng:.2f}x")
    print(f"Lava's synchronous floor (a one-process model that only sends s_out): {us_floor:.1f} us "
          f"per step; the fused model adds {fused - us_floor:.1f} us per step of its own")
    print(f"check: engine and composed graph agree on the weights after the same {args.lava_images} "
          f"presentations (rtol 1e-9); fused-async and engine after {args.async_images} (bit for bit)")

    # batched inference: frozen network, reset between images, images over all cores
    trained = present_engine(cfg, data.train_images[:2000], state, learning=True, input_seed=2).state
    test = data.test_images[:args.test_images]
    present_engine(cfg, test[:50], trained, learning=False, input_seed=3)      # warm-up (compile)
    t0 = time.perf_counter()
    res = present_engine(cfg, test, trained, learning=False, input_seed=3)
    seconds = time.perf_counter() - t0
    print(f"\nbatched frozen inference (network trained on 2,000 images): {len(test)} test images in "
          f"{seconds:.2f} s = {len(test) / seconds:,.0f} images/s "
          f"({res.steps} steps, {res.retries} retries, {os.cpu_count()} cores)")

    if not args.no_memory:
        print()
        for neurons, n_img in ((400, 1000), (6400, 100)):
            out = subprocess.run([sys.executable, __file__, "--memory-child", str(neurons), str(n_img)],
                                 capture_output=True, text=True, check=True)
            m = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"peak memory, engine training at {m['neurons']} neurons ({m['images']} images): "
                  f"{m['peak_rss_mib']:.0f} MiB (whole process: Python, numpy, numba, MNIST)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
