"""lava_wta.analysis.competition: best-match wins, prototype accuracy, norm statistics."""
from __future__ import annotations

import numpy as np
import pytest

from lava_wta.analysis import competition as CP


def test_cosine_similarity_known_values_and_zero_vectors():
    w = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    x = np.array([[2.0, 0.0], [0.0, 3.0], [0.0, 0.0]])
    cos = CP.cosine_similarity(w, x)
    np.testing.assert_allclose(cos, [[1.0, 1 / np.sqrt(2), 0.0], [0.0, 1 / np.sqrt(2), 0.0], [0.0, 0.0, 0.0]])
    # invariant to the scale of a neuron's weights: the norm drops out
    np.testing.assert_allclose(CP.cosine_similarity(w * [[7.0], [0.1], [1.0]], x), cos)


def test_best_match_wins_counts_ties_as_shared_and_skips_silent_images():
    cos = np.array([[0.9, 0.5, 0.1],      # best match: neuron 0
                    [0.2, 0.8, 0.3],      # best match: neuron 1
                    [0.1, 0.2, 0.7],      # best match: neuron 2
                    [0.5, 0.4, 0.3]])     # silent image: ignored
    counts = np.array([[4, 1, 0],         # best match fired most: 1
                       [3, 3, 0],         # tied with one other: 1/2
                       [5, 0, 2],         # lost: 0; two neurons have a better cosine than the winner
                       [0, 0, 0]])
    frac, rank, n = CP.best_match_wins(counts, cos)
    assert n == 3
    assert frac == pytest.approx((1 + 0.5 + 0) / 3)
    # winner = first neuron of top count: image 1 -> neuron 0 (cos 0.2: two better), image 2 -> neuron 0
    # (cos 0.1: two better)
    assert rank == pytest.approx((0 + 2 + 2) / 3)
    with pytest.raises(ValueError, match="differ in shape"):
        CP.best_match_wins(counts[:, :2], cos)


def test_prototype_accuracy_is_the_nearest_prototype_classifier():
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 1, (3, 20))
    w = np.repeat(centres, 2, axis=0) * rng.uniform(0.5, 2.0, (6, 1))   # 2 neurons per class, any norm
    assignments = np.array([0, 0, 1, 1, 2, -1])                       # an unassigned neuron is ignored
    y = rng.integers(0, 3, 200)
    x = centres[y] + rng.normal(0, 0.01, (200, 20))
    assert CP.prototype_accuracy(w, assignments, x, y) == 1.0
    assert CP.prototype_accuracy(w, assignments, x, (y + 1) % 3) == 0.0
    assert np.isnan(CP.prototype_accuracy(w, -np.ones(6, int), x, y))
    with pytest.raises(ValueError, match="assignments"):
        CP.prototype_accuracy(w, assignments[:5], x, y)


def test_competition_statistics_l2_has_equal_norms_l1_correlates_norm_and_theta():
    rng = np.random.default_rng(1)
    w = rng.uniform(0, 1, (8, 30)) ** rng.uniform(1, 6, (8, 1))          # different concentrations
    l1 = w * (10.0 / w.sum(axis=1, keepdims=True))
    l2 = w * (2.0 / np.linalg.norm(w, axis=1, keepdims=True))
    images = rng.uniform(0, 1, (50, 30))
    counts = rng.integers(0, 4, (50, 8))
    norms = np.linalg.norm(l1, axis=1)
    s1 = CP.competition_statistics(l1, theta=3 * norms + 1, label_images=images, label_counts=counts)
    s2 = CP.competition_statistics(l2, theta=np.arange(8.0), label_images=images, label_counts=counts)
    assert set(s1) == set(CP.COMPETITION_KEYS)
    assert s1["norm_cv"] == pytest.approx(norms.std() / norms.mean()) and s1["norm_cv"] > 0.05
    assert s1["rho_norm_theta"] == pytest.approx(1.0)
    assert s2["norm_cv"] < 1e-12 and np.isnan(s2["rho_norm_theta"])
    assert np.isnan(s1["prototype_accuracy"])                              # no test images given
    with pytest.raises(ValueError, match="label_images has 49 images"):
        CP.competition_statistics(l1, norms, label_images=images[:49], label_counts=counts)
    with pytest.raises(ValueError, match="theta"):
        CP.competition_statistics(l1, norms[:3], label_images=images, label_counts=counts)


def test_spearman_uses_average_ranks_for_ties_and_all_silent_images_give_nan():
    norms = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    spikes = np.array([0, 0, 0, 1, 2])                 # three silent neurons tie at 0
    from scipy.stats import spearmanr

    assert CP._spearman(norms, spikes) == pytest.approx(spearmanr(norms, spikes).correlation)
    assert CP._spearman(norms, spikes) == pytest.approx(np.corrcoef([1, 2, 3, 4, 5], [2, 2, 2, 4, 5])[0, 1])
    frac, rank, n = CP.best_match_wins(np.zeros((4, 3)), np.ones((4, 3)))
    assert n == 0 and np.isnan(frac) and np.isnan(rank)


def test_prototype_accuracy_ignores_an_unassigned_neuron_that_matches_best():
    centres = np.eye(3, 6)                              # three classes on disjoint pixels
    w = np.vstack([centres, np.eye(6)[[3, 4]]])         # two extra neurons on pixels 3 and 4
    assignments = np.array([0, 1, 2, -1, 0])            # neuron 3 unassigned, neuron 4 labelled 0
    x = np.vstack([np.eye(6)[[0]] + 0.1, np.eye(6)[[3]] + 0.01])   # image 2 is nearest to neuron 3
    y = np.array([0, 1])
    cos = CP.cosine_similarity(w, x)
    assert cos[1].argmax() == 3
    # with neuron 3 left out, image 2's nearest assigned neuron is one of the class centres (all
    # equal cosine: the first, class 0), so it is wrong for label 1; image 1 is right
    assert CP.prototype_accuracy(w, assignments, x, y) == 0.5
    assert CP.prototype_accuracy(w, assignments, x, np.array([0, 0])) == 1.0
