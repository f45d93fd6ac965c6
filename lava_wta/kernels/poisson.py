"""Poisson input spikes of one presentation, drawn from a counter-based random stream.

Pixel ``i`` spikes in each step independently with probability
``p_i = pixel_i * gain_hz * dt_s`` (a Bernoulli process, the discrete-time Poisson
process). Instead of one uniform number per pixel per step (784 x 300 draws per image),
the gaps between spikes are drawn directly: the number of silent steps before the next
spike is geometric with parameter ``p_i``, ``floor(log(u) / log(1 - p_i))``. The spike
trains have exactly the same distribution, and only about one draw per spike is needed.

Random numbers come from SplitMix64 (Steele, Lea & Flood 2014) keyed by
``(seed, image, retry, pixel)``: the stream of a pixel in a presentation depends on
nothing else, so any execution (the Lava graph, the fused model, the engine, a resumed
run, a parallel batch) reproduces it exactly.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64's output function: a bijective 64-bit mixer."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def presentation_key(seed, image, retry):
    """64-bit key of the presentation ``(seed, image, retry)``."""
    k = mix64(np.uint64(seed) + _GOLDEN)
    k = mix64(k ^ (np.uint64(image) + _GOLDEN))
    return mix64(k ^ (np.uint64(retry) * _GOLDEN + _M1))


@njit(cache=True, inline="always")
def uniform_open(key, counter):
    """The ``counter``-th number of stream ``key``, uniform in the open interval (0, 1)."""
    z = mix64(key + np.uint64(counter + 1) * _GOLDEN)
    return (float(z >> _S11) + 0.5) * _TWO_M53


@njit(cache=True)
def presentation_raster(image, gain_hz, dt_s, n_steps, seed, image_index, retry,
                        ptr, pix, tmp_step, tmp_pix):
    """Draw the input spikes of one presentation.

    Parameters
    ----------
    image : float64 or uint8 (n_in,)
        Pixel values (0..255).
    gain_hz : float
        Rate per unit of pixel value (Hz), ``pixel_rate_hz + retry * retry_pixel_rate_hz``.
    dt_s : float
        Time step (s).
    n_steps : int
        Steps with input.
    ptr : int64 (>= n_steps + 1,), out
        ``pix[ptr[t]:ptr[t + 1]]`` are the pixels spiking in step ``t`` (ascending).
    pix, tmp_step, tmp_pix : int64 (>= n_in * n_steps,), out / scratch

    Returns the number of spikes.
    """
    key = presentation_key(seed, image_index, retry)
    n_in = image.shape[0]
    m = 0
    for i in range(n_in):
        p = image[i] * gain_hz * dt_s
        if p <= 0.0:
            continue
        if p >= 1.0:
            for t in range(n_steps):
                tmp_step[m] = t
                tmp_pix[m] = i
                m += 1
            continue
        inv_log_q = 1.0 / math.log1p(-p)
        pkey = mix64(key ^ (np.uint64(i) * _M2 + _GOLDEN))
        t = -1
        c = 0
        while True:
            gap = math.floor(math.log(uniform_open(pkey, c)) * inv_log_q)
            c += 1
            if gap >= n_steps - t - 1:
                break
            t += 1 + int(gap)
            tmp_step[m] = t
            tmp_pix[m] = i
            m += 1
    # counting sort by step (stable: pixels stay ascending within a step)
    for t in range(n_steps + 1):
        ptr[t] = 0
    for k in range(m):
        ptr[tmp_step[k] + 1] += 1
    for t in range(n_steps):
        ptr[t + 1] += ptr[t]
    # use ptr[t] as the insertion cursor of step t, then shift back
    for k in range(m):
        t = tmp_step[k]
        pix[ptr[t]] = tmp_pix[k]
        ptr[t] += 1
    for t in range(n_steps, 0, -1):
        ptr[t] = ptr[t - 1]
    ptr[0] = 0
    return m


def raster_buffers(n_in: int, n_steps: int):
    """Preallocated ``(ptr, pix, tmp_step, tmp_pix)`` for :func:`presentation_raster`."""
    cap = max(n_in * n_steps, 1)
    return (np.zeros(n_steps + 1, np.int64), np.zeros(cap, np.int64),
            np.zeros(cap, np.int64), np.zeros(cap, np.int64))


def dense_raster(image: np.ndarray, gain_hz: float, dt_ms: float, n_steps: int, seed: int,
                 image_index: int, retry: int) -> np.ndarray:
    """The raster of one presentation as a boolean ``(n_steps, n_in)`` array (tests, plots)."""
    image = np.ascontiguousarray(image, dtype=np.float64)
    bufs = raster_buffers(image.shape[0], n_steps)
    presentation_raster(image, float(gain_hz), dt_ms * 1e-3, n_steps, seed, image_index, retry, *bufs)
    ptr, pix = bufs[0], bufs[1]
    out = np.zeros((n_steps, image.shape[0]), dtype=bool)
    for t in range(n_steps):
        out[t, pix[ptr[t]:ptr[t + 1]]] = True
    return out
