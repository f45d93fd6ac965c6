"""Figures of a run: what each one shows, and the records behind them."""
from __future__ import annotations

import numpy as np
import pytest

from lava_wta import WTAConfig, evaluation, plots
from lava_wta.data import load_dataset
from lava_wta.engine import SpikeRaster, present_engine, record_presentation
from lava_wta.pipeline import run_experiment, train
from lava_wta.presentation import Checkpoint
from lava_wta.runfolder import Manifest, loads_json
from lava_wta.state import WTAState

BASE = {"network.n_inputs": 64, "network.n_neurons": 6, "time.presentation_ms": 10.0,
        "input.pixel_rate_hz": 1.0}


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _texts(fig):
    return [t for ax in fig.axes for t in ax.texts]


def test_the_mosaic_labels_every_tile_and_separates_the_tiles():
    rng = np.random.default_rng(0)
    weights = rng.random((10, 12))
    assignments = np.array([0, 1, 2, -1, 1, 0, 2, 2, -1, 1])
    names = ["zero", "one", "two"]
    fig = plots.weights_figure(weights, (3, 4), assignments=assignments, class_names=names)
    texts = [t.get_text() for t in _texts(fig)]
    assert len(texts) == 10
    assert texts == [plots.UNASSIGNED if a < 0 else names[a] for a in assignments]
    mosaic = plots.weight_mosaic(weights, (3, 4), gap=1)      # 3 rows of 4 tiles of 3 x 4, 1 apart
    assert mosaic.shape == (3 * 4 - 1, 4 * 5 - 1)
    assert np.isnan(mosaic[3]).all() and np.isnan(mosaic[:, 4]).all()
    np.testing.assert_array_equal(mosaic[4:7, 5:9], weights[5].reshape(3, 4))
    assert np.isnan(mosaic[8:, 10:]).all()                    # tiles 10 and 11 are empty
    assert not _texts(plots.weights_figure(weights, (3, 4)))


def _raster_offsets(fig):
    return [c.get_offsets() for ax in fig.axes for c in ax.collections]


def test_the_raster_draws_exactly_the_spikes_it_is_given_and_marks_the_winner():
    rng = np.random.default_rng(1)
    inputs = rng.random((40, 16)) < 0.1
    exc = np.zeros((40, 5), bool)
    exc[[3, 9, 20], 2] = True            # neuron 2 wins with 3 spikes
    exc[[5, 30], 4] = True
    raster = SpikeRaster(inputs, exc, np.zeros_like(exc), dt_ms=0.5, presentation_steps=40, retry=0)
    assert raster.winner == 2 and raster.counts.tolist() == [0, 0, 3, 0, 2]
    fig = plots.raster_figure(raster, assignments=np.array([1, 0, 7, 3, 3]))
    ins, others, winner = _raster_offsets(fig)
    t, pix = np.nonzero(inputs)
    np.testing.assert_array_equal(ins, np.column_stack([t * 0.5, pix]))
    np.testing.assert_array_equal(winner, [[1.5, 2], [4.5, 2], [10.0, 2]])
    np.testing.assert_array_equal(others, [[2.5, 4], [15.0, 4]])
    assert "winner: neuron 2, class 7 (3 spikes)" in fig._suptitle.get_text()
    silent = SpikeRaster(inputs, np.zeros_like(exc), np.zeros_like(exc), 0.5, 40, 0)
    assert silent.winner == -1
    assert "no neuron fired" in plots.raster_figure(silent)._suptitle.get_text()


def test_a_recorded_presentation_has_the_counts_of_the_frozen_pass(digits):
    cfg = WTAConfig().with_overrides({**BASE, "input.min_spikes": 3})
    state = train(cfg, digits.train_images[:20], progress=False, snapshots=0).state
    image = digits.test_images[3]
    raster = record_presentation(cfg, state, image, input_seed=4)
    frozen = present_engine(cfg, image[None], state, learning=False, input_seed=4)
    np.testing.assert_array_equal(raster.counts, frozen.counts[0])
    assert raster.retry == frozen.retries
    assert raster.inputs.shape == (cfg.time.period_steps, 64) and raster.inputs.any()
    # no input spike on a pixel that is 0
    assert not raster.inputs[:, np.asarray(image) == 0].any()


def test_the_training_curve_has_a_finite_value_for_every_block():
    # neuron c fires 2 spikes for class c: online labels classify every image after the first block
    labels = np.tile(np.arange(3), 10)
    counts = np.zeros((30, 3), np.int64)
    counts[np.arange(30), labels] = 2
    curve = evaluation.training_curve(counts, labels, n_classes=3, points=5)
    assert curve["images"] == [6, 12, 18, 24, 30]
    assert curve["spikes_per_image"] == [2.0] * 5
    assert curve["online_accuracy_images"] == [12, 18, 24, 30]
    assert curve["online_accuracy"] == [1.0] * 4
    few = evaluation.training_curve(counts[:2], labels[:2], n_classes=3, points=20)
    assert few["images"] == [1, 2] and few["online_accuracy"] == [0.0]   # class 1 unseen before
    unlabelled = evaluation.training_curve(counts)
    assert set(unlabelled) == {"images", "spikes_per_image"}
    assert len(unlabelled["images"]) == 20 and unlabelled["images"][-1] == 30
    assert unlabelled["spikes_per_image"] == [2.0] * 20


def test_online_labels_added_in_chunks_are_the_labels_of_all_the_images():
    rng = np.random.default_rng(3)
    counts = rng.poisson(0.7, size=(50, 8))
    labels = rng.integers(0, 4, size=50)
    online = evaluation.OnlineLabels(4, 8)
    for a, b in ((0, 7), (7, 30), (30, 50)):
        online.add(counts[a:b], labels[a:b])
    np.testing.assert_array_equal(online.assignments(), evaluation.assign_labels(counts, labels, 4))
    assert evaluation.OnlineLabels(4, 8).assignments().tolist() == [-1] * 8


def test_snapshots_are_taken_as_configured_and_hold_the_weights_of_that_moment(digits, tmp_path):
    cfg = WTAConfig().with_overrides(BASE)
    images = digits.train_images[:8]
    state = WTAState.initial(cfg)
    for checkpoint in (None, Checkpoint(tmp_path / "c.npz", every_images=4)):
        run = train(cfg, images, progress=False, snapshots=5, snapshot_neurons=4, state=state,
                    checkpoint=checkpoint)
        snaps = run.snapshots
        assert snaps["images"].tolist() == [0, 2, 4, 6, 8]
        assert snaps["weights"].shape == (5, 4, 64) and snaps["neurons"].tolist() == [0, 1, 2, 3]
        np.testing.assert_array_equal(snaps["weights"][0], state.weights[:4].astype(np.float32))
        np.testing.assert_array_equal(snaps["weights"][-1], run.state.weights[:4].astype(np.float32))
        # the weights after 4 images of the pass are those of a pass over these 4 images
        part = train(cfg, images[:4], progress=False, snapshots=0, state=state).state
        np.testing.assert_array_equal(snaps["weights"][2], part.weights[:4].astype(np.float32))
    assert (tmp_path / "c.npz").is_file()        # the real checkpoint was written too
    plain = train(cfg, images, progress=False, snapshots=0, state=state)
    assert plain.snapshots is None
    np.testing.assert_array_equal(plain.state.weights, run.state.weights)   # snapshots change nothing


def test_a_run_folder_holds_every_figure_and_strict_json(digits, tmp_path):
    out = tmp_path / "run"
    metrics = run_experiment(WTAConfig().with_overrides(BASE), digits, n_train=12, n_label=6, n_test=4,
                             out_dir=out, progress=False)
    for name in ("weights.png", "confusion.png", "theta_hist.png", "training_curve.png", "raster.png",
                 "weights_over_training.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    curve = loads_json((out / "metrics.json").read_text())["training_curve"]
    assert curve == metrics["training_curve"]
    assert len(curve["images"]) == 12 and len(curve["online_accuracy"]) == 11
    assert all(np.isfinite(v) for key in ("spikes_per_image", "online_accuracy") for v in curve[key])
    with np.load(out / "snapshots.npz") as z:
        assert z["images"].tolist()[0] == 0 and z["images"].tolist()[-1] == 12
    Manifest(out).verify_all()
    assert not list(out.glob(".*.tmp"))


def test_a_resumed_training_keeps_the_snapshots_taken_before_the_interruption(digits, tmp_path, monkeypatch):
    from lava_wta import pipeline

    cfg = WTAConfig().with_overrides(BASE)
    kw = dict(n_train=8, n_label=4, n_test=4, progress=False, checkpoint_every=4)
    real_save = pipeline._RunCheckpoint.save

    def save_then_die(self, **k):
        real_save(self, **k)
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline._RunCheckpoint, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(cfg, digits, out_dir=tmp_path / "run", **kw)
    monkeypatch.setattr(pipeline._RunCheckpoint, "save", real_save)
    resumed = run_experiment(cfg, digits, out_dir=tmp_path / "run", **kw)
    assert resumed["train"]["resumed_from_image"] == 4
    run_experiment(cfg, digits, out_dir=tmp_path / "fresh", **kw)
    with np.load(tmp_path / "run" / "snapshots.npz") as a, np.load(tmp_path / "fresh" / "snapshots.npz") as b:
        assert a["images"].tolist() == b["images"].tolist() == [0, 2, 4, 6, 8]
        np.testing.assert_array_equal(a["weights"], b["weights"])
