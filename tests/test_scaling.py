import numpy as np
import pytest

from lava_wta.rules import apply_scaling, register_scaling_rule, row_norms, scaling_rule_names


@pytest.mark.parametrize("mode, target", [("l1", 78.0), ("l2", 5.0), ("max", 0.8)])
def test_scaling_hits_target_and_keeps_every_ratio(mode, target):
    rng = np.random.default_rng(1)
    w = rng.uniform(0, 0.3, size=(6, 50))
    w[2] = 0.0
    w[4, :10] = 0.0
    before = w.copy()
    apply_scaling(w, mode, target)
    norms = row_norms(w, mode)
    np.testing.assert_allclose(np.delete(norms, 2), target, rtol=1e-12)
    assert (w[2] == 0).all(), "an all-zero row must stay zero"
    for j in (0, 1, 3, 4, 5):
        nz = before[j] > 0
        ratios_before = before[j, nz][:, None] / before[j, nz][None, :]
        ratios_after = w[j, nz][:, None] / w[j, nz][None, :]
        np.testing.assert_allclose(ratios_after, ratios_before, rtol=1e-12)
        assert (w[j, ~nz] == 0).all()


def test_none_leaves_weights_alone():
    w = np.random.default_rng(0).uniform(size=(3, 4))
    before = w.copy()
    apply_scaling(w, "none", 5.0)
    assert (w == before).all()


def test_registering_a_rule_makes_it_a_config_mode():
    from lava_wta import WTAConfig

    name = "l3_test_rule"
    if name not in scaling_rule_names():
        register_scaling_rule(name)(lambda w: (w ** 3).sum(axis=1) ** (1 / 3))
    cfg = WTAConfig().with_overrides({"scaling.mode": name, "scaling.target_norm": 2.0})
    w = np.random.default_rng(0).uniform(size=(3, 10))
    apply_scaling(w, cfg.scaling.mode, cfg.scaling.target_norm)
    np.testing.assert_allclose((w ** 3).sum(axis=1) ** (1 / 3), 2.0, rtol=1e-12)
    with pytest.raises(ValueError, match="already registered"):
        register_scaling_rule(name)(lambda w: w.sum(axis=1))


def test_a_rule_returning_the_wrong_shape_is_refused():
    name = "bad_shape_rule"
    if name not in scaling_rule_names():
        register_scaling_rule(name)(lambda w: w.sum())
    with pytest.raises(ValueError, match="one norm per neuron"):
        apply_scaling(np.ones((3, 4)), name, 1.0)
