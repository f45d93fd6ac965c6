"""Train, label, test and write a run folder: the Python API behind ``lava-wta``.

>>> from lava_wta import WTAConfig
>>> from lava_wta.data import load_dataset
>>> from lava_wta.pipeline import run_experiment
>>> metrics = run_experiment(WTAConfig(), load_dataset("mnist"), n_train=1000,
...                          n_label=1000, n_test=1000, out_dir="runs/demo")

Every backend of :mod:`lava_wta.backends` runs the same model on the same configuration
and state (see :func:`present`): ``engine`` (the standalone compiled engine, the
default), ``lava-fused`` and ``lava-async`` (one Lava process running the compiled step)
and ``lava`` (the composed graph of Lava processes, the reference).
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
import typing as ty
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# lava-nc sets multiprocessing's start method to 'fork' when its runtime is first imported
# and fails if one is already fixed; tqdm's lock (and numba's threads) would fix one first.
import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: E402,F401,I100
from tqdm.auto import tqdm  # noqa: E402

from lava_wta import evaluation, plots
from lava_wta.analysis.weights import LABEL_COUNTS_FILE, save_label_counts
from lava_wta.config import WTAConfig
from lava_wta.backends import get_backend
from lava_wta.data import Dataset, label_split  # noqa: F401  (label_split: re-exported)
from lava_wta.presentation import Checkpoint, PresentationResult, ProgressFn, images_digest
from lava_wta.state import STREAM_EVAL_INPUT, STREAM_TRAIN_INPUT, WTAState, stream_seed

Models = ty.Optional[ty.Mapping[type, ty.Any]]


def present(config: WTAConfig, images: np.ndarray, state: WTAState, *, backend: str = "engine",
            learning: bool, input_seed: int, on_progress: ty.Optional[ProgressFn] = None,
            models: Models = None, checkpoint: ty.Optional[Checkpoint] = None) -> PresentationResult:
    """Present ``images`` in order with the backend named ``backend`` (see
    :mod:`lava_wta.backends`: one contract for all; a backend refuses, naming those that
    can, what it cannot do: to learn, to run ``models``, to checkpoint)."""
    return get_backend(backend).present(config, images, state, learning=learning,
                                        input_seed=input_seed, on_progress=on_progress,
                                        checkpoint=checkpoint, models=models)


@dataclass
class TrainResult:
    state: WTAState
    pass_: PresentationResult
    curve: dict


@dataclass
class EvalResult:
    assignments: np.ndarray
    predictions: np.ndarray
    accuracy: float
    confusion: np.ndarray
    label_counts: np.ndarray
    test_counts: np.ndarray
    pass_: PresentationResult


def _bar(total: int, desc: str, enabled: bool):
    return tqdm(total=total, desc=desc, unit="img", disable=not enabled, dynamic_ncols=True,
                file=sys.stderr, mininterval=0.5)


def train(config: WTAConfig, images: np.ndarray, labels: ty.Optional[np.ndarray] = None, *,
          state: ty.Optional[WTAState] = None, models: Models = None, progress: bool = True,
          checkpoint: ty.Optional[Checkpoint] = None, n_classes: int = 10,
          backend: str = "engine") -> TrainResult:
    """Unsupervised training (STDP, scaling, theta) on ``images`` with ``backend``.

    ``labels`` are used only for the progress display: a running accuracy of each new
    chunk of images under neuron labels taken from all earlier images (as Diehl & Cook
    report during training).
    """
    config.check_image_size(images.shape[1], source="training set")
    state = state or WTAState.initial(config)
    state.check(config)
    curve = {"images": [], "running_accuracy": [], "spikes_per_image": []}
    hits: ty.List[bool] = []
    bar = _bar(len(images), "train", progress)
    last = {"done": 0}
    class_sums = np.zeros((n_classes, config.network.n_neurons))
    class_n = np.zeros(n_classes)

    def on_progress(done: int, counts: np.ndarray, stats: dict) -> None:
        prev = last["done"]
        if done > prev and labels is not None and prev >= 10 * n_classes:
            # neuron labels from every earlier image, kept as running per-class sums
            means = class_sums / np.maximum(class_n, 1)[:, None]
            assignments = means.argmax(axis=0)
            assignments[means.max(axis=0) <= 0] = -1
            pred = evaluation.predict(counts[prev:done], assignments, n_classes)
            hits.extend((pred == labels[prev:done]).tolist())
        if done > prev and labels is not None:
            chunk_labels, chunk_counts = labels[prev:done], counts[prev:done]
            for c in np.unique(chunk_labels):        # (np.add.at: 1 s over a 40,000-image run)
                class_sums[c] += chunk_counts[chunk_labels == c].sum(axis=0)
            class_n[:] += np.bincount(labels[prev:done], minlength=n_classes)
        window = hits[-500:]
        acc = float(np.mean(window)) if window else float("nan")
        spk = float(counts[max(prev, done - 100):done].sum(axis=1).mean()) if done > prev else float("nan")
        curve["images"].append(done)
        curve["running_accuracy"].append(acc)
        curve["spikes_per_image"].append(spk)
        bar.update(done - bar.n)
        bar.set_postfix({"spikes/img": f"{spk:.1f}", "acc~": f"{100 * acc:.1f}%" if window else "-",
                         "retries": stats["retries"]}, refresh=False)
        last["done"] = done

    try:
        result = present(config, images, state, backend=backend, learning=True,
                         input_seed=stream_seed(config, STREAM_TRAIN_INPUT),
                         on_progress=on_progress, models=models, checkpoint=checkpoint)
    finally:
        bar.close()
    return TrainResult(result.state, result, curve)


def evaluate(config: WTAConfig, state: WTAState, label_images: np.ndarray, label_labels: np.ndarray,
             test_images: np.ndarray, test_labels: np.ndarray, *, models: Models = None,
             progress: bool = True, n_classes: int = 10, backend: str = "engine") -> EvalResult:
    """Frozen network: label neurons on the labelled images, then classify the test images.

    Both sets go through one pass (weights and theta frozen), with the presentation time
    of :meth:`WTAConfig.for_evaluation`; the progress bar shows the test accuracy so far
    once the labelling images are done.
    """
    config = config.for_evaluation()
    config.check_image_size(label_images.shape[1], source="labelling set")
    config.check_image_size(test_images.shape[1], source="test set")
    state.check(config)
    n_label = len(label_images)
    images = np.concatenate([label_images, test_images])
    bar = _bar(len(images), "label+test", progress)
    cache: dict = {}

    def on_progress(done: int, counts: np.ndarray, stats: dict) -> None:
        post = {"spikes/img": f"{counts[max(0, done - 100):done].sum(axis=1).mean():.1f}"}
        if done >= n_label:
            if "assign" not in cache:
                cache["assign"] = evaluation.assign_labels(counts[:n_label], label_labels, n_classes)
            pred = evaluation.predict(counts[n_label:done], cache["assign"], n_classes)
            if pred.size:
                post["test acc"] = f"{100 * evaluation.accuracy(test_labels[:pred.size], pred):.1f}%"
        bar.update(done - bar.n)
        bar.set_postfix(post, refresh=False)

    try:
        result = present(config, images, state, backend=backend, learning=False,
                         input_seed=stream_seed(config, STREAM_EVAL_INPUT),
                         on_progress=on_progress, models=models)
    finally:
        bar.close()
    label_counts, test_counts = result.counts[:n_label], result.counts[n_label:]
    assignments = evaluation.assign_labels(label_counts, label_labels, n_classes)
    predictions = evaluation.predict(test_counts, assignments, n_classes)
    return EvalResult(assignments, predictions, evaluation.accuracy(test_labels, predictions),
                      evaluation.confusion_matrix(test_labels, predictions, n_classes),
                      label_counts, test_counts, result)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("lava-nc", "numpy", "nir"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def run_experiment(config: WTAConfig, dataset: Dataset, *, n_train: int, n_label: int, n_test: int,
                   out_dir: ty.Union[str, Path], label_from: str = "heldout", models: Models = None,
                   progress: bool = True, checkpoint_every: ty.Optional[int] = None,
                   command: ty.Optional[str] = None, backend: str = "engine") -> dict:
    """Train, label, test with ``backend``; write config, state, metrics and figures to
    ``out_dir`` (``metrics.json`` records the backend).

    An interrupted training resumes from ``out_dir/checkpoint.npz`` when started again
    with the same arguments (checkpoints every ``checkpoint_every`` images; by default
    the backend's ``checkpoint_every``, see :mod:`lava_wta.backends`); a
    finished training (``state.npz`` + ``train.json``) is not repeated when labelling or
    testing was interrupted.
    """
    spec = get_backend(backend)
    spec.check(config, learning=True, models=models)      # before anything is written
    if checkpoint_every is None:
        checkpoint_every = spec.checkpoint_every
    if checkpoint_every <= 0:
        raise ValueError(f"checkpoint_every: expected a positive number of images, got {checkpoint_every}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config.check_image_size(dataset.n_pixels, source=f"dataset {dataset.name}")
    if n_train > len(dataset.train_images):
        raise ValueError(f"n_train: {dataset.name} has {len(dataset.train_images)} training images, got {n_train}")
    if n_test > len(dataset.test_images):
        raise ValueError(f"n_test: {dataset.name} has {len(dataset.test_images)} test images, got {n_test}")
    saved_cfg = out / "config.json"
    resumable = any((out / f).is_file() for f in ("checkpoint.npz", "train.json"))
    if saved_cfg.is_file() and resumable:
        saved = WTAConfig.load(saved_cfg)
        changed = saved.training_diff(config)
        if changed:
            raise ValueError(f"{out}: holds a (partly) trained run of a different configuration "
                             f"(saved -> requested: {'; '.join(changed)}); "
                             f"choose another --out or delete {out}")
        if saved.diff(config):
            # only evaluation / fixed-point fields changed: the old metrics describe another
            # evaluation; drop them first, so an interruption cannot leave them beside this config
            (out / "metrics.json").unlink(missing_ok=True)
    config.save(saved_cfg)
    label_x, label_y = label_split(dataset, n_train, n_label, label_from)
    n_classes = len(dataset.class_names)
    train_x, train_y = dataset.train_images[:n_train], dataset.train_labels[:n_train]

    # A finished training is kept (state.npz + train.json), so an interruption during
    # labelling or testing does not repeat it; an unfinished one resumes from its checkpoint.
    done = _finished_training(out, n_train, images_digest(train_x))
    if done is None:
        checkpoint = Checkpoint(out / "checkpoint.npz", every_images=checkpoint_every)
        trained = train(config, train_x, train_y, models=models, progress=progress,
                        checkpoint=checkpoint, n_classes=n_classes, backend=backend)
        trained.state.save(out / "state.npz")
        tp = trained.pass_
        done = {
            "n_train": n_train, "images_sha256": images_digest(train_x), "backend": backend,
            "train": {"seconds": tp.seconds, "steps": tp.steps, "ms_per_step": tp.ms_per_step,
                      "presentations": tp.presentations, "retries": tp.retries, "capped": tp.capped,
                      "resumed_from_image": tp.resumed_from,
                      "failure_signatures": evaluation.failure_signatures(tp.counts)},
            "training_curve": trained.curve,
        }
        write_json_atomic(out / "train.json", done)
        checkpoint.path.unlink(missing_ok=True)
        if trained.curve["images"]:
            plots.plot_training_curve(trained.curve, out / "training_curve.png")
    state = WTAState.load(out / "state.npz", config)
    state.assignments = None
    metrics = _evaluate_and_write(config, state, dataset, label_x, label_y, n_test, out,
                                  models=models, progress=progress, n_classes=n_classes,
                                  backend=backend)
    metrics.update({"n_train": n_train, "label_from": label_from, "command": command,
                    "train": done["train"], "training_curve": done["training_curve"]})
    if done.get("backend", backend) != backend:
        metrics["train_backend"] = done["backend"]
    write_json_atomic(out / "metrics.json", metrics)
    return metrics


def _finished_training(out: Path, n_train: int, images_sha256: str) -> ty.Optional[dict]:
    """The record of a training already finished in ``out`` on these images, or None."""
    record = out / "train.json"
    if not (record.is_file() and (out / "state.npz").is_file()):
        return None
    try:
        done = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    if done.get("n_train") != n_train or done.get("images_sha256") != images_sha256:
        return None
    return done


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON to a temporary file, then rename: readers see the old or the new file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def evaluate_run(run_dir: ty.Union[str, Path], dataset: Dataset, *, n_label: int, n_test: int,
                 label_from: str = "heldout", n_train: ty.Optional[int] = None,
                 models: Models = None, progress: bool = True, backend: str = "engine") -> dict:
    """Re-label and re-test the trained state of a run folder; updates its metrics and figures."""
    run = Path(run_dir)
    config = WTAConfig.load(run / "config.json")
    state = WTAState.load(run / "state.npz", config)
    old = json.loads((run / "metrics.json").read_text()) if (run / "metrics.json").is_file() else {}
    n_train = old.get("n_train") if n_train is None else n_train
    if n_train is None:
        if label_from == "heldout":
            raise ValueError(f"{run / 'metrics.json'}: missing, so the held-out images are unknown; "
                             f"label with --label-from train or pass n_train")
        n_train = 0
    label_x, label_y = label_split(dataset, n_train, n_label, label_from)
    metrics = _evaluate_and_write(config, state, dataset, label_x, label_y, n_test, run, models=models,
                                  progress=progress, n_classes=len(dataset.class_names),
                                  backend=backend)
    merged = {**old, **metrics, "label_from": label_from}
    write_json_atomic(run / "metrics.json", merged)
    return merged


def _evaluate_and_write(config, state, dataset, label_x, label_y, n_test, out, *, models, progress,
                        n_classes, backend) -> dict:
    ev = evaluate(config, state, label_x, label_y, dataset.test_images[:n_test],
                  dataset.test_labels[:n_test], models=models, progress=progress, n_classes=n_classes,
                  backend=backend)
    state = WTAState(state.weights, state.theta, ev.assignments)
    state.save(out / "state.npz")
    # the labelling counts behind the assignments (selectivity, lava_wta.analysis)
    save_label_counts(out / LABEL_COUNTS_FILE, ev.label_counts, label_y, n_classes,
                      source="lava_wta.pipeline")
    test_y = dataset.test_labels[:n_test]
    per_class = {dataset.class_names[c]: float(ev.confusion[c, c] / max(ev.confusion[c].sum(), 1))
                 for c in range(n_classes)}
    ep = ev.pass_
    plots.plot_weights(state.weights, dataset.image_shape, out / "weights.png",
                       title=f"{dataset.name}: input weights of {config.network.n_neurons} neurons "
                             f"({config.scaling.mode}, Wt={config.scaling.target_norm:g})")
    plots.plot_confusion(ev.confusion, out / "confusion.png", dataset.class_names,
                         title=f"{dataset.name}: accuracy {100 * ev.accuracy:.2f} % on {len(test_y)} test images")
    plots.plot_theta(state.theta, out / "theta_hist.png", config.exc.theta_init_mv)
    return {
        "backend": backend,
        "dataset": dataset.name,
        "data_source": dataset.source,
        "n_label": len(label_y),
        "n_test": int(len(test_y)),
        "accuracy": ev.accuracy,
        "per_class_accuracy": per_class,
        "confusion_matrix": ev.confusion.tolist(),
        "neurons_assigned_per_class": np.bincount(ev.assignments[ev.assignments >= 0],
                                                  minlength=n_classes).tolist(),
        "neurons_unassigned": int((ev.assignments < 0).sum()),
        "theta_mv": {"mean": float(state.theta.mean()), "min": float(state.theta.min()),
                     "max": float(state.theta.max())},
        "evaluate": {"seconds": ep.seconds, "steps": ep.steps, "ms_per_step": ep.ms_per_step,
                     "presentations": ep.presentations, "retries": ep.retries, "capped": ep.capped,
                     "failure_signatures": evaluation.failure_signatures(ev.test_counts)},
        "versions": _versions(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
