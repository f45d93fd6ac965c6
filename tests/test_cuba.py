"""The current-based (CUBA) neurons, run in Lava with scripted input, against closed forms."""
import math

import numpy as np
import pytest
from lava_harness import attach_input, run_for

from lava_wta import WTAConfig
from lava_wta.config import ConfigError, CubaExcitatoryConfig, CubaInhibitoryConfig
from lava_wta.model.neurons import cuba_decays
from lava_wta.processes import AdaptiveCurrentLIF, CurrentLIF

DT = 0.5


def test_current_decays_exactly_and_v_integrates_it_in_closed_form():
    p = CubaInhibitoryConfig(v_thresh_mv=100.0)           # no spikes
    steps = 40
    exc = np.zeros((2, steps))
    exc[0, 0] = 2.0                                       # neuron 0: one excitatory kick in step 1
    inh = np.zeros((2, steps))
    inh[1, 0] = 1.0                                       # neuron 1: one inhibitory kick
    neuron = CurrentLIF(shape=(2,), params=p, exc_current_mv=3.0, inh_current_mv=5.0, dt_ms=DT)
    sink = attach_input(neuron, exc, inh)
    v, i_syn, spikes = run_for(neuron, steps, neuron.v, neuron.i_syn, sink.data)
    assert spikes.sum() == 0
    a = math.exp(-DT / p.tau_syn_ms)
    b = math.exp(-DT / p.tau_m_ms)
    i0 = np.array([6.0, -5.0])                            # R*i right after the kick (mV)
    # u decays exactly: i_k = i0 a^(k-1) after k steps
    np.testing.assert_allclose(i_syn, i0 * a ** (steps - 1), rtol=1e-12)
    # v: x_k = b x_{k-1} + (1 - b) i0 a^(k-1)  =>  x_n = (1-b) i0 (b^n - a^n) / (b - a)
    x = (1 - b) * i0 * (b ** steps - a ** steps) / (b - a)
    np.testing.assert_allclose(v - p.v_rest_mv, x, rtol=1e-10)


def test_free_decay_of_v_towards_rest():
    p = CubaExcitatoryConfig()
    neuron = CurrentLIF(shape=(1,), params=p, dt_ms=DT, v=-58.0)
    attach_input(neuron, np.zeros((1, 40)))
    (v,) = run_for(neuron, 40, neuron.v)
    assert v[0] == pytest.approx(p.v_rest_mv + 7.0 * math.exp(-40 * DT / p.tau_m_ms), rel=1e-12)


@pytest.mark.parametrize("t_ref_ms", [0.0, 2.0])
def test_threshold_reset_and_refractory_period(t_ref_ms):
    p = CubaInhibitoryConfig(t_ref_ms=t_ref_ms, v_reset_mv=-70.0)
    steps = 50
    neuron = CurrentLIF(shape=(1,), params=p, exc_current_mv=1.0, dt_ms=DT)
    sink = attach_input(neuron, np.full((1, steps), 1e4))       # far above threshold every step
    spikes, v = run_for(neuron, steps, sink.data, neuron.v)
    times = np.flatnonzero(spikes[0])
    r = max(int(round(t_ref_ms / DT)), 1)
    assert times[0] == 0
    assert (np.diff(times) == r).all()
    if times[-1] == steps - 1:
        assert v[0] == p.v_reset_mv


def test_spike_exactly_when_v_crosses_threshold():
    p = CubaInhibitoryConfig()
    du, dv = cuba_decays(DT, p.tau_syn_ms, p.tau_m_ms)
    steps = 30
    drive = np.full((1, steps), 0.8)
    neuron = CurrentLIF(shape=(1,), params=p, exc_current_mv=25.0, dt_ms=DT)
    sink = attach_input(neuron, drive)
    (spikes,) = run_for(neuron, steps, sink.data)
    # the same recursion by hand
    i, v, expect = 0.0, p.v_rest_mv, []
    for _ in range(steps):
        i = i * (1 - du) + 20.0
        v = p.v_rest_mv + (v - p.v_rest_mv) * (1 - dv) + dv * i
        expect.append(v > p.v_thresh_mv)
        if expect[-1]:
            v = p.v_reset_mv
    assert any(expect)
    np.testing.assert_array_equal(spikes[0].astype(bool), expect)


def test_theta_grows_per_spike_while_learning_and_is_frozen_otherwise():
    p = CubaExcitatoryConfig(tau_theta_ms=50.0, theta_plus_mv=0.3)
    steps = 80
    learner = AdaptiveCurrentLIF(shape=(1,), params=p, dt_ms=DT, learning=True)
    sink = attach_input(learner, np.full((1, steps), 50.0))
    spikes, theta = run_for(learner, steps, sink.data, learner.theta)
    t_k = np.flatnonzero(spikes[0]) + 1
    d = math.exp(-DT / p.tau_theta_ms)
    expected = p.theta_init_mv * d ** steps + p.theta_plus_mv * sum(d ** (steps - t) for t in t_k)
    assert len(t_k) > 3
    assert theta[0] == pytest.approx(expected, rel=1e-12)

    frozen = AdaptiveCurrentLIF(shape=(1,), params=p, dt_ms=DT, learning=False, theta=23.5)
    sink = attach_input(frozen, np.full((1, steps), 50.0))
    spikes, theta = run_for(frozen, steps, sink.data, frozen.theta)
    assert spikes.sum() > 3 and theta[0] == 23.5


def test_adaptive_threshold_is_v_thresh_plus_theta_minus_offset():
    p = CubaExcitatoryConfig()
    # constant drive holding R*i at 30 mV: v -> -35 mV; thresholds -52 + theta - 20
    du, _ = cuba_decays(DT, p.tau_syn_ms, p.tau_m_ms)
    neuron = AdaptiveCurrentLIF(shape=(2,), params=p, dt_ms=DT, theta=np.array([40.0, 30.0]),
                                learning=False)
    drive = np.full((2, 2000), 30.0 * du / p.input_current_mv)
    sink = attach_input(neuron, drive)
    (spikes,) = run_for(neuron, 2000, sink.data)
    assert spikes[0].sum() == 0 and spikes[1].sum() > 0     # -32 mV unreachable, -42 mV reached


def test_reset_between_presentations_returns_state_to_rest():
    p = CubaInhibitoryConfig()
    neuron = CurrentLIF(shape=(1,), params=p, dt_ms=DT, period_steps=10, reset_between=True)
    exc = np.zeros((1, 10))
    exc[0, :9] = 0.1
    attach_input(neuron, exc)
    v, i_syn = run_for(neuron, 10, neuron.v, neuron.i_syn)
    assert (v[0], i_syn[0]) == (p.v_rest_mv, 0.0)


def test_config_selects_and_validates_the_neuron_model():
    cfg = WTAConfig().with_overrides({"network.neuron_model": "current"})
    assert cfg.exc_params is cfg.cuba_exc and cfg.inh_params is cfg.cuba_inh
    assert WTAConfig.from_dict(cfg.to_dict()) == cfg
    default = WTAConfig()
    assert default.exc_params is default.exc
    with pytest.raises(ConfigError, match="network.neuron_model"):
        WTAConfig().with_overrides({"network.neuron_model": "hodgkin-huxley"})
    with pytest.raises(ConfigError, match="cuba_exc.tau_syn_ms"):
        WTAConfig().with_overrides({"cuba_exc.tau_syn_ms": -1.0})
    with pytest.raises(ConfigError, match="cuba_inh.t_ref_ms"):
        WTAConfig().with_overrides({"network.neuron_model": "current", "cuba_inh.t_ref_ms": 0.3})


def test_network_builds_the_current_based_populations():
    from lava_wta.simulation import present_lava
    from lava_wta.state import WTAState

    cfg = WTAConfig().with_overrides({"network.n_inputs": 16, "network.n_neurons": 4,
                                      "network.neuron_model": "current",
                                      "time.presentation_ms": 20.0, "input.min_spikes": 0,
                                      "input.pixel_rate_hz": 3.0})
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 16)).astype(float)
    state = WTAState.initial(cfg)
    state.weights[:] = 1.0                                  # strong input: someone fires
    res = present_lava(cfg, images, state, learning=True, input_seed=1)
    assert res.counts.sum() > 0
    fired = res.counts.sum(axis=0) > 0
    assert (res.state.theta[fired] > cfg.cuba_exc.theta_init_mv - 1e-3).all()
