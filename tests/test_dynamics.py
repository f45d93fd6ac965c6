"""The pure equations against closed forms."""
import math

import numpy as np

from lava_wta import dynamics
from lava_wta.config import ExcitatoryConfig

E = ExcitatoryConfig()
KW = dict(tau_m_ms=E.tau_m_ms, v_rest_mv=E.v_rest_mv, e_exc_mv=E.e_exc_mv, e_inh_mv=E.e_inh_mv,
          tau_ge_ms=E.tau_ge_ms, tau_gi_ms=E.tau_gi_ms)


def test_free_decay_of_v_is_exact():
    v = np.array([-40.0, -90.0])
    z = np.zeros(2)
    none = np.zeros(2, bool)
    for _ in range(37):
        dynamics.conductance_lif_integrate(v, z.copy(), z.copy(), none, dt_ms=0.5, **KW)
    expected = E.v_rest_mv + (np.array([-40.0, -90.0]) - E.v_rest_mv) * math.exp(-37 * 0.5 / E.tau_m_ms)
    np.testing.assert_allclose(v, expected, rtol=1e-13)


def test_one_step_with_conductances_matches_closed_form():
    v, ge, gi = np.array([-60.0]), np.array([0.7]), np.array([0.3])
    dynamics.conductance_lif_integrate(v, ge, gi, np.zeros(1, bool), dt_ms=0.5, **KW)
    total = 1 + 0.7 + 0.3
    v_inf = (E.v_rest_mv + 0.7 * E.e_exc_mv + 0.3 * E.e_inh_mv) / total
    assert v[0] == v_inf + (-60.0 - v_inf) * math.exp(-0.5 * total / E.tau_m_ms)
    np.testing.assert_allclose(ge, 0.7 * math.exp(-0.5 / E.tau_ge_ms), rtol=1e-15)
    np.testing.assert_allclose(gi, 0.3 * math.exp(-0.5 / E.tau_gi_ms), rtol=1e-15)


def test_refractory_neurons_hold_v_but_conductances_decay():
    v, ge = np.array([-65.0, -65.0]), np.array([5.0, 5.0])
    dynamics.conductance_lif_integrate(v, ge, np.zeros(2), np.array([True, False]), dt_ms=0.5, **KW)
    assert v[0] == -65.0 and v[1] > -65.0
    np.testing.assert_allclose(ge, 5.0 * math.exp(-0.5), rtol=1e-15)


def test_exponential_euler_is_stable_under_huge_inhibition():
    # Forward Euler explodes here (MODEL.md); exponential Euler stays between the reversal potentials.
    v = np.array([-52.0])
    dynamics.conductance_lif_integrate(v, np.zeros(1), np.array([400.0]), np.zeros(1, bool), dt_ms=0.5, **KW)
    assert E.e_inh_mv <= v[0] <= E.v_rest_mv


def _additive(helper):
    from lava_wta.model.key import bind_key, stdp_key

    return bind_key(helper, stdp_key("additive"))


def test_stdp_functions_follow_the_rule():
    from lava_wta.model.plasticity import StdpParams, depress_inputs, potentiate_neurons

    w = np.full((2, 3), 0.5)
    x, y1, y2 = np.array([0.0, 1.0, 0.0]), np.array([0.2, 0.0]), np.array([0.4, 0.1])
    _additive(depress_inputs)(w, y1, np.array([1]), StdpParams(1e-4, 1e-2, 1.0))
    assert w[0, 1] == 0.5 - 1e-4 * 0.2 and w[1, 1] == 0.5
    _additive(potentiate_neurons)(w, x, y2, np.array([1]), StdpParams(1e-4, 1e-2, 1.0))
    assert w[1].tolist() == [0.5, 0.5 + 1e-2 * 0.1 * 1.0, 0.5]


def test_stdp_clips_to_bounds():
    from lava_wta.model.plasticity import StdpParams, depress_inputs, potentiate_neurons

    w = np.array([[0.99995, 0.00001]])
    p = StdpParams(1e-4, 1e-2, 1.0)
    _additive(depress_inputs)(w, np.array([1.0]), np.array([1]), p)
    _additive(potentiate_neurons)(w, np.array([1.0, 0.0]), np.array([1.0]), np.array([0]), p)
    assert w.tolist() == [[1.0, 0.0]]
