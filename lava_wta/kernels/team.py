"""Threads that step one network together: shared reductions behind a spin barrier.

One network's step can be split across threads by its neurons: every per-neuron array is
cut into contiguous column ranges, one per thread, and each thread runs the same compiled
step on its range (:func:`lava_wta.kernels.network.team_step`). Each neuron's arithmetic
is unchanged, so the split changes no number. What couples the ranges is a handful of
whole-network quantities per step (how many inhibitory neurons fired, which form of the
membrane update every neuron can use, the spike total at the end of a presentation):
the threads meet at a barrier to add them up, :func:`team_sum` and :func:`team_max`.

A team is a :class:`Team` tuple per thread. Its barrier is a generation counter per
thread in shared memory, written with release and read with acquire ordering (numba has
no atomics on the CPU, so :func:`_load_acquire` and :func:`_store_release` are LLVM
intrinsics). A thread waiting for the others spins, then gives its core away
(``sched_yield``) if they are slow to come: on a machine with more runnable threads than
cores, pure spinning would hold the core the awaited thread needs.

A single-threaded execution passes ``None`` for the team: :func:`team_sum` and
:func:`team_max` then compile to nothing and the step is the one every other execution
runs.
"""
from __future__ import annotations

import platform
import typing as ty

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

PAD = 8
"""int64 slots per thread in the shared arrays: one 64-byte cache line each, so a thread's
writes do not invalidate the line another thread spins on."""

SPIN_BEFORE_YIELD = 2000
"""Polls of a barrier before a waiting thread starts calling ``sched_yield`` between polls."""


class Team(ty.NamedTuple):
    """One thread's handle on its team (see the module docstring)."""

    tid: int             # this thread's index, 0 .. size - 1
    size: int            # threads in the team
    gen: np.ndarray      # (1,) int64, this thread's own: barriers passed so far
    flags: np.ndarray    # (size * PAD,) int64, shared: flags[t * PAD] = barriers thread t reached
    data: np.ndarray     # (2 * size * PAD,) int64, shared: each thread's value, by barrier parity


def new_team(size: int) -> ty.List[Team]:
    """Handles of a team of ``size`` threads (thread ``t`` uses element ``t``)."""
    if size < 1:
        raise ValueError(f"a team needs at least one thread, got {size}")
    flags = np.zeros(size * PAD, np.int64)
    data = np.zeros(2 * size * PAD, np.int64)
    return [Team(t, size, np.zeros(1, np.int64), flags, data) for t in range(size)]


def _element_pointer(context, builder, arrty, arr, index):
    ary = context.make_array(arrty)(context, builder, arr)
    return cgutils.get_item_pointer(context, builder, arrty, ary, [index], wraparound=False)


@intrinsic
def _load_acquire(typingctx, arr, index):
    """``arr[index]`` (1-d int64) read with acquire ordering."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64 and arr.ndim == 1):
        return None

    def codegen(context, builder, sig, args):
        idx = context.cast(builder, args[1], sig.args[1], types.intp)
        ptr = _element_pointer(context, builder, sig.args[0], args[0], idx)
        return builder.load_atomic(ptr, "acquire", 8)
    return types.int64(arr, index), codegen


@intrinsic
def _store_release(typingctx, arr, index, value):
    """``arr[index] = value`` (1-d int64) written with release ordering."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64 and arr.ndim == 1):
        return None

    def codegen(context, builder, sig, args):
        idx = context.cast(builder, args[1], sig.args[1], types.intp)
        ptr = _element_pointer(context, builder, sig.args[0], args[0], idx)
        val = context.cast(builder, args[2], sig.args[2], types.int64)
        builder.store_atomic(val, ptr, "release", 8)
        return context.get_dummy_value()
    return types.void(arr, index, value), codegen


_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "i386")


@intrinsic
def _cpu_relax(typingctx):
    """The spin-wait hint of x86 (``pause``); nothing elsewhere."""
    def codegen(context, builder, sig, args):
        if _X86:
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []),
                                                "llvm.x86.sse2.pause")
            builder.call(fn, [])
        return context.get_dummy_value()
    return types.void(), codegen


@intrinsic
def _sched_yield(typingctx):
    """libc's ``sched_yield()``: let another runnable thread have this core."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []),
                                            "sched_yield")
        builder.call(fn, [])
        return context.get_dummy_value()
    return types.void(), codegen


@njit(cache=True, error_model="numpy")
def _meet(tid, size, gen, flags, data, value, take_max):
    """Publish ``value``, wait for every thread of the team, return the sum (or the
    maximum, ``take_max``) of the values all threads published at this barrier.

    Values are double-buffered by barrier parity: a thread can publish barrier ``g + 2``
    only after every thread has reached ``g + 1``, i.e. after each has read ``g``."""
    g = gen[0] + 1
    gen[0] = g
    base = (g & 1) * size * PAD
    data[base + tid * PAD] = value
    _store_release(flags, tid * PAD, g)
    out = value
    for u in range(size):
        if u == tid:
            continue
        polls = 0
        while _load_acquire(flags, u * PAD) < g:
            polls += 1
            if polls > SPIN_BEFORE_YIELD:
                _sched_yield()
            else:
                _cpu_relax()
        v = data[base + u * PAD]
        if take_max:
            out = max(out, v)
        else:
            out += v
    return out


def team_sum(team, value):
    """The sum of ``value`` over the team's threads (compiled code only; ``value`` itself
    when ``team`` is None)."""
    raise NotImplementedError("team_sum is for compiled code")


def team_max(team, value):
    """The maximum of ``value`` over the team's threads (compiled code only; ``value``
    itself when ``team`` is None)."""
    raise NotImplementedError("team_max is for compiled code")


def _reduction(take_max):
    def typer(team, value):
        if isinstance(team, types.NoneType):
            return lambda team, value: value

        def impl(team, value):
            if team.size == 1:
                return value
            return _meet(team.tid, team.size, team.gen, team.flags, team.data, value, take_max)
        return impl
    return typer


overload(team_sum)(_reduction(False))
overload(team_max)(_reduction(True))
