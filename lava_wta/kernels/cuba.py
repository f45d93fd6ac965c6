"""Neuron steps of the current-based (CUBA) variant, compiled with numba.

The engine's step (:func:`lava_wta.kernels.network.step`) calls these instead of its
conductance-based neuron updates when ``network.neuron_model == "current"``; input
delivery, STDP, scaling, retries and the reset between images are shared and unchanged.

Delivery (:func:`lava_wta.kernels.network._deliver`) adds the weight sums of one step's
spikes to ``S.gee`` / ``S.gie`` (excitatory layer) and ``S.gei`` (inhibitory layer). In
this variant those arrays are not conductances but the *input accumulators* of the next
step, exactly what the Lava neurons receive on their ports ``a_exc`` and ``a_inh``: the
step below turns them into current and clears them. The synaptic currents themselves
are ``S.ie`` and ``S.ii`` (R*i, in mV).

The arithmetic is that of the composed Lava models (:mod:`lava_wta.models.cuba`, through
:func:`lava_wta.dynamics.cuba_input` and :func:`lava_wta.dynamics.cuba_lif_integrate`),
operation for operation::

    drive = input_current_mv * a_exc - inh_current_mv * a_inh
    i     = i * (1 - du) + drive
    v     = v_rest + ((v - v_rest) * (1 - dv) + dv * i)        (held while refractory)
    θ     = decay(θ, exp(-dt / tau_theta))                        (while learning)
    spike = not refractory and v > (v_thresh + θ) - θ_offset;  v = v_reset,
            refractory for ``hold`` steps, θ = spike(θ) (while learning)

The parameters of each population are one named block of
:class:`lava_wta.model.params.Params` (``cuba_exc``, ``cuba_inh``).

These functions are inlined into :func:`lava_wta.kernels.network.step`, whose numba cache
is keyed on ``network.py`` only: after editing this file, clear
``lava_wta/kernels/__pycache__`` (or touch ``network.py``) so the step is recompiled.
"""
from __future__ import annotations

from numba import njit

from lava_wta.kernels.threshold import adaptive_threshold, fixed_threshold

@njit(cache=True, inline="always", error_model="numpy")
def exc_step(S, E, TP, learning, key):
    """Excitatory layer (parameters ``E``, a :class:`lava_wta.model.params.CurrentExc`):
    current, v, θ, threshold, reset (θ's rule and its parameters ``TP``: see
    :func:`lava_wta.kernels.threshold.adaptive_threshold`). Consumes the accumulators
    ``S.gee`` (a_exc) and ``S.gie`` (a_inh); writes ``S.spikes``; returns the spike count."""
    v_rest, keep_u, keep_v, dv = E.v_rest_mv, E.keep_u, E.keep_v, E.dv
    c_exc, c_inh = E.exc_current_mv, E.inh_current_mv
    ve, ie, a_exc, a_inh = S.ve, S.ie, S.gee, S.gie
    re = S.re
    n = ve.shape[0]
    for j in range(n):
        i = ie[j] * keep_u + (c_exc * a_exc[j] - c_inh * a_inh[j])
        ie[j] = i
        v = ve[j]
        v_new = v_rest + ((v - v_rest) * keep_v + dv * i)
        ve[j] = v if re[j] > 0 else v_new
        a_exc[j] = 0.0
        a_inh[j] = 0.0
    return adaptive_threshold(S, E.v_thresh_mv, E.theta_offset_mv, E.v_reset_mv, E.decay_theta, TP,
                              E.hold_steps, learning, key)


@njit(cache=True, inline="always", error_model="numpy")
def inh_step(S, H, n_listed):
    """Inhibitory layer (parameters ``H``, a :class:`lava_wta.model.params.CurrentInh`),
    neurons ``S.inh_list[:n_listed]`` only (every other one is exactly at rest: v = v_rest,
    i = 0, nothing to receive). Consumes the accumulator ``S.gei`` (a_exc); writes
    ``S.inh_spikes`` of the listed neurons; returns the spike count."""
    v_rest, v_reset, v_thresh, hold = H.v_rest_mv, H.v_reset_mv, H.v_thresh_mv, H.hold_steps
    keep_u, keep_v, dv = H.keep_u, H.keep_v, H.dv
    c_exc, c_inh = H.exc_current_mv, H.inh_current_mv
    vi, ii, a_exc, ri = S.vi, S.ii, S.gei, S.ri
    n_spikes = 0
    for k in range(n_listed):
        j = S.inh_list[k]
        refractory = ri[j] > 0
        i = ii[j] * keep_u + (c_exc * a_exc[j] - c_inh * 0.0)
        ii[j] = i
        a_exc[j] = 0.0
        v = vi[j]
        if not refractory:
            v = v_rest + ((v - v_rest) * keep_v + dv * i)
        n_spikes += fixed_threshold(S, j, v, refractory, v_thresh, v_reset, hold)
    return n_spikes
