"""Present a sequence of images to the composed Lava graph and collect the results.

The host never touches weights per image: it runs the network in chunks of at most
``buffer_images`` presentations (so at most that many images finish per chunk), reads
the small ring buffer of spike counts and a few scalars between chunks, and reads the
weights and theta only at checkpoints and at the end.
"""
from __future__ import annotations

import time
import typing as ty

import numpy as np
from lava.magma.core.run_conditions import RunSteps

from lava_wta.config import WTAConfig
from lava_wta.presentation import Checkpoint, PresentationResult, ProgressFn, images_digest
from lava_wta.processes.network import WTANetwork
from lava_wta.run_config import ModelChoice, WTASimCfg
from lava_wta.state import WTAState

__all__ = ["Checkpoint", "PresentationResult", "present_lava"]


def present_lava(config: WTAConfig, images: np.ndarray, state: WTAState, *, learning: bool,
                 input_seed: int, on_progress: ty.Optional[ProgressFn] = None,
                 models: ty.Optional[ty.Mapping[type, ModelChoice]] = None,
                 buffer_images: int = 32, checkpoint: ty.Optional[Checkpoint] = None,
                 scaling_bookkeeping: bool = False) -> PresentationResult:
    """Run every image of ``images`` through a :class:`WTANetwork` in Lava.

    With ``checkpoint`` (training), the pass resumes from the checkpoint file if one
    exists and saves one every ``checkpoint.every_images`` images; in ``reset`` mode the
    resumed pass produces exactly the weights of an uninterrupted one. A fused model keeps
    which columns its next scaling rescales: with ``scaling_bookkeeping`` its checkpoints
    record that and a resumed pass starts from it, bit for bit as an uninterrupted one.
    """
    images = np.asarray(images)
    n_images, n = images.shape[0], config.network.n_neurons
    images_sha256 = images_digest(images) if checkpoint else ""
    counts = np.zeros((n_images, n), dtype=np.int64)
    weights, theta = state.weights, state.theta
    done, retry, presentations, retries, capped, steps, seconds = 0, 0, 0, 0, 0, 0, 0.0
    resumed = checkpoint.resume(images_sha256, state.weights.shape) if checkpoint else None
    if resumed is not None:
        weights, theta = resumed["weights"], resumed["theta"]
        done, retry = int(resumed["image_index"]), int(resumed["retry"])
        presentations, retries, capped = (int(resumed[k]) for k in ("presentations", "retries", "capped"))
        steps, seconds = int(resumed["steps"]), float(resumed["seconds"])
        counts[:done] = resumed["counts"]
    start, base_retries, base_capped = done, retries, capped   # the Vars below count from 0
    book = None
    if resumed is not None and scaling_bookkeeping and "extra_dirty" in resumed:
        book = {"dirty": resumed["extra_dirty"], "flags": resumed["extra_flags"]}
    if done >= n_images:
        return PresentationResult(counts, WTAState(weights, theta), presentations, retries, capped,
                                  steps, seconds, resumed_from=start)
    period = config.time.period_steps
    net = WTANetwork(config=config, images=images, weights=weights, theta=theta, learning=learning,
                     input_seed=input_seed, buffer_images=buffer_images, start_image=done,
                     start_retry=retry, start_presentations=presentations,
                     scaling_bookkeeping=book)
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
                                seconds=seconds + time.perf_counter() - t0,
                                extra={"dirty": net.scale_dirty.get().astype(bool),
                                       "flags": net.scale_flags.get().astype(np.int64)}
                                if scaling_bookkeeping else None)
                next_checkpoint = done + checkpoint.every_images
        if learning:
            weights, theta = net.weights.get().copy(), net.theta.get().copy()
    finally:
        net.stop()
    seconds += time.perf_counter() - t0
    return PresentationResult(counts, WTAState(weights, theta), presentations, retries, capped,
                              steps, seconds, resumed_from=start)
