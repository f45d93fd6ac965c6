"""Export the trained current-based WTA network as a NIR graph.

Graph (node names in quotes)::

    "input" Input(n_inputs)
      -> "input_weights" Linear(input_current_mv * W)          (n_neurons, n_inputs)
      -> "exc" CubaLIF(v_threshold = v_thresh + theta - theta_offset, per neuron)
      -> "exc_to_inh" Linear(w_ei * exc_current_mv * identity)
      -> "inh" CubaLIF
      -> "inh_to_exc" Linear(-w_ie * inh_current_mv * (1 - identity))  -> "exc"
    "exc" -> "output" Output(n_neurons)

Parameter conversion (the network's equations, MODEL.md's current-based variant)::

    tau_syn di/dt = -i + w_in * (weighted spikes)     i is R*i in mV, so r = 1, w_in = 1
    tau_m   dv/dt = (v_leak - v) + r * i

* time constants in seconds (``tau_syn = tau_syn_ms * 1e-3``), potentials in mV;
* a spike through a Linear of weight ``w`` makes ``i`` jump by ``w`` (mV): the Linear
  weights are the configuration's weights times their current scale (``input_current_mv``,
  ``exc_current_mv``, ``inh_current_mv``), inhibition negative;
* theta, frozen after training, is folded into the per-neuron ``v_threshold``.

The graph is continuous-time; the discrete-time semantics under which it reproduces the
Lava network exactly are written into the graph's metadata (``dt_s``,
``discretisation``, ``edge_delay_steps``). So is what NIR cannot express: refractory
periods (``t_ref_ms`` of each population; exact only when 0, the default), the neuron
labels (``assignments``), the Poisson rate encoding of images and its adaptive
intensity, the presentation protocol and the whole lava-wta configuration
(``lava_wta_config``, JSON).

The conductance-based model (reversal potentials E_exc / E_inh, conductance synapses)
has no NIR node and is refused with :class:`UnsupportedModelError`.
"""
from __future__ import annotations

import json
import typing as ty
from pathlib import Path

import numpy as np

from lava_wta.config import WTAConfig
from lava_wta.state import WTAState

DISCRETISATION = (
    "per step dt: i <- i*exp(-dt/tau_syn) + w_in*(sum of incoming weights of spikes sent in "
    "the previous step); v <- v_leak + (v - v_leak)*exp(-dt/tau_mem) + "
    "(1 - exp(-dt/tau_mem))*r*i; spike if v > v_threshold, then v <- v_reset "
    "(lava-nc LIF: du = 1 - exp(-dt/tau_syn), dv = 1 - exp(-dt/tau_mem), u = dv*r*i, "
    "v measured from v_leak)")


class UnsupportedModelError(ValueError):
    """The model uses a feature NIR cannot express."""


def _load(run_or_state: ty.Union[str, Path, WTAState], config: ty.Optional[WTAConfig]
          ) -> ty.Tuple[WTAState, WTAConfig]:
    if isinstance(run_or_state, WTAState):
        if config is None:
            raise ValueError("export_nir: a WTAState needs its WTAConfig (config=...)")
        run_or_state.check(config)
        return run_or_state, config
    run = Path(run_or_state)
    if not run.is_dir():
        raise FileNotFoundError(f"{run}: not a run folder (expected config.json and state.npz)")
    config = config or WTAConfig.load(run / "config.json")
    return WTAState.load(run / "state.npz", config), config


def check_exportable(config: WTAConfig) -> None:
    """Raise :class:`UnsupportedModelError` if the configured model has no NIR form."""
    if config.network.neuron_model != "current":
        raise UnsupportedModelError(
            f"network.neuron_model = {config.network.neuron_model!r}: the conductance-based "
            f"model (conductance synapses with reversal potentials exc.e_exc_mv = "
            f"{config.exc.e_exc_mv}, exc.e_inh_mv = {config.exc.e_inh_mv}, inh.e_inh_mv = "
            f"{config.inh.e_inh_mv}) cannot be expressed in NIR, whose neurons are "
            f"current-based (CubaLIF). Train with --set network.neuron_model=current.")


def to_nir_graph(state: WTAState, config: WTAConfig):
    """The trained network as an in-memory ``nir.NIRGraph`` (type-checked)."""
    import nir

    check_exportable(config)
    state.check(config)
    n, n_in = config.network.n_neurons, config.network.n_inputs
    ce, ci, net = config.cuba_exc, config.cuba_inh, config.network
    eye = np.eye(n)

    def cuba(p, threshold: np.ndarray, meta: dict):
        full = lambda x: np.full(n, float(x))  # noqa: E731
        return nir.CubaLIF(
            tau_syn=full(p.tau_syn_ms * 1e-3), tau_mem=full(p.tau_m_ms * 1e-3), r=full(1.0),
            v_leak=full(p.v_rest_mv), v_threshold=np.asarray(threshold, float),
            v_reset=full(p.v_reset_mv), w_in=full(1.0), metadata=meta)

    exc_threshold = ce.v_thresh_mv + state.theta - ce.theta_offset_mv
    exc_meta = {"population": "excitatory", "t_ref_ms": ce.t_ref_ms,
                "refractory_exact": bool(ce.t_ref_ms == 0),
                "theta_mv": np.asarray(state.theta, float),
                "v_thresh_mv": ce.v_thresh_mv, "theta_offset_mv": ce.theta_offset_mv}
    if state.assignments is not None:
        exc_meta["assignments"] = np.asarray(state.assignments, np.int64)
    nodes = {
        "input": nir.Input(input_type=np.array([n_in])),
        "input_weights": nir.Linear(weight=ce.input_current_mv * np.asarray(state.weights, float),
                                    metadata={"unit": "mV of R*i per spike"}),
        "exc": cuba(ce, exc_threshold, exc_meta),
        "exc_to_inh": nir.Linear(weight=net.w_ei * ci.exc_current_mv * eye,
                                 metadata={"unit": "mV of R*i per spike", "pattern": "one-to-one"}),
        "inh": cuba(ci, np.full(n, ci.v_thresh_mv),
                    {"population": "inhibitory", "t_ref_ms": ci.t_ref_ms,
                     "refractory_exact": bool(ci.t_ref_ms == 0)}),
        "inh_to_exc": nir.Linear(weight=-net.w_ie * ce.inh_current_mv * (1.0 - eye),
                                 metadata={"unit": "mV of R*i per spike", "pattern": "all-but-self"}),
        "output": nir.Output(output_type=np.array([n])),
    }
    edges = [("input", "input_weights"), ("input_weights", "exc"), ("exc", "exc_to_inh"),
             ("exc_to_inh", "inh"), ("inh", "inh_to_exc"), ("inh_to_exc", "exc"),
             ("exc", "output")]
    t = config.time
    metadata = {
        "producer": "lava-wta",
        "model": "Diehl & Cook WTA, current-based variant (MODEL.md)",
        "time_unit": "s", "voltage_unit": "mV", "current_unit": "mV (R*i)",
        "dt_s": t.dt_ms * 1e-3,
        "discretisation": DISCRETISATION,
        "edge_delay_steps": 1,
        "encoding": "poisson",
        "encoding_rule": ("pixel p (0..255) of an image spikes with probability rate*dt per step, "
                          "rate = p*(pixel_rate_hz + retry*retry_pixel_rate_hz); an image that "
                          "makes the output fire fewer than min_spikes spikes is presented again "
                          "with retry+1 (up to max_retries)"),
        "pixel_rate_hz": config.input.pixel_rate_hz,
        "retry_pixel_rate_hz": config.input.retry_pixel_rate_hz,
        "min_spikes": config.input.min_spikes, "max_retries": config.input.max_retries,
        "presentation_steps": t.presentation_steps, "period_steps": t.period_steps,
        "between_images": t.between_images,
        "readout": ("neuron j votes for class assignments[j]; an image is classified as the class "
                    "whose neurons fire most on average (Diehl & Cook)"),
        "lava_wta_config": json.dumps(config.to_dict()),
    }
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=True)


def export_nir(run_or_state: ty.Union[str, Path, WTAState], config: ty.Optional[WTAConfig] = None,
               path: ty.Union[str, Path, None] = None):
    """Write the trained network of a run folder (or a ``WTAState`` with its ``config``) to
    ``path`` as a NIR HDF5 file; returns the ``nir.NIRGraph``.

    Raises :class:`UnsupportedModelError` for the conductance-based model.
    """
    import nir

    state, config = _load(run_or_state, config)
    graph = to_nir_graph(state, config)
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nir.write(path, graph)
    return graph
