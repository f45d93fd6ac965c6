"""The threshold steps shared by both neuron models (compiled with numba): the adaptive
threshold of the excitatory layer and the fixed one of the inhibitory layer.

After a neuron model has integrated ``S.ve`` (holding v while refractory), one
branch-free pass (it vectorises) decays θ, tests ``v > (v_thresh + θ) - θ_offset`` for
neurons that are not refractory and counts the refractory steps down; then the spiking
neurons are reset, made refractory for ``hold`` steps, and θ += θ_plus while learning.

The threshold test itself is :func:`lava_wta.model.threshold.fires` (the composed Lava
neurons call it too).
"""
from __future__ import annotations

from numba import njit

from lava_wta.model.threshold import fires, theta_decay, theta_spike


@njit(cache=True, inline="always", error_model="numpy")
def adaptive_threshold(S, v_thresh, offset, v_reset, dth, TP, hold, learning, key):
    """Threshold, reset and θ of the excitatory layer, θ moved by the threshold rule the
    model ``key`` names (:mod:`lava_wta.model.threshold`, parameters ``TP``) while
    learning. Writes ``S.spikes``; returns the number of spikes. ``dth`` is θ's decay
    factor per step."""
    ve, theta, re, spikes = S.ve, S.theta, S.re, S.spikes
    n = ve.shape[0]
    n_spikes = 0
    for j in range(n):
        th = theta_decay(key, theta[j], dth, TP) if learning else theta[j]
        theta[j] = th
        r = re[j]
        spike = (r <= 0) & fires(ve[j], th, v_thresh, offset)
        spikes[j] = spike
        n_spikes += spike
        re[j] = max(r - 1, 0)
    if n_spikes:
        for j in range(n):
            if spikes[j]:
                ve[j] = v_reset
                re[j] = hold
                if learning:
                    theta[j] = theta_spike(key, theta[j], TP)
    return n_spikes


@njit(cache=True, inline="always", error_model="numpy")
def fixed_threshold(S, j, v, refractory, v_thresh, v_reset, hold):
    """Inhibitory neuron ``j`` with its integrated ``v`` (held while ``refractory``):
    spike when ``v > v_thresh`` and not refractory (then reset and refractory for ``hold``
    steps), count the refractory steps down; writes ``S.vi[j]`` and ``S.inh_spikes[j]``.
    Returns 1 on a spike, else 0."""
    spike = (not refractory) and v > v_thresh
    if refractory:
        S.ri[j] -= 1
    if spike:
        v = v_reset
        S.ri[j] = hold
    S.vi[j] = v
    S.inh_spikes[j] = spike
    return 1 if spike else 0
