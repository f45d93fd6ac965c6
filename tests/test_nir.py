"""NIR export, import into lava-nc, round trip, foreign graphs and refusals."""
import json

import nir
import numpy as np
import pytest

from lava_wta import WTAConfig
from lava_wta.nir import UnsupportedModelError, UnsupportedNIRError, export_nir, import_nir, run_raster
from lava_wta.state import WTAState

DT_S = 5e-4


@pytest.fixture
def cuba_config():
    return WTAConfig().with_overrides({
        "network.n_inputs": 16, "network.n_neurons": 5, "network.neuron_model": "current",
        "time.presentation_ms": 20.0, "cuba_inh.exc_current_mv": 30.0,
        "cuba_exc.inh_current_mv": 70.0})


@pytest.fixture
def trained(cuba_config):
    rng = np.random.default_rng(0)
    state = WTAState.initial(cuba_config)
    state.weights = rng.uniform(0, 1, state.weights.shape)
    state.theta = state.theta + rng.uniform(0, 3, 5)
    state.assignments = np.array([3, 1, -1, 7, 0])
    return state


def _euler_tau(tau_s):
    """The Euler-convention time constant: one Euler step of DT_S decays as exp(-DT_S/tau)."""
    return DT_S / (1 - np.exp(-DT_S / tau_s))


def test_export_passes_type_check_and_reads_back_every_field(tmp_path, cuba_config, trained):
    from lava_wta.nir.conventions import GRAPH_KEYS, NEURON_KEYS, SCHEMA, SCHEMA_VERSION

    path = tmp_path / "net.nir"
    export_nir(trained, cuba_config, path)
    g = nir.read(path)                     # type_check=True by default
    g = nir.NIRGraph(nodes=g.nodes, edges=g.edges, metadata=g.metadata, type_check=True)
    kinds = {k: type(v).__name__ for k, v in g.nodes.items()}
    assert kinds == {"input": "Input", "input_weights": "Linear", "exc": "CubaLIF",
                     "exc_to_inh": "Linear", "inh": "CubaLIF", "inh_to_exc": "Linear",
                     "output": "Output"}
    # the feed-forward path to the output first, then the inhibitory loop (Spyx needs it)
    assert list(map(tuple, g.edges)) == [
        ("input", "input_weights"), ("input_weights", "exc"), ("exc", "output"),
        ("exc", "exc_to_inh"), ("exc_to_inh", "inh"), ("inh", "inh_to_exc"), ("inh_to_exc", "exc")]
    ce, ci, n = cuba_config.cuba_exc, cuba_config.cuba_inh, 5
    np.testing.assert_array_equal(g.nodes["input"].input_type["input"], [16])
    np.testing.assert_array_equal(g.nodes["output"].output_type["output"], [n])
    k = {name: float(g.nodes[name].metadata["current_scale"]) for name in ("exc", "inh")}
    np.testing.assert_allclose(g.nodes["input_weights"].weight, k["exc"] * ce.input_current_mv * trained.weights)
    assert not g.nodes["input_weights"].metadata, "no metadata on Linear (nir <= 1.0.4 readers)"
    for name, p, vth in (("exc", ce, ce.v_thresh_mv + trained.theta - ce.theta_offset_mv),
                         ("inh", ci, np.full(n, ci.v_thresh_mv))):
        node = g.nodes[name]
        np.testing.assert_allclose(node.tau_syn, _euler_tau(p.tau_syn_ms * 1e-3), rtol=1e-12)
        np.testing.assert_allclose(node.tau_mem, _euler_tau(p.tau_m_ms * 1e-3), rtol=1e-12)
        # r lets a reader that infers its step as tau_mem / (1 + r) infer dt; the weights carry k;
        # r * w_in * k is what r = 1, w_in = tau_syn / dt would give (the same network)
        du, dv = DT_S / node.tau_syn, DT_S / node.tau_mem
        np.testing.assert_allclose(node.tau_mem / (1 + node.r), DT_S, rtol=1e-12)
        assert k[name] == pytest.approx((1 - np.exp(-du[0])) * (1 - np.exp(-dv[0])) / (du[0] * np.exp(-du[0])))
        np.testing.assert_allclose(node.r * node.w_in * k[name], node.tau_syn / DT_S, rtol=1e-12)
        np.testing.assert_array_equal(node.v_leak, 0.0)
        np.testing.assert_allclose(node.v_reset, p.v_reset_mv - p.v_rest_mv)
        np.testing.assert_allclose(node.v_threshold, vth - p.v_rest_mv)
        m = node.metadata
        assert set(m) <= set(NEURON_KEYS), set(m) - set(NEURON_KEYS)
        assert float(m["tau_syn_s"]) == p.tau_syn_ms * 1e-3 and float(m["tau_mem_s"]) == p.tau_m_ms * 1e-3
        assert float(m["v_rest_mv"]) == p.v_rest_mv and float(m["t_ref_ms"]) == p.t_ref_ms
    np.testing.assert_allclose(g.nodes["exc"].metadata["theta_mv"], trained.theta)
    np.testing.assert_allclose(g.nodes["exc_to_inh"].weight,
                               k["inh"] * cuba_config.network.w_ei * ci.exc_current_mv * np.eye(n))
    np.testing.assert_allclose(g.nodes["inh_to_exc"].weight,
                               -k["exc"] * cuba_config.network.w_ie * ce.inh_current_mv * (1 - np.eye(n)))
    m = g.metadata
    assert set(m) <= set(GRAPH_KEYS), set(m) - set(GRAPH_KEYS)
    assert _text(m["schema"]) == SCHEMA and int(m["schema_version"]) == SCHEMA_VERSION
    assert _text(m["profile"]) == "nir" and _text(m["potential_origin"]) == "rest"
    assert float(m["dt_s"]) == pytest.approx(DT_S) and int(m["edge_delay_steps"]) == 1
    assert _text(m["encoding"]) == "poisson"
    assert float(m["pixel_rate_hz"]) == cuba_config.input.pixel_rate_hz
    assert int(m["presentation_steps"]) == cuba_config.time.presentation_steps
    np.testing.assert_array_equal(m["assignments"], trained.assignments)
    assert int(m["n_classes"]) == 8
    assert WTAConfig.from_dict(json.loads(m["lava_wta_config"])) == cuba_config


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def test_round_trip_gives_identical_spike_counts(cuba_config, trained):
    from lava_wta.nir.present import present_imported
    from lava_wta.simulation import present_lava

    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(10, 16)).astype(float)
    original = present_lava(cuba_config, images, trained, learning=False, input_seed=5)
    net = import_nir(export_nir(trained, cuba_config), period_steps=cuba_config.time.period_steps,
                     reset_between=True)
    imported = present_imported(cuba_config, images, net, input_seed=5)
    assert original.counts.sum() > 10
    np.testing.assert_array_equal(imported.counts, original.counts)
    assert imported.retries == original.retries


def _reference_cuba(raster, w, tau_syn, tau_mem, v_leak, vth, v_reset, r=1.0, w_in=1.0):
    """NIR's CubaLIF by forward Euler, by hand (one-step delay through the weights; the
    current first, then v with the new current). ``tau_syn`` None: LIF (no synapse)."""
    n, steps = w.shape[0], raster.shape[1]
    i, v = np.zeros(n), np.full(n, float(v_leak))
    out = np.zeros((n, steps), bool)
    for t in range(steps):
        arriving = w @ raster[:, t - 1] if t >= 1 else np.zeros(n)
        i = w_in * arriving if tau_syn is None else i + DT_S / tau_syn * (-i + w_in * arriving)
        v = v + DT_S / tau_mem * (v_leak - v + r * i)
        out[:, t] = v > vth
        v = np.where(out[:, t], v_reset, v)
    return out


def test_foreign_cubalif_graph_imports_onto_lava_lif_and_runs():
    from lava.proc.lif.process import LIF

    w = np.array([[2.0, 0.5, 0.0], [0.0, 1.5, 3.0]])
    n = 2
    nodes = {
        "in": nir.Input(input_type=np.array([3])),
        "fc": nir.Linear(weight=w),
        "lif": nir.CubaLIF(tau_syn=np.full(n, 2e-3), tau_mem=np.full(n, 10e-3), r=np.full(n, 2.0),
                           v_leak=np.zeros(n), v_threshold=np.full(n, 0.5), v_reset=np.zeros(n),
                           w_in=np.ones(n)),
        "out": nir.Output(output_type=np.array([n])),
    }
    graph = nir.NIRGraph(nodes=nodes, edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")],
                         metadata={"dt_s": DT_S})
    net = import_nir(graph)
    assert type(net.neurons["lif"]) is LIF, "a scalar threshold runs on lava-nc's own LIF"
    rng = np.random.default_rng(3)
    raster = (rng.random((3, 120)) < 0.3).astype(float)
    out = run_raster(graph, {"in": raster})["out"]
    expected = _reference_cuba(raster, w, 2e-3, 10e-3, 0.0, 0.5, 0.0, r=2.0)
    assert expected.sum() > 5
    np.testing.assert_array_equal(out.astype(bool), expected)


def test_foreign_lif_chain_with_per_neuron_thresholds_and_reset_runs():
    from lava_wta.processes.lif import PerNeuronLIF

    n = 3
    nodes = {
        "input": nir.Input(input_type=np.array([n])),
        "lif1": nir.LIF(tau=np.full(n, 6e-3), r=np.ones(n), v_leak=np.full(n, -1.0),
                        v_threshold=np.array([-0.8, -0.6, -0.9]), v_reset=np.full(n, -1.2)),
        "w": nir.Linear(weight=np.ones((1, n))),
        "lif2": nir.LIF(tau=np.full(1, 6e-3), r=np.ones(1), v_leak=np.zeros(1),
                        v_threshold=np.full(1, 0.05), v_reset=np.zeros(1)),
        "output": nir.Output(output_type=np.array([1])),
    }
    graph = nir.NIRGraph(nodes=nodes, edges=[("input", "lif1"), ("lif1", "w"), ("w", "lif2"),
                                             ("lif2", "output")], type_check=True)
    net = import_nir(graph, dt=DT_S)
    assert isinstance(net.neurons["lif1"], PerNeuronLIF)
    raster = np.zeros((n, 60))
    raster[:, ::2] = 1.0
    rec = run_raster(graph, {"input": raster}, dt=DT_S, record=["lif1"])
    # LIF has no synaptic current: du = 1, the input acts in the step it arrives
    s1 = _reference_cuba(raster, np.eye(n), None, 6e-3, -1.0, np.array([-0.8, -0.6, -0.9]), -1.2)
    s2 = _reference_cuba(s1.astype(float), np.ones((1, n)), None, 6e-3, 0.0, 0.05, 0.0)
    assert s1.sum() > 0 and s2.sum() > 0
    np.testing.assert_array_equal(rec["lif1"].astype(bool), s1)
    np.testing.assert_array_equal(rec["output"].astype(bool), s2)


def test_conductance_model_is_refused_naming_the_feature(cuba_config, trained):
    cobal = cuba_config.with_overrides({"network.neuron_model": "conductance"})
    with pytest.raises(UnsupportedModelError, match="conductance synapses with reversal potentials"):
        export_nir(trained, cobal)


def test_unsupported_nodes_are_refused_with_their_names():
    n = 2
    nodes = {
        "input": nir.Input(input_type=np.array([n])),
        "my_if": nir.IF(r=np.ones(n), v_threshold=np.ones(n), v_reset=np.zeros(n)),
        "gain": nir.Scale(scale=np.ones(n)),
        "lif": nir.LIF(tau=np.ones(n), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n)),
        "output": nir.Output(output_type=np.array([n])),
    }
    graph = nir.NIRGraph(nodes=nodes, edges=[("input", "my_if"), ("my_if", "gain"), ("gain", "lif"),
                                             ("lif", "output")], metadata={"dt_s": 1e-3})
    with pytest.raises(UnsupportedNIRError) as err:
        import_nir(graph)
    msg = str(err.value)
    assert "'my_if' (IF)" in msg and "'gain' (Scale)" in msg and "CubaLIF" in msg


def test_missing_time_step_is_an_error_naming_dt():
    graph = nir.NIRGraph.from_list(
        nir.LIF(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)))
    with pytest.raises(ValueError, match="dt"):
        import_nir(graph)


def test_export_command_writes_a_readable_graph_and_refuses_conductance(tmp_path, cuba_config, trained,
                                                                        capsys):
    from lava_wta import deploy_cli

    run = tmp_path / "run"
    run.mkdir()
    cuba_config.save(run / "config.json")
    trained.save(run / "state.npz")
    assert deploy_cli.main(["export", str(run), "--nir", str(tmp_path / "g.nir")]) == 0
    assert type(nir.read(tmp_path / "g.nir").nodes["exc"]).__name__ == "CubaLIF"
    cuba_config.with_overrides({"network.neuron_model": "conductance"}).save(run / "config.json")
    assert deploy_cli.main(["export", str(run), "--nir", str(tmp_path / "h.nir")]) == 2
    assert "reversal potentials" in capsys.readouterr().err
    assert not (tmp_path / "h.nir").exists()


def test_export_command_profile_flag(tmp_path, cuba_config, trained, capsys):
    from lava_wta import deploy_cli

    run = tmp_path / "run"
    run.mkdir()
    cuba_config.save(run / "config.json")
    trained.save(run / "state.npz")
    assert deploy_cli.main(["export", str(run), "--nir", str(tmp_path / "s.nir"), "--profile", "snntorch"]) == 0
    meta = nir.read(tmp_path / "s.nir").metadata
    assert meta["profile"] == "snntorch" and meta["profile_dt_s"] == 1e-4
    assert deploy_cli.main(["export", str(run), "--nir", str(tmp_path / "d.nir")]) == 0
    assert nir.read(tmp_path / "d.nir").metadata["profile"] == "nir"
    capsys.readouterr()
    assert deploy_cli.main(["export", str(run), "--nir", str(tmp_path / "x.nir"), "--profile", "norse"]) == 2
    err = capsys.readouterr().err
    assert "nir, snntorch" in err and "'norse'" in err
    assert not (tmp_path / "x.nir").exists()


def test_schema_1_files_keep_their_exponential_discretisation_others_are_read_by_euler():
    from lava_wta.nir.importer import plan_nir

    n = 2
    lif = nir.CubaLIF(tau_syn=np.full(n, 5e-3), tau_mem=np.full(n, 1e-2), r=np.ones(n),
                      v_leak=np.full(n, -65.0), v_threshold=np.full(n, -52.0),
                      v_reset=np.full(n, -65.0), w_in=np.ones(n))
    nodes = {"input": nir.Input(input_type=np.array([n])), "w": nir.Linear(weight=np.eye(n)),
             "exc": lif, "output": nir.Output(output_type=np.array([n]))}
    edges = [("input", "w"), ("w", "exc"), ("exc", "output")]
    legacy = nir.NIRGraph(nodes=nodes, edges=edges, metadata={
        "producer": "lava-wta", "dt_s": DT_S, "discretisation": "per step dt: i <- i*exp(-dt/tau_syn) ..."})
    p = plan_nir(legacy).neurons["exc"]
    assert p.du == pytest.approx(1 - np.exp(-DT_S / 5e-3)) and p.dv == pytest.approx(1 - np.exp(-DT_S / 1e-2))
    np.testing.assert_allclose(p.gain, p.dv)                     # a spike adds w_in * w to i
    np.testing.assert_allclose(p.vth, 13.0)
    euler = plan_nir(nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt_s": DT_S})).neurons["exc"]
    assert euler.du == DT_S / 5e-3 and euler.dv == DT_S / 1e-2
    np.testing.assert_allclose(euler.gain, euler.dv * euler.du)   # a spike adds (dt/tau_syn) w_in w
    with pytest.raises(UnsupportedNIRError, match=r"tau_syn = 0.005: expected a time constant >= dt"):
        plan_nir(legacy, dt=2e-2, integration="euler")           # Euler would overshoot


def test_snntorch_profile_is_an_option_that_says_what_it_misstates(cuba_config, trained):
    g = export_nir(trained, cuba_config, profile="snntorch")
    m = g.metadata
    assert m["profile"] == "snntorch" and "0.0001 s" in m["profile_note"] and m["profile_dt_s"] == 1e-4
    exc = g.nodes["exc"]
    assert np.unique(exc.v_threshold).size == 1
    np.testing.assert_allclose(exc.r, exc.tau_mem / 1e-4)
    np.testing.assert_allclose(exc.w_in * 1e-4 / exc.tau_syn, 1.0)
    assert export_nir(trained, cuba_config).metadata["profile"] == "nir", "not the default"
    with pytest.raises(ValueError, match="profile"):
        export_nir(trained, cuba_config, profile="norse")
