"""Data sets for the reference training runs."""

from __future__ import annotations

from importlib.resources import files

import numpy as np

from ._validation import check_parameters

THREE_CLOUD_CENTRES = np.array([[0.0, -2.0], [2.0, 2.0], [-2.0, 2.0]])


def three_clouds(n_per_class: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """docs/math.md §5: three unit-variance 2-D Gaussian clouds centred at (0, -2), (2, 2) and
    (-2, 2), ``n_per_class`` points each. Returns X (3n x 2, float64) and labels y (3n, int64:
    0, 1, 2 in blocks).
    """
    check_parameters({"n_per_class": n_per_class, "seed": seed})
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.standard_normal((n_per_class, 2)) + c for c in THREE_CLOUD_CENTRES])
    y = np.repeat(np.arange(len(THREE_CLOUD_CENTRES)), n_per_class)
    return X, y


def one_hot(labels: np.ndarray, n_classes: int, dtype=np.float64) -> np.ndarray:
    """The N x K indicator matrix T with T[n, labels[n]] = 1 (labels: integers in [0, K))."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be a 1-D array of integers, got {labels.dtype} {labels.shape}"
        )
    if labels.size and not (0 <= labels.min() and labels.max() < n_classes):
        raise ValueError(
            f"labels must lie in [0, {n_classes}) for {n_classes} classes, "
            f"got values from {labels.min()} to {labels.max()}"
        )
    T = np.zeros((len(labels), n_classes), dtype=dtype)
    T[np.arange(len(labels)), labels] = 1
    return T


IRIS_SPECIES = ("setosa", "versicolor", "virginica")


def iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's Iris data (150 flowers, shipped in the package as ``data/iris.csv``).

    Returns X (150 x 4, float64: sepal length and width, petal length and width, in cm) and
    labels y (150, int64: 0 setosa, 1 versicolor, 2 virginica, in ``IRIS_SPECIES`` order).
    """
    text = files("fastbp").joinpath("data", "iris.csv").read_text()
    rows = [line.split(",") for line in text.splitlines() if line and line[0].isdigit()]
    X = np.array([[float(v) for v in row[:4]] for row in rows])
    y = np.array([IRIS_SPECIES.index(row[4]) for row in rows], dtype=np.int64)
    return X, y
