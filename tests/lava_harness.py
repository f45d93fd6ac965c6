"""A small Lava harness for the process-model tests: scripted input into one neuron
population, a spike recorder, run, read Vars, stop."""
from __future__ import annotations

import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source

from lava_wta.run_config import WTASimCfg


def run_for(proc, steps: int, *vars_) -> list:
    """Run ``proc`` (and what is connected to it) ``steps`` steps; return the Vars' values."""
    proc.run(condition=RunSteps(num_steps=steps), run_cfg=WTASimCfg())
    try:
        return [np.array(v.get()) for v in vars_]
    finally:
        proc.stop()


def attach_input(neuron, exc: np.ndarray, inh: np.ndarray = None) -> Sink:
    """Connect scripted excitatory / inhibitory input (n, T) to ``neuron.a_exc`` / ``a_inh``
    and a recorder of its spikes; returns the recorder."""
    n, steps = exc.shape
    Source(data=exc).s_out.connect(neuron.a_exc)
    Source(data=np.zeros_like(exc) if inh is None else inh).s_out.connect(neuron.a_inh)
    sink = Sink(shape=(n,), buffer=steps)
    neuron.s_out.connect(sink.a_in)
    return sink
