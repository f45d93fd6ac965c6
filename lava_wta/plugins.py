"""Loading a user's module of rules (``--plugin``, a sweep's ``imports:``).

A plugin is an ordinary Python module that registers rules when imported (with
:func:`lava_wta.rules.register_stdp_rule` or :func:`lava_wta.rules.register_scaling_rule`).
It is named either as an importable module (``my_rules``, ``mypackage.rules``; the current
folder is searched too) or as a path to a ``.py`` file.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import typing as ty
from pathlib import Path

from lava_wta.config import ConfigError

__all__ = ["PluginError", "load_plugin", "load_plugins", "resolve_plugin"]


class PluginError(ConfigError):
    """A plugin could not be found or failed while being imported."""


_LOADED: ty.Dict[str, ty.Any] = {}


def resolve_plugin(spec: str) -> str:
    """``spec`` as it can be loaded from any folder: a ``.py`` path made absolute, a module
    name unchanged."""
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        return str(Path(spec).expanduser().resolve())
    return spec


def load_plugin(spec: str) -> ty.Any:
    """Import the plugin ``spec`` once (module name or ``.py`` path); returns the module."""
    if not isinstance(spec, str) or not spec.strip():
        raise PluginError(f"plugin: expected a module name or a .py path, got {spec!r}")
    spec = resolve_plugin(spec.strip())
    if spec in _LOADED:
        return _LOADED[spec]
    try:
        if spec.endswith(".py") or Path(spec).is_absolute():
            path = Path(spec)
            if not path.is_file():
                raise PluginError(f"plugin {spec}: expected a Python file, found none")
            name = f"lava_wta_plugin_{path.stem}"
            module_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
        else:
            if "" not in sys.path and str(Path.cwd()) not in sys.path:
                sys.path.append(str(Path.cwd()))
            try:
                module = importlib.import_module(spec)
            except ModuleNotFoundError as exc:
                if exc.name and spec.startswith(exc.name):
                    raise PluginError(f"plugin {spec!r}: no module of that name on the Python path "
                                      f"or in {Path.cwd()} (give a .py path instead?)") from None
                raise
    except PluginError:
        raise
    except Exception as exc:   # the user's module failed: say which, keep the cause
        raise PluginError(f"plugin {spec!r} failed while being imported: "
                          f"{type(exc).__name__}: {exc}") from exc
    _LOADED[spec] = module
    return module


def load_plugins(specs: ty.Iterable[str]) -> None:
    for spec in specs:
        load_plugin(spec)
