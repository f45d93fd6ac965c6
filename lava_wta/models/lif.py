"""ProcessModels of :class:`lava_wta.processes.lif.PerNeuronLIF`.

Both inherit lava-nc's own LIF arithmetic (``AbstractPyLifModelFloat`` and the
bit-accurate ``AbstractPyLifModelFixed``: decays, 24-bit wrapping of u, clipping of v,
the 6-bit MSB alignment of input and threshold) and change only what a per-neuron
threshold needs: ``vth`` and ``v_reset`` are arrays. They add the presentation clock of
lava-wta (:class:`lava_wta.models.protocol.PresentationClock`): with ``reset_between``,
``u`` and ``v`` return to 0 at the end of every period and the next period's first input
is dropped, as in lava-wta's own neurons.
"""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.ports import PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.lif.models import AbstractPyLifModelFixed, AbstractPyLifModelFloat

from lava_wta.models.protocol import PresentationClock
from lava_wta.processes.lif import PerNeuronLIF


class _PeriodicReset(PresentationClock):
    u: np.ndarray
    v: np.ndarray

    def _input(self) -> np.ndarray:
        a_in = self.a_in.recv()
        return np.zeros_like(a_in) if self.drops_input() else a_in

    def post_guard(self) -> bool:
        return self.reset_between() and self.is_last_step_of_period()

    def run_post_mgmt(self) -> None:
        self.u[:] = 0
        self.v[:] = 0


@implements(proc=PerNeuronLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPerNeuronLifModelFloat(_PeriodicReset, AbstractPyLifModelFloat):
    """Floating point: lava-nc's LIF update with per-neuron ``vth`` and ``v_reset``."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    vth: np.ndarray = LavaPyType(np.ndarray, float)
    v_reset: np.ndarray = LavaPyType(np.ndarray, float)

    def spiking_activation(self) -> np.ndarray:
        return self.v > self.vth

    def reset_voltage(self, spike_vector: np.ndarray) -> None:
        self.v[spike_vector] = self.v_reset[spike_vector]

    def run_spk(self) -> None:
        self.subthr_dynamics(activation_in=self._input())
        spikes = self.spiking_activation()
        self.reset_voltage(spikes)
        self.s_out.send(spikes)


@implements(proc=PerNeuronLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyPerNeuronLifModelBitAcc(_PeriodicReset, AbstractPyLifModelFixed):
    """Bit-accurate Loihi LIF (lava-nc's fixed-point arithmetic) with per-neuron 17-bit
    threshold mantissas ``vth`` (effective threshold ``vth << 6``) and reset potentials
    ``v_reset`` (same units as ``vth``; lava-nc's LIF: 0)."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    vth: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=17)
    v_reset: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=17)

    def scale_threshold(self) -> None:
        self.effective_vth = np.left_shift(self.vth.astype(np.int32), self.vth_shift)
        self.effective_reset = np.left_shift(self.v_reset.astype(np.int32), self.vth_shift)
        self.isthrscaled = True

    def spiking_activation(self) -> np.ndarray:
        return self.v > self.effective_vth

    def reset_voltage(self, spike_vector: np.ndarray) -> None:
        self.v[spike_vector] = self.effective_reset[spike_vector]

    def run_spk(self) -> None:
        a_in = self._input()
        self.scale_bias()
        if not self.isthrscaled:
            self.scale_threshold()
        self.subthr_dynamics(activation_in=a_in)
        spikes = self.spiking_activation()
        self.reset_voltage(spikes)
        self.s_out.send(spikes)
