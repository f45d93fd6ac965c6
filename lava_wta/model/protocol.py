"""The presentation protocol's decisions, written once as small compiled functions.

An image is shown for ``presentation_ms`` as Poisson spike trains whose rate is
proportional to the pixel values (:mod:`lava_wta.kernels.poisson` draws them); the
network then rests (or is reset) until the period ends. If the excitatory layer fired
fewer than ``min_spikes`` spikes in a presentation, the same image is shown again with a
higher rate, up to ``max_retries`` times (Diehl & Cook's adaptive input intensity); the
last presentation counts either way. Every execution (the engine's step, the composed
graph's input process, the fixed-point emulator) asks these functions.
"""
from __future__ import annotations

from numba import njit

__all__ = ["ACCEPT", "RETRY", "CAPPED", "presentation_gain_hz", "end_of_presentation"]

ACCEPT = 0
"""The presentation had enough spikes: record it and move to the next image."""
RETRY = 1
"""Too few spikes and retries remain: show the image again at a higher rate."""
CAPPED = 2
"""Too few spikes and no retry left: record it anyway and move on."""


@njit(cache=True, inline="always", error_model="numpy")
def presentation_gain_hz(pixel_rate_hz, retry_pixel_rate_hz, retry):
    """Rate of a pixel of value 1 in presentation ``retry`` of an image (Hz per unit pixel
    value): the first presentation's rate plus ``retry_pixel_rate_hz`` per retry."""
    return pixel_rate_hz + retry * retry_pixel_rate_hz


@njit(cache=True, inline="always", error_model="numpy")
def end_of_presentation(total_spikes, retry, min_spikes, max_retries):
    """:data:`ACCEPT`, :data:`RETRY` or :data:`CAPPED` for a presentation whose excitatory
    layer fired ``total_spikes`` spikes, ``retry`` retries into its image."""
    if total_spikes >= min_spikes:
        return ACCEPT
    if retry < max_retries:
        return RETRY
    return CAPPED
