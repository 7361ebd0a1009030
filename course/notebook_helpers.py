"""Data, plots, timing and the sparse gradient check the notebooks use.

Written to run in a bare Colab runtime (standard library, numpy, matplotlib
and scikit-learn only, no `from __future__`): `make notebooks` pastes what a
notebook uses into its helper cell (course/helper_cell.py). The grader
imports the data functions from here, so both split the digits the same way.

  gradient checking   grad_check_sparse (rel_error and the numerical
                      gradients are course/rules.py's)
  data                load_digits_split, preprocess, make_spirals,
                      download_cifar10, load_cifar10_batch, load_cifar10
  plots               plot_loss_curve, plot_accuracy_curves, plot_hparam_heatmap,
                      show_weight_images, plot_decision_boundary
  timing              time_function
"""

import hashlib
import math
import os
import pickle
import tarfile
import time
import urllib.request
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from course.notebook_data import COURSE_SEED, DIGITS_TEST_SIZE, DIGITS_VAL_SIZE
from course.rules import as_number, rel_error

# ----------------------------------------------------------- gradient checks


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=0, verbose=True):
    """Compare analytic_grad with centered differences at random entries of x.

    f: scalar function of x (x is nudged in place and restored).
    x, analytic_grad: arrays of one shape. num_checks entries are drawn with a
    seeded generator, so a rerun checks the same entries.
    Prints one line per entry when verbose; returns the largest relative error.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(num_checks):
        idx = tuple(int(rng.integers(n)) for n in x.shape)
        old = x[idx]
        x[idx] = old + h
        f_plus = as_number(f(x))
        x[idx] = old - h
        f_minus = as_number(f(x))
        x[idx] = old
        numeric = (f_plus - f_minus) / (2 * h)
        analytic = float(analytic_grad[idx])
        err = rel_error(numeric, analytic)
        worst = max(worst, err)
        if verbose:
            print(f"  entry {idx}: numerical {numeric: .6e}  analytic {analytic: .6e}  rel error {err:.2e}")
    return worst


# ---------------------------------------------------------------------- data


def load_digits_split(seed=COURSE_SEED, val_size=DIGITS_VAL_SIZE, test_size=DIGITS_TEST_SIZE):
    """scikit-learn's 8x8 digits (1797 images), split into train/val/test.

    Pixels are 0..16 in the source; they are divided by 16 so features lie in
    [0, 1]. One seeded permutation decides the split, so it is the same on
    every machine. Returns a dict:
      X_train (N_train, 64) float64, y_train (N_train,) int64, and the same for
      _val (val_size rows) and _test (test_size rows); N_train = 1797 - val - test.
    """
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    digits = load_digits()
    X = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    if val_size + test_size >= len(y):
        raise ValueError(f"load_digits_split: val_size + test_size must be < {len(y)}")
    order = np.random.default_rng(seed).permutation(len(y))
    test, val, train = np.split(order, [test_size, test_size + val_size])
    return {
        "X_train": X[train],
        "y_train": y[train],
        "X_val": X[val],
        "y_val": y[val],
        "X_test": X[test],
        "y_test": y[test],
    }


def preprocess(data, bias_trick=True):
    """Centre every split on the TRAINING mean image; optionally add the bias column.

    data: dict with X_train (N, D), X_val, X_test (+ labels, passed through).
    The mean comes from the training split only: validation and test data
    stand for images we have not seen, so they must not shape the model.
    With bias_trick a column of ones is appended (D -> D + 1), so that
    X @ W with W (D + 1, C) computes X W + b and the bias is the last row of W.
    Returns a new dict with the same keys plus mean_image (D,).
    """
    mean_image = np.mean(data["X_train"], axis=0)
    out = dict(data)
    for split in ("train", "val", "test"):
        X = data[f"X_{split}"] - mean_image
        if bias_trick:
            X = np.hstack([X, np.ones((X.shape[0], 1))])
        out[f"X_{split}"] = X
    out["mean_image"] = mean_image
    return out


def make_spirals(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """Interleaved 2-D spiral arms, one per class: not linearly separable.

    Each arm sweeps the radius from 0 to 1 while its angle turns through
    4 radians, starting 4 radians after the previous arm; gaussian noise of
    scale `noise` is added to the angle.
    Returns X (n_per_class * n_classes, 2) float64, y (same N,) int64.
    """
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    start = 4.0 * y
    angle = start + 4.0 * np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    angle = angle + noise * rng.standard_normal(angle.shape)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return X, y.astype(np.int64)


# ------------------------------------------------------- CIFAR-10 (opt-in)

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# SHA-256 of cifar-10-python.tar.gz as pinned by Keras (keras.datasets.cifar10,
# `file_hash`). The CIFAR page itself publishes an MD5,
# c58f30108f718f92721af3b95e74349a; SHA-256 is checked because MD5 is broken.
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path, sha256):
    """Raise ValueError naming the file and both digests unless they match."""
    actual = _sha256_of(path)
    if actual != sha256.lower():
        raise ValueError(
            f"checksum mismatch for {path}: expected SHA-256 {sha256}, got {actual}. "
            "The download is corrupt or not the official CIFAR-10 archive; "
            "delete it and run download_cifar10() again."
        )
    return path


def download_cifar10(cache_dir="~/.cache/nn_from_scratch", url=CIFAR10_URL, sha256=CIFAR10_SHA256):
    """Download (once), verify and extract the CIFAR-10 python archive (~163 MB).

    The archive is kept in cache_dir; when it is already there and its SHA-256
    matches, nothing is downloaded again. A fresh download goes to a .part file
    that is renamed only after the checksum matches, so an interrupted or
    corrupt download never looks finished.
    Returns the Path of the extracted folder (cifar-10-batches-py) to pass to
    load_cifar10.
    """
    cache = Path(os.path.expanduser(str(cache_dir)))
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / url.rstrip("/").rsplit("/", 1)[-1]
    if not (archive.exists() and _sha256_of(archive) == sha256.lower()):
        partial = archive.with_name(archive.name + ".part")
        print(f"Downloading {url} -> {archive}")
        urllib.request.urlretrieve(url, partial)
        try:
            verify_sha256(partial, sha256)
        except ValueError:
            partial.unlink()
            raise
        partial.replace(archive)
    with tarfile.open(archive, "r:gz") as tar:
        top = tar.getnames()[0].split("/")[0]
        root = cache / top
        if not root.is_dir():
            if hasattr(tarfile, "data_filter"):  # refuses absolute paths / links out
                tar.extractall(cache, filter="data")
            else:
                tar.extractall(cache)
    return root


def _read_cifar10_pickle(path):
    """uint8 images (N, 32, 32, 3) and int64 labels (N,) from one pickled batch."""
    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    # each row is the red, then green, then blue 32x32 plane, row-major
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(batch[b"labels"], dtype=np.int64)


def load_cifar10_batch(path):
    """One pickled CIFAR-10 batch -> X (N, 32, 32, 3) float64 in 0..255, y (N,) int64.

    The pickle holds a dict with b"data": uint8 (N, 3072), each row the red,
    then green, then blue 32x32 plane in row-major order, and b"labels".
    """
    images, labels = _read_cifar10_pickle(path)
    return images.astype(np.float64), labels


def load_cifar10(root, num_train=49000, num_val=1000, num_test=1000):
    """CIFAR-10 in the digits format: same keys as load_digits_split.

    root: folder with data_batch_1..5 and test_batch (what download_cifar10
    returns). Validation rows are the num_val training images after the first
    num_train. Images are flattened to (N, 3072) in (row, column, channel)
    order and divided by 255, so features lie in [0, 1] as for the digits;
    show_weight_images(W, image_shape=(32, 32, 3)) undoes the flattening.
    Pixels stay uint8 until the rows are chosen: float64 copies of all 60000
    images would need ~1.5 GB each.
    """
    root = Path(root)
    parts = [_read_cifar10_pickle(root / f"data_batch_{i}") for i in range(1, 6)]
    X_all = np.concatenate([X for X, _ in parts])
    y_all = np.concatenate([y for _, y in parts])
    X_test, y_test = _read_cifar10_pickle(root / "test_batch")
    if num_train + num_val > len(y_all) or num_test > len(y_test):
        raise ValueError(
            f"load_cifar10: asked for {num_train}+{num_val} training and "
            f"{num_test} test images; {root} has {len(y_all)} and {len(y_test)}"
        )

    def scaled(X):
        out = X.reshape(X.shape[0], -1).astype(np.float64)
        out /= 255.0  # in place: one float64 copy, not two
        return out

    val = slice(num_train, num_train + num_val)
    return {
        "X_train": scaled(X_all[:num_train]),
        "y_train": y_all[:num_train],
        "X_val": scaled(X_all[val]),
        "y_val": y_all[val],
        "X_test": scaled(X_test[:num_test]),
        "y_test": y_test[:num_test],
    }


# --------------------------------------------------------------------- plots


def plot_loss_curve(losses, ax=None):
    """Per-iteration training loss (light) and its running mean (dark). Returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    losses = np.asarray(losses, dtype=float)
    ax.plot(losses, alpha=0.35, label="per iteration")
    window = max(1, len(losses) // 20)
    if len(losses) >= window > 1:
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window - 1, len(losses)), smooth, label=f"mean of {window}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss")
    ax.legend()
    return ax


def plot_accuracy_curves(history, ax=None):
    """Train and validation accuracy per epoch from TwoLayerNet.train's dict. Returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(history["train_acc_history"], marker="o", label="train")
    ax.plot(history["val_acc_history"], marker="o", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend()
    return ax


def plot_hparam_heatmap(results, ax=None):
    """Validation accuracy for every (learning_rate, reg) pair as a heatmap.

    results: {(lr, reg): val_acc}; missing pairs show as blank cells.
    Returns the Axes (rows: learning rate, columns: regularization strength).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    lrs = sorted({lr for lr, _ in results})
    regs = sorted({reg for _, reg in results})
    grid = np.full((len(lrs), len(regs)), np.nan)
    for (lr, reg), acc in results.items():
        grid[lrs.index(lr), regs.index(reg)] = acc
    image = ax.imshow(grid, cmap="viridis", aspect="auto")
    for (i, j), acc in np.ndenumerate(grid):
        if not np.isnan(acc):
            # viridis runs from dark purple to bright yellow: dark text on the bright cells
            color = "black" if image.norm(acc) > 0.6 else "white"
            ax.text(j, i, f"{acc:.3f}", ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(len(regs)), [f"{r:.0e}" for r in regs])
    ax.set_yticks(range(len(lrs)), [f"{lr:.0e}" for lr in lrs])
    ax.set_xlabel("regularization strength")
    ax.set_ylabel("learning rate")
    ax.figure.colorbar(image, ax=ax, label="validation accuracy")
    return ax


def show_weight_images(W, image_shape=(8, 8), class_names=None, title=None):
    """Show every column of W as an image (a class template or a hidden unit).

    W: (D, K) or (D + 1, K) with the bias row last (bias trick), where
    D = prod(image_shape); image_shape is (H, W) for grey or (H, W, 3) for
    colour. Grey images use a diverging map centred on 0 (red: positive
    weight, blue: negative, white: zero); colour images are stretched to their
    own min..max. Returns the Figure.
    """
    W = np.asarray(W, dtype=float)
    pixels = int(np.prod(image_shape))
    if W.shape[0] == pixels + 1:
        W = W[:-1]  # drop the bias row
    if W.shape[0] != pixels:
        raise ValueError(
            f"show_weight_images: W has {W.shape[0]} rows; image_shape "
            f"{image_shape} needs {pixels} (or {pixels + 1} with a bias row)"
        )
    count = W.shape[1]
    cols = min(count, 10) if count <= 20 else int(math.ceil(math.sqrt(count)))
    rows = int(math.ceil(count / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(1.3 * cols, 1.4 * rows + (0.3 if title else 0)), squeeze=False, layout="constrained"
    )
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= count:
            continue
        w = W[:, k]
        if len(image_shape) == 3:
            ax.imshow(((w - w.min()) / max(w.max() - w.min(), 1e-12)).reshape(image_shape))
        else:
            limit = max(np.abs(w).max(), 1e-12)
            ax.imshow(w.reshape(image_shape), cmap="RdBu_r", vmin=-limit, vmax=limit)
        if class_names is not None:
            ax.set_title(str(class_names[k]), fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def plot_decision_boundary(predict_fn, X, y, ax=None, title=None):
    """Colour the plane by predict_fn's class and overlay the 2-D points.

    predict_fn: (M, 2) -> (M,) int labels. X: (N, 2), y: (N,). Returns the Axes.
    Points and regions share one colour per class (Set2 with vmin=-0.5,
    vmax=C-0.5); scatter other plots of the same data with those limits to match.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    pad = 0.25
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 200)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 200)
    gx, gy = np.meshgrid(xs, ys)
    labels = np.asarray(predict_fn(np.column_stack([gx.ravel(), gy.ravel()])))
    n_classes = int(max(labels.max(), y.max())) + 1
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(gx, gy, labels.reshape(gx.shape), levels=levels, cmap="Set2", alpha=0.6)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="Set2", vmin=-0.5, vmax=n_classes - 0.5, edgecolors="k", s=18)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("feature x[:, 0]")
    ax.set_ylabel("feature x[:, 1]")
    if title:
        ax.set_title(title)
    return ax


# -------------------------------------------------------------------- timing


def time_function(f, *args, repeats=3):
    """Best (smallest) wall time in seconds of f(*args) over `repeats` calls.

    The minimum is the least disturbed by other programs on the machine.
    """
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        f(*args)
        best = min(best, time.perf_counter() - start)
    return best
