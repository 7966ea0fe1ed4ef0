"""The study's floor: the matrix products of a network epoch (or of a classic gradient step)
and nothing else, compiled, so that the floor pays no more per product than the kernels do.

Called from Python, each ``np.dot`` of a batch costs about a microsecond of the interpreter
and NumPy's dispatch: for 2-64-64-3 in batches of 32 that made the floor 34.3 µs a step
where its eight products take 25.1 µs from compiled code (measured here, minutes apart),
and a kernel at 1.5x the floor looked as if it ran at it. The products go to the BLAS the
kernels call.
"""

import numpy as np

from .caching import cached_njit


@cached_njit()
def epoch_products(layers, X, rows, outputs, errors, gradients):
    """For each batch of ``rows`` consecutive rows of X: forward each layer's H @ W into
    ``outputs`` (rows x n_out each), then backward each layer's H.T @ E into ``gradients``
    (shaped as the layers) and, below the top, E @ W.T into ``errors[layer]`` (rows x n_in;
    ``errors[0]`` is never used). E starts as the top layer's output, each product reads what
    the one before wrote. ``layers``, ``outputs``, ``errors``, ``gradients``: tuples of
    C-contiguous matrices of X's dtype."""
    depth = len(layers)
    for start in range(0, X.shape[0], rows):
        n = min(rows, X.shape[0] - start)
        h = X[start : start + n]
        for layer in range(depth):
            np.dot(h, layers[layer], outputs[layer][:n])
            h = outputs[layer][:n]
        error = h
        for layer in range(depth - 1, -1, -1):
            below = X[start : start + n] if layer == 0 else outputs[layer - 1][:n]
            np.dot(below.T, error, gradients[layer])
            if layer > 0:
                np.dot(error, layers[layer].T, errors[layer][:n])
                error = errors[layer][:n]
