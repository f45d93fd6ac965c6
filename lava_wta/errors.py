"""The error policy of lava-wta: typed errors for bad input, and how the command reports them.

Every error a user can cause by what they pass (a flag, a configuration file, a data
file, a run folder) is one of the classes below. Each derives from ``ValueError`` (so
code that catches ``ValueError`` keeps working) and from :class:`UserError`, whose
message names the file or field, what was expected and what was found.

The ``lava-wta`` command prints such an error as one line, ``lava-wta: error: ...``,
and exits with the code of its class (see :data:`EXIT_CODES` and ``docs/ERRORS.md``).
Any other exception is a bug: the command prints its traceback and a line saying so,
and exits with :data:`EXIT_BUG`.
"""
from __future__ import annotations

import sys
import traceback
import typing as ty


class UserError(ValueError):
    """Bad input from the user; the message names the file or field, what was expected and
    what was found."""

    exit_code: ty.ClassVar[int] = 2


class ConfigError(UserError):
    """A configuration value, command-line count or sweep specification is invalid."""

    exit_code = 2


class DataError(UserError):
    """A data file is missing, corrupt, truncated or inconsistent. The message names it."""

    exit_code = 3


class RunFolderError(UserError):
    """A run folder cannot be used: damaged or foreign files, a lock held by another
    process, a path that is not a writable folder."""

    exit_code = 4


class BackendError(UserError):
    """A backend cannot do what was asked (an option or model it does not support)."""

    exit_code = 5


EXIT_OK = 0
EXIT_USAGE = 2
"""Command-line usage (argparse) and configuration errors, a path that does not exist,
and the plain ``ValueError``\\ s of modules that raise no typed error."""
EXIT_OS = 6
"""The operating system refused a file operation (no space, permission, not a folder)."""
EXIT_MEMORY = 7
"""The machine ran out of memory despite the size checks."""
EXIT_BUG = 70
"""An unexpected exception: a bug in lava-wta (``EX_SOFTWARE`` of sysexits.h)."""
EXIT_INTERRUPTED = 130

EXIT_CODES: ty.Dict[str, int] = {
    "ConfigError": ConfigError.exit_code,
    "DataError": DataError.exit_code,
    "RunFolderError": RunFolderError.exit_code,
    "BackendError": BackendError.exit_code,
    "OSError": EXIT_OS,
    "MemoryError": EXIT_MEMORY,
    "bug": EXIT_BUG,
    "interrupted": EXIT_INTERRUPTED,
}
"""The exit code of each kind of failure (0: success)."""


def report(exc: BaseException, prog: str = "lava-wta", stream: ty.Optional[ty.TextIO] = None) -> int:
    """Print ``exc`` following the policy above and return the exit code."""
    stream = stream or sys.stderr
    if isinstance(exc, KeyboardInterrupt):
        print(f"{prog}: interrupted", file=stream)
        return EXIT_INTERRUPTED
    if isinstance(exc, UserError):
        print(f"{prog}: error: {exc}", file=stream)
        return exc.exit_code
    if isinstance(exc, (ValueError, LookupError)) and not isinstance(exc, (KeyError, IndexError)):
        # untyped input errors of modules that do not raise the typed classes
        print(f"{prog}: error: {exc}", file=stream)
        return EXIT_USAGE
    if isinstance(exc, FileNotFoundError):
        # a path the user named does not exist
        print(f"{prog}: error: {exc.filename + ': not found' if exc.filename else exc}", file=stream)
        return EXIT_USAGE
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else "file operation"
        what = exc.strerror or str(exc)
        print(f"{prog}: error: {name}: {what}", file=stream)
        return EXIT_OS
    if isinstance(exc, MemoryError):
        print(f"{prog}: error: out of memory ({exc or 'no detail'}); use fewer neurons or images",
              file=stream)
        return EXIT_MEMORY
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=stream)
    print(f"{prog}: internal error: {type(exc).__name__} is a bug in lava-wta, not a problem with "
          f"your input; please report it with the traceback above", file=stream)
    return EXIT_BUG


def guard(fn: ty.Callable[..., int], *args, prog: str = "lava-wta", **kwargs) -> int:
    """Call ``fn(*args, **kwargs)``; report any exception with :func:`report`."""
    try:
        return fn(*args, **kwargs)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the policy sorts them
        return report(exc, prog)


def check_count(name: str, value: ty.Any, *, minimum: int = 1,
                maximum: ty.Optional[int] = None, why: str = "") -> int:
    """``value`` as an int in ``[minimum, maximum]``, or a :class:`ConfigError` naming
    ``name``, the range (and ``why`` it has that limit) and the value found."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            import numpy as np

            ok = isinstance(value, np.integer)
        except ImportError:  # pragma: no cover
            ok = False
        if not ok:
            raise ConfigError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
        value = int(value)
    hi = "" if maximum is None else f"..{maximum}"
    if value < minimum or (maximum is not None and value > maximum):
        rng = f"{minimum}{hi}" if maximum is not None else f">= {minimum}"
        raise ConfigError(f"{name}: expected an integer {'in ' if maximum is not None else ''}{rng}"
                          f"{' (' + why + ')' if why else ''}, got {value}")
    return value
