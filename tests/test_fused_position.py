"""The synchronous fused model reads its position Vars at every step: a host ``set`` of
``image_index`` / ``retry`` between runs moves the network exactly as moving the engine's
counters does (the bookkeeping runs inside the compiled ``step_with_vars``). The jump sets
a non-zero retry and a new presentation count too, so each of the three reads matters."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps

from lava_wta.engine import EngineNetwork
from lava_wta.kernels import network as K
from lava_wta.processes import WTANetwork
from lava_wta.run_config import WTASimCfg
from lava_wta.state import WTAState

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_engine import _cfg, digits  # noqa: E402,F401  (digits: fixture)


@pytest.mark.slow
def test_fused_model_follows_a_host_set_of_its_position(digits):
    cfg = _cfg()
    images = digits.train_images[:12]
    state = WTAState.initial(cfg)
    period = cfg.time.period_steps
    jump_to, retry, presented, seed = 7, 1, 10, 13

    eng = EngineNetwork(cfg, state, learning=True, input_seed=seed)
    counts = np.zeros((len(images), cfg.network.n_neurons), np.int64)
    eng.run_steps(images, counts, 2 * period)
    C = eng.S.C
    C[K.C_IMAGE], C[K.C_RETRY], C[K.C_PRESENTATIONS], C[K.C_PERIODS] = jump_to, retry, presented, presented
    exc, inh = eng.record(images, counts, 3 * period)

    net = WTANetwork(config=cfg, images=images, weights=state.weights, theta=state.theta,
                     learning=True, input_seed=seed, buffer_images=len(images))
    run_cfg = WTASimCfg(models={WTANetwork: "fused"})
    try:
        net.run(condition=RunSteps(num_steps=2 * period), run_cfg=run_cfg)
        exc_before = net.exc_spike_count.get().copy()
        inh_before = net.inh_spike_count.get().copy()
        net.image_index.set(np.array([jump_to]))
        net.retry.set(np.array([retry]))
        net.presentations.set(np.array([presented]))
        net.run(condition=RunSteps(num_steps=3 * period), run_cfg=run_cfg)
        got = {"weights": net.weights.get().copy(), "theta": net.theta.get().copy(),
               "counts": net.count_buffer.get().copy(), "image": int(net.image_index.get()[0]),
               "exc": net.exc_spike_count.get().copy() - exc_before,
               "inh": net.inh_spike_count.get().copy() - inh_before,
               "presentations": int(net.presentations.get()[0])}
    finally:
        net.stop()

    assert got["image"] == eng.image > jump_to
    assert got["presentations"] == eng.presentations == presented + 3
    np.testing.assert_array_equal(got["weights"], eng.state().weights)
    np.testing.assert_array_equal(got["theta"], eng.state().theta)
    np.testing.assert_array_equal(got["counts"], counts)
    np.testing.assert_array_equal(got["exc"], exc.sum(axis=0))
    np.testing.assert_array_equal(got["inh"], inh.sum(axis=0))
    assert inh.any()
    assert counts[jump_to].sum() > 0 and not counts[2:jump_to].any()   # images 2..6 skipped
