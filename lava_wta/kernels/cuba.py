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

The parameters of each population are one small block of the engine's float parameter
vector, laid out by :func:`pack_exc` and :func:`pack_inh` (indices ``X_*`` and ``H_*``).

These functions are inlined into :func:`lava_wta.kernels.network.step`, whose numba cache
is keyed on ``network.py`` only: after editing this file, clear
``lava_wta/kernels/__pycache__`` (or touch ``network.py``) so the step is recompiled.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from lava_wta import dynamics
from lava_wta.kernels.threshold import adaptive_threshold, fixed_threshold

# Excitatory block: (X_...)
(X_V_REST, X_V_RESET, X_V_THRESH, X_THETA_OFFSET, X_KEEP_U, X_KEEP_V, X_DV, X_CUR_EXC,
 X_CUR_INH, X_DTHETA, N_X) = range(11)
# Inhibitory block: (H_...)
(H_V_REST, H_V_RESET, H_V_THRESH, H_KEEP_U, H_KEEP_V, H_DV, H_CUR_EXC, H_CUR_INH, N_H) = range(9)


def pack_exc(config) -> np.ndarray:
    """Parameter block of the excitatory population (``config.cuba_exc``)."""
    E, dt = config.cuba_exc, config.time.dt_ms
    du, dv = dynamics.cuba_decays(dt, E.tau_syn_ms, E.tau_m_ms)
    p = np.zeros(N_X)
    p[X_V_REST], p[X_V_RESET], p[X_V_THRESH] = E.v_rest_mv, E.v_reset_mv, E.v_thresh_mv
    p[X_THETA_OFFSET] = E.theta_offset_mv
    # 1.0 - du and 1.0 - dv as the Lava model computes them (not exp(-dt/tau) directly)
    p[X_KEEP_U], p[X_KEEP_V], p[X_DV] = 1.0 - du, 1.0 - dv, dv
    p[X_CUR_EXC], p[X_CUR_INH] = E.input_current_mv, E.inh_current_mv
    p[X_DTHETA] = dynamics.decay(dt, E.tau_theta_ms)
    return p


def pack_inh(config) -> np.ndarray:
    """Parameter block of the inhibitory population (``config.cuba_inh``; it receives
    excitatory input only, ``inh_current_mv`` 0 as in :class:`lava_wta.processes.CurrentLIF`)."""
    I, dt = config.cuba_inh, config.time.dt_ms
    du, dv = dynamics.cuba_decays(dt, I.tau_syn_ms, I.tau_m_ms)
    p = np.zeros(N_H)
    p[H_V_REST], p[H_V_RESET], p[H_V_THRESH] = I.v_rest_mv, I.v_reset_mv, I.v_thresh_mv
    p[H_KEEP_U], p[H_KEEP_V], p[H_DV] = 1.0 - du, 1.0 - dv, dv
    p[H_CUR_EXC], p[H_CUR_INH] = I.exc_current_mv, 0.0
    return p


@njit(cache=True, inline="always", error_model="numpy")
def exc_step(S, P, TP, hold, learning, key):
    """Excitatory layer: current, v, θ, threshold, reset (θ's rule and its parameters
    ``TP``: see :func:`lava_wta.kernels.threshold.adaptive_threshold`). Consumes the
    accumulators ``S.gee`` (a_exc) and ``S.gie`` (a_inh); writes ``S.spikes``; returns the
    spike count."""
    v_rest, v_reset, v_thresh, offset = P[X_V_REST], P[X_V_RESET], P[X_V_THRESH], P[X_THETA_OFFSET]
    keep_u, keep_v, dv = P[X_KEEP_U], P[X_KEEP_V], P[X_DV]
    c_exc, c_inh = P[X_CUR_EXC], P[X_CUR_INH]
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
    return adaptive_threshold(S, v_thresh, offset, v_reset, P[X_DTHETA], TP, hold, learning, key)


@njit(cache=True, inline="always", error_model="numpy")
def inh_step(S, P, hold, n_listed):
    """Inhibitory layer, neurons ``S.inh_list[:n_listed]`` only (every other one is exactly
    at rest: v = v_rest, i = 0, nothing to receive). Consumes the accumulator ``S.gei``
    (a_exc); writes ``S.inh_spikes`` of the listed neurons; returns the spike count."""
    v_rest, v_reset, v_thresh = P[H_V_REST], P[H_V_RESET], P[H_V_THRESH]
    keep_u, keep_v, dv = P[H_KEEP_U], P[H_KEEP_V], P[H_DV]
    c_exc, c_inh = P[H_CUR_EXC], P[H_CUR_INH]
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
