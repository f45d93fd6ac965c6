"""Floating-point CPU ProcessModel of :class:`lava_wta.processes.PoissonImageInput`."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_wta.kernels.poisson import presentation_raster, raster_buffers
from lava_wta.model.protocol import CAPPED, RETRY, end_of_presentation, presentation_gain_hz
from lava_wta.processes.poisson import PoissonImageInput


@implements(proc=PoissonImageInput, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPoissonImageInputModel(PyLoihiProcessModel):
    """At the start of each presentation, draw its whole input raster with
    :func:`lava_wta.kernels.poisson.presentation_raster` (keyed by ``(seed, image_index,
    retry)``, the stream every lava-wta execution shares); per step, send that step's
    spikes and count the response; at the end of each period decide between a retry and
    the next image. ``image_index`` set between runs takes effect at the next
    presentation start."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, bool, precision=1)
    s_in_response: PyInPort = LavaPyType(PyInPort.VEC_DENSE, bool, precision=1)
    images: np.ndarray = LavaPyType(np.ndarray, float)
    image_index: np.ndarray = LavaPyType(np.ndarray, int)
    retry: np.ndarray = LavaPyType(np.ndarray, int)
    pixel_rate_hz: np.ndarray = LavaPyType(np.ndarray, float)
    retry_pixel_rate_hz: np.ndarray = LavaPyType(np.ndarray, float)
    min_spikes: np.ndarray = LavaPyType(np.ndarray, int)
    max_retries: np.ndarray = LavaPyType(np.ndarray, int)
    current_count: np.ndarray = LavaPyType(np.ndarray, int)
    count_buffer: np.ndarray = LavaPyType(np.ndarray, int)
    presentations: np.ndarray = LavaPyType(np.ndarray, int)
    total_retries: np.ndarray = LavaPyType(np.ndarray, int)
    capped: np.ndarray = LavaPyType(np.ndarray, int)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.seed = proc_params["seed"]
        self.dt = proc_params["dt_ms"]
        self.presentation_steps = proc_params["presentation_steps"]
        self.period_steps = proc_params["period_steps"]
        self._raster = None

    def current_gain_hz(self) -> float:
        """Rate per unit of pixel value of the current presentation (Hz)."""
        return float(presentation_gain_hz(float(self.pixel_rate_hz[0]),
                                          float(self.retry_pixel_rate_hz[0]), int(self.retry[0])))

    def draw_raster(self) -> None:
        """Input spikes of the presentation ``(image_index, retry)`` that starts now."""
        if self._raster is None:
            self._raster = raster_buffers(self.images.shape[1], self.presentation_steps)
        image = np.ascontiguousarray(self.images[self.image_index[0]], dtype=np.float64)
        presentation_raster(image, self.current_gain_hz(), self.dt * 1e-3, self.presentation_steps,
                            self.seed, int(self.image_index[0]), int(self.retry[0]), *self._raster)

    def run_spk(self) -> None:
        local = (self.time_step - 1) % self.period_steps
        active = self.image_index[0] < self.images.shape[0]
        presenting = active and local < self.presentation_steps
        if presenting and local == 0:
            # Spikes depend only on (seed, image, retry), so an interrupted run resumes
            # exactly and the fused model and the engine reproduce them.
            self.draw_raster()
        spikes = np.zeros(self.images.shape[1], dtype=bool)
        if presenting:
            ptr, pix = self._raster[0], self._raster[1]
            spikes[pix[ptr[local]:ptr[local + 1]]] = True
        self.s_out.send(spikes)
        response = self.s_in_response.recv()
        if presenting:
            self.current_count += response.astype(int)
        if active and local == self.period_steps - 1:
            self.end_presentation()

    def end_presentation(self) -> None:
        """Adaptive intensity (:func:`lava_wta.model.protocol.end_of_presentation`): retry a
        weak presentation, else record it and move on."""
        decision = end_of_presentation(int(self.current_count.sum()), int(self.retry[0]),
                                       int(self.min_spikes[0]), int(self.max_retries[0]))
        if decision == RETRY:
            self.retry[0] += 1
            self.total_retries[0] += 1
        else:
            if decision == CAPPED:
                self.capped[0] += 1
            self.count_buffer[self.image_index[0] % self.count_buffer.shape[0]] = self.current_count
            self.image_index[0] += 1
            self.retry[0] = 0
        self.presentations[0] += 1
        self.current_count[:] = 0
