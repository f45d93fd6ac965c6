"""A compiled loop of :func:`lava_wta.kernels.network.step` that also totals each neuron's
spikes: the inner loop of the asynchronous fused Lava model
(:class:`lava_wta.models.fused_async.PyWTANetworkAsyncModel`).

It lives in its own module so that editing it does not invalidate the numba cache of
:mod:`lava_wta.kernels.network` (numba keys a cache on the source file of the function).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from lava_wta.kernels.network import C_SCALE_DUE, NO_REFCOUNT, step

FLUSH_STEPS = 255
"""Steps between two flushes of the byte-wide spike tallies into the totals: a neuron
spikes at most once per step, so a ``uint8`` tally cannot overflow in 255 steps."""


def tally_buffers(n: int) -> np.ndarray:
    """The ``(2, n)`` ``uint8`` scratch of :func:`run_steps_counting` (all zero)."""
    return np.zeros((2, n), dtype=np.uint8)


@njit(**NO_REFCOUNT)
def run_steps_counting(S, P, traces, images, counts_out, n_steps, exc_total, inh_total, tally, key):
    """Step ``n_steps`` times, adding every step's excitatory and inhibitory spikes to
    ``exc_total`` / ``inh_total`` (what the synchronous fused model does after each
    ``step``), or stop after the step at which a registered Python scaling rule is due
    (``C[C_SCALE_DUE]``: the caller applies it). Returns the number of steps simulated.

    Spikes are tallied per step in ``tally`` (``(2, n)`` uint8, zero on entry and on
    return; byte-wide adds are a few times cheaper than adds into the int64 totals) and
    flushed into the totals every :data:`FLUSH_STEPS` steps and on return: exact integer
    sums, the same totals."""
    n = exc_total.shape[0]
    exc_tally = tally[0]
    inh_tally = tally[1]
    since = 0
    done = n_steps
    for k in range(n_steps):
        step(S, P, traces, images, counts_out, key)
        spikes = S.spikes
        inh = S.inh_spikes
        for j in range(n):
            exc_tally[j] += spikes[j]
            inh_tally[j] += inh[j]
        since += 1
        if since == FLUSH_STEPS:
            _flush(exc_tally, inh_tally, exc_total, inh_total)
            since = 0
        if S.C[C_SCALE_DUE]:
            done = k + 1
            break
    _flush(exc_tally, inh_tally, exc_total, inh_total)
    return done


@njit(cache=True, inline="always")
def _flush(exc_tally, inh_tally, exc_total, inh_total):
    for j in range(exc_total.shape[0]):
        exc_total[j] += exc_tally[j]
        inh_total[j] += inh_tally[j]
        exc_tally[j] = 0
        inh_tally[j] = 0
