"""Living with lava-nc's runtime in one process.

lava-nc sets multiprocessing's start method to 'fork' when its runtime is first imported,
and fails if something fixed one before (numba's threading layer, tqdm's lock). Code that
may do either before a user runs Lava calls :func:`keep_lava_importable` first.
"""
from __future__ import annotations


def keep_lava_importable() -> None:
    """Import lava-nc's runtime now (it sets the 'fork' start method), unless a start
    method is already fixed."""
    import multiprocessing

    if multiprocessing.get_start_method(allow_none=True) is None:
        import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401  (sets 'fork')
