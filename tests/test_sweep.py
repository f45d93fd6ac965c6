"""Sweeps: specification, Dask runner (a real LocalCluster), resumption, results table,
RESULTS.md. Tiny networks on scikit-learn's digits; one two-worker cluster for the module."""
from __future__ import annotations

import csv
import functools
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from lava_wta.experiments import results as R
from lava_wta.experiments.spec import SpecError, SweepSpec, load_spec
from lava_wta.experiments.sweep import RUN_RECORD, metrics_complete, plan, run_status, run_sweep

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "name": "tiny-test", "dataset": "digits", "n_train": 20, "n_label": 20, "n_test": 20,
    "base": {"network.n_neurons": 8, "time.presentation_ms": 20.0, "input.pixel_rate_hz": 1.0,
             "input.max_retries": 3},
    "grid": {"seed": [0, 1]},
    "runs": [{"scaling.mode": "l1", "scaling.target_norm": 10.0},
             {"scaling.mode": "l2", "scaling.target_norm": 1.5}],
}


def spec_of(tmp_path, **changes) -> SweepSpec:
    data = {**TINY, "out": str(tmp_path / "sweep"), **changes}
    return SweepSpec.from_dict(data, source="test.yaml")


# ---------------------------------------------------------------------- specification
def test_expansion_is_deterministic_crossed_and_typed(tmp_path):
    runs = spec_of(tmp_path).expand()
    assert [(r.params["seed"], r.params["scaling.mode"]) for r in runs] == [(0, "l1"), (0, "l2"), (1, "l1"), (1, "l2")]
    assert [r.run_id for r in runs] == [r.run_id for r in spec_of(tmp_path).expand()]
    assert runs[0].run_id.startswith("l1_target_norm=10_seed=0-")
    assert len({r.run_id for r in runs}) == 4
    assert all(r.folder == tmp_path / "sweep" / r.run_id for r in runs)
    r = runs[1]
    assert r.dataset == "digits" and (r.n_train, r.n_label, r.n_test) == (20, 20, 20) and r.backend == "engine"
    cfg = r.config()
    assert cfg.network.n_inputs == 64 and cfg.network.n_neurons == 8 and cfg.seed == 0
    assert cfg.scaling.mode == "l2" and cfg.scaling.target_norm == 1.5
    assert set(r.swept) == {"seed", "scaling.mode", "scaling.target_norm"}
    # ints and floats of the same value are the same run; more grid values keep old ids
    same = spec_of(tmp_path, runs=[{"scaling.mode": "l1", "scaling.target_norm": 10},
                                   {"scaling.mode": "l2", "scaling.target_norm": 1.5}]).expand()
    assert [x.run_id for x in same] == [x.run_id for x in runs]
    wider = spec_of(tmp_path, grid={"seed": [0, 1, 2]}).expand()
    assert [x.run_id for x in wider][:4] == [x.run_id for x in runs] and len(wider) == 6
    # base changes every id
    other = spec_of(tmp_path, n_train=21).expand()
    assert not {x.run_id for x in other} & {x.run_id for x in runs}


def test_dataset_tables_cover_every_dataset():
    from lava_wta.data import DATASETS
    from lava_wta.experiments import spec

    assert set(spec.DATASET_PIXELS) == set(spec.DATASET_SIZES) == set(DATASETS)


def test_runs_alone_and_grid_alone(tmp_path):
    alone = spec_of(tmp_path, grid={}).expand()
    assert [r.params["scaling.mode"] for r in alone] == ["l1", "l2"]
    grid = spec_of(tmp_path, runs=[], grid={"dataset": ["digits"], "scaling.mode": ["l1", "l2", "max"],
                                            "seed": [3]}).expand()
    assert [r.params["scaling.mode"] for r in grid] == ["l1", "l2", "max"]
    assert grid[0].run_id.startswith("digits_l1_seed=3-")


@pytest.mark.parametrize("changes, words", [
    ({"grid": {"seed": []}}, ["grid.seed", "non-empty list"]),
    ({"grid": {"seed": 3}}, ["grid.seed", "expected a list"]),
    ({"base": {"scaling.bogus": 1}}, ["base", "scaling.bogus", "unknown configuration field"]),
    ({"grid": {"nosuch.key": [1]}}, ["grid", "nosuch.key", "unknown configuration section"]),
    ({"dataset": "cifar10"}, ["dataset", "expected one of", "cifar10"]),
    ({"n_train": None}, ["n_train", "required"]),
    ({"n_test": 0}, ["n_test", "expected an integer >= 1"]),
    ({"n_train": 1290}, ["n_train/n_label", "1297 training images"]),
    ({"backend": "gpu"}, ["backend", "'gpu'"]),
    ({"runs": [{"seed": 4}]}, ["runs[0]", "seed", "also in grid"]),
    ({"runs": [{}]}, ["runs[0]", "non-empty mapping"]),
    ({"runs": [{"scaling.mode": "l2", "scaling.target_norm": -1.0}]}, ["scaling.target_norm", "> 0", "runs[0]"]),
    ({"runs": [{"scaling.mode": "l7"}]}, ["scaling.mode", "'l7'"]),
    ({"runs": [{"scaling.mode": "l1"}, {"scaling.mode": "l1"}]}, ["runs[1]", "repeats the run of runs[0]"]),
    ({"colour": "red"}, ["unknown field", "colour"]),
    ({"name": ""}, ["name"]),
    ({"out": None}, ["out"]),
])
def test_invalid_specifications_name_the_field(tmp_path, changes, words):
    data = {**TINY, "out": str(tmp_path / "sweep"), **changes}
    data = {k: v for k, v in data.items() if v is not None or k == "out"}
    with pytest.raises(SpecError) as err:
        SweepSpec.from_dict(data, source="bad.yaml").expand()
    msg = str(err.value)
    assert msg.startswith("bad.yaml: ")
    for w in words:
        assert w in msg, (w, msg)


def test_yaml_errors_name_the_file(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match="s.yaml: not valid YAML"):
        load_spec(p)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")


@pytest.mark.parametrize("name, n", [("paper_table", 24), ("wt_sweep", 108), ("neurons", 36),
                                     ("protocol", 36), ("tiny", 4), ("stdp_tau", 16), ("cuba", 12),
                                     ("best", 6), ("best_l2", 6), ("reference", 10), ("scale", 19),
                                     ("adaptive_target", 18), ("adaptive_target_1600", 18),
                                     ("scale_lr", 2), ("scale_long", 2), ("scale_theta", 4)])
def test_shipped_specifications_expand(name, n):
    spec = load_spec(ROOT / "study" / "experiments" / f"{name}.yaml")
    runs = spec.expand()
    assert spec.name == name and len(runs) == n
    if name == "paper_table":
        modes = {(r.params["scaling.mode"], r.params.get("scaling.target_norm")) for r in runs}
        assert ("l1", 78.0) in modes and ("l2", 5.0) in modes
        assert {r.dataset for r in runs} == {"mnist", "fashion-mnist"}
        assert all((r.n_train, r.n_label, r.n_test) == (40000, 10000, 10000) for r in runs)
        assert all(r.config().network.n_neurons == 400 for r in runs)


def test_a_finished_run_of_fewer_passes_than_asked_is_not_done(tmp_path):
    """A run folder finished with 2 passes is done for a run of 2 passes, and to be
    continued (partial) for a run of 3."""
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.5, "n_train": 10,
                                                       "epochs": [{"epoch": 1}, {"epoch": 2}]}))
    assert metrics_complete(tmp_path) and metrics_complete(tmp_path, 2) and not metrics_complete(tmp_path, 3)
    assert run_status(tmp_path, 2) == "done" and run_status(tmp_path, 3) == "partial"
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.5, "n_train": 10}))   # one pass
    assert metrics_complete(tmp_path, 1) and run_status(tmp_path, 2) == "partial"


# ---------------------------------------------------------------------- results helpers
def test_weight_statistics_definitions():
    w = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [0.5, 0.005, 0.5, 0.5]])
    s = R.neuron_statistics(w, w_max=1.0)
    np.testing.assert_allclose(s["gini"], [0.0, 0.75, 0.0, (-3 * 0.005 + (-1 + 1 + 3) * 0.5) / (4 * 1.505)])
    np.testing.assert_allclose(s["top10_l2_mass"], [0.25, 1.0, 0.0, 0.25 / (0.75 + 0.005 ** 2)])
    np.testing.assert_allclose(s["sparsity"], [0.0, 0.75, 1.0, 0.25])
    rng = np.random.default_rng(0)
    assert abs(R.neuron_statistics(rng.uniform(0, 0.3, (50, 784)))["gini"].mean() - 1 / 3) < 0.01


def test_summary_and_ci_over_seeds():
    from scipy.stats import t

    s = R.summarize([0.8, 0.9, 0.85])
    assert s["n"] == 3 and math.isclose(s["mean"], 0.85)
    assert math.isclose(s["std"], 0.05)
    assert math.isclose(s["ci95"], t.ppf(0.975, 2) * 0.05 / math.sqrt(3))
    assert R.summarize([0.7]) == {"n": 1, "mean": 0.7, "std": None, "ci95": None}
    rows = [{"status": "done", "dataset": "d", "scaling.mode": m, "seed": k, "accuracy": a}
            for m, k, a in (("l1", 0, 0.5), ("l1", 1, 0.7), ("l2", 0, 0.6))] + \
           [{"status": "failed", "dataset": "d", "scaling.mode": "l2", "seed": 1, "accuracy": None}]
    agg = {a["scaling.mode"]: a for a in R.aggregate(rows)}
    assert agg["l1"]["n"] == 2 and math.isclose(agg["l1"]["mean"], 0.6) and agg["l1"]["seeds"] == [0, 1]
    assert agg["l2"]["n"] == 1


# ---------------------------------------------------------------------- the sweep on Dask
@pytest.fixture(scope="module")
def client():
    from distributed import Client

    from lava_wta.experiments.sweep import local_cluster

    cluster = local_cluster(2)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def _uninterrupted(run):
    """Weights and theta of ``run``'s training, uninterrupted, in this process."""
    from lava_wta.data import load_dataset
    from lava_wta.engine import present_engine
    from lava_wta.state import STREAM_TRAIN_INPUT, WTAState, stream_seed

    cfg = run.config()
    images = load_dataset("digits").train_images[:run.n_train]
    return present_engine(cfg, images, WTAState.initial(cfg), learning=True,
                          input_seed=stream_seed(cfg, STREAM_TRAIN_INPUT)).state


def kill_worker_after_first_checkpoint(run_dict, sweep_meta, victim=None):
    """Dask task: :func:`execute_run`, except that on the victim run's first attempt (its
    folder has no checkpoint yet) the worker process is SIGKILLed right after the first
    checkpoint is written. Deterministic: the kill happens at a fixed image, not a time."""
    import os
    import signal

    from lava_wta.experiments.sweep import execute_run

    if run_dict["run_id"] == victim and not (Path(run_dict["folder"]) / "checkpoint.npz").exists():
        from lava_wta.presentation import Checkpoint

        original = Checkpoint.save

        def save_then_die(self, **kwargs):
            original(self, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)

        Checkpoint.save = save_then_die
    return execute_run(run_dict, sweep_meta)


def _plant_failure(run):
    """A folder holding the checkpoint of another configuration: run_experiment refuses it."""
    run.folder.mkdir(parents=True)
    run.config().replace(seed=99).save(run.folder / "config.json")
    (run.folder / "checkpoint.npz").write_bytes(b"not a checkpoint")


@pytest.mark.slow
def test_sweep_runs_skips_resumes_records_failures_and_tabulates(tmp_path, client, capsys):
    spec = spec_of(tmp_path, checkpoint_every=10)
    runs = [r for r, _ in plan(spec)]                                 # (seed, mode): (0, l1) (0, l2) (1, l1) (1, l2)
    assert len(runs) == 4 and all(r.checkpoint_every == 10 for r in runs)
    killed, failing = runs[2], runs[3]
    reference = _uninterrupted(killed)
    _plant_failure(failing)
    assert run_status(failing.folder) == "partial" and run_status(runs[0].folder) == "pending"

    lines = []
    task = functools.partial(kill_worker_after_first_checkpoint, victim=killed.run_id)
    report = run_sweep(spec, client=client, log=lines.append, task=task)
    assert sorted(report.done) == sorted(r.run_id for r in runs if r is not failing), lines
    assert report.failed == [failing.run_id]
    assert len([x for x in lines if x.startswith("[")]) == 4          # a line per finished run
    assert any("FAILED" in x and "different configuration" in x for x in lines)
    for r in runs:
        assert metrics_complete(r.folder) == (r is not failing)
    record = json.loads((failing.folder / RUN_RECORD).read_text())
    assert record["status"] == "failed" and "different configuration" in record["error"]
    assert "Traceback" in record["traceback"] and record["attempts"] == 1

    # the worker killed mid-run lost only that run's images since its checkpoint: the task
    # ran again (on a restarted worker), resumed at image 10, and ended with exactly the
    # weights of an uninterrupted training
    record = json.loads((killed.folder / RUN_RECORD).read_text())
    assert record["attempts"] == 2 and record["resumes_checkpoint"] and record["previous_status"] == "running"
    m = json.loads((killed.folder / "metrics.json").read_text())
    assert m["train"]["resumed_from_image"] == 10 and m["n_train"] == 20
    assert m["command"].startswith("lava-wta train --dataset digits")
    with np.load(killed.folder / "state.npz") as z:
        np.testing.assert_array_equal(z["weights"], reference.weights)
        np.testing.assert_array_equal(z["theta"], reference.theta)
    assert not (killed.folder / "checkpoint.npz").exists()
    others = [r for r in runs if r not in (killed, failing)]
    for r in others:
        rec = json.loads((r.folder / RUN_RECORD).read_text())
        assert rec["attempts"] == 1
        assert json.loads((r.folder / "metrics.json").read_text())["train"]["resumed_from_image"] == 0

    # started again: finished runs are neither submitted nor touched; the failed one is retried
    stamps = {r.run_id: [(r.folder / f).stat().st_mtime_ns for f in ("metrics.json", RUN_RECORD, "state.npz")]
              for r in runs if r is not failing}
    again = run_sweep(spec, client=client, log=lambda s: None)
    assert sorted(again.skipped) == sorted(stamps) and list(again.outcomes) == [failing.run_id]
    assert again.failed == [failing.run_id]
    assert json.loads((failing.folder / RUN_RECORD).read_text())["attempts"] == 2
    dry = []
    run_sweep(spec, client=client, dry_run=True, log=dry.append)
    assert sum("skip done" in x for x in dry) == 3 and sum("failed" in x for x in dry[1:]) == 1
    for r in runs:
        if r is not failing:
            now = [(r.folder / f).stat().st_mtime_ns for f in ("metrics.json", RUN_RECORD, "state.npz")]
            assert now == stamps[r.run_id], r.run_id

    # the results table: one row per run, its parameters, metrics and weight statistics
    rows = R.collect(spec.out)
    assert len(rows) == 4
    by_id = {r["run_id"]: r for r in rows}
    bad = by_id[failing.run_id]
    assert bad["status"] == "failed" and "different configuration" in bad["error"] and bad["accuracy"] is None
    assert bad["seed"] == 1 and bad["scaling.mode"] == "l2" and bad["attempts"] == 2
    for run in runs:
        row = by_id[run.run_id]
        if run is failing:
            continue
        assert row["status"] == "done" and row["error"] is None
        metrics = json.loads((run.folder / "metrics.json").read_text())
        assert row["sweep"] == "tiny-test" and row["dataset"] == "digits"
        assert row["seed"] == run.params["seed"] and row["scaling.mode"] == run.params["scaling.mode"]
        assert row["scaling.target_norm"] == run.params["scaling.target_norm"]
        assert (row["n_train"], row["n_label"], row["n_test"]) == (20, 20, 20)
        assert row["network.n_neurons"] == 8 and row["input.pixel_rate_hz"] == 1.0
        assert row["accuracy"] == metrics["accuracy"] and row["train_retries"] == metrics["train"]["retries"]
        assert row["backend"] == "engine" and row["train_seconds"] > 0 and row["eval_seconds"] > 0
        with np.load(run.folder / "state.npz") as z:
            assert math.isclose(row["w_mean"], float(z["weights"].mean()))
            assert math.isclose(row["theta_mean"], float(z["theta"].mean()))
        assert 0 < row["selectivity_gini_mean"] < 1 and 0 <= row["sparsity_mean"] <= 1
    agg = R.aggregate(rows)
    assert [(a["scaling.mode"], a["n"], a["seeds"]) for a in agg] == [("l1", 2, [0, 1]), ("l2", 1, [0])]

    # the subcommands
    import argparse

    from lava_wta.experiments import cli

    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers(dest="command"))
    out_csv = tmp_path / "table.csv"
    args = parser.parse_args(["results", str(spec.out), "--csv", str(out_csv)])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "4 runs: 3 done, 1 failed" in printed and f"failed: {failing.run_id}" in printed
    with open(out_csv) as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 4 and {"scaling.mode", "seed", "accuracy", "selectivity_gini_mean"} <= set(table[0])

    # RESULTS.md from this sweep: the tiny table, every missing sweep "not run yet"
    page = tmp_path / "docs" / "RESULTS.md"
    make = _make_results()
    assert make.main([str(spec.out), "--out", str(page)]) == 0
    text = page.read_text()
    assert text.count("not run yet") >= 4
    assert "## Sweep `tiny-test`" in text
    assert f"{100 * agg[0]['mean']:.2f} ± {100 * agg[0]['std']:.2f} (n=2)" in text
    assert f"{100 * agg[1]['mean']:.2f} (n=1)" in text
    assert f"`{failing.run_id}` | failed: RunFolderError" in text
    assert "88.84" in text and "68.01" in text                        # the paper's numbers, quoted
    for png in ("weights_l1.png", "weights_l2.png", "weight_stats.png"):
        assert (page.parent / "results" / png).stat().st_size > 1000
        assert f"results/{png}" in text


def _make_results():
    spec = importlib.util.spec_from_file_location("make_results", ROOT / "study" / "make_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sweep_command_dry_run_and_user_errors(tmp_path, capsys):
    import argparse

    from lava_wta.experiments import cli

    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers(dest="command"))
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**TINY, "out": str(tmp_path / "o")}))
    args = parser.parse_args(["sweep", str(path), "--dry-run"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "4 runs" in out and out.count("pending") == 4
    assert not (tmp_path / "o").exists()
    path.write_text(yaml.safe_dump({**TINY, "out": str(tmp_path / "o"), "grid": {"seed": []}}))
    args = parser.parse_args(["sweep", str(path), "--dry-run"])
    assert args.func(args) == 2
    assert "grid.seed" in capsys.readouterr().err
    args = parser.parse_args(["results", str(tmp_path / "nothing")])
    assert args.func(args) == 2
    assert "no such sweep folder" in capsys.readouterr().err


def test_paper_section_uses_only_finished_runs_and_quotes_the_paper():
    make = _make_results()

    def row(mode, wt, seed, acc, status="done", ds="mnist"):
        return {"status": status, "dataset": ds, "scaling.mode": mode, "scaling.target_norm": wt, "seed": seed,
                "accuracy": acc, "network.n_neurons": 400, "n_train": 40000, "n_label": 10000, "n_test": 10000}

    rows = [row("l2", 5.0, 0, 0.88), row("l2", 5.0, 1, 0.89), row("l2", 5.0, 2, None, status="failed"),
            row("l1", 78.0, 0, 0.87)]
    sweep = make.Sweep("paper_table", Path("runs/sweeps/paper_table"), None, rows)
    text = "\n".join(make.section_paper(sweep, "python study/make_results.py"))
    l2 = next(x for x in text.splitlines() if x.startswith("| mnist | l2 |"))
    assert "| 5 | 400 | 40000 / 10000 / 10000 | 88.84 |" in l2
    assert "88.50 ± 0.71 (n=2)" in l2 and "| -0.34 |" in l2            # the failed seed is not counted
    l1 = next(x for x in text.splitlines() if x.startswith("| mnist | l1 |"))
    assert "87.00 (n=1)" in l1 and "| +0.00 |" in l1
    for line in text.splitlines():
        if line.startswith("| fashion-mnist |") or line.startswith("| mnist | max |"):
            assert "not run yet" in line
    assert "3 done, 1 failed" in text and "lava-wta sweep study/experiments/paper_table.yaml" in text



def test_runs_are_submitted_with_priorities_in_the_order_of_the_specification(tmp_path, monkeypatch):
    """Dask runs tasks submitted together in the order of their keys unless they carry a
    priority; the sweep gives each run a priority that falls along the specification, so
    that a sweep stopped early has the runs its author listed first (seed 0 of every setting,
    when the grid puts the seed outermost)."""
    import distributed

    from lava_wta.experiments.sweep import SweepReport, _submit_and_wait

    # l2 before l1 and 30 neurons before 20: the reverse of the run ids' alphabetical order
    spec = spec_of(tmp_path, grid={"seed": [0, 1, 2], "network.n_neurons": [30, 20]},
                   runs=[{"scaling.mode": "l2", "scaling.target_norm": 1.0},
                         {"scaling.mode": "l1", "scaling.target_norm": 10.0}])
    runs = spec.expand()
    assert sorted(r.run_id for r in runs) != [r.run_id for r in runs]

    class Done:
        def __init__(self, value):
            self.value = value

        def result(self):
            return self.value

        def release(self):
            pass

    submitted = []

    class Client:
        def submit(self, task, run_dict, meta, **kwargs):
            submitted.append((run_dict["run_id"], kwargs))
            return Done({"run_id": run_dict["run_id"], "status": "done", "folder": run_dict["folder"],
                         "accuracy": 0.5, "seconds": 0.0})

    monkeypatch.setattr(distributed, "as_completed", lambda futures: iter(futures))
    report = SweepReport(runs=runs, skipped=[])
    _submit_and_wait(Client(), [(r, "pending") for r in runs], {}, 2, report, lambda line: None, None)
    assert [run_id for run_id, _ in submitted] == [r.run_id for r in runs]
    priorities = [kw["priority"] for _, kw in submitted]
    assert priorities == sorted(priorities, reverse=True) and len(set(priorities)) == len(runs)
    assert all(kw["retries"] == 2 and kw["pure"] is False for _, kw in submitted)
    assert sorted(report.done) == sorted(r.run_id for r in runs)
