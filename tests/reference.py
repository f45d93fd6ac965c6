"""An independent, deliberately plain numpy simulation of the model, in Brian2's order.

Per step: both populations integrate (conductance-based: exponential Euler, conductances
held; current-based: the current decays and takes last step's input, then v relaxes
towards v_rest + i), threshold, reset and adapt theta; then this step's input spikes are
taken and every spike is delivered (acting from the next step on) with the weights before
plasticity; then STDP (trace decay, presynaptic depression, postsynaptic potentiation).
At the end of each presentation period: scaling while learning, and in reset mode a return
to rest (theta decayed over ``rest_ms`` while learning).

It shares no code with lava_wta's models; tests compare every execution against it. The
input spike trains are an input to the model, not part of it: they come from
``lava_wta.kernels.poisson.dense_raster``, the stream every execution shares.

A user's rules can be given as plain Python functions that work on numpy arrays (the
``py_func`` of a registered rule written with array-friendly operations): ``depress(w,
y1, p)``, ``potentiate(w, x_pre, y2, p)``, ``theta_spike(theta, p)``, ``membrane(v, g_e,
g_i, m)`` (conductance) or ``membrane(v, i_syn, m)`` (current), with ``p``/``m`` the
parameter records the registries document.
"""
from __future__ import annotations

import numpy as np

from lava_wta.kernels.poisson import dense_raster


def simulate(cfg, images, weights, theta, *, learning, seed, depress=None, potentiate=None,
             theta_spike=None, membrane=None, params=None):
    W, theta = weights.astype(float).copy(), theta.astype(float).copy()
    n, n_in = W.shape
    current = cfg.network.neuron_model == "current"
    E, I = (cfg.cuba_exc, cfg.cuba_inh) if current else (cfg.exc, cfg.inh)
    S, T, IN, NET = cfg.stdp, cfg.time, cfg.input, cfg.network
    dt = T.dt_ms
    reset_mode = T.between_images == "reset"
    params = params or {}

    def rest():
        return {"ve": np.full(n, E.v_rest_mv), "gee": np.zeros(n), "gie": np.zeros(n), "re": np.zeros(n, int),
                "vi": np.full(n, I.v_rest_mv), "gei": np.zeros(n), "gii": np.zeros(n), "ri": np.zeros(n, int),
                "ie": np.zeros(n), "ii": np.zeros(n),
                "x": np.zeros(n_in), "y1": np.zeros(n), "y2": np.zeros(n)}

    def fire(v, ref, p, thr, hold):
        refr = ref > 0
        spikes = (v > thr) & ~refr
        ref[refr] -= 1
        v[spikes] = p.v_reset_mv
        ref[spikes] = hold
        return spikes

    def lif(v, ge, gi, ref, p, thr, hold, user=None):
        refr = ref > 0
        if user is not None:
            v_new = user(v, ge, gi, params["membrane"])
        else:
            k = 1 + ge + gi
            vinf = (p.v_rest_mv + ge * p.e_exc_mv + gi * p.e_inh_mv) / k
            v_new = vinf + (v - vinf) * np.exp(-dt * k / p.tau_m_ms)
        v[~refr] = v_new[~refr]
        ge *= np.exp(-dt / p.tau_ge_ms)
        gi *= np.exp(-dt / p.tau_gi_ms)
        return fire(v, ref, p, thr, hold)

    def cuba(v, i, a_exc, a_inh, ref, p, thr, hold, c_exc, c_inh, user=None):
        refr = ref > 0
        i *= np.exp(-dt / p.tau_syn_ms)
        i += c_exc * a_exc - c_inh * a_inh
        a_exc[:] = 0.0
        a_inh[:] = 0.0
        if user is not None:
            v_new = user(v, i, params["membrane"])
        else:
            v_new = p.v_rest_mv + (v - p.v_rest_mv) * np.exp(-dt / p.tau_m_ms) + (1 - np.exp(-dt / p.tau_m_ms)) * i
        v[~refr] = v_new[~refr]
        return fire(v, ref, p, thr, hold)

    hold_e = max(round(E.t_ref_ms / dt) - 1, 0)
    hold_i = max(round(I.t_ref_ms / dt) - 1, 0)
    st = rest()
    counts, idx, retry, presentations, retries = [], 0, 0, 0, 0
    while idx < len(images):
        raster = dense_raster(images[idx], IN.pixel_rate_hz + retry * IN.retry_pixel_rate_hz, dt,
                              T.presentation_steps, seed, idx, retry)
        count = np.zeros(n, int)
        for k in range(T.period_steps):
            if learning:
                theta *= np.exp(-dt / E.tau_theta_ms)
            thr = E.v_thresh_mv + theta - E.theta_offset_mv
            if current:
                se = cuba(st["ve"], st["ie"], st["gee"], st["gie"], st["re"], E, thr, hold_e,
                          E.input_current_mv, E.inh_current_mv, membrane)
                si = cuba(st["vi"], st["ii"], st["gei"], st["gii"], st["ri"], I, I.v_thresh_mv, hold_i,
                          I.exc_current_mv, 0.0)
            else:
                se = lif(st["ve"], st["gee"], st["gie"], st["re"], E, thr, hold_e, membrane)
                si = lif(st["vi"], st["gei"], st["gii"], st["ri"], I, I.v_thresh_mv, hold_i)
            if learning:
                if theta_spike is not None:
                    theta[se] = theta_spike(theta[se], params["theta"])
                else:
                    theta[se] += E.theta_plus_mv
            presenting = k < T.presentation_steps
            pre = raster[k] if presenting else np.zeros(n_in, bool)
            if presenting:
                count += se
            st["gee"] += W[:, pre].sum(axis=1)
            st["gei"] += NET.w_ei * se
            st["gie"] += NET.w_ie * (si.sum() - si)
            if learning:
                st["x"] *= np.exp(-dt / S.tau_pre_ms)
                st["y1"] *= np.exp(-dt / S.tau_post1_ms)
                st["y2"] *= np.exp(-dt / S.tau_post2_ms)
                st["x"][pre] = 1.0
                if depress is not None:
                    W[:, pre] = np.clip(depress(W[:, pre], st["y1"][:, None], params["stdp"]), 0, S.w_max)
                else:
                    W[:, pre] = np.clip(W[:, pre] - S.nu_pre * st["y1"][:, None], 0, S.w_max)
                if potentiate is not None:
                    W[se] = np.clip(potentiate(W[se], st["x"][None, :], st["y2"][se, None],
                                               params["stdp"]), 0, S.w_max)
                else:
                    W[se] = np.clip(W[se] + S.nu_post * st["y2"][se, None] * st["x"][None, :], 0, S.w_max)
                st["y1"][se] = 1.0
                st["y2"][se] = 1.0
        presentations += 1
        if learning and presentations % cfg.scaling.interval_images == 0 and cfg.scaling.mode != "none":
            norms = {"l1": lambda w: w.sum(1), "l2": lambda w: np.sqrt((w ** 2).sum(1)),
                     "max": lambda w: w.max(1)}[cfg.scaling.mode](W)
            ok = norms > 0
            W[ok] *= (cfg.scaling.target_norm / norms[ok])[:, None]
        if reset_mode:
            st = rest()
            if learning:    # the reset stands for a rest of rest_ms, over which theta decays
                theta *= np.exp(-T.rest_ms / E.tau_theta_ms)
        if count.sum() < IN.min_spikes and retry < IN.max_retries:
            retry += 1
            retries += 1
        else:
            counts.append(count)
            idx += 1
            retry = 0
    return W, theta, np.array(counts), presentations, retries
