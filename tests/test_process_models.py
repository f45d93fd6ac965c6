"""Each lava-wta ProcessModel, run in Lava with scripted input, against closed forms."""
import math

import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source
from lava_harness import attach_input, run_for

from lava_wta.config import ExcitatoryConfig, InhibitoryConfig, InputConfig, ScalingConfig, STDPConfig
from lava_wta.processes import AdaptiveConductanceLIF, ConductanceLIF, PlasticDense, PoissonImageInput
from lava_wta.run_config import WTASimCfg

DT = 0.5


def test_subthreshold_v_and_conductances_follow_closed_form():
    p = InhibitoryConfig()
    steps = 30
    exc = np.zeros((2, steps))
    exc[0, 0] = 0.05          # neuron 0: one small excitatory kick in step 1
    inh = np.zeros((2, steps))
    inh[1, 0] = 0.4           # neuron 1: one inhibitory kick
    neuron = ConductanceLIF(shape=(2,), params=p, dt_ms=DT, v=np.array([-60.0, -50.0]))
    sink = attach_input(neuron, exc, inh)
    v, ge, gi, spikes = run_for(neuron, steps, neuron.v, neuron.g_exc, neuron.g_inh, sink.data)
    assert spikes.sum() == 0
    # independent re-derivation: exponential Euler with conductances held over each step
    ref_v = np.array([-60.0, -50.0])
    g_e, g_i = np.array([0.05, 0.0]), np.array([0.0, 0.4])
    for _ in range(steps):
        tot = 1 + g_e + g_i
        vinf = (p.v_rest_mv + g_e * p.e_exc_mv + g_i * p.e_inh_mv) / tot
        ref_v = vinf + (ref_v - vinf) * np.exp(-DT * tot / p.tau_m_ms)
        g_e, g_i = g_e * math.exp(-DT / p.tau_ge_ms), g_i * math.exp(-DT / p.tau_gi_ms)
    np.testing.assert_allclose(v, ref_v, rtol=1e-12)
    np.testing.assert_allclose(ge, [0.05 * math.exp(-steps * DT / p.tau_ge_ms), 0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(gi, [0, 0.4 * math.exp(-steps * DT / p.tau_gi_ms)], rtol=1e-12, atol=0)


def test_free_decay_towards_rest():
    p = ExcitatoryConfig()
    neuron = ConductanceLIF(shape=(1,), params=p, dt_ms=DT, v=-58.0)
    attach_input(neuron, np.zeros((1, 40)))
    (v,) = run_for(neuron, 40, neuron.v)
    assert v[0] == pytest.approx(p.v_rest_mv + 7.0 * math.exp(-40 * DT / p.tau_m_ms), rel=1e-13)


@pytest.mark.parametrize("t_ref_ms", [2.0, 5.0])
def test_threshold_reset_and_refractory_period(t_ref_ms):
    p = InhibitoryConfig(t_ref_ms=t_ref_ms)
    steps = 60
    neuron = ConductanceLIF(shape=(1,), params=p, dt_ms=DT)
    sink = attach_input(neuron, np.full((1, steps), 50.0))      # drive far above threshold
    spikes, v, refr = run_for(neuron, steps, sink.data, neuron.v, neuron.refractory_steps)
    times = np.flatnonzero(spikes[0])
    r = int(round(t_ref_ms / DT))
    assert times[0] == 0, "a strong input must make the neuron fire in its first step"
    assert (np.diff(times) == r).all(), f"fires again exactly t_ref = {r} steps after each spike"
    last = times[-1]
    if last == steps - 1:
        assert v[0] == p.v_reset_mv and refr[0] == r - 1
    else:
        assert refr[0] == max(r - 1 - (steps - 1 - last), 0)


def test_theta_grows_per_spike_while_learning_and_is_frozen_otherwise():
    p = ExcitatoryConfig(tau_theta_ms=50.0)   # short, so the decay is visible
    steps = 80
    learner = AdaptiveConductanceLIF(shape=(1,), params=p, dt_ms=DT, learning=True)
    sink = attach_input(learner, np.full((1, steps), 50.0))
    spikes, theta = run_for(learner, steps, sink.data, learner.theta)
    t_k = np.flatnonzero(spikes[0]) + 1                    # 1-based steps of spikes
    d = math.exp(-DT / p.tau_theta_ms)
    expected = p.theta_init_mv * d ** steps + p.theta_plus_mv * sum(d ** (steps - t) for t in t_k)
    assert len(t_k) > 3
    assert theta[0] == pytest.approx(expected, rel=1e-12)

    frozen = AdaptiveConductanceLIF(shape=(1,), params=p, dt_ms=DT, learning=False, theta=23.5)
    sink = attach_input(frozen, np.full((1, steps), 50.0))
    spikes, theta = run_for(frozen, steps, sink.data, frozen.theta)
    assert spikes.sum() > 3 and theta[0] == 23.5


def test_adaptive_threshold_blocks_spikes_below_v_thresh_plus_theta():
    p = ExcitatoryConfig()
    # theta = 40 mV puts the threshold at -52 + 40 - 20 = -32 mV; v_inf with g_e = 0.6 is -40.6 mV
    neuron = AdaptiveConductanceLIF(shape=(2,), params=p, dt_ms=DT, theta=np.array([40.0, 20.0]),
                                    learning=False)
    exc = np.zeros((2, 400))
    exc[:, :] = 0.6 * (1 - math.exp(-DT / p.tau_ge_ms))   # holds g_e near 0.6
    sink = attach_input(neuron, exc)
    (spikes,) = run_for(neuron, 400, sink.data)
    assert spikes[0].sum() == 0 and spikes[1].sum() > 0


def test_reset_between_presentations_returns_state_to_rest():
    p = InhibitoryConfig()
    neuron = ConductanceLIF(shape=(1,), params=p, dt_ms=DT, period_steps=10, reset_between=True)
    exc = np.zeros((1, 10))
    exc[0, :9] = 0.1
    attach_input(neuron, exc)
    v, ge, refr = run_for(neuron, 10, neuron.v, neuron.g_exc, neuron.refractory_steps)
    assert (v[0], ge[0], refr[0]) == (p.v_rest_mv, 0.0, 0)


@pytest.mark.parametrize("learning", [True, False])
def test_reset_decays_theta_over_the_rest_it_stands_for(learning):
    """Each reset stands for ``rest_ms`` of rest: while learning, θ decays over the
    presentation's steps and then by ``exp(-rest_ms / tau_theta)`` at each reset."""
    p = ExcitatoryConfig(tau_theta_ms=400.0)   # short, so the decay is visible
    period, periods, rest_ms = 10, 3, 150.0
    neuron = AdaptiveConductanceLIF(shape=(2,), params=p, dt_ms=DT, period_steps=period,
                                    reset_between=True, learning=learning, rest_ms=rest_ms,
                                    theta=np.array([20.0, 35.0]))
    attach_input(neuron, np.zeros((2, period * periods)))
    (theta,) = run_for(neuron, period * periods, neuron.theta)
    if learning:
        per_period = math.exp(-DT / p.tau_theta_ms) ** period * math.exp(-rest_ms / p.tau_theta_ms)
        np.testing.assert_allclose(theta, np.array([20.0, 35.0]) * per_period ** periods, rtol=1e-13)
        assert theta[1] < 35.0 * math.exp(-period * periods * DT / p.tau_theta_ms) - 1.0
    else:
        np.testing.assert_array_equal(theta, [20.0, 35.0])


# ---------------------------------------------------------------------- Poisson input
def _expected_raster(seed, image, retry, steps, cfg=InputConfig()):
    from lava_wta.kernels.poisson import dense_raster

    gain = cfg.pixel_rate_hz + retry * cfg.retry_pixel_rate_hz
    return dense_raster(image[1], gain, DT, steps, seed, image[0], retry).T


def test_poisson_rates_match_pixel_over_4_hz():
    steps = 3000
    img = np.array([255] * 50 + [128] * 50 + [0] * 5, dtype=float)
    inp = PoissonImageInput(images=img[None], dt_ms=DT, presentation_steps=steps, seed=7)
    sink = Sink(shape=(img.size,), buffer=steps)
    inp.s_out.connect(sink.a_in)
    (raster,) = run_for(inp, steps, sink.data)
    for value, sl in ((255, slice(0, 50)), (128, slice(50, 100))):
        p = value / 4 * DT * 1e-3
        n = steps * 50
        observed = raster[sl].sum()
        assert abs(observed - n * p) < 4 * math.sqrt(n * p * (1 - p)), (value, observed, n * p)
    assert raster[100:].sum() == 0
    # the stream is exactly the documented one: presentation_raster keyed by (seed, image, retry)
    np.testing.assert_array_equal(raster.astype(bool), _expected_raster(7, (0, img), 0, steps))


def test_adaptive_intensity_retries_weak_presentations_with_higher_rates():
    steps, retries = 200, 3
    images = np.array([[200.0] * 30, [100.0] * 30])
    cfg = InputConfig(max_retries=retries)
    inp = PoissonImageInput(images=images, n_response=4, input=cfg, dt_ms=DT,
                            presentation_steps=steps, seed=3, buffer_images=4)
    Source(data=np.zeros((4, 1))).s_out.connect(inp.s_in_response)   # a silent network
    sink = Sink(shape=(30,), buffer=steps * 8)
    inp.s_out.connect(sink.a_in)
    raster, index, total, capped = run_for(inp, steps * 8, sink.data, inp.image_index,
                                        inp.total_retries, inp.capped)
    assert (index[0], total[0], capped[0]) == (2, 2 * retries, 2)
    for k in range(8):
        image, retry = divmod(k, retries + 1)
        block = raster[:, k * steps:(k + 1) * steps].astype(bool)
        np.testing.assert_array_equal(block, _expected_raster(3, (image, images[image]), retry, steps, cfg))


def test_strong_response_is_recorded_and_the_next_image_follows():
    steps = 50
    response = np.zeros((3, steps * 2))
    response[1, ::5] = 1          # 10 spikes of neuron 1 per presentation
    inp = PoissonImageInput(images=np.full((2, 5), 50.0), n_response=3, dt_ms=DT,
                            presentation_steps=steps, seed=0, buffer_images=4)
    Source(data=response).s_out.connect(inp.s_in_response)
    index, counts, retries = run_for(inp, steps * 2, inp.image_index, inp.count_buffer, inp.total_retries)
    assert index[0] == 2 and retries[0] == 0
    np.testing.assert_array_equal(counts[:2], [[0, 10, 0], [0, 10, 0]])


# ---------------------------------------------------------------------- plastic synapses
def test_stdp_weight_change_equals_the_rule_for_a_scripted_pairing():
    s = STDPConfig()
    steps = 12
    w0 = np.full((2, 3), 0.5)
    pre = np.zeros((3, steps))
    post = np.zeros((2, steps))
    post[1, 1] = 1      # neuron 1 fires in step 2
    pre[0, 4] = 1       # input 0 fires in step 5: depression by nu_pre * y1(3 steps after)
    post[1, 8] = 1      # neuron 1 fires in step 9: potentiation by nu_post * x_pre(4 steps) * y2(7 steps)
    syn = PlasticDense(weights=w0, stdp=s, scaling=ScalingConfig(mode="none"), dt_ms=DT)
    Source(data=pre).s_out.connect(syn.s_in)
    Source(data=post).s_out.connect(syn.s_in_bap)
    sink = Sink(shape=(2,), buffer=steps)
    syn.a_out.connect(sink.a_in)
    w, a_out = run_for(syn, steps, syn.weights, sink.data)
    d = lambda n, tau: math.exp(-n * DT / tau)  # noqa: E731
    expected = w0.copy()
    expected[1, 0] -= s.nu_pre * d(3, s.tau_post1_ms)
    expected[1, 0] += s.nu_post * d(4, s.tau_pre_ms) * d(7, s.tau_post2_ms)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)
    # the presynaptic spike of step 5 arrives one step later with the weights before learning
    np.testing.assert_allclose(a_out[:, 5], [0.5, 0.5], rtol=0, atol=0)
    assert a_out[:, [0, 1, 2, 3, 4, 6, 7]].sum() == 0


@pytest.mark.parametrize("mode, target", [("l2", 3.0), ("l1", 20.0), ("max", 0.9)])
def test_scaling_runs_inside_the_model_at_the_presentation_boundary(mode, target):
    from lava_wta.rules import row_norms

    w0 = np.random.default_rng(0).uniform(0, 0.3, size=(4, 25))
    w0[3] = 0
    syn = PlasticDense(weights=w0, scaling=ScalingConfig(mode=mode, target_norm=target), dt_ms=DT,
                       period_steps=10)
    Source(data=np.zeros((25, 1))).s_out.connect(syn.s_in)
    Source(data=np.zeros((4, 1))).s_out.connect(syn.s_in_bap)
    (w,) = run_for(syn, 10, syn.weights)
    np.testing.assert_allclose(row_norms(w[:3], mode), target, rtol=1e-12)
    assert (w[3] == 0).all()
    np.testing.assert_allclose(w[:3] / w[:3, :1], w0[:3] / w0[:3, :1], rtol=1e-12)


def test_frozen_synapses_neither_learn_nor_scale():
    w0 = np.random.default_rng(1).uniform(0, 0.3, size=(2, 6))
    syn = PlasticDense(weights=w0, dt_ms=DT, period_steps=5, learning=False)
    Source(data=np.ones((6, 1))).s_out.connect(syn.s_in)
    Source(data=np.ones((2, 1))).s_out.connect(syn.s_in_bap)
    (w,) = run_for(syn, 10, syn.weights)
    assert (w == w0).all()


def test_host_can_jump_to_another_image_between_runs_without_recompiling():
    images = np.array([[0.0] * 20, [0.0] * 20, [255.0] * 20])
    inp = PoissonImageInput(images=images, dt_ms=DT, presentation_steps=100, seed=1)
    sink = Sink(shape=(20,), buffer=200)
    inp.s_out.connect(sink.a_in)
    cfg = WTASimCfg()
    inp.run(condition=RunSteps(num_steps=100), run_cfg=cfg)
    try:
        inp.image_index.set(np.array([2]))
        inp.run(condition=RunSteps(num_steps=100), run_cfg=cfg)
        raster = sink.data.get()
    finally:
        inp.stop()
    assert raster[:, :100].sum() == 0
    np.testing.assert_array_equal(raster[:, 100:].astype(bool),
                                  _expected_raster(1, (2, images[2]), 0, 100))
