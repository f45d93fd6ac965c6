"""STDP rules: the weight update of one synapse, written once as small compiled functions.

A rule is two numba functions of scalars::

    depress(w, y1, p)            -> the weight after a presynaptic spike
    potentiate(w, x_pre, y2, p)  -> the weight after a postsynaptic spike

``w`` is the synapse's weight, ``x_pre`` the presynaptic trace, ``y1`` / ``y2`` the two
postsynaptic traces (each set to 1 by its neuron's spike and decaying with its own time
constant; ``y2`` is read before the spike sets it) and ``p`` an :class:`StdpParams`
(``p.nu_pre``, ``p.nu_post``, ``p.w_max``). Every execution then clips the result to
``[0, w_max]`` (:func:`clip_weight`) and stores it.

The built-in rule, ``"additive"``, is Diehl & Cook's::

    depress:    w - nu_pre * y1
    potentiate: w + nu_post * y2 * x_pre

A rule of your own is registered by name and selected with ``stdp.rule`` in the
configuration (``--stdp-rule`` on the command line)::

    from numba import njit
    from lava_wta.rules import register_stdp_rule

    @njit(inline="always")
    def soft_bound_potentiate(w, x_pre, y2, p):
        return w + p.nu_post * y2 * x_pre * (p.w_max - w)

    register_stdp_rule("soft_bound", potentiate=soft_bound_potentiate)

The engine compiles it into its step (:func:`stdp_depress` / :func:`stdp_potentiate`
below resolve a rule at compile time from the model key, see :mod:`lava_wta.model.key`),
the fused Lava models run that step, and the composed Lava graph's plastic synapse calls
the same functions (:func:`depress_inputs`, :func:`potentiate_neurons`). So one function
serves every execution.

The contract a rule must keep: an update whose trace is zero leaves the weight unchanged
(``depress(w, 0, p) == w`` and ``potentiate(w, 0, y2, p) == w``). The engine relies on it
to touch only synapses whose traces are non-zero; :func:`register_stdp_rule` checks it on
sample values and refuses a rule that breaks it.
"""
from __future__ import annotations

import typing as ty

from numba import literally, njit
from numba.extending import overload

from lava_wta.model.registry import Rule, RuleRegistry

__all__ = [
    "StdpParams",
    "STDPRule",
    "STDP_RULES",
    "additive_depress",
    "additive_potentiate",
    "clip_weight",
    "register_stdp_rule",
    "get_stdp_rule",
    "stdp_rule_names",
    "stdp_depress",
    "stdp_potentiate",
    "depress_inputs",
    "potentiate_neurons",
]


class StdpParams(ty.NamedTuple):
    """What a rule reads besides the weight and the traces (all dimensionless)."""

    nu_pre: float
    """Depression rate on a presynaptic spike."""
    nu_post: float
    """Potentiation rate on a postsynaptic spike."""
    w_max: float
    """Upper weight bound (weights are clipped to ``[0, w_max]`` after each update)."""


@njit(cache=True, inline="always", error_model="numpy")
def additive_depress(w, y1, p):
    """Diehl & Cook: a presynaptic spike lowers the weight by ``nu_pre * y1``."""
    return w - p.nu_pre * y1


@njit(cache=True, inline="always", error_model="numpy")
def additive_potentiate(w, x_pre, y2, p):
    """Diehl & Cook: a postsynaptic spike raises the weight by ``nu_post * y2 * x_pre``."""
    return w + p.nu_post * y2 * x_pre


@njit(cache=True, inline="always", error_model="numpy")
def clip_weight(w, w_max):
    """The bound every execution applies after an update: ``[0, w_max]``."""
    return min(max(w, 0.0), w_max)


def _check_zero_trace_identity(name: str, rule: Rule) -> None:
    """Refuse a rule that changes a weight when the trace it reads is zero (see module doc)."""
    p = StdpParams(1e-4, 1e-2, 1.0)
    for w in (0.0, 0.1, 0.5, 1.0):
        for trace in (0.0, 0.3, 1.0):
            try:
                d = float(rule.depress(w, 0.0, p))
                q = float(rule.potentiate(w, 0.0, trace, p))
            except Exception as exc:   # a typing error of the user's function
                raise TypeError(f"STDP rule {name!r}: calling it with float weights and traces "
                                f"and an StdpParams failed: {exc}") from exc
            if d != w or q != w:
                raise ValueError(
                    f"STDP rule {name!r}: an update whose trace is zero must leave the weight "
                    f"unchanged; with w = {w}: depress(w, y1=0) = {d}, potentiate(w, x_pre=0, "
                    f"y2={trace}) = {q}")


STDP_RULES = RuleRegistry("stdp", "STDP rule",
                          {"depress": additive_depress, "potentiate": additive_potentiate},
                          check=_check_zero_trace_identity,
                          register_with="lava_wta.rules.register_stdp_rule")
STDP_RULES.add_builtin("additive")
STDPRule = Rule


def register_stdp_rule(name: str, *, depress=None, potentiate=None, replace: bool = False) -> Rule:
    """Register an STDP rule under ``name`` (select it with ``stdp.rule``).

    ``depress(w, y1, p)`` and ``potentiate(w, x_pre, y2, p)`` are numba-compiled
    functions returning the new weight before clipping; either may be omitted to keep the
    additive rule's half. Raises ``TypeError`` for functions that are not compiled and
    ``ValueError`` for a name in use (unless ``replace``) or a rule that changes a weight
    when its trace is zero."""
    return STDP_RULES.register(name, replace=replace, depress=depress, potentiate=potentiate)


def get_stdp_rule(name: str) -> Rule:
    return STDP_RULES.get(name)


def stdp_rule_names() -> ty.List[str]:
    return STDP_RULES.names()


# ------------------------------------------------------------------ compile-time selection
def stdp_depress(key, w, y1, p):
    """``depress`` of the rule named by the model ``key`` (compiled code only)."""
    raise NotImplementedError("stdp_depress is resolved at compile time inside numba code")


def stdp_potentiate(key, w, x_pre, y2, p):
    """``potentiate`` of the rule named by the model ``key`` (compiled code only)."""
    raise NotImplementedError("stdp_potentiate is resolved at compile time inside numba code")


@overload(stdp_depress, inline="always")
def _ol_stdp_depress(key, w, y1, p):
    rule = STDP_RULES.from_key(key)
    if rule is None:
        return lambda key, w, y1, p: literally(key)
    fn = rule.depress
    return lambda key, w, y1, p: fn(w, y1, p)


@overload(stdp_potentiate, inline="always")
def _ol_stdp_potentiate(key, w, x_pre, y2, p):
    rule = STDP_RULES.from_key(key)
    if rule is None:
        return lambda key, w, x_pre, y2, p: literally(key)
    fn = rule.potentiate
    return lambda key, w, x_pre, y2, p: fn(w, x_pre, y2, p)


# ------------------------------------------------------------------ Lava layout (n, n_in)
@njit(cache=True, error_model="numpy")
def depress_inputs(W, y1, pre, p, key):
    """Presynaptic spikes of inputs ``pre``: every weight ``W[j, i]`` (Lava's ``(n, n_in)``
    layout) of those inputs is depressed and clipped."""
    n = W.shape[0]
    for k in range(pre.shape[0]):
        i = pre[k]
        for j in range(n):
            W[j, i] = clip_weight(stdp_depress(key, W[j, i], y1[j], p), p.w_max)


@njit(cache=True, error_model="numpy")
def potentiate_neurons(W, x_pre, y2, post, p, key):
    """Postsynaptic spikes of neurons ``post``: each of their input weights is potentiated
    with ``y2`` before the spike, and clipped."""
    n_in = W.shape[1]
    for k in range(post.shape[0]):
        j = post[k]
        y = y2[j]
        for i in range(n_in):
            W[j, i] = clip_weight(stdp_potentiate(key, W[j, i], x_pre[i], y, p), p.w_max)
