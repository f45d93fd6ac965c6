"""An asynchronous fused ProcessModel of :class:`lava_wta.processes.WTANetwork`.

The synchronous fused model (:class:`lava_wta.models.fused.PyWTANetworkFusedModel`, tag
``"fused"``) follows Lava's ``LoihiProtocol``: the runtime and the process exchange phase
messages at every 0.5 ms step, which costs far more than the step itself (about 0.1-0.2 ms
against about 1.5 µs). This model implements the same Process under Lava's
``AsyncProtocol``: ``net.run(condition=RunSteps(num_steps=N))`` hands it ``N`` and it runs
the N steps in one compiled loop (:func:`lava_wta.kernels.counting.run_steps_counting`),
the same ``step`` as the engine and the synchronous model, so weights, θ, spike totals and
the position Vars come out bit for bit as theirs (``tests/test_fused_async.py``).

Select it by tag::

    net.run(condition=RunSteps(num_steps=...), run_cfg=WTASimCfg(models={WTANetwork: "fused-async"}))

What it gives up: per-step synchronisation. With ``s_out`` unconnected (the fast path) it
sends nothing per step. Between runs, the Vars (``exc_spike_count``, ``count_buffer``,
``weights``, ``theta``, the position) hold the results; but lava-nc's ``Var.get`` moves an
array one value per message (the 313,600 weights of 400 neurons take seconds), so a host
that runs many chunks reads them through ports instead:

* ``results_out`` (connected or flagged as an external pipe): after every ``run``, one
  int64 message with the position Vars and ``count_buffer``
  (:func:`lava_wta.processes.network.unpack_results`);
* ``control_in`` + ``state_out``: at the start of every ``run`` the model receives an
  image index; a ``run`` that ends at or past it sends weights, θ and the scaling
  bookkeeping as one float64 message (:func:`lava_wta.processes.network.unpack_state`),
  for checkpoints and the end of a pass.

:func:`lava_wta.simulation.present_lava` runs this model that way.

The kernel steps on its own C-contiguous ``(n_in, n)`` copy of the weights (the layout of
the engine: an input spike adds one contiguous row), copied into the ``weights`` Var at the
end of every learning ``run``.

With ``s_out`` connected it steps in Python and sends each step's spikes, in order, into
the channel (a receiver such as ``RingBuffer`` reads one message per step): correct, but
no faster than the synchronous model. Lava's asynchronous runtime does not
support ``Var.set`` (it raises "Set is not supported in AsyncPyRuntimeService"): to move
the position or load weights, create the process with them, or use the ``"fused"`` model.
``RunContinuous`` runs until ``pause()``/``stop()``, checked every :data:`CHECK_PERIODS`
presentation periods.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyAsyncProcessModel
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.async_protocol import AsyncProtocol

from lava_wta.kernels import network as K
from lava_wta.kernels.counting import run_steps_counting, tally_buffers
from lava_wta.model.key import bind_key, model_key
from lava_wta.models.fused import _FusedNetworkMixin
from lava_wta.processes.network import RESULT_FIELDS, WTANetwork, pack_results, pack_state

CHECK_PERIODS = 64
"""Presentation periods per call of the compiled loop: a stop or pause request waits at most
that long (tens of milliseconds at the paper's 400 neurons), and each return to Python
costs time, so a call covers many periods."""


@implements(proc=WTANetwork, protocol=AsyncProtocol)
@requires(CPU)
@tag("fused-async")
class PyWTANetworkAsyncModel(_FusedNetworkMixin, PyAsyncProcessModel):
    """The whole network in one process, ``N`` steps per ``run`` in one compiled loop."""

    def _kernel_weights(self) -> np.ndarray:
        """A C-contiguous ``(n_in, n)`` copy of the weights (the Var cannot be set between
        runs of this model, so only the copy back into it at the end of a run is needed)."""
        return np.ascontiguousarray(self.weights.T)

    def run_async(self) -> None:
        state_from = int(self.control_in.recv()[0]) if self.control_in.csp_ports else None
        S = self._state()
        if getattr(self.s_out, "csp_ports", None):
            finished = self._run_sending()
        else:
            finished = self._run_compiled(S)
        if self.proc_params["learning"]:
            self.weights[...] = S.W.T
        if not finished:        # stopped or paused mid-run: the host reads no results
            return
        if self.results_out.csp_ports:
            self.results_out.send(pack_results(
                np.empty(self.results_out.shape, np.int64),
                [getattr(self, k)[0] for k in RESULT_FIELDS], self.count_buffer))
        if state_from is not None and self.image_index[0] >= state_from:
            self.state_out.send(pack_state(np.empty(self.state_out.shape), S.W, self.theta,
                                           self.scale_dirty, self.scale_flags))

    def _run_compiled(self, S: K.NetState) -> bool:
        """The run's steps in the compiled loop, at most :data:`CHECK_PERIODS` presentation
        periods per call (it also returns when a Python scaling rule is due); stop and pause
        requests are checked between calls. False if stopped or paused."""
        run_counting = bind_key(run_steps_counting, self.key)
        if not hasattr(self, "_tally"):
            self._tally = tally_buffers(self.exc_spike_count.shape[0])
        chunk = int(self.P.protocol.period_steps) * CHECK_PERIODS
        left = int(self.num_steps)
        while left > 0:
            before = S.C[K.C_RETRIES], S.C[K.C_CAPPED]
            done = run_counting(S, self.P, self.traces, self.images_f64, self.count_buffer,
                                min(left, chunk), self.exc_spike_count, self.inh_spike_count,
                                self._tally)
            left -= done
            self._apply_python_scaling(S)
            self._publish(S, before)
            if left > 0 and (self.check_for_stop_cmd() or self.check_for_pause_cmd()):
                return False
        return True

    def _run_sending(self) -> bool:
        """``s_out`` is connected: one Python-level step at a time, sending its spikes."""
        for _ in range(int(self.num_steps)):
            self._step_and_send()
        return True


def load_kernel(config) -> None:
    """Compile, or load from numba's disk cache, this model's compiled loop for ``config``
    in the calling process, with the argument types the model passes.

    Lava starts its processes by forking the host process, and a forked process inherits
    the compiled code: a host that calls this before it runs networks spares every model
    process that load (seconds), paying it once itself."""
    n, n_in = config.network.n_neurons, config.network.n_inputs
    S = K.new_state(config, np.zeros((n_in, n)), np.zeros(n))
    S = S._replace(theta=np.zeros(n), dirty=np.zeros(n, dtype=bool))   # as _state shares them
    counts = np.zeros((1, n), dtype=np.int64)
    bind_key(run_steps_counting, model_key(config))(
        S, K.pack_params(config, learning=False, seed=0), K.trace_tables(config),
        np.zeros((1, n_in)), counts, 0, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
        tally_buffers(n))
