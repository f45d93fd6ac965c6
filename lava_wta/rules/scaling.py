"""Homeostatic synaptic scaling rules (the subject of Touda & Okuno 2026).

A scaling rule maps a weight matrix of shape ``(n_neurons, n_inputs)`` (Lava's
``(out, in)`` convention: row ``j`` is excitatory neuron ``j``'s input weight vector) to
one norm per row. Scaling multiplies every row by ``target / norm``, so the ratio of any
two weights of a neuron is preserved exactly; a row whose norm is zero is left unchanged.

Register a new rule with::

    from lava_wta.rules import register_scaling_rule

    @register_scaling_rule("l3")
    def l3_norm(weights):
        return (weights ** 3).sum(axis=1) ** (1 / 3)

and select it with ``scaling.mode = "l3"`` in the configuration. A rule may instead
replace the whole update by passing ``apply=`` a function ``(weights, target) -> None``
that edits ``weights`` in place.
"""
from __future__ import annotations

import typing as ty
from dataclasses import dataclass

import numpy as np

NormFn = ty.Callable[[np.ndarray], np.ndarray]
ApplyFn = ty.Callable[[np.ndarray, float], None]


@dataclass(frozen=True)
class ScalingRule:
    """A named scaling rule: a per-row norm, or a custom in-place update."""

    name: str
    norm: ty.Optional[NormFn] = None
    apply: ty.Optional[ApplyFn] = None

    def __call__(self, weights: np.ndarray, target: float) -> None:
        """Scale ``weights`` (n_neurons x n_inputs) in place towards ``target``."""
        if self.apply is not None:
            self.apply(weights, target)
            return
        if self.norm is None:  # the "none" rule
            return
        norms = np.asarray(self.norm(weights), dtype=float)
        if norms.shape != (weights.shape[0],):
            raise ValueError(
                f"scaling rule {self.name!r}: norm returned shape {norms.shape}, "
                f"expected ({weights.shape[0]},) (one norm per neuron)")
        nonzero = norms > 0
        factors = np.ones_like(norms)
        factors[nonzero] = target / norms[nonzero]
        weights *= factors[:, None]


_RULES: ty.Dict[str, ScalingRule] = {}


def register_scaling_rule(name: str, *, apply: ty.Optional[ApplyFn] = None,
                          replace: bool = False):
    """Register a scaling rule under ``name``.

    Used as a decorator on a norm function ``weights -> norms`` (one value per row), or
    called with ``apply=`` for a rule that is not a multiplicative rescaling.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"scaling rule name: expected a non-empty string, got {name!r}")

    def _register(norm: ty.Optional[NormFn]) -> ty.Optional[NormFn]:
        if name in _RULES and not replace:
            raise ValueError(f"scaling rule {name!r} is already registered; pass replace=True")
        _RULES[name] = ScalingRule(name=name, norm=norm, apply=apply)
        return norm

    if apply is not None:
        _register(None)
        return apply
    return _register


def get_scaling_rule(name: str) -> ScalingRule:
    try:
        return _RULES[name]
    except KeyError:
        raise KeyError(f"unknown scaling rule {name!r}; registered: {sorted(_RULES)}") from None


def scaling_rule_names() -> ty.List[str]:
    return list(_RULES)


def apply_scaling(weights: np.ndarray, mode: str, target: float) -> np.ndarray:
    """Scale ``weights`` in place with the rule ``mode`` and return it."""
    get_scaling_rule(mode)(weights, target)
    return weights


def row_norms(weights: np.ndarray, mode: str) -> np.ndarray:
    """The norm that rule ``mode`` drives to the target, one value per neuron."""
    rule = get_scaling_rule(mode)
    if rule.norm is None:
        raise ValueError(f"scaling rule {mode!r} defines no norm")
    return np.asarray(rule.norm(weights), dtype=float)


_RULES["none"] = ScalingRule("none")
register_scaling_rule("l1")(lambda w: np.abs(w).sum(axis=1))
register_scaling_rule("l2")(lambda w: np.sqrt((w * w).sum(axis=1)))
register_scaling_rule("max")(lambda w: np.abs(w).max(axis=1))
