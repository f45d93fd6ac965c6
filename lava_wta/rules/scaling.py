"""Homeostatic synaptic scaling rules (the subject of Touda & Okuno 2026), selected by name
with ``scaling.mode``.

Scaling multiplies each excitatory neuron's input weight vector (row ``j`` of a
``(n_neurons, n_inputs)`` matrix, Lava's ``(out, in)`` convention) by ``target / norm``,
so the ratio of any two of its weights is preserved exactly; a row whose norm is zero is
left unchanged. The built-in rules ``l1``, ``l2`` and ``max`` are compiled norms
(:mod:`lava_wta.model.scaling`); ``none`` does nothing.

A rule of your own takes one of three forms:

* a **compiled norm** (fast everywhere: the engine compiles it into its step)::

      from numba import njit
      from lava_wta.rules import register_scaling_rule

      @njit(inline="always")
      def l3_accumulate(acc, w):            # folds one weight in; acc starts at 0.0
          return acc + w * w * w

      @njit(inline="always")
      def l3_finish(acc):
          return acc ** (1.0 / 3.0)

      register_scaling_rule("l3", accumulate=l3_accumulate, finish=l3_finish)

* a **numpy norm**, ``weights -> one norm per row``, registered with the decorator
  ``@register_scaling_rule("l3")``; the engine hands the weights back to Python each time
  such a rule is due (slower, same result in every backend);
* a whole **in-place update**, ``register_scaling_rule("mine", apply=fn)`` with
  ``fn(weights, target)``, also applied from Python.
"""
from __future__ import annotations

import typing as ty
from dataclasses import dataclass

import numpy as np

from lava_wta.model import scaling as compiled

NormFn = ty.Callable[[np.ndarray], np.ndarray]
ApplyFn = ty.Callable[[np.ndarray, float], None]


@dataclass(frozen=True)
class ScalingRule:
    """A named scaling rule: a compiled norm, a numpy norm, or a custom in-place update."""

    name: str
    norm: ty.Optional[NormFn] = None
    apply: ty.Optional[ApplyFn] = None
    compiled: bool = False

    def __call__(self, weights: np.ndarray, target: float) -> None:
        """Scale ``weights`` (n_neurons x n_inputs) in place towards ``target``."""
        if self.apply is not None:
            self.apply(weights, target)
            return
        if self.compiled:
            compiled.scale_rows(weights, self.name, target)
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


def register_scaling_rule(name: str, *, accumulate=None, finish=None,
                          apply: ty.Optional[ApplyFn] = None, replace: bool = False):
    """Register a scaling rule under ``name`` (select it with ``scaling.mode``).

    With ``accumulate`` (and optionally ``finish``, the identity by default): a compiled
    norm, see the module docstring. With ``apply``: a custom in-place update. Otherwise a
    decorator for a numpy norm function ``weights -> norms`` (one value per row)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"scaling rule name: expected a non-empty string, got {name!r}")
    if name in _RULES and not replace:
        raise ValueError(f"scaling rule {name!r} is already registered; pass replace=True")
    if accumulate is not None:
        compiled.COMPILED_NORMS.register(name, accumulate=accumulate, finish=finish,
                                         replace=replace)
        _RULES[name] = ScalingRule(name=name, compiled=True)
        return _RULES[name]
    if finish is not None:
        raise TypeError(f"scaling rule {name!r}: finish= needs accumulate=")

    def _register(norm: ty.Optional[NormFn]) -> ty.Optional[NormFn]:
        compiled.COMPILED_NORMS.remove(name)
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
    if rule.compiled:
        return compiled.rows_norms(weights, mode)
    if rule.norm is None:
        raise ValueError(f"scaling rule {mode!r} defines no norm")
    return np.asarray(rule.norm(weights), dtype=float)


_RULES["none"] = ScalingRule("none")
for _name in compiled.BUILTIN_NORMS:
    _RULES[_name] = ScalingRule(_name, compiled=True)
