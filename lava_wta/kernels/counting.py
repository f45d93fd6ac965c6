"""A compiled loop of :func:`lava_wta.kernels.network.step` that also totals each neuron's
spikes: the inner loop of the asynchronous fused Lava model
(:class:`lava_wta.models.fused_async.PyWTANetworkAsyncModel`).

It lives in its own module so that editing it does not invalidate the numba cache of
:mod:`lava_wta.kernels.network` (numba keys a cache on the source file of the function).
"""
from __future__ import annotations

from numba import njit

from lava_wta.kernels.network import C_SCALE_DUE, NO_REFCOUNT, step


@njit(**NO_REFCOUNT)
def run_steps_counting(S, P, traces, images, counts_out, n_steps, exc_total, inh_total, key):
    """Step ``n_steps`` times, adding every step's excitatory and inhibitory spikes to
    ``exc_total`` / ``inh_total`` (what the synchronous fused model does after each
    ``step``), or stop after the step at which a registered Python scaling rule is due
    (``C[C_SCALE_DUE]``: the caller applies it). Returns the number of steps simulated."""
    n = exc_total.shape[0]
    for k in range(n_steps):
        step(S, P, traces, images, counts_out, key)
        for j in range(n):
            exc_total[j] += S.spikes[j]
            inh_total[j] += S.inh_spikes[j]
        if S.C[C_SCALE_DUE]:
            return k + 1
    return n_steps
