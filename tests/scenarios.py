"""Scenarios several test modules share: a small learning network on scikit-learn's 8x8
digits, and a training pass interrupted after a checkpoint, then resumed."""
from __future__ import annotations

import pytest

from lava_wta import WTAConfig
from lava_wta.presentation import Checkpoint
from lava_wta.state import WTAState

SMALL_LEARNING = {"network.n_inputs": 64, "network.n_neurons": 12, "time.presentation_ms": 40.0,
                  "input.pixel_rate_hz": 2.0, "input.min_spikes": 8, "input.max_retries": 3,
                  "scaling.target_norm": 3.0}
"""Small, but with learning, scaling every image, retries and strong inhibition."""


def small_learning_config(**over) -> WTAConfig:
    """:data:`SMALL_LEARNING` with the dotted fields of ``over`` replaced."""
    return WTAConfig().with_overrides({**SMALL_LEARNING, **over})


class Interrupt(Exception):
    """Raised from a progress callback to stop a pass as a kill would."""


def interrupted_and_resumed(present, cfg, images, tmp_path, *, input_seed=5, kill_after=8, every=4):
    """``present`` (a backend's ``present``) trains ``images`` three times from the initial
    state, in chunks of two images: uninterrupted; stopped once ``kill_after`` images are
    done, after checkpoints every ``every`` images; and again from that checkpoint.
    Returns ``(uninterrupted, resumed, image the checkpoint resumed from)``."""
    full = present(cfg, images, WTAState.initial(cfg), learning=True, input_seed=input_seed, chunk_images=2)

    def die(done, counts, stats):
        if done >= kill_after:
            raise Interrupt

    ckpt = Checkpoint(tmp_path / "ckpt.npz", every_images=every)
    with pytest.raises(Interrupt):
        present(cfg, images, WTAState.initial(cfg), learning=True, input_seed=input_seed, checkpoint=ckpt,
                on_progress=die, chunk_images=2)
    start = int(ckpt.load()["image_index"])
    resumed = present(cfg, images, WTAState.initial(cfg), learning=True, input_seed=input_seed,
                      checkpoint=ckpt, chunk_images=2)
    return full, resumed, start
