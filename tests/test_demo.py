"""``lava-wta demo``: the paper's protocol, the table beside the paper's numbers, --quick."""
import json
from pathlib import Path

import pytest

from lava_wta.cli import DEMO_ARGS, main
from lava_wta.experiments import paper
from lava_wta.experiments.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def test_demo_is_the_papers_protocol():
    runs = paper.demo_spec("runs/demo").expand()
    assert [r.params["scaling.mode"] for r in runs] == ["l2", "l1"]
    assert [r.params["scaling.target_norm"] for r in runs] == [5.0, 78.0]
    for r in runs:
        assert (r.dataset, r.backend, r.label_from) == ("mnist", "engine", "heldout")
        assert (r.n_train, r.n_label, r.n_test) == (40000, 10000, 10000)
        assert r.config().network.n_neurons == 400 and r.config().network.n_inputs == 784
        assert r.folder.parent == Path("runs/demo")
    # the same runs (same parameters, hence the same hash in the run id) as the paper's table
    spec = load_spec(ROOT / "study" / "experiments" / "paper_table.yaml")
    table = {r.run_id.rsplit("-", 1)[1] for r in spec.expand()}
    assert {r.run_id.rsplit("-", 1)[1] for r in runs} <= table
    assert paper.PAPER_ACCURACY[("mnist", "l2")] == 88.84 and paper.PAPER_ACCURACY[("mnist", "l1")] == 87.0


def test_quick_demo_line():
    assert DEMO_ARGS == ["train", "--dataset", "mnist", "--neurons", "100", "--scaling", "l2",
                         "--target-norm", "5", "--train-images", "1000", "--label-images", "1000",
                         "--test-images", "1000", "--out", "runs/demo-quick"]


def _metrics(acc, n_train=40000, n_label=10000, n_test=10000, seconds=38.25, compile_s=6.04):
    return {"dataset": "mnist", "accuracy": acc, "n_train": n_train, "n_label": n_label, "n_test": n_test,
            "train": {"seconds": seconds, "compile_seconds": compile_s}}


def test_table_sets_our_accuracy_beside_the_papers():
    results = [{"mode": "l2", "wt": 5.0, "n_neurons": 400, "folder": "runs/demo/a", "metrics": _metrics(0.8901)},
               {"mode": "l1", "wt": 78.0, "n_neurons": 400, "folder": "runs/demo/b",
                "metrics": _metrics(0.8655, compile_s=None)},
               {"mode": "l2", "wt": 5.0, "n_neurons": 100, "folder": "runs/demo/c",
                "metrics": _metrics(0.75, n_train=1000)},
               {"mode": "l1", "wt": 78.0, "n_neurons": 400, "folder": "runs/demo/d", "metrics": None}]
    rows = paper.table_rows(results)
    assert rows[0] == ["L2", "5", "89.01", "88.84", "+0.17", "38.2", "6.0", "runs/demo/a"]
    assert rows[1] == ["L1", "78", "86.55", "87.00", "-0.45", "38.2", "–", "runs/demo/b"]
    assert rows[2][2:5] == ["75.00", "88.84", "– (not the paper's size)"]
    assert rows[3][2:7] == ["failed (see the run folder)", "87.00", "–", "–", "–"]
    lines = paper.format_table(results).splitlines()
    assert lines[0].split() == ["scaling", "Wt", "ours", "(%)", "paper", "(%)", "ours", "-", "paper",
                                "training", "(s)", "compile", "(s)", "run", "folder"]
    assert set(lines[1]) == {"-", " "} and len(lines) == 6
    assert lines[2].split()[:5] == ["L2", "5", "89.01", "88.84", "+0.17"]
    # columns line up: every value starts where its header does
    start = lines[0].index("paper (%)")
    assert all(line[start:start + 5] in ("88.84", "87.00", "-----") for line in lines[1:])


def test_quick_demo_runs_at_a_tiny_size(tmp_path, capsys):
    out = tmp_path / "quick"
    # options after --quick are added to the train line (the last value of a flag wins)
    assert main(["demo", "--quick", "--neurons", "6", "--train-images", "20", "--label-images", "10",
                 "--test-images", "10", "--set", "time.presentation_ms=50", "--out", str(out),
                 "--no-progress"]) == 0
    assert "accuracy:" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["dataset"], metrics["n_train"], metrics["n_test"]) == ("mnist", 20, 10)
    assert metrics["train"]["compile_seconds"] >= 0 and metrics["evaluate"]["compile_seconds"] >= 0


def test_full_demo_path_at_a_tiny_size(tmp_path, capsys, monkeypatch):
    """The full demo's sweep and table, with the protocol's sizes made tiny."""
    full = paper.demo_spec
    tiny = {"network.n_neurons": 6, "n_train": 20, "n_label": 10, "n_test": 10}
    monkeypatch.setattr(paper, "demo_spec", lambda out: full(out, sizes=tiny))
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "88.84" in printed and "87.00" in printed and "not the paper's size" in printed
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert [f.split("_")[0] for f in folders] == ["l1", "l2"]
    for f in folders:
        for name in ("metrics.json", "weights.png", "confusion.png", "training_curve.png"):
            assert (out / f / name).is_file(), (f, name)
    # started again: nothing is rerun, and it says so
    assert main(["demo", "--out", str(out), "--workers", "1"]) == 0
    assert "not run again" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--help"])
def test_demo_help_describes_the_runs(flag, capsys):
    with pytest.raises(SystemExit):
        main(["demo", flag])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("400 excitatory + 400 inhibitory", "L2 scaling (Wt 5)", "L1 scaling (Wt 78)",
                  "40,000 training / 10,000 labelling", "10,000 test images", "engine", "88.84",
                  "--quick", "--neurons 100"):
        assert words in text, words
