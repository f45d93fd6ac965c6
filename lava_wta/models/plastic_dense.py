"""Floating-point CPU ProcessModel of :class:`lava_wta.processes.PlasticDense`.

Order within one step (``spk`` phase):

1. send the activation buffered from last step's presynaptic spikes (like lava-nc's
   ``Dense``, which keeps recurrent networks free of deadlock);
2. receive this step's presynaptic spikes (``s_in``) and the postsynaptic spikes of the
   same step (``s_in_bap``);
3. buffer the activation ``W[:, pre].sum(1)`` with the weights *before* this step's
   plasticity (Brian2: ``ge += w`` precedes the STDP update);
4. while learning: ``decay_traces``, then ``on_pre_spikes``, then ``on_post_spikes``
   (so a potentiation sees a presynaptic spike of the same step).

Post-management phase at the end of a presentation period: ``scale`` every
``scaling_interval`` presentations while learning, and with ``reset_between`` clear the
traces and the in-flight activation.

The weight updates are the compiled functions of the STDP rule that ``stdp.rule`` names
(:mod:`lava_wta.model.plasticity`), the same the engine and the fused models compile into
their step: register a rule with :func:`lava_wta.rules.register_stdp_rule` and it runs
here and in every other backend. Subclassing :class:`PyPlasticDenseModelFloat` and
overriding its hooks still works, in this composed graph only (``--backend lava``); add a
scaling rule with :func:`lava_wta.rules.register_scaling_rule`.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_wta.model.key import bind_key, stdp_key
from lava_wta.model.neurons import decay
from lava_wta.model.plasticity import StdpParams, depress_inputs, potentiate_neurons
from lava_wta.models.protocol import PresentationClock
from lava_wta.processes.plastic_dense import PlasticDense
from lava_wta.rules import get_scaling_rule


@implements(proc=PlasticDense, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPlasticDenseModelFloat(PresentationClock, PyLoihiProcessModel):
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, bool, precision=1)
    s_in_bap: PyInPort = LavaPyType(PyInPort.VEC_DENSE, bool, precision=1)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    weights: np.ndarray = LavaPyType(np.ndarray, float)
    a_buff: np.ndarray = LavaPyType(np.ndarray, float)
    x_pre: np.ndarray = LavaPyType(np.ndarray, float)
    y1: np.ndarray = LavaPyType(np.ndarray, float)
    y2: np.ndarray = LavaPyType(np.ndarray, float)
    learning: np.ndarray = LavaPyType(np.ndarray, int)
    dt_ms: np.ndarray = LavaPyType(np.ndarray, float)
    nu_pre: np.ndarray = LavaPyType(np.ndarray, float)
    nu_post: np.ndarray = LavaPyType(np.ndarray, float)
    tau_pre_ms: np.ndarray = LavaPyType(np.ndarray, float)
    tau_post1_ms: np.ndarray = LavaPyType(np.ndarray, float)
    tau_post2_ms: np.ndarray = LavaPyType(np.ndarray, float)
    w_max: np.ndarray = LavaPyType(np.ndarray, float)
    target_norm: np.ndarray = LavaPyType(np.ndarray, float)
    scaling_interval: np.ndarray = LavaPyType(np.ndarray, int)
    presentations: np.ndarray = LavaPyType(np.ndarray, int)

    # ----------------------------------------------------------------- hooks
    def decay_traces(self) -> None:
        """Each trace decays by its exact factor per step (the engine reads the same
        products from :func:`lava_wta.kernels.network.trace_tables`)."""
        dt = self.dt_ms[0]
        self.x_pre *= decay(dt, self.tau_pre_ms[0])
        self.y1 *= decay(dt, self.tau_post1_ms[0])
        self.y2 *= decay(dt, self.tau_post2_ms[0])

    def _rule(self, helper):
        """``helper`` compiled for this synapse's STDP rule, and the rule's parameters."""
        key = stdp_key(self.proc_params["stdp"].rule)
        params = StdpParams(float(self.nu_pre[0]), float(self.nu_post[0]), float(self.w_max[0]))
        return bind_key(helper, key), params

    def on_pre_spikes(self, pre: np.ndarray) -> None:
        """Presynaptic spikes (indices ``pre``): x_pre = 1, then the rule's depression of
        their weights (with y1), clipped to [0, w_max]."""
        if pre.size == 0:
            return
        self.x_pre[pre] = 1.0
        depress, params = self._rule(depress_inputs)
        depress(self.weights, self.y1, pre.astype(np.int64), params)

    def on_post_spikes(self, post: np.ndarray) -> None:
        """Postsynaptic spikes (indices ``post``): the rule's potentiation of their weights
        (with x_pre and y2 before the spike), clipped; then y1 = y2 = 1."""
        if post.size == 0:
            return
        potentiate, params = self._rule(potentiate_neurons)
        potentiate(self.weights, self.x_pre, self.y2, post.astype(np.int64), params)
        self.y1[post] = 1.0
        self.y2[post] = 1.0

    def scale(self) -> None:
        """Homeostatic scaling of every row with the configured rule."""
        get_scaling_rule(self.proc_params["scaling_mode"])(self.weights, self.target_norm[0])

    def reset_state(self) -> None:
        self.x_pre[:] = 0.0
        self.y1[:] = 0.0
        self.y2[:] = 0.0
        self.a_buff[:] = 0.0

    # ----------------------------------------------------------------- LoihiProtocol
    def run_spk(self) -> None:
        self.a_out.send(self.a_buff)
        pre = np.flatnonzero(self.s_in.recv())
        post = np.flatnonzero(self.s_in_bap.recv())
        self.a_buff = self.weights[:, pre].sum(axis=1)
        if self.learning[0]:
            self.decay_traces()
            self.on_pre_spikes(pre)
            self.on_post_spikes(post)
        if self.is_last_step_of_period():
            self.presentations[0] += 1

    def _scaling_due(self) -> bool:
        return bool(self.learning[0]) and self.presentations[0] % self.scaling_interval[0] == 0

    def post_guard(self) -> bool:
        return self.is_last_step_of_period() and (self.reset_between() or self._scaling_due())

    def run_post_mgmt(self) -> None:
        if self._scaling_due():
            self.scale()
        if self.reset_between():
            self.reset_state()
