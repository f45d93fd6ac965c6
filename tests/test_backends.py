"""Every registered backend honours the same contract: the registry names them all and
says what each can do, a training pass interrupted after a checkpoint resumes to exactly
the weights, θ, counts and retries of an uninterrupted pass (bit for bit), a backend
refuses what it cannot do (learn, run user ProcessModels, checkpoint, a neuron model)
naming those that can, and the frozen deployment backends return the same result type
with the counts of the executions they deploy."""
import numpy as np
import pytest
from scenarios import interrupted_and_resumed, small_learning_config

from lava_wta.backends import BACKENDS, BackendError, backend_names, get_backend
from lava_wta.data import load_dataset
from lava_wta.presentation import Checkpoint
from lava_wta.state import WTAState


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _cfg():
    return small_learning_config()


LEARNERS = ["engine", "lava-fused", "lava-async", "lava"]
FROZEN = ["nir", "loihi-fixed", "loihi-emulator"]


def test_the_registry_names_every_backend_once_with_its_capabilities():
    assert list(BACKENDS) == backend_names() == LEARNERS + FROZEN
    assert [get_backend(b).runs_process_models for b in BACKENDS] == [False, False, False, True,
                                                                       False, False, False]
    assert backend_names(learns=True) == backend_names(checkpoints=True) == LEARNERS
    assert backend_names(learns=False) == FROZEN
    assert backend_names(arithmetic="fixed") == ["loihi-fixed", "loihi-emulator"]
    assert backend_names(arithmetic="float") == LEARNERS + ["nir"]
    assert backend_names(neuron_model="conductance") == LEARNERS
    assert backend_names(neuron_model="current") == LEARNERS + FROZEN
    assert [get_backend(b).checkpoint_every for b in LEARNERS] == [5000, 500, 5000, 200]
    with pytest.raises(ValueError, match=r"backend: expected one of \['engine'.*got 'gpu'"):
        get_backend("gpu")
    with pytest.raises(TypeError, match=r"unknown capabilities \['gpu'\]"):
        backend_names(gpu=True)


@pytest.mark.parametrize("backend", FROZEN)
def test_frozen_backends_refuse_learning_checkpoints_models_and_conductance(digits, tmp_path, backend):
    from lava_wta.processes import PlasticDense

    cfg = _cfg().with_overrides({"network.neuron_model": "current"})
    images, state = digits.train_images[:2], WTAState.initial(cfg)
    present = get_backend(backend).present
    with pytest.raises(BackendError, match=rf"'{backend}' runs a frozen network.*cannot learn.*"
                                           r"\['engine', 'lava-fused', 'lava-async', 'lava'\]"):
        present(cfg, images, state, learning=True, input_seed=1)
    with pytest.raises(BackendError, match=r"checkpoint: .*does not checkpoint.*\['engine'"):
        present(cfg, images, state, learning=False, input_seed=1,
                checkpoint=Checkpoint(tmp_path / "c.npz"))
    with pytest.raises(BackendError, match=r"models: .*PlasticDense: fused.*only \['lava'\]"):
        present(cfg, images, state, learning=False, input_seed=1, models={PlasticDense: "fused"})
    conductance = _cfg()
    with pytest.raises(BackendError, match=r"neuron_model: .*\['current'\], got 'conductance'.*"
                                           r"\['engine', 'lava-fused', 'lava-async', 'lava'\]"):
        present(conductance, images, WTAState.initial(conductance), learning=False, input_seed=1)
    assert not (tmp_path / "c.npz").exists()


@pytest.mark.slow
def test_deployment_backends_return_the_counts_of_what_they_deploy(digits):
    """``nir`` gives the engine's counts (the export is exact), ``loihi-emulator`` the
    bit-accurate Lava run's (``loihi-fixed``), through the one ``present`` and result type."""
    cfg = _cfg().with_overrides({"network.neuron_model": "current", "input.min_spikes": 40})
    engine = get_backend("engine")
    state = engine.present(cfg, digits.train_images[:30], WTAState.initial(cfg), learning=True,
                           input_seed=1).state
    images = digits.test_images[:6]
    seen = []

    def progress(done, counts, stats):
        seen.append((done, int(counts[:done].sum()), stats["retries"]))

    run = {b: get_backend(b).present(cfg, images, state, learning=False, input_seed=3,
                                     on_progress=progress if b != "engine" else None)
           for b in ("engine", "nir", "loihi-fixed", "loihi-emulator")}
    for b, r in run.items():
        assert type(r) is type(run["engine"]), b
        assert r.state is state or b == "engine"
        assert r.counts.shape == (6, 12) and r.steps == r.presentations * cfg.time.period_steps, b
    assert run["engine"].counts.sum() > 20 and run["engine"].retries > 0
    np.testing.assert_array_equal(run["nir"].counts, run["engine"].counts)
    assert (run["nir"].presentations, run["nir"].retries, run["nir"].capped) == (
        run["engine"].presentations, run["engine"].retries, run["engine"].capped)
    np.testing.assert_array_equal(run["loihi-emulator"].counts, run["loihi-fixed"].counts)
    assert (run["loihi-emulator"].presentations, run["loihi-emulator"].retries,
            run["loihi-emulator"].capped, run["loihi-emulator"].steps) == (
        run["loihi-fixed"].presentations, run["loihi-fixed"].retries, run["loihi-fixed"].capped,
        run["loihi-fixed"].steps)
    # progress reports end at every image, with the counts and retries of the pass
    finals = [s for s in seen if s[0] == 6]
    assert [f[1:] for f in finals] == [(int(run[b].counts.sum()), run[b].retries)
                                       for b in ("nir", "loihi-fixed", "loihi-emulator")]
    with pytest.raises(BackendError, match="chunk_images.*'loihi-emulator'.*one call"):
        get_backend("loihi-emulator").present(cfg, images, state, learning=False, input_seed=3,
                                              chunk_images=2)


@pytest.mark.parametrize("backend", [pytest.param(b, marks=pytest.mark.slow) if b.startswith("lava") else b
                                     for b in LEARNERS])
def test_interrupted_training_resumes_bit_for_bit(digits, tmp_path, backend):
    images = digits.train_images[:12]
    full, resumed, start = interrupted_and_resumed(get_backend(backend).present, _cfg(), images, tmp_path)
    assert full.retries > 0, "the scenario must exercise the adaptive intensity"
    assert 0 < start < len(images)
    assert resumed.resumed_from == start
    assert (resumed.presentations, resumed.retries, resumed.capped) == (full.presentations, full.retries,
                                                                        full.capped)
    np.testing.assert_array_equal(resumed.state.weights, full.state.weights)
    np.testing.assert_array_equal(resumed.state.theta, full.state.theta)
    np.testing.assert_array_equal(resumed.counts, full.counts)


def test_the_command_line_offers_the_backends_each_command_can_use(capsys):
    from lava_wta.cli import make_parser

    parser = make_parser()
    assert parser.parse_args(["evaluate", "run", "--backend", "loihi-emulator"]).backend == "loihi-emulator"
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--backend", "nir"])
    assert "invalid choice: 'nir'" in capsys.readouterr().err
    train_help = [a for a in parser._subparsers._group_actions[0].choices["train"]._actions
                  if a.dest == "backend"][0]
    assert list(train_help.choices) == backend_names(learns=True)
