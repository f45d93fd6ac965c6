"""The deployment backends: the trained network as it leaves lava-wta, run frozen.

* ``nir`` — the network exported as a NIR graph, written in NIR's HDF5 form and read back
  (so the pass sees exactly what a ``.nir`` file carries), imported into lava-nc
  (:func:`lava_wta.nir.importer.import_nir`) and driven by lava-wta's input process
  (:func:`lava_wta.nir.present.present_imported`);
* ``loihi-fixed`` — the same graph quantised to Loihi 2 fixed point
  (:func:`lava_wta.loihi.quantize.quantize`) in lava-nc's bit-accurate models;
* ``loihi-emulator`` — the same quantised network computed by
  :func:`lava_wta.loihi.emulate.emulate_fixed` (equal to ``loihi-fixed`` image for image).

All three run the current-based model (the form NIR's CubaLIF expresses), do not learn
and do not checkpoint; :class:`lava_wta.backends.Backend` refuses those requests before
a pass starts. Each result carries the state it was given (frozen: unchanged).
"""
from __future__ import annotations

import dataclasses
import typing as ty

import numpy as np

from lava_wta.backends import Backend, BackendError, register_backend

NIR_NEURON_MODELS = ("current",)
"""The neuron models with a NIR form (:func:`lava_wta.nir.export.check_exportable`)."""


def nir_graph(config, state):
    """The network of ``config`` and ``state`` as NIR, after a trip through NIR's HDF5 form."""
    import io

    import nir

    from lava_wta.nir.export import to_nir_graph

    buffer = io.BytesIO()
    nir.write(buffer, to_nir_graph(state, config))
    buffer.seek(0)
    return nir.read(buffer)


def fixed_plan(config, state):
    """The network of ``config`` and ``state`` quantised with ``config.loihi``
    (a :class:`lava_wta.loihi.quantize.FixedPlan`)."""
    from lava_wta.loihi.quantize import quantize
    from lava_wta.nir.export import to_nir_graph
    from lava_wta.nir.importer import plan_nir

    return quantize(plan_nir(to_nir_graph(state, config)), config.loihi)


def _buffer(chunk_images: ty.Optional[int]) -> dict:
    return {"buffer_images": chunk_images} if chunk_images else {}


def _present_nir(config, images, state, *, learning, input_seed, on_progress=None, checkpoint=None,
                 models=None, chunk_images=None):
    from lava_wta.nir.importer import import_nir
    from lava_wta.nir.present import present_imported

    t = config.time
    net = import_nir(nir_graph(config, state), period_steps=t.period_steps,
                     reset_between=t.between_images == "reset")
    result = present_imported(config, np.asarray(images), net, input_seed=input_seed,
                              on_progress=on_progress, **_buffer(chunk_images))
    return dataclasses.replace(result, state=state)


def _present_loihi_fixed(config, images, state, *, learning, input_seed, on_progress=None,
                         checkpoint=None, models=None, chunk_images=None):
    from lava_wta.loihi.quantize import build_fixed
    from lava_wta.nir.present import present_imported

    t = config.time
    net = build_fixed(fixed_plan(config, state), period_steps=t.period_steps,
                      reset_between=t.between_images == "reset")
    result = present_imported(config, np.asarray(images), net, input_seed=input_seed,
                              select_tag="fixed_pt", on_progress=on_progress, **_buffer(chunk_images))
    return dataclasses.replace(result, state=state)


def _present_loihi_emulator(config, images, state, *, learning, input_seed, on_progress=None,
                            checkpoint=None, models=None, chunk_images=None):
    from lava_wta.loihi.emulate import emulate_fixed

    if chunk_images:
        raise BackendError(f"chunk_images: the 'loihi-emulator' backend presents all images in one "
                           f"call (got chunk_images={chunk_images}); the backends 'loihi-fixed' and "
                           f"'nir' return every chunk_images images")
    result = emulate_fixed(fixed_plan(config, state), config, np.asarray(images), input_seed=input_seed)
    if on_progress is not None:
        on_progress(len(result.counts), result.counts,
                    {"presentations": result.presentations, "retries": result.retries,
                     "capped": result.capped})
    return dataclasses.replace(result, state=state)


register_backend(Backend("nir", "the network exported to NIR and imported into lava-nc (LIF, Dense); "
                                "frozen, current-based model", _present_nir, learns=False,
                         checkpoint_every=None, neuron_models=NIR_NEURON_MODELS))
register_backend(Backend("loihi-fixed", "the network quantised to Loihi 2 fixed point, in lava-nc's "
                                        "bit-accurate models (about 1 ms per step); frozen, "
                                        "current-based model", _present_loihi_fixed, learns=False,
                         checkpoint_every=None, neuron_models=NIR_NEURON_MODELS, arithmetic="fixed"))
register_backend(Backend("loihi-emulator", "the same fixed-point integers in a compiled emulation "
                                           "(seconds instead of hours); frozen, current-based model",
                         _present_loihi_emulator, learns=False, checkpoint_every=None,
                         neuron_models=NIR_NEURON_MODELS, arithmetic="fixed"))
