"""The comparison of Touda & Okuno 2026 that ``lava-wta demo`` (``make demo``) reproduces:
its protocol, its reported accuracies and the table that sets ours beside them.

Touda and Okuno, "Effects of Introducing Synaptic Scaling on Spiking Neural Network
Learning" (2026), arXiv:2601.11261: a Diehl & Cook network of 400 excitatory + 400
inhibitory neurons trained for one epoch of 40,000 images, tested on 10,000, with L2
synaptic scaling (target norm Wt 5) against L1 (Wt 78, Diehl & Cook's sum of weights).

The demo is a sweep (:mod:`lava_wta.experiments.sweep`): one run per scaling mode, each in
its own worker process, resumable like any sweep. ``study/experiments/paper_table.yaml`` (the
paper's whole table: both datasets, every mode, three seeds) uses the same protocol;
``tests/test_demo.py`` checks that the two agree.
"""
from __future__ import annotations

import typing as ty
from pathlib import Path

from lava_wta.experiments.spec import SweepSpec

CITATION = ("Touda and Okuno, \"Effects of Introducing Synaptic Scaling on Spiking Neural Network "
            "Learning\" (2026), arXiv:2601.11261")

PAPER_ACCURACY: ty.Dict[ty.Tuple[str, str], float] = {
    ("mnist", "l2"): 88.84, ("mnist", "l1"): 87.0,
    ("fashion-mnist", "l2"): 68.01, ("fashion-mnist", "l1"): 66.0}
"""Test accuracy (%) the paper reports, by (dataset, scaling mode), at :data:`PROTOCOL`."""

PAPER_WT: ty.Dict[str, float] = {"l2": 5.0, "l1": 78.0}
"""Target norm Wt of each scaling mode the paper compares (``scaling.target_norm``)."""

PROTOCOL: ty.Dict[str, int] = {"network.n_neurons": 400, "n_train": 40000, "n_label": 10000,
                               "n_test": 10000}
"""The paper's size: 400 excitatory (and as many inhibitory) neurons, one epoch of 40,000
training images, neurons labelled with the 10,000 held-out training images 40,000-49,999,
10,000 test images."""

DIEHL_COOK_ACCURACY: ty.Dict[int, float] = {100: 82.9, 400: 87.0, 1600: 91.9, 6400: 95.0}
"""MNIST test accuracy (%) by number of excitatory neurons that Diehl and Cook report
("Unsupervised learning of digit recognition using spike-timing-dependent plasticity",
Front. Comput. Neurosci. 2015): l1 normalisation (sum of each neuron's input weights 78),
350 ms presentations with 150 ms rest, several passes over the 60,000 training images."""

QUICK: ty.Dict[str, int] = {"network.n_neurons": 100, "n_train": 1000, "n_label": 1000, "n_test": 1000}
"""``lava-wta demo --quick``: a first look in seconds (L2 scaling only)."""

DEMO_MODES = ("l2", "l1")
DEMO_OUT = Path("runs/demo")


def demo_spec(out: ty.Union[str, Path] = DEMO_OUT, *, dataset: str = "mnist", seed: int = 0,
              sizes: ty.Optional[ty.Mapping[str, int]] = None) -> SweepSpec:
    """The demo as a sweep: one run per mode of :data:`DEMO_MODES` at the paper's Wt, at
    :data:`PROTOCOL` (``sizes`` replaces it, e.g. in tests), in ``out/<run id>``."""
    sizes = dict(PROTOCOL if sizes is None else sizes)
    base = {"dataset": dataset, "seed": seed, **sizes}
    runs = [{"scaling.mode": m, "scaling.target_norm": PAPER_WT[m]} for m in DEMO_MODES]
    return SweepSpec.from_dict({"name": "demo", "out": str(out), "base": base, "runs": runs,
                                "description": f"{CITATION}: L2 against L1 scaling"},
                               source="lava-wta demo")


def quick_train_args(out: ty.Union[str, Path] = Path("runs/demo-quick")) -> ty.List[str]:
    """The ``lava-wta train`` arguments of ``lava-wta demo --quick`` (:data:`QUICK`, L2, Wt 5)."""
    return ["train", "--dataset", "mnist", "--neurons", str(QUICK["network.n_neurons"]),
            "--scaling", "l2", "--target-norm", f"{PAPER_WT['l2']:g}",
            "--train-images", str(QUICK["n_train"]), "--label-images", str(QUICK["n_label"]),
            "--test-images", str(QUICK["n_test"]), "--out", str(out)]


def table_rows(results: ty.Sequence[ty.Mapping[str, ty.Any]]) -> ty.List[ty.List[str]]:
    """Rows of :func:`format_table` from one ``metrics.json`` (or ``None`` for a run that
    did not finish) per run: ``{"mode", "wt", "metrics", "folder"}``."""
    rows = []
    for r in results:
        m = r.get("metrics")
        dataset = (m or {}).get("dataset", "mnist")
        paper = PAPER_ACCURACY.get((dataset, r["mode"]))
        at_paper_size = m is not None and m.get("n_train") == PROTOCOL["n_train"] \
            and m.get("n_test") == PROTOCOL["n_test"] and m.get("n_label") == PROTOCOL["n_label"] \
            and r.get("n_neurons") == PROTOCOL["network.n_neurons"]
        ours = "failed (see the run folder)" if m is None else f"{100 * m['accuracy']:.2f}"
        if m is None or paper is None:
            diff = "–"
        elif not at_paper_size:
            diff = "– (not the paper's size)"
        else:
            diff = f"{100 * m['accuracy'] - paper:+.2f}"
        train = (m or {}).get("train") or {}
        seconds = "–" if not train else f"{train['seconds']:.1f}"
        compile_s = train.get("compile_seconds")
        rows.append([r["mode"].upper(), f"{r['wt']:g}", ours, "–" if paper is None else f"{paper:.2f}", diff,
                     seconds, "–" if compile_s is None else f"{compile_s:.1f}", str(r.get("folder", ""))])
    return rows


def demo_results(spec: SweepSpec) -> ty.List[dict]:
    """``{"mode", "wt", "n_neurons", "folder", "metrics"}`` of each run of ``spec`` (a
    :func:`demo_spec`); ``metrics`` is None for a run without a finished ``metrics.json``."""
    from lava_wta.experiments.sweep import metrics_complete, plan, read_json

    out = []
    for run, _ in plan(spec):
        done = metrics_complete(run.folder)
        out.append({"mode": run.params["scaling.mode"], "wt": run.params["scaling.target_norm"],
                    "n_neurons": run.params["network.n_neurons"], "folder": run.folder,
                    "metrics": read_json(Path(run.folder) / "metrics.json") if done else None})
    return out


TABLE_HEADER = ("scaling", "Wt", "ours (%)", "paper (%)", "ours - paper", "training (s)", "compile (s)",
                "run folder")


def format_table(results: ty.Sequence[ty.Mapping[str, ty.Any]]) -> str:
    """A plain-text table of our accuracies beside the paper's (see :func:`table_rows`)."""
    rows = [list(TABLE_HEADER)] + table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
