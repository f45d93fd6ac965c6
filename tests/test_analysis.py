"""Weight, selectivity and theta statistics (lava_wta.analysis.weights) on hand-built inputs."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from lava_wta.analysis import weights as A

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------- weight vectors
def test_hoyer_sparsity_known_values_and_scale_invariance():
    n = 16
    one_hot = np.zeros(n)
    one_hot[3] = 0.7
    const = np.full(n, 0.2)
    two = np.zeros(n)
    two[:2] = 1.0                                   # L1/L2 = sqrt(2)
    h = A.hoyer_sparsity(np.stack([one_hot, const, two, np.zeros(n)]))
    np.testing.assert_allclose(h[:3], [1.0, 0.0, (4 - math.sqrt(2)) / 3], atol=1e-12)
    assert np.isnan(h[3])                           # zero vector: undefined
    rng = np.random.default_rng(1)
    w = rng.uniform(0, 1, (5, 784)) ** 3
    np.testing.assert_allclose(A.hoyer_sparsity(w), A.hoyer_sparsity(7.5 * w), rtol=1e-12)
    np.testing.assert_allclose(A.hoyer_sparsity(w[2]), A.hoyer_sparsity(w)[2:3])     # 1-D input: one row
    # uniform noise: (1 - sqrt(3)/2) sqrt(n) / (sqrt(n) - 1)
    noise = A.hoyer_sparsity(rng.uniform(0, 0.3, (200, 784))).mean()
    assert abs(noise - (1 - math.sqrt(3) / 2) * 28 / 27) < 0.005


def test_l2_mass_count():
    n = 10
    w = np.stack([np.eye(n)[4], np.ones(n), np.array([3.0, 4.0] + [0.0] * (n - 2)), np.zeros(n)])
    k50, k90 = A.l2_mass_count(w, 0.5), A.l2_mass_count(w, 0.9)
    np.testing.assert_array_equal(k50[:3], [1, 5, 1])        # 16 of 25 is over half
    np.testing.assert_array_equal(k90[:3], [1, 9, 2])
    assert np.isnan(k50[3]) and np.isnan(k90[3])
    assert A.l2_mass_count(np.ones((1, 784)), 0.9)[0] == math.ceil(0.9 * 784)
    np.testing.assert_array_equal(A.l2_mass_count(3 * w[:3], 0.5), k50[:3])  # scale-invariant
    with pytest.raises(ValueError, match="fraction"):
        A.l2_mass_count(w, 1.5)


def test_weight_statistics_fractions_and_means():
    w = np.array([[1.0, 0.95, 0.0, 0.5], [0.005, 0.009, 0.01, 0.2]])
    s = A.weight_statistics(w, w_max=1.0)
    np.testing.assert_allclose(s["mean_w"], [2.45 / 4, 0.224 / 4])
    np.testing.assert_allclose(s["frac_near_max"], [0.5, 0.0])
    np.testing.assert_allclose(s["frac_near_zero"], [0.25, 0.5])
    s2 = A.weight_statistics(2 * w, w_max=2.0)                 # thresholds scale with w_max
    np.testing.assert_allclose(s2["frac_near_max"], s["frac_near_max"])
    np.testing.assert_allclose(s2["frac_near_zero"], s["frac_near_zero"])
    assert set(s) == {"mean_w", "frac_near_max", "frac_near_zero", "hoyer", "k50", "k90"}


@pytest.mark.parametrize("bad, match", [
    (np.zeros((3, 4, 2)), "expected a \\(n_neurons, n_inputs\\) array"),
    (np.array([[1.0, np.nan]]), "finite"),
    (np.array([[1.0, -0.1]]), "non-negative"),
    (np.ones((2, 1)), "n_inputs >= 2"),
])
def test_weight_input_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        A.weight_statistics(bad)


def test_weight_statistics_rejects_bad_w_max():
    with pytest.raises(ValueError, match="w_max"):
        A.weight_statistics(np.ones((2, 3)), w_max=0.0)


# ---------------------------------------------------------------------- class selectivity
def test_selectivity_one_class_is_one_uniform_is_zero():
    k = 10
    r = np.zeros((k, 4))
    r[3, 0] = 5.0                 # one class only
    r[:, 1] = 2.0                 # every class alike
    r[[1, 2], 2] = 1.0            # two classes alike: 1 - log 2 / log 10
    s = A.class_selectivity(r)
    np.testing.assert_allclose(s[:3], [1.0, 0.0, 1 - math.log(2) / math.log(10)], atol=1e-12)
    assert np.isnan(s[3])         # silent neuron
    np.testing.assert_allclose(A.class_selectivity(3 * r)[:3], s[:3])     # scale-invariant
    share = A.assigned_class_share(r)
    np.testing.assert_allclose(share[:3], [1.0, 0.1, 0.5])
    assert np.isnan(share[3])
    # given assignments (another class than the argmax; -1 = none)
    np.testing.assert_allclose(A.assigned_class_share(r, np.array([3, 0, 1, -1]))[:3], [1.0, 0.1, 0.5])
    assert np.isnan(A.assigned_class_share(r, np.array([-1, 0, 1, 2]))[0])
    with pytest.raises(ValueError, match="assignments"):
        A.assigned_class_share(r, np.array([0, 0, 10, 0]))
    with pytest.raises(ValueError, match="n_classes >= 2"):
        A.class_selectivity(np.ones((1, 3)))


def test_class_responses_are_means_per_class():
    counts = np.array([[4, 0], [2, 0], [0, 3], [0, 0], [1, 1]])
    labels = np.array([0, 0, 1, 1, 2])
    r = A.class_responses(counts, labels, 3)
    np.testing.assert_allclose(r, [[3.0, 0.0], [0.0, 1.5], [1.0, 1.0]])
    # class frequencies do not matter: duplicating class-0 images changes nothing
    r2 = A.class_responses(np.vstack([counts, counts[:2]]), np.concatenate([labels, labels[:2]]), 3)
    np.testing.assert_allclose(r2, r)
    with pytest.raises(ValueError, match=r"class\(es\) \[3\] have no labelling images"):
        A.class_responses(counts, labels, 4)
    with pytest.raises(ValueError, match="labels: expected shape"):
        A.class_responses(counts, labels[:3], 3)
    with pytest.raises(ValueError, match="expected classes 0..1"):
        A.class_responses(counts, labels, 2)


# ---------------------------------------------------------------------- theta
def test_theta_summary():
    t = np.arange(101, dtype=float)         # 0..100: quantile q is 100 q
    s = A.theta_summary(t)
    assert s["theta_mean"] == 50 and s["theta_min"] == 0 and s["theta_max"] == 100
    assert math.isclose(s["theta_std"], float(np.std(t)))
    for q in (5, 25, 50, 75, 95):
        assert math.isclose(s[f"theta_q{q:02d}"], q)
    with pytest.raises(ValueError, match="theta"):
        A.theta_summary(np.ones((2, 2)))
    with pytest.raises(ValueError, match="theta"):
        A.theta_summary(np.array([1.0, np.inf]))


# ---------------------------------------------------------------------- run folders
def _run_folder(path: Path, weights, theta, assignments=None, w_max=1.0, counts=None, labels=None):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"stdp": {"w_max": w_max}}))
    arrays = {"weights": weights, "theta": theta}
    if assignments is not None:
        arrays["assignments"] = assignments
    np.savez(path / "state.npz", **arrays)
    if counts is not None:
        A.save_label_counts(path / A.LABEL_COUNTS_FILE, counts, labels, 3, source="test")
    return path


def test_run_statistics_from_a_folder(tmp_path):
    w = np.array([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 0.0, 0.0]])
    theta = np.array([20.0, 30.0, 40.0])
    counts = np.array([[3, 1, 0], [3, 1, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0]])
    labels = np.array([0, 0, 1, 2, 2])
    folder = _run_folder(tmp_path / "run", w, theta, np.array([0, 1, -1]), counts=counts, labels=labels)
    run = A.load_run(folder)
    assert run.n_classes == 3 and run.counts_source == "test" and run.counts.dtype == np.uint16
    per = A.neuron_statistics(run)
    np.testing.assert_allclose(per["selectivity"][:2], [1.0, 0.0], atol=1e-12)
    assert np.isnan(per["selectivity"][2])
    stats = A.run_statistics(run)
    assert set(stats) == set(A.SUMMARY_KEYS)
    assert math.isclose(stats["w_mean"], w.mean())
    assert math.isclose(stats["hoyer_mean"], 0.5)           # NaN (zero row) skipped
    assert math.isclose(stats["k50_mean"], 1.5)             # 1 and 2
    assert math.isclose(stats["selectivity_mean"], 0.5)
    assert math.isclose(stats["assigned_share_mean"], (1.0 + 1 / 3) / 2)
    assert stats["neurons_silent_labelling"] == 1
    assert stats["theta_mean"] == 30.0 and stats["theta_q50"] == 30.0

    # without label counts: no selectivity, everything else
    plain = _run_folder(tmp_path / "plain", w, theta)
    s = A.run_statistics(A.load_run(plain))
    assert s["selectivity_mean"] is None and s["neurons_silent_labelling"] is None
    assert math.isclose(s["hoyer_mean"], 0.5)


def test_load_run_errors_name_file_and_field(tmp_path):
    with pytest.raises(ValueError, match="no such run folder"):
        A.load_run(tmp_path / "nothing")
    f = tmp_path / "a"
    f.mkdir()
    with pytest.raises(ValueError, match=r"config.json: no such file"):
        A.load_run(f)
    (f / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json: cannot read as JSON"):
        A.load_run(f)
    (f / "config.json").write_text(json.dumps({"stdp": {"w_max": "1"}}))
    with pytest.raises(ValueError, match=r"field 'stdp.w_max': expected a number > 0, got '1'"):
        A.load_run(f)
    (f / "config.json").write_text(json.dumps({"stdp": {"w_max": 1.0}}))
    with pytest.raises(ValueError, match=r"state.npz: no such file"):
        A.load_run(f)
    np.savez(f / "state.npz", weights=np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"state.npz: missing field\(s\) \['theta'\]"):
        A.load_run(f)
    np.savez(f / "state.npz", weights=np.ones((3, 4)), theta=np.ones(2))
    with pytest.raises(ValueError, match=r"field 'theta': expected shape \(3,\), got \(2,\)"):
        A.load_run(f)
    np.savez(f / "state.npz", weights=-np.ones((3, 4)), theta=np.ones(3))
    with pytest.raises(ValueError, match=r"field 'weights': expected non-negative"):
        A.load_run(f)
    np.savez(f / "state.npz", weights=np.ones((3, 4)), theta=np.ones(3), assignments=np.zeros(4, int))
    with pytest.raises(ValueError, match=r"field 'assignments': expected shape \(3,\)"):
        A.load_run(f)
    np.savez(f / "state.npz", weights=np.ones((3, 4)), theta=np.ones(3))
    (f / A.LABEL_COUNTS_FILE).write_bytes(b"garbage")
    with pytest.raises(ValueError, match="label_counts.npz: cannot read"):
        A.load_run(f)
    np.savez(f / A.LABEL_COUNTS_FILE, counts=np.ones((5, 2)), labels=np.zeros(5, int), n_classes=3)
    with pytest.raises(ValueError, match=r"field 'counts': expected shape \(n_images, 3\), got \(5, 2\)"):
        A.load_run(f)
    np.savez(f / A.LABEL_COUNTS_FILE, counts=np.ones((5, 3)), labels=np.full(5, 7), n_classes=3)
    with pytest.raises(ValueError, match=r"field 'labels': expected classes 0..2, got 7..7"):
        A.load_run(f)
    np.savez(f / A.LABEL_COUNTS_FILE, counts=np.ones((5, 3)), labels=np.zeros(5, int))
    with pytest.raises(ValueError, match=r"missing field\(s\) \['n_classes'\]"):
        A.load_run(f)


# ---------------------------------------------------------------------- RESULTS.md section
def _make_results():
    spec = importlib.util.spec_from_file_location("make_results", ROOT / "study" / "make_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_results_page_welch_test_and_rank_correlation_match_closed_forms():
    """make_results.py's Welch t test and Spearman correlation (scipy.stats) on cases worked by
    hand."""
    make = _make_results()
    # means 1 and 5, sample variances 1 and 4, 3 seeds each: t = 4 / sqrt(1/3 + 4/3) = 3.098,
    # Welch-Satterthwaite df = (5/3)^2 / ((1/3)^2/2 + (4/3)^2/2) = 50/17 = 2.94; t(0.975, 2.94)
    # is 3.19, so the difference is not clear at 5 %.
    assert make._compare([0, 1, 2], [3, 5, 7]) == ("Welch t = 3.1, df 2.9: not clear at 5 %", False)
    # a quarter of the variances, means 0.5 and 4: t = 3.5 / sqrt(1.25/3) = 5.42, df 2.94, clear
    assert make._compare([0, 0.5, 1], [3, 4, 5]) == ("Welch t = 5.4, df 2.9: clear", True)
    assert make._compare([1], [2, 3]) == ("one seed on a side: no test", None)
    assert make._compare([1, 1, 1], [2, 2, 2]) == ("clear: no spread over seeds", True)
    # no ties: 1 - 6 sum(d^2) / (n (n^2 - 1)) = 1 - 6 * 4 / 120
    assert make._spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8, abs=1e-12)
    # a tie (ranks 1, 2, 3.5, 5, 3.5): Pearson of the ranks = 8 / sqrt(10 * 9.5)
    assert make._spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / (95 ** 0.5), abs=1e-12)
    assert make._spearman([1, 2], [3, 4]) is None and make._spearman([1, 1, 1], [1, 2, 3]) is None


def test_results_page_weight_section_from_hand_built_runs(tmp_path):
    """The statistics section of make_results.py on fake run folders (no training): one l1
    and two l2 seeds for one dataset, one unfinished run; l2 has the lower mean weight and
    the higher selectivity by construction, and the page says so."""
    make = _make_results()
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 4)
    rows = []

    def run(name, mode, seed, w, counts, status="done", acc=0.8):
        folder = _run_folder(tmp_path / name, w, rng.uniform(20, 30, w.shape[0]),
                             counts=counts, labels=labels if counts is not None else None)
        rows.append({"status": status, "dataset": "mnist", "scaling.mode": mode, "seed": seed,
                     "scaling.target_norm": {"l1": 78.0, "l2": 5.0}[mode], "accuracy": acc,
                     "network.n_neurons": w.shape[0], "n_train": 40000, "n_label": 10000, "n_test": 10000,
                     "time.between_images": "reset", "time.presentation_ms": 150.0, "folder": str(folder),
                     "run_id": name})

    sharp = np.zeros((6, 16))
    sharp[np.arange(6), np.arange(6)] = 0.5                          # sparse, low mean
    broad = rng.uniform(0.2, 0.4, (6, 16))                           # dense, higher mean
    selective = np.zeros((12, 6), int)
    selective[labels[:, None] == (np.arange(6) % 3)[None, :]] = 3    # each neuron fires for one class
    mixed = np.ones((12, 6), int)
    run("l1s0", "l1", 0, broad, mixed)
    run("l2s0", "l2", 0, sharp, selective, acc=0.85)
    run("l2s1", "l2", 1, sharp * 0.9, selective, acc=0.86)
    run("l2s2", "l2", 2, sharp, None, status="partial")             # unfinished: not counted
    sweep = make.Sweep("paper_table", tmp_path, None, rows)
    page_dir = tmp_path / "docs"
    text = "\n".join(make.section_weight_statistics([sweep], page_dir / "results", page_dir,
                                                    "python study/make_results.py"))
    l2 = next(x for x in text.splitlines() if x.startswith("| mnist | l2 |"))
    assert "| 2 |" in l2                                            # two finished seeds
    assert "1.000 ± 0.000" in l2                                    # selectivity of one-class neurons
    assert "lower mean weight" in text and "higher selectivity" in text
    assert "l2 is more accurate than l1 on mnist (one seed)" in text       # one l1 seed: no test
    assert "hold together on: mnist." in text
    assert (page_dir / "results" / "weight_stats.png").stat().st_size > 1000
    assert "results/weight_stats.png" in text
    assert "python study/make_results.py" in text

    assert make._spearman([1, 2, 3], [10, 30, 20]) == 0.5 and make._spearman([1, 2], [1, 2]) is None
    assert make._spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0

    # no finished runs at all: a plain "not run yet", no exception
    empty = make.Sweep("paper_table", tmp_path, None, [dict(rows[3])])
    text = "\n".join(make.section_weight_statistics([empty], page_dir / "results", page_dir, "cmd"))
    assert "not run yet" in text


def test_results_page_weights_section_for_any_sweep(tmp_path):
    """section_weights (mosaics, statistics, pixel table) on a sweep that is not the paper's
    table: the statistics fall back to the runs of the l1/l2 pair's setting; a run with an
    unreadable state is named and left out."""
    make = _make_results()
    rng = np.random.default_rng(1)
    rows = []
    for name, mode, seed in (("a", "l1", 0), ("b", "l1", 1), ("c", "l2", 0), ("d", "l2", 1)):
        folder = _run_folder(tmp_path / name, rng.uniform(0, 0.3, (4, 16)), rng.uniform(20, 30, 4))
        rows.append({"status": "done", "dataset": "digits", "scaling.mode": mode, "seed": seed,
                     "scaling.target_norm": {"l1": 2.0, "l2": 1.0}[mode], "accuracy": 0.5,
                     "network.n_neurons": 4, "n_train": 20, "n_label": 20, "n_test": 20,
                     "time.between_images": "reset", "time.presentation_ms": 150.0, "folder": str(folder),
                     "run_id": name, "sweep": "tiny", "w_mean": 0.15})
    (tmp_path / "d" / "state.npz").write_bytes(b"broken")
    sweep = make.Sweep("tiny", tmp_path, None, rows)
    page_dir = tmp_path / "docs"
    text = "\n".join(make.section_weights([sweep], page_dir / "results", page_dir, "cmd"))
    for png in ("weights_l1.png", "weights_l2.png", "weight_stats.png"):
        assert (page_dir / "results" / png).stat().st_size > 1000
        assert f"results/{png}" in text
    assert "| digits | l2 | 1 | 4 | 20 | 1 |" in text                 # the broken seed is left out ...
    assert "`d` left out:" in text and "state.npz: cannot read" in text  # ... and named
    assert "one seed on a side" in text and "higher selectivity: not measured" in text


def test_results_page_protocol_verdict_names_the_winner_per_protocol():
    make = _make_results()

    def row(between, pres, mode, wt, seed, acc):
        return {"status": "done", "dataset": "mnist", "time.between_images": between, "time.presentation_ms": pres,
                "scaling.mode": mode, "scaling.target_norm": wt, "seed": seed, "accuracy": acc}
    rows = []
    for seed, jitter in enumerate((0.0, 0.002, -0.002)):
        rows += [row("reset", 150.0, "l2", 5.0, seed, 0.89 + jitter),
                 row("reset", 150.0, "l1", 78.0, seed, 0.87 + jitter),
                 row("rest", 150.0, "l2", 5.0, seed, 0.88 + jitter),
                 row("rest", 150.0, "l1", 78.0, seed, 0.88 - jitter)]
    lines = make.protocol_verdict(rows)
    text = "\n".join(lines)
    assert "mnist, reset, 150 ms: l2 Wt 5 (3 seeds) − l1 Wt 78 (3 seeds) = +2.00 points" in text
    assert "reset, 150 ms" in text and "**l2 better**" in text
    assert "mnist, rest, 150 ms: l2 Wt 5 (3 seeds) − l1 Wt 78 (3 seeds) = +0.00 points" in text
    assert "**no clear difference**" in text
    assert make.protocol_verdict([]) == []


def test_results_page_best_configurations_rank_settings_and_judge_the_targets(tmp_path):
    make = _make_results()

    def row(ds, mode, wt, seed, acc, retries, n_neurons=400, n_train=40000):
        return {"status": "done", "dataset": ds, "scaling.mode": mode, "scaling.target_norm": wt, "seed": seed,
                "accuracy": acc, "network.n_neurons": n_neurons, "n_train": n_train, "train_retries": retries,
                "time.presentation_ms": 150.0, "time.between_images": "reset"}
    rows = [row("mnist", "l2", 5.0, s, 0.87 + 0.001 * s, 15000) for s in range(3)]
    rows += [row("mnist", "l1", 10.0, s, 0.91 + 0.002 * s, 130000) for s in range(3)]
    rows += [row("mnist", "l1", 10.0, 0, 0.99, 0, n_neurons=1600)]             # not the paper's size
    rows += [row("fashion-mnist", "l1", 10.0, 0, 0.70, 80000)]
    sweeps = [make.Sweep("demo", tmp_path, None, rows)]
    text = "\n".join(make.section_best(sweeps, "make"))
    lines = [x for x in text.splitlines() if x.startswith("| mnist")]
    assert len(lines) == 2 and "| l1 | 10 |" in lines[0] and "91.20 ± 0.20 (n=3)" in lines[0]
    assert "| 4.25 ± 0.00 |" in lines[0] or "| 4.25 |" in lines[0]          # (40000 + 130000) / 40000
    assert "99.00" not in text
    assert "**mnist**: best 91.20 %" in text and "target 90.5 %: **met**" in text
    assert "**fashion-mnist**: best 70.00 %" in text and "**missed** (fewer than 3 seeds)" in text
