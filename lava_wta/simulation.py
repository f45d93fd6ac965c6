"""Present a sequence of images to the composed Lava graph and collect the results.

The host never touches weights per image: it runs the network in chunks of at most
``buffer_images`` presentations (so at most that many images finish per chunk), reads
the small ring buffer of spike counts and a few scalars between chunks, and reads the
weights and theta only at checkpoints and at the end.
"""
from __future__ import annotations

import hashlib
import os
import time
import typing as ty
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lava.magma.core.run_conditions import RunSteps

from lava_wta.config import WTAConfig
from lava_wta.processes.network import WTANetwork
from lava_wta.run_config import ModelChoice, WTASimCfg
from lava_wta.state import WTAState

ProgressFn = ty.Callable[[int, np.ndarray, dict], None]


@dataclass
class PresentationResult:
    """What a pass over images produced."""

    counts: np.ndarray
    """Excitatory spike counts of the accepted presentation of each image, (n_images, n_neurons)."""
    state: WTAState
    """Weights and theta after the pass (unchanged when frozen)."""
    presentations: int
    retries: int
    capped: int
    steps: int
    seconds: float
    resumed_from: int = 0

    @property
    def ms_per_step(self) -> float:
        return 1e3 * self.seconds / self.steps if self.steps else float("nan")


@dataclass
class Checkpoint:
    """Atomic snapshot of a training pass, taken between chunks."""

    path: Path
    every_images: int = 200

    def save(self, *, weights, theta, image_index, retry, presentations, counts, retries, capped,
             steps, seconds, images_sha256: str) -> None:
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(tmp, weights=weights, theta=theta, image_index=image_index, retry=retry,
                 n_images=counts.shape[0], images_sha256=images_sha256,
                 presentations=presentations, counts=counts[:image_index], retries=retries,
                 capped=capped, steps=steps, seconds=seconds)
        os.replace(tmp, self.path)

    def load(self) -> ty.Optional[dict]:
        if not self.path.is_file():
            return None
        with np.load(self.path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}


def present_lava(config: WTAConfig, images: np.ndarray, state: WTAState, *, learning: bool,
                 input_seed: int, on_progress: ty.Optional[ProgressFn] = None,
                 models: ty.Optional[ty.Mapping[type, ModelChoice]] = None,
                 buffer_images: int = 32, checkpoint: ty.Optional[Checkpoint] = None
                 ) -> PresentationResult:
    """Run every image of ``images`` through a :class:`WTANetwork` in Lava.

    With ``checkpoint`` (training), the pass resumes from the checkpoint file if one
    exists and saves one every ``checkpoint.every_images`` images; in ``reset`` mode the
    resumed pass produces exactly the weights of an uninterrupted one.
    """
    images = np.asarray(images)
    n_images, n = images.shape[0], config.network.n_neurons
    images_sha256 = hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest() if checkpoint else ""
    counts = np.zeros((n_images, n), dtype=np.int64)
    weights, theta = state.weights, state.theta
    done, retry, presentations, retries, capped, steps, seconds = 0, 0, 0, 0, 0, 0, 0.0
    resumed = checkpoint.load() if checkpoint else None
    if resumed is not None:
        if resumed["weights"].shape != state.weights.shape or str(resumed["images_sha256"]) != images_sha256:
            raise ValueError(
                f"{checkpoint.path}: checkpoint of a pass over other images (or weights of shape "
                f"{resumed['weights'].shape}, this pass: {state.weights.shape}). Delete it to start afresh.")
        weights, theta = resumed["weights"], resumed["theta"]
        done, retry = int(resumed["image_index"]), int(resumed["retry"])
        presentations, retries, capped = (int(resumed[k]) for k in ("presentations", "retries", "capped"))
        steps, seconds = int(resumed["steps"]), float(resumed["seconds"])
        counts[:done] = resumed["counts"]
    start, base_retries, base_capped = done, retries, capped   # the Vars below count from 0
    if done >= n_images:
        return PresentationResult(counts, WTAState(weights, theta), presentations, retries, capped,
                                  steps, seconds, resumed_from=start)
    period = config.time.period_steps
    net = WTANetwork(config=config, images=images, weights=weights, theta=theta, learning=learning,
                     input_seed=input_seed, buffer_images=buffer_images, start_image=done,
                     start_retry=retry, start_presentations=presentations)
    run_cfg = WTASimCfg(models=models)
    next_checkpoint = done + (checkpoint.every_images if checkpoint else n_images + 1)
    t0 = time.perf_counter()
    try:
        while done < n_images:
            chunk = min(buffer_images, n_images - done)
            net.run(condition=RunSteps(num_steps=chunk * period), run_cfg=run_cfg)
            steps += chunk * period
            new_done = int(net.image_index.get()[0])
            if new_done > done:
                buf = net.count_buffer.get()
                for i in range(done, new_done):
                    counts[i] = buf[i % buffer_images]
            done = new_done
            presentations = int(net.presentations.get()[0])
            retries = base_retries + int(net.total_retries.get()[0])
            capped = base_capped + int(net.capped.get()[0])
            if on_progress is not None:
                on_progress(done, counts, {"presentations": presentations, "retries": retries,
                                           "capped": capped})
            if checkpoint is not None and learning and done >= next_checkpoint and done < n_images:
                checkpoint.save(weights=net.weights.get(), theta=net.theta.get(), image_index=done,
                                retry=int(net.retry.get()[0]), presentations=presentations,
                                counts=counts, retries=retries, capped=capped, steps=steps,
                                images_sha256=images_sha256,
                                seconds=seconds + time.perf_counter() - t0)
                next_checkpoint = done + checkpoint.every_images
        if learning:
            weights, theta = net.weights.get().copy(), net.theta.get().copy()
    finally:
        net.stop()
    seconds += time.perf_counter() - t0
    return PresentationResult(counts, WTAState(weights, theta), presentations, retries, capped,
                              steps, seconds, resumed_from=start)
