"""The current-based (CUBA) variant runs in all three executions and they agree: the
composed Lava graph (:mod:`lava_wta.models.cuba`, the reference), the fused Lava model and
the engine (:mod:`lava_wta.kernels.cuba`).

Same tolerances as ``tests/test_engine.py``: fused model and engine bit for bit; the
composed graph gives identical spike trains, counts and retries, and weights and θ to
1e-9 relative (its input sums are numpy's, the engine's are sequential).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_engine import RTOL, _cfg, check_frozen_predictions, digits  # noqa: E402,F401  (digits: fixture)

from lava_wta.kernels import network as K  # noqa: E402
from lava_wta.pipeline import present  # noqa: E402
from lava_wta.state import WTAState  # noqa: E402


def _cuba_cfg(**over):
    """test_engine's small network, current-based; it fires more than the conductance
    model there, so a higher ``min_spikes`` makes some images retry."""
    return _cfg(**{"network.neuron_model": "current", "input.min_spikes": 28, **over})


def test_engine_selects_the_current_based_kernels():
    P = K.pack_params(_cuba_cfg(), learning=True, seed=0)
    assert P.current and K.rest_potentials(P) == (-65.0, -60.0)
    assert P.cuba_exc.hold_steps == 0 and P.cuba_inh.membrane.inh_current_mv == 0.0
    assert not K.pack_params(_cfg(), learning=True, seed=0).current


@pytest.mark.slow
def test_current_based_training_and_predictions_agree(digits):
    """Train 40 images in the engine and in the composed graph (same weights), then label
    and test frozen in every execution: identical counts and predictions."""
    cfg = _cuba_cfg(**{"network.n_neurons": 16, "input.min_spikes": 45})
    train_x = digits.train_images[:40]
    initial = WTAState.initial(cfg)
    eng = present(cfg, train_x, initial, backend="engine", learning=True, input_seed=1)
    lava = present(cfg, train_x, initial, backend="lava", learning=True, input_seed=1)
    assert eng.retries > 0
    np.testing.assert_array_equal(lava.counts, eng.counts)
    assert (lava.presentations, lava.retries) == (eng.presentations, eng.retries)
    np.testing.assert_allclose(lava.state.weights, eng.state.weights, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(lava.state.theta, eng.state.theta, rtol=RTOL)

    # no accuracy floor here: this 16-neuron current-based network trained on 40 images
    # is at chance (measured over input seeds 1-8: 10-23 % of the 30 test images, with
    # and without θ's decay at the reset); the current-based accuracy on MNIST is measured
    # in the README. The check is that every execution predicts the same.
    check_frozen_predictions(cfg, eng.state, digits, above_chance=False)
