"""Spike counts of a pass: the smallest type that holds any count a presentation can
produce, and a read-out that gives the same labels and predictions whatever the type."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scenarios import small_learning_config

from lava_wta.data import load_dataset
from lava_wta.engine import present_engine
from lava_wta.evaluation import assign_labels, class_scores, predict
from lava_wta.presentation import count_dtype, new_counts
from lava_wta.state import WTAState


def test_the_count_type_is_the_smallest_unsigned_one_that_holds_one_spike_per_step():
    assert count_dtype(1) == np.uint16 and count_dtype(65535) == np.uint16
    assert count_dtype(65536) == np.uint32 and count_dtype(2 ** 32 - 1) == np.uint32
    assert count_dtype(2 ** 32) == np.uint64
    counts = new_counts(3, 5, 700)
    assert counts.shape == (3, 5) and counts.dtype == np.uint16 and not counts.any()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2 ** 40))
def test_any_presentation_length_gets_a_type_that_holds_its_longest_count(period_steps):
    dtype = count_dtype(period_steps)
    assert np.iinfo(dtype).max >= period_steps
    smaller = {np.dtype(np.uint32): np.uint16, np.dtype(np.uint64): np.uint32}.get(dtype)
    assert smaller is None or np.iinfo(smaller).max < period_steps


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 40), st.integers(1, 12)), elements=st.integers(0, 700)),
       st.integers(0, 2 ** 31))
def test_labels_and_predictions_do_not_depend_on_the_count_type(counts, seed):
    labels = np.random.default_rng(seed).integers(0, 10, counts.shape[0])
    want = assign_labels(counts.astype(float), labels)
    small = counts.astype(np.uint16)
    assert np.array_equal(assign_labels(small, labels), want)
    assert np.array_equal(class_scores(small, want), class_scores(counts.astype(float), want))
    assert np.array_equal(predict(small, want), predict(counts, want))


def test_the_engine_counts_in_the_small_type_and_keeps_every_spike():
    config = small_learning_config(**{"network.n_neurons": 16})
    digits = load_dataset("digits")
    state = WTAState.initial(config)
    x = digits.train_images[:6]
    result = present_engine(config, x, state, learning=False, input_seed=3)
    assert result.counts.dtype == np.uint16
    assert result.counts.sum() > 0
    # a neuron fires at most once per step, so no count exceeds the steps of a presentation
    assert result.counts.max() <= config.time.period_steps
