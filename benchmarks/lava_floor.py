"""The cost of Lava's synchronous runtime alone: a one-process network that does no work.

``FloorProcess`` has one ``OutPort`` of ``n`` booleans (the shape of ``WTANetwork.s_out``)
and its ``LoihiProtocol`` model calls ``send`` on it each step (as the fused model does)
and nothing else. Timing it in the same run as the fused model (``engine_vs_lava.py``)
separates Lava's per-step synchronisation (runtime service <-> process messages, every
step) from the model's own work: no synchronous single-process model can run faster.
"""
from __future__ import annotations

import time

import numpy as np
from lava.magma.core.decorator import implements, requires
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol


class FloorProcess(AbstractProcess):
    """A process with an ``s_out`` port of ``n`` spikes and nothing else."""

    def __init__(self, n: int = 400) -> None:
        super().__init__(n=n)
        self.s_out = OutPort(shape=(n,))


@implements(proc=FloorProcess, protocol=LoihiProtocol)
@requires(CPU)
class PyFloorModel(PyLoihiProcessModel):
    """Sends ``n`` zeros each spiking phase; no other phase is requested."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._zeros = np.zeros(proc_params["n"], dtype=bool)

    def run_spk(self) -> None:
        self.s_out.send(self._zeros)


def floor_timing(n: int, steps: int, warmup: int = 100) -> dict:
    """Wall-clock seconds of ``steps`` steps of :class:`FloorProcess` (after ``warmup``)."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg

    proc = FloorProcess(n)
    try:
        proc.run(condition=RunSteps(num_steps=warmup), run_cfg=Loihi2SimCfg())
        t0 = time.perf_counter()
        proc.run(condition=RunSteps(num_steps=steps), run_cfg=Loihi2SimCfg())
        seconds = time.perf_counter() - t0
    finally:
        proc.stop()
    return {"steps": steps, "seconds": seconds}
