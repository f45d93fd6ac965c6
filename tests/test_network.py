"""The composed WTA network: inhibition, adaptive intensity, resumable training, extension."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.simulation import present_lava
from lava_wta.state import WTAState, initial_weights

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))   # tests/reference.py


def _small(**over):
    base = {"network.n_inputs": 64, "network.n_neurons": 10, "time.presentation_ms": 50.0,
            "input.pixel_rate_hz": 1.0}
    base.update(over)
    return WTAConfig().with_overrides(base)


def test_inhibition_silences_the_losers(digits):
    """Neuron 0 matches the images best; without I->E inhibition every neuron still fires,
    with it the winner fires alone."""
    from lava_wta.rules import apply_scaling

    images = digits.train_images[:4]
    counts = {}
    for w_ie in (0.0, 17.0):
        cfg = _small(**{"network.w_ie": w_ie})
        w = apply_scaling(WTAState.initial(cfg).weights, "l2", 3.0)
        w[0] = images.mean(axis=0)
        apply_scaling(w[:1], "l2", 5.0)
        res = present_lava(cfg, images, WTAState(w, np.full(10, 20.0)), learning=False, input_seed=1)
        counts[w_ie] = res.counts
    free, wta = counts[0.0], counts[17.0]
    assert (free[:, 1:] > 0).mean() > 0.8, free            # the losers fire without inhibition
    assert (wta[:, 0] > 0).all() and (wta.argmax(axis=1) == 0).all(), wta
    assert wta[:, 1:].sum() <= 0.1 * free[:, 1:].sum(), (free, wta)


def test_silent_network_retries_with_rising_intensity_then_gives_up(digits):
    cfg = _small(**{"input.max_retries": 2})
    zero = WTAState(np.zeros((10, 64)), np.full(10, cfg.exc.theta_init_mv))
    res = present_lava(cfg, digits.train_images[:3], zero, learning=False, input_seed=0)
    assert (res.presentations, res.retries, res.capped) == (9, 6, 3)
    assert res.counts.sum() == 0


def test_learning_changes_weights_scaling_holds_norm_and_theta_rises(digits):
    cfg = _small(**{"scaling.target_norm": 4.0})
    state = WTAState.initial(cfg)
    res = present_lava(cfg, digits.train_images[:6], state, learning=True, input_seed=0)
    assert not np.allclose(res.state.weights, state.weights)
    np.testing.assert_allclose(np.sqrt((res.state.weights ** 2).sum(axis=1)), 4.0, rtol=1e-12)
    fired = res.counts.sum(axis=0) > 0
    assert (res.state.theta[fired] > cfg.exc.theta_init_mv).all()


def _load_example():
    spec = importlib.util.spec_from_file_location("custom_rules", ROOT / "examples" / "custom_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_user_rules_and_process_models_run_in_the_composed_graph(digits):
    ex = _load_example()
    from lava_wta.processes import PlasticDense

    cfg = _small(**{"scaling.mode": "l3", "scaling.target_norm": 2.5, "stdp.rule": "soft_bound",
                    "exc.theta_rule": "capped", "exc.theta_plus_mv": 0.5})
    images = digits.train_images[:5]
    state = WTAState.initial(cfg)
    custom = present_lava(cfg, images, state, learning=True, input_seed=2)
    l3 = (custom.state.weights ** 3).sum(axis=1) ** (1 / 3)
    np.testing.assert_allclose(l3, 2.5, rtol=1e-12)
    assert custom.state.theta.max() <= cfg.exc.theta_init_mv + ex.THETA_CAP_MV + 1e-12
    uncapped = present_lava(cfg.with_overrides({"exc.theta_rule": "additive"}), images, state,
                            learning=True, input_seed=2)
    assert uncapped.state.theta.max() > cfg.exc.theta_init_mv + ex.THETA_CAP_MV, \
        "the scenario must drive theta above the cap"

    # an STDP variant that only scales: every weight ratio of a neuron survives training
    from lava_wta.models import PyPlasticDenseModelFloat

    class NoSTDP(PyPlasticDenseModelFloat):
        def on_pre_spikes(self, pre):
            pass

        def on_post_spikes(self, post):
            pass

    frozen_ratios = present_lava(cfg, images, state, learning=True, input_seed=2,
                                 models={PlasticDense: NoSTDP})
    w0 = initial_weights(cfg)
    np.testing.assert_allclose(frozen_ratios.state.weights / frozen_ratios.state.weights[:, :1],
                               w0 / w0[:, :1], rtol=1e-10)
    default = present_lava(cfg, images, state, learning=True, input_seed=2)
    assert not np.allclose(default.state.weights / default.state.weights[:, :1], w0 / w0[:, :1])


