"""Every registered backend honours the same contract: the registry names them all, a
training pass interrupted after a checkpoint resumes to exactly the weights, θ, counts and
retries of an uninterrupted pass (bit for bit), and a backend that cannot run user
ProcessModels refuses them."""
import numpy as np
import pytest

from lava_wta import WTAConfig
from lava_wta.backends import BACKENDS, backend_names, get_backend
from lava_wta.data import load_dataset
from lava_wta.presentation import Checkpoint
from lava_wta.state import WTAState


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _cfg():
    return WTAConfig().with_overrides({
        "network.n_inputs": 64, "network.n_neurons": 12, "time.presentation_ms": 40.0,
        "input.pixel_rate_hz": 2.0, "input.min_spikes": 8, "input.max_retries": 3,
        "scaling.target_norm": 3.0})


def test_the_registry_names_every_backend_once():
    assert list(BACKENDS) == backend_names() == ["engine", "lava-fused", "lava-async", "lava"]
    assert [get_backend(b).runs_process_models for b in BACKENDS] == [False, False, False, True]
    with pytest.raises(ValueError, match=r"backend: expected one of \['engine'.*got 'gpu'"):
        get_backend("gpu")


@pytest.mark.parametrize("backend", BACKENDS)
def test_interrupted_training_resumes_bit_for_bit(digits, tmp_path, backend):
    cfg = _cfg()
    images = digits.train_images[:12]
    present = get_backend(backend).present
    full = present(cfg, images, WTAState.initial(cfg), learning=True, input_seed=5, chunk_images=2)
    assert full.retries > 0, "the scenario must exercise the adaptive intensity"

    class Interrupt(Exception):
        pass

    def die_late(done, counts, stats):
        if done >= 8:
            raise Interrupt

    ckpt = Checkpoint(tmp_path / "ckpt.npz", every_images=4)
    with pytest.raises(Interrupt):
        present(cfg, images, WTAState.initial(cfg), learning=True, input_seed=5, checkpoint=ckpt,
                on_progress=die_late, chunk_images=2)
    start = int(ckpt.load()["image_index"])
    assert 0 < start < len(images)
    resumed = present(cfg, images, WTAState.initial(cfg), learning=True, input_seed=5, checkpoint=ckpt,
                      chunk_images=2)
    assert resumed.resumed_from == start
    assert (resumed.presentations, resumed.retries, resumed.capped) == (full.presentations, full.retries,
                                                                        full.capped)
    np.testing.assert_array_equal(resumed.state.weights, full.state.weights)
    np.testing.assert_array_equal(resumed.state.theta, full.state.theta)
    np.testing.assert_array_equal(resumed.counts, full.counts)
