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
sends nothing; read the results from the Vars (``exc_spike_count``, ``count_buffer``,
``weights``, ``theta``, the position) with ``get`` between runs. With ``s_out`` connected
it steps in Python and sends each step's spikes, in order, into the channel (a receiver
such as ``RingBuffer`` reads one message per step): correct, but no faster than the
synchronous model. Lava's asynchronous runtime does not
support ``Var.set`` (it raises "Set is not supported in AsyncPyRuntimeService"): to move
the position or load weights, create the process with them, or use the ``"fused"`` model.
``RunContinuous`` runs until ``pause()``/``stop()``, checked once per presentation period.
"""
from __future__ import annotations

from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyAsyncProcessModel
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.async_protocol import AsyncProtocol

from lava_wta.kernels import network as K
from lava_wta.kernels.counting import run_steps_counting
from lava_wta.model.key import bind_key
from lava_wta.models.fused import _FusedNetworkMixin
from lava_wta.processes.network import WTANetwork


@implements(proc=WTANetwork, protocol=AsyncProtocol)
@requires(CPU)
@tag("fused-async")
class PyWTANetworkAsyncModel(_FusedNetworkMixin, PyAsyncProcessModel):
    """The whole network in one process, ``N`` steps per ``run`` in one compiled loop."""

    def run_async(self) -> None:
        if getattr(self.s_out, "csp_ports", None):
            self._run_sending()
            return
        S = self._state()
        run_counting = bind_key(run_steps_counting, self.key)
        chunk = int(self.P.protocol.period_steps)
        left = int(self.num_steps)
        while left > 0:
            before = S.C[K.C_RETRIES], S.C[K.C_CAPPED]
            done = run_counting(S, self.P, self.traces, self.images_f64, self.count_buffer,
                                min(left, chunk), self.exc_spike_count, self.inh_spike_count)
            left -= done
            self._apply_python_scaling(S)
            self._publish(S, before)
            if left > 0 and (self.check_for_stop_cmd() or self.check_for_pause_cmd()):
                return

    def _run_sending(self) -> None:
        """``s_out`` is connected: one Python-level step at a time, sending its spikes."""
        for _ in range(int(self.num_steps)):
            self._step_and_send()
