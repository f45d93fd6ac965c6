"""What the compiled step of :mod:`lava_wta.kernels.network` simulates, checked on a configuration.

The standalone engine and the fused Lava models (:mod:`lava_wta.models.fused`) run that
step, so both ask here before they build a network; the backend registry
(:mod:`lava_wta.backends`) declares the same set for them.
"""
from __future__ import annotations

COMPILED_NEURON_MODELS = ("conductance", "current")
"""Values of ``network.neuron_model`` the compiled step simulates: the conductance-based
model and the current-based one (:mod:`lava_wta.kernels.cuba`)."""


def check_compiled_support(config) -> None:
    """Raise ``ValueError`` if ``config`` (a :class:`lava_wta.WTAConfig`) asks for a neuron
    model the compiled step does not simulate."""
    model = getattr(config.network, "neuron_model", "conductance")
    if model not in COMPILED_NEURON_MODELS:
        raise ValueError(
            f"network.neuron_model: the engine and the fused Lava models simulate "
            f"{list(COMPILED_NEURON_MODELS)}, got {model!r}; the composed Lava graph "
            f"(backend 'lava') runs every neuron model")
