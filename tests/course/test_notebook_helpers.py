"""course/notebook_helpers.py: data, plots, timing and the sparse gradient check the notebooks use.

The rules (rel_error, numerical gradients) are tested in test_rules.py, the checks
in test_checks.py, the generated helper cells in test_helper_cell.py."""

import collections
import hashlib
import pickle
import tarfile

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported by the helpers

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course import notebook_helpers as nh
from course.config import load_config

CFG = load_config()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------ gradient checks


def test_grad_check_sparse_returns_max_error_and_catches_a_wrong_gradient(capsys):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 5))
    f = lambda z: float(np.sum(np.sin(z)))
    good = nh.grad_check_sparse(f, x, np.cos(x), num_checks=5)
    assert isinstance(good, float) and good < 1e-7
    assert len(capsys.readouterr().out.strip().splitlines()) == 5
    bad = nh.grad_check_sparse(f, x, np.cos(x) + 0.1, num_checks=5, verbose=False)
    assert bad > 1e-3
    assert capsys.readouterr().out == ""


def test_grad_check_sparse_is_seeded():
    x = np.random.default_rng(3).standard_normal((10, 10))
    wrong = np.cos(x)
    wrong[::2] += 1.0  # only even rows are wrong: the error depends on which entries are drawn
    f = lambda z: float(np.sum(np.sin(z)))
    runs = [nh.grad_check_sparse(f, x, wrong, num_checks=3, seed=7, verbose=False) for _ in range(2)]
    assert runs[0] == runs[1]


# ------------------------------------------------------------------ data


def _row_multiset(*pairs):
    return collections.Counter((X_row.tobytes(), int(y)) for X, Y in pairs for X_row, y in zip(X, Y))


def test_digits_split_is_deterministic_disjoint_and_complete():
    from sklearn.datasets import load_digits

    a, b = nh.load_digits_split(), nh.load_digits_split()
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    assert len(a["y_val"]) == CFG.data["val_size"] and len(a["y_test"]) == CFG.data["test_size"]
    digits = load_digits()
    full = _row_multiset((digits.data / 16.0, digits.target))
    parts = _row_multiset(*[(a[f"X_{s}"], a[f"y_{s}"]) for s in ("train", "val", "test")])
    assert parts == full  # every image in exactly one split, none twice
    assert len(a["y_train"]) + 600 == 1797


def test_digits_split_dtypes_ranges_and_seed():
    data = nh.load_digits_split()
    assert data["X_train"].dtype == np.float64 and data["y_train"].dtype == np.int64
    assert data["X_train"].shape[1] == 64
    assert 0.0 <= data["X_train"].min() and data["X_train"].max() <= 1.0
    other = nh.load_digits_split(seed=CFG.seed + 1)
    assert not np.array_equal(other["y_test"], data["y_test"])
    with pytest.raises(ValueError):
        nh.load_digits_split(val_size=1000, test_size=1000)


def test_preprocess_centres_on_the_training_mean_and_adds_the_bias_column():
    data = nh.load_digits_split()
    original = {k: v.copy() for k, v in data.items()}
    out = nh.preprocess(data)
    assert out["X_train"].shape == (data["X_train"].shape[0], 65)
    assert np.all(out["X_val"][:, -1] == 1.0) and np.all(out["X_test"][:, -1] == 1.0)
    assert np.allclose(out["X_train"][:, :-1].mean(axis=0), 0.0)
    assert np.allclose(out["mean_image"], data["X_train"].mean(axis=0))
    assert np.allclose(out["X_test"][:, :-1], data["X_test"] - data["X_train"].mean(axis=0))
    assert all(np.array_equal(original[k], data[k]) for k in original), "input dict was modified"
    plain = nh.preprocess(data, bias_trick=False)
    assert plain["X_val"].shape == data["X_val"].shape


def test_make_spirals_shapes_balance_and_determinism():
    X, y = nh.make_spirals(n_per_class=50, n_classes=4, noise=0.1, seed=5)
    assert X.shape == (200, 2) and y.shape == (200,) and y.dtype == np.int64
    assert np.array_equal(np.bincount(y), [50] * 4)
    assert np.abs(X).max() <= 1.0 + 1e-12  # radius <= 1
    X2, y2 = nh.make_spirals(n_per_class=50, n_classes=4, noise=0.1, seed=5)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, nh.make_spirals(n_per_class=50, n_classes=4, noise=0.1, seed=6)[0])


# -------------------------------------------------------------- CIFAR-10


def _write_batch(path, data, labels):
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": list(labels), b"batch_label": b"tiny"}, f)


def _tiny_cifar(root, rows=4):
    """Five training batches and a test batch of `rows` images each; image k of
    batch b has red = b*10 + k, green = 100, blue = 200."""
    root.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for b, name in enumerate(names):
        data = np.zeros((rows, 3072), dtype=np.uint8)
        data[:, :1024] = (b * 10 + np.arange(rows))[:, None]
        data[:, 1024:2048] = 100
        data[:, 2048:] = 200
        _write_batch(root / name, data, [(b + k) % 10 for k in range(rows)])
    return root


def test_load_cifar10_batch_decodes_channel_planes(tmp_path):
    data = np.zeros((2, 3072), dtype=np.uint8)
    data[1, 0 * 1024 + 5 * 32 + 7] = 11  # red plane, row 5, column 7
    data[1, 1 * 1024 + 0 * 32 + 31] = 22  # green plane, row 0, column 31
    data[1, 2 * 1024 + 31 * 32 + 0] = 33  # blue plane, row 31, column 0
    _write_batch(tmp_path / "batch", data, [3, 9])
    X, y = nh.load_cifar10_batch(tmp_path / "batch")
    assert X.shape == (2, 32, 32, 3) and X.dtype == np.float64
    assert y.tolist() == [3, 9] and y.dtype == np.int64
    assert X[1, 5, 7, 0] == 11 and X[1, 0, 31, 1] == 22 and X[1, 31, 0, 2] == 33
    assert X.sum() == 11 + 22 + 33


def test_load_cifar10_splits_like_the_digits(tmp_path):
    root = _tiny_cifar(tmp_path / "cifar-10-batches-py")
    data = nh.load_cifar10(root, num_train=15, num_val=3, num_test=2)
    assert set(data) == {"X_train", "y_train", "X_val", "y_val", "X_test", "y_test"}
    assert data["X_train"].shape == (15, 3072) and data["X_val"].shape == (3, 3072)
    assert data["X_test"].shape == (2, 3072)
    red = lambda X: np.round(X.reshape(-1, 32, 32, 3)[:, 0, 0, 0] * 255).astype(int).tolist()
    assert red(data["X_train"])[:5] == [0, 1, 2, 3, 10]  # batches 1.. in order
    assert red(data["X_val"]) == [33, 40, 41]  # the 3 rows after the first 15
    assert red(data["X_test"]) == [50, 51]
    assert 0.0 <= data["X_train"].min() and data["X_train"].max() <= 1.0
    with pytest.raises(ValueError, match="asked for"):
        nh.load_cifar10(root, num_train=20, num_val=1, num_test=1)


def test_verify_sha256_reports_a_mismatch(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"not the archive")
    good = hashlib.sha256(b"not the archive").hexdigest()
    assert nh.verify_sha256(path, good) == path
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        nh.verify_sha256(path, "0" * 64)
    assert good in str(info.value) and str(path) in str(info.value)


def _tiny_archive(tmp_path):
    """A .tar.gz shaped like the official one (top folder cifar-10-batches-py)."""
    src = _tiny_cifar(tmp_path / "src" / "cifar-10-batches-py", rows=2)
    archive = tmp_path / "served" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname="cifar-10-batches-py")
    return archive, hashlib.sha256(archive.read_bytes()).hexdigest()


def test_download_cifar10_verifies_caches_and_extracts(tmp_path, monkeypatch):
    archive, digest = _tiny_archive(tmp_path)
    cache = tmp_path / "cache"
    root = nh.download_cifar10(cache_dir=cache, url=archive.as_uri(), sha256=digest)
    assert root == cache / "cifar-10-batches-py"
    assert nh.load_cifar10(root, num_train=8, num_val=2, num_test=2)["X_train"].shape == (8, 3072)

    def no_network(*args, **kwargs):
        raise AssertionError("downloaded again although the verified archive was cached")

    monkeypatch.setattr(nh.urllib.request, "urlretrieve", no_network)
    assert nh.download_cifar10(cache_dir=cache, url=archive.as_uri(), sha256=digest) == root


def test_download_cifar10_rejects_a_wrong_checksum_and_keeps_nothing(tmp_path):
    archive, _ = _tiny_archive(tmp_path)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="checksum mismatch"):
        nh.download_cifar10(cache_dir=cache, url=archive.as_uri(), sha256="f" * 64)
    assert list(cache.iterdir()) == [], "a corrupt download must not stay in the cache"


# ----------------------------------------------------------------- plots


def test_plots_return_their_axes_or_figure():
    ax = nh.plot_loss_curve(np.linspace(2.3, 0.3, 100))
    assert isinstance(ax, plt.Axes) and len(ax.lines) == 2
    history = {"train_acc_history": [0.1, 0.5], "val_acc_history": [0.1, 0.4], "loss_history": [1.0]}
    assert isinstance(nh.plot_accuracy_curves(history), plt.Axes)
    ax = nh.plot_hparam_heatmap({(1e-2, 1e-3): 0.5, (1e-1, 1e-3): 0.8, (1e-1, 1e-2): 0.7})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1e-02", "1e-01"]
    assert len(ax.texts) == 3  # the missing pair stays blank
    X, y = nh.make_spirals(n_per_class=20)
    ax = nh.plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int), X, y, title="half planes")
    assert ax.get_title() == "half planes"
    _, given = plt.subplots()
    assert nh.plot_loss_curve([1.0, 0.5], ax=given) is given


def test_show_weight_images_handles_bias_rows_many_columns_and_colour():
    rng = np.random.default_rng(0)
    fig = nh.show_weight_images(rng.standard_normal((65, 10)), class_names=list("abcdefghij"), title="t")
    assert isinstance(fig, plt.Figure) and len(fig.axes) == 10
    assert fig.axes[3].get_title() == "d"
    fig = nh.show_weight_images(rng.standard_normal((64, 50)))  # first-layer weights, H = 50
    assert len([ax for ax in fig.axes if ax.images]) == 50
    fig = nh.show_weight_images(rng.standard_normal((3073, 10)), image_shape=(32, 32, 3))
    assert fig.axes[0].images[0].get_array().shape == (32, 32, 3)
    with pytest.raises(ValueError, match="image_shape"):
        nh.show_weight_images(rng.standard_normal((70, 10)))


def test_time_function_returns_the_best_of_several_runs():
    calls = []
    seconds = nh.time_function(lambda a, b: calls.append(a + b), 1, 2, repeats=4)
    assert calls == [3] * 4 and isinstance(seconds, float) and 0.0 <= seconds < 1.0
