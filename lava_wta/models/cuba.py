"""Floating-point CPU ProcessModels of the current-based LIF neurons.

Order of operations within one time step (``spk`` phase of LoihiProtocol), the same as
the conductance-based models (:mod:`lava_wta.models.neurons`):

1. ``receive`` last step's weighted spikes on ``a_exc`` and ``a_inh`` (zeros in the
   first step of a presentation when ``reset_between``), scaled to mV;
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
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_wta.model.neurons import current_membrane_params, integrate_current
from lava_wta.models.neurons import AbstractPyLIFModelFloat, AdaptiveThresholdMixin
from lava_wta.processes.cuba import AdaptiveCurrentLIF, CurrentLIF


class AbstractPyCurrentLIFModelFloat(AbstractPyLIFModelFloat):
    """Current-based LIF: the input, scaled to mV, enters the synaptic current."""

    i_syn: np.ndarray = LavaPyType(np.ndarray, float)
    tau_syn_ms: np.ndarray = LavaPyType(np.ndarray, float)
    exc_current_mv: np.ndarray = LavaPyType(np.ndarray, float)
    inh_current_mv: np.ndarray = LavaPyType(np.ndarray, float)

    def receive(self, a_exc: np.ndarray, a_inh: np.ndarray) -> None:
        self._input = (np.array(a_exc, dtype=float), np.array(a_inh, dtype=float))

    def integrate(self, refractory: np.ndarray) -> None:
        """The current decays and takes this step's input; v relaxes towards v_rest + i
        (:func:`lava_wta.model.neurons.current_layer` on the Vars)."""
        m = current_membrane_params(
            dt_ms=self.dt_ms[0], tau_syn_ms=self.tau_syn_ms[0], tau_m_ms=self.tau_m_ms[0],
            v_rest_mv=self.v_rest_mv[0], exc_current_mv=self.exc_current_mv[0],
            inh_current_mv=self.inh_current_mv[0])
        a_exc, a_inh = self._input
        self._membrane(integrate_current)(self.v, self.i_syn, a_exc, a_inh, refractory, m)

    def reset_state(self) -> None:
        self.v[:] = self.v_rest_mv[0]
        self.i_syn[:] = 0.0
        self.refractory_steps[:] = 0


@implements(proc=CurrentLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyCurrentLIFModelFloat(AbstractPyCurrentLIFModelFloat):
    """Inhibitory (plain current-based LIF) neurons."""


@implements(proc=AdaptiveCurrentLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyAdaptiveCurrentLIFModelFloat(AdaptiveThresholdMixin, AbstractPyCurrentLIFModelFloat):
    """Excitatory current-based neurons with Diehl & Cook's adaptive threshold theta."""
