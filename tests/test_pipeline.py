"""run_experiment: a finished training is not repeated when evaluation was interrupted."""
import json

import pytest

from lava_wta import WTAConfig, pipeline
from lava_wta.data import load_dataset


def test_interrupted_evaluation_reuses_the_finished_training(tmp_path, monkeypatch):
    data = load_dataset("digits")
    cfg = WTAConfig().with_overrides({"network.n_inputs": 64, "network.n_neurons": 6,
                                      "time.presentation_ms": 20.0, "input.pixel_rate_hz": 1.0})
    kwargs = dict(n_train=12, n_label=10, n_test=10, out_dir=tmp_path / "run", progress=False)
    real_evaluate = pipeline._evaluate_and_write

    def crash(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_evaluate_and_write", crash)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_experiment(cfg, data, **kwargs)
    assert (tmp_path / "run" / "train.json").is_file() and not (tmp_path / "run" / "metrics.json").exists()

    def no_training(*args, **kw):
        raise AssertionError("training ran again")

    monkeypatch.setattr(pipeline, "_evaluate_and_write", real_evaluate)
    monkeypatch.setattr(pipeline, "train", no_training)
    metrics = pipeline.run_experiment(cfg, data, **kwargs)
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["accuracy"] == metrics["accuracy"] and saved["n_train"] == 12
    assert saved["train"] == json.loads((tmp_path / "run" / "train.json").read_text())["train"]

    # other training images: the record does not apply, training runs again
    monkeypatch.setattr(pipeline, "train", no_training)
    with pytest.raises(AssertionError, match="training ran again"):
        pipeline.run_experiment(cfg, data, **{**kwargs, "n_train": 14})


def test_evaluation_uses_the_eval_presentation_time(tmp_path):
    data = load_dataset("digits")
    base = {"network.n_inputs": 64, "network.n_neurons": 6, "time.presentation_ms": 20.0,
            "input.pixel_rate_hz": 1.0, "input.max_retries": 0}
    kwargs = dict(n_train=4, n_label=5, n_test=5, progress=False)
    short = pipeline.run_experiment(WTAConfig().with_overrides(base), data, out_dir=tmp_path / "a", **kwargs)
    long = pipeline.run_experiment(WTAConfig().with_overrides({**base, "time.eval_presentation_ms": 35.0}),
                                   data, out_dir=tmp_path / "b", **kwargs)
    assert short["train"]["steps"] == long["train"]["steps"] == 4 * 40         # training unchanged
    assert short["evaluate"]["steps"] == 10 * 40 and long["evaluate"]["steps"] == 10 * 70
    from lava_wta.analysis.weights import load_label_counts

    counts, labels, n_classes, _ = load_label_counts(tmp_path / "a" / "label_counts.npz", n_neurons=6)
    assert counts.shape == (5, 6) and labels.shape == (5,) and n_classes == 10


def test_a_changed_configuration_is_named_and_only_training_fields_block_resuming(tmp_path, monkeypatch):
    data = load_dataset("digits")
    base = {"network.n_inputs": 64, "network.n_neurons": 6, "time.presentation_ms": 20.0,
            "input.pixel_rate_hz": 1.0, "input.max_retries": 0}
    kwargs = dict(n_train=4, n_label=5, n_test=5, out_dir=tmp_path / "run", progress=False)
    pipeline.run_experiment(WTAConfig().with_overrides(base), data, **kwargs)
    with pytest.raises(ValueError, match=r"different configuration.*stdp\.nu_post: 0\.01 -> 0\.02"):
        pipeline.run_experiment(WTAConfig().with_overrides({**base, "stdp.nu_post": 0.02}), data, **kwargs)

    def no_training(*args, **kw):
        raise AssertionError("training ran again")

    # evaluation and fixed-point fields do not change the trained state: it is reused, and the
    # old metrics (another evaluation) are gone even if the new evaluation is interrupted
    monkeypatch.setattr(pipeline, "train", no_training)
    real_evaluate = pipeline._evaluate_and_write

    def crash(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_evaluate_and_write", crash)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_experiment(WTAConfig().with_overrides({**base, "time.eval_presentation_ms": 30.0}), data,
                                **kwargs)
    assert not (tmp_path / "run" / "metrics.json").exists()
    monkeypatch.setattr(pipeline, "_evaluate_and_write", real_evaluate)
    metrics = pipeline.run_experiment(
        WTAConfig().with_overrides({**base, "loihi.u_range_spikes": 16.0, "time.eval_presentation_ms": 30.0}),
        data, **kwargs)
    assert metrics["evaluate"]["steps"] == 10 * 60
    assert WTAConfig.load(tmp_path / "run" / "config.json").loihi.u_range_spikes == 16.0
