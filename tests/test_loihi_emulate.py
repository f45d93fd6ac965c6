"""The fast fixed-point emulation (backend ``loihi-emulator``, lava_wta.loihi.emulate) gives
exactly the spike counts, presentations and retries of the quantised network run in Lava
with lava-nc's bit-accurate models (backend ``loihi-fixed``, select_tag="fixed_pt"), image
for image."""
import numpy as np
import pytest

from lava_wta import WTAConfig
from lava_wta.backends import get_backend
from lava_wta.data import load_dataset
from lava_wta.engine import present_engine
from lava_wta.loihi.emulate import emulate_fixed
from lava_wta.loihi.quantize import quantize
from lava_wta.nir.export import to_nir_graph
from lava_wta.nir.importer import plan_nir
from lava_wta.state import WTAState


@pytest.fixture(scope="module")
def trained():
    digits = load_dataset("digits")
    cfg = WTAConfig().with_overrides({
        "network.n_inputs": 64, "network.n_neurons": 12, "network.neuron_model": "current",
        "time.presentation_ms": 40.0, "input.pixel_rate_hz": 2.0, "input.min_spikes": 28,
        "input.max_retries": 3, "scaling.target_norm": 3.0})
    state = present_engine(cfg, digits.train_images[:40], WTAState.initial(cfg), learning=True,
                           input_seed=1).state
    return cfg, state, digits.test_images[:12]


@pytest.mark.parametrize("case", ["default", "wrapping-u", pytest.param("rest", marks=pytest.mark.slow)])
def test_emulation_equals_the_bit_accurate_lava_run(trained, case):
    cfg, state, images = trained
    if case == "wrapping-u":      # a scale so large that u wraps around (24 bits) in a burst
        cfg = cfg.with_overrides({"loihi.u_range_spikes": 0.5})
    if case == "rest":
        cfg = cfg.with_overrides({"time.between_images": "rest", "time.rest_ms": 10.0})
    emu = get_backend("loihi-emulator").present(cfg, images, state, learning=False, input_seed=7)
    lava = get_backend("loihi-fixed").present(cfg, images, state, learning=False, input_seed=7)
    assert emu.counts.sum() > 100
    np.testing.assert_array_equal(emu.counts, lava.counts)
    assert (emu.presentations, emu.retries, emu.capped, emu.steps) == (
        lava.presentations, lava.retries, lava.capped, lava.steps)
    if case == "wrapping-u":
        flt = present_engine(cfg, images, state, learning=False, input_seed=7)
        assert emu.counts.sum() > 1.5 * flt.counts.sum(), "wrapped inhibition excites"


def test_emulation_refuses_other_graphs(trained):
    cfg, state, images = trained
    fixed = quantize(plan_nir(to_nir_graph(state, cfg)), cfg.loihi)
    fixed.outputs = {"elsewhere": "exc"}
    with pytest.raises(ValueError, match="Output"):
        emulate_fixed(fixed, cfg, images, input_seed=0)


def test_loihi_report_command_with_the_emulator_and_a_quantiser_setting(tmp_path, capsys):
    """``lava-wta loihi-report RUN --fixed-backend loihi-emulator --set loihi.FIELD=VALUE``
    gives the report of the Lava run (``loihi-fixed``, the default) with the same setting."""
    from lava_wta import pipeline
    from lava_wta.deploy_cli import main
    from lava_wta.loihi import loihi_report

    data = load_dataset("digits")
    cfg = WTAConfig().with_overrides({
        "network.n_inputs": 64, "network.n_neurons": 8, "network.neuron_model": "current",
        "time.presentation_ms": 30.0, "input.pixel_rate_hz": 1.0})
    run = tmp_path / "run"
    pipeline.run_experiment(cfg, data, n_train=40, n_label=30, n_test=10, out_dir=run, progress=False)
    assert main(["loihi-report", str(run), "--test-images", "6", "--fixed-backend", "loihi-emulator",
                 "--set", "loihi.u_range_spikes=4"]) == 0
    assert "Loihi fixed point (loihi-emulator)" in capsys.readouterr().out
    import json

    emu = json.loads((run / "loihi_report.json").read_text())
    assert emu["fixed_backend"] == "loihi-emulator" and emu["loihi"]["u_range_spikes"] == 4
    lava = loihi_report(run, data, n_test=6, loihi_overrides={"u_range_spikes": 4},
                        out=tmp_path / "lava.json")
    assert lava["fixed_backend"] == "loihi-fixed"
    for key in ("fixed_accuracy", "spikes_per_image", "retries", "images_with_identical_counts",
                "quantisation"):
        assert emu[key] == lava[key], key
    assert main(["loihi-report", str(run), "--set", "time.dt_ms=1"]) == 2
