"""The engine: its numerics, its frozen batches, its state's way into Lava and back, and the
helper that records three executions step by step (the composed Lava graph, the fused
Lava ProcessModel and the engine) for tests of a user's rules.

Scenario × backend agreement with the oracle lives in ``tests/test_equivalence.py``.
Tolerances: the fused model and the engine run the same compiled step, so they agree bit
for bit. The composed graph calls the same compiled functions per process, in another
order of sums, so its weights and θ agree to 1e-9 relative and its spike trains, counts
and retries are identical.
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.proc.io.sink import RingBuffer as Sink
from scenarios import small_learning_config

from lava_wta.data import load_dataset
from lava_wta.engine import EngineNetwork, present_engine
from lava_wta.evaluation import assign_labels, predict
from lava_wta.processes import WTANetwork
from lava_wta.run_config import WTASimCfg
from lava_wta.simulation import present_lava
from lava_wta.state import WTAState

sys.path.insert(0, str(Path(__file__).resolve().parent))   # tests/reference.py

RTOL = 1e-9


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


_cfg = small_learning_config


# ---------------------------------------------------------------------- numerics
def test_polynomial_exponentials_match_libm():
    from lava_wta.model import neurons as K

    xs = np.concatenate([-np.linspace(0, 40, 20001), -np.geomspace(1e-300, 40, 2001)])
    approx = np.array([K.exp_neg(x) for x in xs])
    np.testing.assert_allclose(approx, np.exp(xs), rtol=1e-13, atol=0)
    zs = -np.linspace(0, K.PHI_MAX, 5001)[1:]
    phi = np.array([K.phi_small(z) for z in zs])
    np.testing.assert_allclose(phi, np.expm1(zs) / zs, rtol=2e-16 * 4, atol=0)
    zs = -np.linspace(0, K.PHI_TINY_MAX, 5001)[1:]
    phi = np.array([K.phi_tiny(z) for z in zs])
    np.testing.assert_allclose(phi, np.expm1(zs) / zs, rtol=2e-16 * 4, atol=0)


def test_poisson_raster_rates_and_stream():
    from lava_wta.kernels.poisson import dense_raster

    img = np.array([255.0] * 40 + [64.0] * 40 + [0.0] * 4)
    steps = 5000
    r = dense_raster(img, 0.25, 0.5, steps, 11, 3, 0)
    for value, sl in ((255, slice(0, 40)), (64, slice(40, 80))):
        p = value * 0.25 * 0.5e-3
        n = steps * 40
        assert abs(r[:, sl].sum() - n * p) < 4 * math.sqrt(n * p * (1 - p))
        # geometric gaps: the number of spikes of one pixel in consecutive halves is independent
    assert r[:, 80:].sum() == 0
    np.testing.assert_array_equal(r, dense_raster(img, 0.25, 0.5, steps, 11, 3, 0))
    assert (r != dense_raster(img, 0.25, 0.5, steps, 11, 3, 1)).any(), "a retry draws a new stream"
    assert (r != dense_raster(img, 0.25, 0.5, steps, 12, 3, 0)).any(), "another seed, another stream"


# ---------------------------------------------------------------------- equivalence
def _lava_record(cfg, images, state, *, learning, seed, fused, steps):
    """Run a WTANetwork in Lava for ``steps`` steps, recording the excitatory raster."""
    net = WTANetwork(config=cfg, images=images, weights=state.weights, theta=state.theta,
                     learning=learning, input_seed=seed, buffer_images=len(images))
    sink = Sink(shape=(cfg.network.n_neurons,), buffer=steps)
    net.s_out.connect(sink.a_in)
    run_cfg = WTASimCfg(models={WTANetwork: "fused"} if fused else None)
    net.run(condition=RunSteps(num_steps=steps), run_cfg=run_cfg)
    try:
        return {"exc": np.array(sink.data.get()).T.astype(bool), "weights": net.weights.get().copy(),
                "theta": net.theta.get().copy(), "inh_count": net.inh_spike_count.get().copy(),
                "counts": net.count_buffer.get().copy(), "image": int(net.image_index.get()[0]),
                "presentations": int(net.presentations.get()[0]),
                "retries": int(net.total_retries.get()[0])}
    finally:
        net.stop()


def check_three_executions(cfg, images, state, steps, *, seed=21):
    """Record ``steps`` training steps in the engine, the fused model and the composed graph
    from ``state``; assert the fused model equals the engine bit for bit and the composed
    graph gives identical spikes, counts and retries and the same weights and θ to RTOL.
    Returns the engine network and its excitatory spike raster and inhibitory raster."""
    eng = EngineNetwork(cfg, state, learning=True, input_seed=seed)
    counts = np.zeros((len(images), cfg.network.n_neurons), np.int64)
    exc, inh = eng.record(images, counts, steps)
    assert eng.image >= 20, "at least 20 training images must be covered"
    assert eng.retries > 0, "the scenario must exercise the adaptive intensity"

    fused = _lava_record(cfg, images, state, learning=True, seed=seed, fused=True, steps=steps)
    composed = _lava_record(cfg, images, state, learning=True, seed=seed, fused=False, steps=steps)

    # fused model == engine, bit for bit
    np.testing.assert_array_equal(fused["exc"], exc)
    np.testing.assert_array_equal(fused["inh_count"], inh.sum(axis=0))
    np.testing.assert_array_equal(fused["weights"], eng.state().weights)
    np.testing.assert_array_equal(fused["theta"], eng.state().theta)
    np.testing.assert_array_equal(fused["counts"], counts)
    assert (fused["image"], fused["presentations"], fused["retries"]) == (eng.image, eng.presentations,
                                                                          eng.retries)
    # composed graph == engine: identical spikes, weights and theta to rounding
    np.testing.assert_array_equal(composed["exc"], exc)
    np.testing.assert_array_equal(composed["inh_count"], inh.sum(axis=0))
    np.testing.assert_array_equal(composed["counts"], counts)
    assert (composed["image"], composed["presentations"], composed["retries"]) == (
        eng.image, eng.presentations, eng.retries)
    np.testing.assert_allclose(composed["weights"], eng.state().weights, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(composed["theta"], eng.state().theta, rtol=RTOL)
    assert not np.allclose(eng.state().weights, state.weights), "learning must have happened"
    return eng, exc, inh


def check_frozen_predictions(cfg, trained, digits, above_chance=True):
    """Label (40 images) and test (30 images) the frozen ``trained`` state in the engine's
    parallel batch, the serial engine, the fused model (synchronous and asynchronous) and
    the composed graph: identical counts and predictions (and, if ``above_chance``, more
    than 15 % correct)."""
    label_x, label_y = digits.train_images[60:100], digits.train_labels[60:100]
    test_x, test_y = digits.test_images[:30], digits.test_labels[:30]
    images = np.concatenate([label_x, test_x])
    runs = {
        "engine-parallel": present_engine(cfg, images, trained, learning=False, input_seed=2).counts,
        "engine-serial": present_engine(cfg, images, trained, learning=False, input_seed=2,
                                        parallel=False).counts,
        "fused": present_lava(cfg, images, trained, learning=False, input_seed=2,
                              models={WTANetwork: "fused"}).counts,
        "fused-async": present_lava(cfg, images, trained, learning=False, input_seed=2,
                                    models={WTANetwork: "fused-async"}, buffer_images=7).counts,
        "composed": present_lava(cfg, images, trained, learning=False, input_seed=2).counts,
    }
    ref = runs["engine-serial"]
    assert ref.sum() > 0
    predictions = {}
    for name, counts in runs.items():
        np.testing.assert_array_equal(counts, ref, err_msg=name)
        predictions[name] = predict(counts[40:], assign_labels(counts[:40], label_y))
    for name, p in predictions.items():
        np.testing.assert_array_equal(p, predictions["composed"], err_msg=name)
    if above_chance:
        assert (predictions["engine-serial"] == test_y).mean() > 0.15, "above chance (10 %)"


@pytest.mark.slow
def test_same_predictions_on_a_test_batch(digits):
    """Train in the engine, then label and test frozen in all three executions (and in
    the engine's parallel batch): identical counts, identical predictions."""
    cfg = _cfg(**{"network.n_neurons": 16})
    trained = present_engine(cfg, digits.train_images[:60], WTAState.initial(cfg), learning=True,
                             input_seed=1).state
    check_frozen_predictions(cfg, trained, digits)


def test_engine_state_loads_into_the_lava_graph_and_back(digits):
    """A state trained in the engine continues in the composed graph exactly as it would
    have continued in the engine (one state, three executions)."""
    cfg = _cfg()
    first = present_engine(cfg, digits.train_images[:8], WTAState.initial(cfg), learning=True,
                           input_seed=3).state
    more = digits.train_images[8:12]
    in_lava = present_lava(cfg, more, first, learning=True, input_seed=6)
    in_engine = present_engine(cfg, more, first, learning=True, input_seed=6)
    np.testing.assert_array_equal(in_lava.counts, in_engine.counts)
    np.testing.assert_allclose(in_lava.state.weights, in_engine.state.weights, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(in_lava.state.theta, in_engine.state.theta, rtol=RTOL)


# ---------------------------------------------------------------------- engine behaviour
@pytest.mark.parametrize("mode", ["l1", "l2", "max"])
def test_engine_scaling_hits_the_target_for_every_neuron(digits, mode):
    from lava_wta.rules import row_norms

    target = {"l1": 30.0, "l2": 3.0, "max": 0.5}[mode]
    cfg = _cfg(**{"scaling.mode": mode, "scaling.target_norm": target})
    res = present_engine(cfg, digits.train_images[:15], WTAState.initial(cfg), learning=True, input_seed=8)
    np.testing.assert_allclose(row_norms(res.state.weights, mode), target, rtol=1e-12)


def test_engine_runs_registered_python_scaling_rules(digits):
    from lava_wta.rules import register_scaling_rule, scaling_rule_names

    if "l4-test" not in scaling_rule_names():
        register_scaling_rule("l4-test")(lambda w: (w ** 4).sum(axis=1) ** 0.25)
    cfg = _cfg(**{"scaling.mode": "l4-test", "scaling.target_norm": 1.5})
    state = WTAState.initial(cfg)
    res = present_engine(cfg, digits.train_images[:6], state, learning=True, input_seed=3)
    np.testing.assert_allclose((res.state.weights ** 4).sum(axis=1) ** 0.25, 1.5, rtol=1e-12)
    lava = present_lava(cfg, digits.train_images[:6], state, learning=True, input_seed=3)
    np.testing.assert_allclose(lava.state.weights, res.state.weights, rtol=RTOL, atol=1e-15)


@pytest.mark.slow
def test_lava_still_imports_after_the_engine_ran_in_parallel():
    """numba's thread start fixes multiprocessing's start method; lava-nc must still import."""
    import subprocess

    code = ("import numpy as np\n"
            "from lava_wta import WTAConfig\n"
            "from lava_wta.engine import present_engine\n"
            "from lava_wta.state import WTAState\n"
            "cfg = WTAConfig().with_overrides({'network.n_inputs': 4, 'network.n_neurons': 3})\n"
            "present_engine(cfg, np.full((4, 4), 200.0), WTAState.initial(cfg), learning=False, input_seed=0)\n"
            "from lava_wta.simulation import present_lava\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


@pytest.mark.slow
def test_engine_gives_the_same_numbers_for_uint8_and_float_images(digits):
    """uint8 images reach the kernels as they are (no float copy): same spikes, weights, θ."""
    cfg = _cfg()
    images = np.asarray(digits.train_images[:8])
    assert images.dtype == np.uint8
    a = present_engine(cfg, images, WTAState.initial(cfg), learning=True, input_seed=4)
    b = present_engine(cfg, images.astype(np.float64), WTAState.initial(cfg), learning=True, input_seed=4)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.state.weights, b.state.weights)
    np.testing.assert_array_equal(a.state.theta, b.state.theta)
    c = present_engine(cfg, images, a.state, learning=False, input_seed=9)
    d = present_engine(cfg, images.astype(np.float64), a.state, learning=False, input_seed=9)
    np.testing.assert_array_equal(c.counts, d.counts)
