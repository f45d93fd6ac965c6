"""The model key: which user-replaceable functions a compiled execution uses.

A *model key* is a short string such as
``"stdp=soft_bound@3f2a9c01d2e4;theta=additive@0b1c2d3e4f50;scaling=builtin"``: for each
replaceable part of the model (the STDP rule, the excitatory neurons' threshold and membrane rules,
a registered compiled scaling norm), the registered name and a fingerprint of the code that
defines it (``scaling=builtin``: the built-in norms, chosen at run time). Compiled functions take it as their last
argument, ``key``; numba compiles them once per key (the key is a literal type), resolving
the named functions at compile time (see :func:`lava_wta.model.plasticity.stdp_depress`),
and caches that compiled code on disk under the key. Editing a rule's module changes its
fingerprint, so stale compiled code is never reused.

Python code calls :func:`bind_key`'s wrapper, which passes the key as a compile-time
constant, so calls from Python dispatch as fast as any compiled function.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import typing as ty

from numba import njit

__all__ = ["model_key", "rule_key", "stdp_key", "theta_key", "membrane_key", "part", "bind_key", "fingerprint"]


def fingerprint(*functions: ty.Any) -> str:
    """12 hex digits identifying the code of compiled ``functions``: the source file of
    each (so module-level constants a rule reads count too), else its bytecode."""
    h = hashlib.sha256()
    for fn in functions:
        py = getattr(fn, "py_func", fn)
        h.update(f"{py.__module__}.{py.__qualname__}".encode())
        try:
            with open(inspect.getsourcefile(py), "rb") as f:
                h.update(f.read())
        except (TypeError, OSError):
            code = py.__code__
            h.update(code.co_code)
            h.update(repr(code.co_consts).encode())
    return h.hexdigest()[:12]


def rule_key(registry, name: str) -> str:
    """The key part of rule ``name`` of ``registry`` (e.g. ``"stdp=additive@..."``)."""
    return _rule_key(registry.part, registry.get(name))


@functools.lru_cache(maxsize=None)
def _rule_key(part_name: str, rule) -> str:
    return f"{part_name}={rule.name}@{fingerprint(*(fn for _, fn in rule.functions))}"


def stdp_key(rule_name: str) -> str:
    """The key part of the registered STDP rule ``rule_name``."""
    from lava_wta.model.plasticity import STDP_RULES

    return rule_key(STDP_RULES, rule_name)


def theta_key(rule_name: str) -> str:
    """The key part of the registered threshold rule ``rule_name``."""
    from lava_wta.model.threshold import THETA_RULES

    return rule_key(THETA_RULES, rule_name)


def membrane_key(rule_name: str) -> str:
    """The key part of the registered membrane rule ``rule_name``."""
    from lava_wta.model.neurons import MEMBRANE_RULES

    return rule_key(MEMBRANE_RULES, rule_name)


def model_key(config) -> str:
    """The key of ``config``'s replaceable parts: its STDP rule (``stdp.rule``), the
    excitatory neurons' threshold and membrane rules (``theta_rule``, ``membrane_rule`` of
    the selected excitatory section) and its scaling norm (``scaling.mode``, when it is a
    registered compiled norm)."""
    from lava_wta.model.scaling import scaling_key

    E = config.exc_params
    return (f"{stdp_key(config.stdp.rule)};{theta_key(E.theta_rule)};"
            f"{membrane_key(E.membrane_rule)};{scaling_key(config.scaling.mode)}")


def part(key: str, name: str) -> str:
    """The registered name that ``key`` gives for part ``name`` (e.g. ``"stdp"``)."""
    for item in key.split(";"):
        k, _, value = item.partition("=")
        if k == name:
            return value.split("@", 1)[0]
    raise KeyError(f"model key {key!r} names no {name!r} part")


_BOUND: ty.Dict[ty.Tuple[ty.Any, str], ty.Any] = {}


def bind_key(fn: ty.Any, key: str) -> ty.Any:
    """A compiled wrapper of ``fn`` (whose last parameter is ``key``) with ``key`` fixed:
    ``bind_key(f, k)(a, b)`` runs ``f(a, b, k)`` compiled for ``k``, releasing the GIL (the
    functions bound here touch no Python object). Memoised."""
    memo = (fn, key)
    if memo not in _BOUND:
        params = list(inspect.signature(fn.py_func).parameters)
        if not params or params[-1] != "key":
            raise TypeError(f"{fn.py_func.__qualname__}: its last parameter must be 'key'")
        args = ", ".join(params[:-1])
        sep = ", " if args else ""
        namespace = {"fn": fn, "KEY": key}
        exec(f"def bound({args}):\n    return fn({args}{sep}KEY)\n", namespace)
        bound = namespace["bound"]
        bound.__qualname__ = bound.__name__ = f"{fn.py_func.__name__}_bound"
        _BOUND[memo] = njit(error_model="numpy", nogil=True)(bound)
    return _BOUND[memo]
