"""What a pass of images through the network produced, and checkpoints of a training pass.

Shared by every backend of :mod:`lava_wta.backends` (:mod:`lava_wta.simulation` for the
Lava graphs, :mod:`lava_wta.engine` for the standalone engine,
:func:`lava_wta.nir.present.present_imported` for imported and quantised networks in Lava,
:mod:`lava_wta.loihi.emulate` for the fixed-point emulator), so a run folder, a report, a
checkpoint or a progress callback does not depend on which one ran.
"""
from __future__ import annotations

import hashlib
import math
import os
import typing as ty
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lava_wta.errors import RunFolderError
from lava_wta.state import WTAState

ProgressFn = ty.Callable[[int, np.ndarray, dict], None]
"""``on_progress(images_done, counts, stats)``; ``stats`` has presentations, retries, capped."""


def count_dtype(period_steps: int) -> np.dtype:
    """The type of the spike counts of presentations ``period_steps`` time steps long.

    A neuron fires at most once per step, so a count never exceeds ``period_steps``:
    uint16 holds it for any presentation shorter than 65,536 steps (33 s at 0.5 ms), a
    quarter of the memory of int64 (the counts of 60,000 images at 6,400 neurons: 0.77 GB
    instead of 3.1 GB); longer ones get uint32, then uint64."""
    for dtype in (np.uint16, np.uint32):
        if period_steps <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def new_counts(n_images: int, n_neurons: int, period_steps: int) -> np.ndarray:
    """Zeroed spike counts (n_images, n_neurons) for a pass of presentations
    ``period_steps`` steps long (:func:`count_dtype`)."""
    return np.zeros((n_images, n_neurons), dtype=count_dtype(period_steps))


def images_digest(images: np.ndarray) -> str:
    """SHA-256 of an image array: binds a checkpoint to the images it was taken on."""
    return hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()


@dataclass
class PresentationResult:
    """What a pass over images produced."""

    counts: np.ndarray
    """Excitatory (output) spike counts of the accepted presentation of each image,
    (n_images, n_neurons), of the unsigned type :func:`count_dtype` (convert before
    subtracting)."""
    state: ty.Optional[WTAState]
    """Weights and theta after the pass (unchanged when frozen); None from a run of a
    network given in another form (an imported NIR graph, a quantised plan) than a state."""
    presentations: int
    """Presentations in all, retries included."""
    retries: int
    """Presentations repeated at a higher input rate because too few output spikes came."""
    capped: int
    """Images accepted with too few spikes because ``input.max_retries`` was reached."""
    steps: int
    """Time steps simulated."""
    seconds: float
    """Wall time of the pass."""
    resumed_from: int = 0
    """Image the pass resumed from (a checkpoint); 0 for a pass from the start."""
    compile_seconds: ty.Optional[float] = None
    """Wall time spent before the first simulated step compiling the pass's kernels (numba
    JIT, or loading them from numba's on-disk cache) and setting them up; not part of
    ``seconds``. None where a backend does not measure it apart."""

    @property
    def ms_per_step(self) -> float:
        return 1e3 * self.seconds / self.steps if self.steps else float("nan")


@dataclass
class Checkpoint:
    """Atomic snapshot of a training pass, taken between chunks."""

    path: Path
    every_images: int = 200

    def save(self, *, weights, theta, image_index, retry, presentations, counts, retries, capped,
             steps, seconds, images_sha256: str, backend: str = "lava",
             extra: ty.Optional[ty.Mapping[str, np.ndarray]] = None) -> None:
        """Write atomically (temporary file, then rename): a kill at any moment leaves
        either the previous checkpoint or this one. ``extra`` holds backend state."""
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        done = np.asarray(counts[:image_index])
        # spike counts are mostly zero: stored sparse (image, neuron, count), uncompressed
        # (compressing the dense counts and the float weights made every checkpoint slow)
        rows, cols = np.nonzero(done)
        values = done[rows, cols]
        if values.size and values.max() > np.iinfo(np.uint16).max:
            raise ValueError(f"{self.path}: spike count {values.max()} does not fit the checkpoint format")
        np.savez(
            tmp, weights=weights, theta=theta, image_index=image_index, retry=retry,
            n_images=counts.shape[0], images_sha256=images_sha256, backend=backend,
            presentations=presentations, counts_rows=rows.astype(np.int64),
            counts_cols=cols.astype(np.int32), counts_values=values.astype(np.uint16),
            counts_shape=np.array(done.shape, np.int64), retries=retries,
            capped=capped, steps=steps, seconds=seconds,
            **{f"extra_{k}": v for k, v in (extra or {}).items()})
        os.replace(tmp, self.path)

    def load(self) -> ty.Optional[dict]:
        """The checkpoint's arrays, with ``counts`` dense (n_done, n_neurons) uint16 (the
        format's type); None when there is no checkpoint."""
        if not self.path.is_file():
            return None
        with np.load(self.path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        if "counts_shape" in data:
            counts = np.zeros(tuple(int(v) for v in data.pop("counts_shape")), np.uint16)
            counts[data.pop("counts_rows"), data.pop("counts_cols")] = data.pop("counts_values")
            data["counts"] = counts
        return data

    def resume(self, images_sha256: str, weights_shape: ty.Tuple[int, ...]) -> ty.Optional[dict]:
        """The checkpoint of this pass, or None; an error if it belongs to another pass."""
        data = self.load()
        if data is None:
            return None
        if data["weights"].shape != tuple(weights_shape) or str(data["images_sha256"]) != images_sha256:
            raise RunFolderError(
                f"{self.path}: checkpoint of a pass over other images (or weights of shape "
                f"{data['weights'].shape}, this pass: {tuple(weights_shape)}). Delete it to start afresh.")
        return data




SNAPSHOT_MOMENTS = 6
"""Moments of a training pass at which :class:`WeightSnapshots` keeps the weights
(start and end included)."""
SNAPSHOT_NEURONS = 100
"""Neurons whose weights :class:`WeightSnapshots` keeps (the first ones)."""


def _nearest_divisor(n: int, target: float) -> int:
    """The divisor of ``n`` nearest to ``target`` in ratio (ties: the larger)."""
    divisors = set()
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            divisors.update((d, n // d))
    return min(sorted(divisors, reverse=True), key=lambda d: abs(math.log(d / target)))


@dataclass
class WeightSnapshots(Checkpoint):
    """Copies of the weights of the first ``neurons`` neurons at about ``moments`` evenly
    spaced moments of a training pass, taken where the backend hands its state to a
    checkpoint (between chunks, every ``every_images`` images: every backend that learns
    does).

    Wraps ``inner``, the pass's real checkpoint (or None): its files are written at its
    own interval, and carry the snapshots taken so far, so a resumed pass keeps them. The
    spacing is a divisor of ``inner.every_images`` (below it) or a multiple of it (above),
    so the checkpoints fall where they would without snapshots; a spacing that would
    need more than four stops per snapshot falls back to the checkpoints' own. The Lava
    backends hand their state over only at the end of a run of ``buffer_images``
    presentations, so there the moments are the first such ends past each spacing.

    Build it with :meth:`for_pass`; after the pass, :meth:`result` (with the final
    state) gives ``images``, ``neurons`` and ``weights`` (moments, neurons, n_inputs;
    float32).
    """

    inner: ty.Optional[Checkpoint] = None
    spacing: int = 1
    neurons: int = SNAPSHOT_NEURONS
    _images: ty.List[int] = field(default_factory=list, repr=False)
    _weights: ty.List[np.ndarray] = field(default_factory=list, repr=False)
    _next_inner: int = field(default=0, repr=False)

    @classmethod
    def for_pass(cls, n_images: int, initial_weights: np.ndarray, inner: ty.Optional[Checkpoint] = None,
                 moments: int = SNAPSHOT_MOMENTS, neurons: int = SNAPSHOT_NEURONS) -> "WeightSnapshots":
        if moments < 2:
            raise ValueError(f"snapshots: expected at least 2 moments (start and end), got {moments}")
        want = max(n_images / (moments - 1), 1.0)
        if inner is None:
            spacing = every = max(int(round(want)), 1)
        elif want >= inner.every_images:
            every = inner.every_images
            spacing = max(int(round(want / every)), 1) * every
        else:
            every = spacing = _nearest_divisor(inner.every_images, want)
            if n_images / spacing > 4 * (moments - 1):
                every = spacing = inner.every_images
        snap = cls(inner.path if inner is not None else Path("."), every_images=every, inner=inner,
                   spacing=spacing, neurons=neurons)
        snap._images, snap._weights = [0], [snap._take(initial_weights)]
        snap._next_inner = inner.every_images if inner is not None else 0
        return snap

    def _take(self, weights: np.ndarray) -> np.ndarray:
        return np.array(np.asarray(weights)[:self.neurons], dtype=np.float32)

    def save(self, **kwargs) -> None:
        index = int(kwargs["image_index"])
        if index >= self._images[-1] + self.spacing:
            self._images.append(index)
            self._weights.append(self._take(kwargs["weights"]))
        if self.inner is not None and index >= self._next_inner:
            extra = dict(kwargs.pop("extra", None) or {})
            extra.update(snapshot_images=np.asarray(self._images, np.int64),
                         snapshot_weights=np.stack(self._weights))
            self.inner.save(**kwargs, extra=extra)
            self._next_inner = (index // self.inner.every_images + 1) * self.inner.every_images

    def load(self) -> ty.Optional[dict]:
        return self.inner.load() if self.inner is not None else None

    def resume(self, images_sha256: str, weights_shape: ty.Tuple[int, ...]) -> ty.Optional[dict]:
        data = self.inner.resume(images_sha256, weights_shape) if self.inner is not None else None
        if data is not None:
            index = int(data["image_index"])
            self._next_inner = (index // self.inner.every_images + 1) * self.inner.every_images
            if "extra_snapshot_images" in data:
                self._images = [int(i) for i in data.pop("extra_snapshot_images")]
                self._weights = list(data.pop("extra_snapshot_weights"))
            else:             # a checkpoint without snapshots: the moments before it are lost
                self._images, self._weights = [index], [self._take(data["weights"])]
        return data

    def result(self, final_weights: np.ndarray, n_images: int) -> ty.Dict[str, np.ndarray]:
        """The snapshots, the weights after the pass (``n_images``) last."""
        images, weights = list(self._images), list(self._weights)
        if images and images[-1] == n_images:
            images, weights = images[:-1], weights[:-1]
        images.append(n_images)
        weights.append(self._take(final_weights))
        return {"images": np.asarray(images, np.int64), "neurons": np.arange(weights[0].shape[0]),
                "weights": np.stack(weights)}
