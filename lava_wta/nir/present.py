"""Present images to an imported (or quantised) network in Lava, with lava-wta's protocol.

The imported network's Input node is driven by lava-wta's own
:class:`~lava_wta.processes.PoissonImageInput` (the same Poisson stream, adaptive intensity
and presentation clock as in training and evaluation), and its Output node's spikes
return to it, so retries and spike counts per image are exactly those of the original
network. The ``nir`` and ``loihi-fixed`` backends of :mod:`lava_wta.backends` run this.
"""
from __future__ import annotations

import time
import typing as ty

import numpy as np
from lava.magma.core.run_conditions import RunSteps

from lava_wta.config import WTAConfig
from lava_wta.lava_runtime import tie_lava_workers_to_this_process
from lava_wta.presentation import PresentationResult, ProgressFn, new_counts


def present_imported(config: WTAConfig, images: np.ndarray, net, *, input_seed: int,
                     select_tag: str = "floating_pt", input_name: str = "input",
                     output_name: str = "output", buffer_images: int = 32,
                     models: ty.Optional[dict] = None,
                     on_progress: ty.Optional[ProgressFn] = None) -> PresentationResult:
    """Run every image through ``net`` (an :class:`~lava_wta.nir.ImportedNetwork` built with
    ``period_steps=config.time.period_steps`` and ``reset_between`` as configured).

    ``select_tag`` picks the models of the network's Processes ("floating_pt", or
    "fixed_pt" for Loihi's bit-accurate models); the input stays floating point.
    ``on_progress`` is called after every ``buffer_images`` images. The result's ``state``
    is None (the network is given as Processes, not as a state).
    """
    from lava_wta.processes.poisson import PoissonImageInput
    from lava_wta.run_config import WTASimCfg

    images = np.asarray(images)
    if input_name not in net.inputs or output_name not in net.outputs:
        raise ValueError(f"present_imported: the network has inputs {sorted(net.inputs)} and outputs "
                         f"{sorted(net.outputs)}; expected {input_name!r} and {output_name!r}")
    out_port = net.outputs[output_name]
    n = int(np.prod(out_port.shape))
    t = config.time
    source = PoissonImageInput(
        images=images, n_response=n, input=config.input, dt_ms=t.dt_ms,
        presentation_steps=t.presentation_steps, period_steps=t.period_steps, seed=input_seed,
        buffer_images=buffer_images, name="input")
    net.connect_input(input_name, source.s_out)
    out_port.connect(source.s_in_response)
    choices = {PoissonImageInput: "floating_pt"}
    choices.update(models or {})
    run_cfg = WTASimCfg(select_tag=select_tag, models=choices)
    counts = new_counts(len(images), n, t.period_steps)
    done = steps = 0
    t0 = time.perf_counter()

    def stats() -> dict:
        return {"presentations": int(source.presentations.get()[0]),
                "retries": int(source.total_retries.get()[0]), "capped": int(source.capped.get()[0])}

    tie_lava_workers_to_this_process()     # its workers die with this process
    try:
        while done < len(images):
            chunk = min(buffer_images, len(images) - done)
            source.run(condition=RunSteps(num_steps=chunk * t.period_steps), run_cfg=run_cfg)
            steps += chunk * t.period_steps
            new_done = int(source.image_index.get()[0])
            if new_done > done:
                buf = source.count_buffer.get()
                for i in range(done, new_done):
                    counts[i] = buf[i % buffer_images]
            done = new_done
            if on_progress is not None:
                on_progress(done, counts, stats())
        final = stats()
    finally:
        source.stop()
    return PresentationResult(counts=counts, state=None, presentations=final["presentations"],
                              retries=final["retries"], capped=final["capped"], steps=steps,
                              seconds=time.perf_counter() - t0)
