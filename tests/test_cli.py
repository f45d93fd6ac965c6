import json

import numpy as np
import pytest
import yaml

from lava_wta.cli import main
from lava_wta.state import WTAState


def test_config_prints_validated_yaml(capsys):
    assert main(["config", "--scaling", "l1", "--target-norm", "78", "--set", "exc.theta_plus_mv=0.11"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["scaling"] == {"mode": "l1", "target_norm": 78.0, "interval_images": 1, "scale_initial": True,
                                  "target_mode": "fixed", "rate_set_point_spikes": 10.0, "rate_gain": 0.01,
                                  "target_norm_min": 0.01}
    assert printed["exc"]["theta_plus_mv"] == 0.11


def test_bad_values_exit_2_and_name_the_field(capsys):
    assert main(["config", "--set", "exc.tau_m_ms=-3"]) == 2
    assert "exc.tau_m_ms" in capsys.readouterr().err
    assert main(["train", "--dataset", "digits", "--set", "network.n_inputs=784", "--no-progress"]) == 2
    assert "network.n_inputs" in capsys.readouterr().err


@pytest.mark.parametrize("backend", ["engine", "lava-fused", "lava-async", "lava"])
def test_train_then_evaluate_writes_a_run_folder(tmp_path, capsys, backend):
    out = tmp_path / "run"
    args = ["train", "--dataset", "digits", "--neurons", "6", "--train-images", "12", "--label-images", "10",
            "--test-images", "10", "--presentation-ms", "20", "--set", "input.pixel_rate_hz=1.0",
            "--out", str(out), "--no-progress", "--backend", backend]
    assert main(args) == 0
    assert "accuracy:" in capsys.readouterr().out
    for name in ("config.json", "state.npz", "metrics.json", "weights.png", "confusion.png",
                 "theta_hist.png", "training_curve.png"):
        assert (out / name).is_file(), name
    assert not (out / "checkpoint.npz").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["backend"] == backend and metrics["n_train"] == 12 and metrics["n_test"] == 10
    assert np.array(metrics["confusion_matrix"]).sum() == 10
    assert metrics["command"].startswith("lava-wta train --dataset digits")
    state = WTAState.load(out / "state.npz")
    assert state.weights.shape == (6, 64) and state.assignments.shape == (6,)

    before = {name: (out / name).read_bytes() for name in ("state.npz", "metrics.json", "config.json")}
    assert main(["evaluate", str(out), "--dataset", "digits", "--label-images", "8", "--test-images", "6",
                 "--no-progress", "--backend", backend]) == 0
    # the run's training results are untouched; the evaluation has its own folder
    assert {name: (out / name).read_bytes() for name in before} == before
    folder = out / "evaluations" / f"label8-heldout-test6-{backend}"
    again = json.loads((folder / "metrics.json").read_text())
    assert again["n_test"] == 6 and again["n_label"] == 8 and again["n_train"] == 12
    assert again["backend"] == backend
    assert WTAState.load(folder / "state.npz").assignments.shape == (6,)

    assert main(["evaluate", str(out), "--dataset", "digits", "--label-images", "8", "--test-images", "6",
                 "--no-progress", "--backend", backend, "--replace"]) == 0
    replaced = json.loads((out / "metrics.json").read_text())
    assert replaced["n_test"] == 6 and replaced["n_label"] == 8 and replaced["n_train"] == 12
    assert replaced["command"] == metrics["command"]


def test_lava_backend_runs_from_a_fresh_process_with_progress_bars(tmp_path):
    """The progress bars' lock (tqdm) and numba's threads fix multiprocessing's start
    method; lava-nc must still start its runtime afterwards."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "lava_wta.cli", "train", "--dataset", "digits", "--neurons", "4",
         "--train-images", "3", "--label-images", "3", "--test-images", "3", "--presentation-ms", "10",
         "--backend", "lava", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "accuracy:" in out.stdout


def test_version_demo_help_and_defaults_in_help():
    import subprocess
    import sys

    from lava_wta import __version__

    def run(*args):
        out = subprocess.run([sys.executable, "-m", "lava_wta.cli", *args], capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    assert run("--version").strip() == f"lava-wta {__version__}"
    demo = run("demo", "--help")
    assert demo.startswith("usage: lava-wta demo") and "--neurons 100" in demo
    assert "training images (default: 1000)" in " ".join(run("train", "--help").split())
