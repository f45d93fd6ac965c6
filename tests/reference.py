"""An independent, deliberately plain numpy simulation of MODEL.md, in Brian2's order.

Per step: both populations integrate (exponential Euler, conductances held), threshold,
reset and adapt theta; then this step's input spikes are taken and every spike is
delivered (acting from the next step on) with the weights before plasticity; then STDP
(trace decay, presynaptic depression, postsynaptic potentiation). At the end of each
presentation period: scaling while learning, and in reset mode a return to rest (theta
decayed over ``rest_ms`` while learning). It
shares no code with lava_wta's models; tests compare the Lava graph against it. The
input spike trains are an input to the model, not part of it: they come from
``lava_wta.kernels.poisson.dense_raster``, the stream every execution shares.
"""
from __future__ import annotations

import numpy as np

from lava_wta.kernels.poisson import dense_raster


def simulate(cfg, images, weights, theta, *, learning, seed):
    W, theta = weights.astype(float).copy(), theta.astype(float).copy()
    n, n_in = W.shape
    E, I, S, T, IN, NET = cfg.exc, cfg.inh, cfg.stdp, cfg.time, cfg.input, cfg.network
    dt = T.dt_ms
    reset_mode = T.between_images == "reset"

    def rest():
        return {"ve": np.full(n, E.v_rest_mv), "gee": np.zeros(n), "gie": np.zeros(n), "re": np.zeros(n, int),
                "vi": np.full(n, I.v_rest_mv), "gei": np.zeros(n), "gii": np.zeros(n), "ri": np.zeros(n, int),
                "x": np.zeros(n_in), "y1": np.zeros(n), "y2": np.zeros(n)}

    def lif(v, ge, gi, ref, p, thr, hold):
        refr = ref > 0
        k = 1 + ge + gi
        vinf = (p.v_rest_mv + ge * p.e_exc_mv + gi * p.e_inh_mv) / k
        v[~refr] = (vinf + (v - vinf) * np.exp(-dt * k / p.tau_m_ms))[~refr]
        ge *= np.exp(-dt / p.tau_ge_ms)
        gi *= np.exp(-dt / p.tau_gi_ms)
        spikes = (v > thr) & ~refr
        ref[refr] -= 1
        v[spikes] = p.v_reset_mv
        ref[spikes] = hold
        return spikes

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
            se = lif(st["ve"], st["gee"], st["gie"], st["re"], E, E.v_thresh_mv + theta - E.theta_offset_mv, hold_e)
            if learning:
                theta[se] += E.theta_plus_mv
            si = lif(st["vi"], st["gei"], st["gii"], st["ri"], I, I.v_thresh_mv, hold_i)
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
                W[:, pre] = np.clip(W[:, pre] - S.nu_pre * st["y1"][:, None], 0, S.w_max)
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
