"""The standalone engine: the compiled kernels of :mod:`lava_wta.kernels`, without Lava's runtime.

Same configuration (:class:`lava_wta.WTAConfig`), same state (:class:`lava_wta.state.WTAState`),
same input spike trains and the same step as the Lava graphs, so a network trained here
loads into the Lava processes and vice versa (``tests/test_engine.py`` proves the three
executions agree). What it adds is speed:

* training runs image after image inside one compiled loop, returning to Python only
  for progress, checkpoints and registered (Python) scaling rules;
* a frozen network in ``reset`` mode (labelling, testing) treats every image as an
  independent simulation, spread over all cores (:func:`lava_wta.kernels.network.run_image_range`
  on one thread per core).

>>> from lava_wta.engine import present_engine
>>> result = present_engine(config, images, state, learning=True, input_seed=1)
>>> result.state.weights, result.counts
"""
from __future__ import annotations

import time
import typing as ty
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from lava_wta.config import WTAConfig
from lava_wta.kernels import network as K
from lava_wta.kernels.support import check_compiled_support as check_engine_support
from lava_wta.kernels.team import new_team
from lava_wta.lava_runtime import keep_lava_importable
from lava_wta.model.key import bind_key, model_key
from lava_wta.model.scaling import SCALE_PYTHON, scaling_code
from lava_wta.presentation import Checkpoint, PresentationResult, ProgressFn, images_digest, new_counts
from lava_wta.rules import get_scaling_rule
from lava_wta.state import WTAState

__all__ = ["present_engine", "check_engine_support", "EngineNetwork", "SpikeRaster", "record_presentation"]


class EngineNetwork:
    """One network in the engine: its parameters, its state and its position.

    Parameters
    ----------
    config : WTAConfig
    state : WTAState
        Weights (n, n_in) and theta; copied, never modified.
    learning : bool
        STDP, scaling and theta adaptation on (training) or frozen.
    input_seed : int
        Seed of the input spike stream (see :mod:`lava_wta.kernels.poisson`).
    image, retry, presentations : int
        Position to start from (a resumed run).
    threads : int
        Threads that step the network together in :meth:`run` (1: this thread only). Each
        takes a contiguous range of neurons and they meet at barriers a few times per step
        (:mod:`lava_wta.kernels.team`), so the results are those of one thread, bit for
        bit. Each thread keeps its own copy of its weight columns (the weights take twice
        their memory). It pays when a step is long (thousands of neurons) and every thread has a core
        of its own: a thread waiting at a barrier for one that has no core gives its core
        away, but each step then waits for the scheduler.
    """

    def __init__(self, config: WTAConfig, state: WTAState, *, learning: bool, input_seed: int,
                 image: int = 0, retry: int = 0, presentations: int = 0, threads: int = 1) -> None:
        check_engine_support(config)
        state.check(config)
        check_threads(threads, config)
        self.config = config
        self.learning = learning
        self.P = K.pack_params(config, learning=learning, seed=input_seed)
        self.traces = K.trace_tables(config)
        self.W = np.ascontiguousarray(np.asarray(state.weights, dtype=np.float64).T)   # (n_in, n)
        self.S = K.new_state(config, self.W, state.theta, image=image, retry=retry,
                             presentations=presentations,
                             target_norm=None if config.scaling.target_mode == "fixed" else state.target_norm)
        self.key = model_key(config)
        self._run_images = bind_key(K.run_images, self.key)
        self._run_steps = bind_key(K.run_steps, self.key)
        self._step = bind_key(K.step, self.key)
        self.custom_rule = (get_scaling_rule(config.scaling.mode)
                            if scaling_code(config.scaling.mode) == SCALE_PYTHON else None)
        self.threads = threads
        self._team = None
        if threads > 1:
            self._team = new_team(threads)
            self._parts = K.split_state(self.S, threads)
            self._cuts = K.team_bounds(self.W.shape[1], threads)
            self._run_team = bind_key(K.run_images_team, self.key)

    # ------------------------------------------------------------------ position
    @property
    def image(self) -> int:
        return int(self.S.C[K.C_IMAGE])

    @property
    def retry(self) -> int:
        return int(self.S.C[K.C_RETRY])

    @property
    def presentations(self) -> int:
        return int(self.S.C[K.C_PRESENTATIONS])

    @property
    def retries(self) -> int:
        return int(self.S.C[K.C_RETRIES])

    @property
    def capped(self) -> int:
        return int(self.S.C[K.C_CAPPED])

    def state(self) -> WTAState:
        """Weights (n, n_in) and theta now (copies), and the target norm Wt when it adapts."""
        wt = None if self.config.scaling.target_mode == "fixed" else float(self.S.wt[0])
        return WTAState(self.W.T.copy(), self.S.theta.copy(), target_norm=wt)

    def scaling_bookkeeping(self) -> dict:
        """Which columns the next scaling must rescale (saved in checkpoints, so a resumed
        run rescales exactly the columns an uninterrupted one would)."""
        C = self.S.C
        return {"dirty": self.S.dirty.copy(),
                "flags": np.array([C[K.C_ALL_DIRTY], C[K.C_OUT_OF_BOUNDS]], np.int64),
                "target_norm": self.S.wt.copy()}

    def restore_bookkeeping(self, extra: ty.Mapping[str, np.ndarray]) -> None:
        if "dirty" in extra and "flags" in extra:
            self.S.dirty[:] = extra["dirty"]
            self.S.C[K.C_ALL_DIRTY], self.S.C[K.C_OUT_OF_BOUNDS] = extra["flags"]
            if self._team is not None:
                for part in self._parts:
                    part.C[K.C_OUT_OF_BOUNDS] = self.S.C[K.C_OUT_OF_BOUNDS]
        if "target_norm" in extra:
            self.S.wt[:] = extra["target_norm"]

    # ------------------------------------------------------------------ running
    def run(self, images: np.ndarray, counts_out: np.ndarray, stop_image: int) -> int:
        """Simulate until image ``stop_image`` is accepted; returns the steps simulated.
        ``images`` (n_images, n_in) float64 or uint8; ``counts_out`` (rows, n) int64."""
        if self._team is not None:
            return self._run_with_team(images, counts_out, stop_image)
        steps = 0
        while self.image < min(stop_image, images.shape[0]):
            steps += self._run_images(self.S, self.P, self.traces, images, counts_out,
                                      stop_image)
            self._apply_custom_scaling()
        return steps

    def _run_with_team(self, images: np.ndarray, counts_out: np.ndarray, stop_image: int) -> int:
        K.share_state(self.S, self._parts)
        cuts = self._cuts
        views = [counts_out[:, a:b] for a, b in zip(cuts[:-1], cuts[1:])]

        def run(t):
            return self._run_team(self._parts[t], self.P, self.traces, images, views[t],
                                  stop_image, self._team[t])

        # threads 1.. on threads of their own (the compiled loop releases the GIL), thread 0
        # here; each thread's part of the work is the same whatever the others do
        with ThreadPoolExecutor(max_workers=self.threads - 1, thread_name_prefix="lava-wta-team") as pool:
            others = [pool.submit(run, t) for t in range(1, self.threads)]
            steps = run(0)
            for f in others:
                f.result()
        K.join_state(self.S, self._parts)
        return steps

    def compile(self, images: np.ndarray, counts_out: np.ndarray) -> None:
        """Compile (or load from numba's cache) the training loop for these arrays' types
        without simulating a step: it runs until the image it is at, i.e. not at all."""
        if self._team is not None:
            self._run_with_team(images, counts_out, self.image)
            return
        self._run_images(self.S, self.P, self.traces, images, counts_out, self.image)

    def _single_thread_only(self, what: str) -> None:
        if self._team is not None:
            raise ValueError(f"EngineNetwork.{what}: steps one thread at a time; this network "
                             f"was built with threads={self.threads}, which only run() uses "
                             f"(build it with threads=1)")

    def run_steps(self, images: np.ndarray, counts_out: np.ndarray, n_steps: int) -> None:
        """Simulate exactly ``n_steps`` steps (whatever the images' progress)."""
        self._single_thread_only("run_steps")
        x = _as_kernel_images(images)
        done = 0
        while done < n_steps:
            done += self._run_steps(self.S, self.P, self.traces, x, counts_out,
                                    n_steps - done)
            self._apply_custom_scaling()

    def _apply_custom_scaling(self) -> None:
        """A registered (Python) scaling rule fell due inside the compiled loop: apply it."""
        if self.S.C[K.C_SCALE_DUE]:
            self.custom_rule(self.W.T, float(self.S.wt[0]))     # the target now (it may adapt)
            self.S.C[K.C_SCALE_DUE] = 0
            self.S.C[K.C_OUT_OF_BOUNDS] = K.out_of_bounds(self.W, self.config.stdp.w_max)


    def record(self, images: np.ndarray, counts_out: np.ndarray, n_steps: int,
               inputs_out: ty.Optional[np.ndarray] = None) -> ty.Tuple[np.ndarray, np.ndarray]:
        """Simulate ``n_steps`` steps one by one and return the excitatory and inhibitory
        spike rasters, both ``(n_steps, n)`` (slow: for tests and plots). With
        ``inputs_out`` (``(n_steps, n_in)`` bool), the input spikes of each step are
        written into it too."""
        self._single_thread_only("record")
        n = self.S.ve.shape[0]
        exc = np.zeros((n_steps, n), dtype=bool)
        inh = np.zeros((n_steps, n), dtype=bool)
        x = _as_kernel_images(images)
        period, present = self.config.time.period_steps, self.config.time.presentation_steps
        for t in range(n_steps):
            local = int(self.S.C[K.C_STEP]) % period
            showing = self.image < x.shape[0] and local < present
            self._step(self.S, self.P, self.traces, x, counts_out)
            self._apply_custom_scaling()
            exc[t] = self.S.spikes
            inh[t] = self.S.inh_spikes
            if inputs_out is not None and showing:
                # the raster drawn at the presentation's first step (kernels.poisson layout)
                inputs_out[t, self.S.pix[self.S.ptr[local]:self.S.ptr[local + 1]]] = True
        return exc, inh


def check_threads(threads: int, config: WTAConfig) -> None:
    """Raise ``ValueError`` unless the engine can step the network of ``config`` with
    ``threads`` threads: a positive integer, and 1 with a registered Python scaling rule
    (it is applied to the whole weight matrix between compiled calls)."""
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"threads: expected a positive integer, got {threads!r}")
    if threads > 1 and scaling_code(config.scaling.mode) == SCALE_PYTHON:
        raise ValueError(f"threads: scaling.mode {config.scaling.mode!r} is a registered Python "
                         f"scaling rule, which the engine applies in one thread; train with "
                         f"threads=1, or register the norm as a compiled one "
                         f"(lava_wta.rules.register_scaling_rule with accumulate=)")


@dataclass
class SpikeRaster:
    """The spikes of one accepted presentation of one image (:func:`record_presentation`)."""

    inputs: np.ndarray
    """Input (pixel) spikes, ``(steps, n_inputs)`` bool."""
    excitatory: np.ndarray
    """Excitatory spikes, ``(steps, n_neurons)`` bool."""
    inhibitory: np.ndarray
    """Inhibitory spikes, ``(steps, n_neurons)`` bool."""
    dt_ms: float
    """Duration of a step (ms)."""
    presentation_steps: int
    """Steps with input (the rest of the period, if any, is input-free)."""
    retry: int
    """Presentations of the image before this one (each at a higher input rate), because
    too few excitatory spikes came (``input.min_spikes``)."""

    @property
    def counts(self) -> np.ndarray:
        """Excitatory spikes of each neuron during the steps with input (the counts the
        read-out uses)."""
        return self.excitatory[:self.presentation_steps].sum(axis=0)

    @property
    def winner(self) -> int:
        """The neuron that fired most (ties: the lowest index); -1 if none fired."""
        counts = self.counts
        return int(counts.argmax()) if counts.any() else -1


def record_presentation(config: WTAConfig, state: WTAState, image: np.ndarray, *,
                        input_seed: int = 0) -> SpikeRaster:
    """Present ``image`` (``(n_inputs,)`` pixel values) once to the frozen network of
    ``config`` (its evaluation presentation time, :meth:`WTAConfig.for_evaluation`) and
    ``state``, as the first image of a pass with input stream ``input_seed``, and record
    every spike of the presentation that is accepted (after the retries the protocol
    makes, if any)."""
    config = config.for_evaluation()
    x = _as_kernel_images(np.asarray(image).reshape(1, -1))
    config.check_image_size(x.shape[1], source="image")
    net = EngineNetwork(config, state, learning=False, input_seed=input_seed)
    period = config.time.period_steps
    counts = np.zeros((1, config.network.n_neurons), np.int64)
    while True:
        retry = net.retry
        inputs = np.zeros((period, config.network.n_inputs), dtype=bool)
        exc, inh = net.record(x, counts, period, inputs_out=inputs)
        if net.image >= 1:
            return SpikeRaster(inputs, exc, inh, config.time.dt_ms, config.time.presentation_steps, retry)


def _as_kernel_images(images: np.ndarray) -> np.ndarray:
    """Images as the kernels read them: uint8 as they are (a pixel converts to the same
    float64 inside the kernel; converting 40,000 MNIST images up front allocated 250 MB
    and took 0.4 s), anything else as float64."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return np.ascontiguousarray(images)
    return np.ascontiguousarray(images, dtype=np.float64)


def present_engine(config: WTAConfig, images: np.ndarray, state: WTAState, *, learning: bool,
                   input_seed: int, on_progress: ty.Optional[ProgressFn] = None,
                   checkpoint: ty.Optional[Checkpoint] = None, chunk_images: int = 500,
                   parallel: bool = True, threads: int = 1) -> PresentationResult:
    """Run every image of ``images`` through the network in the engine.

    Same contract as :func:`lava_wta.simulation.present_lava`: counts of the accepted
    presentation of each image, the state after the pass, retry statistics; with
    ``checkpoint`` (training) the pass resumes from the checkpoint file if one exists and
    saves one every ``checkpoint.every_images`` images (in ``reset`` mode the resumed pass
    gives exactly the weights of an uninterrupted one).

    A frozen pass in ``reset`` mode runs images in parallel across cores (``parallel``);
    its results do not depend on the number of threads. Any other pass (training) steps
    its one network with ``threads`` threads (:class:`EngineNetwork`): the same results,
    bit for bit.
    """
    t_setup = time.perf_counter()
    check_engine_support(config)
    check_threads(threads, config)
    state.check(config)
    config.check_image_size(np.asarray(images).shape[1], source="image array")
    x = _as_kernel_images(images)
    n_images, n = x.shape[0], config.network.n_neurons
    counts = new_counts(n_images, n, config.time.period_steps)
    if not learning and parallel and config.time.between_images == "reset":
        return _present_frozen_parallel(config, state, x, counts, input_seed, on_progress, chunk_images,
                                        t_setup)

    images_sha256 = images_digest(images) if checkpoint else ""
    resumed = checkpoint.resume(images_sha256, state.weights.shape) if checkpoint else None
    steps, seconds, start = 0, 0.0, 0
    if resumed is not None:
        state = WTAState(resumed["weights"], resumed["theta"])
        start = int(resumed["image_index"])
        counts[:start] = resumed["counts"]
        steps, seconds = int(resumed["steps"]), float(resumed["seconds"])
    net = EngineNetwork(config, state, learning=learning, input_seed=input_seed,
                        image=start, retry=int(resumed["retry"]) if resumed is not None else 0,
                        presentations=int(resumed["presentations"]) if resumed is not None else 0,
                        threads=threads)
    if resumed is not None:
        net.S.C[K.C_RETRIES], net.S.C[K.C_CAPPED] = int(resumed["retries"]), int(resumed["capped"])
        net.restore_bookkeeping({k[len("extra_"):]: v for k, v in resumed.items() if k.startswith("extra_")})
    every = checkpoint.every_images if (checkpoint is not None and learning) else None
    net.compile(x, counts)           # compilation is reported apart from the simulation's time
    t0 = time.perf_counter()
    while net.image < n_images:
        stop = min(n_images, net.image + chunk_images)
        if every:
            stop = min(stop, (net.image // every + 1) * every)
        steps += net.run(x, counts, stop)
        if every and net.image % every == 0 and net.image < n_images:
            now = net.state()
            checkpoint.save(weights=now.weights, theta=now.theta, image_index=net.image,
                            retry=net.retry, presentations=net.presentations, counts=counts,
                            retries=net.retries, capped=net.capped, steps=steps,
                            seconds=seconds + time.perf_counter() - t0, images_sha256=images_sha256,
                            backend="engine", extra=net.scaling_bookkeeping())
        if on_progress is not None:      # after the checkpoint: an interrupt here loses nothing
            on_progress(net.image, counts, {"presentations": net.presentations,
                                            "retries": net.retries, "capped": net.capped})
    seconds += time.perf_counter() - t0
    out_state = net.state() if learning else WTAState(state.weights, state.theta, target_norm=state.target_norm)
    return PresentationResult(counts, out_state, net.presentations, net.retries, net.capped,
                              steps, seconds, resumed_from=start, compile_seconds=t0 - t_setup)


def _present_frozen_parallel(config, state, x, counts, input_seed, on_progress, chunk_images, t_setup):
    keep_lava_importable()     # starting numba's threading layer fixes the start method
    P = K.pack_params(config, learning=False, seed=input_seed)
    traces = K.trace_tables(config)
    run_range = bind_key(K.run_image_range, model_key(config))
    W = np.ascontiguousarray(np.asarray(state.weights, dtype=np.float64).T)
    theta = np.asarray(state.theta, dtype=np.float64)
    stats = np.zeros((x.shape[0], 4), np.int64)
    chunk = max(chunk_images, 1) * 4
    n_threads = numba.get_num_threads()
    pieces = 4 * n_threads

    def run(bounds):
        run_range(W, theta, P, traces, x, counts, stats, bounds[0], bounds[1])

    run((0, 0))                      # compiles (or loads) the kernel; simulates no image
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        for lo in range(0, x.shape[0], chunk):
            hi = min(lo + chunk, x.shape[0])
            # image k of the whole pass keeps its own random stream (seed, k, retry), so
            # how images are split into ranges changes no result
            cuts = [lo + ((hi - lo) * c) // pieces for c in range(pieces + 1)]
            list(pool.map(run, zip(cuts[:-1], cuts[1:])))
            if on_progress is not None:
                s = stats[:hi].sum(axis=0)
                on_progress(hi, counts, {"presentations": int(s[0]), "retries": int(s[1]),
                                         "capped": int(s[2])})
    seconds = time.perf_counter() - t0
    s = stats.sum(axis=0)
    out_state = WTAState(state.weights, state.theta, target_norm=state.target_norm)
    return PresentationResult(counts, out_state, int(s[0]), int(s[1]),
                              int(s[2]), int(s[3]), seconds, compile_seconds=t0 - t_setup)
