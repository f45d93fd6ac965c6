"""Several passes over the training images: order, Poisson streams, per-pass accuracy,
and resumption across pass boundaries."""
import numpy as np
import pytest

from lava_wta import WTAConfig, pipeline
from lava_wta.config import ConfigError
from lava_wta.data import load_dataset
from lava_wta.state import STREAM_TRAIN_INPUT, WTAState, epoch_input_seed, epoch_order, stream_seed

BASE = {"network.n_inputs": 64, "network.n_neurons": 8, "time.presentation_ms": 20.0,
        "scaling.mode": "l1", "scaling.target_norm": 8.0, "seed": 3}
KW = dict(n_train=24, n_label=20, n_test=20, progress=False, checkpoint_every=5)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_pass_order_and_stream():
    cfg = WTAConfig().with_overrides({"seed": 5})
    assert np.array_equal(epoch_order(cfg, 50, 0), np.arange(50))
    orders = [epoch_order(cfg, 50, e) for e in (1, 2)]
    for order in orders:
        assert sorted(order) == list(range(50)) and not np.array_equal(order, np.arange(50))
    assert not np.array_equal(*orders)
    assert np.array_equal(epoch_order(cfg, 50, 1), orders[0])                  # from the seed alone
    assert not np.array_equal(epoch_order(cfg.with_overrides({"seed": 6}), 50, 1), orders[0])
    assert epoch_input_seed(cfg, 0) == stream_seed(cfg, STREAM_TRAIN_INPUT)   # one pass: unchanged
    assert len({epoch_input_seed(cfg, e) for e in range(4)}) == 4


@pytest.mark.parametrize("epochs", [0, -1, 1001, 2.5])
def test_epochs_out_of_range_is_refused(epochs):
    with pytest.raises(ConfigError, match="training.epochs"):
        WTAConfig().with_overrides({"training.epochs": epochs})


def test_passes_are_successive_trainings_on_shuffled_images(tmp_path, digits):
    """A 3-pass run's state is the one of three calls of ``train`` on the shuffled images
    with each pass's stream, and its metrics hold the accuracy after each pass."""
    cfg = WTAConfig().with_overrides({**BASE, "training.epochs": 3})
    m = pipeline.run_experiment(cfg, digits, out_dir=tmp_path / "run", **KW)
    x, y = digits.train_images[:KW["n_train"]], digits.train_labels[:KW["n_train"]]
    state = None
    for epoch in range(3):
        order = epoch_order(cfg, len(x), epoch)
        state = pipeline.train(cfg, x[order], y[order], state=state, progress=False, epoch=epoch).state
    saved = WTAState.load(tmp_path / "run" / "state.npz")
    assert np.array_equal(saved.weights, state.weights) and np.array_equal(saved.theta, state.theta)
    assert [e["epoch"] for e in m["epochs"]] == [1, 2, 3]
    assert all(0.0 <= e["accuracy"] <= 1.0 for e in m["epochs"])
    assert m["epochs"][-1]["accuracy"] == m["accuracy"]
    assert m["train"]["steps"] == sum(e["steps"] for e in m["epochs"])
    curve = m["training_curve"]["images"]
    assert curve == sorted(curve) and curve[-1] == 3 * KW["n_train"]
    left = {p.name for p in (tmp_path / "run").iterdir()}
    assert not left & {"epochs.json", "checkpoint.npz", "checkpoint.json"}
    assert not any(n.startswith("epoch_") for n in left)
    snaps = np.load(tmp_path / "run" / "snapshots.npz")
    assert snaps["images"][0] == 0 and snaps["images"][-1] == 3 * KW["n_train"]
    assert np.all(np.diff(snaps["images"]) > 0)
    assert np.array_equal(snaps["weights"][-1], saved.weights[:len(snaps["neurons"])].astype(np.float32))


class _Stop(Exception):
    pass


@pytest.mark.parametrize("stop_at", [2, 5, 6, 11])
def test_an_interrupted_run_resumes_bit_for_bit_across_pass_boundaries(tmp_path, digits, monkeypatch,
                                                                        stop_at):
    """Interrupted after the ``stop_at``-th checkpoint or pass record (inside a pass, right
    after a pass, before the last), then started again: the same state and accuracies as
    an uninterrupted run."""
    cfg = WTAConfig().with_overrides({**BASE, "training.epochs": 3})
    whole = pipeline.run_experiment(cfg, digits, out_dir=tmp_path / "whole", **KW)

    writes = {"n": 0}
    real_save, real_write = pipeline._RunCheckpoint.save, pipeline.Manifest.write

    def count():
        writes["n"] += 1
        if writes["n"] == stop_at:
            raise _Stop

    def save(self, **kwargs):
        real_save(self, **kwargs)
        count()

    def write(self, name, data):
        real_write(self, name, data)
        if name == pipeline.EPOCHS_FILE or name.startswith("epoch_"):
            count()

    monkeypatch.setattr(pipeline._RunCheckpoint, "save", save)
    monkeypatch.setattr(pipeline.Manifest, "write", write)
    with pytest.raises(_Stop):
        pipeline.run_experiment(cfg, digits, out_dir=tmp_path / "cut", **KW)
    monkeypatch.undo()
    resumed = pipeline.run_experiment(cfg, digits, out_dir=tmp_path / "cut", **KW)
    assert (tmp_path / "cut" / "state.npz").read_bytes() == (tmp_path / "whole" / "state.npz").read_bytes()
    assert [e["accuracy"] for e in resumed["epochs"]] == [e["accuracy"] for e in whole["epochs"]]
    assert resumed["confusion_matrix"] == whole["confusion_matrix"]
