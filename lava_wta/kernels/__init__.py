"""Compiled numerics of the WTA network (numba), written once and shared.

* :mod:`lava_wta.kernels.poisson` — the Poisson input raster of one presentation, from a
  counter-based random stream keyed by ``(seed, image, retry)``; the composed Lava graph's
  input process, the fused ProcessModel and the standalone engine all draw from it, so all
  three see identical input spikes.
* :mod:`lava_wta.kernels.network` — one time step of the whole network (input delivery,
  excitatory and inhibitory neurons, the E→I→E loop, event-driven STDP, θ) and the
  presentation protocol (adaptive intensity, scaling, reset). Used by the fused
  ProcessModel (:mod:`lava_wta.models.fused`) one step per Lava time step, and by the
  engine (:mod:`lava_wta.engine`) many presentations per call.

No I/O and no Lava here: plain arrays in, arrays updated in place.
"""
