"""Several passes over the training images: order, Poisson streams, per-pass accuracy,
and resumption across pass boundaries."""
import json
from pathlib import Path

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


@pytest.mark.parametrize("first", [1, 2])
def test_a_finished_run_continued_with_more_passes_is_the_run_of_all_passes(tmp_path, digits, first):
    """A finished run of ``first`` passes started again with 3 keeps its passes and ends,
    bit for bit, as a run asked for 3 passes at once: state, per-pass accuracies and
    training curve; the accuracy after its last pass is taken from its metrics."""
    whole = pipeline.run_experiment(WTAConfig().with_overrides({**BASE, "training.epochs": 3}), digits,
                                    out_dir=tmp_path / "whole", **KW)
    pipeline.run_experiment(WTAConfig().with_overrides({**BASE, "training.epochs": first}), digits,
                            out_dir=tmp_path / "more", **KW)
    earlier = pipeline.evaluate_run(tmp_path / "more", digits, n_label=10, n_test=10, progress=False)
    more = pipeline.run_experiment(WTAConfig().with_overrides({**BASE, "training.epochs": 3}), digits,
                                   out_dir=tmp_path / "more", **KW)
    for name in ("state.npz", "snapshots.npz"):
        assert (tmp_path / "more" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    assert [e["accuracy"] for e in more["epochs"]] == [e["accuracy"] for e in whole["epochs"]]
    assert more["training_curve"] == whole["training_curve"]
    assert [e["steps"] for e in more["epochs"]] == [e["steps"] for e in whole["epochs"]]
    assert more["confusion_matrix"] == whole["confusion_matrix"] and not more["train_reused"]
    left = {p.name for p in (tmp_path / "more").iterdir()}
    assert "epochs.json" not in left and not any(n.startswith("epoch_") for n in left)
    kept = tmp_path / "more" / f"evaluations-after-pass-{first}" / Path(earlier["evaluation_folder"]).name
    assert "evaluations" not in left      # the evaluation of the state after pass `first`, kept aside
    assert json.loads((kept / "metrics.json").read_text())["accuracy"] == earlier["accuracy"]


def test_continuing_measures_the_last_pass_again_when_its_evaluation_differs(tmp_path, digits, monkeypatch):
    """The accuracy after the last kept pass comes from the run's metrics only when they
    were measured as now asked (here: another number of test images), else it is measured."""
    pipeline.run_experiment(WTAConfig().with_overrides({**BASE, "training.epochs": 1}), digits,
                            out_dir=tmp_path / "run", **KW)
    whole = pipeline.run_experiment(WTAConfig().with_overrides({**BASE, "training.epochs": 2}), digits,
                                    out_dir=tmp_path / "whole", **{**KW, "n_test": 30})
    more = pipeline.run_experiment(WTAConfig().with_overrides({**BASE, "training.epochs": 2}), digits,
                                   out_dir=tmp_path / "run", **{**KW, "n_test": 30})
    assert [e["accuracy"] for e in more["epochs"]] == [e["accuracy"] for e in whole["epochs"]]


def test_fewer_passes_than_trained_are_refused(tmp_path, digits):
    from lava_wta.errors import RunFolderError

    pipeline.run_experiment(WTAConfig().with_overrides({**BASE, "training.epochs": 2}), digits,
                            out_dir=tmp_path / "run", **KW)
    with pytest.raises(RunFolderError, match="training.epochs: 2 -> 1"):
        pipeline.run_experiment(WTAConfig().with_overrides({**BASE, "training.epochs": 1}), digits,
                                out_dir=tmp_path / "run", **KW)


@pytest.mark.parametrize("cut", ["inside a pass", "while reopening"])
def test_continuing_with_more_passes_after_a_kill(tmp_path, digits, monkeypatch, cut):
    """Killed inside a pass of a 2-pass run, or while a finished 2-pass run is reopened
    for a third pass (its pass records written, ``train.json`` not yet removed), then
    started with 3 passes: the run of 3 passes at once, bit for bit."""
    three = WTAConfig().with_overrides({**BASE, "training.epochs": 3})
    two = WTAConfig().with_overrides({**BASE, "training.epochs": 2})
    whole = pipeline.run_experiment(three, digits, out_dir=tmp_path / "whole", **KW)
    if cut == "inside a pass":
        real_save = pipeline._RunCheckpoint.save
        saves = {"n": 0}

        def save(self, **kwargs):
            real_save(self, **kwargs)
            saves["n"] += 1
            if saves["n"] == 7:            # the 2nd checkpoint of the 2nd pass
                raise _Stop

        monkeypatch.setattr(pipeline._RunCheckpoint, "save", save)
        with pytest.raises(_Stop):
            pipeline.run_experiment(two, digits, out_dir=tmp_path / "cut", **KW)
    else:
        pipeline.run_experiment(two, digits, out_dir=tmp_path / "cut", **KW)
        real_forget = pipeline.Manifest.forget

        def forget(self, name):
            if name == "train.json":
                raise _Stop
            real_forget(self, name)

        monkeypatch.setattr(pipeline.Manifest, "forget", forget)
        with pytest.raises(_Stop):
            pipeline.run_experiment(three, digits, out_dir=tmp_path / "cut", **KW)
        assert (tmp_path / "cut" / "train.json").is_file() and (tmp_path / "cut" / "epochs.json").is_file()
    monkeypatch.undo()
    resumed = pipeline.run_experiment(three, digits, out_dir=tmp_path / "cut", **KW)
    assert (tmp_path / "cut" / "state.npz").read_bytes() == (tmp_path / "whole" / "state.npz").read_bytes()
    assert [e["accuracy"] for e in resumed["epochs"]] == [e["accuracy"] for e in whole["epochs"]]
