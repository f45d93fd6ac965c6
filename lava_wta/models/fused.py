"""A fused ProcessModel of :class:`lava_wta.processes.WTANetwork`: the whole network in one process.

The composed model (:class:`lava_wta.models.network.SubWTANetworkModel`) runs six Lava
processes that synchronise and exchange messages at every 0.5 ms step. This model
implements the same Process, with the same Vars and port, as a single
``PyLoihiProcessModel`` whose ``run_spk`` calls the compiled step of
:mod:`lava_wta.kernels.network` — the same code the standalone engine runs, so the two
agree bit for bit, and both agree with the composed graph to rounding.

Select it by tag, for one run::

    from lava_wta.processes import WTANetwork
    from lava_wta.run_config import WTASimCfg
    net.run(condition=RunSteps(num_steps=...), run_cfg=WTASimCfg(models={WTANetwork: "fused"}))

``weights``, ``theta`` and the counters are the model's own arrays, passed to the kernel
without copies: ``get``/``set`` between runs see and change the running network.
``image_index`` set between runs takes effect at the next presentation start.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_wta.kernels import network as K
from lava_wta.kernels.support import check_compiled_support
from lava_wta.model.key import bind_key, model_key
from lava_wta.processes.network import WTANetwork


class _FusedNetworkMixin:
    """What both fused models share: the Vars' types (inherited, as lava-nc's abstract
    models share theirs), the kernel's parameters, its view of the model's Vars, registered
    Python scaling rules and the position Vars."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    # the host ports of WTANetwork: only the asynchronous model sends and receives on them
    results_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int64)
    state_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.float64)
    control_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)
    weights: np.ndarray = LavaPyType(np.ndarray, float)
    theta: np.ndarray = LavaPyType(np.ndarray, float)
    exc_spike_count: np.ndarray = LavaPyType(np.ndarray, int)
    inh_spike_count: np.ndarray = LavaPyType(np.ndarray, int)
    count_buffer: np.ndarray = LavaPyType(np.ndarray, int)
    image_index: np.ndarray = LavaPyType(np.ndarray, int)
    retry: np.ndarray = LavaPyType(np.ndarray, int)
    presentations: np.ndarray = LavaPyType(np.ndarray, int)
    total_retries: np.ndarray = LavaPyType(np.ndarray, int)
    capped: np.ndarray = LavaPyType(np.ndarray, int)
    scale_dirty: np.ndarray = LavaPyType(np.ndarray, bool)
    scale_flags: np.ndarray = LavaPyType(np.ndarray, int)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)       # PyLoihiProcessModel or PyAsyncProcessModel
        config = proc_params["config"]
        check_compiled_support(config)
        self.config = config
        self.P = K.pack_params(config, learning=bool(proc_params["learning"]),
                               seed=proc_params["input_seed"])
        self.traces = K.trace_tables(config)
        self.key = model_key(config)
        self._step_with_vars = bind_key(K.step_with_vars, self.key)
        self.images_f64 = np.ascontiguousarray(proc_params["images"], dtype=np.float64)
        self.S = None

    def _state(self) -> K.NetState:
        """The kernel's view of this model's arrays (built at the first step, when Lava has
        filled the Vars)."""
        if self.S is None:
            S = K.new_state(self.config, self._kernel_weights(), self.theta,
                            image=int(self.image_index[0]), retry=int(self.retry[0]),
                            presentations=int(self.presentations[0]))
            # share, not copy: Var.get sees them
            self.S = S._replace(theta=self.theta, dirty=self.scale_dirty)
            if self.proc_params["scaling_bookkeeping"] is not None:     # a resumed run
                S.C[K.C_ALL_DIRTY], S.C[K.C_OUT_OF_BOUNDS] = self.scale_flags
        S = self.S
        C = S.C
        # host-side `set` between runs moves the position
        C[K.C_IMAGE], C[K.C_RETRY] = self.image_index[0], self.retry[0]
        if C[K.C_PRESENTATIONS] != self.presentations[0]:
            C[K.C_PRESENTATIONS] = C[K.C_PERIODS] = self.presentations[0]
        return S

    def _kernel_weights(self) -> np.ndarray:
        """The ``(n_in, n)`` weights the kernel steps on: the transposed view of the
        ``weights`` Var itself, so that ``get``/``set`` between runs see and change them."""
        return self.weights.T

    def _apply_python_scaling(self, S: K.NetState) -> None:
        """A registered (Python) scaling rule is due: apply it to the kernel's weights."""
        if S.C[K.C_SCALE_DUE]:
            from lava_wta.rules import get_scaling_rule

            get_scaling_rule(self.config.scaling.mode)(S.W.T, self.config.scaling.target_norm)
            S.C[K.C_SCALE_DUE] = 0
            S.C[K.C_OUT_OF_BOUNDS] = K.out_of_bounds(S.W, self.config.stdp.w_max)

    def _step_and_send(self) -> None:
        """One step of the compiled kernel, the Vars updated, the step's excitatory spikes
        sent on ``s_out``. The position Vars are read before the step and written after it
        inside the same compiled call (:func:`lava_wta.kernels.network.step_with_vars`)."""
        S = self.S if self.S is not None else self._state()
        self._step_with_vars(S, self.P, self.traces, self.images_f64, self.count_buffer,
                             self.exc_spike_count, self.inh_spike_count, self.image_index,
                             self.retry, self.presentations, self.total_retries, self.capped)
        self._apply_python_scaling(S)
        self._publish_scaling_flags(S)
        self.s_out.send(S.spikes.copy())

    def _publish_scaling_flags(self, S: K.NetState) -> None:
        """Copy the kernel's scaling flags into ``scale_flags`` (for checkpoints)."""
        self.scale_flags[0], self.scale_flags[1] = S.C[K.C_ALL_DIRTY], S.C[K.C_OUT_OF_BOUNDS]

    def _publish(self, S: K.NetState, before: tuple) -> None:
        """Copy the kernel's counters into the position Vars (``before``: retries and capped
        presentations when the steps began)."""
        C = S.C
        self.image_index[0], self.retry[0] = C[K.C_IMAGE], C[K.C_RETRY]
        self.presentations[0] = C[K.C_PRESENTATIONS]
        self.total_retries[0] += C[K.C_RETRIES] - before[0]
        self.capped[0] += C[K.C_CAPPED] - before[1]
        self._publish_scaling_flags(S)


@implements(proc=WTANetwork, protocol=LoihiProtocol)
@requires(CPU)
@tag("fused")
class PyWTANetworkFusedModel(_FusedNetworkMixin, PyLoihiProcessModel):
    """Input, plastic synapses, both layers and their loop in one process (compiled step)."""

    def run_spk(self) -> None:
        self._step_and_send()
