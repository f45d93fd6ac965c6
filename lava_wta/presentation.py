"""What a pass of images through the network produced, and checkpoints of a training pass.

Shared by every backend of :mod:`lava_wta.backends` (:mod:`lava_wta.simulation` for the
Lava graphs, :mod:`lava_wta.engine` for the standalone engine,
:func:`lava_wta.nir.present.present_imported` for imported and quantised networks in Lava,
:mod:`lava_wta.loihi.emulate` for the fixed-point emulator), so a run folder, a report, a
checkpoint or a progress callback does not depend on which one ran.
"""
from __future__ import annotations

import hashlib
import os
import typing as ty
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lava_wta.errors import RunFolderError
from lava_wta.state import WTAState

ProgressFn = ty.Callable[[int, np.ndarray, dict], None]
"""``on_progress(images_done, counts, stats)``; ``stats`` has presentations, retries, capped."""


def images_digest(images: np.ndarray) -> str:
    """SHA-256 of an image array: binds a checkpoint to the images it was taken on."""
    return hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()


@dataclass
class PresentationResult:
    """What a pass over images produced."""

    counts: np.ndarray
    """Excitatory (output) spike counts of the accepted presentation of each image,
    (n_images, n_neurons)."""
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

    @property
    def ms_per_step(self) -> float:
        return 1e3 * self.seconds / self.steps if self.steps else float("nan")


@dataclass
class Checkpoint:
    """Atomic snapshot of a training pass, taken between chunks."""

    path: Path
    every_images: int = 200
    notes: ty.Optional[ty.Callable[[int, np.ndarray], ty.Mapping[str, np.ndarray]]] = None
    """Arrays the caller of a pass keeps beside it (e.g. the training curve so far), given
    the image index and counts of each checkpoint and saved as ``note_<name>``, so that a
    resumed caller continues exactly where the checkpoint left off."""

    def save(self, *, weights, theta, image_index, retry, presentations, counts, retries, capped,
             steps, seconds, images_sha256: str, backend: str = "lava",
             extra: ty.Optional[ty.Mapping[str, np.ndarray]] = None) -> None:
        """Write atomically (temporary file, then rename): a kill at any moment leaves
        either the previous checkpoint or this one. ``extra`` holds backend state."""
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        notes = dict(self.notes(image_index, counts)) if self.notes is not None else {}
        done = np.asarray(counts[:image_index])
        # spike counts are mostly zero: stored sparse (image, neuron, count), uncompressed.
        # (np.savez_compressed of the dense counts and the float weights took 0.2 s per
        # checkpoint of a 40,000-image run, 1.3 s in all)
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
            **{f"extra_{k}": v for k, v in (extra or {}).items()},
            **{f"note_{k}": v for k, v in notes.items()})
        os.replace(tmp, self.path)

    def load(self) -> ty.Optional[dict]:
        """The checkpoint's arrays, with ``counts`` dense (n_done, n_neurons) int64; None
        when there is no checkpoint."""
        if not self.path.is_file():
            return None
        with np.load(self.path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        if "counts_shape" in data:
            counts = np.zeros(tuple(int(v) for v in data.pop("counts_shape")), np.int64)
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


