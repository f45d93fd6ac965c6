"""The executions of one model, behind one interface: the backend registry.

Every backend presents images to a network given by a configuration and a state and
returns a :class:`lava_wta.presentation.PresentationResult` (spike counts of each image's
accepted presentation, the state after the pass, retries, steps, seconds), with the same
checkpoint and resume contract. The command line (``--backend``), sweeps (``backend:``),
the pipeline and the benchmarks all name backends from this one registry:

=============  ==========================================================================
``engine``     the standalone compiled engine (default; fastest)
``lava-fused`` the whole network in one Lava process, synchronised every step
``lava-async`` the same in one asynchronous Lava process (N steps per ``run``)
``lava``       the composed graph of Lava processes (input, plastic synapses, both
               layers, their loop): the reference, and the only one that runs user
               ProcessModels
=============  ==========================================================================

Registered rules (STDP, threshold, scaling; :mod:`lava_wta.rules`) run in all of them.
"""
from __future__ import annotations

import typing as ty
from dataclasses import dataclass

import numpy as np

__all__ = ["Backend", "BACKENDS", "get_backend", "register_backend", "backend_names"]

PresentFn = ty.Callable[..., ty.Any]


@dataclass(frozen=True)
class Backend:
    """One execution of the model.

    ``present(config, images, state, *, learning, input_seed, on_progress, checkpoint,
    models, chunk_images)`` runs a pass (``chunk_images``: images between returns to the
    host, for progress and checkpoints; None: the backend's default); ``checkpoint_every``
    is its default number of images between training checkpoints; ``runs_process_models``
    says whether it can run user ProcessModels (``models=``)."""

    name: str
    summary: str
    present: PresentFn
    checkpoint_every: int
    runs_process_models: bool = False


_REGISTRY: ty.Dict[str, Backend] = {}


def register_backend(backend: Backend, *, replace: bool = False) -> Backend:
    if backend.name in _REGISTRY and not replace:
        raise ValueError(f"backend {backend.name!r} is already registered; pass replace=True")
    _REGISTRY[backend.name] = backend
    return backend


def get_backend(name: str) -> Backend:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"backend: expected one of {backend_names()}, got {name!r}") from None


def backend_names() -> ty.List[str]:
    return list(_REGISTRY)


def _present_engine(config, images, state, *, learning, input_seed, on_progress=None,
                    checkpoint=None, models=None, chunk_images=None):
    from lava_wta.engine import present_engine

    return present_engine(config, images, state, learning=learning, input_seed=input_seed,
                          on_progress=on_progress, checkpoint=checkpoint,
                          **({"chunk_images": chunk_images} if chunk_images else {}))


def _lava(tag: ty.Optional[str], buffer_images: int) -> PresentFn:
    """A backend that runs :class:`lava_wta.processes.WTANetwork` in Lava with the model
    of tag ``tag`` (None: the composed graph)."""
    def present(config, images, state, *, learning, input_seed, on_progress=None,
                checkpoint=None, models=None, chunk_images=None):
        from lava_wta.processes import WTANetwork
        from lava_wta.simulation import present_lava

        if tag is not None:
            from lava_wta.engine import check_engine_support

            check_engine_support(config)      # the fused models run the engine's step
            models = {WTANetwork: tag}
        return present_lava(config, np.asarray(images), state, learning=learning,
                            input_seed=input_seed, on_progress=on_progress, models=models,
                            checkpoint=checkpoint, buffer_images=chunk_images or buffer_images,
                            scaling_bookkeeping=tag is not None)
    return present


ASYNC_BUFFER_IMAGES = 256
"""Images per ``run`` call of the ``lava-async`` backend."""

register_backend(Backend("engine", "standalone compiled engine (default, fast)", _present_engine, 5000))
register_backend(Backend("lava-fused", "the whole network in one Lava process, synchronised every "
                                       "step", _lava("fused", 32), 500))
register_backend(Backend("lava-async", "the same in one asynchronous Lava process (engine speed "
                                       "per step)", _lava("fused-async", ASYNC_BUFFER_IMAGES), 5000))
register_backend(Backend("lava", "the composed graph of Lava processes (the reference; runs user "
                                 "ProcessModels; about 1 ms per 0.5 ms step)", _lava(None, 32), 200,
                         runs_process_models=True))

BACKENDS = tuple(backend_names())
"""The built-in backends' names, in the order the command line lists them."""
