"""Floating-point CPU ProcessModels of the conductance-based LIF neurons.

Order of operations within one time step (the ``spk`` phase of LoihiProtocol):

1. receive the conductance increments caused by last step's presynaptic spikes
   (discarded in the first step of a presentation when ``reset_between``);
2. ``integrate``: add them to g_exc / g_inh, exponential-Euler step of v (held while
   refractory), exact decay of the conductances (and of theta while learning);
3. ``spiking_activation``: threshold;
4. ``on_spike``: reset v, start the refractory period (and raise theta while learning);
5. send the spikes, which act on their targets from the next step on.

At the end of each presentation period, when ``reset_between``, the post-management
phase returns the state to rest (theta is kept, and decays over the rest the reset
stands for while learning).

Subclass :class:`AbstractPyConductanceLIFModelFloat` (or one of the concrete models)
and override the hook methods (``receive``, ``integrate``, ``spiking_activation``,
``on_spike``, ``reset_state``) to build a neuron variant; select it with
:class:`lava_wta.run_config.WTASimCfg` (``models={Process: YourModel}`` or a tag).
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_wta.model.key import bind_key, membrane_key, theta_key
from lava_wta.model.neurons import (
    BUILTIN,
    conductance_membrane_params,
    decay,
    integrate_conductance,
    refractory_steps,
)
from lava_wta.model.threshold import ThetaParams, decay_all, firing, raise_spiking
from lava_wta.models.protocol import PresentationClock
from lava_wta.processes.neurons import AdaptiveConductanceLIF, ConductanceLIF


class AbstractPyLIFModelFloat(PresentationClock, PyLoihiProcessModel):
    """The step every lava-wta float neuron model shares (conductance- and current-based).

    Subclasses say how the arriving input enters (``receive``) and how the state moves
    over one step (``integrate``); threshold, reset, refractoriness, spike counting and
    the return to rest between presentations are common."""

    a_exc: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    a_inh: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    refractory_steps: np.ndarray = LavaPyType(np.ndarray, int)
    spike_count: np.ndarray = LavaPyType(np.ndarray, int)
    dt_ms: np.ndarray = LavaPyType(np.ndarray, float)
    tau_m_ms: np.ndarray = LavaPyType(np.ndarray, float)
    v_rest_mv: np.ndarray = LavaPyType(np.ndarray, float)
    v_reset_mv: np.ndarray = LavaPyType(np.ndarray, float)
    v_thresh_mv: np.ndarray = LavaPyType(np.ndarray, float)
    t_ref_ms: np.ndarray = LavaPyType(np.ndarray, float)

    # ----------------------------------------------------------------- hooks
    def receive(self, a_exc: np.ndarray, a_inh: np.ndarray) -> None:
        """Take this step's synaptic input (zeros in the first step after a reset)."""
        raise NotImplementedError

    def integrate(self, refractory: np.ndarray) -> None:
        """Sub-threshold dynamics over one step (input already received)."""
        raise NotImplementedError

    def spiking_activation(self, refractory: np.ndarray) -> np.ndarray:
        """Boolean spike vector of this step."""
        return (self.v > self.v_thresh_mv[0]) & ~refractory

    def on_spike(self, spikes: np.ndarray) -> None:
        """Reset and refractory period of the neurons that spiked."""
        self.v[spikes] = self.v_reset_mv[0]
        self.refractory_steps[spikes] = refractory_steps(self.t_ref_ms[0], self.dt_ms[0])

    def reset_state(self) -> None:
        """Return to rest between presentations."""
        raise NotImplementedError

    def _membrane(self, helper):
        """``helper`` (a :mod:`lava_wta.model.neurons` layer function) compiled for this
        population's membrane rule (``membrane_rule`` of its configuration; the inhibitory
        populations have none and use the built-in)."""
        rule = getattr(self.proc_params["params"], "membrane_rule", BUILTIN)
        return bind_key(helper, membrane_key(rule))

    # ----------------------------------------------------------------- LoihiProtocol
    def run_spk(self) -> None:
        a_exc = self.a_exc.recv()
        a_inh = self.a_inh.recv()
        if self.drops_input():
            a_exc = np.zeros_like(a_exc)
            a_inh = np.zeros_like(a_inh)
        self.receive(a_exc, a_inh)
        refractory = self.refractory_steps > 0
        self.integrate(refractory)
        spikes = self.spiking_activation(refractory)
        self.refractory_steps[refractory] -= 1
        self.on_spike(spikes)
        self.spike_count += spikes
        self.s_out.send(spikes)

    def post_guard(self) -> bool:
        return self.reset_between() and self.is_last_step_of_period()

    def run_post_mgmt(self) -> None:
        self.reset_state()


class AdaptiveThresholdMixin:
    """Diehl & Cook's adaptive threshold θ for any lava-wta neuron model: a neuron fires
    when ``v > v_thresh + θ - θ_offset``; while ``learning`` is 1, θ decays with
    ``tau_theta`` and rises with each spike, and each reset between presentations decays it
    over the ``rest_ms`` the reset stands for; otherwise it is frozen. How it decays and
    rises is the threshold rule of the population's configuration (``theta_rule``;
    :mod:`lava_wta.model.threshold`), the functions the engine compiles into its step."""

    theta: np.ndarray = LavaPyType(np.ndarray, float)
    learning: np.ndarray = LavaPyType(np.ndarray, int)
    theta_offset_mv: np.ndarray = LavaPyType(np.ndarray, float)
    theta_init_mv: np.ndarray = LavaPyType(np.ndarray, float)
    theta_plus_mv: np.ndarray = LavaPyType(np.ndarray, float)
    tau_theta_ms: np.ndarray = LavaPyType(np.ndarray, float)
    rest_ms: np.ndarray = LavaPyType(np.ndarray, float)

    def _theta_rule(self, helper):
        """``helper`` compiled for this population's threshold rule (``theta_rule`` of its
        configuration), and the rule's parameters."""
        key = theta_key(self.proc_params["params"].theta_rule)
        return bind_key(helper, key), ThetaParams(float(self.theta_plus_mv[0]),
                                                  float(self.theta_init_mv[0]))

    def integrate(self, refractory: np.ndarray) -> None:
        super().integrate(refractory)
        if self.learning[0]:
            decay_theta, params = self._theta_rule(decay_all)
            decay_theta(self.theta, decay(self.dt_ms[0], self.tau_theta_ms[0]), params)

    def spiking_activation(self, refractory: np.ndarray) -> np.ndarray:
        spikes = np.empty(self.v.shape, dtype=bool)
        firing(self.v, self.theta, refractory, float(self.v_thresh_mv[0]),
               float(self.theta_offset_mv[0]), spikes)
        return spikes

    def on_spike(self, spikes: np.ndarray) -> None:
        super().on_spike(spikes)
        if self.learning[0] and spikes.any():
            rise, params = self._theta_rule(raise_spiking)
            rise(self.theta, spikes, params)

    def reset_state(self) -> None:
        super().reset_state()
        if self.learning[0]:
            decay_theta, params = self._theta_rule(decay_all)
            decay_theta(self.theta, decay(self.rest_ms[0], self.tau_theta_ms[0]), params)


class AbstractPyConductanceLIFModelFloat(AbstractPyLIFModelFloat):
    """Conductance-based LIF (Diehl & Cook): the input adds to g_exc / g_inh."""

    g_exc: np.ndarray = LavaPyType(np.ndarray, float)
    g_inh: np.ndarray = LavaPyType(np.ndarray, float)
    e_exc_mv: np.ndarray = LavaPyType(np.ndarray, float)
    e_inh_mv: np.ndarray = LavaPyType(np.ndarray, float)
    tau_ge_ms: np.ndarray = LavaPyType(np.ndarray, float)
    tau_gi_ms: np.ndarray = LavaPyType(np.ndarray, float)

    def receive(self, a_exc: np.ndarray, a_inh: np.ndarray) -> None:
        self.g_exc += a_exc
        self.g_inh += a_inh

    def integrate(self, refractory: np.ndarray) -> None:
        """The membrane step of :func:`lava_wta.model.neurons.conductance_layer` on the Vars."""
        m = conductance_membrane_params(
            dt_ms=self.dt_ms[0], tau_m_ms=self.tau_m_ms[0], v_rest_mv=self.v_rest_mv[0],
            e_exc_mv=self.e_exc_mv[0], e_inh_mv=self.e_inh_mv[0], tau_ge_ms=self.tau_ge_ms[0],
            tau_gi_ms=self.tau_gi_ms[0])
        self._membrane(integrate_conductance)(self.v, self.g_exc, self.g_inh, refractory, m)

    def reset_state(self) -> None:
        self.v[:] = self.v_rest_mv[0]
        self.g_exc[:] = 0.0
        self.g_inh[:] = 0.0
        self.refractory_steps[:] = 0


@implements(proc=ConductanceLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyConductanceLIFModelFloat(AbstractPyConductanceLIFModelFloat):
    """Inhibitory (plain conductance-based LIF) neurons."""


@implements(proc=AdaptiveConductanceLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyAdaptiveConductanceLIFModelFloat(AdaptiveThresholdMixin, AbstractPyConductanceLIFModelFloat):
    """Excitatory neurons with Diehl & Cook's adaptive threshold theta."""
