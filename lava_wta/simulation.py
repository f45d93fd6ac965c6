"""Present a sequence of images to a :class:`WTANetwork` in Lava and collect the results.

The host never touches weights per image: it runs the network in chunks of at most
``buffer_images`` presentations (so at most that many images finish per chunk), reads
the small ring buffer of spike counts and a few scalars between chunks, and reads the
weights and theta only at checkpoints and at the end.

With the synchronous models it reads them with ``Var.get``. With the asynchronous fused
model (tag ``"fused-async"``) it reads them from the process's ports instead (one message
per chunk on ``results_out``, the state on ``state_out`` when asked on ``control_in``):
lava-nc's ``Var.get`` moves an array one value per message, which took seconds per chunk.
"""
from __future__ import annotations

import time
import typing as ty

import numpy as np
from lava.magma.core.run_conditions import RunSteps

from lava_wta.config import WTAConfig
from lava_wta.lava_runtime import tie_lava_workers_to_this_process
from lava_wta.presentation import Checkpoint, PresentationResult, ProgressFn, images_digest, new_counts
from lava_wta.processes.network import RESULT_FIELDS, WTANetwork, unpack_results, unpack_state
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
    counts = new_counts(n_images, n, config.time.period_steps)
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
    tie_lava_workers_to_this_process()     # its workers die with this process
    next_checkpoint = done + (checkpoint.every_images if checkpoint else n_images + 1)
    t0 = time.perf_counter()
    try:
        reader = (_PortReader(net, run_cfg) if _sends_results(models)
                  else _VarReader(net, run_cfg, scaling_bookkeeping))
        while done < n_images:
            # a chunk ends at the next checkpoint (each presentation takes one period, so a
            # chunk of k periods finishes at most k images): checkpoints come every
            # `checkpoint.every_images` images, not only every `buffer_images`
            chunk = min(buffer_images, n_images - done, max(next_checkpoint - done, 1))
            # the state is needed at the next checkpoint and at the end of a training pass
            state_from = min(next_checkpoint, n_images) if learning else _NEVER
            position, buf = reader.run(chunk * period, state_from, done)
            steps += chunk * period
            new_done = position["image_index"]
            for i in range(done, new_done):
                counts[i] = buf[i % buffer_images]
            done = new_done
            presentations = position["presentations"]
            retries = base_retries + position["total_retries"]
            capped = base_capped + position["capped"]
            if on_progress is not None:
                on_progress(done, counts, {"presentations": presentations, "retries": retries,
                                           "capped": capped})
            if checkpoint is not None and learning and done >= next_checkpoint and done < n_images:
                now = reader.state()
                checkpoint.save(weights=now["weights"], theta=now["theta"], image_index=done,
                                retry=position["retry"], presentations=presentations,
                                counts=counts, retries=retries, capped=capped, steps=steps,
                                images_sha256=images_sha256,
                                seconds=seconds + time.perf_counter() - t0,
                                extra={k: now[k] for k in ("dirty", "flags")}
                                if scaling_bookkeeping else None)
                next_checkpoint = done + checkpoint.every_images
        if learning:
            now = reader.state()
            weights, theta = now["weights"], now["theta"]
    finally:
        net.stop()
    seconds += time.perf_counter() - t0
    return PresentationResult(counts, WTAState(weights, theta), presentations, retries, capped,
                              steps, seconds, resumed_from=start)


_NEVER = np.iinfo(np.int64).max
"""``state_from`` of a pass that needs no state back (frozen)."""


def _sends_results(models: ty.Optional[ty.Mapping[type, ModelChoice]]) -> bool:
    """Whether ``models`` runs :class:`WTANetwork` with the asynchronous fused model (which
    sends its results on ports)."""
    from lava_wta.models.fused_async import PyWTANetworkAsyncModel

    choice = (models or {}).get(WTANetwork)
    return choice == "fused-async" or (isinstance(choice, type)
                                       and issubclass(choice, PyWTANetworkAsyncModel))


class _VarReader:
    """Runs the network and reads its results with ``Var.get`` (synchronous models;
    ``bookkeeping``: whether the model keeps ``scale_dirty`` and ``scale_flags``)."""

    def __init__(self, net: WTANetwork, run_cfg: WTASimCfg, bookkeeping: bool) -> None:
        self.net, self.run_cfg, self.bookkeeping = net, run_cfg, bookkeeping

    def run(self, n_steps: int, state_from: int, done: int):
        net = self.net
        net.run(condition=RunSteps(num_steps=n_steps), run_cfg=self.run_cfg)
        position = {k: int(getattr(net, k).get()[0]) for k in RESULT_FIELDS}
        buf = net.count_buffer.get() if position["image_index"] > done else None
        return position, buf

    def state(self) -> ty.Dict[str, np.ndarray]:
        net = self.net
        out = {"weights": net.weights.get().copy(), "theta": net.theta.get().copy()}
        if self.bookkeeping:
            out.update(dirty=net.scale_dirty.get().astype(bool),
                       flags=net.scale_flags.get().astype(np.int64))
        return out


class _PortReader:
    """Runs the asynchronous fused model and reads its results from its ports, flagged
    as external pipes (shared-memory channels between the model and this process)."""

    def __init__(self, net: WTANetwork, run_cfg: WTASimCfg) -> None:
        from lava_wta.models.fused_async import load_kernel

        load_kernel(net.proc_params["config"])    # once here, not in every forked model
        for port in (net.results_out, net.state_out, net.control_in):
            port.flag_external_pipe(buffer_size=1)
        net.create_runtime(run_cfg=run_cfg)
        self.net, self.n, self.n_in = net, net.theta.shape[0], net.weights.shape[1]
        self._state: ty.Optional[ty.Dict[str, np.ndarray]] = None

    def run(self, n_steps: int, state_from: int, done: int):
        net = self.net
        net.control_in.external_pipe_csp_send_port.send(np.array([state_from], dtype=np.int64))
        net.run(condition=RunSteps(num_steps=n_steps))
        position, buf = unpack_results(net.results_out.external_pipe_csp_recv_port.recv(), self.n)
        # the model sends the state after a run that ends at or past state_from
        self._state = (unpack_state(net.state_out.external_pipe_csp_recv_port.recv(), self.n, self.n_in)
                       if position["image_index"] >= state_from else None)
        return position, buf

    def state(self) -> ty.Dict[str, np.ndarray]:
        if self._state is None:
            raise RuntimeError("the asynchronous model sent no state after the last run "
                               "(asked for it from a later image)")
        return self._state
