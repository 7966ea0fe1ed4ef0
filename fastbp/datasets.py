"""Data sets for the reference training runs and the examples, and one-hot targets."""

from __future__ import annotations

from importlib.resources import files

import numpy as np

from ._validation import check_parameters

THREE_CLOUD_CENTRES = np.array([[0.0, -2.0], [2.0, 2.0], [-2.0, 2.0]])


def three_clouds(n_per_class: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three 2-D Gaussian clouds, the reference data set of docs/math.md §5.

    Unit-variance clouds centred at (0, -2), (2, 2) and (-2, 2), ``n_per_class`` points each,
    drawn from ``np.random.default_rng(seed)``.

    Parameters
    ----------
    n_per_class : int, default 500
        Points per cloud (at least 1).
    seed : int, default 0
        Seed of the random draws (a non-negative integer).

    Returns
    -------
    X : ndarray, shape (3 * n_per_class, 2)
        The points, float64.
    y : ndarray, shape (3 * n_per_class,)
        Their labels, int64: 0, 1, 2 in blocks.

    Raises
    ------
    ValueError
        If ``n_per_class`` or ``seed`` is not an integer in its range.

    Examples
    --------
    >>> import numpy as np
    >>> from fastbp.datasets import three_clouds
    >>> X, y = three_clouds(n_per_class=4, seed=0)
    >>> X.shape, X.dtype, y
    ((12, 2), dtype('float64'), array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]))
    >>> X, y = three_clouds()  # 500 points a cloud
    >>> X[y == 1].mean(axis=0).round(1)  # the centre of cloud 1
    array([2., 2.])
    """
    check_parameters({"n_per_class": n_per_class, "seed": seed})
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.standard_normal((n_per_class, 2)) + c for c in THREE_CLOUD_CENTRES])
    y = np.repeat(np.arange(len(THREE_CLOUD_CENTRES)), n_per_class)
    return X, y


def one_hot(labels: np.ndarray, n_classes: int, dtype=np.float64) -> np.ndarray:
    """The one-hot (indicator) matrix of class labels.

    Parameters
    ----------
    labels : array_like, shape (N,)
        Integer class labels in [0, n_classes).
    n_classes : int
        The number of classes K.
    dtype : data-type, default np.float64
        The dtype of the result.

    Returns
    -------
    T : ndarray, shape (N, K)
        T[n, labels[n]] = 1, every other entry 0.

    Raises
    ------
    ValueError
        If ``labels`` is not a 1-D array of integers, or holds a value outside
        [0, n_classes).

    Examples
    --------
    >>> from fastbp.datasets import one_hot
    >>> one_hot([2, 0, 1], 3)
    array([[0., 0., 1.],
           [1., 0., 0.],
           [0., 1., 0.]])
    """
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
    """Fisher's Iris data: 150 flowers of three species, four measurements each.

    The data are shipped in the package as ``data/iris.csv``.

    Returns
    -------
    X : ndarray, shape (150, 4)
        Sepal length and width, petal length and width, in cm; float64.
    y : ndarray, shape (150,)
        The species, int64: 0 setosa, 1 versicolor, 2 virginica (in ``IRIS_SPECIES``
        order).

    Examples
    --------
    >>> import numpy as np
    >>> from fastbp.datasets import IRIS_SPECIES, iris
    >>> X, y = iris()
    >>> X.shape, X.dtype, np.bincount(y)
    ((150, 4), dtype('float64'), array([50, 50, 50]))
    >>> IRIS_SPECIES[y[0]], X[0]
    ('setosa', array([5.1, 3.5, 1.4, 0.2]))
    """
    text = files("fastbp").joinpath("data", "iris.csv").read_text()
    rows = [line.split(",") for line in text.splitlines() if line and line[0].isdigit()]
    X = np.array([[float(v) for v in row[:4]] for row in rows])
    y = np.array([IRIS_SPECIES.index(row[4]) for row in rows], dtype=np.int64)
    return X, y
