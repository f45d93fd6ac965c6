"""SubProcessModel of :class:`lava_wta.processes.WTANetwork`: the composed Lava graph."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, tag
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.dense.process import Dense

from lava_wta.config import WTAConfig
from lava_wta.processes.cuba import AdaptiveCurrentLIF, CurrentLIF
from lava_wta.processes.network import WTANetwork
from lava_wta.processes.neurons import AdaptiveConductanceLIF, ConductanceLIF
from lava_wta.processes.plastic_dense import PlasticDense
from lava_wta.processes.poisson import PoissonImageInput


def inhibition_weights(n: int, w_ie: float) -> np.ndarray:
    """Inhibitory -> excitatory weights: every neuron but its own partner, shape (n, n)."""
    return w_ie * (1.0 - np.eye(n))


@implements(proc=WTANetwork, protocol=LoihiProtocol)
@tag("floating_pt")
class SubWTANetworkModel(AbstractSubProcessModel):
    """Input, plastic synapses, excitatory and inhibitory layers as separate processes.

    The neuron Processes follow ``config.network.neuron_model``: conductance-based
    (:class:`AdaptiveConductanceLIF`, :class:`ConductanceLIF`) or current-based
    (:class:`AdaptiveCurrentLIF`, :class:`CurrentLIF`); the rest of the graph is the same.
    """

    def __init__(self, proc: WTANetwork) -> None:
        p = proc.proc_params
        cfg: WTAConfig = p["config"]
        n = cfg.network.n_neurons
        clock = dict(dt_ms=cfg.time.dt_ms, period_steps=cfg.time.period_steps,
                     reset_between=cfg.time.between_images == "reset")
        self.input = PoissonImageInput(
            images=p["images"], n_response=n, input=cfg.input, dt_ms=cfg.time.dt_ms,
            presentation_steps=cfg.time.presentation_steps, period_steps=cfg.time.period_steps,
            seed=p["input_seed"], buffer_images=p["buffer_images"], start_image=p["start_image"],
            start_retry=p["start_retry"], start_presentations=p["start_presentations"], name="input")
        self.input_synapses = PlasticDense(
            weights=p["weights"], stdp=cfg.stdp, scaling=cfg.scaling, learning=p["learning"],
            presentations=p["start_presentations"], name="input_synapses", **clock)
        if cfg.network.neuron_model == "current":   # the Loihi/NIR-native variant
            self.exc = AdaptiveCurrentLIF(
                shape=(n,), params=cfg.cuba_exc, theta=p["theta"], learning=p["learning"],
                rest_ms=cfg.time.reset_rest_ms, name="exc", **clock)
            self.inh = CurrentLIF(shape=(n,), params=cfg.cuba_inh, name="inh", **clock)
        else:
            self.exc = AdaptiveConductanceLIF(
                shape=(n,), params=cfg.exc, theta=p["theta"], learning=p["learning"],
                rest_ms=cfg.time.reset_rest_ms, name="exc", **clock)
            self.inh = ConductanceLIF(shape=(n,), params=cfg.inh, name="inh", **clock)
        self.exc_to_inh = Dense(weights=cfg.network.w_ei * np.eye(n), name="exc_to_inh")
        self.inh_to_exc = Dense(weights=inhibition_weights(n, cfg.network.w_ie), name="inh_to_exc")

        self.input.s_out.connect(self.input_synapses.s_in)
        self.input_synapses.a_out.connect(self.exc.a_exc)
        self.exc.s_out.connect(self.input_synapses.s_in_bap)
        self.exc.s_out.connect(self.input.s_in_response)
        self.exc.s_out.connect(self.exc_to_inh.s_in)
        self.exc_to_inh.a_out.connect(self.inh.a_exc)
        self.inh.s_out.connect(self.inh_to_exc.s_in)
        self.inh_to_exc.a_out.connect(self.exc.a_inh)
        self.exc.s_out.connect(proc.out_ports.s_out)

        proc.vars.weights.alias(self.input_synapses.vars.weights)
        proc.vars.theta.alias(self.exc.vars.theta)
        proc.vars.exc_spike_count.alias(self.exc.vars.spike_count)
        proc.vars.inh_spike_count.alias(self.inh.vars.spike_count)
        for name in ("count_buffer", "image_index", "retry", "presentations", "total_retries", "capped"):
            getattr(proc.vars, name).alias(getattr(self.input.vars, name))
