"""The executions of one model, behind one interface: the backend registry.

Every backend presents images to a network given by a configuration and a state and
returns a :class:`lava_wta.presentation.PresentationResult` (spike counts of each image's
accepted presentation, the state after the pass, presentations, retries, capped images,
steps, seconds). The command line (``--backend``, ``nir-roundtrip --against``,
``loihi-report --float-backend`` / ``--fixed-backend``), sweeps (``backend:``), the
pipeline, the deployment reports and the benchmarks all name backends from this one
registry:

==================  =====================================================================
``engine``          the standalone compiled engine (default; fastest)
``lava-fused``      the whole network in one Lava process, synchronised every step
``lava-async``      the same in one asynchronous Lava process (N steps per ``run``)
``lava``            the composed graph of Lava processes (input, plastic synapses, both
                    layers, their loop): the reference, and the only one that runs user
                    ProcessModels
``nir``             the network exported as a NIR graph (written in NIR's HDF5 form and
                    read back), imported into lava-nc (LIF and Dense); frozen
``loihi-fixed``     the network quantised to Loihi 2 fixed point, in lava-nc's
                    bit-accurate models; frozen
``loihi-emulator``  the same integers computed by :mod:`lava_wta.loihi.emulate` (seconds
                    instead of hours); frozen
==================  =====================================================================

Each :class:`Backend` says what it can do (``learns``, ``runs_process_models``,
``neuron_models``, ``checkpoints``, ``arithmetic``); :func:`backend_names` answers
questions such as ``backend_names(learns=True)``, so callers ask the registry instead of
listing names. :meth:`Backend.present` refuses a request the backend cannot honour (to
learn, to run user ProcessModels, to checkpoint, a neuron model) with a
:class:`BackendError` naming the backends that can. Registered rules (STDP, threshold,
membrane, scaling; :mod:`lava_wta.rules`) run in every backend that learns.
"""
from __future__ import annotations

import typing as ty
from dataclasses import dataclass

import numpy as np

from lava_wta.config import NEURON_MODELS, TARGET_MODES
from lava_wta.errors import BackendError
from lava_wta.kernels.support import COMPILED_NEURON_MODELS

__all__ = ["Backend", "BackendError", "BACKENDS", "backend_names", "get_backend", "register_backend"]

RunFn = ty.Callable[..., ty.Any]
ARITHMETICS = ("float", "fixed")




@dataclass(frozen=True)
class Backend:
    """One execution of the model and what it can do.

    ``run(config, images, state, *, learning, input_seed, on_progress, checkpoint, models,
    chunk_images)`` runs a pass (``chunk_images``: images between returns to the host, for
    progress and checkpoints; None: the backend's default); call it through
    :meth:`present`, which first refuses what the backend cannot do.
    """

    name: str
    summary: str
    run: RunFn
    learns: bool
    """Runs STDP, θ adaptation and scaling (training); otherwise frozen (inference only)."""
    checkpoint_every: ty.Optional[int]
    """Default images between training checkpoints; None: the backend does not checkpoint."""
    runs_process_models: bool = False
    """Runs user ProcessModels (``models=``)."""
    neuron_models: ty.Tuple[str, ...] = NEURON_MODELS
    """Values of ``network.neuron_model`` it simulates."""
    arithmetic: str = "float"
    """``"float"`` (floating point) or ``"fixed"`` (Loihi 2 integers)."""
    target_modes: ty.Tuple[str, ...] = ("fixed",)
    """Values of ``scaling.target_mode`` it trains with (a frozen network ignores it)."""
    threads: bool = False
    """Steps one training network with several threads (``threads=`` of :meth:`present`;
    its ``run`` then takes a ``threads`` keyword)."""

    def __post_init__(self) -> None:
        if self.arithmetic not in ARITHMETICS:
            raise ValueError(f"Backend {self.name!r}: arithmetic: expected one of {list(ARITHMETICS)}, "
                             f"got {self.arithmetic!r}")
        if self.learns and self.checkpoint_every is None:
            raise ValueError(f"Backend {self.name!r}: a backend that learns needs checkpoint_every "
                             f"(training passes resume from checkpoints)")

    @property
    def checkpoints(self) -> bool:
        """Saves and resumes from checkpoints (:class:`lava_wta.presentation.Checkpoint`)."""
        return self.checkpoint_every is not None

    def check(self, config=None, *, learning: bool = False, models=None, checkpoint=None,
              threads: int = 1) -> None:
        """Raise :class:`BackendError` if this backend cannot do what is asked: learn, run
        the ProcessModels ``models``, keep ``checkpoint``, simulate ``config``'s neuron
        model, or step the network with ``threads`` threads. The message names the
        backends that can."""
        if threads != 1 and not self.threads:
            raise BackendError(f"threads: backend {self.name!r} steps a network in one thread, "
                               f"got threads={threads!r}; the backends that take several: "
                               f"{backend_names(threads=True)}")
        if learning and not self.learns:
            raise BackendError(
                f"backend {self.name!r} runs a frozen network (inference only) and cannot learn; "
                f"the backends that learn: {backend_names(learns=True)}")
        if models and not self.runs_process_models:
            raise BackendError(
                f"models: the {self.name!r} backend cannot run the ProcessModels given "
                f"({_model_names(models)}); only {backend_names(runs_process_models=True)} run "
                f"them. To run a rule in every backend that learns, register it "
                f"(lava_wta.rules.register_stdp_rule / register_theta_rule / "
                f"register_membrane_rule / register_scaling_rule) and select it in the "
                f"configuration (stdp.rule, exc.theta_rule, exc.membrane_rule, scaling.mode)")
        if checkpoint is not None and not self.checkpoints:
            raise BackendError(f"checkpoint: backend {self.name!r} does not checkpoint a pass; "
                               f"the backends that do: {backend_names(checkpoints=True)}")
        if config is not None:
            model = config.network.neuron_model
            if model not in self.neuron_models:
                raise BackendError(
                    f"network.neuron_model: backend {self.name!r} simulates {list(self.neuron_models)}, "
                    f"got {model!r}; the backends that simulate it: {backend_names(neuron_model=model)}")
            target = config.scaling.target_mode
            if learning and target not in self.target_modes:
                raise BackendError(
                    f"scaling.target_mode: backend {self.name!r} trains with {list(self.target_modes)}, "
                    f"got {target!r}; the backends that train with it: "
                    f"{backend_names(learns=True, target_mode=target)}")

    def present(self, config, images, state, *, learning: bool, input_seed: int, on_progress=None,
                checkpoint=None, models=None, chunk_images: ty.Optional[int] = None,
                threads: int = 1):
        """Present ``images`` in order to the network of ``config`` and ``state``; a
        :class:`lava_wta.presentation.PresentationResult`. Refuses (:meth:`check`) what
        this backend cannot do."""
        self.check(config, learning=learning, models=models, checkpoint=checkpoint, threads=threads)
        return self.run(config, images, state, learning=learning, input_seed=input_seed,
                        on_progress=on_progress, checkpoint=checkpoint, models=models,
                        chunk_images=chunk_images, **({"threads": threads} if self.threads else {}))


def _model_names(models: ty.Mapping[type, ty.Any]) -> str:
    """``Process: model`` for each entry of a ``models`` mapping."""
    def name(x):
        return x if isinstance(x, str) else getattr(x, "__name__", repr(x))

    return ", ".join(f"{name(proc)}: {name(model)}" for proc, model in models.items())


_REGISTRY: ty.Dict[str, Backend] = {}
_CAPABILITIES = ("learns", "runs_process_models", "checkpoints", "arithmetic", "neuron_model", "target_mode",
                 "threads")


def register_backend(backend: Backend, *, replace: bool = False) -> Backend:
    if backend.name in _REGISTRY and not replace:
        raise ValueError(f"backend {backend.name!r} is already registered; pass replace=True")
    _REGISTRY[backend.name] = backend
    return backend


def get_backend(name: str) -> Backend:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise BackendError(f"backend: expected one of {backend_names()}, got {name!r}") from None


def backend_names(**capabilities) -> ty.List[str]:
    """Names of the registered backends, in registration order; with keywords, those with
    these capabilities: ``learns``, ``runs_process_models``, ``checkpoints`` (bools),
    ``arithmetic`` (``"float"`` or ``"fixed"``), ``neuron_model`` (one it simulates),
    ``target_mode`` (a ``scaling.target_mode`` it trains with), ``threads`` (bool: steps a
    training network with several threads)."""
    unknown = sorted(set(capabilities) - set(_CAPABILITIES))
    if unknown:
        raise TypeError(f"backend_names: unknown capabilities {unknown}; expected some of "
                        f"{list(_CAPABILITIES)}")

    def fits(b: Backend) -> bool:
        for key, want in capabilities.items():
            if key == "neuron_model":
                if want not in b.neuron_models:
                    return False
            elif key == "target_mode":
                if want not in b.target_modes:
                    return False
            elif getattr(b, key) != want:
                return False
        return True

    return [name for name, b in _REGISTRY.items() if fits(b)]


def _present_engine(config, images, state, *, learning, input_seed, on_progress=None,
                    checkpoint=None, models=None, chunk_images=None, threads=1):
    from lava_wta.engine import present_engine

    return present_engine(config, images, state, learning=learning, input_seed=input_seed,
                          on_progress=on_progress, checkpoint=checkpoint, threads=threads,
                          **({"chunk_images": chunk_images} if chunk_images else {}))


def _lava(tag: ty.Optional[str], buffer_images: int) -> RunFn:
    """A backend that runs :class:`lava_wta.processes.WTANetwork` in Lava with the model
    of tag ``tag`` (None: the composed graph)."""
    def present(config, images, state, *, learning, input_seed, on_progress=None,
                checkpoint=None, models=None, chunk_images=None):
        from lava_wta.processes import WTANetwork
        from lava_wta.simulation import present_lava

        if tag is not None:
            models = {WTANetwork: tag}
        return present_lava(config, np.asarray(images), state, learning=learning,
                            input_seed=input_seed, on_progress=on_progress, models=models,
                            checkpoint=checkpoint, buffer_images=chunk_images or buffer_images,
                            scaling_bookkeeping=tag is not None)
    return present


ASYNC_BUFFER_IMAGES = 256
"""Images per ``run`` call of the ``lava-async`` backend."""

register_backend(Backend("engine", "the standalone compiled engine (fastest)", _present_engine,
                         learns=True, checkpoint_every=5000, neuron_models=COMPILED_NEURON_MODELS,
                         target_modes=TARGET_MODES, threads=True))
register_backend(Backend("lava-fused", "the whole network in one Lava process, synchronised every "
                                       "step", _lava("fused", 32), learns=True, checkpoint_every=500,
                         neuron_models=COMPILED_NEURON_MODELS))
register_backend(Backend("lava-async", "the same in one asynchronous Lava process (engine speed "
                                       "per step)", _lava("fused-async", ASYNC_BUFFER_IMAGES),
                         learns=True, checkpoint_every=5000, neuron_models=COMPILED_NEURON_MODELS))
register_backend(Backend("lava", "the composed graph of Lava processes (the reference; runs user "
                                 "ProcessModels; about 1 ms per 0.5 ms step)", _lava(None, 32),
                         learns=True, checkpoint_every=200, runs_process_models=True))

from lava_wta.backends import deploy  # noqa: E402,F401  (registers nir, loihi-fixed, loihi-emulator)

BACKENDS = tuple(backend_names())
"""The built-in backends' names, in the order the command line lists them."""
