"""Threshold rules: how the excitatory neurons' adaptive threshold θ moves, written once as
small compiled functions.

A neuron fires when ``v > v_thresh + θ - θ_offset``. While the network learns, θ decays
and each spike raises it; a threshold rule is two numba functions of scalars::

    decay(theta, factor, p)  -> θ after ``factor`` of decay (one step: exp(-dt / tau_theta);
                                a reset between presentations: exp(-rest_ms / tau_theta))
    spike(theta, p)          -> θ after a spike of its neuron

with ``p`` a :class:`ThetaParams` (``p.theta_plus_mv``, ``p.theta_init_mv``). The
built-in rule, ``"additive"``, is Diehl & Cook's: ``theta * factor`` and
``theta + theta_plus``. Register one of your own and select it with ``exc.theta_rule``
(``cuba_exc.theta_rule`` for the current-based neurons)::

    from numba import njit
    from lava_wta.rules import register_theta_rule

    @njit(inline="always")
    def capped_spike(theta, p):      # θ never more than 2 mV above where it started
        return min(theta + p.theta_plus_mv, p.theta_init_mv + 2.0)

    register_theta_rule("capped", spike=capped_spike)

The engine compiles the rule into both neuron models' threshold step
(:func:`lava_wta.kernels.threshold.adaptive_threshold`), the fused Lava models run that
step, and the composed graph's excitatory neurons call the same functions
(:func:`decay_all`, :func:`raise_spiking`). While the network is frozen θ does not move
and neither function is called.
"""
from __future__ import annotations

import typing as ty

from numba import literally, njit
from numba.extending import overload

from lava_wta.model.registry import Rule, RuleRegistry

__all__ = [
    "ThetaParams",
    "THETA_RULES",
    "additive_theta_decay",
    "additive_theta_spike",
    "register_theta_rule",
    "get_theta_rule",
    "theta_rule_names",
    "theta_decay",
    "theta_spike",
    "threshold_mv",
    "fires",
    "firing",
    "decay_all",
    "raise_spiking",
]


class ThetaParams(ty.NamedTuple):
    """What a threshold rule reads besides θ (mV)."""

    theta_plus_mv: float
    """Rise of θ per spike (mV)."""
    theta_init_mv: float
    """θ of a new network (mV)."""


@njit(cache=True, inline="always", error_model="numpy")
def additive_theta_decay(theta, factor, p):
    """Diehl & Cook: θ decays exponentially (``factor`` = exp(-elapsed / tau_theta))."""
    return theta * factor


@njit(cache=True, inline="always", error_model="numpy")
def additive_theta_spike(theta, p):
    """Diehl & Cook: each spike raises θ by ``theta_plus``."""
    return theta + p.theta_plus_mv


THETA_RULES = RuleRegistry("theta", "threshold rule",
                           {"decay": additive_theta_decay, "spike": additive_theta_spike},
                           register_with="lava_wta.rules.register_theta_rule")
THETA_RULES.add_builtin("additive")


def register_theta_rule(name: str, *, decay=None, spike=None, replace: bool = False) -> Rule:
    """Register a threshold rule under ``name`` (select it with ``exc.theta_rule``).

    ``decay(theta, factor, p)`` and ``spike(theta, p)`` are numba-compiled functions
    returning the new θ; either may be omitted to keep the additive rule's. Raises
    ``TypeError`` for functions that are not compiled and ``ValueError`` for a name in use
    (unless ``replace``)."""
    return THETA_RULES.register(name, replace=replace, decay=decay, spike=spike)


def get_theta_rule(name: str) -> Rule:
    return THETA_RULES.get(name)


def theta_rule_names() -> ty.List[str]:
    return THETA_RULES.names()


def theta_decay(key, theta, factor, p):
    """``decay`` of the threshold rule named by the model ``key`` (compiled code only)."""
    raise NotImplementedError("theta_decay is resolved at compile time inside numba code")


def theta_spike(key, theta, p):
    """``spike`` of the threshold rule named by the model ``key`` (compiled code only)."""
    raise NotImplementedError("theta_spike is resolved at compile time inside numba code")


@overload(theta_decay, inline="always")
def _ol_theta_decay(key, theta, factor, p):
    rule = THETA_RULES.from_key(key)
    if rule is None:
        return lambda key, theta, factor, p: literally(key)
    fn = rule.decay
    return lambda key, theta, factor, p: fn(theta, factor, p)


@overload(theta_spike, inline="always")
def _ol_theta_spike(key, theta, p):
    rule = THETA_RULES.from_key(key)
    if rule is None:
        return lambda key, theta, p: literally(key)
    fn = rule.spike
    return lambda key, theta, p: fn(theta, p)


@njit(cache=True, inline="always", error_model="numpy")
def threshold_mv(v_thresh_mv, theta, theta_offset_mv):
    """Diehl & Cook's adaptive threshold ``v_thresh + θ - θ_offset`` (mV; ``theta`` a value
    or an array)."""
    return (v_thresh_mv + theta) - theta_offset_mv


@njit(cache=True, inline="always", error_model="numpy")
def fires(v, theta, v_thresh_mv, theta_offset_mv):
    """Does a neuron at ``v`` with ``theta`` fire (``v`` above :func:`threshold_mv`; a
    refractory neuron never does)."""
    return v > threshold_mv(v_thresh_mv, theta, theta_offset_mv)


# ------------------------------------------------------------------ a Lava model's arrays
@njit(cache=True, error_model="numpy")
def firing(v, theta, held, v_thresh_mv, theta_offset_mv, out):
    """``out[j]``: neuron ``j`` fires (:func:`fires`, never where ``held[j]``), in place."""
    for j in range(v.shape[0]):
        out[j] = (not held[j]) and fires(v[j], theta[j], v_thresh_mv, theta_offset_mv)



@njit(cache=True, error_model="numpy")
def decay_all(theta, factor, p, key):
    """Every neuron's θ after ``factor`` of decay, in place."""
    for j in range(theta.shape[0]):
        theta[j] = theta_decay(key, theta[j], factor, p)


@njit(cache=True, error_model="numpy")
def raise_spiking(theta, spikes, p, key):
    """θ of every neuron with ``spikes[j]`` after its spike, in place."""
    for j in range(theta.shape[0]):
        if spikes[j]:
            theta[j] = theta_spike(key, theta[j], p)
