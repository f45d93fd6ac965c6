"""The trained state of a network (weights, theta, neuron labels) and its file format.

One state moves between every way of running the model. On disk it is an ``.npz``
holding ``weights`` (n_neurons x n_inputs, Lava's (out, in) orientation), ``theta`` (mV)
and, once labelled, ``assignments`` (class per neuron, -1 for a neuron that never fired
on the labelling images).
"""
from __future__ import annotations

import typing as ty
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lava_wta.config import WTAConfig
from lava_wta.errors import RunFolderError
from lava_wta.rules import apply_scaling

# Independent random streams derived from config.seed (numpy SeedSequence entropy lists).
STREAM_WEIGHTS = 0
STREAM_TRAIN_INPUT = 1
STREAM_EVAL_INPUT = 2
STREAM_EPOCH_ORDER = 3


def stream_seed(config: WTAConfig, stream: int, *more: int) -> int:
    """A 63-bit seed for one of the named random streams of ``config.seed`` (``more``:
    further entropy, e.g. the number of a training pass)."""
    return int(np.random.SeedSequence([config.seed, stream, *more]).generate_state(1, np.uint64)[0]) >> 1


def epoch_input_seed(config: WTAConfig, epoch: int) -> int:
    """Seed of the Poisson input of training pass ``epoch`` (0-based): pass 0 keeps the
    seed of a single-pass training, each later pass has a stream of its own."""
    return stream_seed(config, STREAM_TRAIN_INPUT) if epoch == 0 else stream_seed(config, STREAM_TRAIN_INPUT, epoch)


def epoch_order(config: WTAConfig, n_images: int, epoch: int) -> np.ndarray:
    """Order of the training images in pass ``epoch`` (0-based): the dataset's order in
    pass 0, a permutation drawn from ``seed`` and ``epoch`` in each later pass."""
    if epoch == 0:
        return np.arange(n_images)
    return np.random.default_rng(stream_seed(config, STREAM_EPOCH_ORDER, epoch)).permutation(n_images)


def initial_weights(config: WTAConfig) -> np.ndarray:
    """Uniform [0, w_init_max) weights, scaled once if ``scaling.scale_initial``."""
    rng = np.random.default_rng(stream_seed(config, STREAM_WEIGHTS))
    shape = (config.network.n_neurons, config.network.n_inputs)
    w = rng.uniform(0.0, config.network.w_init_max, size=shape)
    if config.scaling.scale_initial:
        apply_scaling(w, config.scaling.mode, config.scaling.target_norm)
    return w


@dataclass
class WTAState:
    weights: np.ndarray
    theta: np.ndarray
    assignments: ty.Optional[np.ndarray] = None
    target_norm: ty.Optional[float] = None
    """The scaling's target norm Wt reached in training (an adaptive
    ``scaling.target_mode``); None: ``scaling.target_norm``."""

    @classmethod
    def initial(cls, config: WTAConfig) -> "WTAState":
        return cls(initial_weights(config), np.full(config.network.n_neurons,
                                                     config.exc_params.theta_init_mv))

    def check(self, config: WTAConfig, source: str = "state") -> None:
        n, n_in = config.network.n_neurons, config.network.n_inputs
        if self.weights.shape != (n, n_in):
            raise RunFolderError(f"{source}: weights have shape {self.weights.shape}, the configuration "
                             f"expects (network.n_neurons, network.n_inputs) = {(n, n_in)}")
        if self.theta.shape != (n,):
            raise RunFolderError(f"{source}: theta has shape {self.theta.shape}, expected {(n,)}")
        if self.assignments is not None and self.assignments.shape != (n,):
            raise RunFolderError(f"{source}: assignments have shape {self.assignments.shape}, expected {(n,)}")

    def to_bytes(self) -> bytes:
        """The ``.npz`` file :meth:`save` writes, as bytes."""
        from lava_wta.runfolder import npz_bytes

        arrays = {"weights": self.weights, "theta": self.theta}
        if self.assignments is not None:
            arrays["assignments"] = self.assignments
        if self.target_norm is not None:
            arrays["target_norm"] = np.array([self.target_norm], np.float64)
        return npz_bytes(**arrays)

    def save(self, path: ty.Union[str, Path]) -> Path:
        """Write atomically (uniquely named temporary file, then rename)."""
        from lava_wta.runfolder import write_atomic

        return write_atomic(path, self.to_bytes())

    @classmethod
    def load(cls, path: ty.Union[str, Path], config: ty.Optional[WTAConfig] = None) -> "WTAState":
        import zipfile

        path = Path(path)
        if not path.is_file():
            raise RunFolderError(f"{path}: expected a state file (.npz), found "
                                 f"{'a folder' if path.is_dir() else 'nothing'}")
        try:
            z = np.load(path, allow_pickle=False)
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise ValueError("expected an .npz archive, found a single .npy array")
            with z:
                missing = {"weights", "theta"} - set(z.files)
                if missing:
                    raise ValueError(f"missing array(s) {sorted(missing)}")
                arrays = {k: z[k] for k in ("weights", "theta", "assignments", "target_norm")
                          if k in z.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
            raise RunFolderError(f"{path}: cannot load state (expected an .npz with weights and theta: "
                                 f"{exc or type(exc).__name__})") from None
        for name, ndim in (("weights", 2), ("theta", 1), ("assignments", 1)):
            a = arrays.get(name)
            if a is None:
                continue
            kind = "iu" if name == "assignments" else "iuf"
            if a.dtype.kind not in kind or a.ndim != ndim:
                raise RunFolderError(f"{path}: {name}: expected a {ndim}-D array of "
                                     f"{'integers' if kind == 'iu' else 'numbers'}, found {a.ndim}-D {a.dtype}")
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                raise RunFolderError(f"{path}: {name}: expected finite values, found NaN or infinity")
        state = cls(arrays["weights"].astype(float), arrays["theta"].astype(float),
                    arrays["assignments"].astype(int) if "assignments" in arrays else None,
                    float(arrays["target_norm"][0]) if "target_norm" in arrays else None)
        if config is not None:
            state.check(config, str(path))
        return state
