"""NIR (Neuromorphic Intermediate Representation) export and import.

* :func:`export_nir` writes the trained current-based network as a NIR graph (HDF5).
* :func:`import_nir` builds a runnable lava-nc network from a NIR graph, ours or anyone's.
* :mod:`lava_wta.nir.conventions`: how both read NIR (forward Euler) and the metadata schema.
* :mod:`lava_wta.nir.conformance`: a plain numpy simulator of NIR's documented semantics.
* :mod:`lava_wta.nir.readout`: the encoder, retry rule and neuron labels a consumer needs.

See ``docs/DEPLOY.md``.
"""
from lava_wta.nir.export import UnsupportedModelError, export_nir, to_nir_graph
from lava_wta.nir.importer import ImportedNetwork, UnsupportedNIRError, import_nir, run_raster

__all__ = ["ImportedNetwork", "UnsupportedModelError", "UnsupportedNIRError", "export_nir",
           "import_nir", "run_raster", "to_nir_graph"]
