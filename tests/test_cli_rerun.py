"""``lava-wta train`` on a folder that already holds a run: a finished run of the same
request is not rerun (and says so); a finished training is reused, and the report says so;
compilation is reported apart from the simulation's time."""
import json

from lava_wta.cli import main

TINY = ["--dataset", "digits", "--neurons", "6", "--train-images", "12", "--label-images", "10",
        "--presentation-ms", "20", "--set", "input.pixel_rate_hz=1.0", "--no-progress"]


def test_rerun_of_a_finished_run_says_so_and_changes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--test-images", "10", "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert "(+ compile: " in first            # training and labelling+testing, each
    assert first.count("(+ compile: ") == 2
    metrics = json.loads((out / "metrics.json").read_text())
    for part in ("train", "evaluate"):
        assert isinstance(metrics[part]["compile_seconds"], float) and metrics[part]["compile_seconds"] >= 0
    assert metrics["train_reused"] is False
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != ".lock"}

    assert main(["train", *TINY, "--test-images", "10", "--out", str(out)]) == 0
    again = capsys.readouterr().out
    assert f"run folder {out} already holds a finished run of this configuration" in again
    assert f"accuracy {100 * metrics['accuracy']:.2f} %" in again and "nothing to do" in again
    assert "training (engine):" not in again
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != ".lock"} == before

    # another evaluation of the same training: the training is reused, and the report says so
    assert main(["train", *TINY, "--test-images", "8", "--out", str(out)]) == 0
    third = capsys.readouterr().out
    assert "training: not repeated" in third and "training (engine):" not in third
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_reused"] is True and metrics["n_test"] == 8
