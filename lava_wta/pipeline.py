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

# lava-nc sets multiprocessing's start method to 'fork' when its runtime is first imported
# and fails if one is already fixed; tqdm's lock (and numba's threads) would fix one first.
import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: E402,F401,I100
import numpy as np
from tqdm.auto import tqdm  # noqa: E402

from lava_wta import evaluation, plots
from lava_wta.analysis.weights import LABEL_COUNTS_FILE, save_label_counts
from lava_wta.backends import get_backend
from lava_wta.config import WTAConfig
from lava_wta.data import Dataset, label_split  # noqa: F401  (label_split: re-exported)
from lava_wta.errors import ConfigError, RunFolderError, check_count
from lava_wta.kernels.support import COMPILED_NEURON_MODELS
from lava_wta.presentation import (
    SNAPSHOT_MOMENTS,
    SNAPSHOT_NEURONS,
    Checkpoint,
    PresentationResult,
    ProgressFn,
    WeightSnapshots,
    images_digest,
)
from lava_wta.runfolder import (
    Manifest,
    RunFolderLock,
    dumps_json,
    npz_bytes,
    prepare_folder,
    read_json,
    remove_stale_temporaries,
    write_atomic,
)
from lava_wta.runfolder import write_json_atomic as _write_json_atomic
from lava_wta.state import STREAM_EVAL_INPUT, WTAState, epoch_input_seed, epoch_order, stream_seed

Models = ty.Optional[ty.Mapping[type, ty.Any]]


def present(config: WTAConfig, images: np.ndarray, state: WTAState, *, backend: str = "engine",
            learning: bool, input_seed: int, on_progress: ty.Optional[ProgressFn] = None,
            models: Models = None, checkpoint: ty.Optional[Checkpoint] = None,
            threads: int = 1) -> PresentationResult:
    """Present ``images`` in order with the backend named ``backend`` (see
    :mod:`lava_wta.backends`: one contract for all; a backend refuses, naming those that
    can, what it cannot do: to learn, to run ``models``, to checkpoint, to step the
    network with ``threads`` threads)."""
    return get_backend(backend).present(config, images, state, learning=learning,
                                        input_seed=input_seed, on_progress=on_progress,
                                        checkpoint=checkpoint, models=models, threads=threads)


@dataclass
class TrainResult:
    state: WTAState
    pass_: PresentationResult
    curve: dict
    """:func:`lava_wta.evaluation.training_curve` of the pass."""
    snapshots: ty.Optional[dict] = None
    """The weights at several moments of training (:class:`WeightSnapshots`): ``images``,
    ``neurons``, ``weights`` (moments, neurons, n_inputs)."""


@dataclass
class EvalResult:
    assignments: np.ndarray
    predictions: np.ndarray
    accuracy: float
    confusion: np.ndarray
    label_counts: np.ndarray
    test_counts: np.ndarray
    pass_: PresentationResult


def progress_bar(total: int, desc: str, enabled: bool):
    """The progress bar of every pass over images (on stderr; ``enabled`` False: none)."""
    return tqdm(total=total, desc=desc, unit="img", disable=not enabled, dynamic_ncols=True,
                file=sys.stderr, mininterval=0.5)


def train(config: WTAConfig, images: np.ndarray, labels: ty.Optional[np.ndarray] = None, *,
          state: ty.Optional[WTAState] = None, models: Models = None, progress: bool = True,
          checkpoint: ty.Optional[Checkpoint] = None, n_classes: int = 10,
          backend: str = "engine", epoch: int = 0, snapshots: int = SNAPSHOT_MOMENTS,
          snapshot_neurons: int = SNAPSHOT_NEURONS, threads: int = 1) -> TrainResult:
    """Unsupervised training (STDP, scaling, theta) on ``images`` with ``backend``, as
    training pass ``epoch`` (0-based; it selects the Poisson stream, see
    :func:`lava_wta.state.epoch_input_seed`).

    ``labels`` are used only to watch the training: the progress display and the
    result's ``curve`` (:func:`lava_wta.evaluation.training_curve`) show the accuracy of
    neuron labels taken from all earlier images (as Diehl & Cook report during training).
    The weights of the first ``snapshot_neurons`` neurons are kept at ``snapshots``
    evenly spaced moments (start and end included; 0: none), the result's ``snapshots``.
    ``threads``: threads that step the network (the engine's; the same results).
    """
    config.check_image_size(images.shape[1], source="training set")
    state = state or WTAState.initial(config)
    state.check(config)
    hits: ty.List[bool] = []
    bar = progress_bar(len(images), "train", progress)
    last = {"done": 0}
    online = evaluation.OnlineLabels(n_classes, config.network.n_neurons)
    snap = (WeightSnapshots.for_pass(len(images), state.weights, inner=checkpoint, moments=snapshots,
                                     neurons=snapshot_neurons) if snapshots else None)

    def on_progress(done: int, counts: np.ndarray, stats: dict) -> None:
        prev = last["done"]
        if done > prev and labels is not None and prev >= 10 * n_classes:
            # neuron labels from every earlier image
            pred = evaluation.predict(counts[prev:done], online.assignments(), n_classes)
            hits.extend((pred == labels[prev:done]).tolist())
        if done > prev and labels is not None:
            online.add(counts[prev:done], labels[prev:done])
        window = hits[-500:]
        spk = float(counts[max(prev, done - 100):done].sum(axis=1).mean()) if done > prev else None
        bar.update(done - bar.n)
        bar.set_postfix({"spikes/img": "-" if spk is None else f"{spk:.1f}",
                         "acc~": f"{100 * np.mean(window):.1f}%" if window else "-",
                         "retries": stats["retries"]}, refresh=False)
        last["done"] = done

    try:
        result = present(config, images, state, backend=backend, learning=True,
                         input_seed=epoch_input_seed(config, epoch),
                         on_progress=on_progress, models=models, threads=threads,
                         checkpoint=snap if snap is not None else checkpoint)
    finally:
        bar.close()
    curve = evaluation.training_curve(result.counts, labels, n_classes)
    if config.scaling.target_mode != "fixed":
        curve["target_norm"] = _target_norm_curve(config, state, result.counts, curve["images"])
    return TrainResult(result.state, result, curve,
                       snap.result(result.state.weights, len(images)) if snap is not None else None)


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
    bar = progress_bar(len(images), "label+test", progress)
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


SNAPSHOTS_FILE = "snapshots.npz"
"""The weights at several moments of training (:attr:`TrainResult.snapshots`), in a run
folder beside the figure ``weights_over_training.png``."""
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


def _continued(saved: WTAConfig, requested: WTAConfig) -> WTAConfig:
    """The ``saved`` configuration of a run folder with the ``training.epochs`` of
    ``requested`` when that is larger: a training continued with more passes is the same
    training up to its last pass (a pass's order and Poisson input depend only on the seed
    and the pass's number, see :func:`lava_wta.state.epoch_order`), so the passes already
    made are kept."""
    if requested.training.epochs > saved.training.epochs:
        return saved.with_overrides({"training.epochs": requested.training.epochs})
    return saved


def _training_changes(saved: WTAConfig, requested: WTAConfig) -> ty.List[str]:
    """The training fields in which ``requested`` differs from ``saved`` (see
    :func:`_continued`)."""
    return _continued(saved, requested).training_diff(requested)


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
    changed = _training_changes(taken, config)
    if changed:
        raise RunFolderError(f"{ckpt}: taken with another training configuration (checkpoint -> "
                             f"requested: {'; '.join(changed)}); choose another --out, or delete "
                             f"{ckpt} to train afresh")


def run_experiment(config: WTAConfig, dataset: Dataset, *, n_train: int, n_label: int, n_test: int,
                   out_dir: ty.Union[str, Path], label_from: str = "heldout", models: Models = None,
                   progress: bool = True, checkpoint_every: ty.Optional[int] = None,
                   command: ty.Optional[str] = None, backend: str = "engine", threads: int = 1) -> dict:
    """Train, label, test with ``backend``; write config, state, metrics and figures to
    ``out_dir`` (``metrics.json`` records the backend). Training steps the network with
    ``threads`` threads (the engine's; the same results, bit for bit).

    Every count, the configuration (:meth:`WTAConfig.check_trainable`), the memory it
    needs (:func:`check_memory`) and the folder are checked before any work. The folder
    is locked for the whole run (:class:`lava_wta.runfolder.RunFolderLock`), every file
    is written atomically and recorded in ``manifest.json``, and recorded files are
    verified before they are used.

    An interrupted training resumes from ``out_dir/checkpoint.npz`` when started again
    with the same arguments (checkpoints every ``checkpoint_every`` images; by default
    the backend's ``checkpoint_every``, see :mod:`lava_wta.backends`); a checkpoint taken
    with another training configuration is refused. A finished training (``state.npz`` +
    ``train.json``) is not repeated when labelling or testing was interrupted. A run
    started again with more passes (a larger ``training.epochs``, nothing else of the
    training changed) keeps the passes it made and continues with the next: the result
    is, bit for bit, that of a run asked for all the passes at once.
    """
    spec = get_backend(backend)
    spec.check(config, learning=True, models=models, threads=threads)   # before anything is written
    if threads != 1:
        from lava_wta.engine import check_threads

        check_threads(threads, config)
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
        resumable = any((out / f).is_file() for f in (CHECKPOINT_FILE, EPOCHS_FILE, "train.json"))
        if saved_cfg.is_file() and resumable:
            saved = _load_run_config(saved_cfg)
            changed = _training_changes(saved, config)
            if changed:
                raise RunFolderError(f"{out}: holds a (partly) trained run of a different configuration "
                                     f"(saved -> requested: {'; '.join(changed)}); "
                                     f"choose another --out or delete {out}")
            if _continued(saved, config).diff(config):
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
        def evaluate_pass(st: WTAState) -> dict:       # the metrics after a pass but the last
            return _evaluate(config, st, dataset, label_x, label_y, n_test, models=models,
                             progress=progress, n_classes=n_classes, backend=backend)[0]

        done = _finished_training(out, n_train, images_digest(train_x))
        if done is not None and _passes(done) < config.training.epochs:
            # continued with more passes: the finished ones become the records of a
            # training that stopped after its last pass, and the next pass starts from there
            _reopen_training(out, manifest, done, evaluate_pass, {
                "dataset": dataset.name, "n_label": len(label_y), "n_test": n_test, "label_from": label_from,
                "backend": backend})
            done = None
        reused = done is not None
        if done is None:
            done, snapshots = _train_epochs(
                config, train_x, train_y, out, manifest, models=models, progress=progress,
                checkpoint_every=checkpoint_every, n_classes=n_classes, backend=backend, threads=threads,
                evaluate_pass=evaluate_pass)
            plots.plot_training_curve(done["training_curve"], out / "training_curve.png", n_classes)
            if snapshots is not None:
                manifest.write(SNAPSHOTS_FILE, npz_bytes(**snapshots))
                plots.plot_snapshots(snapshots, dataset.image_shape, out / "weights_over_training.png",
                                     title=f"{dataset.name}: input weights during training")
        state = WTAState.load(manifest.verify("state.npz"), config)
        state.assignments = None
        metrics = _evaluate_and_write(config, state, dataset, label_x, label_y, n_test, out,
                                      models=models, progress=progress, n_classes=n_classes,
                                      backend=backend, manifest=manifest)
        metrics.update({"n_train": n_train, "label_from": label_from, "command": command,
                        "train": done["train"], "train_reused": reused,
                        "training_curve": done["training_curve"]})
        if "epochs" in done:      # accuracy after each pass; the last pass's is the run's own
            metrics["epochs"] = done["epochs"][:-1] + [{**done["epochs"][-1], "accuracy": metrics["accuracy"]}]
        if done.get("backend", backend) != backend:
            metrics["train_backend"] = done["backend"]
        manifest.write("metrics.json", dumps_json(metrics, str(out / "metrics.json")))
    return metrics


def finished_run(out_dir: ty.Union[str, Path], config: WTAConfig, dataset: Dataset, *, n_train: int,
                 n_label: int, n_test: int, label_from: str = "heldout",
                 backend: str = "engine") -> ty.Optional[dict]:
    """The ``metrics.json`` of ``out_dir`` when it holds a finished run of exactly this
    request (same configuration, dataset, image counts, labelling source and backend),
    else None. :func:`run_experiment` on such a folder would only repeat the labelling and
    testing; ``lava-wta train`` says so and does nothing instead."""
    out = Path(out_dir)
    if not ((out / "metrics.json").is_file() and (out / "config.json").is_file()):
        return None
    with RunFolderLock(out):       # a folder another process is working in is refused, naming it
        _verify_run_files(Manifest(out))     # and a damaged one is reported, not taken as finished
        try:
            metrics = read_json(out / "metrics.json")
            saved = _load_run_config(out / "config.json")
        except RunFolderError:
            return None
    want = {"dataset": dataset.name, "n_train": n_train, "n_label": n_label, "n_test": n_test,
            "label_from": label_from, "backend": backend}
    if saved.diff(config) or any(metrics.get(k) != v for k, v in want.items()) \
            or not isinstance(metrics.get("accuracy"), (int, float)):
        return None
    return metrics


EPOCHS_FILE = "epochs.json"
"""A run of several training passes keeps the records of its finished passes
(``epochs.json``) and the state after the last of them (:func:`_epoch_state_file`) until
the last pass is done, so that it resumes across pass boundaries."""


def _epoch_state_file(passes_done: int) -> str:
    """The state after ``passes_done`` passes: named by its count, written before the
    records that name it and removed after them, so a kill at any moment leaves the two
    consistent."""
    return f"epoch_state_{passes_done}.npz"


def _target_norm_curve(config: WTAConfig, state: WTAState, counts: np.ndarray,
                       images: ty.Sequence[int]) -> ty.List[float]:
    """The adaptive target norm Wt at the end of each block of the training curve,
    replayed from the accepted counts of the pass (the updates the pass made)."""
    from lava_wta.model.scaling import target_trajectory

    sc = config.scaling
    wt = np.zeros(len(counts))
    target_trajectory(float(sc.target_norm if state.target_norm is None else state.target_norm),
                      np.asarray(counts).sum(axis=1), sc.rate_set_point_spikes, sc.rate_gain,
                      sc.target_norm_min, sc.reachable_norm(config.network.n_inputs, config.stdp.w_max), wt)
    return [float(wt[b - 1]) for b in images]


def _train_epochs(config: WTAConfig, train_x: np.ndarray, train_y: np.ndarray, out: Path,
                  manifest: Manifest, *, models, progress: bool, checkpoint_every: int, n_classes: int,
                  backend: str, evaluate_pass: ty.Callable[[WTAState], dict], threads: int = 1
                  ) -> ty.Tuple[dict, ty.Optional[dict]]:
    """Train ``config.training.epochs`` passes over ``train_x`` (see
    :func:`lava_wta.state.epoch_order`), resuming after the last finished pass and from the
    checkpoint inside the current one; write ``state.npz`` and ``train.json``. Returns the
    latter's record and the weight snapshots of all passes (image numbers counted over the
    passes). After each pass but the last, the network is labelled and tested
    (``evaluate_pass``); the last pass's accuracy is the run's own."""
    n_epochs = config.training.epochs
    records: ty.List[dict] = []
    state: ty.Optional[WTAState] = None
    snapshots: ty.Optional[dict] = None
    if n_epochs > 1 and (out / EPOCHS_FILE).is_file():
        records = read_json(manifest.verify(EPOCHS_FILE)).get("epochs", [])
        state = WTAState.load(manifest.verify(_epoch_state_file(len(records))), config)
        snap_file = manifest.verify(_epoch_snapshots_file(len(records)))
        if snap_file.is_file():
            with np.load(snap_file, allow_pickle=False) as z:
                snapshots = {k: z[k] for k in z.files}
    for epoch in range(len(records), n_epochs):
        order = epoch_order(config, len(train_x), epoch)
        x, y = train_x[order], train_y[order]
        ckpt = out / CHECKPOINT_FILE
        if ckpt.is_file() and read_json(out / CHECKPOINT_CONFIG_FILE).get("epoch", 0) != epoch:
            manifest.forget(CHECKPOINT_FILE)    # of a pass that finished before it could be removed
        if not ckpt.is_file():
            manifest.write(CHECKPOINT_CONFIG_FILE, dumps_json({"config": config.to_dict(), "epoch": epoch}))
        checkpoint = _RunCheckpoint(ckpt, every_images=checkpoint_every, manifest=manifest)
        trained = train(config, x, y, state=state, models=models, progress=progress, checkpoint=checkpoint,
                        n_classes=n_classes, backend=backend, epoch=epoch, threads=threads)
        state, tp = trained.state, trained.pass_
        snapshots = _join_snapshots(snapshots, trained.snapshots, epoch * len(train_x))
        record = {"epoch": epoch + 1, "seconds": tp.seconds, "compile_seconds": tp.compile_seconds,
                  "steps": tp.steps,
                  "presentations": tp.presentations, "retries": tp.retries, "capped": tp.capped,
                  "resumed_from_image": tp.resumed_from,
                  "failure_signatures": evaluation.failure_signatures(tp.counts),
                  "training_curve": trained.curve}
        if epoch < n_epochs - 1:
            record["accuracy"] = evaluate_pass(WTAState(state.weights.copy(), state.theta.copy()))["accuracy"]
            records.append(record)
            if snapshots is not None:
                manifest.write(_epoch_snapshots_file(len(records)), npz_bytes(**snapshots))
            manifest.write(_epoch_state_file(len(records)), state.to_bytes())
            manifest.write(EPOCHS_FILE, dumps_json({"epochs": records}, str(out / EPOCHS_FILE)))
            manifest.forget(_epoch_state_file(len(records) - 1))
            manifest.forget(_epoch_snapshots_file(len(records) - 1))
            manifest.forget(CHECKPOINT_FILE)
            manifest.forget(CHECKPOINT_CONFIG_FILE)
        else:
            records.append(record)
    manifest.write("state.npz", state.to_bytes())
    seconds = sum(r["seconds"] for r in records)
    steps = sum(r["steps"] for r in records)
    curve: dict = {}
    for r in records:           # image numbers counted over the passes
        offset = (r["epoch"] - 1) * len(train_x)
        for key, values in r["training_curve"].items():
            curve.setdefault(key, []).extend(offset + v if key in _CURVE_IMAGE_KEYS else v for v in values)
    last = records[-1]
    done = {
        "n_train": len(train_x), "images_sha256": images_digest(train_x), "backend": backend,
        "train": {"seconds": seconds, "compile_seconds": _sum_known(r["compile_seconds"] for r in records),
                  "steps": steps, "ms_per_step": 1e3 * seconds / steps if steps else None,
                  "presentations": sum(r["presentations"] for r in records),
                  "retries": sum(r["retries"] for r in records),
                  "capped": sum(r["capped"] for r in records),
                  "resumed_from_image": last["resumed_from_image"],
                  "failure_signatures": last["failure_signatures"]},
        "training_curve": curve,
    }
    if n_epochs > 1:
        done["train"]["epochs"] = n_epochs
        done["epochs"] = [{k: v for k, v in r.items() if k != "training_curve"} for r in records]
    manifest.write("train.json", dumps_json(done, str(out / "train.json")))
    for name in (CHECKPOINT_FILE, CHECKPOINT_CONFIG_FILE, _epoch_state_file(n_epochs - 1),
                 _epoch_snapshots_file(n_epochs - 1), EPOCHS_FILE):
        manifest.forget(name)
    return done, snapshots


_CURVE_IMAGE_KEYS = ("images", "online_accuracy_images")
"""The keys of a training curve that hold image numbers (counted over the passes when
the curves of several passes are joined); every other key holds a value per entry of
``online_accuracy_images`` (``online_accuracy``) or of ``images`` (the rest)."""


def _curve_axis(key: str) -> str:
    """The key of the image numbers the values of curve ``key`` belong to."""
    return key if key in _CURVE_IMAGE_KEYS else "online_accuracy_images" if key == "online_accuracy" else "images"


def _split_curve(curve: dict, n_train: int, passes: int) -> ty.List[dict]:
    """The training curve of each pass, from the curve of ``passes`` passes over
    ``n_train`` images joined by :func:`_train_epochs` (its inverse)."""
    out: ty.List[dict] = [{key: [] for key in curve} for _ in range(passes)]
    for key, values in curve.items():
        for value, image in zip(values, curve[_curve_axis(key)]):
            p = min((int(image) - 1) // n_train, passes - 1)
            out[p][key].append(value - p * n_train if key in _CURVE_IMAGE_KEYS else value)
    return out


def _passes(done: dict) -> int:
    """The number of passes of the finished training ``done`` (its ``train.json``)."""
    return int(done["train"].get("epochs", 1))


def _reopen_training(out: Path, manifest: Manifest, done: dict,
                     evaluate_pass: ty.Callable[[WTAState], dict], evaluation: dict) -> None:
    """Turn the finished training ``done`` of ``out`` into what :func:`_train_epochs` leaves
    after its last pass when more passes follow: the pass records (with each pass's
    training curve, and the accuracy after it: the run's own from ``metrics.json`` when
    that was measured as ``evaluation`` asks, else measured again with ``evaluate_pass``),
    the state and the weight snapshots. They are written before ``train.json`` is removed, so
    a kill in between repeats this, with the same result. The run's evaluations (``lava-wta
    evaluate``) describe the state after its last pass: they are kept, in
    ``evaluations-after-pass-<n>/``."""
    passes, n_train = _passes(done), int(done["n_train"])
    fields = ("seconds", "compile_seconds", "steps", "presentations", "retries", "capped",
              "resumed_from_image", "failure_signatures")
    records = done.get("epochs") or [{"epoch": 1, **{k: done["train"].get(k) for k in fields}}]
    records = [{**r, "training_curve": c}
               for r, c in zip(records, _split_curve(done["training_curve"], n_train, passes))]
    state = WTAState.load(manifest.verify("state.npz"))
    state.assignments = None
    metrics = read_json(manifest.verify("metrics.json")) if (out / "metrics.json").is_file() else {}
    accuracy = metrics.get("accuracy")
    if not isinstance(accuracy, (int, float)) or any(metrics.get(k) != v for k, v in evaluation.items()):
        accuracy = evaluate_pass(WTAState(state.weights.copy(), state.theta.copy()))["accuracy"]
    records[-1]["accuracy"] = accuracy
    if (out / SNAPSHOTS_FILE).is_file():
        manifest.write(_epoch_snapshots_file(passes), manifest.verify(SNAPSHOTS_FILE).read_bytes())
    manifest.write(_epoch_state_file(passes), state.to_bytes())
    manifest.write(EPOCHS_FILE, dumps_json({"epochs": records}, str(out / EPOCHS_FILE)))
    if (out / EVALUATIONS_DIR).is_dir():
        os.replace(out / EVALUATIONS_DIR, out / f"{EVALUATIONS_DIR}-after-pass-{passes}")
    for name in ("train.json", "metrics.json", "state.npz", SNAPSHOTS_FILE):
        manifest.forget(name)


def _epoch_snapshots_file(passes_done: int) -> str:
    """The weight snapshots of the first ``passes_done`` passes (kept like
    :func:`_epoch_state_file`)."""
    return f"epoch_snapshots_{passes_done}.npz"


def _join_snapshots(before: ty.Optional[dict], new: ty.Optional[dict], offset: int) -> ty.Optional[dict]:
    """The snapshots of earlier passes followed by those of a pass that began ``offset``
    images into the training (its first snapshot, the state the previous pass ended with,
    is not repeated)."""
    if new is None:
        return before
    new = {**new, "images": new["images"] + offset}
    if before is None:
        return new
    keep = new["images"] > before["images"][-1]
    return {"images": np.concatenate([before["images"], new["images"][keep]]), "neurons": new["neurons"],
            "weights": np.concatenate([before["weights"], new["weights"][keep]])}


def _sum_known(values: ty.Iterable[ty.Optional[float]]) -> ty.Optional[float]:
    """The sum of the values that are known (None where none is)."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


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
            _write_evaluation(manifest, config, state, dataset, ev, label_y, models)
            merged = {**old, **metrics, "evaluation_folder": str(run)}
            manifest.write("metrics.json", dumps_json(merged, str(run / "metrics.json")))
            return merged
        name = name or f"label{len(label_y)}-{label_from}-test{n_test}-{backend}"
        if not name or "/" in name or name in (".", ".."):
            raise ConfigError(f"evaluation name: expected a plain folder name, got {name!r}")
        dest = prepare_folder(run / EVALUATIONS_DIR / name, flag="evaluation folder")
        dest_manifest = Manifest(dest)
        _write_evaluation(dest_manifest, config, state, dataset, ev, label_y, models)
        merged = {**metrics, "n_train": n_train, "run": str(run), "evaluation_folder": str(dest)}
        dest_manifest.write("metrics.json", dumps_json(merged, str(dest / "metrics.json")))
        return merged


def _evaluate_and_write(config, state, dataset, label_x, label_y, n_test, out, *, models, progress,
                        n_classes, backend, manifest: ty.Optional[Manifest] = None) -> dict:
    """:func:`_evaluate`, then :func:`_write_evaluation` into ``out``."""
    metrics, ev = _evaluate(config, state, dataset, label_x, label_y, n_test, models=models,
                            progress=progress, n_classes=n_classes, backend=backend)
    _write_evaluation(manifest or Manifest(out), config, state, dataset, ev, label_y, models)
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
        "target_norm_final": float(config.scaling.target_norm if state.target_norm is None
                                   else state.target_norm),
        "evaluate": {"seconds": ep.seconds, "compile_seconds": ep.compile_seconds, "steps": ep.steps,
                     "ms_per_step": ep.ms_per_step,
                     "presentations": ep.presentations, "retries": ep.retries, "capped": ep.capped,
                     "failure_signatures": evaluation.failure_signatures(ev.test_counts)},
        "versions": _versions(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    return metrics, ev


def _write_evaluation(manifest: Manifest, config: WTAConfig, state: WTAState, dataset: Dataset,
                      ev: EvalResult, label_y: np.ndarray, models: Models = None) -> None:
    """Write an evaluation's labelled state, labelling counts and figures into the folder
    of ``manifest`` (``raster.png``: the first test image presented to the trained
    network, :func:`lava_wta.engine.record_presentation`). Everything is rendered first;
    only then are the files replaced (each atomically), so a failure while preparing them
    changes nothing."""
    out = manifest.folder
    n_classes = len(dataset.class_names)
    labelled = WTAState(state.weights, state.theta, ev.assignments, state.target_norm).to_bytes()
    n_test = int(ev.confusion.sum())
    # the raster is drawn by the engine, which simulates the model of the configuration,
    # not user ProcessModels: with those, no raster
    raster = not models and config.network.neuron_model in COMPILED_NEURON_MODELS
    figures = {name: io.BytesIO() for name in ("weights.png", "confusion.png", "theta_hist.png")
               + (("raster.png",) if raster else ())}
    # the labelling counts behind the assignments (selectivity, lava_wta.analysis)
    staged = out / f".{Path(LABEL_COUNTS_FILE).stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp.npz"
    try:
        save_label_counts(staged, ev.label_counts, label_y, n_classes, source="lava_wta.pipeline")
        plots.plot_weights(state.weights, dataset.image_shape, figures["weights.png"],
                           title=f"{dataset.name}: input weights of {config.network.n_neurons} neurons "
                                 f"({config.scaling.mode}, Wt={config.scaling.target_norm:g}) and their classes",
                           assignments=ev.assignments, class_names=dataset.class_names)
        if raster:
            from lava_wta.engine import record_presentation

            image = dataset.test_images[0]
            plots.plot_raster(record_presentation(config, state, image,
                                                  input_seed=stream_seed(config, STREAM_EVAL_INPUT)),
                              figures["raster.png"], image=image, image_shape=dataset.image_shape,
                              assignments=ev.assignments, class_names=dataset.class_names)
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
