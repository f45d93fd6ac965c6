"""Pieces every ``lava-wta`` subcommand shares: user errors reported as ``lava-wta: error:``
with exit code 2, and keeping lava-nc importable."""
from __future__ import annotations

import functools
import sys
import typing as ty

from lava_wta.lava_runtime import keep_lava_importable


def user_errors() -> ty.Tuple[type, ...]:
    """Exceptions that mean bad input (a message for the user, not a traceback)."""
    from lava_wta.config import ConfigError
    from lava_wta.data import DataError

    return (ConfigError, DataError, ValueError, FileNotFoundError)


def guarded(fn: ty.Callable = None, *, extra_errors: ty.Callable[[], tuple] = tuple,
            lava: bool = False):
    """Decorate a subcommand handler ``handler(args) -> int``: user errors (and those of
    ``extra_errors()``) print ``lava-wta: error: ...`` and return 2; with ``lava``, Lava's
    runtime is imported first."""
    def wrap(handler):
        @functools.wraps(handler)
        def run(args) -> int:
            if lava:
                keep_lava_importable()
            try:
                return handler(args)
            except user_errors() + tuple(extra_errors()) as exc:
                print(f"lava-wta: error: {exc}", file=sys.stderr)
                return 2
        return run
    return wrap(fn) if fn is not None else wrap
