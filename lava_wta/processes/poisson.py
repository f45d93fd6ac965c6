"""Poisson rate coding of a sequence of images, with Diehl & Cook's adaptive intensity."""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_wta.config import InputConfig


class PoissonImageInput(AbstractProcess):
    """Presents images one after another as Poisson spike trains.

    During the first ``presentation_steps`` of each period, pixel ``i`` of the current
    image spikes independently with probability ``rate_i * dt`` per step, where
    ``rate_i = pixel_i * (pixel_rate_hz + retry * retry_pixel_rate_hz)`` (pixel values
    0..255). The rest of the period is silent.

    The responding population's spikes come back on ``s_in_response``. At the end of a
    period, if they number fewer than ``min_spikes``, the same image is presented again
    with ``retry + 1`` (up to ``max_retries``); otherwise the response counts of that
    presentation are written to ``count_buffer[image_index % buffer_images]`` and the
    next image follows. All of this happens inside the model: moving to the next image
    or raising the intensity needs neither recompilation nor host-side ``set``.
    After the last image the process stays silent. ``image_index`` can be ``set``
    between runs to jump to any image.

    Parameters
    ----------
    images : ndarray (n_images, n_pixels)
        Pixel values in 0..255.
    n_response : int
        Size of the responding population (0: no feedback, every presentation accepted).
    input : InputConfig
        Rates and the adaptive-intensity rule.
    dt_ms, presentation_steps, period_steps : float, int, int
        Clock (ms) and protocol (steps).
    seed : int
        Seed of the spike streams: presentation (image, retry) draws its raster with
        :func:`lava_wta.kernels.poisson.presentation_raster` keyed by ``(seed, image, retry)``.
    buffer_images : int
        Rows of the count ring buffer that the host reads between runs.
    start_image, start_retry, start_presentations : int
        Where to start (to resume an interrupted run).

    Vars
    ----
    images, image_index, retry, count_buffer, current_count, presentations,
    total_retries, capped (images accepted only because max_retries was reached),
    pixel_rate_hz, retry_pixel_rate_hz, min_spikes, max_retries.
    """

    def __init__(self, *, images: np.ndarray, n_response: int = 0,
                 input: InputConfig = InputConfig(), dt_ms: float = 0.5,
                 presentation_steps: int = 300, period_steps: ty.Optional[int] = None,
                 seed: int = 0, buffer_images: int = 64, start_image: int = 0,
                 start_retry: int = 0, start_presentations: int = 0,
                 name: ty.Optional[str] = None, log_config: ty.Optional[LogConfig] = None,
                 **kwargs) -> None:
        images = np.asarray(images, dtype=float)
        if images.ndim != 2:
            raise ValueError(f"PoissonImageInput images: expected (n_images, n_pixels), got shape {images.shape}")
        if images.size and (images.min() < 0 or images.max() > 255):
            raise ValueError(
                f"PoissonImageInput images: expected pixel values in 0..255, got "
                f"[{images.min()}, {images.max()}]")
        period_steps = presentation_steps if period_steps is None else period_steps
        if period_steps < presentation_steps or presentation_steps <= 0:
            raise ValueError(f"PoissonImageInput: need 0 < presentation_steps ({presentation_steps}) "
                             f"<= period_steps ({period_steps})")
        super().__init__(dt_ms=dt_ms, presentation_steps=presentation_steps,
                         period_steps=period_steps, seed=seed, name=name,
                         log_config=log_config, **kwargs)
        n_images, n_pixels = images.shape
        self.s_out = OutPort(shape=(n_pixels,))
        self.s_in_response = InPort(shape=(max(n_response, 1),))
        self.images = Var(shape=images.shape, init=images)
        self.image_index = Var(shape=(1,), init=start_image)
        self.retry = Var(shape=(1,), init=start_retry)
        self.pixel_rate_hz = Var(shape=(1,), init=input.pixel_rate_hz)
        self.retry_pixel_rate_hz = Var(shape=(1,), init=input.retry_pixel_rate_hz)
        self.min_spikes = Var(shape=(1,), init=input.min_spikes if n_response else 0)
        self.max_retries = Var(shape=(1,), init=input.max_retries)
        self.current_count = Var(shape=(max(n_response, 1),), init=0)
        self.count_buffer = Var(shape=(buffer_images, max(n_response, 1)), init=0)
        self.presentations = Var(shape=(1,), init=start_presentations)
        self.total_retries = Var(shape=(1,), init=0)
        self.capped = Var(shape=(1,), init=0)
