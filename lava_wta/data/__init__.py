"""Datasets: IDX reader, sources with pinned checksums, and a cache."""
from lava_wta.data.idx import DataError, find_idx_files, load_idx_folder, read_idx
from lava_wta.data.sources import DATASETS, Dataset, cache_dir, label_split, load_dataset

__all__ = ["DATASETS", "DataError", "Dataset", "cache_dir", "find_idx_files", "label_split", "load_dataset",
           "load_idx_folder", "read_idx"]
