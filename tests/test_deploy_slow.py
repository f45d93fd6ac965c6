"""Deployment checks on a trained MNIST run (slow: skipped unless LAVA_WTA_DEPLOY_RUN is set).

    LAVA_WTA_DEPLOY_RUN=runs/cuba-demo .venv/bin/pytest -q tests/test_deploy_slow.py

needs a run folder of the current-based model (see docs/DEPLOY.md); takes about 20-40
minutes on two cores (four passes of 2,000 images through Lava; the fixed-point
emulator's pass takes seconds).
"""
import os
from pathlib import Path

import pytest

RUN = os.environ.get("LAVA_WTA_DEPLOY_RUN")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not RUN, reason="set LAVA_WTA_DEPLOY_RUN to a current-based run folder")]


@pytest.fixture(scope="module")
def dataset():
    import json

    from lava_wta.data import load_dataset

    meta = json.loads((Path(RUN) / "metrics.json").read_text())
    return load_dataset(meta["dataset"])


def test_nir_round_trip_is_identical_on_1000_test_images(dataset, tmp_path_factory):
    from lava_wta.nir.report import nir_roundtrip_report

    out = tmp_path_factory.mktemp("rt")
    r = nir_roundtrip_report(RUN, dataset, n_label=1000, n_test=1000, nir_path=out / "net.nir",
                             out=out / "nir_roundtrip.json", against="engine")
    assert (r["backend"], r["against"]) == ("nir", "engine")
    assert r["counts_identical"], r["first_differing_images"]
    assert r["imported_accuracy"] == r["original_accuracy"]


def test_loihi_fixed_point_within_half_a_point_on_1000_test_images(dataset, tmp_path_factory):
    from lava_wta.loihi import loihi_report

    out = tmp_path_factory.mktemp("loihi")
    r = loihi_report(RUN, dataset, n_label=1000, n_test=1000, out=out / "loihi_report.json",
                     float_backend="engine", fixed_backend="loihi-fixed")
    assert abs(r["difference_percentage_points"]) <= 0.5, r
    emu = loihi_report(RUN, dataset, n_label=1000, n_test=1000, out=out / "emulator.json",
                       float_backend="engine", fixed_backend="loihi-emulator")
    for key in ("fixed_accuracy", "fixed_accuracy_with_float_labels", "images_with_identical_counts",
                "spikes_per_image", "retries", "quantisation"):
        assert emu[key] == r[key], key
