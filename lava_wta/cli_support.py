"""Pieces every ``lava-wta`` subcommand shares: the error policy of :mod:`lava_wta.errors`
(user errors as one ``lava-wta: error:`` line and an exit code per class), count
arguments, and keeping lava-nc importable."""
from __future__ import annotations

import functools
import sys
import typing as ty

from lava_wta.lava_runtime import keep_lava_importable


def user_errors() -> ty.Tuple[type, ...]:
    """Exceptions that mean bad input (a message for the user, not a traceback): the typed
    errors of :mod:`lava_wta.errors` and the plain ``ValueError``/``FileNotFoundError`` of
    modules that raise no typed error."""
    from lava_wta.errors import UserError

    return (UserError, ValueError, FileNotFoundError)


def count(minimum: int = 1) -> ty.Callable[[str], int]:
    """An argparse ``type``: an integer >= ``minimum`` (the error states the limit)."""
    import argparse

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    parse.__name__ = "count"
    return parse


def guarded(fn: ty.Callable = None, *, extra_errors: ty.Callable[[], tuple] = tuple,
            lava: bool = False):
    """Decorate a subcommand handler ``handler(args) -> int``: every exception is reported
    by the policy of :func:`lava_wta.errors.report` (a user error, and those of
    ``extra_errors()``, as one ``lava-wta: error: ...`` line and its class's exit code;
    anything else as a bug, with its traceback); with ``lava``, Lava's runtime is
    imported first."""
    from lava_wta.errors import EXIT_USAGE, report

    def wrap(handler):
        @functools.wraps(handler)
        def run(args) -> int:
            try:
                if lava:
                    keep_lava_importable()
                return handler(args)
            except tuple(extra_errors()) as exc:
                code = getattr(exc, "exit_code", None)
                print(f"lava-wta: error: {exc}", file=sys.stderr)
                return code if isinstance(code, int) else EXIT_USAGE
            except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the policy sorts them
                return report(exc)
        return run
    return wrap(fn) if fn is not None else wrap
