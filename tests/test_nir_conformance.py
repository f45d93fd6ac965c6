"""lava-wta's NIR graphs against a plain numpy simulator of NIR's documented semantics
(lava_wta.nir.conformance), and foreign graphs in the form snnTorch and Norse export."""
import nir
import numpy as np
import pytest

from lava_wta import WTAConfig
from lava_wta.kernels.poisson import presentation_raster, raster_buffers
from lava_wta.nir import export_nir, run_raster, to_nir_graph
from lava_wta.nir.conformance import ConformanceError, NIRSimulator
from lava_wta.nir.readout import Readout
from lava_wta.state import WTAState

SEED = 5


@pytest.fixture(scope="module")
def cuba_config():
    return WTAConfig().with_overrides({
        "network.n_inputs": 36, "network.n_neurons": 12, "network.neuron_model": "current",
        "time.presentation_ms": 40.0, "cuba_inh.exc_current_mv": 30.0,
        "cuba_exc.inh_current_mv": 40.0}).for_evaluation()


@pytest.fixture(scope="module")
def trained(cuba_config):
    rng = np.random.default_rng(0)
    state = WTAState.initial(cuba_config)
    state.weights = rng.uniform(0, 1, state.weights.shape) ** 2
    state.theta = state.theta + rng.uniform(0, 4, 12)
    state.assignments = rng.integers(-1, 10, 12)
    return state


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).integers(0, 256, size=(60, 36)).astype(float)


@pytest.fixture(scope="module")
def engine_counts(cuba_config, trained, images):
    from lava_wta.engine import present_engine

    return present_engine(cuba_config, images, trained, learning=False, input_seed=SEED).counts


def _replay(config):
    """The engine's own input stream, as rasters for :meth:`Readout.present`."""
    t, n_in = config.time, config.network.n_inputs
    bufs = raster_buffers(n_in, t.presentation_steps)

    def encode(index, image, retry):
        gain = config.input.pixel_rate_hz + retry * config.input.retry_pixel_rate_hz
        presentation_raster(np.ascontiguousarray(image, float), gain, t.dt_ms * 1e-3,
                            t.presentation_steps, SEED, index, retry, *bufs)
        raster = np.zeros((n_in, t.period_steps))
        for step in range(t.presentation_steps):
            raster[bufs[1][bufs[0][step]:bufs[0][step + 1]], step] = 1.0
        return raster
    return encode


def _classify(graph, images, encode, **timing):
    sim = NIRSimulator(graph, **timing)

    def run(raster):
        sim.reset()
        return sim.run({"input": raster})["output"]
    return Readout.from_metadata(graph.metadata).classify(run, images, encode=encode)


def test_export_in_the_conformance_simulator_gives_the_float_network_counts(
        tmp_path, cuba_config, trained, images, engine_counts):
    export_nir(trained, cuba_config, tmp_path / "g.nir")
    graph = nir.read(tmp_path / "g.nir")
    pred, counts = _classify(graph, images, _replay(cuba_config))
    assert engine_counts.sum() > 100 and (engine_counts.sum(axis=1) > 0).mean() > 0.9
    np.testing.assert_array_equal(counts, engine_counts)
    ref = Readout.from_metadata(graph.metadata).predict(engine_counts)
    np.testing.assert_array_equal(pred, ref)


def test_nirtorch_timing_shifts_feed_forward_spikes_one_step_earlier(cuba_config, trained):
    """Loaders that pass spikes forward within a step deliver the input one step sooner; with
    the inhibitory loop cut, the output spikes are the same, one step earlier."""
    cut = cuba_config.with_overrides({"network.w_ie": 0.0})
    graph = to_nir_graph(trained, cut)
    raster = (np.random.default_rng(3).random((36, 80)) < 0.1).astype(float)
    lava = NIRSimulator(graph).run({"input": raster})["output"]
    torch = NIRSimulator(graph, timing="delay_back_edges").run({"input": raster})["output"]
    assert lava.sum() > 10
    np.testing.assert_array_equal(torch[:, :-1], lava[:, 1:])
    assert not np.array_equal(
        NIRSimulator(to_nir_graph(trained, cuba_config), timing="delay_back_edges")
        .run({"input": raster})["output"][:, :-1],
        NIRSimulator(to_nir_graph(trained, cuba_config)).run({"input": raster})["output"][:, 1:]), \
        "with the loop, its extra step changes the spikes"


def test_snntorch_profile_gives_the_same_spikes_under_its_assumed_step(cuba_config, trained, images,
                                                                       engine_counts):
    graph = to_nir_graph(trained, cuba_config, profile="snntorch")
    exc = graph.nodes["exc"]
    assert np.unique(exc.v_threshold).size == 1 and np.all(exc.v_leak == 0)
    np.testing.assert_allclose(exc.r, exc.tau_mem / 1e-4)
    _, counts = _classify(graph, images[:20], _replay(cuba_config), dt=1e-4)
    np.testing.assert_array_equal(counts, engine_counts[:20])


def _foreign_graph():
    """Input(6) -> Linear -> CubaLIF as snnTorch exports a Synaptic layer (dt 1e-4 s,
    tau = dt / (1 - decay), r = tau_mem/dt, w_in = tau_syn/dt) -> Linear -> CubaLIF as Norse
    exports one (tau = 1/tau_inv, r = w_in = 1, v_leak 0) -> Output, with a recurrent Linear
    on the first layer."""
    dt, n1, n2 = 1e-4, 5, 3
    alpha, beta = 0.8, 0.9
    tau_syn, tau_mem = dt / (1 - alpha), dt / (1 - beta)
    rng = np.random.default_rng(4)
    nodes = {
        "input": nir.Input(input_type=np.array([6])),
        "fc1": nir.Linear(weight=rng.uniform(0, 0.6, (n1, 6))),
        "lif1": nir.CubaLIF(tau_syn=np.full(n1, tau_syn), tau_mem=np.full(n1, tau_mem),
                            r=np.full(n1, tau_mem / dt), v_leak=np.zeros(n1),
                            v_threshold=np.ones(n1), w_in=np.full(n1, tau_syn / dt)),
        "rec": nir.Linear(weight=-0.3 * (1 - np.eye(n1))),
        "fc2": nir.Linear(weight=rng.uniform(0, 1.5, (n2, n1))),
        "lif2": nir.CubaLIF(tau_syn=np.full(n2, 1 / 200), tau_mem=np.full(n2, 1 / 100),
                            r=np.ones(n2), v_leak=np.zeros(n2), v_threshold=np.full(n2, 0.02),
                            w_in=np.ones(n2)),
        "output": nir.Output(output_type=np.array([n2])),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output"),
             ("lif1", "rec"), ("rec", "lif1")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=True), dt


def test_foreign_graph_runs_alike_in_the_importer_and_the_conformance_simulator():
    graph, dt = _foreign_graph()
    raster = (np.random.default_rng(2).random((6, 150)) < 0.4).astype(float)
    lava = run_raster(graph, {"input": raster}, dt=dt, record=["lif1"])
    ref = NIRSimulator(graph, dt=dt).run({"input": raster}, record=["lif1"])
    assert 0 < ref["lif1"].sum() < ref["lif1"].size and 0 < ref["output"].sum() < ref["output"].size
    np.testing.assert_array_equal(lava["lif1"], ref["lif1"])
    np.testing.assert_array_equal(lava["output"], ref["output"])


def test_simulator_refuses_what_it_does_not_run():
    graph = nir.NIRGraph.from_list(nir.IF(r=np.ones(2), v_threshold=np.ones(2), v_reset=np.zeros(2)))
    with pytest.raises(ConformanceError, match="IF"):
        NIRSimulator(graph, dt=1e-3)
    with pytest.raises(ValueError, match="dt"):
        NIRSimulator(_foreign_graph()[0])


def test_readout_applies_the_retry_rule_and_votes(cuba_config, trained):
    readout = Readout.from_metadata(to_nir_graph(trained, cuba_config).metadata)
    label = trained.assignments[trained.assignments >= 0][0]
    seen = []

    def silent_then_busy(raster):        # fires only from the second retry on
        seen.append(raster[:, :readout.presentation_steps].sum())
        out = np.zeros((trained.assignments.size, raster.shape[1]))
        if len(seen) >= 3:
            out[np.flatnonzero(trained.assignments == label), :readout.min_spikes] = 1
        return out

    counts, retries = readout.present(silent_then_busy, np.full(36, 200.0),
                                      rng=np.random.default_rng(0))
    assert retries == 2 and seen[0] < seen[1] < seen[2], "each retry raises the input rate"
    assert readout.predict(counts)[0] == label
    p = readout.spike_probability(np.array([0.0, 100.0]), 1)
    np.testing.assert_allclose(p, [0.0, 100.0 * (cuba_config.input.pixel_rate_hz
                                                 + cuba_config.input.retry_pixel_rate_hz)
                                   * cuba_config.time.dt_ms * 1e-3])


def _with(graph, **changes):
    """``graph`` with node fields replaced: ``changes = {node name: {field: value}}``."""
    import dataclasses

    nodes = {name: dataclasses.replace(node, **changes.get(name, {})) if name in changes else node
             for name, node in graph.nodes.items()}
    return nir.NIRGraph(nodes=nodes, edges=graph.edges, metadata=graph.metadata)


def test_r_and_the_weight_scale_are_free_in_nir(cuba_config, trained):
    """NIR fixes only r * w_in * weight: r times 4 with w_in / 4, or a population's incoming
    weights times 2 with its w_in / 2, leaves every spike in place (powers of two: exactly)."""
    graph = to_nir_graph(trained, cuba_config)
    exc, inh = graph.nodes["exc"], graph.nodes["inh"]
    other = _with(graph, exc={"r": 4 * exc.r, "w_in": exc.w_in / 4},
                  inh={"w_in": inh.w_in / 2}, exc_to_inh={"weight": 2 * graph.nodes["exc_to_inh"].weight})
    raster = (np.random.default_rng(6).random((36, 120)) < 0.08).astype(float)
    for timing in ("delay_every_edge", "delay_back_edges"):
        ref = NIRSimulator(graph, timing=timing).run({"input": raster}, record=["inh"])
        out = NIRSimulator(other, timing=timing).run({"input": raster}, record=["inh"])
        assert ref["output"].sum() > 5 and ref["inh"].sum() > 0
        np.testing.assert_array_equal(out["output"], ref["output"])
        np.testing.assert_array_equal(out["inh"], ref["inh"])


def _first_spike_membranes(sim_a, sim_b, raster):
    """Step both simulators until either's excitatory neurons spike; the steps compared."""
    steps = 0
    for t in range(raster.shape[1]):
        a, b = sim_a.step({"input": raster[:, t]}), sim_b.step({"input": raster[:, t]})
        if a["exc"].any() or b["exc"].any():
            np.testing.assert_array_equal(b["exc"], a["exc"])      # the same neurons cross
            break
        np.testing.assert_allclose(sim_b.v["exc"], sim_a.v["exc"], rtol=1e-9, atol=1e-9)
        steps += 1
    return steps


def test_rockpool_profile_in_rockpools_reading_steps_lava_wtas_membrane(cuba_config, trained):
    """Read as Rockpool 3.1 builds a LIFTorch (its step tau_mem / (1 + r), exp decays, no w_in
    or r), the ``rockpool`` profile gives the membrane potentials of lava-wta's network until
    the first spike (then Rockpool subtracts the threshold where lava-wta resets to rest)."""
    raster = (np.random.default_rng(7).random((36, 80)) < 0.02).astype(float)
    exact = NIRSimulator(to_nir_graph(trained, cuba_config))
    graph = to_nir_graph(trained, cuba_config, profile="rockpool")
    np.testing.assert_allclose(graph.nodes["exc"].tau_mem, cuba_config.cuba_exc.tau_m_ms * 1e-3)
    steps = _first_spike_membranes(exact, NIRSimulator(graph, reading="rockpool"), raster)
    assert steps >= 5 and exact.v["exc"].max() > 1.0, "a real stretch of subthreshold dynamics compared"


def test_default_export_in_rockpools_reading_fires_like_the_network(cuba_config, trained, images,
                                                                     engine_counts):
    """The default graph's r makes Rockpool's reading step by dt_s and its weight scale gives a
    spike the same total effect on v: it is not exact (exp(-du) for 1 - du), but not silent
    either, unlike a graph with r = 1 (the step tau_mem / 2)."""
    graph = to_nir_graph(trained, cuba_config)
    _, counts = _classify(graph, images[:20], _replay(cuba_config), reading="rockpool")
    ratio = counts.sum() / engine_counts[:20].sum()
    assert 0.7 < ratio < 1.3, ratio
    exc = graph.nodes["exc"]
    silent = _with(graph, exc={"r": np.ones_like(exc.r), "w_in": exc.w_in * exc.r})
    _, counts = _classify(silent, images[:20], _replay(cuba_config), reading="rockpool")
    assert counts.sum() < 0.1 * engine_counts[:20].sum()


def test_rockpool_reading_refuses_lif_nodes():
    graph = nir.NIRGraph.from_list(nir.LIF(tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2),
                                           v_threshold=np.ones(2)))
    with pytest.raises(ConformanceError, match="CubaLIF"):
        NIRSimulator(graph, dt=1e-3, reading="rockpool")
