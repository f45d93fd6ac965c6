"""The adaptive target norm of synaptic scaling (``scaling.target_mode``): the update's
closed form, its direction and bounds, its place in the network state (checkpoints,
state files) and the backends that refuse it."""
import math

import numpy as np
import pytest
from scenarios import interrupted_and_resumed, small_learning_config

from lava_wta import WTAConfig
from lava_wta.backends import BackendError, backend_names, get_backend
from lava_wta.config import ConfigError
from lava_wta.data import load_dataset
from lava_wta.engine import present_engine
from lava_wta.model.scaling import adapt_target, rows_norms
from lava_wta.state import WTAState


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _cfg(**over):
    """The shared small network, with the rate target mode."""
    return small_learning_config(**{"scaling.target_mode": "rate", "scaling.rate_set_point_spikes": 20.0,
                                    "scaling.rate_gain": 0.05, **over})


def test_update_closed_form():
    assert adapt_target(2.0, 5, 10.0, 0.1, 0.01, 100.0) == pytest.approx(2.0 * math.exp(0.05), rel=1e-15)
    assert adapt_target(2.0, 30, 10.0, 0.1, 0.01, 100.0) == pytest.approx(2.0 * math.exp(-0.2), rel=1e-15)
    assert adapt_target(2.0, 10, 10.0, 0.1, 0.01, 100.0) == 2.0


def test_update_direction_and_bounds():
    wt = 1.0
    for _ in range(1000):          # silent network: Wt rises, up to the reachable norm
        new = adapt_target(wt, 0, 10.0, 0.1, 0.5, 3.0)
        assert new >= wt
        wt = new
    assert wt == 3.0
    for _ in range(1000):          # far above the set point: Wt falls, down to the minimum
        new = adapt_target(wt, 100, 10.0, 0.1, 0.5, 3.0)
        assert new <= wt
        wt = new
    assert wt == 0.5


def test_config_validates_the_new_fields():
    with pytest.raises(ConfigError, match=r"scaling.target_mode: expected one of \['fixed', 'rate'\]"):
        WTAConfig().with_overrides({"scaling.target_mode": "adaptive"})
    with pytest.raises(ConfigError, match="scaling.rate_gain"):
        WTAConfig().with_overrides({"scaling.rate_gain": 0.0})
    with pytest.raises(ConfigError, match="scaling.target_norm_min: expected <= scaling.target_norm"):
        WTAConfig().with_overrides({"scaling.target_mode": "rate", "scaling.target_norm_min": 10.0})


def test_engine_moves_wt_and_scales_to_it(digits):
    images = digits.train_images[:10]
    for set_point, up in ((200.0, True), (1.0, False)):
        cfg = _cfg(**{"scaling.rate_set_point_spikes": set_point})
        out = present_engine(cfg, images, WTAState.initial(cfg), learning=True, input_seed=3)
        wt = out.state.target_norm
        assert (wt > 3.0) if up else (wt < 3.0)
        assert cfg.scaling.target_norm_min <= wt <= math.sqrt(64) * cfg.stdp.w_max
        # the last scaling (end of the last period) used the Wt of before the last
        # image's update: every column with a positive norm holds one value
        norms = rows_norms(out.state.weights, "l2")
        assert np.ptp(norms[norms > 0]) < 1e-9 * norms.max()


def test_fixed_mode_reports_no_wt(digits):
    cfg = _cfg(**{"scaling.target_mode": "fixed"})
    out = present_engine(cfg, digits.train_images[:4], WTAState.initial(cfg), learning=True, input_seed=3)
    assert out.state.target_norm is None


def test_resume_from_a_checkpoint_is_bit_identical(digits, tmp_path):
    images = digits.train_images[:12]
    full, resumed, start = interrupted_and_resumed(present_engine, _cfg(), images, tmp_path)
    assert 0 < start < len(images) and resumed.resumed_from == start
    assert resumed.state.target_norm == full.state.target_norm != 3.0
    np.testing.assert_array_equal(resumed.state.weights, full.state.weights)
    np.testing.assert_array_equal(resumed.state.theta, full.state.theta)
    np.testing.assert_array_equal(resumed.counts, full.counts)


def test_a_second_pass_continues_from_the_saved_wt(digits, tmp_path):
    cfg = _cfg()
    images = digits.train_images[:12]
    full = present_engine(cfg, images, WTAState.initial(cfg), learning=True, input_seed=5)
    first = present_engine(cfg, images[:6], WTAState.initial(cfg), learning=True, input_seed=5)
    first.state.save(tmp_path / "s.npz")
    loaded = WTAState.load(tmp_path / "s.npz", cfg)
    assert loaded.target_norm == first.state.target_norm
    # a pass started from the saved state continues with its Wt, not with target_norm
    again = present_engine(cfg, images[:6], loaded, learning=True, input_seed=5)
    restart = present_engine(cfg, images[:6], WTAState(loaded.weights, loaded.theta), learning=True, input_seed=5)
    assert again.state.target_norm != restart.state.target_norm
    assert full.state.target_norm != first.state.target_norm


def test_backends_without_it_refuse():
    cfg = _cfg()
    assert backend_names(learns=True, target_mode="rate") == ["engine"]
    with pytest.raises(BackendError, match=r"scaling.target_mode: backend 'lava' trains with \['fixed'\], "
                                           r"got 'rate'; the backends that train with it: \['engine'\]"):
        get_backend("lava").present(cfg, np.zeros((1, 64)), WTAState.initial(cfg), learning=True, input_seed=1)
    # a frozen pass does not scale: every backend runs it
    get_backend("lava").check(cfg, learning=False)


def test_training_curve_replays_wt(digits):
    from lava_wta.pipeline import train

    cfg = _cfg()
    run = train(cfg, digits.train_images[:10], digits.train_labels[:10], progress=False)
    wt = run.curve["target_norm"]
    assert len(wt) == len(run.curve["images"])
    assert wt[-1] == run.state.target_norm
    fixed = train(cfg.with_overrides({"scaling.target_mode": "fixed"}), digits.train_images[:4], progress=False)
    assert "target_norm" not in fixed.curve


def test_no_norm_no_adaptive_target():
    with pytest.raises(ConfigError, match="scaling.target_mode: expected 'fixed' with scaling.mode 'none'"):
        WTAConfig().with_overrides({"scaling.mode": "none", "scaling.target_mode": "rate"})


def test_a_python_scaling_rule_gets_the_adapted_target(digits):
    from lava_wta.rules import register_scaling_rule

    seen = []

    def l2_python(weights, target):          # the l2 rule, applied from Python
        seen.append(target)
        norms = np.sqrt((weights ** 2).sum(axis=1))
        weights[norms > 0] *= (target / norms[norms > 0])[:, None]

    register_scaling_rule("l2_python_adaptive_test", apply=l2_python, replace=True)
    cfg = _cfg(**{"scaling.mode": "l2_python_adaptive_test", "scaling.rate_set_point_spikes": 200.0})
    out = present_engine(cfg, digits.train_images[:6], WTAState.initial(cfg), learning=True, input_seed=3)
    assert len(set(seen)) > 1 and seen[0] == 3.0 and max(seen) > 3.0      # not the starting value throughout
    assert out.state.target_norm > 3.0
