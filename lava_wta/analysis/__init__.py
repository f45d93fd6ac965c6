"""Analyses of trained networks (numpy only): :mod:`lava_wta.analysis.weights`."""
from lava_wta.analysis.weights import (  # noqa: F401
    LABEL_COUNTS_FILE,
    RunData,
    assigned_class_share,
    class_responses,
    class_selectivity,
    hoyer_sparsity,
    l2_mass_count,
    load_label_counts,
    load_run,
    neuron_statistics,
    run_statistics,
    save_label_counts,
    theta_summary,
    weight_statistics,
)
