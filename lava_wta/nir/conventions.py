"""How lava-wta writes and reads NIR: the discrete-time reading of NIR's CubaLIF and LIF,
and the metadata schema of the graphs lava-wta exports.

NIR's neurons are continuous-time (CubaLIF)::

    tau_syn di/dt = -i + w_in * I          tau_mem dv/dt = (v_leak - v) + r * i

Simulators that consume NIR (snnTorch, Norse, Rockpool, Spyx, nirtorch-based loaders) run
them on a time grid of step ``dt`` with forward Euler, a spike being a value of 1 in one
step (a pulse of area ``dt``)::

    i <- i + (dt / tau_syn) * (-i + w_in * x)     x: the weighted spikes arriving this step
    v <- v + (dt / tau_mem) * (v_leak - v + r * i)
    spike if v > v_threshold, then v <- v_reset

This is the reading lava-wta's importer applies to every graph (:func:`euler_fractions`),
and the one its exporter writes for: the time constants are the *Euler-convention* ones,
``tau' = dt / (1 - exp(-dt / tau))``, for which one Euler step decays exactly as the
exponential of the physical ``tau`` does; potentials are measured from rest
(``v_leak = 0``). The voltage a spike through a weight ``w`` adds depends on
``r * w_in * w`` only, so ``r`` and the scale of the weights are free: the exporter picks
``r`` with :func:`step_inferring_r` and the scale with :func:`current_scale` (for readers
that ignore ``w_in`` and ``r``) and sets ``w_in = 1 / (du r k)``. The physical constants go
into metadata.

What NIR leaves open and a graph's metadata states (:data:`GRAPH_KEYS`):

* timing: lava-wta delays every weighted connection by one step (lava-nc ``Dense``), and in
  a step a neuron's current takes its input before ``v`` is updated with the new current;
  loaders that pass spikes forward within a step and delay only the edges closing a loop
  (nirtorch) shift the recurrent loop by one step;
* the read-out: the Poisson rate encoding of images, the retry rule, the presentation length
  and the neuron labels (:mod:`lava_wta.nir.readout` applies them to a consumer's counts).

The schema is versioned (``schema``, ``schema_version``); a reader checks both.
"""
from __future__ import annotations

import math
import typing as ty

SCHEMA = "lava-wta.nir"
SCHEMA_VERSION = 3

TIMING = ("every weighted connection (Linear node) delays spikes by one step; within a step a "
          "neuron's current takes that step's input before v is updated with the new current")

GRAPH_KEYS: ty.Dict[str, str] = {
    "schema": f"always {SCHEMA!r}",
    "schema_version": f"integer, {SCHEMA_VERSION} for the layout described here",
    "producer": "'lava-wta'",
    "producer_version": "lava-wta's version",
    "profile": "'nir' (the conventions above) or a consumer profile, 'snntorch' or 'rockpool' "
               "(profile_note says what it misstates)",
    "profile_note": "for a consumer profile: which graph values are not the physical ones, and why",
    "dt_s": "the network's time step (s); in profile 'nir' the step the Euler-convention time "
            "constants are written for",
    "profile_dt_s": "in a consumer profile: the step (s) its time constants are written for",
    "time_constants": "how tau_syn/tau_mem relate to the physical ones (tau' = dt/(1-exp(-dt/tau)))",
    "potential_origin": "'rest': every potential is measured from the neuron's resting potential",
    "spike_value": "a spike is 1 in one step (a pulse of area dt_s)",
    "timing": "the delay and update order under which the graph reproduces lava-wta exactly",
    "edge_delay_steps": "steps every weighted connection delays spikes (1)",
    "encoding": "'poisson'",
    "encoding_rule": "how an image becomes input spikes and when it is presented again",
    "pixel_rate_hz": "input rate per unit of pixel value (pixel values 0..255), first presentation",
    "retry_pixel_rate_hz": "rate per unit of pixel value added at each retry",
    "min_spikes": "an image is presented again while the output fires fewer spikes than this",
    "max_retries": "at most this many retries",
    "presentation_steps": "steps with input per presentation",
    "period_steps": "steps from one presentation's start to the next (presentation + rest)",
    "between_images": "'reset' (every state back to rest between presentations) or 'rest' "
                      "(period_steps - presentation_steps input-free steps)",
    "assignments": "class label of each output neuron (-1: never fired while labelling)",
    "n_classes": "number of classes (1 + the largest label)",
    "readout_rule": "how the output spike counts of an image give its class",
    "lava_wta_config": "the whole lava-wta configuration (JSON)",
}
"""Keys of the graph's metadata and what each holds."""

NEURON_KEYS: ty.Dict[str, str] = {
    "population": "'excitatory' or 'inhibitory'",
    "tau_syn_s": "physical synaptic time constant (s)",
    "tau_mem_s": "physical membrane time constant (s)",
    "v_rest_mv": "resting potential (mV): add it to any potential of the node for absolute mV",
    "v_reset_mv": "reset potential (mV, absolute)",
    "v_thresh_mv": "base threshold (mV, absolute)",
    "theta_mv": "excitatory only: the adaptive threshold offsets folded into v_threshold",
    "theta_offset_mv": "excitatory only: v_threshold = v_thresh + theta - theta_offset - v_rest",
    "t_ref_ms": "refractory period (ms); NIR has none, so the graph is exact only when it is 0",
    "refractory_exact": "whether t_ref_ms is 0",
    "current_scale": "the weights into this population are the configuration's (mV of R*i per "
                     "spike) times this factor; w_in and r compensate (r * w_in * weight is the "
                     "network's)",
    "threshold_scale": "profile 'snntorch': each neuron's v and inputs are multiplied by this "
                       "(one threshold per layer)",
}
"""Keys of each neuron node's metadata."""


def euler_tau(dt: float, fraction: float) -> float:
    """The Euler-convention time constant whose forward-Euler step of ``dt`` loses
    ``fraction`` of the state (``fraction = 1 - exp(-dt / tau)`` for an exact decay)."""
    return dt / fraction


def step_inferring_r(dt: float, tau_mem: float) -> float:
    """``r = tau_mem / dt - 1``: a reader that takes its step as ``tau_mem / (1 + r)`` (Rockpool
    3.1's NIR importer) then steps by ``dt``."""
    return tau_mem / dt - 1.0


def current_scale(du: float, dv: float) -> float:
    """The scale ``k`` of a population's incoming weights for which a reader that decays the
    current by ``exp(-du)`` and ``v`` by ``exp(-dv)`` per step, adds the weighted spike to the
    current before decaying it and the whole current to ``v`` (Rockpool 3.1's ``LIFTorch``, with
    Euler-convention time constants) gives a spike the same total effect on ``v`` (its sum over
    the steps) as lava-wta's step (current decay ``1 - du``, ``v += dv i``) does:
    ``k = (1 - exp(-du)) (1 - exp(-dv)) / (du exp(-du))``."""
    a, b = math.exp(-du), math.exp(-dv)
    return (1.0 - a) * (1.0 - b) / (du * a)


def euler_fractions(dt: float, tau_syn: ty.Optional[float], tau_mem: float) -> ty.Tuple[float, float]:
    """``(du, dv)``: the fractions of current and voltage a forward-Euler step of ``dt`` loses
    (``dt / tau``; ``du = 1`` without a synapse, ``tau_syn`` None). Raises ValueError when a
    step exceeds a time constant (Euler would overshoot)."""
    du = 1.0 if tau_syn is None else dt / tau_syn
    dv = dt / tau_mem
    for name, frac, tau in (("tau_syn", du, tau_syn), ("tau_mem", dv, tau_mem)):
        if not 0.0 < frac <= 1.0:
            raise ValueError(f"{name} = {tau}: expected a time constant >= dt = {dt} (forward Euler "
                             f"with dt / {name} = {frac})")
    return du, dv


def check_schema(metadata: ty.Mapping) -> ty.Optional[int]:
    """The schema version of a lava-wta graph's metadata, None for a graph lava-wta did not write
    (no ``schema`` key); raises ValueError for another schema or a newer version."""
    schema = metadata.get("schema")
    if schema is None:
        return None
    schema = schema.decode() if isinstance(schema, bytes) else str(schema)
    if schema != SCHEMA:
        return None
    version = int(metadata.get("schema_version", 0))
    if not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(f"metadata schema_version: expected 1..{SCHEMA_VERSION} for {SCHEMA!r}, "
                         f"got {version}")
    return version
