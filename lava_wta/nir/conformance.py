"""A plain numpy simulator of NIR graphs, written from NIR's documented semantics: the
yardstick for what a third-party consumer of a lava-wta graph should compute.

It reads the graph's nodes directly (no lava-nc, no lava-wta kernel, no lava-wta importer)
and runs them on a time grid of step ``dt`` by forward Euler, a spike being 1 in one step::

    CubaLIF:  i <- i + (dt/tau_syn) (-i + w_in x);   v <- v + (dt/tau_mem) (v_leak - v + r i)
    LIF:      v <- v + (dt/tau) (v_leak - v + r x)
    both:     spike where v > v_threshold; there v <- v_reset
    Linear:   y = W x            Affine: y = W x + b            Input/Output: pass through

``x`` is the sum of what the node's incoming edges carry. Two choices NIR leaves open are
parameters:

* ``timing="delay_every_edge"`` (lava-nc and lava-wta: every edge leaving a spiking node,
  Input or neuron, delivers the previous step's spikes) or ``timing="delay_back_edges"``
  (nirtorch-based loaders: nodes run in graph order within a step, and only the edges that
  close a loop deliver the previous step's values);
* ``order="current_first"`` (the current takes this step's input, then v integrates the
  new current: lava-nc, snnTorch) or ``order="voltage_first"`` (v integrates the previous
  current, then the current takes its input: Norse).

``reading="rockpool"`` runs a ``CubaLIF`` as Rockpool 3.1's NIR importer builds it instead
(``rockpool.nn.modules.torch.nir._convert_nir_to_rockpool``, a ``LIFTorch``; not NIR's
semantics: the yardstick for what Rockpool computes from a graph)::

    dt' = min(tau_mem / (1 + r)) over the node's neurons (the node's own step; ``dt`` unused)
    i <- exp(-dt'/tau_syn) (i + x);   v <- exp(-dt'/tau_mem) v + i + v_leak   (no w_in, no r)
    n = floor(v / v_threshold) spikes where v >= v_threshold; there v <- v - n v_threshold

``reset()`` puts every neuron at ``v_leak`` with no current and forgets spikes in flight
(at 0 under the Rockpool reading).
"""
from __future__ import annotations

import typing as ty

import numpy as np

TIMINGS = ("delay_every_edge", "delay_back_edges")
ORDERS = ("current_first", "voltage_first")
READINGS = ("nir", "rockpool")
NODE_TYPES = ("Input", "Output", "Linear", "Affine", "CubaLIF", "LIF")


class ConformanceError(ValueError):
    """The graph has a node or a shape this simulator does not run."""


def _vec(x, n: ty.Optional[int] = None) -> np.ndarray:
    a = np.asarray(x, float).ravel()
    return np.broadcast_to(a, (n,)).copy() if n is not None and a.size == 1 else a


class NIRSimulator:
    """Run a NIR graph (``nir.NIRGraph`` or a path) step by step; see the module docstring."""

    def __init__(self, graph, *, dt: ty.Optional[float] = None, timing: str = "delay_every_edge",
                 order: str = "current_first", reading: str = "nir"):
        import nir

        if not isinstance(graph, nir.NIRGraph):
            graph = nir.read(str(graph))
        if timing not in TIMINGS:
            raise ValueError(f"timing: expected one of {TIMINGS}, got {timing!r}")
        if order not in ORDERS:
            raise ValueError(f"order: expected one of {ORDERS}, got {order!r}")
        if reading not in READINGS:
            raise ValueError(f"reading: expected one of {READINGS}, got {reading!r}")
        if dt is None:
            if "dt_s" not in (graph.metadata or {}):
                raise ValueError("NIRSimulator: the graph has no metadata['dt_s']; pass dt=")
            dt = float(np.asarray(graph.metadata["dt_s"]))
        self.graph, self.dt, self.timing, self.order = graph, float(dt), timing, order
        self.reading = reading
        self.kinds = {name: type(node).__name__ for name, node in graph.nodes.items()}
        bad = [f"{n!r} ({k})" for n, k in self.kinds.items() if k not in NODE_TYPES]
        if bad:
            raise ConformanceError(f"unsupported node(s): {', '.join(bad)}; this simulator runs "
                                   f"{', '.join(NODE_TYPES)}")
        if reading == "rockpool" and "LIF" in self.kinds.values():
            raise ConformanceError("reading='rockpool' runs CubaLIF neurons only")
        self.incoming: ty.Dict[str, ty.List[str]] = {name: [] for name in graph.nodes}
        for src, dst in graph.edges:
            self.incoming[dst].append(src)
        self.inputs = [n for n, k in self.kinds.items() if k == "Input"]
        self.outputs = [n for n, k in self.kinds.items() if k == "Output"]
        back = self._back_edges()
        spiking = {n for n, k in self.kinds.items() if k in ("Input", "CubaLIF", "LIF")}
        self.delayed = {(s, d) for s, d in graph.edges
                        if (s in spiking and self.kinds[d] != "Output" if timing == "delay_every_edge"
                            else (s, d) in back)}
        self.order_of_nodes = self._step_order()
        self.sizes = {name: self._size(name) for name in self.order_of_nodes}
        self._weights = {name: np.asarray(graph.nodes[name].weight, float) for name, kind
                         in self.kinds.items() if kind in ("Linear", "Affine")}
        self._cache: ty.Dict[str, dict] = {}
        self.reset()

    def _back_edges(self) -> ty.Set[ty.Tuple[str, str]]:
        """The edges that close a loop when the graph is walked depth first from its Input
        nodes, edges in the graph's order."""
        out: ty.Dict[str, ty.List[str]] = {name: [] for name in self.graph.nodes}
        for src, dst in self.graph.edges:
            out[src].append(dst)
        state: ty.Dict[str, int] = {}
        back: ty.Set[ty.Tuple[str, str]] = set()

        def visit(name: str) -> None:
            state[name] = 1
            for nxt in out[name]:
                if state.get(nxt) == 1:
                    back.add((name, nxt))
                elif nxt not in state:
                    visit(nxt)
            state[name] = 2

        for name in self.inputs + list(self.graph.nodes):
            if name not in state:
                visit(name)
        return back

    def _step_order(self) -> ty.List[str]:
        """Nodes in an order where every undelayed edge runs forward."""
        pending = {name: {s for s in self.incoming[name] if (s, name) not in self.delayed}
                   for name in self.graph.nodes}
        order: ty.List[str] = []
        while pending:
            ready = [name for name, deps in pending.items() if not deps]
            if not ready:
                raise ConformanceError(f"a loop without delay through {sorted(pending)}")
            for name in ready:
                order.append(name)
                del pending[name]
            for deps in pending.values():
                deps.difference_update(ready)
        return order

    def _size(self, name: str) -> int:
        node, kind = self.graph.nodes[name], self.kinds[name]
        if kind == "Input":
            return int(np.prod(node.input_type["input"]))
        if kind == "Output":
            return int(np.prod(node.output_type["output"]))
        if kind in ("Linear", "Affine"):
            return int(np.asarray(node.weight).shape[0])
        return int(np.asarray(node.v_threshold).size)

    def reset(self) -> None:
        """Every neuron at rest, no current, nothing in flight."""
        self.value = {name: np.zeros(self.sizes[name]) for name in self.order_of_nodes}
        self.v, self.i = {}, {}
        for name, kind in self.kinds.items():
            if kind in ("CubaLIF", "LIF"):
                node = self.graph.nodes[name]
                self.v[name] = (np.zeros(self.sizes[name]) if self.reading == "rockpool"
                                else _vec(node.v_leak, self.sizes[name]))
                self.i[name] = np.zeros(self.sizes[name])

    def _params(self, name: str) -> dict:
        """A neuron node's parameters as float vectors (read once)."""
        if name not in self._cache:
            node, n = self.graph.nodes[name], self.sizes[name]
            p = {"v_leak": _vec(node.v_leak, n), "r": _vec(node.r, n),
                 "v_threshold": _vec(node.v_threshold, n),
                 "v_reset": np.zeros(n) if node.v_reset is None else _vec(node.v_reset, n)}  # NIR's default
            if self.kinds[name] == "LIF":
                p["a_mem"] = self.dt / _vec(node.tau, n)
            elif self.reading == "rockpool":
                tau_syn, tau_mem = _vec(node.tau_syn, n), _vec(node.tau_mem, n)
                step = np.min(tau_mem / (1.0 + p["r"]))
                p.update(k_syn=np.exp(-step / tau_syn), k_mem=np.exp(-step / tau_mem))
            else:
                p.update(a_syn=self.dt / _vec(node.tau_syn, n), a_mem=self.dt / _vec(node.tau_mem, n),
                         w_in=_vec(node.w_in, n))
            self._cache[name] = p
        return self._cache[name]

    def _neuron(self, name: str, x: np.ndarray) -> np.ndarray:
        p, v = self._params(name), self.v[name]
        if self.reading == "rockpool":
            self.i[name] = p["k_syn"] * (self.i[name] + x)
            v = p["k_mem"] * v + self.i[name] + p["v_leak"]
            spikes = np.where(v >= p["v_threshold"], np.floor(v / p["v_threshold"]), 0.0)
            self.v[name] = v - spikes * p["v_threshold"]
            return spikes
        if self.kinds[name] == "LIF":
            v = v + p["a_mem"] * (p["v_leak"] - v + p["r"] * x)
        else:
            i = self.i[name]
            i_new = i + p["a_syn"] * (-i + p["w_in"] * x)
            v = v + p["a_mem"] * (p["v_leak"] - v + p["r"] * (i_new if self.order == "current_first" else i))
            self.i[name] = i_new
        spikes = v > p["v_threshold"]
        self.v[name] = np.where(spikes, p["v_reset"], v)
        return spikes.astype(float)

    def step(self, inputs: ty.Mapping[str, np.ndarray]) -> ty.Dict[str, np.ndarray]:
        """Advance one step with ``{Input name: (n,) spikes}``; returns every node's output."""
        previous = self.value
        now: ty.Dict[str, np.ndarray] = {}
        for name in self.order_of_nodes:
            kind, node = self.kinds[name], self.graph.nodes[name]
            if kind == "Input":
                now[name] = np.asarray(inputs[name], float).ravel()
                continue
            x = np.zeros(self._in_size(name))
            for src in self.incoming[name]:
                x = x + (previous[src] if (src, name) in self.delayed else now[src])
            if kind == "Output":
                now[name] = x
            elif kind in ("Linear", "Affine"):
                now[name] = self._weights[name] @ x
                if kind == "Affine":
                    now[name] = now[name] + _vec(node.bias)
            else:
                now[name] = self._neuron(name, x)
        self.value = now
        return now

    def _in_size(self, name: str) -> int:
        kind = self.kinds[name]
        if kind in ("Linear", "Affine"):
            return int(np.asarray(self.graph.nodes[name].weight).shape[1])
        return self.sizes[name]

    def run(self, rasters: ty.Mapping[str, np.ndarray], *,
            record: ty.Sequence[str] = ()) -> ty.Dict[str, np.ndarray]:
        """Run ``T`` steps from the current state with ``{Input name: (n, T) raster}``; returns
        ``{Output name: (n, T)}`` and the outputs of the nodes named in ``record``."""
        missing = [n for n in self.inputs if n not in rasters]
        if missing:
            raise ValueError(f"run: no raster for Input node(s) {missing}")
        rasters = {n: np.asarray(rasters[n], float) for n in self.inputs}
        steps = {r.shape[1] for r in rasters.values()}
        if len(steps) != 1:
            raise ValueError(f"run: rasters of different lengths {sorted(steps)}")
        (t_steps,) = steps
        taps = list(self.outputs) + list(record)
        out = {n: np.zeros((self.sizes[n], t_steps)) for n in taps}
        for t in range(t_steps):
            now = self.step({n: r[:, t] for n, r in rasters.items()})
            for n in taps:
                out[n][:, t] = now[n]
        return out
