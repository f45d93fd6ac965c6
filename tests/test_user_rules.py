"""A user's STDP rule, registered once, runs in every backend: the engine compiles it into
its step, the fused models run that step, the composed graph's synapse calls the same
functions. Same tolerances as the built-in rule (``tests/test_engine.py``): engine and
fused model bit for bit, composed graph to 1e-9 relative with identical spikes.

The rules come from ``examples/custom_rules.py`` (soft-bound potentiation) and from this
file (a rule that never changes a weight, which shows the user's rule is the one that
ran: with it only scaling acts, so every weight ratio of a neuron survives training)."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from lava_wta import WTAConfig
from lava_wta.data import load_dataset
from lava_wta.engine import EngineNetwork, present_engine
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_engine import _cfg, check_three_executions  # noqa: E402


@njit(inline="always")
def _keep_depress(w, y1, p):
    return w


@njit(inline="always")
def _keep_potentiate(w, x_pre, y2, p):
    return w


if "frozen_weights_test" not in stdp_rule_names():
    register_stdp_rule("frozen_weights_test", depress=_keep_depress, potentiate=_keep_potentiate)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("custom_rules_example", ROOT / "examples" / "custom_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_user_stdp_rule_agrees_across_engine_fused_and_composed_graph(digits, example):
    cfg = _cfg(**{"stdp.rule": "soft_bound"})
    images = digits.train_images[:40]
    state = WTAState.initial(cfg)
    eng, _, _ = check_three_executions(cfg, images, state, steps=2400)
    # and it is not the built-in rule
    additive = EngineNetwork(cfg.with_overrides({"stdp.rule": "additive"}), state, learning=True,
                             input_seed=21)
    additive.run_steps(images, np.zeros((len(images), cfg.network.n_neurons), np.int64), 2400)
    assert not np.allclose(additive.state().weights, eng.state().weights)


@pytest.mark.slow
def test_a_compiled_scaling_norm_agrees_across_executions_and_holds_its_target(digits, example):
    from lava_wta.rules import row_norms

    cfg = _cfg(**{"scaling.mode": "l3", "scaling.target_norm": 1.2})
    images = digits.train_images[:40]
    eng, _, _ = check_three_executions(cfg, images, WTAState.initial(cfg), steps=2400)
    w = eng.state().weights
    np.testing.assert_allclose(row_norms(w, "l3"), 1.2, rtol=1e-12)
    np.testing.assert_allclose((w ** 3).sum(axis=1) ** (1 / 3), 1.2, rtol=1e-12)


def test_soft_bound_rule_matches_its_formula_on_one_synapse(example):
    from lava_wta.model.key import bind_key, stdp_key
    from lava_wta.model.plasticity import StdpParams, potentiate_neurons

    W = np.array([[0.2, 0.9]])
    p = StdpParams(1e-4, 0.5, 1.0)
    bind_key(potentiate_neurons, stdp_key("soft_bound"))(W, np.array([1.0, 0.5]), np.array([0.8]),
                                                          np.array([0]), p)
    assert W[0, 0] == 0.2 + 0.5 * 0.8 * 1.0 * (1.0 - 0.2)
    assert W[0, 1] == 0.9 + 0.5 * 0.8 * 0.5 * (1.0 - 0.9)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["engine", "lava-fused", "lava-async", "lava"])
def test_the_users_rule_is_the_one_that_runs_in_every_backend(digits, backend):
    """With a rule that never changes a weight only scaling acts: every weight ratio of a
    neuron survives training, in every backend (the built-in rule changes them)."""
    cfg = _cfg(**{"stdp.rule": "frozen_weights_test", "time.presentation_ms": 30.0})
    images = digits.train_images[:6]
    state = WTAState.initial(cfg)
    out = present(cfg, images, state, backend=backend, learning=True, input_seed=4).state.weights
    w0 = state.weights
    np.testing.assert_allclose(out / out[:, :1], w0 / w0[:, :1], rtol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), cfg.scaling.target_norm, rtol=1e-12)
    if backend == "engine":
        built_in = present_engine(cfg.with_overrides({"stdp.rule": "additive"}), images, state,
                                  learning=True, input_seed=4).state.weights
        assert not np.allclose(built_in / built_in[:, :1], w0 / w0[:, :1])


def test_rules_that_are_not_compiled_or_change_weights_at_zero_trace_are_refused():
    with pytest.raises(TypeError, match="numba-compiled"):
        register_stdp_rule("plain_python", potentiate=lambda w, x, y, p: w + x)

    @njit
    def decays_everything(w, y1, p):
        return 0.99 * w

    with pytest.raises(ValueError, match="trace is zero"):
        register_stdp_rule("decaying", depress=decays_everything)
    with pytest.raises(ValueError, match="already registered"):
        register_stdp_rule("additive")
    assert "decaying" not in stdp_rule_names()


def test_unknown_rule_names_the_registered_ones_and_the_plugin_flag():
    from lava_wta.config import ConfigError

    with pytest.raises(ConfigError, match=r"stdp.rule: expected one of .*additive.*--plugin.*'nope'"):
        WTAConfig().with_overrides({"stdp.rule": "nope"})


@pytest.mark.parametrize("backend", ["engine", "lava-fused", "lava-async"])
def test_backends_that_cannot_run_a_process_model_refuse_it(digits, backend):
    from lava_wta.models import PyPlasticDenseModelFloat
    from lava_wta.processes import PlasticDense

    class MyPlasticDenseModel(PyPlasticDenseModelFloat):
        pass

    cfg = _cfg()
    with pytest.raises(ValueError, match=r"PlasticDense: MyPlasticDenseModel") as err:
        present(cfg, digits.train_images[:2], WTAState.initial(cfg), backend=backend, learning=True,
                input_seed=1, models={PlasticDense: MyPlasticDenseModel})
    assert "'lava'" in str(err.value) and backend in str(err.value)


def test_a_run_configuration_with_a_fused_network_refuses_models_of_its_inner_processes():
    from lava_wta.errors import BackendError
    from lava_wta.models import PyPlasticDenseModelFloat
    from lava_wta.processes import PlasticDense, WTANetwork
    from lava_wta.run_config import WTASimCfg

    class MyPlasticDenseModel(PyPlasticDenseModelFloat):
        pass

    for tag in ("fused", "fused-async"):
        with pytest.raises(BackendError, match=r"PlasticDense: MyPlasticDenseModel.*backend 'lava'"):
            WTASimCfg(models={WTANetwork: tag, PlasticDense: MyPlasticDenseModel})
    WTASimCfg(models={PlasticDense: MyPlasticDenseModel})        # the composed graph runs it


# ---------------------------------------------------------------------- threshold rules
CAP_MV = 0.15


@njit(inline="always")
def _capped_spike(theta, p):
    return min(theta + p.theta_plus_mv, p.theta_init_mv + CAP_MV)


@njit(inline="always")
def _halving_decay(theta, factor, p):
    # decays the excess over theta_init twice as fast as the built-in rule
    return p.theta_init_mv + (theta - p.theta_init_mv) * factor * factor


if "capped_test" not in theta_rule_names():
    register_theta_rule("capped_test", spike=_capped_spike, decay=_halving_decay)


@pytest.mark.slow
def test_a_user_threshold_rule_agrees_across_engine_fused_and_composed_graph(digits):
    cfg = _cfg(**{"exc.theta_rule": "capped_test", "exc.tau_theta_ms": 50.0})
    images = digits.train_images[:40]
    eng, _, _ = check_three_executions(cfg, images, WTAState.initial(cfg), steps=2400)
    assert eng.state().theta.max() <= cfg.exc.theta_init_mv + CAP_MV


@pytest.mark.parametrize("backend", ["engine"] + [pytest.param(b, marks=pytest.mark.slow)
                                                for b in ("lava-fused", "lava-async", "lava")])
@pytest.mark.parametrize("model", ["conductance", "current"])
def test_the_users_threshold_rule_is_the_one_that_runs(digits, backend, model):
    cfg = _cfg(**{"exc.theta_rule": "capped_test", "cuba_exc.theta_rule": "capped_test",
                  "network.neuron_model": model, "time.presentation_ms": 30.0})
    images = digits.train_images[:6]
    state = WTAState.initial(cfg)
    theta = present(cfg, images, state, backend=backend, learning=True, input_seed=4).state.theta
    init = cfg.exc_params.theta_init_mv
    assert theta.max() <= init + CAP_MV
    if backend == "engine":
        built_in = present_engine(cfg.with_overrides({"exc.theta_rule": "additive",
                                                       "cuba_exc.theta_rule": "additive"}),
                                  images, state, learning=True, input_seed=4).state.theta
        assert built_in.max() > init + CAP_MV, "the scenario must drive theta above the cap"


# ---------------------------------------------------------------------- membrane rules
@njit(inline="always")
def _resting_conductance(v, g_e, g_i, m):
    return m.v_rest_mv


@njit(inline="always")
def _resting_current(v, i_syn, m):
    return m.v_rest_mv


if "resting_test" not in membrane_rule_names():
    register_membrane_rule("resting_test", conductance=_resting_conductance, current=_resting_current)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["conductance", "current"])
def test_a_user_membrane_rule_agrees_across_engine_fused_and_composed_graph(digits, example, model):
    cfg = _cfg(**{"exc.membrane_rule": "exp_if", "cuba_exc.membrane_rule": "exp_if",
                  "network.neuron_model": model,
                  "input.min_spikes": 40 if model == "current" else 8})   # so that images retry
    images = digits.train_images[:40]
    state = WTAState.initial(cfg)
    steps = 2400 if model == "conductance" else 5600     # (current: more retries per image)
    eng, _, _ = check_three_executions(cfg, images, state, steps=steps)
    built_in = EngineNetwork(cfg.with_overrides({"exc.membrane_rule": "exponential_euler",
                                                 "cuba_exc.membrane_rule": "exponential_euler"}),
                             state, learning=True, input_seed=21)
    built_in.run_steps(images, np.zeros((len(images), cfg.network.n_neurons), np.int64), steps)
    assert not np.array_equal(built_in.state().weights, eng.state().weights)


@pytest.mark.parametrize("backend", ["engine"] + [pytest.param(b, marks=pytest.mark.slow)
                                                for b in ("lava-fused", "lava-async", "lava")])
@pytest.mark.parametrize("model", ["conductance", "current"])
def test_the_users_membrane_rule_is_the_one_that_runs(digits, backend, model):
    """A membrane that stays at rest never fires, in every backend (the built-in does)."""
    cfg = _cfg(**{"exc.membrane_rule": "resting_test", "cuba_exc.membrane_rule": "resting_test",
                  "network.neuron_model": model, "time.presentation_ms": 30.0})
    images = digits.train_images[:3]
    state = WTAState.initial(cfg)
    out = present(cfg, images, state, backend=backend, learning=True, input_seed=4)
    assert out.counts.sum() == 0
    assert (out.state.theta <= state.theta).all()      # θ only decayed: no spike raised it
    if backend == "engine":
        built_in = present_engine(cfg.with_overrides({"exc.membrane_rule": "exponential_euler",
                                                       "cuba_exc.membrane_rule": "exponential_euler"}),
                                  images, state, learning=True, input_seed=4)
        assert built_in.counts.sum() > 0


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "lava_wta.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)


@pytest.mark.slow
def test_cli_selects_a_plugins_rules(tmp_path):
    out = _cli("train", "--plugin", "examples/custom_rules.py", "--dataset", "digits", "--neurons", "6",
               "--stdp-rule", "soft_bound", "--scaling", "l3", "--target-norm", "2.5",
               "--train-images", "8", "--label-images", "10", "--test-images", "10", "--no-progress",
               "--out", str(tmp_path / "run"))
    assert out.returncode == 0, out.stderr[-2000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["stdp"]["rule"] == "soft_bound" and config["scaling"]["mode"] == "l3"
    weights = np.load(tmp_path / "run" / "state.npz")["weights"]
    np.testing.assert_allclose((weights ** 3).sum(axis=1) ** (1 / 3), 2.5, rtol=1e-9)


def test_cli_without_the_plugin_or_with_a_missing_one_says_so(tmp_path):
    out = _cli("train", "--dataset", "digits", "--stdp-rule", "soft_bound", "--out", str(tmp_path / "r"))
    assert out.returncode == 2
    assert "stdp.rule: expected one of" in out.stderr and "--plugin" in out.stderr
    assert "Traceback" not in out.stderr
    out = _cli("--plugin", "no_such_rules_module", "config")
    assert out.returncode == 2 and "plugin 'no_such_rules_module'" in out.stderr
    assert "Traceback" not in out.stderr


def test_sweep_imports_make_rules_selectable(tmp_path):
    from lava_wta.experiments.spec import SweepSpec

    spec = SweepSpec.from_dict({
        "name": "rules", "out": str(tmp_path / "sweep"), "imports": [str(ROOT / "examples" / "custom_rules.py")],
        "dataset": "digits", "n_train": 4, "n_label": 4, "n_test": 4,
        "grid": {"stdp.rule": ["additive", "soft_bound"], "scaling.mode": ["l3"]}})
    runs = spec.expand()
    assert [r.config().stdp.rule for r in runs] == ["additive", "soft_bound"]
    assert all("--plugin" in r.command() and "custom_rules.py" in r.command() for r in runs)
    from lava_wta.experiments.spec import RunSpec

    assert RunSpec.from_dict(runs[1].to_dict()).imports == runs[1].imports
