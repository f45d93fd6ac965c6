#!/usr/bin/env python
"""Recompute the labelling spike counts of finished runs and store them as label_counts.npz.

    NUMBA_NUM_THREADS=1 python scripts/label_counts.py runs/sweeps/paper_table     # every finished run
    python scripts/label_counts.py runs/sweeps/paper_table/mnist_l1_...-e3ecd814    # one run

``lava_wta.pipeline`` labels the neurons from the spike counts of the frozen network on the
labelling images but does not keep those counts; class selectivity
(:mod:`lava_wta.analysis.weights`) needs them. This script repeats that frozen labelling
pass with the engine: the run's ``config.json`` and trained ``state.npz``, the labelling
images named by its ``metrics.json`` (dataset, ``n_train``, ``n_label``, ``label_from``)
and the evaluation input seed of the pipeline. The input spikes come from a counter-based
stream keyed by (seed, image, retry, pixel), and the labelling images are the first images
of the pipeline's evaluation pass, so the counts are the pipeline's own; the script checks
this by recomputing the neuron assignments and comparing them with those in ``state.npz``,
and writes nothing for a run where they differ. Runs that already have the file, and runs
that are not finished (no complete ``metrics.json``), are skipped. Cost: one frozen pass
over the labelling images per run (10,000 images: seconds to tens of seconds on one core).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from lava_wta.analysis.weights import LABEL_COUNTS_FILE, save_label_counts  # noqa: E402
from lava_wta.experiments.results import run_folders  # noqa: E402
from lava_wta.experiments.sweep import read_json, run_status  # noqa: E402


def recompute(folder: Path, datasets: dict, force: bool = False) -> str:
    from lava_wta import evaluation
    from lava_wta.config import WTAConfig
    from lava_wta.data import load_dataset
    from lava_wta.pipeline import label_split, present
    from lava_wta.state import STREAM_EVAL_INPUT, WTAState, stream_seed

    out = folder / LABEL_COUNTS_FILE
    if out.is_file() and not force:
        return "skipped (has " + LABEL_COUNTS_FILE + ")"
    if run_status(folder) != "done":
        return "skipped (not finished)"
    metrics = read_json(folder / "metrics.json") or {}
    missing = [k for k in ("dataset", "n_train", "n_label", "label_from") if metrics.get(k) is None]
    if missing:
        raise ValueError(f"{folder / 'metrics.json'}: missing field(s) {missing}")
    config = WTAConfig.load(folder / "config.json")
    state = WTAState.load(folder / "state.npz", config)
    if state.assignments is None:
        raise ValueError(f"{folder / 'state.npz'}: field 'assignments' missing (the run was never labelled)")
    name = metrics["dataset"]
    if name not in datasets:
        datasets[name] = load_dataset(name, log=lambda s: None)
    data = datasets[name]
    label_x, label_y = label_split(data, int(metrics["n_train"]), int(metrics["n_label"]), metrics["label_from"])
    n_classes = len(data.class_names)
    t0 = time.perf_counter()
    result = present(config, label_x, WTAState(state.weights, state.theta), backend="engine", learning=False,
                     input_seed=stream_seed(config, STREAM_EVAL_INPUT))
    counts = result.counts
    assignments = evaluation.assign_labels(counts, label_y, n_classes)
    if not np.array_equal(assignments, state.assignments):
        differ = int((assignments != state.assignments).sum())
        raise ValueError(f"{folder}: recomputed labelling gives other assignments for {differ} neurons than "
                         f"state.npz; not written")
    save_label_counts(out, counts, label_y, n_classes,
                      source="recomputed by scripts/label_counts.py (frozen engine pass; assignments match "
                             "state.npz)")
    return f"wrote {LABEL_COUNTS_FILE} ({len(label_y)} images, {time.perf_counter() - t0:.1f} s)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folders", type=Path, nargs="+", help="run folders or sweep folders")
    p.add_argument("--force", action="store_true", help="recompute even if the file exists")
    args = p.parse_args(argv)
    datasets: dict = {}
    status = 0
    for top in args.folders:
        for folder in run_folders(top):
            try:
                print(f"{folder}: {recompute(folder, datasets, args.force)}", flush=True)
            except (ValueError, OSError) as exc:
                print(f"{folder}: error: {exc}", file=sys.stderr, flush=True)
                status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
