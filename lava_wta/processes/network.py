"""The hierarchical winner-take-all network Process."""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.ports.ports import OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_wta.config import WTAConfig


class WTANetwork(AbstractProcess):
    """Diehl & Cook's network as one hierarchical Process.

    Its SubProcessModel (:class:`lava_wta.models.network.SubWTANetworkModel`) composes::

        PoissonImageInput --s_out--> PlasticDense --a_out--> excitatory (a_exc)
              ^                          ^ s_in_bap              |  s_out
              |                          +-----------------------+
              +---- s_in_response -------------------------------+
        excitatory --Dense(w_ei * identity)--> inhibitory (a_exc)
        inhibitory --Dense(w_ie * (1 - identity))--> excitatory (a_inh)

    Parameters
    ----------
    config : WTAConfig
        The model.
    images : ndarray (n_images, n_inputs)
        Pixel values 0..255, presented in order.
    weights : ndarray (n_neurons, n_inputs)
        Input weights (row j: neuron j), e.g. from :func:`lava_wta.state.initial_weights`.
    theta : ndarray (n_neurons,), optional
        Adaptive thresholds (mV); defaults to the ``theta_init_mv`` of the selected
        excitatory model (``config.exc`` or ``config.cuba_exc``).
    learning : bool
        Train (STDP, scaling, theta adaptation) or run frozen.
    input_seed : int
        Seed of the Poisson spike stream.
    buffer_images : int
        Rows of the spike-count ring buffer (see :class:`PoissonImageInput`).
    start_image, start_retry, start_presentations : int
        Resume position of an interrupted run.
    scaling_bookkeeping : mapping, optional
        ``{"dirty": (n,) bool, "flags": (2,) int}``: which weight columns the next scaling
        must rescale, as a checkpoint of the engine or a fused model recorded it; the fused
        models resume from it so that a resumed run rescales exactly the columns an
        uninterrupted one would (the composed graph rescales every column and ignores it).

    Vars (aliases of the sub-processes' Vars)
    ----
    weights, theta, exc_spike_count, inh_spike_count, count_buffer, image_index, retry, presentations,
    total_retries, capped; and, kept by the fused models only, scale_dirty and scale_flags
    (the scaling bookkeeping above).

    Ports
    -----
    s_out : OutPort
        Spikes of the excitatory layer, for monitors or downstream processes.
    """

    def __init__(self, *, config: WTAConfig, images: np.ndarray, weights: np.ndarray,
                 theta: ty.Optional[np.ndarray] = None, learning: bool = True,
                 input_seed: int = 0, buffer_images: int = 64, start_image: int = 0,
                 start_retry: int = 0, start_presentations: int = 0,
                 scaling_bookkeeping: ty.Optional[ty.Mapping[str, np.ndarray]] = None,
                 name: ty.Optional[str] = None, log_config: ty.Optional[LogConfig] = None) -> None:
        n, n_in = config.network.n_neurons, config.network.n_inputs
        images = np.asarray(images)
        if images.ndim != 2:
            raise ValueError(f"WTANetwork images: expected (n_images, n_pixels), got shape {images.shape}")
        config.check_image_size(images.shape[1], source="image array")
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (n, n_in):
            raise ValueError(f"WTANetwork weights: expected shape {(n, n_in)}, got {weights.shape}")
        theta = np.full(n, config.exc_params.theta_init_mv) if theta is None else np.asarray(theta, float)
        if theta.shape != (n,):
            raise ValueError(f"WTANetwork theta: expected shape {(n,)}, got {theta.shape}")
        super().__init__(config=config, images=images, weights=weights, theta=theta,
                         learning=learning, input_seed=input_seed, buffer_images=buffer_images,
                         start_image=start_image, start_retry=start_retry,
                         start_presentations=start_presentations,
                         scaling_bookkeeping=scaling_bookkeeping, name=name, log_config=log_config)
        self.s_out = OutPort(shape=(n,))
        self.weights = Var(shape=(n, n_in), init=weights)
        self.theta = Var(shape=(n,), init=theta)
        self.exc_spike_count = Var(shape=(n,), init=0)
        self.inh_spike_count = Var(shape=(n,), init=0)
        self.count_buffer = Var(shape=(buffer_images, n), init=0)
        self.image_index = Var(shape=(1,), init=start_image)
        self.retry = Var(shape=(1,), init=start_retry)
        self.presentations = Var(shape=(1,), init=start_presentations)
        self.total_retries = Var(shape=(1,), init=0)
        self.capped = Var(shape=(1,), init=0)
        book = scaling_bookkeeping or {}
        self.scale_dirty = Var(shape=(n,), init=np.asarray(book.get("dirty", np.ones(n)), dtype=bool))
        self.scale_flags = Var(shape=(2,), init=np.asarray(book.get("flags", np.ones(2)), dtype=int))
