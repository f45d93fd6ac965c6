"""Compiled numerics of the WTA network (numba), written once and shared.

* :mod:`lava_wta.kernels.poisson` — the Poisson input raster of one presentation, from a
  counter-based random stream keyed by ``(seed, image, retry)``; the composed Lava graph's
  input process, the fused ProcessModel and the standalone engine all draw from it, so all
  three see identical input spikes.
* :mod:`lava_wta.kernels.network` — one time step of the whole network (input delivery,
  excitatory and inhibitory neurons, the E→I→E loop, event-driven STDP, θ) and the
  presentation protocol (adaptive intensity, scaling, reset). Used by the fused
  ProcessModel (:mod:`lava_wta.models.fused`) one step per Lava time step, and by the
  engine (:mod:`lava_wta.engine`) many presentations per call.
* :mod:`lava_wta.kernels.team` — the barrier and reductions with which several threads
  step one network, each its own range of neurons (:func:`lava_wta.kernels.network.team_step`).

No I/O and no Lava here: plain arrays in, arrays updated in place (importing the
package checks that numba's cache of these modules is not stale: see
:func:`_drop_stale_numba_cache`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

# Modules whose numba functions are compiled with ``cache=True`` and call (often inline)
# functions of other modules here: network inlines cuba, threshold, poisson and the STDP
# rules of lava_wta.model; counting inlines network; lava_wta.loihi.emulate calls poisson.
_CACHED = (Path(__file__).parent, Path(__file__).parent.parent / "loihi",
           Path(__file__).parent.parent / "model")


def _drop_stale_numba_cache() -> None:
    """Delete the numba cache of these modules when any of their sources has changed.

    numba keys a cached function on its own source file only, so after an edit of
    ``cuba.py`` the cached ``step`` of ``network.py`` would still run the old code (and
    after an edit of ``network.py``, the cached loop of ``counting.py`` would). Keying the
    whole cache on one hash of every source avoids that. Only the in-tree cache
    (``__pycache__``) is handled; an unwritable tree is left alone (an installed package's
    sources do not change in place)."""
    h = hashlib.sha256()
    for folder in _CACHED:
        for src in sorted(folder.glob("*.py")):
            h.update(src.name.encode())
            h.update(src.read_bytes())
    digest = h.hexdigest()
    stamp = _CACHED[0] / "__pycache__" / "numba-sources.sha256"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        for folder in _CACHED:
            for f in (folder / "__pycache__").glob("*.nb[ic]"):
                f.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        tmp = stamp.with_suffix(f".{id(digest)}.tmp")
        tmp.write_text(digest)
        tmp.replace(stamp)
    except OSError:
        pass


_drop_stale_numba_cache()
