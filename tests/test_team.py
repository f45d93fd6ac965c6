"""Several threads stepping one network (:mod:`lava_wta.kernels.team`): the barrier's
reductions, how the neurons are cut, and that a team computes what one thread computes,
bit for bit (weights, θ, counts, position, retries), in every model variant, across
calls and from a state split in the middle of a presentation; and what is refused."""
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from scenarios import small_learning_config

from lava_wta.backends import BackendError, backend_names, get_backend
from lava_wta.data import load_dataset
from lava_wta.engine import EngineNetwork, present_engine
from lava_wta.kernels import network as K
from lava_wta.kernels.team import new_team, team_max, team_sum
from lava_wta.model.key import bind_key, model_key
from lava_wta.state import WTAState


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@njit(nogil=True)
def _reduce_many(team, rounds, out):
    for k in range(rounds):
        out[k, 0] = team_sum(team, k * (team.tid + 1))
        out[k, 1] = team_max(team, (k + 7 * team.tid) % 11)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_team_sum_and_max_agree_in_every_thread(size):
    rounds = 3000
    team = new_team(size)
    outs = [np.zeros((rounds, 2), np.int64) for _ in range(size)]
    threads = [threading.Thread(target=_reduce_many, args=(team[t], rounds, outs[t])) for t in range(1, size)]
    for th in threads:
        th.start()
    _reduce_many(team[0], rounds, outs[0])
    for th in threads:
        th.join()
    k = np.arange(rounds)
    expect_sum = k * sum(t + 1 for t in range(size))
    expect_max = np.max([(k + 7 * t) % 11 for t in range(size)], axis=0)
    for out in outs:
        np.testing.assert_array_equal(out[:, 0], expect_sum)
        np.testing.assert_array_equal(out[:, 1], expect_max)


def test_a_team_of_none_is_the_value_itself():
    @njit
    def solo(v):
        return team_sum(None, v) + 10 * team_max(None, v)
    assert solo(3) == 33


@given(n=st.integers(1, 20000), parts=st.integers(1, 8))
@settings(max_examples=200, deadline=None)
def test_team_bounds_cover_the_neurons_in_order(n, parts):
    cuts = K.team_bounds(n, parts)
    assert len(cuts) == parts + 1 and cuts[0] == 0 and cuts[-1] == n
    assert all(a <= b for a, b in zip(cuts, cuts[1:]))
    if n >= 64 * parts:         # large enough: cut at multiples of 8, sizes within 8 of n / parts
        assert all(c % 8 == 0 for c in cuts[1:-1])
        assert max(b - a for a, b in zip(cuts, cuts[1:])) - n / parts <= 8


def _run(cfg, images, threads, *, chunks=(None,), input_seed=4):
    net = EngineNetwork(cfg, WTAState.initial(cfg), learning=True, input_seed=input_seed, threads=threads)
    counts = np.zeros((len(images), cfg.network.n_neurons), np.int64)
    steps = 0
    for stop in chunks:
        steps += net.run(images, counts, len(images) if stop is None else stop)
    s = net.state()
    return {"weights": s.weights, "theta": s.theta, "target_norm": s.target_norm, "counts": counts,
            "steps": steps, "position": (net.image, net.retry, net.presentations, net.retries, net.capped),
            "bookkeeping": net.scaling_bookkeeping()}


def _assert_same(a, b):
    for key in ("weights", "theta", "counts"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert a["position"] == b["position"] and a["steps"] == b["steps"]
    assert a["target_norm"] == b["target_norm"]
    np.testing.assert_array_equal(a["bookkeeping"]["dirty"], b["bookkeeping"]["dirty"])
    np.testing.assert_array_equal(a["bookkeeping"]["target_norm"], b["bookkeeping"]["target_norm"])


VARIANTS = {
    "conductance": {},
    "current": {"network.neuron_model": "current", "input.min_spikes": 100},
    "rate target": {"scaling.target_mode": "rate", "scaling.mode": "l2"},
    "rest between images": {"time.between_images": "rest", "time.rest_ms": 20.0},
    "l1, scaled every 3": {"scaling.mode": "l1", "scaling.target_norm": 20.0, "scaling.interval_images": 3},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("threads", [2, 3])
def test_a_team_trains_bit_for_bit_as_one_thread(digits, variant, threads):
    cfg = small_learning_config(**{"network.n_neurons": 40, "input.min_spikes": 25, **VARIANTS[variant]})
    images = digits.train_images[:24]
    one = _run(cfg, images, 1)
    assert one["position"][3] > 0, "the scenario should retry some images"
    _assert_same(_run(cfg, images, threads, chunks=(5, 13, None)), one)


def test_a_team_continues_a_state_split_in_the_middle_of_a_presentation(digits):
    """Lists of active neurons and inputs, refractory and conductance states carried over
    into the threads' own arrays (:func:`lava_wta.kernels.network.split_state`)."""
    cfg = small_learning_config(**{"network.n_neurons": 40})
    images = digits.train_images[:10]
    key = model_key(cfg)

    def fresh():
        net = EngineNetwork(cfg, WTAState.initial(cfg), learning=True, input_seed=2)
        counts = np.zeros((len(images), 40), np.int64)
        net.run_steps(images, counts, 2 * cfg.time.period_steps + 37)     # mid-presentation
        assert net.S.C[K.C_N_PRE] > 0 and net.S.C[K.C_N_INH] > 0
        return net, counts

    single, counts1 = fresh()
    single.run(images, counts1, len(images))
    net, counts2 = fresh()
    parts = K.split_state(net.S, 2)
    team = new_team(2)
    run = bind_key(K.run_images_team, key)
    cuts = K.team_bounds(40, 2)
    K.share_state(net.S, parts)
    other = threading.Thread(target=run, args=(parts[1], net.P, net.traces, images, counts2[:, cuts[1]:],
                                               len(images), team[1]))
    other.start()
    run(parts[0], net.P, net.traces, images, counts2[:, :cuts[1]], len(images), team[0])
    other.join()
    K.join_state(net.S, parts)
    np.testing.assert_array_equal(net.W, single.W)
    np.testing.assert_array_equal(net.S.theta, single.S.theta)
    np.testing.assert_array_equal(counts2, counts1)
    assert (net.image, net.retries) == (single.image, single.retries)


def test_present_engine_with_threads_resumes_a_checkpoint_of_one_thread(digits, tmp_path):
    from lava_wta.presentation import Checkpoint

    cfg = small_learning_config(**{"network.n_neurons": 40})
    images = digits.train_images[:16]
    full = present_engine(cfg, images, WTAState.initial(cfg), learning=True, input_seed=6)
    ckpt = Checkpoint(tmp_path / "ckpt.npz", every_images=5)

    class Stop(Exception):
        pass

    def stop(done, counts, stats):
        if done >= 10:
            raise Stop

    with pytest.raises(Stop):
        present_engine(cfg, images, WTAState.initial(cfg), learning=True, input_seed=6, checkpoint=ckpt,
                       on_progress=stop, chunk_images=5)
    resumed = present_engine(cfg, images, WTAState.initial(cfg), learning=True, input_seed=6,
                             checkpoint=ckpt, threads=2)
    assert resumed.resumed_from == 10
    np.testing.assert_array_equal(resumed.state.weights, full.state.weights)
    np.testing.assert_array_equal(resumed.counts, full.counts)


def test_threads_are_refused_where_they_cannot_run(digits):
    from lava_wta.rules import register_scaling_rule, scaling_rule_names

    cfg = small_learning_config()
    with pytest.raises(ValueError, match="threads: expected a positive integer, got 0"):
        EngineNetwork(cfg, WTAState.initial(cfg), learning=True, input_seed=0, threads=0)
    if "l4-team-test" not in scaling_rule_names():
        register_scaling_rule("l4-team-test")(lambda w: (w ** 4).sum(axis=1) ** 0.25)
    py = small_learning_config(**{"scaling.mode": "l4-team-test"})
    with pytest.raises(ValueError, match="registered Python scaling rule.*threads=1"):
        present_engine(py, digits.train_images[:2], WTAState.initial(py), learning=True, input_seed=0,
                       threads=2)
    assert backend_names(threads=True) == ["engine"]
    with pytest.raises(BackendError, match=r"threads: backend 'lava' steps a network in one thread.*\['engine'\]"):
        get_backend("lava").present(cfg, digits.train_images[:2], WTAState.initial(cfg), learning=True,
                                    input_seed=0, threads=2)
    net = EngineNetwork(cfg, WTAState.initial(cfg), learning=True, input_seed=0, threads=2)
    with pytest.raises(ValueError, match="run_steps.*threads=1"):
        net.run_steps(digits.train_images[:2], np.zeros((2, 12), np.int64), 3)


def test_lava_wta_train_threads_gives_the_same_run_and_is_refused_by_other_backends(tmp_path, capsys):
    from lava_wta.cli import main

    base = ["train", "--dataset", "digits", "--neurons", "40", "--train-images", "30", "--label-images", "20",
            "--test-images", "20", "--presentation-ms", "40", "--no-progress"]
    assert main(base + ["--out", str(tmp_path / "one")]) == 0
    assert main(base + ["--out", str(tmp_path / "two"), "--threads", "2"]) == 0
    one, two = (WTAState.load(tmp_path / name / "state.npz") for name in ("one", "two"))
    np.testing.assert_array_equal(one.weights, two.weights)
    np.testing.assert_array_equal(one.theta, two.theta)
    capsys.readouterr()
    assert main(base + ["--out", str(tmp_path / "lava"), "--threads", "2", "--backend", "lava"]) == 5   # BackendError
    assert "threads: backend 'lava' steps a network in one thread" in capsys.readouterr().err
    assert not (tmp_path / "lava").exists()
    with pytest.raises(SystemExit) as exit_:
        main(base + ["--out", str(tmp_path / "zero"), "--threads", "0"])
    assert exit_.value.code == 2
    assert "--threads: expected an integer >= 1, got 0" in capsys.readouterr().err
