"""The examples run as a user would run them (small sizes)."""
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _run(*args):
    out = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_train_and_evaluate_example(tmp_path):
    out = _run("examples/train_and_evaluate.py", "--dataset", "digits", "--neurons", "8", "--images", "30",
               "--out", str(tmp_path / "run"))
    assert "accuracy" in out and (tmp_path / "run" / "metrics.json").is_file()


def test_custom_rules_example_runs_in_the_engine_and_in_lava():
    for backend, n in (("engine", "6"), ("lava", "4")):
        out = _run("examples/custom_rules.py", "--digits", "--backend", backend, "--train-images", n,
                   "--test-images", n)
        assert "L3 norm of every neuron after training" in out
        assert "accuracy with soft-bound STDP, capped theta, an exponential IF membrane, l3 scaling " \
               f"({backend})" in out
