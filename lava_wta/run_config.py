"""Run configuration that lets Lava's compiler find lava-wta's ProcessModels.

lava-nc looks for ProcessModels in the directory of each Process's module. lava-wta keeps
Processes (``lava_wta/processes``) and ProcessModels (``lava_wta/models``) apart, so it
supplies :class:`WTASimCfg`, a ``Loihi2SimCfg`` whose model map resolves lava-wta
Processes. Everything else (lava-nc's own ``Dense``, ``LIF``, ...) is resolved by Lava
as usual.

Choosing a model
----------------
* default: the built-in model of lava_wta.models carrying ``select_tag``
  (``"floating_pt"``);
* ``models={Process: ModelClass}``: use that ProcessModel (any subclass you wrote);
* ``models={Process: "some_tag"}``: among all imported ProcessModels implementing that
  Process (yours included), the one tagged ``"some_tag"``.
"""
from __future__ import annotations

import typing as ty

from lava.magma.core.model.model import AbstractProcessModel
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.run_configs import Loihi2SimCfg

import lava_wta.models  # noqa: F401  (defines the built-in models)

ModelChoice = ty.Union[ty.Type[AbstractProcessModel], str]


def _all_subclasses(cls: type) -> ty.List[type]:
    out, stack = [], [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in out:
                out.append(sub)
                stack.append(sub)
    return out


def models_implementing(process_cls: type, tag: ty.Optional[str] = None) -> ty.List[type]:
    """Imported ProcessModels implementing ``process_cls`` (built-ins first), optionally
    only those carrying ``tag``."""
    found = [m for m in _all_subclasses(AbstractProcessModel)
             if getattr(m, "implements_process", None) is process_cls
             and (tag is None or tag in getattr(m, "tags", []))]
    return sorted(found, key=lambda m: not m.__module__.startswith("lava_wta.models"))


class _WTAModelMap(dict):
    """A Lava ``exception_proc_model_map`` that also answers for lava-wta Processes."""

    def __init__(self, choices: ty.Mapping[type, ModelChoice], select_tag: str) -> None:
        super().__init__()
        self.choices = dict(choices)
        self.select_tag = select_tag

    def _resolve(self, key: ty.Any) -> ty.Optional[type]:
        cls = key if isinstance(key, type) else type(key)
        choice = self.choices.get(cls)
        if isinstance(choice, type):
            return choice
        tag = choice if isinstance(choice, str) else self.select_tag
        # A user's subclass of a lava-wta Process (adding no Vars) runs on its parent's model.
        for base in cls.__mro__:
            if not (choice is not None or base.__module__.startswith("lava_wta.")):
                continue
            if not (isinstance(base, type) and issubclass(base, AbstractProcess)):
                continue
            found = models_implementing(base, tag)
            if found:
                return found[0]
            if base is cls and choice is not None:
                raise LookupError(f"no ProcessModel implementing {cls.__name__} with tag {tag!r}; "
                                  f"known: {[m.__name__ for m in models_implementing(cls)]}")
        return None

    def __contains__(self, key: object) -> bool:
        return self._resolve(key) is not None

    def __getitem__(self, key: object) -> type:
        model = self._resolve(key)
        if model is None:
            raise KeyError(key)
        return model

    def get(self, key, default=None):  # noqa: D401 - dict API
        return self[key] if key in self else default


class WTASimCfg(Loihi2SimCfg):
    """``Loihi2SimCfg`` (CPU simulation) that resolves lava-wta's ProcessModels.

    Parameters
    ----------
    select_tag : str
        Tag of the models to use ("floating_pt" by default).
    models : mapping, optional
        Per-Process choice: a ProcessModel class or a tag.
    exception_proc_model_map : mapping, optional
        Lava's own per-Process-class model map; merged with ``models`` (which wins).
    **kwargs
        Passed to ``Loihi2SimCfg``.
    """

    def __init__(self, select_tag: str = "floating_pt",
                 models: ty.Optional[ty.Mapping[ty.Type[AbstractProcess], ModelChoice]] = None,
                 exception_proc_model_map: ty.Optional[ty.Mapping] = None, **kwargs) -> None:
        super().__init__(select_tag=select_tag, **kwargs)
        choices = dict(exception_proc_model_map or {})
        choices.update(models or {})
        self.exception_proc_model_map = _WTAModelMap(choices, select_tag)
        _refuse_models_inside_a_fused_network(self.exception_proc_model_map)


def _refuse_models_inside_a_fused_network(model_map: _WTAModelMap) -> None:
    """A model chosen for a Process inside :class:`lava_wta.processes.WTANetwork` runs only
    when the network runs as its composed graph; with a fused model (one process for the
    whole network) it would be silently ignored, so refuse that combination."""
    from lava.magma.core.model.sub.model import AbstractSubProcessModel

    from lava_wta.errors import BackendError
    from lava_wta.processes import (
        AdaptiveConductanceLIF,
        AdaptiveCurrentLIF,
        ConductanceLIF,
        CurrentLIF,
        PlasticDense,
        PoissonImageInput,
        WTANetwork,
    )

    network_model = model_map._resolve(WTANetwork)
    if network_model is None or issubclass(network_model, AbstractSubProcessModel):
        return
    inner = (PoissonImageInput, PlasticDense, AdaptiveConductanceLIF, ConductanceLIF,
             AdaptiveCurrentLIF, CurrentLIF)
    ignored = [proc for proc in model_map.choices
               if isinstance(proc, type) and issubclass(proc, inner)]
    if ignored:
        names = ", ".join(f"{p.__name__}: {getattr(m, '__name__', m)}"
                          for p, m in model_map.choices.items() if p in ignored)
        raise BackendError(
            f"models: WTANetwork runs as {network_model.__name__} (the whole network in one "
            f"process), so the models given for the processes inside it ({names}) would not "
            f"run; run WTANetwork as its composed graph (its default model; backend 'lava')")
