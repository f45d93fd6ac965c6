"""Synaptic scaling norms, written once as small compiled functions, and the rescaling that
every execution applies with them.

Scaling multiplies each excitatory neuron's input weight vector by ``target / norm``
(Touda & Okuno's homeostatic scaling), so the ratio of any two of its weights is kept
exactly; a vector whose norm is zero stays. A norm is two numba functions of scalars::

    accumulate(acc, w) -> acc    # folds one weight into the running value (starts at 0.0)
    finish(acc)        -> norm

The built-in norms: ``l1`` (``acc + |w|``), ``l2`` (``acc + w*w``, then ``sqrt``) and
``max`` (``max(acc, |w|)``). A norm of your own is registered with
:func:`lava_wta.rules.register_scaling_rule` (``accumulate=``, ``finish=``) and selected
with ``scaling.mode``; the engine compiles it into its step (the model key names it, see
:mod:`lava_wta.model.key`) and the composed Lava graph's synapse rescales with the same
:func:`scale_columns`.
"""
from __future__ import annotations

import math
import typing as ty

import numpy as np
from numba import literally, njit
from numba.extending import overload

from lava_wta.model.registry import Rule, RuleRegistry

__all__ = [
    "SCALE_NONE", "SCALE_L1", "SCALE_L2", "SCALE_MAX", "SCALE_COMPILED", "SCALE_PYTHON",
    "COMPILED_NORMS",
    "scale_columns",
    "column_norms",
    "scaling_code",
    "scaling_key",
    "TARGET_FIXED", "TARGET_RATE", "target_code",
    "adapt_target", "target_trajectory",
]

SCALE_NONE, SCALE_L1, SCALE_L2, SCALE_MAX, SCALE_COMPILED, SCALE_PYTHON = 0, 1, 2, 3, 4, -1
"""Codes of ``scaling.mode`` in compiled code: no scaling, the built-in norms (chosen at
run time, one compiled step serves all three), a registered compiled norm (chosen at
compile time by the model key) and a Python rule (applied by the caller)."""
_BUILTIN = {"none": SCALE_NONE, "l1": SCALE_L1, "l2": SCALE_L2, "max": SCALE_MAX}


@njit(cache=True, inline="always", error_model="numpy")
def l1_accumulate(acc, w):
    return acc + abs(w)


@njit(cache=True, inline="always", error_model="numpy")
def l2_accumulate(acc, w):
    return acc + w * w


@njit(cache=True, inline="always", error_model="numpy")
def max_accumulate(acc, w):
    return max(acc, abs(w))


@njit(cache=True, inline="always", error_model="numpy")
def identity_finish(acc):
    return acc


@njit(cache=True, inline="always", error_model="numpy")
def sqrt_finish(acc):
    return math.sqrt(acc)


BUILTIN_NORMS = ("l1", "l2", "max")
"""The built-in norms (selected at run time by their code in :func:`_ol_norm_accumulate`)."""

COMPILED_NORMS = RuleRegistry("scaling", "scaling norm",
                              {"accumulate": None, "finish": identity_finish},
                              register_with="lava_wta.rules.register_scaling_rule")
"""Registered compiled norms other than the built-ins (which the step selects at run time)."""


TARGET_FIXED, TARGET_RATE = 0, 1
"""Codes of ``scaling.target_mode`` in compiled code."""


def target_code(target_mode: str) -> int:
    """The compiled code of ``scaling.target_mode``."""
    return {"fixed": TARGET_FIXED, "rate": TARGET_RATE}[target_mode]


@njit(cache=True, inline="always", error_model="numpy")
def adapt_target(wt, spikes, set_point, gain, wt_min, wt_max):
    """The target norm after an accepted presentation with ``spikes`` excitatory spikes
    (the ``rate`` target mode): ``log Wt += gain * (set_point - spikes) / set_point``,
    clipped to [``wt_min``, ``wt_max``]. Fewer spikes than the set point raise Wt (larger
    weights drive the neurons harder), more lower it."""
    new = wt * math.exp(gain * (set_point - spikes) / set_point)
    return min(max(new, wt_min), wt_max)


@njit(cache=True, error_model="numpy")
def target_trajectory(wt, totals, set_point, gain, wt_min, wt_max, out):
    """``out[k]``: the target norm after accepted presentation ``k`` (``totals[k]``
    excitatory spikes) of a training pass that started at ``wt``; the same updates
    :func:`adapt_target` made in the pass, one after another, so ``out[-1]`` is the
    pass's final Wt exactly."""
    for k in range(totals.shape[0]):
        wt = adapt_target(wt, totals[k], set_point, gain, wt_min, wt_max)
        out[k] = wt


def scaling_code(mode: str) -> int:
    """The compiled code of ``scaling.mode`` ``mode`` (see :data:`SCALE_NONE` ...)."""
    if mode in _BUILTIN:
        return _BUILTIN[mode]
    return SCALE_COMPILED if mode in COMPILED_NORMS.names() else SCALE_PYTHON


def scaling_key(mode: str) -> str:
    """The key part of ``scaling.mode`` ``mode``: ``scaling=builtin`` unless it is a
    registered compiled norm."""
    if scaling_code(mode) != SCALE_COMPILED:
        return "scaling=builtin"
    from lava_wta.model.key import rule_key

    return rule_key(COMPILED_NORMS, mode)


def _compiled_norm(key: ty.Any) -> ty.Optional[Rule]:
    from lava_wta.model.key import part

    if part(key.literal_value, "scaling") == "builtin":
        return None
    return COMPILED_NORMS.from_key(key)


def norm_accumulate(key, mode, acc, w):
    """The norm's ``accumulate`` (compiled code only)."""
    raise NotImplementedError("norm_accumulate is resolved at compile time inside numba code")


def norm_finish(key, mode, acc):
    """The norm's ``finish`` (compiled code only)."""
    raise NotImplementedError("norm_finish is resolved at compile time inside numba code")


@overload(norm_accumulate, inline="always")
def _ol_norm_accumulate(key, mode, acc, w):
    from numba import types

    if not isinstance(key, types.StringLiteral):
        return lambda key, mode, acc, w: literally(key)
    rule = _compiled_norm(key)
    if rule is not None:
        fn = rule.accumulate
        return lambda key, mode, acc, w: fn(acc, w)

    def builtin(key, mode, acc, w):
        if mode == SCALE_L1:
            return l1_accumulate(acc, w)
        if mode == SCALE_L2:
            return l2_accumulate(acc, w)
        return max_accumulate(acc, w)
    return builtin


@overload(norm_finish, inline="always")
def _ol_norm_finish(key, mode, acc):
    from numba import types

    if not isinstance(key, types.StringLiteral):
        return lambda key, mode, acc: literally(key)
    rule = _compiled_norm(key)
    if rule is not None:
        fn = rule.finish
        return lambda key, mode, acc: fn(acc)
    return lambda key, mode, acc: sqrt_finish(acc) if mode == SCALE_L2 else identity_finish(acc)


@njit(cache=True, error_model="numpy", _nrt=False)
def scale_columns(W, mode, target, w_max, dirty, all_dirty, norms, sel, key):
    """Multiply each column ``j`` of ``W`` (``(n_in, n)``: column ``j`` is neuron ``j``'s
    input weights) by ``target / norm_j``; columns with zero norm stay. Only ``dirty``
    columns unless ``all_dirty``. Returns 1 when a scaled weight exceeds ``w_max`` (such
    columns stay dirty: the next clip changes them). ``norms`` (float64) and ``sel``
    (int64), at least ``n`` long, are scratch."""
    n_in, n = W.shape
    for j in range(n):
        norms[j] = 0.0
    m = 0
    for j in range(n):
        if all_dirty or dirty[j]:
            sel[m] = j
            m += 1
    for i in range(n_in):
        for k in range(m):
            norms[k] = norm_accumulate(key, mode, norms[k], W[i, sel[k]])
    # the factors first (kept: the columns with a positive norm, their factors in
    # norms[:kept]), then one row-major pass: the selected weights of a row lie within one
    # row of W, so the pass walks memory as the norm pass does (a column-major pass strides
    # a whole row per weight: a page and a TLB entry per weight at thousands of neurons)
    kept = 0
    for k in range(m):
        j = sel[k]
        norm = norm_finish(key, mode, norms[k])
        dirty[j] = False
        if norm > 0.0:
            sel[kept] = j
            norms[kept] = target / norm
            kept += 1
    over = 0
    for i in range(n_in):
        for k in range(kept):
            j = sel[k]
            w = W[i, j] * norms[k]
            W[i, j] = w
            if w > w_max:
                dirty[j] = True
                over = 1
    return over


@njit(cache=True, error_model="numpy")
def column_norms(W, mode, out, key):
    """``out[j]``: the norm of column ``j`` of ``W`` (``(n_in, n)``)."""
    n_in, n = W.shape
    for j in range(n):
        acc = 0.0
        for i in range(n_in):
            acc = norm_accumulate(key, mode, acc, W[i, j])
        out[j] = norm_finish(key, mode, acc)


def scale_rows(weights: np.ndarray, mode: str, target: float) -> None:
    """Scale ``weights`` (``(n_neurons, n_inputs)``, Lava's layout) in place with the
    compiled norm ``mode`` (a built-in or a registered compiled norm)."""
    from lava_wta.model.key import bind_key

    code = scaling_code(mode)
    n = weights.shape[0]
    dirty = np.ones(n, np.bool_)
    bind_key(scale_columns, scaling_key(mode))(weights.T, code, float(target), np.inf, dirty, True,
                                                np.zeros(n), np.zeros(n, np.int64))


def rows_norms(weights: np.ndarray, mode: str) -> np.ndarray:
    """The compiled norm ``mode`` of every row of ``weights`` (``(n_neurons, n_inputs)``)."""
    from lava_wta.model.key import bind_key

    out = np.zeros(weights.shape[0])
    bind_key(column_norms, scaling_key(mode))(np.asarray(weights, dtype=np.float64).T,
                                               scaling_code(mode), out)
    return out
