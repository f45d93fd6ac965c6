"""Every execution of the model agrees: scenarios × every registered training backend, each
compared with the independent oracle (``tests/reference.py``) and with the others.

Tolerances (stated once, here):

- every backend, against the oracle: identical spike counts of every accepted
  presentation, identical numbers of presentations and retries; weights and θ to
  ``RTOL`` relative (the oracle uses libm's ``exp`` and numpy's pairwise sums);
- ``lava-fused`` and ``lava-async`` against the engine: bit for bit (they run its step);
- ``lava`` (the composed graph) against the engine: identical counts, weights and θ to
  ``RTOL`` (the same compiled functions, called per process in another order of sums);
- ``nir`` (the exported graph imported into Lava; frozen, current-based): identical counts;
- the fixed-point backends (``loihi-fixed``, ``loihi-emulator``): identical counts to each
  other, and the oracle's most active neuron on at least ``FIXED_AGREEMENT`` of the images
  (quantised weights and thresholds change individual counts).

A scenario a backend cannot run must be refused by it with a
:class:`lava_wta.backends.BackendError`, never run differently: the suite asks the
registry what each backend can do.
"""
import sys
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from lava_wta import WTAConfig
from lava_wta.backends import BackendError, backend_names, get_backend
from lava_wta.data import load_dataset
from lava_wta.model.neurons import conductance_membrane_params
from lava_wta.model.plasticity import StdpParams
from lava_wta.model.threshold import ThetaParams
from lava_wta.pipeline import present
from lava_wta.rules import (
    membrane_rule_names,
    register_membrane_rule,
    register_stdp_rule,
    register_theta_rule,
    stdp_rule_names,
    theta_rule_names,
)
from lava_wta.state import WTAState

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference  # noqa: E402

RTOL = 1e-9
FIXED_AGREEMENT = 0.75

# ------------------------------------------------------------- a user's rules (array-friendly,
# so that the oracle can call their Python functions on numpy arrays)
_EQ_CAP_MV = 0.4


@njit(inline="always")
def eq_soft_bound(w, x_pre, y2, p):
    return w + p.nu_post * y2 * x_pre * (p.w_max - w)


@njit(inline="always")
def eq_capped_spike(theta, p):
    return np.minimum(theta + p.theta_plus_mv, p.theta_init_mv + _EQ_CAP_MV)


@njit(inline="always")
def eq_forward_euler(v, g_e, g_i, m):
    dv = (m.v_rest_mv - v) + g_e * (m.e_exc_mv - v) + g_i * (m.e_inh_mv - v)
    return v + m.dt_ms / m.tau_m_ms * dv


if "eq_soft_bound" not in stdp_rule_names():
    register_stdp_rule("eq_soft_bound", potentiate=eq_soft_bound)
if "eq_capped" not in theta_rule_names():
    register_theta_rule("eq_capped", spike=eq_capped_spike)
if "eq_forward_euler" not in membrane_rule_names():
    register_membrane_rule("eq_forward_euler", conductance=eq_forward_euler)

BASE = {"network.n_inputs": 64, "network.n_neurons": 12, "time.presentation_ms": 40.0,
        "input.pixel_rate_hz": 2.0, "input.min_spikes": 8, "input.max_retries": 3,
        "scaling.target_norm": 3.0}

SCENARIOS = {
    # learning with retries and L2 scaling after every presentation, reset between images
    "learn-l2-reset": {},
    # L1 scaling every second presentation
    "learn-l1-interval": {"scaling.mode": "l1", "scaling.target_norm": 12.0,
                          "scaling.interval_images": 2},
    # no reset: the network rests (simulated) between images
    "learn-rest": {"time.between_images": "rest", "time.rest_ms": 10.0},
    # 64 neurons: the engine updates the inhibitory layer through its list of active
    # neurons while few are active and in one pass over all above that; both paths run
    "learn-64-neurons": {"network.n_neurons": 64, "input.min_spikes": 20},
    # the current-based neurons: reset, with refractory periods, resting between images
    "learn-current": {"network.neuron_model": "current", "input.min_spikes": 40},
    "learn-current-refractory": {"network.neuron_model": "current", "input.min_spikes": 40,
                                 "cuba_exc.t_ref_ms": 1.0, "cuba_inh.t_ref_ms": 1.0},
    "learn-current-rest": {"network.neuron_model": "current", "input.min_spikes": 40,
                           "time.between_images": "rest", "time.rest_ms": 10.0},
    # a user's STDP, threshold and membrane rules
    "learn-user-rules": {"stdp.rule": "eq_soft_bound", "exc.theta_rule": "eq_capped",
                         "exc.membrane_rule": "eq_forward_euler"},
    # frozen inference (labelling, testing) of what the named scenario learnt
    "frozen": {},
    "frozen-current": {"network.neuron_model": "current", "input.min_spikes": 40},
}
FROZEN_FROM = {"frozen": "learn-l2-reset", "frozen-current": "learn-current"}
LEARNING = {name: name not in FROZEN_FROM for name in SCENARIOS}
N_IMAGES = 16
SEED = 5


def _user_rules(cfg):
    """The oracle's copies of the user's rules of ``cfg`` (their Python functions)."""
    if cfg.stdp.rule != "eq_soft_bound":
        return {}
    E = cfg.exc
    return {"potentiate": eq_soft_bound.py_func, "theta_spike": eq_capped_spike.py_func,
            "membrane": eq_forward_euler.py_func,
            "params": {"stdp": StdpParams(cfg.stdp.nu_pre, cfg.stdp.nu_post, cfg.stdp.w_max),
                       "theta": ThetaParams(E.theta_plus_mv, E.theta_init_mv),
                       "membrane": conductance_membrane_params(
                           dt_ms=cfg.time.dt_ms, tau_m_ms=E.tau_m_ms, v_rest_mv=E.v_rest_mv,
                           e_exc_mv=E.e_exc_mv, e_inh_mv=E.e_inh_mv, tau_ge_ms=E.tau_ge_ms,
                           tau_gi_ms=E.tau_gi_ms)}}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def cases(digits):
    """Per scenario: its configuration, images, starting state and the oracle's result."""
    out = {}
    for name, over in SCENARIOS.items():      # (learning scenarios come first)
        cfg = WTAConfig().with_overrides({**BASE, **over})
        images = digits.train_images[:N_IMAGES] if LEARNING[name] else digits.test_images[:N_IMAGES]
        if LEARNING[name]:
            state = WTAState.initial(cfg)
        else:
            learnt = out[FROZEN_FROM[name]][3]
            state = WTAState(weights=learnt["weights"], theta=learnt["theta"])
        W, theta, counts, presentations, retries = reference.simulate(
            cfg, images, state.weights, state.theta, learning=LEARNING[name], seed=SEED,
            **_user_rules(cfg))
        out[name] = (cfg, images, state, {"weights": W, "theta": theta, "counts": counts,
                                          "presentations": presentations, "retries": retries})
    return out


@pytest.fixture(scope="module")
def engine_results(cases):
    return {name: present(cfg, images, state, backend="engine", learning=LEARNING[name],
                          input_seed=SEED)
            for name, (cfg, images, state, _) in cases.items()}


def test_the_scenarios_exercise_what_they_name(cases):
    for name, (cfg, images, state, ref) in cases.items():
        assert ref["retries"] > 0, f"{name}: retries must happen"
        assert ref["counts"].sum() > 50, f"{name}: the network must fire"
        if LEARNING[name]:
            assert not np.allclose(ref["weights"], state.weights), f"{name}: weights must learn"
            assert ref["theta"].max() > state.theta.max(), f"{name}: theta must adapt"
    capped = cases["learn-user-rules"]
    assert capped[3]["theta"].max() <= capped[0].exc.theta_init_mv + _EQ_CAP_MV
    assert cases["learn-l2-reset"][3]["theta"].max() > cases["learn-l2-reset"][0].exc.theta_init_mv + _EQ_CAP_MV


def _check_against_oracle(name, result, ref):
    np.testing.assert_array_equal(result.counts, ref["counts"], err_msg=name)
    assert (result.presentations, result.retries) == (ref["presentations"], ref["retries"]), name
    np.testing.assert_allclose(result.state.weights, ref["weights"], rtol=RTOL, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(result.state.theta, ref["theta"], rtol=RTOL, err_msg=name)


def _refusal(spec, cfg, learning):
    """Why backend ``spec`` must refuse a scenario (None: it must run it)."""
    if learning and not spec.learns:
        return "learn"
    if cfg.network.neuron_model not in spec.neuron_models:
        return cfg.network.neuron_model
    return None


@pytest.fixture(scope="module")
def fixed_results():
    return {}


# The backends that run compiled numba code alone take seconds; the others start Lava
# runtimes (tens of seconds a case): `pytest -m "not slow"` leaves those out.
NUMBA_BACKENDS = ("engine", "loihi-emulator")


@pytest.mark.parametrize("backend", [b if b in NUMBA_BACKENDS else pytest.param(b, marks=pytest.mark.slow)
                                     for b in backend_names()])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_backend_agrees_with_the_oracle_and_the_engine(cases, engine_results, fixed_results,
                                                              scenario, backend):
    cfg, images, state, ref = cases[scenario]
    spec = get_backend(backend)
    learning = LEARNING[scenario]
    why = _refusal(spec, cfg, learning)
    if why is not None:
        with pytest.raises(BackendError, match=why):
            present(cfg, images, state, backend=backend, learning=learning, input_seed=SEED)
        return
    result = present(cfg, images, state, backend=backend, learning=learning, input_seed=SEED)
    eng = engine_results[scenario]
    if spec.arithmetic == "fixed":
        agree = np.mean(result.counts.argmax(axis=1) == ref["counts"].argmax(axis=1))
        assert agree >= FIXED_AGREEMENT, f"{scenario} on {backend}: {agree:.2f}"
        for other in fixed_results.get(scenario, []):
            np.testing.assert_array_equal(result.counts, other)
        fixed_results.setdefault(scenario, []).append(result.counts)
        return
    np.testing.assert_array_equal(result.counts, ref["counts"], err_msg=f"{scenario} on {backend}")
    assert (result.presentations, result.retries) == (ref["presentations"], ref["retries"])
    np.testing.assert_array_equal(result.counts, eng.counts)
    if not learning:
        return
    _check_against_oracle(f"{scenario} on {backend}", result, ref)
    if backend in ("lava-fused", "lava-async"):
        np.testing.assert_array_equal(result.state.weights, eng.state.weights)
        np.testing.assert_array_equal(result.state.theta, eng.state.theta)
    else:
        np.testing.assert_allclose(result.state.weights, eng.state.weights, rtol=RTOL, atol=1e-15)
        np.testing.assert_allclose(result.state.theta, eng.state.theta, rtol=RTOL)
