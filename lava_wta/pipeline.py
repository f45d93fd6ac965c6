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

import io
import os
import platform
import secrets
import sys
import time
import typing as ty
import zipfile
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
from lava_wta.errors import ConfigError, RunFolderError, check_count
from lava_wta.runfolder import (Manifest, RunFolderLock, dumps_json, prepare_folder, read_json,
                                remove_stale_temporaries, write_atomic)
from lava_wta.runfolder import write_json_atomic as _write_json_atomic
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

    def advance(done: int, counts: np.ndarray) -> None:
        """Add the curve's point at ``done`` images (once per position)."""
        prev = last["done"]
        if curve["images"] and curve["images"][-1] == done:
            return
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
        # None (JSON null) where there is no value yet: run files are strict JSON
        acc = float(np.mean(window)) if window else None
        spk = float(counts[max(prev, done - 100):done].sum(axis=1).mean()) if done > prev else None
        curve["images"].append(done)
        curve["running_accuracy"].append(acc)
        curve["spikes_per_image"].append(spk)
        last["done"] = done

    def on_progress(done: int, counts: np.ndarray, stats: dict) -> None:
        advance(done, counts)
        acc, spk = curve["running_accuracy"][-1], curve["spikes_per_image"][-1]
        bar.update(done - bar.n)
        bar.set_postfix({"spikes/img": "-" if spk is None else f"{spk:.1f}",
                         "acc~": "-" if acc is None else f"{100 * acc:.1f}%",
                         "retries": stats["retries"]}, refresh=False)

    if checkpoint is not None:
        # the curve so far travels in each checkpoint (taken at a curve point), so a resumed
        # training continues it exactly as an uninterrupted one
        resumed = checkpoint.resume(images_digest(images), state.weights.shape)
        if resumed is not None and "note_curve_images" in resumed:
            done = int(resumed["image_index"])
            curve.update({k: [None if np.isnan(v) else float(v) for v in resumed[f"note_curve_{k}"]]
                          for k in ("running_accuracy", "spikes_per_image")})
            curve["images"] = [int(v) for v in resumed["note_curve_images"]]
            hits.extend(bool(h) for h in resumed["note_curve_hits"])
            last["done"] = done
            if labels is not None:
                for c in np.unique(labels[:done]):     # integer sums: exact in any order
                    class_sums[c] = resumed["counts"][labels[:done] == c].sum(axis=0)
                class_n[:] = np.bincount(labels[:done], minlength=n_classes)

        def notes(done: int, counts: np.ndarray) -> dict:
            advance(done, counts)
            return {"curve_images": np.asarray(curve["images"], np.int64),
                    "curve_hits": np.asarray(hits, bool),
                    **{f"curve_{k}": np.array([np.nan if v is None else v for v in curve[k]], np.float64)
                       for k in ("running_accuracy", "spikes_per_image")}}

        checkpoint.notes = notes

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
    for what, imgs in (("labelling", label_images), ("test", test_images)):
        if len(imgs) == 0:
            raise ConfigError(f"{what} images: expected at least 1 (an evaluation of no images has no "
                              f"{'neuron labels' if what == 'labelling' else 'accuracy'}), got 0")
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


CHECKPOINT_FILE = "checkpoint.npz"
CHECKPOINT_CONFIG_FILE = "checkpoint.json"
"""The full configuration a run folder's checkpoint was taken with (resuming under
another training configuration is refused, naming the fields that differ)."""
EVALUATIONS_DIR = "evaluations"
"""``lava-wta evaluate`` writes into ``<run>/evaluations/<name>/``, never over the run's
own training results (unless asked to replace them)."""
MEMORY_COPIES_OF_WEIGHTS = 6
"""Float64 copies of the weight matrix a run may hold at once (state, the backend's
working copy, checkpoint and saved-file buffers), for :func:`estimate_memory_bytes`."""


def estimate_memory_bytes(config: WTAConfig, n_images: int) -> int:
    """About how many bytes a run of ``n_images`` presentations needs: the weight matrix
    (:data:`MEMORY_COPIES_OF_WEIGHTS` float64 copies) and the spike counts (int64, dense
    and checkpointed: 2 copies)."""
    n, n_in = config.network.n_neurons, config.network.n_inputs
    return 8 * (MEMORY_COPIES_OF_WEIGHTS * n * n_in + 2 * n * max(int(n_images), 1))


def available_memory_bytes() -> ty.Optional[int]:
    """Memory the system reports as available (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def check_memory(config: WTAConfig, n_images: int) -> None:
    """Raise :class:`ConfigError` before any work if :func:`estimate_memory_bytes` exceeds
    the memory available."""
    need, have = estimate_memory_bytes(config, n_images), available_memory_bytes()
    if have is not None and need > have:
        raise ConfigError(
            f"network.n_neurons: {config.network.n_neurons} neurons x {config.network.n_inputs} inputs "
            f"and {n_images} images need about {need / 2 ** 30:.1f} GiB (weights in "
            f"{MEMORY_COPIES_OF_WEIGHTS} float64 copies, spike counts); expected at most the "
            f"{have / 2 ** 30:.1f} GiB this machine has available")


def _check_n_label(n_label: int) -> int:
    return check_count("n_label (--label-images)", n_label, minimum=1,
                       why="a neuron is labelled with the class it fires most for")


def _check_counts(dataset: Dataset, n_train: int, n_test: int, *, min_train: int = 1) -> ty.Tuple[int, int]:
    n_train = check_count("n_train (--train-images)", n_train, minimum=min_train,
                          maximum=len(dataset.train_images),
                          why=f"{dataset.name} has {len(dataset.train_images)} training images")
    n_test = check_count("n_test (--test-images)", n_test, minimum=1, maximum=len(dataset.test_images),
                         why=f"{dataset.name} has {len(dataset.test_images)} test images")
    return n_train, n_test


@dataclass
class _RunCheckpoint(Checkpoint):
    """A training checkpoint inside a run folder: its digest is recorded in the folder's
    manifest and checked before it is resumed."""

    manifest: ty.Optional[Manifest] = None

    def save(self, **kwargs) -> None:
        # the checkpoint is replaced in place (atomically, under the folder's lock) so that a
        # kill right after it is written keeps it; until its digest is recorded, the manifest
        # marks it as being replaced and its zip checksums vouch for it
        self.manifest.begin(self.path.name)
        super().save(**kwargs)
        self.manifest.record(self.path.name)

    def load(self) -> ty.Optional[dict]:
        if not self.path.is_file():
            return None
        self.manifest.verify(self.path.name)
        try:
            return super().load()
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            raise RunFolderError(f"{self.path}: cannot read the checkpoint ({exc or type(exc).__name__}); "
                                 f"delete it to train afresh") from None


TRAINING_CONFIG_NOTE = "training_config"
"""Key of ``manifest.json`` holding the configuration the run was trained with."""


def _verify_run_files(manifest: Manifest) -> None:
    """Verify every file the manifest lists. ``config.json`` may differ from its recorded
    digest only in fields training does not depend on (:attr:`WTAConfig.NOT_TRAINING_FIELDS`,
    e.g. a longer evaluation presentation), checked against the configuration recorded at
    training."""
    for name in list(manifest.files):
        if name != "config.json":
            manifest.verify(name)
    if "config.json" not in manifest.files:
        return
    try:
        manifest.verify("config.json")
    except RunFolderError:
        recorded = manifest.notes.get(TRAINING_CONFIG_NOTE)
        if not isinstance(recorded, dict) or not (manifest.folder / "config.json").is_file():
            raise
        current = _load_run_config(manifest.folder / "config.json")
        try:
            trained = WTAConfig.from_dict(recorded, source=f"{manifest.path}: {TRAINING_CONFIG_NOTE}")
        except ConfigError as exc:
            raise RunFolderError(str(exc)) from None
        changed = trained.training_diff(current)
        if changed:
            raise RunFolderError(
                f"{manifest.folder / 'config.json'}: changed since training in fields the trained state "
                f"depends on (trained -> now: {'; '.join(changed)}); expected changes only to "
                f"{', '.join(WTAConfig.NOT_TRAINING_FIELDS)}")


def _load_run_config(path: Path) -> WTAConfig:
    """The configuration of a run folder; a missing or invalid one is a run-folder error."""
    if not path.is_file():
        raise RunFolderError(f"{path}: expected the run's configuration, found "
                             f"{'a folder' if path.is_dir() else 'nothing'}")
    try:
        return WTAConfig.load(path)
    except ConfigError as exc:
        raise RunFolderError(str(exc)) from None


def _check_checkpoint_config(out: Path, config: WTAConfig) -> None:
    """Refuse to resume a checkpoint taken with another training configuration."""
    ckpt, record = out / CHECKPOINT_FILE, out / CHECKPOINT_CONFIG_FILE
    if not record.is_file():
        raise RunFolderError(f"{ckpt}: expected {record} beside it (the configuration the checkpoint "
                             f"was taken with), found none; delete {ckpt} to train afresh")
    data = read_json(record)
    try:
        taken = WTAConfig.from_dict(data.get("config"), source=str(record))
    except ConfigError as exc:
        raise RunFolderError(str(exc)) from None
    changed = taken.training_diff(config)
    if changed:
        raise RunFolderError(f"{ckpt}: taken with another training configuration (checkpoint -> "
                             f"requested: {'; '.join(changed)}); choose another --out, or delete "
                             f"{ckpt} to train afresh")


def run_experiment(config: WTAConfig, dataset: Dataset, *, n_train: int, n_label: int, n_test: int,
                   out_dir: ty.Union[str, Path], label_from: str = "heldout", models: Models = None,
                   progress: bool = True, checkpoint_every: ty.Optional[int] = None,
                   command: ty.Optional[str] = None, backend: str = "engine") -> dict:
    """Train, label, test with ``backend``; write config, state, metrics and figures to
    ``out_dir`` (``metrics.json`` records the backend).

    Every count, the configuration (:meth:`WTAConfig.check_trainable`), the memory it
    needs (:func:`check_memory`) and the folder are checked before any work. The folder
    is locked for the whole run (:class:`lava_wta.runfolder.RunFolderLock`), every file
    is written atomically and recorded in ``manifest.json``, and recorded files are
    verified before they are used.

    An interrupted training resumes from ``out_dir/checkpoint.npz`` when started again
    with the same arguments (checkpoints every ``checkpoint_every`` images; by default
    the backend's ``checkpoint_every``, see :mod:`lava_wta.backends`); a checkpoint taken
    with another training configuration is refused. A finished training (``state.npz`` +
    ``train.json``) is not repeated when labelling or testing was interrupted.
    """
    spec = get_backend(backend)
    spec.check(config, learning=True, models=models)      # before anything is written
    if checkpoint_every is None:
        checkpoint_every = spec.checkpoint_every
    checkpoint_every = check_count("checkpoint_every (--checkpoint-every)", checkpoint_every, minimum=1)
    config.check_image_size(dataset.n_pixels, source=f"dataset {dataset.name}")
    config.check_trainable()
    n_train, n_test = _check_counts(dataset, n_train, n_test)
    label_x, label_y = label_split(dataset, n_train, _check_n_label(n_label), label_from)
    check_memory(config, n_train + len(label_y) + n_test)
    out = prepare_folder(out_dir)
    with RunFolderLock(out):
        remove_stale_temporaries(out)          # remnants of a killed run in this folder
        manifest = Manifest(out)
        _verify_run_files(manifest)
        saved_cfg = out / "config.json"
        resumable = any((out / f).is_file() for f in (CHECKPOINT_FILE, "train.json"))
        if saved_cfg.is_file() and resumable:
            saved = _load_run_config(saved_cfg)
            changed = saved.training_diff(config)
            if changed:
                raise RunFolderError(f"{out}: holds a (partly) trained run of a different configuration "
                                     f"(saved -> requested: {'; '.join(changed)}); "
                                     f"choose another --out or delete {out}")
            if saved.diff(config):
                # only evaluation / fixed-point fields changed: the old metrics describe another
                # evaluation; drop them first, so an interruption cannot leave them beside this config
                manifest.forget("metrics.json")
        if (out / CHECKPOINT_FILE).is_file():
            _check_checkpoint_config(out, config)
        manifest.write("config.json", config.to_json())
        manifest.note(TRAINING_CONFIG_NOTE, config.to_dict())
        n_classes = len(dataset.class_names)
        train_x, train_y = dataset.train_images[:n_train], dataset.train_labels[:n_train]

        # A finished training is kept (state.npz + train.json), so an interruption during
        # labelling or testing does not repeat it; an unfinished one resumes from its checkpoint.
        done = _finished_training(out, n_train, images_digest(train_x))
        if done is None:
            if not (out / CHECKPOINT_FILE).is_file():
                manifest.write(CHECKPOINT_CONFIG_FILE, dumps_json({"config": config.to_dict()}))
            checkpoint = _RunCheckpoint(out / CHECKPOINT_FILE, every_images=checkpoint_every,
                                        manifest=manifest)
            trained = train(config, train_x, train_y, models=models, progress=progress,
                            checkpoint=checkpoint, n_classes=n_classes, backend=backend)
            manifest.write("state.npz", trained.state.to_bytes())
            tp = trained.pass_
            done = {
                "n_train": n_train, "images_sha256": images_digest(train_x), "backend": backend,
                "train": {"seconds": tp.seconds, "steps": tp.steps, "ms_per_step": tp.ms_per_step,
                          "presentations": tp.presentations, "retries": tp.retries, "capped": tp.capped,
                          "resumed_from_image": tp.resumed_from,
                          "failure_signatures": evaluation.failure_signatures(tp.counts)},
                "training_curve": trained.curve,
            }
            manifest.write("train.json", dumps_json(done, str(out / "train.json")))
            manifest.forget(CHECKPOINT_FILE)
            manifest.forget(CHECKPOINT_CONFIG_FILE)
            if trained.curve["images"]:
                plots.plot_training_curve(trained.curve, out / "training_curve.png")
        state = WTAState.load(manifest.verify("state.npz"), config)
        state.assignments = None
        metrics = _evaluate_and_write(config, state, dataset, label_x, label_y, n_test, out,
                                      models=models, progress=progress, n_classes=n_classes,
                                      backend=backend, manifest=manifest)
        metrics.update({"n_train": n_train, "label_from": label_from, "command": command,
                        "train": done["train"], "training_curve": done["training_curve"]})
        if done.get("backend", backend) != backend:
            metrics["train_backend"] = done["backend"]
        manifest.write("metrics.json", dumps_json(metrics, str(out / "metrics.json")))
    return metrics


def _finished_training(out: Path, n_train: int, images_sha256: str) -> ty.Optional[dict]:
    """The record of a training already finished in ``out`` on these images, or None."""
    record = out / "train.json"
    if not (record.is_file() and (out / "state.npz").is_file()):
        return None
    try:
        done = read_json(record)
    except RunFolderError:
        return None
    if done.get("n_train") != n_train or done.get("images_sha256") != images_sha256:
        return None
    return done


def write_json_atomic(path: Path, data: dict) -> None:
    """Strict JSON through a uniquely named temporary file and a rename: readers see the
    old or the new file (:func:`lava_wta.runfolder.write_json_atomic`)."""
    _write_json_atomic(path, data)


def run_metadata(run_dir: ty.Union[str, Path]) -> dict:
    """The ``metrics.json`` of a run folder (``{}`` when it has none); a folder that is
    not a run, or a damaged file, is a :class:`RunFolderError`."""
    run = Path(run_dir)
    if not run.is_dir():
        raise RunFolderError(f"{run}: expected a run folder, found {'a file' if run.exists() else 'nothing'}")
    path = run / "metrics.json"
    if not path.exists():
        return {}
    Manifest(run).verify("metrics.json")
    return read_json(path)


def read_run(run_dir: ty.Union[str, Path]) -> ty.Tuple[WTAConfig, WTAState, dict]:
    """The configuration, trained state and metrics (``{}`` when it has none) of a run
    folder, every file verified against ``manifest.json`` first (under the folder's lock,
    as :func:`evaluate_run` reads them). A missing or damaged file is a
    :class:`RunFolderError` naming it."""
    run = Path(run_dir)
    if not (run / "config.json").is_file() or not (run / "state.npz").is_file():
        raise RunFolderError(f"{run}: expected a run folder (config.json and state.npz), found "
                             f"{'a folder without them' if run.is_dir() else 'nothing'}")
    with RunFolderLock(run):
        _verify_run_files(Manifest(run))
        config = _load_run_config(run / "config.json")
        state = WTAState.load(run / "state.npz", config)
        metrics = read_json(run / "metrics.json") if (run / "metrics.json").is_file() else {}
    return config, state, metrics


def evaluate_run(run_dir: ty.Union[str, Path], dataset: Dataset, *, n_label: int, n_test: int,
                 label_from: str = "heldout", n_train: ty.Optional[int] = None,
                 models: Models = None, progress: bool = True, backend: str = "engine",
                 replace: bool = False, name: ty.Optional[str] = None) -> dict:
    """Re-label and re-test the trained state of a run folder.

    The run's files are read (and verified against ``manifest.json``) but not changed:
    the results go to ``<run>/evaluations/<name>/`` (``metrics.json``, ``state.npz`` with
    these neuron labels, ``label_counts.npz`` and the figures; ``name`` defaults to
    ``label<n>-<label_from>-test<n>-<backend>``). With ``replace``, they replace the run's
    labels, metrics and figures instead, written only once the whole evaluation has
    succeeded. The returned metrics carry ``evaluation_folder``.
    """
    run = Path(run_dir)
    old = run_metadata(run)
    with RunFolderLock(run):
        remove_stale_temporaries(run)
        manifest = Manifest(run)
        _verify_run_files(manifest)
        config = _load_run_config(run / "config.json")
        state = WTAState.load(run / "state.npz", config)
        n_train = old.get("n_train") if n_train is None else n_train
        if n_train is None:
            if label_from == "heldout":
                raise RunFolderError(f"{run / 'metrics.json'}: missing, so the held-out images are unknown; "
                                     f"label with --label-from train or pass n_train")
            n_train = 0
        if isinstance(n_train, bool) or not isinstance(n_train, int) or n_train < 0:
            raise RunFolderError(f"{run / 'metrics.json'}: n_train: expected an integer >= 0, found {n_train!r}")
        n_test = check_count("n_test (--test-images)", n_test, minimum=1, maximum=len(dataset.test_images),
                             why=f"{dataset.name} has {len(dataset.test_images)} test images")
        label_x, label_y = label_split(dataset, n_train, _check_n_label(n_label), label_from)
        check_memory(config, len(label_y) + n_test)
        state.assignments = None
        n_classes = len(dataset.class_names)
        metrics, ev = _evaluate(config, state, dataset, label_x, label_y, n_test, models=models,
                                progress=progress, n_classes=n_classes, backend=backend)
        metrics["label_from"] = label_from
        if replace:
            _write_evaluation(manifest, config, state, dataset, ev, label_y)
            merged = {**old, **metrics, "evaluation_folder": str(run)}
            manifest.write("metrics.json", dumps_json(merged, str(run / "metrics.json")))
            return merged
        name = name or f"label{len(label_y)}-{label_from}-test{n_test}-{backend}"
        if not name or "/" in name or name in (".", ".."):
            raise ConfigError(f"evaluation name: expected a plain folder name, got {name!r}")
        dest = prepare_folder(run / EVALUATIONS_DIR / name, flag="evaluation folder")
        dest_manifest = Manifest(dest)
        _write_evaluation(dest_manifest, config, state, dataset, ev, label_y)
        merged = {**metrics, "n_train": n_train, "run": str(run), "evaluation_folder": str(dest)}
        dest_manifest.write("metrics.json", dumps_json(merged, str(dest / "metrics.json")))
        return merged


def _evaluate_and_write(config, state, dataset, label_x, label_y, n_test, out, *, models, progress,
                        n_classes, backend, manifest: ty.Optional[Manifest] = None) -> dict:
    """:func:`_evaluate`, then :func:`_write_evaluation` into ``out``."""
    metrics, ev = _evaluate(config, state, dataset, label_x, label_y, n_test, models=models,
                            progress=progress, n_classes=n_classes, backend=backend)
    _write_evaluation(manifest or Manifest(out), config, state, dataset, ev, label_y)
    return metrics


def _evaluate(config, state, dataset, label_x, label_y, n_test, *, models, progress, n_classes,
              backend) -> ty.Tuple[dict, EvalResult]:
    """Label and test (no file is written); the metrics and the evaluation."""
    ev = evaluate(config, state, label_x, label_y, dataset.test_images[:n_test],
                  dataset.test_labels[:n_test], models=models, progress=progress, n_classes=n_classes,
                  backend=backend)
    test_y = dataset.test_labels[:n_test]
    per_class = {dataset.class_names[c]: float(ev.confusion[c, c] / max(ev.confusion[c].sum(), 1))
                 for c in range(n_classes)}
    ep = ev.pass_
    metrics = {
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
    return metrics, ev


def _write_evaluation(manifest: Manifest, config: WTAConfig, state: WTAState, dataset: Dataset,
                      ev: EvalResult, label_y: np.ndarray) -> None:
    """Write an evaluation's labelled state, labelling counts and figures into the folder
    of ``manifest``. Everything is rendered first; only then are the files replaced (each
    atomically), so a failure while preparing them changes nothing."""
    out = manifest.folder
    n_classes = len(dataset.class_names)
    labelled = WTAState(state.weights, state.theta, ev.assignments).to_bytes()
    n_test = int(ev.confusion.sum())
    figures = {name: io.BytesIO() for name in ("weights.png", "confusion.png", "theta_hist.png")}
    # the labelling counts behind the assignments (selectivity, lava_wta.analysis)
    staged = out / f".{Path(LABEL_COUNTS_FILE).stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp.npz"
    try:
        save_label_counts(staged, ev.label_counts, label_y, n_classes, source="lava_wta.pipeline")
        plots.plot_weights(state.weights, dataset.image_shape, figures["weights.png"],
                           title=f"{dataset.name}: input weights of {config.network.n_neurons} neurons "
                                 f"({config.scaling.mode}, Wt={config.scaling.target_norm:g})")
        plots.plot_confusion(ev.confusion, figures["confusion.png"], dataset.class_names,
                             title=f"{dataset.name}: accuracy {100 * ev.accuracy:.2f} % on {n_test} test images")
        plots.plot_theta(state.theta, figures["theta_hist.png"], config.exc.theta_init_mv)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    manifest.write("state.npz", labelled)
    manifest.adopt(LABEL_COUNTS_FILE, staged)
    for name, buf in figures.items():
        write_atomic(out / name, buf.getvalue())
