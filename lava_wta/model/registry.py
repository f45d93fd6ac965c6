"""Registries of replaceable model parts (STDP rules, threshold rules): named sets of small
numba-compiled functions, each set checked when registered and identified in compiled
code by a model key (:mod:`lava_wta.model.key`)."""
from __future__ import annotations

import typing as ty
from dataclasses import dataclass

from numba.core.registry import CPUDispatcher

__all__ = ["Rule", "RuleRegistry"]


@dataclass(frozen=True)
class Rule:
    """A registered rule: its name and its compiled functions, by hook name."""

    name: str
    functions: ty.Tuple[ty.Tuple[str, ty.Any], ...]

    def __getattr__(self, hook: str) -> ty.Any:
        for name, fn in self.functions:
            if name == hook:
                return fn
        raise AttributeError(hook)


class RuleRegistry:
    """The rules of one model part (``part``: its name in a model key, e.g. ``"stdp"``).

    ``defaults`` maps each hook (e.g. ``"depress"``) to the built-in function used where a
    registered rule leaves that hook out; ``check(name, rule)`` may refuse a rule (raise)."""

    def __init__(self, part: str, what: str, defaults: ty.Mapping[str, ty.Any],
                 check: ty.Optional[ty.Callable[[str, Rule], None]] = None,
                 register_with: str = "") -> None:
        self.part, self.what = part, what
        self.defaults = dict(defaults)
        self.check = check
        self.register_with = register_with
        self._rules: ty.Dict[str, Rule] = {}

    def add_builtin(self, name: str) -> Rule:
        rule = Rule(name, tuple(self.defaults.items()))
        self._rules[name] = rule
        return rule

    def register(self, name: str, *, replace: bool = False, **functions: ty.Any) -> Rule:
        if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
            raise ValueError(f"{self.what} name: expected a non-empty identifier (letters, digits, "
                             f"underscores), got {name!r}")
        if name in self._rules and not replace:
            raise ValueError(f"{self.what} {name!r} is already registered; pass replace=True")
        unknown = [h for h in functions if h not in self.defaults]
        if unknown:
            raise TypeError(f"{self.what} {name!r}: unknown function(s) {unknown}; "
                            f"expected some of {list(self.defaults)}")
        chosen = {h: (functions.get(h) if functions.get(h) is not None else fn)
                  for h, fn in self.defaults.items()}
        for hook, fn in chosen.items():
            if not isinstance(fn, CPUDispatcher):
                raise TypeError(
                    f"{self.what} {name!r}: {hook} must be a numba-compiled function (decorate it "
                    f"with @numba.njit), got {type(fn).__name__} {getattr(fn, '__name__', fn)!r}")
        rule = Rule(name, tuple(chosen.items()))
        if self.check is not None:
            self.check(name, rule)
        self._rules[name] = rule
        return rule

    def remove(self, name: str) -> None:
        self._rules.pop(name, None)

    def get(self, name: str) -> Rule:
        try:
            return self._rules[name]
        except KeyError:
            raise KeyError(f"unknown {self.what} {name!r}; registered: {sorted(self._rules)} "
                           f"(register one with {self.register_with}, or load its module with "
                           f"--plugin)") from None

    def names(self) -> ty.List[str]:
        return list(self._rules)

    def from_key(self, key: ty.Any) -> ty.Optional[Rule]:
        """The rule a literal model key names for this part (None while ``key`` is not yet a
        literal: the caller then asks numba for one)."""
        from numba import types

        if not isinstance(key, types.StringLiteral):
            return None
        from lava_wta.model.key import part

        return self.get(part(key.literal_value, self.part))
