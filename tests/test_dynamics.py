"""The pure equations against closed forms."""
import math

import numpy as np
import pytest

from lava_wta.config import ExcitatoryConfig
from lava_wta.model.key import bind_key, membrane_key
from lava_wta.model.neurons import conductance_membrane_params, integrate_conductance

E = ExcitatoryConfig()
M = conductance_membrane_params(dt_ms=0.5, tau_m_ms=E.tau_m_ms, v_rest_mv=E.v_rest_mv,
                                e_exc_mv=E.e_exc_mv, e_inh_mv=E.e_inh_mv, tau_ge_ms=E.tau_ge_ms,
                                tau_gi_ms=E.tau_gi_ms)
integrate = bind_key(integrate_conductance, membrane_key("exponential_euler"))


def test_free_decay_of_v_is_exact():
    v = np.array([-40.0, -90.0])
    z = np.zeros(2)
    none = np.zeros(2, bool)
    for _ in range(37):
        integrate(v, z.copy(), z.copy(), none, M)
    expected = E.v_rest_mv + (np.array([-40.0, -90.0]) - E.v_rest_mv) * math.exp(-37 * 0.5 / E.tau_m_ms)
    np.testing.assert_allclose(v, expected, rtol=1e-13)


@pytest.mark.parametrize("g", [(0.7, 0.3), (40.0, 3.0), (0.01, 0.0)])
def test_one_step_with_conductances_matches_closed_form(g):
    # (0.7, 0.3) and (0.01, 0) take the polynomial paths, (40, 3) the exact form
    g_e, g_i = g
    v, ge, gi = np.array([-60.0]), np.array([g_e]), np.array([g_i])
    integrate(v, ge, gi, np.zeros(1, bool), M)
    total = 1 + g_e + g_i
    v_inf = (E.v_rest_mv + g_e * E.e_exc_mv + g_i * E.e_inh_mv) / total
    assert v[0] == pytest.approx(v_inf + (-60.0 - v_inf) * math.exp(-0.5 * total / E.tau_m_ms),
                                 rel=1e-14)
    np.testing.assert_allclose(ge, g_e * math.exp(-0.5 / E.tau_ge_ms), rtol=1e-15)
    np.testing.assert_allclose(gi, g_i * math.exp(-0.5 / E.tau_gi_ms), rtol=1e-15)


def test_refractory_neurons_hold_v_but_conductances_decay():
    v, ge = np.array([-65.0, -65.0]), np.array([5.0, 5.0])
    integrate(v, ge, np.zeros(2), np.array([True, False]), M)
    assert v[0] == -65.0 and v[1] > -65.0
    np.testing.assert_allclose(ge, 5.0 * math.exp(-0.5), rtol=1e-15)


def test_exponential_euler_is_stable_under_huge_inhibition():
    # Forward Euler explodes here; exponential Euler stays between the reversal potentials.
    v = np.array([-52.0])
    integrate(v, np.zeros(1), np.array([400.0]), np.zeros(1, bool), M)
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
