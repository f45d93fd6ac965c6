import json

import pytest

from lava_wta import ConfigError, WTAConfig


def test_defaults_follow_model_spec():
    c = WTAConfig()
    assert (c.time.dt_ms, c.time.presentation_ms, c.time.presentation_steps) == (0.5, 150.0, 300)
    assert (c.exc.tau_m_ms, c.exc.v_rest_mv, c.exc.v_thresh_mv, c.exc.theta_offset_mv) == (100, -65, -52, 20)
    assert (c.exc.e_inh_mv, c.exc.tau_ge_ms, c.exc.tau_gi_ms, c.exc.t_ref_ms) == (-100, 1, 2, 5)
    assert (c.inh.tau_m_ms, c.inh.v_rest_mv, c.inh.v_reset_mv, c.inh.v_thresh_mv, c.inh.e_inh_mv,
            c.inh.t_ref_ms) == (10, -60, -45, -40, -85, 2)
    assert (c.stdp.nu_pre, c.stdp.nu_post, c.stdp.tau_pre_ms, c.stdp.tau_post1_ms, c.stdp.tau_post2_ms) == (
        1e-4, 1e-2, 20, 20, 40)
    assert (c.network.w_ei, c.network.w_ie, c.network.w_init_max) == (10.4, 17.0, 0.3)
    # pixel/4 Hz at the first presentation, Diehl & Cook's pixel/8 per intensity step after
    assert 255 * c.input.pixel_rate_hz == 63.75 and 255 * c.input.retry_pixel_rate_hz == 31.875


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_save_load_round_trip(tmp_path, suffix):
    c = WTAConfig().with_overrides({"scaling.mode": "l1", "scaling.target_norm": 78, "seed": 3,
                                    "exc.theta_plus_mv": 0.11})
    path = c.save(tmp_path / f"cfg{suffix}")
    assert WTAConfig.load(path) == c
    assert WTAConfig.load(path).scaling.target_norm == 78.0


@pytest.mark.parametrize("overrides, field", [
    ({"exc.tau_m_ms": -1.0}, "exc.tau_m_ms"),
    ({"stdp.tau_pre_ms": 0.0}, "stdp.tau_pre_ms"),
    ({"scaling.target_norm": 0.0}, "scaling.target_norm"),
    ({"scaling.target_norm": -5.0}, "scaling.target_norm"),
    ({"scaling.mode": "l7"}, "scaling.mode"),
    ({"time.presentation_ms": 150.2}, "time.presentation_ms"),
    ({"time.between_images": "sleep"}, "time.between_images"),
    ({"network.n_neurons": 0}, "network.n_neurons"),
    ({"network.n_neurons": 2.5}, "network.n_neurons"),
    ({"exc.v_thresh_mv": float("nan")}, "exc.v_thresh_mv"),
    ({"inh.t_ref_ms": 1.2}, "inh.t_ref_ms"),
    ({"time.between_images": "rest", "time.rest_ms": 0.3}, "time.rest_ms"),
])
def test_invalid_values_name_the_field(overrides, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        WTAConfig().with_overrides(overrides)


def test_reset_mode_simulates_no_rest_but_theta_decays_over_it():
    t = WTAConfig().with_overrides({"time.rest_ms": 0.3}).time
    assert t.rest_steps == 0 and t.reset_rest_ms == 0.3
    rest = WTAConfig().with_overrides({"time.between_images": "rest"}).time
    assert rest.rest_steps == 300 and rest.reset_rest_ms == 0.0
    with pytest.raises(ConfigError, match=r"time\.rest_ms"):
        WTAConfig().with_overrides({"time.rest_ms": -1.0})


def test_unknown_fields_are_named(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"exc": {"tau_m": 100}}))
    with pytest.raises(ConfigError, match=r"bad\.json.*exc.*tau_m"):
        WTAConfig.load(p)
    with pytest.raises(ConfigError, match="neurons"):
        WTAConfig.from_dict({"neurons": 3})


def test_wrong_image_size_is_named():
    with pytest.raises(ConfigError, match=r"network\.n_inputs.*64.*784"):
        WTAConfig().check_image_size(64, source="digits")


def test_unparsable_file_is_named(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("exc: [1, 2\n")
    with pytest.raises(ConfigError, match="broken.yaml"):
        WTAConfig.load(p)


def test_eval_presentation_time_replaces_the_presentation_of_frozen_passes_only():
    cfg = WTAConfig().with_overrides({"time.eval_presentation_ms": 350.0})
    assert cfg.time.presentation_steps == 300
    assert cfg.for_evaluation().time.presentation_steps == 700
    assert WTAConfig().for_evaluation() == WTAConfig()             # 0: the training presentation
    with pytest.raises(ConfigError, match="time.eval_presentation_ms"):
        WTAConfig().with_overrides({"time.eval_presentation_ms": -1.0})
    with pytest.raises(ConfigError, match="time.eval_presentation_ms: expected a multiple of time.dt_ms"):
        WTAConfig().with_overrides({"time.eval_presentation_ms": 100.25})


@pytest.mark.parametrize("suffix,text", [
    (".yaml", "seed: 1\nseed: 2\n"),
    (".yaml", "network:\n  n_neurons: 3\n  n_neurons: 4\n"),
    (".json", '{"seed": 1, "seed": 2}'),
    (".json", '{"network": {"w_ie": 1, "w_ie": 2}}'),
])
def test_a_key_given_twice_is_refused(tmp_path, suffix, text):
    path = tmp_path / f"c{suffix}"
    path.write_text(text)
    with pytest.raises(ConfigError, match="appears twice"):
        WTAConfig.load(path)


def test_json_nan_and_64_bit_limits_are_refused(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"network": {"w_ie": NaN}}')
    with pytest.raises(ConfigError, match="NaN is not a JSON number"):
        WTAConfig.load(path)
    with pytest.raises(ConfigError, match="network.n_neurons: expected a 64-bit integer"):
        WTAConfig().with_overrides({"network.n_neurons": 2 ** 63})
    with pytest.raises(ConfigError, match="seed: expected an integer in 0.."):
        WTAConfig().with_overrides({"seed": 2 ** 64})
    with pytest.raises(ConfigError, match="network.w_ie: expected a finite number"):
        WTAConfig().with_overrides({"network.w_ie": 10 ** 400})


@pytest.mark.parametrize("mode,reachable", [("l1", 64.0), ("l2", 8.0), ("max", 1.0)])
def test_a_scaling_target_beyond_what_clipped_weights_hold_is_refused(mode, reachable):
    cfg = WTAConfig().with_overrides({"network.n_inputs": 64, "scaling.mode": mode,
                                      "scaling.target_norm": reachable})
    cfg.check_trainable()
    with pytest.raises(ConfigError, match=f"scaling.target_norm: expected <= {reachable:g}"):
        cfg.with_overrides({"scaling.target_norm": reachable * 1.01}).check_trainable()
    cfg.with_overrides({"scaling.mode": "none", "scaling.target_norm": 1e300}).check_trainable()
