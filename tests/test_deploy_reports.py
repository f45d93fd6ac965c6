"""The deployment reports on a trained run: NIR round trip and Loihi fixed point, with the
run's own neuron labels (test images only) and the engine as the floating-point reference;
their backends are named from the registry, on the command line too."""
import json

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
    assert (r["backend"], r["against"]) == ("nir", "engine")
    assert r["label_from"] == "the run's neuron labels"
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


def test_nir_roundtrip_command_compares_with_the_backend_named(cuba_run, tmp_path, capsys):
    from lava_wta.deploy_cli import main

    run, _ = cuba_run
    assert main(["nir-roundtrip", str(run), "--test-images", "4", "--against", "lava-fused",
                 "--nir", str(tmp_path / "g.nir")]) == 0
    assert "original (lava-fused)" in capsys.readouterr().out
    r = json.loads((run / "nir_roundtrip.json").read_text())
    assert r["against"] == "lava-fused" and r["counts_identical"] and (tmp_path / "g.nir").is_file()


@pytest.mark.parametrize("argv", [["nir-roundtrip", "--original-backend", "engine"],
                                  ["nir-roundtrip", "--against", "nir"],
                                  ["loihi-report", "--fixed-backend", "lava"],
                                  ["loihi-report", "--fixed-backend", "emulator"],
                                  ["loihi-report", "--float-backend", "loihi-emulator"]])
def test_deployment_commands_take_only_registry_names_fitting_the_role(cuba_run, argv, capsys):
    from lava_wta.deploy_cli import main

    run, _ = cuba_run
    with pytest.raises(SystemExit) as exit_:
        main([argv[0], str(run), *argv[1:]])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err or "unrecognized arguments: --original-backend" in err


def test_reports_refuse_backends_outside_their_role(cuba_run, tmp_path):
    from lava_wta.backends import BackendError
    from lava_wta.loihi import loihi_report
    from lava_wta.nir.report import nir_roundtrip_report

    run, data = cuba_run
    with pytest.raises(BackendError, match=r"against backend: expected one of \['engine', "
                                           r"'lava-fused', 'lava-async', 'lava'\], got 'nir'"):
        nir_roundtrip_report(run, data, n_test=4, against="nir", out=tmp_path / "r.json")
    with pytest.raises(BackendError, match=r"fixed backend: expected one of \['loihi-fixed', "
                                           r"'loihi-emulator'\], got 'lava'"):
        loihi_report(run, data, n_test=4, fixed_backend="lava", out=tmp_path / "l.json")
    with pytest.raises(BackendError, match=r"float backend: .*got 'loihi-fixed'"):
        loihi_report(run, data, n_test=4, float_backend="loihi-fixed", out=tmp_path / "l.json")
    assert not (tmp_path / "r.json").exists() and not (tmp_path / "l.json").exists()


def test_evaluate_with_a_deployment_backend_and_train_refusing_one(cuba_run, tmp_path):
    """A run folder evaluates in a frozen deployment backend (the emulator: the fixed-point
    accuracy), and training in one is refused before anything is written."""
    import shutil

    from lava_wta.backends import BackendError

    run, data = tmp_path / "run", cuba_run[1]
    shutil.copytree(cuba_run[0], run)
    ev = pipeline.evaluate_run(run, data, n_label=20, n_test=6, progress=False,
                               backend="loihi-emulator")
    assert ev["n_test"] == 6 and 0.0 <= ev["accuracy"] <= 1.0
    cfg = WTAConfig.load(run / "config.json")
    with pytest.raises(BackendError, match=r"'nir' runs a frozen network.*cannot learn"):
        pipeline.run_experiment(cfg, data, n_train=4, n_label=4, n_test=4, out_dir=tmp_path / "x",
                                progress=False, backend="nir")
    assert not (tmp_path / "x").exists()


def test_report_commands_show_a_progress_bar_per_pass_unless_no_progress(cuba_run, tmp_path, capsys):
    from lava_wta.deploy_cli import main

    run, _ = cuba_run
    args = ["loihi-report", str(run), "--test-images", "4", "--fixed-backend", "loihi-emulator"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "float (engine)" in err and "fixed (loihi-emulator)" in err and "4/4" in err
    assert main(args + ["--no-progress"]) == 0
    assert "float (engine)" not in capsys.readouterr().err
    assert main(["nir-roundtrip", str(run), "--test-images", "4", "--nir", str(tmp_path / "g.nir")]) == 0
    err = capsys.readouterr().err
    assert "original (engine)" in err and "imported (nir)" in err
