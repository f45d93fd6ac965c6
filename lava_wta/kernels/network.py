"""One time step of the whole WTA network, and the presentation protocol, compiled with numba.

The equations are those of docs/model.md, in the same order as the composed Lava graph
(:mod:`lava_wta.models`), so the three executions agree:

step ``t`` (0-based within the run; ``local`` = step within the presentation period)

1. at ``local == 0`` of a presentation: draw the input raster of ``(seed, image, retry)``
   (:mod:`lava_wta.kernels.poisson`);
2. excitatory neurons: conductances already hold every input of step ``t - 1``;
   exponential Euler of v (held while refractory), exact decay of g_e, g_i (and θ while
   learning), threshold ``v > (v_thresh + θ) - θ_offset``, reset, refractory, θ's rise
   (θ's moves: the threshold rule the model key names, :mod:`lava_wta.model.threshold`);
3. inhibitory neurons: the same without θ (they receive no inhibition);
   (steps 2-3 of the current-based variant, ``P.current``, are
   :mod:`lava_wta.kernels.cuba`; g_e, g_i then accumulate one step's input weight sums)
4. delivery, acting from step ``t + 1`` on: inhibitory g_e += w_ei · (own excitatory
   spike); excitatory g_i += w_ie · (inhibitory spikes but the partner's); excitatory
   g_e += W[i, :] for every input spike ``i`` of step ``t``, with the weights before
   this step's plasticity;
5. STDP while learning, event-driven, with the rule the model key names
   (:mod:`lava_wta.model.plasticity`; the built-in additive rule in brackets): each input
   spike ``i`` depresses row ``i`` of ``W`` (by ``nu_pre · y1``) and sets ``x_pre[i] = 1``;
   each excitatory spike ``j`` potentiates column ``j`` (by ``nu_post · y2[j] · x_pre``)
   and sets ``y1[j] = y2[j] = 1``; touched entries are clipped to ``[0, w_max]``. Only rows
   of spiking inputs and columns of spiking neurons are touched, and no trace is decayed step by step: a trace ``k``
   steps after its last spike is ``traces[., k]``, 1.0 multiplied ``k`` times by its decay
   factor (see :func:`trace_tables`), which is what per-step decay computes, bit for bit;
6. excitatory spikes of presentation steps are counted;
7. at the last step of a period: count a presentation, scale (while learning, every
   ``interval`` presentations), return to rest in ``reset`` mode (θ kept, decayed over
   ``rest_ms`` while learning), and decide
   between a retry at a higher rate (fewer than ``min_spikes`` spikes) and the next image;
   after an accepted training presentation an adaptive ``scaling.target_mode`` moves the
   target norm ``S.wt`` (:func:`lava_wta.model.scaling.adapt_target`).

Weights are indexed ``W[i, j]`` (input ``i``, neuron ``j``): the engine passes a
C-contiguous ``(n_in, n)`` array, so the rows added per input spike are contiguous; the
fused Lava model passes the transposed view of its ``(n, n_in)`` Var, the layout Lava's
``Var.get``/``set`` expect. Same code, compiled for each layout.

Inhibitory neurons that are exactly at rest (v = v_rest, g = 0, not refractory) stay
there exactly, so only those whose partner has fired since the last reset are updated.

Scaling multiplies column ``j`` by ``target / norm_j``. Columns that cannot have changed
since the last scaling (neuron never fired, no trace, every weight within bounds) are
skipped; a skipped column is one the full rescaling would have multiplied by
``target / norm`` with ``norm`` already equal to ``target`` up to rounding. A target
that moved makes every column due at the next scaling.
"""
from __future__ import annotations

import typing as ty

import numpy as np
from numba import njit

from lava_wta.kernels import cuba as CU
from lava_wta.kernels.poisson import presentation_raster
from lava_wta.kernels.team import team_max, team_sum
from lava_wta.kernels.threshold import adaptive_threshold, fixed_threshold
from lava_wta.model.neurons import conductance_layer_in, conductance_regime, decay, exponential_euler_conductance, flush
from lava_wta.model.params import Params, pack
from lava_wta.model.plasticity import clip_weight, stdp_depress, stdp_potentiate
from lava_wta.model.protocol import CAPPED, RETRY, end_of_presentation, presentation_gain_hz
from lava_wta.model.scaling import TARGET_FIXED, adapt_target, scale_columns
from lava_wta.model.threshold import theta_decay

# ----------------------------------------------------------------------------- layout
# Counters (C[...]): the position of the run, updated in place.
(C_STEP, C_IMAGE, C_RETRY, C_PRESENTATIONS, C_RETRIES, C_CAPPED, C_N_RASTER, C_SCALE_DUE,
 C_ALL_DIRTY, C_N_INH, C_N_PRE, C_OUT_OF_BOUNDS, C_INH_STALE, C_PERIODS, C_N_POST,
 N_C) = range(16)


NO_REFCOUNT = {"cache": True, "error_model": "numpy", "_nrt": False}
"""numba options of the compiled loops (:func:`step` and the functions that call it in a
loop): numba's runtime (NRT) is off, so arrays carry no reference counting. These
functions allocate nothing (every buffer lives in :class:`NetState`) and every array they
touch is owned by the caller. With NRT on, each step paid about 130 atomic increments and
decrements of reference counts (the state is a tuple of ~30 arrays, passed and unpacked
in every inlined helper): measured with ``perf``, 46 % of the step's time; the step ran
at 1.63 µs instead of 0.87-0.90 µs (frozen) and 1.92 instead of 0.95 µs (learning), same
numbers bit for bit."""


class NetState(ty.NamedTuple):
    """Every array the kernels read or write (one network)."""

    W: np.ndarray          # (n_in, n) weights, W[i, j] input i -> neuron j
    theta: np.ndarray      # (n,) adaptive threshold (mV)
    ve: np.ndarray         # (n,) excitatory v (mV)
    gee: np.ndarray        # (n,) excitatory g_e
    gie: np.ndarray        # (n,) excitatory g_i
    re: np.ndarray         # (n,) int64 refractory steps left
    vi: np.ndarray         # (n,) inhibitory v (mV)
    gei: np.ndarray        # (n,) inhibitory g_e
    ri: np.ndarray         # (n,) int64
    t_pre: np.ndarray      # (n_in,) int64 step of each input's last spike since the reset, -1: none
    pre_list: np.ndarray   # (n_in,) int64 inputs with t_pre >= 0 (C[C_N_PRE] of them)
    t_post: np.ndarray     # (n,) int64 step of each neuron's last spike since the reset, -1: none
    post_list: np.ndarray  # (n,) int64 neurons with t_post >= 0 (C[C_N_POST] of them)
    y_buf: np.ndarray      # (n,) scratch: y1 of every neuron (full-row depression)
    count: np.ndarray      # (n,) int64 spikes of the current presentation
    spikes: np.ndarray     # (n,) bool excitatory spikes of the last step
    inh_spikes: np.ndarray  # (n,) bool
    inh_active: np.ndarray  # (n,) bool: partner fired since the last reset
    inh_list: np.ndarray   # (n,) int64: those neurons (C[C_N_INH] of them)
    dirty: np.ndarray      # (n,) bool: column changed since the last scaling
    ptr: np.ndarray        # raster of the current presentation (see kernels.poisson)
    pix: np.ndarray
    tmp_step: np.ndarray
    tmp_pix: np.ndarray
    C: np.ndarray          # (N_C,) int64 counters
    ie: np.ndarray         # (n,) excitatory synaptic current R*i (mV), current-based variant
    ii: np.ndarray         # (n,) inhibitory synaptic current R*i (mV), current-based variant
    norm_buf: np.ndarray   # (n,) scratch of scale_columns: column norms
    sel_buf: np.ndarray    # (n,) int64 scratch of scale_columns: columns to rescale
    wt: np.ndarray         # (1,) target norm Wt of the scaling now (scaling.target_mode)


def pack_params(config, *, learning: bool, seed: int) -> Params:
    """The named parameter blocks of ``config`` (:func:`lava_wta.model.params.pack`)."""
    return pack(config, learning=learning, seed=seed)


def trace_tables(config) -> np.ndarray:
    """``(3, L)`` array: row 0 ``x_pre``, row 1 ``y1``, row 2 ``y2``; ``[r, k]`` is 1.0
    multiplied ``k`` times by that trace's per-step decay factor, exactly what decaying a
    trace set to 1 step by step gives (``np.multiply.accumulate`` multiplies in sequence).

    A decaying trace ends at 0 or at a subnormal fixed point (``x * d`` rounds back to
    ``x``); from there on every value equals the last one, so the table stops there and
    the kernels read its last column for any later step. (A table capped at 2**20 steps
    holds its last value beyond.)"""
    S = config.stdp
    cap = 1 << 20
    rows = []
    for tau in (S.tau_pre_ms, S.tau_post1_ms, S.tau_post2_ms):
        d = decay(config.time.dt_ms, tau)
        length = 1 << 12
        while True:
            factors = np.full(length, d)
            factors[0] = 1.0
            seq = np.multiply.accumulate(factors)
            # first k with seq[k] == seq[k + 1]: 0 reached, or a fixed point
            still = np.flatnonzero(seq[1:] == seq[:-1])
            if still.size or length >= cap:
                rows.append(seq[:still[0] + 1] if still.size else seq)
                break
            length *= 4
    table = np.empty((3, max(len(r) for r in rows)))
    for k, r in enumerate(rows):
        table[k, :len(r)] = r
        table[k, len(r):] = r[-1]
    return table


def new_state(config, W: np.ndarray, theta: np.ndarray, *, image: int = 0, retry: int = 0,
              presentations: int = 0, target_norm: ty.Optional[float] = None) -> NetState:
    """Network at rest with weights ``W`` (n_in, n; used in place) and ``theta`` (copied);
    the scaling's target norm ``target_norm`` (default: ``scaling.target_norm``)."""
    S = alloc_state(W, np.asarray(theta, dtype=np.float64), pack(config, learning=False, seed=0), image)
    if target_norm is not None:
        S.wt[0] = target_norm
    S.C[C_RETRY], S.C[C_PRESENTATIONS], S.C[C_PERIODS] = retry, presentations, presentations
    S.C[C_OUT_OF_BOUNDS] = out_of_bounds(W, config.stdp.w_max)
    return S


TEAM_COUNTERS = (C_STEP, C_IMAGE, C_RETRY, C_PRESENTATIONS, C_RETRIES, C_CAPPED, C_PERIODS,
                 C_ALL_DIRTY, C_SCALE_DUE)
"""Counters every thread of a team holds alike (the run's position and totals); the
others (list lengths, bounds flags) describe the thread's own neurons."""

_NEURON_LISTS = {"inh_list": C_N_INH, "post_list": C_N_POST}


def team_bounds(n: int, parts: int) -> ty.List[int]:
    """Where to cut ``n`` neurons into ``parts`` contiguous ranges of nearly equal size,
    at multiples of 8 where possible (a vector of float64 on AVX-512); ``parts + 1``
    increasing cuts from 0 to ``n``."""
    cuts = [0]
    for k in range(1, parts):
        cuts.append(min(max((round(n * k / parts) // 8) * 8, cuts[-1]), n))
    cuts.append(n)
    return cuts


def split_state(S: NetState, parts: int) -> ty.List[NetState]:
    """The states of the threads of a team of ``parts`` (:func:`team_step`): thread ``t``
    gets views of columns ``cuts[t]:cuts[t + 1]`` (:func:`team_bounds`) of every
    per-neuron array, so what it writes lands in ``S``; a C-contiguous copy of those
    columns of ``W`` (a strided view would keep the compiler from vectorising the row
    loops; :func:`share_state` and :func:`join_state` copy them from and back into
    ``S.W``); its own copies of the input-side arrays, the raster buffers, the counters
    and the target norm; and its own lists of active neurons (indices local to its
    range)."""
    n = S.ve.shape[0]
    cuts = team_bounds(n, parts)
    own = {"t_pre", "pre_list", "ptr", "pix", "tmp_step", "tmp_pix", "C", "wt"}
    out = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        fields = {}
        for name in NetState._fields:
            x = getattr(S, name)
            if name == "W":
                fields[name] = np.ascontiguousarray(x[:, a:b])
            elif name in own:
                fields[name] = x.copy()
            elif name in _NEURON_LISTS:
                listed = x[:S.C[_NEURON_LISTS[name]]]
                mine = listed[(listed >= a) & (listed < b)] - a
                fields[name] = np.zeros(b - a, np.int64)
                fields[name][:mine.size] = mine
            else:
                fields[name] = x[a:b]
        part = NetState(**fields)
        for name, counter in _NEURON_LISTS.items():
            listed = getattr(S, name)[:S.C[counter]]
            part.C[counter] = int(((listed >= a) & (listed < b)).sum())
        out.append(part)
    return out


def join_state(S: NetState, parts: ty.Sequence[NetState]) -> None:
    """After a team's run: each thread's weight columns, the counters every thread holds
    alike and the target norm back into ``S``; ``S``'s bounds flag set if any thread's
    is."""
    a = 0
    for p in parts:
        b = a + p.W.shape[1]
        S.W[:, a:b] = p.W
        a = b
    for c in TEAM_COUNTERS:
        S.C[c] = parts[0].C[c]
    S.wt[:] = parts[0].wt
    S.C[C_OUT_OF_BOUNDS] = max(int(p.C[C_OUT_OF_BOUNDS]) for p in parts)


def share_state(S: NetState, parts: ty.Sequence[NetState]) -> None:
    """Before a team's run: the weights, the counters every thread holds alike and the
    target norm from ``S`` (where the caller may have changed them) into every thread's
    copy."""
    a = 0
    for p in parts:
        b = a + p.W.shape[1]
        p.W[:] = S.W[:, a:b]
        a = b
        for c in TEAM_COUNTERS:
            p.C[c] = S.C[c]
        p.wt[:] = S.wt


def out_of_bounds(W: np.ndarray, w_max: float) -> int:
    """1 if some weight lies outside [0, w_max] (the next STDP clip would change it)."""
    return int(W.size > 0 and (W.min() < 0.0 or W.max() > w_max))


# ----------------------------------------------------------------------------- one step
@njit(cache=True, inline="always", error_model="numpy")
def _exc_step(S, P, learning, team, key):
    """Excitatory layer: the membrane step of the rule the model ``key`` names
    (:func:`lava_wta.model.neurons.conductance_layer`, in the form the whole layer allows:
    a team's threads agree on it), then threshold, reset and θ
    (:func:`lava_wta.kernels.threshold.adaptive_threshold`). Writes ``S.spikes``."""
    E = P.exc
    regime = team_max(team, conductance_regime(S.gee, S.gie, E.membrane, key))
    conductance_layer_in(S.ve, S.gee, S.gie, S.re, E.membrane, key, regime)
    return adaptive_threshold(S, E.v_thresh_mv, E.theta_offset_mv, E.v_reset_mv, E.decay_theta,
                              P.theta, E.hold_steps, learning, key)


@njit(cache=True, inline="always", error_model="numpy")
def _inh_step(S, P):
    """Inhibitory layer (the built-in membrane, exact form: it receives no inhibition):
    only the neurons in ``S.inh_list`` (partner fired since the last reset) can be away
    from rest; every other one stays exactly at rest. Writes ``S.inh_spikes`` for the
    listed neurons."""
    I = P.inh
    m, v_reset, v_thresh, hold = I.membrane, I.v_reset_mv, I.v_thresh_mv, I.hold_steps
    dge = m.decay_ge
    vi, gei, ri, out = S.vi, S.gei, S.ri, S.inh_spikes
    if S.C[C_INH_STALE]:
        out[:] = False
        S.C[C_INH_STALE] = 0
    n_spikes = 0
    n = vi.shape[0]
    if 16 * S.C[C_N_INH] > n:
        # most neurons are away from rest (``rest`` mode resets nothing): one pass over all,
        # without the list. A neuron exactly at rest computes v_rest again exactly, so this
        # gives the list's numbers bit for bit, in a loop LLVM can vectorise; the threshold
        # is written out branch-free here (measured: the list path's per-neuron helper
        # made this loop several times slower).
        for j in range(n):
            ge = gei[j]
            v_int = exponential_euler_conductance(vi[j], ge, 0.0, m)
            r = ri[j]
            refractory = r > 0
            v = vi[j] if refractory else v_int
            spike = (not refractory) and v > v_thresh
            vi[j] = v_reset if spike else v
            ri[j] = hold if spike else (r - 1 if refractory else r)
            out[j] = spike
            gei[j] = flush(ge * dge)
            n_spikes += spike
        return n_spikes
    for k in range(S.C[C_N_INH]):
        j = S.inh_list[k]
        refractory = ri[j] > 0
        ge = gei[j]
        v = vi[j]
        if not refractory:
            v = exponential_euler_conductance(v, ge, 0.0, m)
        gei[j] = flush(ge * dge)
        n_spikes += fixed_threshold(S, j, v, refractory, v_thresh, v_reset, hold)
    return n_spikes


@njit(cache=True, inline="always", error_model="numpy")
def _add_rows(gee, W, pix, lo, hi):
    """``gee[j] += W[i, j]`` for the inputs ``i = pix[lo:hi]`` of one step, in that order.

    Up to four rows are added in one pass over ``j`` (``((g + a) + b) + c``: the sums of
    row-by-row passes, bit for bit), so ``gee`` is loaded and stored once per four rows
    instead of once per row; the rows themselves (``n`` weights each, mostly outside the
    core's caches at thousands of neurons) are read once either way."""
    n = gee.shape[0]
    k = lo
    while k < hi:
        left = hi - k
        if left >= 4:
            a, b, c, d = pix[k], pix[k + 1], pix[k + 2], pix[k + 3]
            for j in range(n):
                gee[j] = (((gee[j] + W[a, j]) + W[b, j]) + W[c, j]) + W[d, j]
            k += 4
        elif left == 3:
            a, b, c = pix[k], pix[k + 1], pix[k + 2]
            for j in range(n):
                gee[j] = ((gee[j] + W[a, j]) + W[b, j]) + W[c, j]
            k += 3
        elif left == 2:
            a, b = pix[k], pix[k + 1]
            for j in range(n):
                gee[j] = (gee[j] + W[a, j]) + W[b, j]
            k += 2
        else:
            a = pix[k]
            for j in range(n):
                gee[j] += W[a, j]
            k += 1


@njit(cache=True, inline="always", error_model="numpy")
def _deliver(S, P, n_exc, n_inh, lo, hi, learning):
    """Spikes of this step act from the next step on (weights before plasticity). While
    learning, the input rows are delivered by :func:`_stdp`, in the same pass over each
    row as its depression (the row is read once)."""
    n = S.ve.shape[0]
    if n_exc:
        w_ei = P.w_ei
        for j in range(n):
            if S.spikes[j]:
                S.gei[j] += w_ei
                if not S.inh_active[j]:
                    S.inh_active[j] = True
                    S.inh_list[S.C[C_N_INH]] = j
                    S.C[C_N_INH] += 1
    if n_inh:
        w_ie = P.w_ie
        for j in range(n):
            S.gie[j] += w_ie * (n_inh - S.inh_spikes[j])
    if not learning:
        _add_rows(S.gee, S.W, S.pix, lo, hi)


@njit(cache=True, inline="always", error_model="numpy")
def _stdp(S, P, traces, n_exc, lo, hi, key):
    """Delivery and depression of the rows of spiking inputs, potentiation of the columns
    of spiking neurons, each followed by clipping to [0, w_max], with the STDP rule that
    the model ``key`` names (:mod:`lava_wta.model.plasticity`).

    Traces are kept as the step of the last spike (``t_pre``, ``t_post``): a trace ``k``
    steps later is ``traces[., k]``, equal bit for bit to decaying it step by step, at no
    cost per step. Only synapses with a non-zero trace are updated: a rule leaves a weight
    unchanged when its trace is zero (checked when a rule is registered)."""
    W, t_pre, t_post = S.W, S.t_pre, S.t_post
    n, n_in = t_post.shape[0], t_pre.shape[0]
    R = P.stdp
    w_max = R.w_max
    t = S.C[C_STEP]
    last = traces.shape[1] - 1
    gee = S.gee
    # with every weight in [0, w_max], depression changes only the neurons with y1 > 0
    # (fired since the last reset); otherwise the whole row, clipping included
    few = S.C[C_OUT_OF_BOUNDS] == 0 and 4 * S.C[C_N_POST] < n
    if hi > lo and not few:
        for j in range(n):
            S.y_buf[j] = traces[1, min(t - t_post[j], last)] if t_post[j] >= 0 else 0.0
    if few:
        # delivery, with the weights before plasticity (a step's inputs are distinct rows)
        _add_rows(gee, W, S.pix, lo, hi)
    for k in range(lo, hi):
        i = S.pix[k]
        if t_pre[i] < 0:
            S.pre_list[S.C[C_N_PRE]] = i
            S.C[C_N_PRE] += 1
        t_pre[i] = t
        if few:
            for m in range(S.C[C_N_POST]):
                j = S.post_list[m]
                y1 = traces[1, min(t - t_post[j], last)]
                W[i, j] = clip_weight(stdp_depress(key, W[i, j], y1, R), w_max)
        else:
            y_buf = S.y_buf
            for j in range(n):
                w = W[i, j]
                gee[j] += w
                W[i, j] = clip_weight(stdp_depress(key, w, y_buf[j], R), w_max)
    if n_exc:
        for j in range(n):
            if S.spikes[j]:
                y2 = traces[2, min(t - t_post[j], last)] if t_post[j] >= 0 else 0.0
                if S.C[C_OUT_OF_BOUNDS]:
                    # weights above w_max exist: clip the whole column, as the reference does
                    for i in range(n_in):
                        x = 0.0
                        if t_pre[i] >= 0:
                            x = traces[0, min(t - t_pre[i], last)]
                        W[i, j] = clip_weight(stdp_potentiate(key, W[i, j], x, y2, R), w_max)
                else:
                    # every weight is in [0, w_max]: only inputs with x_pre > 0 change
                    for k in range(S.C[C_N_PRE]):
                        i = S.pre_list[k]
                        x = traces[0, min(t - t_pre[i], last)]
                        W[i, j] = clip_weight(stdp_potentiate(key, W[i, j], x, y2, R), w_max)
                S.dirty[j] = True
                if t_post[j] < 0:
                    S.post_list[S.C[C_N_POST]] = j
                    S.C[C_N_POST] += 1
                t_post[j] = t


@njit(cache=True, inline="always", error_model="numpy")
def rest_potentials(P):
    """``(v_rest of the excitatory layer, of the inhibitory layer)`` of the selected neuron
    model (mV)."""
    if P.current:
        return P.cuba_exc.membrane.v_rest_mv, P.cuba_inh.membrane.v_rest_mv
    return P.exc.membrane.v_rest_mv, P.inh.membrane.v_rest_mv


@njit(cache=True, inline="always", error_model="numpy")
def _rest(S, P, learning, key):
    """Return to rest between presentations: θ kept, and decayed (by its rule) over the
    rest this reset stands for while learning (``TimeConfig.reset_rest_ms``)."""
    if learning:
        f = P.protocol.theta_decay_rest
        for j in range(S.theta.shape[0]):
            S.theta[j] = theta_decay(key, S.theta[j], f, P.theta)
    v_rest_exc, v_rest_inh = rest_potentials(P)
    S.ve[:] = v_rest_exc
    S.gee[:] = 0.0
    S.gie[:] = 0.0
    S.re[:] = 0
    S.vi[:] = v_rest_inh
    S.gei[:] = 0.0
    S.ri[:] = 0
    S.ie[:] = 0.0
    S.ii[:] = 0.0
    for k in range(S.C[C_N_INH]):
        S.inh_active[S.inh_list[k]] = False
    S.C[C_N_INH] = 0
    S.C[C_INH_STALE] = 1      # inh_spikes still shows this step's spikes; cleared next step
    for k in range(S.C[C_N_PRE]):
        S.t_pre[S.pre_list[k]] = -1
    S.C[C_N_PRE] = 0
    for k in range(S.C[C_N_POST]):
        S.t_post[S.post_list[k]] = -1
    S.C[C_N_POST] = 0


@njit(cache=True, inline="always", error_model="numpy")
def _cuba_step(S, P, learning, key):
    """Both layers of the current-based variant (:mod:`lava_wta.kernels.cuba`); the
    accumulators g_e, g_i of this module hold their last step's input weight sums."""
    n_exc = CU.exc_step(S, P.cuba_exc, P.theta, learning, key)
    if S.C[C_INH_STALE]:
        S.inh_spikes[:] = False
        S.C[C_INH_STALE] = 0
    n_inh = CU.inh_step(S, P.cuba_inh, S.C[C_N_INH])
    return n_exc, n_inh


@njit(**NO_REFCOUNT)
def step(S, P, traces, images, counts_out, key):
    """Advance the network by one time step (see the module docstring).

    ``images`` (n_images, n_in) pixel values, float64 or uint8 (the same float64 inside);
    ``counts_out`` (rows, n) receives the spike counts of each accepted presentation in row
    ``image % rows``. Returns the number of excitatory spikes of this step (they are in
    ``S.spikes``).
    """
    return team_step(S, P, traces, images, counts_out, None, key)


@njit(**NO_REFCOUNT)
def team_step(S, P, traces, images, counts_out, team, key):
    """:func:`step` of one thread of a :class:`lava_wta.kernels.team.Team` (``team``; None:
    the whole network in this thread).

    In a team, ``S`` holds this thread's contiguous range of neurons (views of the
    network's per-neuron arrays and a copy of those columns of ``W``, :func:`split_state`),
    ``counts_out`` the same columns; the input-side arrays and the counters are the thread's own copies,
    which every thread moves identically. The threads meet three times: the form of the
    membrane step (:func:`_exc_step`), the number of inhibitory spikes (each excitatory
    neuron receives all but its partner's) and, at the end of a presentation, the spike
    total that decides between a retry and the next image. Everything else is per neuron,
    so a team computes the numbers of one thread, bit for bit. Registered Python scaling
    rules are not supported in a team (the engine refuses them).
    """
    C = S.C
    T = P.protocol
    present, period = T.present_steps, T.period_steps
    learning = T.learning
    local = C[C_STEP] % period
    image = C[C_IMAGE]
    active = image < images.shape[0]
    presenting = active and local < present
    if presenting and local == 0:
        gain = presentation_gain_hz(T.pixel_rate_hz, T.retry_pixel_rate_hz, C[C_RETRY])
        C[C_N_RASTER] = presentation_raster(images[image], gain, T.dt_ms * 1e-3, present,
                                            T.seed, image, C[C_RETRY],
                                            S.ptr, S.pix, S.tmp_step, S.tmp_pix)
    lo = hi = 0
    if presenting:
        lo, hi = S.ptr[local], S.ptr[local + 1]
    if P.current:
        n_exc, n_inh = _cuba_step(S, P, learning, key)
    else:
        n_exc = _exc_step(S, P, learning, team, key)
        n_inh = _inh_step(S, P)
    n_inh = team_sum(team, n_inh)
    _deliver(S, P, n_exc, n_inh, lo, hi, learning)
    if learning:
        _stdp(S, P, traces, n_exc, lo, hi, key)
    if presenting and n_exc:
        for j in range(S.count.shape[0]):
            S.count[j] += S.spikes[j]
    C[C_STEP] += 1
    if local == period - 1:
        # periods count towards the scaling interval even after the last image (as the
        # Lava graph's synapses do); presentations count only while images are shown
        C[C_PERIODS] += 1
        mode = T.scale_mode
        if learning and mode != 0 and C[C_PERIODS] % T.scale_interval == 0:
            if mode > 0:
                for m in range(C[C_N_POST]):
                    S.dirty[S.post_list[m]] = True
                over = scale_columns(S.W, mode, S.wt[0], P.stdp.w_max, S.dirty,
                                     C[C_ALL_DIRTY] != 0, S.norm_buf, S.sel_buf, key)
                C[C_ALL_DIRTY] = 0
                C[C_OUT_OF_BOUNDS] = over
            else:
                C[C_SCALE_DUE] = 1        # a registered Python rule: the caller applies it
        if T.reset_between:
            _rest(S, P, learning, key)
        if active:
            C[C_PRESENTATIONS] += 1
            total = 0
            for j in range(S.count.shape[0]):
                total += S.count[j]
            total = team_sum(team, total)
            decision = end_of_presentation(total, C[C_RETRY], T.min_spikes, T.max_retries)
            if decision == RETRY:
                C[C_RETRY] += 1
                C[C_RETRIES] += 1
            else:
                if decision == CAPPED:
                    C[C_CAPPED] += 1
                if learning and T.target_mode != TARGET_FIXED:
                    wt = adapt_target(S.wt[0], total, T.rate_set_point, T.rate_gain,
                                      T.target_min, T.target_max)
                    if wt != S.wt[0]:
                        S.wt[0] = wt
                        C[C_ALL_DIRTY] = 1    # a new target: every column is rescaled
                row = image % counts_out.shape[0]
                for j in range(S.count.shape[0]):
                    counts_out[row, j] = S.count[j]
                C[C_IMAGE] += 1
                C[C_RETRY] = 0
            S.count[:] = 0
    return n_exc


@njit(**NO_REFCOUNT)
def step_with_vars(S, P, traces, images, counts_out, exc_count, inh_count,
                   image_index, retry, presentations, total_retries, capped, key):
    """One :func:`step` with the bookkeeping of a Lava model around it, in one compiled call
    (the synchronous fused model's ``run_spk``: timed inside the Lava process, 21.2 µs per
    step with this bookkeeping in Python, 17.7 µs with it here).

    Before the step, the position Vars (``image_index``, ``retry``, ``presentations``: one
    value each, possibly ``set`` by the host between runs) move the kernel's position;
    after it, the step's spikes are added to ``exc_count`` / ``inh_count`` and the position
    and the totals (``total_retries``, ``capped``) are written back. Returns the number of
    excitatory spikes."""
    C = S.C
    C[C_IMAGE] = image_index[0]
    C[C_RETRY] = retry[0]
    if C[C_PRESENTATIONS] != presentations[0]:
        C[C_PRESENTATIONS] = presentations[0]
        C[C_PERIODS] = presentations[0]
    r0 = C[C_RETRIES]
    c0 = C[C_CAPPED]
    n_exc = step(S, P, traces, images, counts_out, key)
    for j in range(exc_count.shape[0]):
        exc_count[j] += S.spikes[j]
        inh_count[j] += S.inh_spikes[j]
    image_index[0] = C[C_IMAGE]
    retry[0] = C[C_RETRY]
    presentations[0] = C[C_PRESENTATIONS]
    total_retries[0] += C[C_RETRIES] - r0
    capped[0] += C[C_CAPPED] - c0
    return n_exc


@njit(**NO_REFCOUNT)
def run_images(S, P, traces, images, counts_out, stop_image, key):
    """Step until image ``stop_image`` has been accepted (or all images), or until a
    registered scaling rule is due (``C[C_SCALE_DUE]`` set; the caller applies it and calls
    again). Returns the number of steps simulated."""
    C = S.C
    steps = 0
    stop = min(stop_image, images.shape[0])
    while C[C_IMAGE] < stop:
        step(S, P, traces, images, counts_out, key)
        steps += 1
        if C[C_SCALE_DUE]:
            break
    return steps


@njit(**NO_REFCOUNT)
def run_images_team(S, P, traces, images, counts_out, stop_image, team, key):
    """:func:`run_images` for one thread of a team (:func:`team_step`); every thread of
    the team calls it with the same ``images`` and ``stop_image``. Returns the number of
    steps simulated."""
    steps = 0
    stop = min(stop_image, images.shape[0])
    while S.C[C_IMAGE] < stop:
        team_step(S, P, traces, images, counts_out, team, key)
        steps += 1
    return steps


@njit(**NO_REFCOUNT)
def run_steps(S, P, traces, images, counts_out, n_steps, key):
    """Step ``n_steps`` times, or until a registered scaling rule is due; returns the
    number of steps simulated."""
    for k in range(n_steps):
        step(S, P, traces, images, counts_out, key)
        if S.C[C_SCALE_DUE]:
            return k + 1
    return n_steps


@njit(cache=True, error_model="numpy")
def alloc_state(W, theta, P, image):
    """A network at rest inside compiled code (``new_state``'s twin for worker threads)."""
    n_in, n = W.shape
    present = P.protocol.present_steps
    cap = max(n_in * present, 1)
    v_rest_exc, v_rest_inh = rest_potentials(P)
    C = np.zeros(N_C, np.int64)
    C[C_IMAGE] = image
    C[C_ALL_DIRTY] = 1
    C[C_OUT_OF_BOUNDS] = 1
    return NetState(W, theta.copy(), np.full(n, v_rest_exc), np.zeros(n), np.zeros(n),
                    np.zeros(n, np.int64), np.full(n, v_rest_inh), np.zeros(n),
                    np.zeros(n, np.int64), np.full(n_in, -1, np.int64), np.zeros(n_in, np.int64),
                    np.full(n, -1, np.int64), np.zeros(n, np.int64), np.zeros(n),
                    np.zeros(n, np.int64), np.zeros(n, np.bool_), np.zeros(n, np.bool_),
                    np.zeros(n, np.bool_), np.zeros(n, np.int64), np.ones(n, np.bool_),
                    np.zeros(present + 1, np.int64),
                    np.zeros(cap, np.int64), np.zeros(cap, np.int64), np.zeros(cap, np.int64), C,
                    np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, np.int64),
                    np.full(1, P.protocol.target_norm))


@njit(cache=True, nogil=True, error_model="numpy")
def run_image_range(W, theta, P, traces, images, counts_out, stats_out, a, b, key):
    """Frozen network (``P.protocol.learning`` false) reset between images: images
    ``a..b-1``, each from its first presentation until accepted, one after another in one
    network state (a reset network is at rest between images, so reuse changes nothing).
    ``counts_out[k]`` receives image ``k``'s accepted counts and
    ``stats_out[k] = (presentations, retries, capped, steps)``. Every image is independent
    of the others, and this releases the GIL: the engine runs ranges on several threads."""
    if a >= b:
        return
    S = alloc_state(W, theta, P, a)
    for k in range(a, b):
        run_one_image(S, P, traces, images, counts_out, stats_out, k, key)


@njit(**NO_REFCOUNT)
def run_one_image(S, P, traces, images, counts_out, stats_out, k, key):
    """Image ``k`` from its first presentation until accepted, in a network at rest
    (:func:`run_image_range`'s inner loop, compiled without reference counting);
    ``stats_out[k] = (presentations, retries, capped, steps)``."""
    C = S.C
    C[C_IMAGE] = k
    C[C_RETRY] = 0
    p0, r0, c0 = C[C_PRESENTATIONS], C[C_RETRIES], C[C_CAPPED]
    steps = 0
    while C[C_IMAGE] == k:
        step(S, P, traces, images, counts_out, key)
        steps += 1
    stats_out[k, 0] = C[C_PRESENTATIONS] - p0
    stats_out[k, 1] = C[C_RETRIES] - r0
    stats_out[k, 2] = C[C_CAPPED] - c0
    stats_out[k, 3] = steps
