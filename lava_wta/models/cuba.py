"""Floating-point CPU ProcessModels of the current-based LIF neurons.

Order of operations within one time step (``spk`` phase of LoihiProtocol), the same as
the conductance-based models (:mod:`lava_wta.models.neurons`):

1. receive last step's weighted spikes on ``a_exc`` and ``a_inh`` (discarded in the
   first step of a presentation when ``reset_between``);
2. ``integrate``: the current decays and takes the input, v relaxes towards
   ``v_rest + i`` (held while refractory); theta decays while learning;
3. ``spiking_activation``: threshold;
4. ``on_spike``: v = v_reset, refractory period, theta += theta_plus while learning;
5. send the spikes (they act on their targets from the next step on).

With ``t_ref_ms = 0`` and ``v_reset = v_rest`` (the defaults) the neuron is exactly
lava-nc's LIF (``du``, ``dv``, threshold relative to rest) and NIR's ``CubaLIF``.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_wta import dynamics
from lava_wta.models.protocol import PresentationClock
from lava_wta.processes.cuba import AdaptiveCurrentLIF, CurrentLIF


class AbstractPyCurrentLIFModelFloat(PresentationClock, PyLoihiProcessModel):
    """Shared float implementation; concrete models add the threshold rule."""

    a_exc: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    a_inh: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    i_syn: np.ndarray = LavaPyType(np.ndarray, float)
    refractory_steps: np.ndarray = LavaPyType(np.ndarray, int)
    spike_count: np.ndarray = LavaPyType(np.ndarray, int)
    dt_ms: np.ndarray = LavaPyType(np.ndarray, float)
    tau_m_ms: np.ndarray = LavaPyType(np.ndarray, float)
    tau_syn_ms: np.ndarray = LavaPyType(np.ndarray, float)
    v_rest_mv: np.ndarray = LavaPyType(np.ndarray, float)
    v_reset_mv: np.ndarray = LavaPyType(np.ndarray, float)
    v_thresh_mv: np.ndarray = LavaPyType(np.ndarray, float)
    t_ref_ms: np.ndarray = LavaPyType(np.ndarray, float)
    exc_current_mv: np.ndarray = LavaPyType(np.ndarray, float)
    inh_current_mv: np.ndarray = LavaPyType(np.ndarray, float)

    # ----------------------------------------------------------------- hooks
    def integrate(self, a_exc: np.ndarray, a_inh: np.ndarray, refractory: np.ndarray) -> None:
        """Sub-threshold dynamics over one step, this step's input included."""
        du, dv = dynamics.cuba_decays(self.dt_ms[0], self.tau_syn_ms[0], self.tau_m_ms[0])
        drive = dynamics.cuba_input(a_exc, a_inh, exc_current_mv=self.exc_current_mv[0],
                                    inh_current_mv=self.inh_current_mv[0])
        dynamics.cuba_lif_integrate(self.v, self.i_syn, drive, refractory, du=du, dv=dv,
                                    v_rest_mv=self.v_rest_mv[0])

    def spiking_activation(self, refractory: np.ndarray) -> np.ndarray:
        """Boolean spike vector of this step."""
        return (self.v > self.v_thresh_mv[0]) & ~refractory

    def on_spike(self, spikes: np.ndarray) -> None:
        """Reset and refractory period of the neurons that spiked."""
        self.v[spikes] = self.v_reset_mv[0]
        self.refractory_steps[spikes] = dynamics.refractory_steps(self.t_ref_ms[0], self.dt_ms[0])

    def reset_state(self) -> None:
        """Return to rest between presentations."""
        self.v[:] = self.v_rest_mv[0]
        self.i_syn[:] = 0.0
        self.refractory_steps[:] = 0

    # ----------------------------------------------------------------- LoihiProtocol
    def run_spk(self) -> None:
        a_exc = self.a_exc.recv()
        a_inh = self.a_inh.recv()
        if self.drops_input():
            a_exc = np.zeros_like(a_exc)
            a_inh = np.zeros_like(a_inh)
        refractory = self.refractory_steps > 0
        self.integrate(a_exc, a_inh, refractory)
        spikes = self.spiking_activation(refractory)
        self.refractory_steps[refractory] -= 1
        self.on_spike(spikes)
        self.spike_count += spikes
        self.s_out.send(spikes)

    def post_guard(self) -> bool:
        return self.reset_between() and self.is_last_step_of_period()

    def run_post_mgmt(self) -> None:
        self.reset_state()


@implements(proc=CurrentLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyCurrentLIFModelFloat(AbstractPyCurrentLIFModelFloat):
    """Inhibitory (plain current-based LIF) neurons."""


@implements(proc=AdaptiveCurrentLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyAdaptiveCurrentLIFModelFloat(AbstractPyCurrentLIFModelFloat):
    """Excitatory current-based neurons with Diehl & Cook's adaptive threshold theta."""

    theta: np.ndarray = LavaPyType(np.ndarray, float)
    learning: np.ndarray = LavaPyType(np.ndarray, int)
    theta_offset_mv: np.ndarray = LavaPyType(np.ndarray, float)
    theta_init_mv: np.ndarray = LavaPyType(np.ndarray, float)
    theta_plus_mv: np.ndarray = LavaPyType(np.ndarray, float)
    tau_theta_ms: np.ndarray = LavaPyType(np.ndarray, float)

    def integrate(self, a_exc: np.ndarray, a_inh: np.ndarray, refractory: np.ndarray) -> None:
        super().integrate(a_exc, a_inh, refractory)
        if self.learning[0]:
            self.theta *= dynamics.decay(self.dt_ms[0], self.tau_theta_ms[0])

    def spiking_activation(self, refractory: np.ndarray) -> np.ndarray:
        threshold = dynamics.adaptive_threshold_mv(self.v_thresh_mv[0], self.theta,
                                                   self.theta_offset_mv[0])
        return (self.v > threshold) & ~refractory

    def on_spike(self, spikes: np.ndarray) -> None:
        super().on_spike(spikes)
        if self.learning[0]:
            self.theta[spikes] += self.theta_plus_mv[0]
