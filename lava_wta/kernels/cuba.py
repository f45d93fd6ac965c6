"""Neuron steps of the current-based (CUBA) variant, compiled with numba.

The engine's step (:func:`lava_wta.kernels.network.step`) calls these instead of its
conductance-based neuron updates when ``network.neuron_model == "current"``; input
delivery, STDP, scaling, retries and the reset between images are shared and unchanged.

Delivery (:func:`lava_wta.kernels.network._deliver`) adds the weight sums of one step's
spikes to ``S.gee`` / ``S.gie`` (excitatory layer) and ``S.gei`` (inhibitory layer). In
this variant those arrays are not conductances but the *input accumulators* of the next
step, exactly what the Lava neurons receive on their ports ``a_exc`` and ``a_inh``: the
membrane step turns them into current and clears them. The synaptic currents themselves
are ``S.ie`` and ``S.ii`` (R*i, in mV). The membrane arithmetic is
:mod:`lava_wta.model.neurons` (the composed Lava models call the same functions).
"""
from __future__ import annotations

from numba import njit

from lava_wta.kernels.threshold import adaptive_threshold, fixed_threshold
from lava_wta.model.neurons import current_input, current_layer, exponential_euler_current


@njit(cache=True, inline="always", error_model="numpy")
def exc_step(S, E, TP, learning, key):
    """Excitatory layer (parameters ``E``, a :class:`lava_wta.model.params.CurrentExc`):
    current and v by the membrane rule the model ``key`` names, then θ, threshold, reset
    (θ's rule and its parameters ``TP``: see
    :func:`lava_wta.kernels.threshold.adaptive_threshold`). Consumes the accumulators
    ``S.gee`` (a_exc) and ``S.gie`` (a_inh); writes ``S.spikes``; returns the spike count."""
    current_layer(S.ve, S.ie, S.gee, S.gie, S.re, E.membrane, key)
    return adaptive_threshold(S, E.v_thresh_mv, E.theta_offset_mv, E.v_reset_mv, E.decay_theta, TP,
                              E.hold_steps, learning, key)


@njit(cache=True, inline="always", error_model="numpy")
def inh_step(S, H, n_listed):
    """Inhibitory layer (parameters ``H``, a :class:`lava_wta.model.params.CurrentInh`; the
    built-in membrane), neurons ``S.inh_list[:n_listed]`` only (every other one is exactly
    at rest: v = v_rest, i = 0, nothing to receive). Consumes the accumulator ``S.gei``
    (a_exc); writes ``S.inh_spikes`` of the listed neurons; returns the spike count."""
    m, v_reset, v_thresh, hold = H.membrane, H.v_reset_mv, H.v_thresh_mv, H.hold_steps
    vi, ii, a_exc, ri = S.vi, S.ii, S.gei, S.ri
    n_spikes = 0
    for k in range(n_listed):
        j = S.inh_list[k]
        refractory = ri[j] > 0
        i = current_input(ii[j], a_exc[j], 0.0, m)
        ii[j] = i
        a_exc[j] = 0.0
        v = vi[j]
        if not refractory:
            v = exponential_euler_current(v, i, m)
        n_spikes += fixed_threshold(S, j, v, refractory, v_thresh, v_reset, hold)
    return n_spikes
