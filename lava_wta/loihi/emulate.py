"""A fast emulation (numba) of a quantised network's Loihi fixed-point run.

:func:`lava_wta.loihi.report.loihi_report` runs the quantised network in Lava with lava-nc's
bit-accurate models, about a millisecond per step: hours for 2,000 MNIST images at 400
neurons. This module computes the same integers without Lava's runtime, in seconds, so
quantisation choices can be compared at scale; ``tests/test_loihi_emulate.py`` checks that
its spike counts equal the Lava run's, image for image.

Per step ``t``, mirroring the Lava processes of :func:`lava_wta.loihi.quantize.build_fixed`
driven by :func:`lava_wta.nir.present.present_imported`:

1. the input raster of the presentation ``(seed, image, retry)`` (lava-wta's stream);
2. every neuron population: ``a_in`` = the activations its Dense connections buffered in
   step ``t - 1`` (zero in the first step of a period after a reset), then lava-nc's
   ``AbstractPyLifModelFixed`` update: ``u = trunc(u (4096 - du - 1) / 4096) + (a_in << 6)``
   wrapped once into 24 bits, ``v = trunc(v (4096 - dv) / 4096) + u`` clipped to 24 bits,
   spike if ``v > vth << 6``, then ``v = v_reset << 6``;
3. every Dense connection (lava-nc ``PyDenseModelBitAcc``): the sum of the 8-bit weights of
   its sources' spikes of step ``t``, shifted by ``weight_exp`` (left, or arithmetic right
   for a negative exponent), delivered in step ``t + 1``;
4. the output population's spikes of presentation steps are counted; at the end of a
   period ``u`` and ``v`` return to 0 (``reset`` mode) and the input process decides
   between a retry and the next image (``min_spikes``, ``max_retries``).

In ``reset`` mode every image is an independent simulation, so images run in parallel.
"""
from __future__ import annotations

import time

import numba
import numpy as np
from numba import njit, prange
from numba.typed import List

from lava_wta.config import WTAConfig
from lava_wta.kernels.poisson import presentation_raster
from lava_wta.model.protocol import CAPPED, RETRY, end_of_presentation, presentation_gain_hz
from lava_wta.presentation import PresentationResult, new_counts

_MAX_UV = 1 << 23


@njit(cache=True, inline="always", error_model="numpy")
def _decay(x, keep):
    """lava-nc: ``sign(x * keep) * (|x * keep| >> 12)`` (truncation towards zero)."""
    y = x * keep
    return (y >> 12) if y >= 0 else -((-y) >> 12)


@njit(cache=True, error_model="numpy")
def _run_images(lo, hi, images, gain0, gain_retry, dt_s, present, period, seed, min_spikes,
                max_retries, reset, weights, exps, srcs, dsts, sizes, du, dv, vth, v_reset,
                out_pop, counts_out, stats_out):
    """Images ``lo..hi-1`` from a network at rest; ``counts_out[k]`` and
    ``stats_out[k] = (presentations, retries, capped, steps)`` for each image ``k``."""
    n_pop = sizes.shape[0]          # population 0 is the input
    n_max = 0
    for p in range(n_pop):
        n_max = max(n_max, sizes[p])
    n_in = sizes[0]
    cap = max(n_in * present, 1)
    ptr = np.zeros(present + 1, np.int64)
    pix = np.zeros(cap, np.int64)
    tmp_step = np.zeros(cap, np.int64)
    tmp_pix = np.zeros(cap, np.int64)
    u = np.zeros((n_pop, n_max), np.int64)
    v = np.zeros((n_pop, n_max), np.int64)
    spikes = np.zeros((n_pop, n_max), np.bool_)
    a_in = np.zeros((n_pop, n_max), np.int64)
    n_conn = len(weights)
    buf = np.zeros((n_conn, n_max), np.int64)
    n_out = sizes[out_pop]
    count = np.zeros(n_out, np.int64)
    t = 0
    for k in range(lo, hi):
        retry = 0
        p0, r0, c0, t0 = 0, 0, 0, t
        while True:
            local = t % period
            presenting = local < present
            for p in range(n_pop):
                for j in range(sizes[p]):
                    spikes[p, j] = False
            if presenting:
                if local == 0:
                    presentation_raster(images[k], presentation_gain_hz(gain0, gain_retry, retry),
                                        dt_s, present, seed, k, retry, ptr, pix, tmp_step, tmp_pix)
                for q in range(ptr[local], ptr[local + 1]):
                    spikes[0, pix[q]] = True
            drop = reset and t > 0 and local == 0
            for p in range(1, n_pop):
                for j in range(sizes[p]):
                    a_in[p, j] = 0
            if not drop:
                for c in range(n_conn):
                    d = dsts[c]
                    for j in range(sizes[d]):
                        a_in[d, j] += buf[c, j]
            for p in range(1, n_pop):
                keep_u = 4096 - (du[p] + 1)
                keep_v = 4096 - dv[p]
                for j in range(sizes[p]):
                    x = _decay(u[p, j], keep_u) + (a_in[p, j] << 6)
                    w = x
                    if x > _MAX_UV:
                        w = x - 2 * _MAX_UV
                    if w <= -_MAX_UV:
                        w = x + 2 * _MAX_UV
                    u[p, j] = w
                    y = _decay(v[p, j], keep_v) + w
                    y = min(max(y, -_MAX_UV + 1), _MAX_UV - 1)
                    s = y > vth[p, j]
                    spikes[p, j] = s
                    v[p, j] = v_reset[p, j] if s else y
            for c in range(n_conn):
                W = weights[c]
                s_pop, e = srcs[c], exps[c]
                n_dst = sizes[dsts[c]]
                for j in range(n_dst):
                    buf[c, j] = 0
                for i in range(sizes[s_pop]):
                    if spikes[s_pop, i]:
                        for j in range(n_dst):
                            buf[c, j] += W[j, i]
                for j in range(n_dst):
                    buf[c, j] = (buf[c, j] << e) if e > 0 else (buf[c, j] >> (-e))
            if presenting:
                for j in range(n_out):
                    count[j] += spikes[out_pop, j]
            t += 1
            if local == period - 1:
                if reset:
                    for p in range(n_pop):
                        for j in range(sizes[p]):
                            u[p, j] = 0
                            v[p, j] = 0
                p0 += 1
                total = 0
                for j in range(n_out):
                    total += count[j]
                decision = end_of_presentation(total, retry, min_spikes, max_retries)
                done = decision != RETRY
                if not done:
                    retry += 1
                    r0 += 1
                else:
                    if decision == CAPPED:
                        c0 += 1
                    for j in range(n_out):
                        counts_out[k, j] = count[j]
                for j in range(n_out):
                    count[j] = 0
                if done:
                    break
        stats_out[k, 0], stats_out[k, 1], stats_out[k, 2], stats_out[k, 3] = p0, r0, c0, t - t0


@njit(cache=True, parallel=True, error_model="numpy")
def _run_parallel(n_chunks, images, gain0, gain_retry, dt_s, present, period, seed, min_spikes,
                  max_retries, weights, exps, srcs, dsts, sizes, du, dv, vth, v_reset, out_pop,
                  counts_out, stats_out):
    total = images.shape[0]
    for c in prange(n_chunks):
        a = (total * c) // n_chunks
        b = (total * (c + 1)) // n_chunks
        if a < b:
            _run_images(a, b, images, gain0, gain_retry, dt_s, present, period, seed, min_spikes,
                        max_retries, True, weights, exps, srcs, dsts, sizes, du, dv, vth, v_reset,
                        out_pop, counts_out, stats_out)


def emulate_fixed(fixed, config: WTAConfig, images: np.ndarray, *, input_seed: int,
                  input_name: str = "input", output_name: str = "output") -> PresentationResult:
    """Present ``images`` to the quantised network ``fixed``
    (:class:`lava_wta.loihi.quantize.FixedPlan`) as :func:`lava_wta.nir.present.present_imported`
    does with ``select_tag="fixed_pt"``, and return the same counts and statistics (the
    result's ``state`` is None: the network is given as a plan; the ``loihi-emulator``
    backend of :mod:`lava_wta.backends` runs it from a state)."""
    if set(fixed.inputs) != {input_name} or output_name not in fixed.outputs:
        raise ValueError(f"emulate_fixed: expected one Input node {input_name!r} and an Output "
                         f"{output_name!r}, got inputs {sorted(fixed.inputs)}, outputs {sorted(fixed.outputs)}")
    names = [input_name] + sorted(fixed.neurons)
    index = {name: k for k, name in enumerate(names)}
    shift = fixed.loihi.threshold_shift
    sizes = np.array([int(np.prod(fixed.inputs[input_name]))] + [fixed.neurons[m].vth.size
                                                                 for m in names[1:]], np.int64)
    n_max = int(sizes.max())
    du, dv = np.zeros(len(names), np.int64), np.zeros(len(names), np.int64)
    vth = np.zeros((len(names), n_max), np.int64)
    v_reset = np.zeros((len(names), n_max), np.int64)
    for m in names[1:]:
        fn, p = fixed.neurons[m], index[m]
        du[p], dv[p] = fn.du, fn.dv
        vth[p, :fn.vth.size] = fn.vth.astype(np.int64) << shift
        v_reset[p, :fn.vth.size] = fn.v_reset.astype(np.int64) << shift
    weights = List()
    exps, srcs, dsts = [], [], []
    for c in fixed.connections:
        if c.src not in index or c.dst not in index:
            raise ValueError(f"emulate_fixed: connection {c.src!r} -> {c.dst!r} names an unknown node")
        w = np.ascontiguousarray(c.weights, dtype=np.int64)
        # lava-nc clips to the sign mode's 8-bit range; the quantiser's weights are within it
        if np.abs(w).max(initial=0) > 2 ** fixed.loihi.weight_bits - 1:
            raise ValueError(f"emulate_fixed: {c.src}->{c.dst} has weights beyond "
                             f"{fixed.loihi.weight_bits} bits")
        weights.append(w)
        exps.append(c.weight_exp)
        srcs.append(index[c.src])
        dsts.append(index[c.dst])
    out_pop = index[fixed.outputs[output_name]]
    x = np.ascontiguousarray(images, dtype=np.float64)
    T, I = config.time, config.input
    counts = new_counts(len(x), int(sizes[out_pop]), T.period_steps)
    stats = np.zeros((len(x), 4), np.int64)
    args = (x, I.pixel_rate_hz, I.retry_pixel_rate_hz, T.dt_ms * 1e-3, T.presentation_steps,
            T.period_steps, input_seed, I.min_spikes, I.max_retries)
    conn = (weights, np.array(exps, np.int64), np.array(srcs, np.int64), np.array(dsts, np.int64),
            sizes, du, dv, vth, v_reset, out_pop, counts, stats)
    t0 = time.perf_counter()
    if len(x) == 0:
        pass
    elif T.between_images == "reset":
        from lava_wta.lava_runtime import keep_lava_importable

        keep_lava_importable()     # numba's threads would fix the start method first
        _run_parallel(min(4 * numba.get_num_threads(), len(x)), *args, *conn)
    else:
        _run_images(0, len(x), *args, False, *conn)
    s = stats.sum(axis=0)
    return PresentationResult(counts=counts, state=None, presentations=int(s[0]), retries=int(s[1]),
                              capped=int(s[2]), steps=int(s[3]), seconds=time.perf_counter() - t0)
