"""Build a runnable lava-nc network from a NIR graph.

Supported nodes and what they become (lava-nc's own Processes where they fit):

=====================  ==================================================================
NIR node               Lava
=====================  ==================================================================
``Input``              an entry point: the ``s_in`` ports of the Dense Processes it feeds
                       (connect any spike source, or pass a raster: lava-nc ``RingBuffer``)
``Linear``             lava-nc ``Dense`` (weights ``(out, in)``, scaled as below)
``Affine``             lava-nc ``Dense``, only with a zero bias
``CubaLIF``            lava-nc ``LIF`` when the threshold is one number and ``v_reset`` equals
                       ``v_leak``; otherwise lava-wta's ``PerNeuronLIF`` (lava-nc's LIF with
                       per-neuron ``vth`` and ``v_reset``)
``LIF``                the same, with ``du = 1`` (no synaptic current: a spike acts at once)
``Output``             an exit point: the ``s_out`` port of the node feeding it
=====================  ==================================================================

Anything else (``CubaLI``, ``IF``, ``Conv2d``, ``Scale``, ``Threshold``, sub-graphs, ...)
is refused by :class:`UnsupportedNIRError`, which lists every unsupported node by name
and type. A node feeding a neuron directly (no Linear in between) is connected one-to-one.

Discretisation (time step ``dt``: the graph's ``metadata["dt_s"]`` or the ``dt``
argument; time constants in the graph's time unit, seconds by NIR convention): forward
Euler, a spike being 1 in one step, as NIR's consumers run it
(:mod:`lava_wta.nir.conventions`)::

    du = dt / tau_syn                 dv = dt / tau_mem
    i <- i + du (-i + w_in x)         x: weighted spikes arriving in the step
    v <- v + dv (v_leak - v + r i)    with the new i
    spike if v > v_threshold, then v <- v_reset

In lava-nc's LIF form (``u = dv r i``, ``v`` measured from ``v_leak``)::

    u <- u (1 - du) + sum_j W'_ij s_j        with W' = dv * r * du * w_in * W
    v <- v (1 - dv) + u
    spike if v > v_threshold - v_leak, then v <- v_reset - v_leak

Every connection delays spikes by one step (lava-nc ``Dense``), as in lava-wta's network.
Output potentials are offset by ``v_leak``; spikes are what is compared. Graphs written by
lava-wta with schema version 1 (no ``schema`` key, ``metadata["discretisation"]``) are read
with their own exponential discretisation (``du = 1 - exp(-dt/tau_syn)``, a spike adds
``w_in * w`` to ``i``).
"""
from __future__ import annotations

import math
import typing as ty
from dataclasses import dataclass, field

import numpy as np

from lava_wta.nir.conventions import check_schema, euler_fractions

NEURON_TYPES = ("CubaLIF", "LIF")
WEIGHT_TYPES = ("Linear", "Affine")
IO_TYPES = ("Input", "Output")
INTEGRATIONS = ("euler", "exponential")


class UnsupportedNIRError(ValueError):
    """The graph uses NIR nodes or patterns this importer cannot build."""


@dataclass
class NeuronParams:
    """A NIR neuron node in lava-nc's LIF form (see the module docstring)."""

    du: float
    dv: float
    gain: np.ndarray          # per neuron: dv * r * w_in, multiplies incoming weights
    vth: np.ndarray           # v_threshold - v_leak
    v_reset: np.ndarray       # v_reset - v_leak
    v_leak: np.ndarray

    @property
    def fits_stock_lif(self) -> bool:
        """lava-nc's LIF expresses it: one threshold, reset to v_leak."""
        return bool(np.all(self.vth == self.vth.flat[0]) and np.all(self.v_reset == 0))


@dataclass
class ImportedNetwork:
    """Lava Processes built from a NIR graph.

    Attributes
    ----------
    neurons : dict
        NIR node name -> LIF / PerNeuronLIF Process.
    connections : dict
        ``(source node, target neuron)`` -> lava-nc Dense Process.
    inputs : dict
        Input node name -> list of InPorts (``Dense.s_in``) to connect a spike source to.
    outputs : dict
        Output node name -> the OutPort of the neuron node feeding it.
    params : dict
        Neuron node name -> :class:`NeuronParams` (the converted parameters).
    dt : float
        Time step used, in the graph's time unit.
    """

    neurons: dict = field(default_factory=dict)
    connections: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    dt: float = 0.0

    def connect_input(self, name: str, out_port) -> None:
        """Connect a spike source's OutPort to every entry point of Input ``name``."""
        for port in self.inputs[name]:
            out_port.connect(port)

    @property
    def any_process(self):
        """A Process of the network, to call ``run``/``stop`` on."""
        return next(iter(self.neurons.values()))


def _as_graph(graph_or_path):
    import nir

    if isinstance(graph_or_path, nir.NIRGraph):
        return graph_or_path
    return nir.read(str(graph_or_path))


def _integration(graph, integration: ty.Optional[str]) -> str:
    """``"euler"`` (NIR's consumers; every graph but lava-wta's schema-1 files) or
    ``"exponential"`` (lava-wta's schema-1 files)."""
    if integration is not None:
        if integration not in INTEGRATIONS:
            raise ValueError(f"import_nir: integration: expected one of {INTEGRATIONS}, "
                             f"got {integration!r}")
        return integration
    meta = graph.metadata or {}
    legacy = (check_schema(meta) is None and "discretisation" in meta
              and str(_text(meta.get("producer"))) == "lava-wta")
    return "exponential" if legacy else "euler"


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _neuron_params(name: str, node, dt: float, integration: str = "euler") -> NeuronParams:
    kind = type(node).__name__
    if kind == "CubaLIF":
        tau_syn = np.asarray(node.tau_syn, float).ravel()
        if not np.all(tau_syn == tau_syn[0]):
            raise UnsupportedNIRError(
                f"node {name!r} (CubaLIF): tau_syn differs between neurons; lava-nc's LIF has "
                f"one du per population")
        syn = float(tau_syn[0]) if tau_syn[0] > 0 else None
        tau_mem, w_in = np.asarray(node.tau_mem, float).ravel(), np.asarray(node.w_in, float).ravel()
    else:  # LIF
        syn = None
        tau_mem, w_in = np.asarray(node.tau, float).ravel(), np.ones(np.size(node.tau))
    if not np.all(tau_mem == tau_mem[0]):
        raise UnsupportedNIRError(f"node {name!r} ({kind}): tau differs between neurons; "
                                  f"lava-nc's LIF has one dv per population")
    if not tau_mem[0] > 0:
        raise UnsupportedNIRError(f"node {name!r} ({kind}): expected a membrane time constant > 0, "
                                  f"got {tau_mem[0]}")
    if integration == "exponential":
        du = 1.0 - math.exp(-dt / syn) if syn is not None else 1.0
        dv = 1.0 - math.exp(-dt / float(tau_mem[0]))
        jump = w_in                               # a spike adds w_in * w to i
    else:
        try:
            du, dv = euler_fractions(dt, syn, float(tau_mem[0]))
        except ValueError as err:
            raise UnsupportedNIRError(f"node {name!r} ({kind}): {err}") from None
        jump = du * w_in if syn is not None else w_in
    r = np.asarray(node.r, float).ravel()
    v_leak = np.asarray(node.v_leak, float).ravel()
    v_reset = np.asarray(node.v_reset if node.v_reset is not None else np.zeros_like(v_leak),
                         float).ravel()
    vth = np.asarray(node.v_threshold, float).ravel()
    return NeuronParams(du=du, dv=dv, gain=dv * r * jump, vth=vth - v_leak,
                        v_reset=v_reset - v_leak, v_leak=v_leak)


def _graph_dt(graph, dt: ty.Optional[float]) -> float:
    meta = graph.metadata or {}
    if dt is None:
        if "dt_s" not in meta:
            raise ValueError("import_nir: the graph has no metadata['dt_s']; pass dt= (the time "
                             "step, in the unit of the graph's time constants)")
        dt = float(np.asarray(meta["dt_s"]))
    if not dt > 0:
        raise ValueError(f"import_nir: dt: expected > 0, got {dt}")
    return dt


def check_supported(graph) -> None:
    """Raise :class:`UnsupportedNIRError` listing every node the importer cannot build."""
    bad = [f"{name!r} ({type(node).__name__})" for name, node in graph.nodes.items()
           if type(node).__name__ not in NEURON_TYPES + WEIGHT_TYPES + IO_TYPES]
    for name, node in graph.nodes.items():
        if type(node).__name__ == "Affine" and np.any(np.asarray(node.bias) != 0):
            bad.append(f"{name!r} (Affine with a non-zero bias)")
    if bad:
        raise UnsupportedNIRError(
            f"unsupported NIR node(s): {', '.join(bad)}; supported types: "
            f"{', '.join(NEURON_TYPES + WEIGHT_TYPES + IO_TYPES)}")


@dataclass
class Plan:
    """A NIR graph in lava-nc's LIF form, before any Process is built.

    ``neurons``: node name -> :class:`NeuronParams`; ``connections``: list of
    ``(source node, target neuron node, weight (n_target, n_source))`` with weights already
    multiplied by the target's gain (units of lava's ``u``); ``inputs``: Input node name ->
    size; ``outputs``: Output node name -> the neuron node feeding it; ``dt``.
    """

    neurons: dict
    connections: list
    inputs: dict
    outputs: dict
    dt: float


def plan_nir(graph_or_path, *, dt: ty.Optional[float] = None,
             integration: ty.Optional[str] = None) -> Plan:
    """Check a NIR graph and convert it to lava-nc's LIF form (see the module docstring).
    ``integration``: ``"euler"`` or ``"exponential"``; default: the graph's (see there)."""
    graph = _as_graph(graph_or_path)
    check_supported(graph)
    dt = _graph_dt(graph, dt)
    integration = _integration(graph, integration)
    kinds = {name: type(node).__name__ for name, node in graph.nodes.items()}
    incoming: ty.Dict[str, list] = {name: [] for name in graph.nodes}
    outgoing: ty.Dict[str, list] = {name: [] for name in graph.nodes}
    for src, dst in graph.edges:
        if src not in graph.nodes or dst not in graph.nodes:
            raise UnsupportedNIRError(f"edge ({src!r}, {dst!r}) names a node that is not in the graph")
        incoming[dst].append(src)
        outgoing[src].append(dst)
    neurons = {name: _neuron_params(name, node, dt, integration) for name, node in graph.nodes.items()
               if kinds[name] in NEURON_TYPES}
    if not neurons:
        raise UnsupportedNIRError("the graph has no neuron node (CubaLIF or LIF)")

    def spiking(name: str) -> bool:
        return kinds[name] in NEURON_TYPES or kinds[name] == "Input"

    def size(name: str) -> int:
        if kinds[name] == "Input":
            return int(np.prod(graph.nodes[name].input_type["input"]))
        return neurons[name].vth.size

    connections = []
    outputs = {}
    for name, node in graph.nodes.items():
        kind = kinds[name]
        if kind in WEIGHT_TYPES:
            weight = np.asarray(node.weight, float)
            if weight.ndim != 2:
                raise UnsupportedNIRError(f"node {name!r} ({kind}): expected a 2-D weight, "
                                          f"got shape {weight.shape}")
            for src in incoming[name]:
                if not spiking(src):
                    raise UnsupportedNIRError(
                        f"node {name!r} ({kind}) is fed by {src!r} ({kinds[src]}); only Input "
                        f"and neuron nodes may feed a weight node")
                for dst in outgoing[name]:
                    if kinds[dst] not in NEURON_TYPES:
                        raise UnsupportedNIRError(
                            f"node {name!r} ({kind}) feeds {dst!r} ({kinds[dst]}); a weight node "
                            f"must feed neuron nodes ({', '.join(NEURON_TYPES)})")
                    if weight.shape != (size(dst), size(src)):
                        raise UnsupportedNIRError(
                            f"node {name!r} ({kind}): weight of shape {weight.shape} between "
                            f"{src!r} ({size(src)}) and {dst!r} ({size(dst)})")
                    connections.append((src, dst, neurons[dst].gain[:, None] * weight))
        elif kind in NEURON_TYPES:
            for src in incoming[name]:
                if spiking(src):           # direct spiking edge: one-to-one
                    if size(src) != size(name):
                        raise UnsupportedNIRError(f"edge ({src!r}, {name!r}): sizes differ "
                                                  f"({size(src)} != {size(name)})")
                    connections.append((src, name, np.diag(neurons[name].gain)))
        elif kind == "Output":
            feeders = incoming[name]
            if len(feeders) != 1 or kinds[feeders[0]] not in NEURON_TYPES:
                raise UnsupportedNIRError(
                    f"Output node {name!r} must be fed by exactly one neuron node, got "
                    f"{[(f, kinds[f]) for f in feeders]}")
            outputs[name] = feeders[0]
    inputs = {name: size(name) for name, kind in kinds.items() if kind == "Input"}
    return Plan(neurons=neurons, connections=connections, inputs=inputs, outputs=outputs, dt=dt)


def import_nir(graph_or_path, *, dt: ty.Optional[float] = None, period_steps: int = 0,
               reset_between: bool = False, force_per_neuron: bool = False,
               integration: ty.Optional[str] = None) -> ImportedNetwork:
    """Lava Processes for a NIR graph (an ``nir.NIRGraph`` or a path to a ``.nir`` file).

    Parameters
    ----------
    dt : float, optional
        Time step in the graph's time unit; default ``graph.metadata["dt_s"]``.
    period_steps, reset_between : int, bool
        Reset every neuron to rest at the end of every ``period_steps`` steps (lava-wta's
        presentation protocol; needs lava-wta's ``PerNeuronLIF``). Default: never.
    force_per_neuron : bool
        Use ``PerNeuronLIF`` even where lava-nc's ``LIF`` fits.
    integration : str, optional
        ``"euler"`` or ``"exponential"`` (see the module docstring); default: the graph's.

    Run the result with :class:`lava_wta.run_config.WTASimCfg` (``select_tag`` "floating_pt").
    """
    from lava.proc.dense.process import Dense
    from lava.proc.lif.process import LIF

    from lava_wta.processes.lif import PerNeuronLIF

    plan = plan_nir(graph_or_path, dt=dt, integration=integration)
    net = ImportedNetwork(dt=plan.dt, params=plan.neurons)
    resets = bool(reset_between and period_steps)
    for name, p in plan.neurons.items():
        shape = (p.vth.size,)
        if p.fits_stock_lif and not resets and not force_per_neuron:
            net.neurons[name] = LIF(shape=shape, du=p.du, dv=p.dv, vth=float(p.vth[0]), name=name)
        else:
            net.neurons[name] = PerNeuronLIF(
                shape=shape, du=p.du, dv=p.dv, vth=p.vth, v_reset=p.v_reset,
                period_steps=period_steps, reset_between=resets, name=name)
    for src, dst, weight in plan.connections:
        dense = Dense(weights=weight, name=f"{src}->{dst}")
        net.connections[(src, dst)] = dense
        wire(net, src, dense, dst)
    return finish(net, plan)


def wire(net: ImportedNetwork, src: str, dense, dst: str) -> None:
    """Connect ``src`` (a neuron or an Input entry point) through ``dense`` to ``dst``."""
    if src in net.neurons:
        net.neurons[src].s_out.connect(dense.s_in)
    else:
        net.inputs.setdefault(src, []).append(dense.s_in)
    dense.a_out.connect(net.neurons[dst].a_in)


def finish(net: ImportedNetwork, plan: Plan) -> ImportedNetwork:
    """Record the Output ports and the (possibly unconnected) Input entry points."""
    for name, feeder in plan.outputs.items():
        net.outputs[name] = net.neurons[feeder].s_out
    for name in plan.inputs:
        net.inputs.setdefault(name, [])
    return net


def run_raster(graph_or_path, spikes: ty.Mapping[str, np.ndarray], *,
               dt: ty.Optional[float] = None, select_tag: str = "floating_pt",
               record: ty.Optional[ty.Sequence[str]] = None,
               integration: ty.Optional[str] = None) -> ty.Dict[str, np.ndarray]:
    """Import a graph, drive its Input nodes with rasters (``{input name: (n, T) array}``),
    run ``T`` steps and return ``{Output name: (n, T) spike raster}`` (and the spike
    rasters of the neuron nodes named in ``record``)."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source

    from lava_wta.run_config import WTASimCfg

    net = import_nir(graph_or_path, dt=dt, integration=integration)
    steps = None
    for name, ports in net.inputs.items():
        if name not in spikes:
            raise ValueError(f"run_raster: no spikes given for Input node {name!r}")
        raster = np.asarray(spikes[name], float)
        steps = raster.shape[1] if steps is None else steps
        if raster.shape[1] != steps:
            raise ValueError(f"run_raster: rasters of different lengths ({raster.shape[1]} != {steps})")
        src = Source(data=raster)
        for port in ports:
            src.s_out.connect(port)
    if steps is None:
        raise ValueError("run_raster: the graph has no Input node")
    sinks = {}
    taps = dict(net.outputs)
    for name in record or ():
        taps[name] = net.neurons[name].s_out
    for name, port in taps.items():
        sinks[name] = Sink(shape=port.shape, buffer=steps)
        port.connect(sinks[name].a_in)
    proc = net.any_process
    from lava_wta.lava_runtime import tie_lava_workers_to_this_process

    tie_lava_workers_to_this_process()     # its workers die with this process
    proc.run(condition=RunSteps(num_steps=steps), run_cfg=WTASimCfg(select_tag=select_tag))
    try:
        return {name: np.array(s.data.get()) for name, s in sinks.items()}
    finally:
        proc.stop()
