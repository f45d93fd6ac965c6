"""Loihi 2 fixed point: quantisation bounds and the bit-accurate integer update."""

import nir
import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source
from lava.utils.weightutils import SignMode

from lava_wta import WTAConfig
from lava_wta.config import LoihiConfig
from lava_wta.loihi import build_fixed, quantize
from lava_wta.nir import export_nir
from lava_wta.nir.importer import plan_nir
from lava_wta.run_config import WTASimCfg
from lava_wta.state import WTAState


@pytest.fixture
def exported():
    cfg = WTAConfig().with_overrides({
        "network.n_inputs": 20, "network.n_neurons": 6, "network.neuron_model": "current"})
    rng = np.random.default_rng(0)
    state = WTAState.initial(cfg)
    state.weights = rng.uniform(0, 1, state.weights.shape) ** 3      # many small weights
    state.theta = state.theta + rng.uniform(0, 10, 6)
    return cfg, export_nir(state, cfg)


def test_quantisation_error_bounds(exported):
    cfg, graph = exported
    plan = plan_nir(graph)
    fixed = quantize(plan, cfg.loihi)
    shift = cfg.loihi.threshold_shift
    unity = 2 ** cfg.loihi.decay_bits
    assert {c.sign_mode for c in fixed.connections} == {SignMode.EXCITATORY, SignMode.INHIBITORY}
    for c in fixed.connections:
        q = fixed.neurons[c.dst].scale
        assert np.abs(c.weights).max() <= 2 ** cfg.loihi.weight_bits - 1
        assert np.abs(c.weights).max() >= 2 ** (cfg.loihi.weight_bits - 1), "the exponent uses all 8 bits"
        # one sign per connection
        assert (c.weights >= 0).all() if c.sign_mode == SignMode.EXCITATORY else (c.weights <= 0).all()
        err = np.abs(c.effective(q, shift) - c.float_weights)
        assert err.max() <= 0.5 * 2.0 ** (c.weight_exp + shift) / q * (1 + 1e-12)
        assert err.max() <= np.abs(c.float_weights).max() / (2 ** cfg.loihi.weight_bits - 1)
    for name, fn in fixed.neurons.items():
        p = plan.neurons[name]
        assert 0 <= fn.du < unity and 0 <= fn.dv < unity
        assert abs((fn.du + 1) / unity - p.du) <= 0.5 / unity      # Loihi adds 1 to du
        assert abs(fn.dv / unity - p.dv) <= 0.5 / unity
        assert fn.vth.max() < 2 ** cfg.loihi.threshold_bits
        np.testing.assert_allclose(fn.vth * 2.0 ** shift / fn.scale, p.vth, atol=0.5 * 2 ** shift / fn.scale)
        # v has room for +-v_range_mv, u for u_range_spikes maximal input spikes (24 bits)
        assert cfg.loihi.v_range_mv * fn.scale < 2 ** (cfg.loihi.state_bits - 1)
        strongest = max(np.abs(w).max() for _, dst, w in plan.connections if dst == name)
        assert cfg.loihi.u_range_spikes * strongest * fn.scale < 2 ** (cfg.loihi.state_bits - 1)
    assert all(cfg.loihi.weight_exp_min <= c.weight_exp <= cfg.loihi.weight_exp_max
               for c in fixed.connections)


def test_mixed_sign_weights_are_split_into_excitatory_and_inhibitory_connections():
    n = 2
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([2])),
        "w": nir.Linear(weight=np.array([[1.0, -0.5], [0.25, 2.0]])),
        "lif": nir.CubaLIF(tau_syn=np.full(n, 1e-3), tau_mem=np.full(n, 1e-2), r=np.ones(n),
                           v_leak=np.zeros(n), v_threshold=np.ones(n), v_reset=np.zeros(n)),
        "out": nir.Output(output_type=np.array([n]))},
        edges=[("in", "w"), ("w", "lif"), ("lif", "out")], metadata={"dt_s": 1e-3})
    fixed = quantize(plan_nir(graph), LoihiConfig())
    modes = {c.sign_mode: c for c in fixed.connections}
    assert set(modes) == {SignMode.EXCITATORY, SignMode.INHIBITORY}
    assert (modes[SignMode.INHIBITORY].weights[:, 0] == 0).all()
    assert modes[SignMode.INHIBITORY].weights[0, 1] < 0


def _loihi_by_hand(raster, fixed, name="lif"):
    """Loihi's integer LIF update for one population fed by integer Dense connections."""
    fn = fixed.neurons[name]
    n = fn.vth.size
    u = np.zeros(n, np.int64)
    v = np.zeros(n, np.int64)
    spikes = []
    lim = 2 ** 23

    def decay(x, d):
        prod = x * (4096 - d)
        return np.sign(prod) * (np.abs(prod) >> 12)

    for t in range(raster.shape[1]):
        a = np.zeros(n, np.int64)
        if t >= 1:                                    # one step through the Dense
            for c in fixed.connections:
                acc = c.weights.astype(np.int64) @ raster[:, t - 1].astype(np.int64)
                a += acc << c.weight_exp if c.weight_exp >= 0 else acc >> -c.weight_exp
        u = decay(u, fn.du + 1) + (a << 6)
        u = np.where(u > lim, u - 2 * lim, u)
        u = np.where(u <= -lim, u + 2 * lim, u)
        v = np.clip(decay(v, fn.dv) + u, -lim + 1, lim - 1)
        s = v > (fn.vth << 6)
        v = np.where(s, fn.v_reset << 6, v)
        spikes.append(s)
    return u, v, np.array(spikes).T


def test_fixed_point_run_matches_loihi_integer_update_by_hand():
    n = 3
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([4])),
        "w": nir.Linear(weight=np.array([[3.0, 1.0, 0.0, 2.0], [0.5, 2.5, 1.0, 0.0],
                                         [-1.0, 2.0, 3.0, 1.0]])),
        "lif": nir.CubaLIF(tau_syn=np.full(n, 2e-3), tau_mem=np.full(n, 20e-3), r=np.ones(n),
                           v_leak=np.zeros(n), v_threshold=np.array([0.4, 0.6, 0.5]),
                           v_reset=np.zeros(n)),
        "out": nir.Output(output_type=np.array([n]))},
        edges=[("in", "w"), ("w", "lif"), ("lif", "out")], metadata={"dt_s": 1e-3})
    fixed = quantize(plan_nir(graph), LoihiConfig())
    net = build_fixed(fixed)
    steps = 25
    rng = np.random.default_rng(7)
    raster = (rng.random((4, steps)) < 0.5).astype(int)
    src = Source(data=raster)
    net.connect_input("in", src.s_out)
    sink = Sink(shape=(n,), buffer=steps)
    net.outputs["out"].connect(sink.a_in)
    lif = net.neurons["lif"]
    lif.run(condition=RunSteps(num_steps=steps), run_cfg=WTASimCfg(select_tag="fixed_pt"))
    try:
        u, v, spikes = np.array(lif.u.get()), np.array(lif.v.get()), np.array(sink.data.get())
    finally:
        lif.stop()
    u_ref, v_ref, s_ref = _loihi_by_hand(raster, fixed)
    assert s_ref.sum() > 0 and (~s_ref).sum() > 0
    np.testing.assert_array_equal(spikes.astype(bool), s_ref)
    np.testing.assert_array_equal(u, u_ref)
    np.testing.assert_array_equal(v, v_ref)
    # and the integers stand for the float network (NIR's Euler step: dv = dt / tau_mem)
    assert abs(fixed.neurons["lif"].dv / 4096 - 1 / 20) <= 0.5 / 4096


def test_fixed_point_wta_network_runs_with_resets(exported):
    from lava_wta.nir.present import present_imported

    cfg, graph = exported
    cfg = cfg.with_overrides({"time.presentation_ms": 20.0})
    fixed = quantize(plan_nir(graph), cfg.loihi)
    net = build_fixed(fixed, period_steps=cfg.time.period_steps, reset_between=True)
    images = np.random.default_rng(2).integers(0, 256, size=(4, 20)).astype(float)
    res = present_imported(cfg, images, net, input_seed=3, select_tag="fixed_pt")
    assert res.counts.shape == (4, 6) and res.counts.sum() > 0
