"""The asynchronous fused model (tag "fused-async") equals the engine and the synchronous
fused model bit for bit: over several ``run`` calls, in reset and rest modes, with a
registered Python scaling rule. (Lava's asynchronous runtime supports ``Var.get`` between
runs, not ``Var.set``.)"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.proc.io.sink import RingBuffer as Sink

from lava_wta.engine import EngineNetwork
from lava_wta.processes import WTANetwork
from lava_wta.run_config import WTASimCfg
from lava_wta.state import WTAState

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_engine import _cfg, digits  # noqa: E402,F401  (digits: fixture)


def _async_run(cfg, images, state, chunks, *, seed):
    """Run the async model for ``sum(chunks)`` steps in several ``run`` calls."""
    net = WTANetwork(config=cfg, images=images, weights=state.weights, theta=state.theta,
                     learning=True, input_seed=seed, buffer_images=len(images))
    run_cfg = WTASimCfg(models={WTANetwork: "fused-async"})
    try:
        for n in chunks:
            net.run(condition=RunSteps(num_steps=n), run_cfg=run_cfg)
        return {"weights": net.weights.get().copy(), "theta": net.theta.get().copy(),
                "exc_count": net.exc_spike_count.get().copy(), "inh_count": net.inh_spike_count.get().copy(),
                "counts": net.count_buffer.get().copy(), "image": int(net.image_index.get()[0]),
                "presentations": int(net.presentations.get()[0]), "retries": int(net.total_retries.get()[0])}
    finally:
        net.stop()


@pytest.mark.parametrize("mode", ["l2", "rest"])
def test_async_model_equals_the_engine_bit_for_bit(digits, mode):
    over = {"time.between_images": "rest", "time.rest_ms": 10.0} if mode == "rest" else {}
    cfg = _cfg(**over)
    images = digits.train_images[:40]
    state = WTAState.initial(cfg)
    period = cfg.time.period_steps
    chunks = [period * 7 + 13, 1, period * 10 + 5]          # ends mid-presentation, mid-chunk
    steps = sum(chunks)

    eng = EngineNetwork(cfg, state, learning=True, input_seed=21)
    counts = np.zeros((len(images), cfg.network.n_neurons), np.int64)
    exc, inh = eng.record(images, counts, steps)
    assert eng.image >= 12 and eng.retries > 0

    got = _async_run(cfg, images, state, chunks, seed=21)
    np.testing.assert_array_equal(got["weights"], eng.state().weights)
    np.testing.assert_array_equal(got["theta"], eng.state().theta)
    np.testing.assert_array_equal(got["exc_count"], exc.sum(axis=0))
    np.testing.assert_array_equal(got["inh_count"], inh.sum(axis=0))
    np.testing.assert_array_equal(got["counts"], counts)
    assert (got["image"], got["presentations"], got["retries"]) == (eng.image, eng.presentations, eng.retries)
    assert not np.allclose(got["weights"], state.weights)


def test_async_model_runs_registered_python_scaling_rules_like_the_engine(digits):
    from lava_wta.rules import register_scaling_rule, scaling_rule_names

    if "l3-async-test" not in scaling_rule_names():
        register_scaling_rule("l3-async-test")(lambda w: (w ** 3).sum(axis=1) ** (1 / 3))
    cfg = _cfg(**{"scaling.mode": "l3-async-test", "scaling.target_norm": 1.5})
    images = digits.train_images[:30]
    state = WTAState.initial(cfg)
    period = cfg.time.period_steps
    # the engine is the reference: the rule sees the weights in the same layout in both
    # (the transposed view of the kernels' C-contiguous (n_in, n) array)
    eng = EngineNetwork(cfg, state, learning=True, input_seed=4)
    counts = np.zeros((len(images), cfg.network.n_neurons), np.int64)
    eng.run_steps(images, counts, period * 7 + 7)
    got = _async_run(cfg, images, state, [period * 3, period * 4 + 7], seed=4)
    np.testing.assert_array_equal(got["weights"], eng.state().weights)
    np.testing.assert_array_equal(got["theta"], eng.state().theta)
    np.testing.assert_array_equal(got["counts"], counts)
    assert got["image"] == eng.image >= 4
    # the rule ran at the last boundary (7 steps of STDP since then move the norms a little)
    np.testing.assert_allclose((got["weights"] ** 3).sum(axis=1) ** (1 / 3), 1.5, rtol=0.05)
    assert not np.allclose(got["weights"], state.weights)


def test_async_model_sends_every_step_when_its_output_is_connected(digits):
    cfg = _cfg()
    images = digits.train_images[:10]
    state = WTAState.initial(cfg)
    steps = cfg.time.period_steps * 4 + 9
    eng = EngineNetwork(cfg, state, learning=True, input_seed=8)
    exc, _ = eng.record(images, np.zeros((len(images), cfg.network.n_neurons), np.int64), steps)
    assert exc.any()
    net = WTANetwork(config=cfg, images=images, weights=state.weights, theta=state.theta,
                     learning=True, input_seed=8, buffer_images=len(images))
    sink = Sink(shape=(cfg.network.n_neurons,), buffer=steps)
    net.s_out.connect(sink.a_in)
    try:
        net.run(condition=RunSteps(num_steps=steps), run_cfg=WTASimCfg(models={WTANetwork: "fused-async"}))
        raster = np.array(sink.data.get()).T.astype(bool)
        weights = net.weights.get().copy()
    finally:
        net.stop()
    np.testing.assert_array_equal(raster, exc)
    np.testing.assert_array_equal(weights, eng.state().weights)
