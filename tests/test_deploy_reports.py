"""The deployment reports on a trained run: NIR round trip and Loihi fixed point, with the
run's own neuron labels (test images only) and the engine as the floating-point reference."""
import json

import numpy as np
import pytest

from lava_wta import WTAConfig, pipeline
from lava_wta.data import load_dataset
from lava_wta.state import WTAState


@pytest.fixture(scope="module")
def cuba_run(tmp_path_factory):
    data = load_dataset("digits")
    cfg = WTAConfig().with_overrides({
        "network.n_inputs": 64, "network.n_neurons": 8, "network.neuron_model": "current",
        "time.presentation_ms": 30.0, "input.pixel_rate_hz": 1.0})
    out = tmp_path_factory.mktemp("deploy") / "run"
    pipeline.run_experiment(cfg, data, n_train=40, n_label=30, n_test=10, out_dir=out, progress=False)
    return out, data


def test_nir_round_trip_of_a_trained_run_gives_the_engine_counts(cuba_run):
    from lava_wta.nir.report import nir_roundtrip_report

    run, data = cuba_run
    r = nir_roundtrip_report(run, data, n_label=0, n_test=6)
    assert r["counts_identical"] and r["images_with_different_counts"] == 0
    assert r["predictions_identical"] and r["original_accuracy"] == r["imported_accuracy"]
    assert r["original_backend"] == "engine" and r["label_from"] == "the run's neuron labels"
    assert json.loads((run / "nir_roundtrip.json").read_text())["n_test"] == 6


def test_loihi_report_of_a_trained_run(cuba_run, tmp_path):
    from lava_wta.loihi import loihi_report

    run, data = cuba_run
    r = loihi_report(run, data, n_label=0, n_test=6, out=tmp_path / "loihi.json")
    assert r["images"] == 6 and 0 <= r["images_with_identical_counts"] <= 6
    assert 0.0 <= r["fixed_accuracy"] <= 1.0 and r["float_backend"] == "engine"
    assert r["difference_percentage_points"] == pytest.approx(100 * (r["fixed_accuracy"] - r["float_accuracy"]))
    assert (tmp_path / "loihi.json").is_file()


def test_report_without_labels_or_labelling_images_names_the_problem(cuba_run, tmp_path):
    from lava_wta.nir.report import nir_roundtrip_report

    run, data = cuba_run
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "metrics.json"):
        (bare / name).write_text((run / name).read_text())
    cfg = WTAConfig.load(run / "config.json")
    state = WTAState.load(run / "state.npz", cfg)
    WTAState(state.weights, state.theta).save(bare / "state.npz")
    with pytest.raises(ValueError, match="no neuron labels"):
        nir_roundtrip_report(bare, data, n_label=0, n_test=4)
    r = nir_roundtrip_report(bare, data, n_label=20, n_test=4)      # labelled here instead
    assert r["counts_identical"] and r["n_label"] == 20
