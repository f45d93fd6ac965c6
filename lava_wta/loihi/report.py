"""Fixed-point (Loihi 2, bit-accurate) accuracy of a trained run against floating point."""
from __future__ import annotations

import dataclasses
import json
import time
import typing as ty
from pathlib import Path

import numpy as np

from lava_wta.nir.report import check_role, eval_images, frozen_pass, load_run, run_labels, score
from lava_wta.state import STREAM_EVAL_INPUT, stream_seed


def loihi_report(run_dir: ty.Union[str, Path], dataset, *, n_label: int = 0, n_test: int = 1000,
                 label_from: str = "heldout", out: ty.Union[str, Path, None] = None,
                 float_backend: str = "engine", fixed_backend: str = "loihi-fixed",
                 loihi_overrides: ty.Optional[ty.Mapping[str, ty.Any]] = None,
                 progress: bool = False) -> dict:
    """Quantise the run's current-based network to Loihi 2 fixed point and present the same
    labelling and test images, with the same Poisson stream, to it (backend
    ``fixed_backend``: ``loihi-fixed``, lava-nc's bit-accurate models in Lava, the default,
    or ``loihi-emulator``, the same integers in seconds instead of hours, tested equal image
    for image) and to the floating-point network (backend ``float_backend``: the engine by
    default, or any floating-point backend of :mod:`lava_wta.backends`, e.g. ``nir`` for
    the NIR-imported lava-nc network or ``lava`` for the composed graph); report both
    accuracies, the quantisation errors and how many images got other spike counts.

    With ``n_label`` > 0, neurons are labelled separately in each arithmetic on those images
    (as a deployed chip would label its own neurons) and the fixed-point accuracy under the
    float labels is reported too; with ``n_label`` 0 (the default) both use the labels
    stored in the run and only the test images are presented.
    ``loihi_overrides`` (``{"u_range_spikes": 64, ...}``) change the run's ``loihi`` section
    (the quantiser's choices) for this report only.
    Writes ``loihi_report.json`` into the run folder (or ``out``). ``progress``: a
    progress bar for each pass.
    """
    from lava_wta.backends.deploy import fixed_plan

    check_role("float", float_backend)
    check_role("fixed", fixed_backend)
    run = Path(run_dir)
    config, state, metrics = load_run(run)
    config = config.for_evaluation()
    if loihi_overrides:
        config = config.with_overrides({f"loihi.{k}": v for k, v in loihi_overrides.items()})
    fixed = fixed_plan(config, state)
    split = eval_images(dataset, metrics, n_label=n_label, n_test=n_test, label_from=label_from)
    images = np.concatenate([split["label_x"], split["test_x"]])
    seed = stream_seed(config, STREAM_EVAL_INPUT)

    labels = run_labels(state, split, run)
    float_pass = frozen_pass("float", float_backend, config, images, state, input_seed=seed,
                             progress=progress, desc=f"float ({float_backend})")
    fixed_pass = frozen_pass("fixed", fixed_backend, config, images, state, input_seed=seed,
                             progress=progress, desc=f"fixed ({fixed_backend})")
    s_float = score(float_pass.counts, split, labels)
    s_fixed = score(fixed_pass.counts, split, labels)
    s_fixed_float_labels = score(fixed_pass.counts, split, assignments=s_float["assignments"])
    same = (float_pass.counts == fixed_pass.counts).all(axis=1)
    report = {
        "run": str(run), "dataset": dataset.name, "n_label": len(split["label_y"]),
        "n_test": len(split["test_y"]),
        "label_from": split["label_from"] if labels is None else "the run's neuron labels",
        "input_seed": seed, "float_backend": float_backend, "fixed_backend": fixed_backend,
        "loihi": dataclasses.asdict(config.loihi),
        "float_accuracy": s_float["accuracy"], "fixed_accuracy": s_fixed["accuracy"],
        "fixed_accuracy_with_float_labels": s_fixed_float_labels["accuracy"],
        "difference_percentage_points": 100 * (s_fixed["accuracy"] - s_float["accuracy"]),
        "images_with_identical_counts": int(same.sum()), "images": int(same.size),
        "prediction_agreement": float(np.mean(s_float["predictions"] == s_fixed["predictions"])),
        "spikes_per_image": {"float": float(float_pass.counts.sum(1).mean()),
                             "fixed": float(fixed_pass.counts.sum(1).mean())},
        "retries": {"float": float_pass.retries, "fixed": fixed_pass.retries},
        "seconds": {"float": float_pass.seconds, "fixed": fixed_pass.seconds},
        "quantisation": fixed.summary(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    dest = Path(out) if out else run / "loihi_report.json"
    dest.write_text(json.dumps(report, indent=2) + "\n")
    return report
