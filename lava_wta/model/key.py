"""The model key: which user-replaceable functions a compiled execution uses.

A *model key* is a short string such as ``"stdp=soft_bound@3f2a9c01d2e4"``: for each
replaceable part of the model (today the STDP rule), the registered name and a
fingerprint of the code that defines it. Compiled functions take it as their last
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

__all__ = ["model_key", "stdp_key", "part", "bind_key", "fingerprint"]


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


def stdp_key(rule_name: str) -> str:
    """The key part of the registered STDP rule ``rule_name``."""
    from lava_wta.model.plasticity import get_stdp_rule

    return _rule_key(get_stdp_rule(rule_name))


@functools.lru_cache(maxsize=None)
def _rule_key(rule) -> str:
    return f"stdp={rule.name}@{fingerprint(rule.depress, rule.potentiate)}"


def model_key(config) -> str:
    """The key of ``config``'s replaceable parts (its STDP rule, ``stdp.rule``)."""
    return stdp_key(config.stdp.rule)


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
    ``bind_key(f, k)(a, b)`` runs ``f(a, b, k)`` compiled for ``k``. Memoised."""
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
        _BOUND[memo] = njit(error_model="numpy")(bound)
    return _BOUND[memo]
