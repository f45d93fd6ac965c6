"""Export the trained current-based WTA network as a NIR graph.

Graph (node names in quotes; edges listed in this order)::

    "input" Input(n_inputs)
      -> "input_weights" Linear(input_current_mv * W)          (n_neurons, n_inputs)
      -> "exc" CubaLIF(per-neuron v_threshold = v_thresh + theta - theta_offset - v_rest)
      -> "output" Output(n_neurons)
    "exc" -> "exc_to_inh" Linear(w_ei * exc_current_mv * identity)
      -> "inh" CubaLIF
      -> "inh_to_exc" Linear(-w_ie * inh_current_mv * (1 - identity))  -> "exc"

Parameters follow the conventions of :mod:`lava_wta.nir.conventions`: potentials measured
from rest (``v_leak = 0``, ``v_reset = v_reset - v_rest``), Euler-convention time constants
``tau' = dt / (1 - exp(-dt / tau))`` (seconds); theta, frozen after training, is folded into
``v_threshold``. The Linear weights are the configuration's weights times their current
scale (``input_current_mv``, ``exc_current_mv``, ``inh_current_mv``; mV of ``R*i`` per
spike), inhibition negative, times ``k`` (``current_scale``, per population). NIR fixes only
the product ``r * w_in * weight`` (the voltage a spike adds), so ``r`` and ``k`` are free;
they are chosen for readers that ignore ``w_in`` and ``r`` (Rockpool 3.1 builds a
``LIFTorch``: step ``tau_mem / (1 + r)``, decays ``exp(-step / tau)``, the weighted spike
added to ``i`` and ``i`` to ``v``): ``r = tau_mem' / dt - 1`` so that such a reader infers
``dt``, and ``k = (1 - exp(-du)) (1 - exp(-dv)) / (du exp(-du))`` (``du``, ``dv``: the
population's per-step decay fractions) so that, decaying by ``exp(-du)``, ``exp(-dv)``
where lava-wta decays by ``1 - du``, ``1 - dv``, it gives a spike the same total effect
on ``v``; ``w_in = 1 / (du r k)`` keeps the product, so every NIR reader still runs
exactly lava-wta's network.

The metadata (flat keys, schema :data:`~lava_wta.nir.conventions.SCHEMA` version
:data:`~lava_wta.nir.conventions.SCHEMA_VERSION`, every key described in
:data:`~lava_wta.nir.conventions.GRAPH_KEYS` and ``NEURON_KEYS``) holds the physical
constants, ``dt_s``, the timing convention, and what NIR cannot express: refractory periods
(exact only when 0, the default), the neuron labels, the Poisson rate encoding with its retry
rule, the presentation protocol and the whole lava-wta configuration.

Profiles (``profile=``): ``"nir"`` (the default) is the above. ``"rockpool"`` is for
Rockpool's reading above: the physical time constants (so its ``exp(-dt / tau)`` decays are
lava-wta's ``1 - du``, ``1 - dv`` exactly), ``r = tau_mem / dt - 1``, ``k = dv / (1 - du)``
(its current is ``(1 - du)`` times lava-wta's, and it adds all of it to ``v``), and
``w_in = tau_syn / (dt r k)``: read in continuous time the graph is lava-wta's physical
model, but a forward-Euler reader at ``dt_s`` decays by ``dt / tau`` instead of
``1 - exp(-dt / tau)`` (the misstatement ``profile_note`` records). ``"snntorch"`` is for
snnTorch's ``import_from_nir``, which assumes ``dt = 1e-4`` s, ``r = tau_mem / dt``,
``v_leak = 0`` and one threshold per layer: the time constants are written for
``dt = 1e-4`` s (so snnTorch's per-step decays are ours, while the graph's time constants
misstate the physical ones by the factor ``1e-4 / dt_s``), ``r = tau_mem' / 1e-4`` with the
weights into a population multiplied by its ``dv`` (the same per-step voltage), and the
excitatory neurons' inputs and potentials multiplied by ``threshold_scale`` (per neuron) so
that they share one threshold (spikes unchanged: the reset is at rest).

The conductance-based model (reversal potentials E_exc / E_inh, conductance synapses)
has no NIR node and is refused with :class:`UnsupportedModelError`.
"""
from __future__ import annotations

import json
import typing as ty
from pathlib import Path

import numpy as np

from lava_wta import __version__
from lava_wta.config import WTAConfig
from lava_wta.errors import ConfigError
from lava_wta.model.neurons import cuba_decays
from lava_wta.model.threshold import threshold_mv
from lava_wta.nir import conventions as cv
from lava_wta.state import WTAState

PROFILES = ("nir", "snntorch", "rockpool")
SNNTORCH_DT_S = 1e-4
"""The time step snnTorch's ``import_from_nir`` assumes."""


class UnsupportedModelError(ValueError):
    """The model uses a feature NIR cannot express."""


def _load(run_or_state: ty.Union[str, Path, WTAState], config: ty.Optional[WTAConfig]
          ) -> ty.Tuple[WTAState, WTAConfig]:
    if isinstance(run_or_state, WTAState):
        if config is None:
            raise ValueError("export_nir: a WTAState needs its WTAConfig (config=...)")
        run_or_state.check(config)
        return run_or_state, config
    from lava_wta.pipeline import read_run

    run_config, state, _ = read_run(run_or_state)      # verified against the run's manifest
    if config is not None:
        state = WTAState.load(Path(run_or_state) / "state.npz", config)
    return state, config or run_config


def check_exportable(config: WTAConfig) -> None:
    """Raise :class:`UnsupportedModelError` if the configured model has no NIR form."""
    if config.network.neuron_model != "current":
        raise UnsupportedModelError(
            f"network.neuron_model = {config.network.neuron_model!r}: the conductance-based "
            f"model (conductance synapses with reversal potentials exc.e_exc_mv = "
            f"{config.exc.e_exc_mv}, exc.e_inh_mv = {config.exc.e_inh_mv}, inh.e_inh_mv = "
            f"{config.inh.e_inh_mv}) cannot be expressed in NIR, whose neurons are "
            f"current-based (CubaLIF). Train with --set network.neuron_model=current.")


def _population(p, dt_ms: float, threshold_mv: np.ndarray, profile: str) -> dict:
    """CubaLIF parameters of one population (``p``: its ``cuba_exc``/``cuba_inh`` section) in the
    profile's conventions, with ``scale`` (per neuron) and ``weight_gain`` (per population): the
    factors its incoming weights take."""
    n = threshold_mv.size
    full = lambda x: np.full(n, float(x))  # noqa: E731
    du, dv = cuba_decays(dt_ms, p.tau_syn_ms, p.tau_m_ms)
    dt = SNNTORCH_DT_S if profile == "snntorch" else dt_ms * 1e-3
    tau_syn, tau_mem = cv.euler_tau(dt, du), cv.euler_tau(dt, dv)
    vth = np.asarray(threshold_mv, float) - p.v_rest_mv
    v_reset = p.v_reset_mv - p.v_rest_mv
    scale = np.ones(n)
    if profile == "rockpool":
        tau_syn, tau_mem = p.tau_syn_ms * 1e-3, p.tau_m_ms * 1e-3
        r, weight_gain = cv.step_inferring_r(dt, tau_mem), dv / (1.0 - du)
        w_in = tau_syn / (dt * r * weight_gain)
    else:
        r, weight_gain = cv.step_inferring_r(dt, tau_mem), cv.current_scale(du, dv)
        w_in = 1.0 / (du * r * weight_gain)
    if profile == "snntorch":
        # v <- (1 - dv) v + i with r = tau_mem'/dt: the current carries dv, so the weights do
        r, weight_gain, w_in = tau_mem / dt, dv, tau_syn / dt
        if v_reset != 0 or np.any(vth <= 0):
            raise UnsupportedModelError(
                f"profile 'snntorch' needs v_reset_mv = v_rest_mv and thresholds above rest "
                f"(one threshold per layer by scaling); got v_reset - v_rest = {v_reset}, lowest "
                f"threshold - v_rest = {vth.min()}")
        scale = vth.max() / vth
        vth = np.full(n, vth.max())
    return {"params": dict(tau_syn=full(tau_syn), tau_mem=full(tau_mem), r=full(r), v_leak=full(0.0),
                           v_threshold=vth, v_reset=full(v_reset), w_in=full(w_in)),
            "meta": {"tau_syn_s": p.tau_syn_ms * 1e-3, "tau_mem_s": p.tau_m_ms * 1e-3,
                     "v_rest_mv": p.v_rest_mv, "v_reset_mv": p.v_reset_mv,
                     "v_thresh_mv": p.v_thresh_mv, "t_ref_ms": p.t_ref_ms,
                     "refractory_exact": bool(p.t_ref_ms == 0), "current_scale": weight_gain},
            "scale": scale, "weight_gain": weight_gain}


def graph_metadata(config: WTAConfig, assignments: ty.Optional[np.ndarray], profile: str) -> dict:
    """The graph-level metadata (keys of :data:`lava_wta.nir.conventions.GRAPH_KEYS`)."""
    t, inp = config.time, config.input
    meta = {
        "schema": cv.SCHEMA, "schema_version": cv.SCHEMA_VERSION,
        "producer": "lava-wta", "producer_version": __version__, "profile": profile,
        "dt_s": t.dt_ms * 1e-3,
        "time_constants": "Euler convention: tau = dt_s / (1 - exp(-dt_s / tau_physical)); the "
                          "physical constants are in each neuron node's metadata",
        "potential_origin": "rest",
        "spike_value": "1 in one step (a pulse of area dt_s)",
        "timing": cv.TIMING, "edge_delay_steps": 1,
        "encoding": "poisson",
        "encoding_rule": ("pixel p (0..255) spikes with probability p*(pixel_rate_hz + "
                          "retry*retry_pixel_rate_hz)*dt_s in each of presentation_steps steps, "
                          "retry = 0 first; an image that makes the output fire fewer than "
                          "min_spikes spikes is presented again with retry+1 (up to max_retries); "
                          "the counts of the last presentation are the image's"),
        "pixel_rate_hz": inp.pixel_rate_hz, "retry_pixel_rate_hz": inp.retry_pixel_rate_hz,
        "min_spikes": inp.min_spikes, "max_retries": inp.max_retries,
        "presentation_steps": t.presentation_steps, "period_steps": t.period_steps,
        "between_images": t.between_images,
        "readout_rule": ("output neuron j votes for class assignments[j]; an image's class is the "
                         "one whose neurons fire most on average (Diehl & Cook); neurons labelled "
                         "-1 do not vote"),
        "lava_wta_config": json.dumps(config.to_dict()),
    }
    if profile == "rockpool":
        meta["time_constants"] = ("physical: tau = tau_physical (s); a forward-Euler reader at dt_s "
                                  "decays by dt_s/tau instead of 1 - exp(-dt_s/tau)")
        meta["profile_note"] = (
            "time constants are the physical ones (Rockpool decays by exp(-dt/tau)) instead of the "
            "Euler-convention ones; r = tau_mem/dt_s - 1 (Rockpool infers its step as tau_mem/(1+r)); "
            "weights into a population times current_scale = dv/(1-du), w_in = tau_syn/(dt_s r "
            "current_scale)")
    if profile == "snntorch":
        meta["profile_dt_s"] = SNNTORCH_DT_S
        meta["profile_note"] = (
            f"time constants written for dt = {SNNTORCH_DT_S} s (the step snnTorch assumes) instead "
            f"of dt_s; r = tau_mem/dt with each population's weights multiplied by its dv; the "
            f"excitatory neurons' potentials and inputs multiplied by threshold_scale so that they "
            f"share one threshold")
    if assignments is not None:
        assignments = np.asarray(assignments, np.int64)
        meta["assignments"] = assignments
        meta["n_classes"] = int(assignments.max()) + 1
    return meta


def to_nir_graph(state: WTAState, config: WTAConfig, *, profile: str = "nir"):
    """The trained network as an in-memory ``nir.NIRGraph`` (type-checked), in the
    conventions of ``profile`` (see the module docstring)."""
    import nir

    if profile not in PROFILES:
        raise ConfigError(f"export profile: expected one of {', '.join(PROFILES)}, got {profile!r}")
    check_exportable(config)
    state.check(config)
    n = config.network.n_neurons
    ce, ci, net, dt_ms = config.cuba_exc, config.cuba_inh, config.network, config.time.dt_ms
    eye = np.eye(n)
    theta = np.asarray(state.theta, dtype=np.float64)
    exc = _population(ce, dt_ms, threshold_mv(ce.v_thresh_mv, theta, ce.theta_offset_mv), profile)
    inh = _population(ci, dt_ms, np.full(n, ci.v_thresh_mv), profile)
    exc["meta"].update(population="excitatory", theta_mv=np.asarray(state.theta, float),
                       theta_offset_mv=ce.theta_offset_mv)
    inh["meta"].update(population="inhibitory")
    if profile == "snntorch":
        exc["meta"]["threshold_scale"] = exc["scale"]
    into_exc = (exc["weight_gain"] * exc["scale"])[:, None]
    into_inh = (inh["weight_gain"] * inh["scale"])[:, None]
    nodes = {
        "input": nir.Input(input_type=np.array([config.network.n_inputs])),
        "input_weights": nir.Linear(weight=into_exc * ce.input_current_mv
                                    * np.asarray(state.weights, float)),
        "exc": nir.CubaLIF(**exc["params"], metadata=exc["meta"]),
        "output": nir.Output(output_type=np.array([n])),
        "exc_to_inh": nir.Linear(weight=into_inh * (net.w_ei * ci.exc_current_mv * eye)),
        "inh": nir.CubaLIF(**inh["params"], metadata=inh["meta"]),
        "inh_to_exc": nir.Linear(weight=into_exc * (-net.w_ie * ce.inh_current_mv * (1.0 - eye))),
    }
    # the feed-forward path first, then the loop: Spyx orders nodes by following edges in order
    edges = [("input", "input_weights"), ("input_weights", "exc"), ("exc", "output"),
             ("exc", "exc_to_inh"), ("exc_to_inh", "inh"), ("inh", "inh_to_exc"),
             ("inh_to_exc", "exc")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=True,
                        metadata=graph_metadata(config, state.assignments, profile))


def export_nir(run_or_state: ty.Union[str, Path, WTAState], config: ty.Optional[WTAConfig] = None,
               path: ty.Union[str, Path, None] = None, *, profile: str = "nir"):
    """Write the trained network of a run folder (or a ``WTAState`` with its ``config``) to
    ``path`` as a NIR HDF5 file; returns the ``nir.NIRGraph``. ``profile``: ``"nir"`` (the
    default), ``"snntorch"`` or ``"rockpool"`` (see the module docstring).

    Raises :class:`UnsupportedModelError` for the conductance-based model.
    """
    import nir

    state, config = _load(run_or_state, config)
    graph = to_nir_graph(state, config, profile=profile)
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nir.write(path, graph)
    return graph
