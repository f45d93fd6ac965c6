"""The asynchronous fused model (tag "fused-async") equals the engine bit for bit: over
several ``run`` calls, in reset and rest modes, with a registered Python scaling rule; what
it sends on its host ports (``results_out``, ``state_out``) equals its Vars; and the
``lava-async`` pass that reads those ports equals the engine's pass, training and frozen.
(Lava's asynchronous runtime supports ``Var.get`` between runs, not ``Var.set``.)"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.proc.io.sink import RingBuffer as Sink

from lava_wta.backends import get_backend
from lava_wta.engine import EngineNetwork, present_engine
from lava_wta.presentation import Checkpoint
from lava_wta.processes import WTANetwork
from lava_wta.processes.network import (
    RESULT_FIELDS,
    RESULT_HEADER,
    pack_results,
    pack_state,
    state_size,
    unpack_results,
    unpack_state,
)
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_port_messages_round_trip():
    rng = np.random.default_rng(0)
    n, n_in, rows = 3, 5, 4
    w = rng.random((n, n_in))
    dirty, flags = np.array([True, False, True]), np.array([0, 1])
    msg = pack_state(np.empty(state_size(n, n_in)), np.ascontiguousarray(w.T), np.arange(3.0), dirty, flags)
    got = unpack_state(msg, n, n_in)
    np.testing.assert_array_equal(got["weights"], w)
    np.testing.assert_array_equal(got["theta"], np.arange(3.0))
    np.testing.assert_array_equal(got["dirty"], dirty)
    np.testing.assert_array_equal(got["flags"], flags)
    buf = rng.integers(0, 9, (rows, n))
    position, back = unpack_results(pack_results(np.empty(RESULT_HEADER + rows * n, np.int64),
                                                 (7, 1, 9, 2, 0), buf), n)
    assert position == dict(zip(RESULT_FIELDS, (7, 1, 9, 2, 0)))
    np.testing.assert_array_equal(back, buf)


def test_async_model_sends_on_its_ports_what_its_vars_hold(digits):
    """results_out after every run, state_out only after a run that ends at or past the
    image index received on control_in."""
    cfg = _cfg()
    images = digits.train_images[:20]
    state = WTAState.initial(cfg)
    n, n_in = cfg.network.n_neurons, cfg.network.n_inputs
    period = cfg.time.period_steps
    net = WTANetwork(config=cfg, images=images, weights=state.weights, theta=state.theta,
                     learning=True, input_seed=3, buffer_images=8)
    for port in (net.results_out, net.state_out, net.control_in):
        port.flag_external_pipe(buffer_size=1)
    net.create_runtime(run_cfg=WTASimCfg(models={WTANetwork: "fused-async"}))
    try:
        for steps, state_from in ((period * 3 + 5, 99), (period * 4, 2)):
            net.control_in.external_pipe_csp_send_port.send(np.array([state_from]))
            net.run(condition=RunSteps(num_steps=steps))
            position, buf = unpack_results(net.results_out.external_pipe_csp_recv_port.recv(), n)
            assert position == {k: int(getattr(net, k).get()[0]) for k in RESULT_FIELDS}
            np.testing.assert_array_equal(buf, net.count_buffer.get())
            assert (position["image_index"] >= state_from) == (state_from == 2)
        got = unpack_state(net.state_out.external_pipe_csp_recv_port.recv(), n, n_in)
        assert not net.state_out.external_pipe_csp_recv_port.probe()    # sent once only
        np.testing.assert_array_equal(got["weights"], net.weights.get())
        np.testing.assert_array_equal(got["theta"], net.theta.get())
        np.testing.assert_array_equal(got["dirty"], net.scale_dirty.get().astype(bool))
        np.testing.assert_array_equal(got["flags"], net.scale_flags.get())
    finally:
        net.stop()
    eng = EngineNetwork(cfg, state, learning=True, input_seed=3)
    eng.run_steps(images, np.zeros((len(images), n), np.int64), period * 7 + 5)
    np.testing.assert_array_equal(got["weights"], eng.state().weights)
    assert position["image_index"] == eng.image >= 3


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["reset", "rest", "current"])
def test_lava_async_pass_equals_the_engine_pass(digits, tmp_path, mode):
    """The backend (results through ports, the state at checkpoints and at the end)
    against the engine: training with checkpoints, then frozen (the engine's frozen pass
    in reset mode runs images in parallel; the model runs them one after another)."""
    over = {"rest": {"time.between_images": "rest", "time.rest_ms": 10.0},
            "current": {"network.neuron_model": "current", "input.min_spikes": 40}}.get(mode, {})
    cfg = _cfg(**{"input.min_spikes": 12, **over})        # retries and capped images
    images = digits.train_images[:14]
    state = WTAState.initial(cfg)
    lava = get_backend("lava-async").present
    a = present_engine(cfg, images, state, learning=True, input_seed=6,
                       checkpoint=Checkpoint(tmp_path / "e.npz", every_images=5))
    b = lava(cfg, images, state, learning=True, input_seed=6, chunk_images=3,
             checkpoint=Checkpoint(tmp_path / "l.npz", every_images=5))
    assert (tmp_path / "l.npz").is_file() and a.retries > 0 and a.capped > 0
    np.testing.assert_array_equal(b.state.weights, a.state.weights)
    np.testing.assert_array_equal(b.state.theta, a.state.theta)
    np.testing.assert_array_equal(b.counts, a.counts)
    assert (b.presentations, b.retries, b.capped) == (a.presentations, a.retries, a.capped)
    test = digits.test_images[:12]
    fa = present_engine(cfg, test, a.state, learning=False, input_seed=2)
    fb = lava(cfg, test, a.state, learning=False, input_seed=2, chunk_images=5)
    np.testing.assert_array_equal(fb.counts, fa.counts)
    assert fa.retries > 0
    assert (fb.presentations, fb.retries, fb.capped) == (fa.presentations, fa.retries, fa.capped)
    np.testing.assert_array_equal(fb.state.weights, a.state.weights)
