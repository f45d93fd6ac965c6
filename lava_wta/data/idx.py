"""Reader for the IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed)."""
from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from lava_wta.errors import DataError  # noqa: F401  (re-exported; defined with the other typed errors)

_IDX_TYPES = {0x08: np.uint8}


def read_idx(path: Path, *, expect_ndim: int) -> np.ndarray:
    """Read an IDX file of unsigned bytes with ``expect_ndim`` dimensions."""
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                raw = fh.read()
        else:
            raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: expected an IDX file, found a folder") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read (corrupt or truncated gzip?): {exc}") from None
    if len(raw) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    zero, dtype_code, ndim = int.from_bytes(raw[:2], "big"), raw[2], raw[3]
    if zero != 0 or dtype_code not in _IDX_TYPES:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (magic {raw[:4].hex()}, "
                        f"expected 0000080{expect_ndim})")
    if ndim != expect_ndim:
        raise DataError(f"{path}: expected {expect_ndim} dimension(s), got {ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated header")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(dims)                       # (exact: np.prod would wrap at 2**63)
    got = len(raw) - header
    if got != expected:
        raise DataError(f"{path}: header announces {dims} = {expected} bytes of data, "
                        f"file holds {got} ({'truncated' if got < expected else 'trailing data'})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def find_idx_files(folder: Path) -> dict:
    """Locate the four standard files in ``folder`` (``.gz`` or raw), also inside the
    layouts torchvision writes (``MNIST/raw``, ``FashionMNIST/raw``)."""
    folder = Path(folder)
    stems = {
        "train_images": "train-images-idx3-ubyte",
        "train_labels": "train-labels-idx1-ubyte",
        "test_images": "t10k-images-idx3-ubyte",
        "test_labels": "t10k-labels-idx1-ubyte",
    }
    candidates = [folder, folder / "raw", folder / "MNIST" / "raw", folder / "FashionMNIST" / "raw"]
    for base in candidates:
        found = {}
        for key, stem in stems.items():
            for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
                if (base / name).is_file():
                    found[key] = base / name
                    break
        if len(found) == 4:
            return found
    raise DataError(
        f"{folder}: no complete set of IDX files found (looked for {sorted(stems.values())} "
        f"with or without .gz in {', '.join(str(c) for c in candidates)})")


def load_idx_folder(folder: Path, n_classes: int = 10) -> tuple:
    """(train_images, train_labels, test_images, test_labels) from an IDX folder;
    images flattened to (n, rows * cols) uint8."""
    files = find_idx_files(folder)
    out = []
    for split in ("train", "test"):
        images = read_idx(files[f"{split}_images"], expect_ndim=3)
        labels = read_idx(files[f"{split}_labels"], expect_ndim=1).astype(np.int64)
        if images.shape[0] != labels.shape[0]:
            raise DataError(f"{files[f'{split}_images']} holds {images.shape[0]} images but "
                            f"{files[f'{split}_labels']} holds {labels.shape[0]} labels")
        if labels.size and labels.max() >= n_classes:
            raise DataError(f"{files[f'{split}_labels']}: label {labels.max()} outside 0..{n_classes - 1}")
        out += [images.reshape(images.shape[0], -1), labels]
    if out[0].shape[1] != out[2].shape[1]:
        raise DataError(f"{folder}: train images have {out[0].shape[1]} pixels, test images {out[2].shape[1]}")
    return tuple(out)
