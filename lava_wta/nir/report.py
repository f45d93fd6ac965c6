"""Score deployed networks on real images: the NIR round trip against the original network,
and the pieces the Loihi report shares (a run folder, its images, scoring, frozen passes)."""
from __future__ import annotations

import json
import time
import typing as ty
from pathlib import Path

import numpy as np

from lava_wta import evaluation
from lava_wta.config import WTAConfig
from lava_wta.errors import ConfigError, RunFolderError, check_count
from lava_wta.state import STREAM_EVAL_INPUT, WTAState, stream_seed


def load_run(run_dir: ty.Union[str, Path]) -> ty.Tuple[WTAConfig, WTAState, dict]:
    """Configuration, state and metrics of a run folder, verified against its manifest
    (:func:`lava_wta.pipeline.read_run`)."""
    from lava_wta.pipeline import read_run

    return read_run(run_dir)


def eval_images(dataset, metrics: dict, *, n_label: int, n_test: int, label_from: str = "heldout",
                n_train: ty.Optional[int] = None) -> dict:
    """The labelling and test images of a run (the same split as ``lava-wta evaluate``)."""
    from lava_wta.data import label_split

    n_train = metrics.get("n_train") if n_train is None else n_train
    if n_train is None:
        if label_from == "heldout":
            raise RunFolderError("metrics.json: expected the run's metrics (n_train), found none, so the "
                                 "held-out images are unknown; label with --label-from train "
                                 "(label_from='train') or pass n_train")
        n_train = 0
    label_x, label_y = label_split(dataset, n_train, n_label, label_from)
    check_count("n_test (--test-images)", n_test, minimum=1, maximum=len(dataset.test_images),
                why=f"{dataset.name} has {len(dataset.test_images)} test images")
    return {"label_x": label_x, "label_y": label_y, "test_x": dataset.test_images[:n_test],
            "test_y": dataset.test_labels[:n_test], "n_classes": len(dataset.class_names),
            "n_train": n_train, "label_from": label_from}


def score(counts: np.ndarray, split: dict, assignments: ty.Optional[np.ndarray] = None) -> dict:
    """Label neurons on the first ``len(label_y)`` rows of ``counts`` (unless ``assignments``
    is given) and classify the rest."""
    n_label = len(split["label_y"])
    if assignments is None:
        if n_label == 0:
            raise ConfigError("n_label (--label-images): expected labelling images or stored neuron "
                              "labels (assignments), found neither")
        assignments = evaluation.assign_labels(counts[:n_label], split["label_y"], split["n_classes"])
    pred = evaluation.predict(counts[n_label:], assignments, split["n_classes"])
    return {"accuracy": evaluation.accuracy(split["test_y"], pred), "assignments": assignments,
            "predictions": pred}


def run_labels(state: WTAState, split: dict, run: Path) -> ty.Optional[np.ndarray]:
    """The run's own neuron labels when no labelling images are presented (``n_label`` 0)."""
    if len(split["label_y"]):
        return None
    if state.assignments is None:
        raise RunFolderError(f"{run / 'state.npz'}: no neuron labels (assignments) stored, expected them "
                             "when no labelling images are presented; "
                         "pass --label-images N to label the neurons here")
    return state.assignments


def deployment_choices(role: str) -> ty.List[str]:
    """Backends a deployment report accepts in ``role``: ``"against"`` (the original network
    the NIR round trip is compared with: every floating-point backend but ``nir``), ``"float"``
    or ``"fixed"`` (the arithmetic of the backend; :mod:`lava_wta.backends`)."""
    from lava_wta.backends import backend_names

    if role == "against":
        return [b for b in backend_names(arithmetic="float") if b != "nir"]
    return backend_names(arithmetic=role)


def check_role(role: str, backend: str) -> None:
    """Raise :class:`~lava_wta.backends.BackendError` unless ``backend`` fits ``role``
    (:func:`deployment_choices`)."""
    from lava_wta.backends import BackendError

    choices = deployment_choices(role)
    if backend not in choices:
        raise BackendError(f"{role} backend: expected one of {choices}, got {backend!r}")


def frozen_pass(role: str, backend: str, config: WTAConfig, images: np.ndarray, state: WTAState, *,
                input_seed: int, progress: bool = False, desc: ty.Optional[str] = None):
    """A frozen pass of ``images`` through the backend named ``backend``, which must fit
    ``role`` (:func:`check_role`); a :class:`~lava_wta.presentation.PresentationResult`.
    ``progress``: a progress bar labelled ``desc`` (default: the backend's name)."""
    from lava_wta.backends import get_backend
    from lava_wta.pipeline import progress_bar

    check_role(role, backend)
    bar = progress_bar(len(images), desc or backend, progress)

    def on_progress(done: int, counts: np.ndarray, stats: dict) -> None:
        bar.update(done - bar.n)

    try:
        return get_backend(backend).present(config, images, state, learning=False, input_seed=input_seed,
                                            on_progress=on_progress)
    finally:
        bar.close()


def nir_roundtrip_report(run_dir: ty.Union[str, Path], dataset, *, n_label: int = 0,
                         n_test: int = 1000, label_from: str = "heldout",
                         nir_path: ty.Union[str, Path, None] = None,
                         out: ty.Union[str, Path, None] = None, against: str = "engine",
                         progress: bool = False) -> dict:
    """Export the run's network to NIR (``nir_path``, default ``RUN/network.nir``), and
    present the labelling and test images, with the same Poisson stream, to the imported
    network (backend ``nir``: the graph in NIR's file form, imported into lava-nc) and to
    the original current-based network in the backend ``against`` (default the engine;
    any floating-point backend of :mod:`lava_wta.backends` but ``nir``). Both are frozen.
    With ``n_label`` 0 (the default) neurons keep the labels stored in the run (from its
    own labelling pass) and only the test images are presented. Reports the accuracies and
    whether the spike counts are identical; writes ``nir_roundtrip.json`` into the run
    folder (or ``out``). ``progress``: a progress bar for each pass."""
    from lava_wta.nir.export import export_nir

    run = Path(run_dir)
    config, state, metrics = load_run(run)
    config = config.for_evaluation()
    check_role("against", against)
    nir_path = Path(nir_path) if nir_path else run / "network.nir"
    export_nir(state, config, nir_path)
    split = eval_images(dataset, metrics, n_label=n_label, n_test=n_test, label_from=label_from)
    images = np.concatenate([split["label_x"], split["test_x"]])
    seed = stream_seed(config, STREAM_EVAL_INPUT)

    labels = run_labels(state, split, run)
    original = frozen_pass("against", against, config, images, state, input_seed=seed, progress=progress,
                           desc=f"original ({against})")
    imported = frozen_pass("float", "nir", config, images, state, input_seed=seed, progress=progress,
                           desc="imported (nir)")
    s_orig, s_imp = score(original.counts, split, labels), score(imported.counts, split, labels)
    differing = np.flatnonzero((original.counts != imported.counts).any(axis=1))
    report = {
        "run": str(run), "nir_file": str(nir_path), "dataset": dataset.name,
        "n_label": len(split["label_y"]), "n_test": len(split["test_y"]),
        "label_from": split["label_from"] if labels is None else "the run's neuron labels",
        "input_seed": seed, "backend": "nir", "against": against,
        "original_accuracy": s_orig["accuracy"], "imported_accuracy": s_imp["accuracy"],
        "counts_identical": bool(differing.size == 0),
        "images_with_different_counts": int(differing.size),
        "first_differing_images": differing[:10].tolist(),
        "predictions_identical": bool(np.array_equal(s_orig["predictions"], s_imp["predictions"])),
        "retries": {"original": original.retries, "imported": imported.retries},
        "seconds": {"original": original.seconds, "imported": imported.seconds},
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    dest = Path(out) if out else run / "nir_roundtrip.json"
    dest.write_text(json.dumps(report, indent=2) + "\n")
    return report
