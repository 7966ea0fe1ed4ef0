"""Rung ``fused``: forward and backward in one pass over blocks of samples (fastbp's own).

Each block of ``BLOCK`` samples is copied feature-major (one row per input, hidden unit or
class, samples along the row), so every inner loop runs along samples and vectorises however
narrow the layers are: the products in register tiles (``tiles``), exp and log from
``fastmath``, the sigmoid from ``scalarmath``. Nothing of size N is allocated: only block
buffers and the D x M, M, M x K, K accumulators. The arithmetic is float64 whatever the input
dtype; results are cast back to it.

``gradients_into`` is the fused step (``fastbp.registry.kernel`` makes the API's
``gradients`` of it, writing into new arrays): ``gradients_from_blocks`` with the pass over
blocks, ``gradient_blocks``, called by its address (``pointers``), as the ``parallel``
rung calls it on each chunk; ``forward`` likewise with ``forward_rows``. Its cost is NaN
when an input holds NaN or infinity (marks taken in the loops, as ``narrow``'s), so that the
API checks the inputs only then. The four derivatives run the same stages on the same
blocks (they read Z and Y instead of computing them).

The kernels use ``error_model="numpy"``: no division here can be by zero (they are by
sums of exponentials and by positive constants), and without the ZeroDivisionError branch
that the default model puts on each, the ``parallel`` rung's gradients compile in about two
thirds of the time (12.5 s against 18.6 s from an empty cache, measured twice each, same
load).
"""

import numpy as np
from numba.extending import register_jitable

from .caching import cached_njit
from .checks import nonfinite_mark
from .common import BLOCK, FASTMATH, copy_into
from .fastmath import exp_inplace, log_inplace, reciprocal_inplace
from .pointers import Bound, call_at
from .scalarmath import sigmoid
from .tiles import add_products, add_weighted_rows


@register_jitable
def block_buffers(D, M, K):
    """Feature-major buffers for one block: inputs, hidden, targets, outputs, hidden error,
    two per-sample rows (softmax sums and their inverses), int64 scratch for fastmath."""
    width = max(D, M, K)
    return (
        np.empty((D, BLOCK)),
        np.empty((M, BLOCK)),
        np.empty((K, BLOCK)),
        np.empty((K, BLOCK)),
        np.empty((M, BLOCK)),
        np.empty((2, BLOCK)),
        np.empty(width * BLOCK, dtype=np.int64),
    )


@register_jitable
def fill(row, value):
    """row[i] = value for every i (a loop: see the note in ``fastbp.kernels``)."""
    for i in range(row.shape[0]):
        row[i] = value


@register_jitable
def load(src, start, size, dst):
    """dst[j, i] = src[start + i, j] for i < size: a block of rows, transposed."""
    for j in range(src.shape[1]):
        row = dst[j, :size]
        for i in range(size):
            row[i] = src[start + i, j]


@register_jitable
def store(src, start, size, dst):
    """dst[start + i, j] = src[j, i]: the inverse of ``load``."""
    for j in range(dst.shape[1]):
        row = src[j, :size]
        for i in range(size):
            dst[start + i, j] = row[i]


@register_jitable
def hidden_layer(xt, W1, b1, size, zt):
    """zt[m, i] = sigmoid(b1[m] + sum_d W1[d, m] xt[d, i]); returns 0.0 when every one of
    those pre-activations is finite, else NaN (``checks.nonfinite_mark``'s mark, taken in
    the same loop). A NaN or infinite input or weight of the layer makes some of them so
    (an infinity times a zero weight is NaN), where the sigmoid alone might hide it."""
    marks = 0.0
    for m in range(W1.shape[1]):
        fill(zt[m, :size], b1[m])
    add_weighted_rows(W1, xt, size, zt)
    for m in range(W1.shape[1]):
        z = zt[m, :size]
        for i in range(size):
            marks += z[i] * 0.0
            z[i] = sigmoid(z[i])
    return marks


@register_jitable
def output_logits(zt, W2, b2, size, at, row_max):
    """at[k, i] = b2[k] + sum_m W2[m, k] zt[m, i] - row_max[i], row_max[i] = max_k of it."""
    K = W2.shape[1]
    for k in range(K):
        fill(at[k, :size], b2[k])
    add_weighted_rows(W2, zt, size, at)
    top = row_max[:size]
    first = at[0, :size]
    for i in range(size):
        top[i] = first[i]
    for k in range(1, K):
        a = at[k, :size]
        for i in range(size):
            top[i] = max(top[i], a[i])
    for k in range(K):
        a = at[k, :size]
        for i in range(size):
            a[i] -= top[i]


@register_jitable
def softmax_shifted(at, size, per_sample, scratch):
    """Exponentiate the shifted logits in ``at`` and normalise each sample; per_sample[0]
    keeps the sums of exponentials (>= 1, as the largest shifted logit is 0), [1] their
    inverses."""
    K = at.shape[0]
    total, inverse = per_sample[0, :size], per_sample[1, :size]
    fill(total, 0.0)
    for k in range(K):
        a = at[k, :size]
        exp_inplace(a)
        for i in range(size):
            total[i] += a[i]
    for i in range(size):
        inverse[i] = total[i]
    reciprocal_inplace(inverse, scratch)
    for k in range(K):
        a = at[k, :size]
        for i in range(size):
            a[i] *= inverse[i]


@register_jitable
def forward_block(xt, W1, b1, W2, b2, size, zt, at, per_sample, scratch):
    """Z and Y of a loaded block into zt, at; per_sample[0] keeps the softmax row sums."""
    hidden_layer(xt, W1, b1, size, zt)
    output_logits(zt, W2, b2, size, at, per_sample[0])
    softmax_shifted(at, size, per_sample, scratch)


@register_jitable
def output_error(tt, at, size):
    """at[k, i] = tt[k, i] - at[k, i]: T - Y, in place of Y."""
    for k in range(at.shape[0]):
        a = at[k, :size]
        t = tt[k, :size]
        for i in range(size):
            a[i] = t[i] - a[i]


@register_jitable
def transposed(W):
    """A C-contiguous float64 copy of W.T, ``hidden_error``'s weights: the view W.T would
    compile ``add_weighted_rows`` once more, for F-ordered weights (the fused gradients from
    an empty cache: 10.6 s with the view, 8.5 s with the copy, one run each)."""
    P, Q = W.shape
    Wt = np.empty((Q, P))
    for p in range(P):
        for q in range(Q):
            Wt[q, p] = W[p, q]
    return Wt


@register_jitable
def hidden_error(dt, zt, W2t, size, gt):
    """gt[m, i] = (sum_k W2[m, k] dt[k, i]) * zt[m, i] * (1 - zt[m, i]) (dZ of docs/math.md §3),
    W2t = W2.T (``transposed``)."""
    M = W2t.shape[1]
    for m in range(M):
        fill(gt[m, :size], 0.0)
    add_weighted_rows(W2t, dt, size, gt)
    for m in range(M):
        g, z = gt[m, :size], zt[m, :size]
        for i in range(size):
            g[i] *= z[i] * (1.0 - z[i])


@register_jitable
def add_sums(at, size, out):
    """out[p] += sum_i at[p, i]: a bias gradient."""
    for p in range(at.shape[0]):
        a = at[p, :size]
        total = 0.0
        for i in range(size):
            total += a[i]
        out[p] += total


@register_jitable
def sums_ends(D, M, K):
    """Where dW1, db1, dW2 and db2 end in a flat array of sums (``gradient_blocks``); the
    cost sits at the last end."""
    w1_end = D * M
    b1_end = w1_end + M
    w2_end = b1_end + M * K
    return w1_end, b1_end, w2_end, w2_end + K


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def gradient_blocks(X, T, W1, b1, W2, b2, first, last, sums):
    """Forward and backward for samples first..last-1, in blocks: adds the four gradients
    and the log-likelihood of those samples to the float64 ``sums`` (``sums_ends``); the
    log-likelihood is NaN if an input holds NaN or infinity (``marks``: the API then needs
    no pass of its own to check them).

    A kernel of its own, which ``fused`` and ``parallel`` call by its address
    (``pointers``): compiled and cached once for both."""
    D, M = W1.shape
    K = W2.shape[1]
    w1_end, b1_end, w2_end, b2_end = sums_ends(D, M, K)
    dW1, db1 = sums[:w1_end].reshape((D, M)), sums[w1_end:b1_end]
    dW2, db2 = sums[b1_end:w2_end].reshape((M, K)), sums[w2_end:b2_end]
    xt, zt, tt, at, gt, per_sample, scratch = block_buffers(D, M, K)
    W2t = transposed(W2)
    cost = 0.0
    # A NaN or infinity in X, W1 or b1 shows in the hidden layer's mark, in T in the cost
    # (an infinity times a logit or log-sum, or times 0, is not finite); W2 and b2 here.
    marks = nonfinite_mark(W2.reshape(-1)) + nonfinite_mark(b2)
    for start in range(first, last, BLOCK):
        size = min(BLOCK, last - start)
        load(X, start, size, xt)
        load(T, start, size, tt)
        marks += hidden_layer(xt, W1, b1, size, zt)
        output_logits(zt, W2, b2, size, at, per_sample[0])
        # log-likelihood: sum_k T (a - max - log sum exp) with the shifted logits a - max.
        for k in range(K):
            a, t = at[k, :size], tt[k, :size]
            for i in range(size):
                cost += t[i] * a[i]
        softmax_shifted(at, size, per_sample, scratch)
        log_sum = per_sample[0, :size]
        log_inplace(log_sum)
        for k in range(K):
            t = tt[k, :size]
            for i in range(size):
                cost -= t[i] * log_sum[i]
        output_error(tt, at, size)
        add_sums(at, size, db2)
        add_products(zt, at, size, dW2)
        hidden_error(at, zt, W2t, size, gt)
        add_sums(gt, size, db1)
        add_products(xt, gt, size, dW1)
    sums[b2_end] += cost + marks


def block_arguments(X, T, W1, b1, W2, b2, *out):
    """Arguments like those that ``gradient_blocks`` is called with for these arrays."""
    return X, T, W1, b1, W2, b2, 0, 0, np.zeros(1)


@register_jitable
def written_sums(sums, dW1, db1, dW2, db2):
    """dW1, db1, dW2, db2 written from the flat float64 ``sums`` of ``gradient_blocks``, in
    their own dtype; returns the cost."""
    (D, M), K = dW1.shape, dW2.shape[1]
    w1_end, b1_end, w2_end, b2_end = sums_ends(D, M, K)
    copy_into(dW1, sums[:w1_end])
    copy_into(db1, sums[w1_end:b1_end])
    copy_into(dW2, sums[b1_end:w2_end])
    copy_into(db2, sums[w2_end:b2_end])
    return sums[b2_end]


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def gradients_from_blocks(blocks, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2):
    """The fused step, serially: ``blocks`` (``gradient_blocks``) over all the samples, the
    gradients written into dW1, db1, dW2, db2 (X's dtype); returns the cost."""
    (D, M), K = W1.shape, W2.shape[1]
    sums = np.zeros(sums_ends(D, M, K)[3] + 1)
    call_at(blocks, (X, T, W1, b1, W2, b2, 0, X.shape[0], sums))
    return written_sums(sums, dW1, db1, dW2, db2)


gradients_into = Bound(gradients_from_blocks, gradient_blocks, block_arguments, marks=True)


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def forward_rows(X, W1, b1, W2, b2, first, last, Y, Z):
    """Y and Z for samples first..last-1, in blocks. A kernel of its own, as
    ``gradient_blocks`` is, for ``fused`` and ``parallel``."""
    D, M = W1.shape
    K = W2.shape[1]
    xt, zt, _, at, _, per_sample, scratch = block_buffers(D, M, K)
    for start in range(first, last, BLOCK):
        size = min(BLOCK, last - start)
        load(X, start, size, xt)
        forward_block(xt, W1, b1, W2, b2, size, zt, at, per_sample, scratch)
        store(zt, start, size, Z)
        store(at, start, size, Y)


def row_arguments(X, W1, b1, W2, b2):
    """Arguments like those that ``forward_rows`` is called with for these arrays."""
    M, K = W1.shape[1], W2.shape[1]
    return X, W1, b1, W2, b2, 0, 0, np.empty((0, K), X.dtype), np.empty((0, M), X.dtype)


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def forward_from_blocks(rows, X, W1, b1, W2, b2):
    """(Y, Z) by blocks with the SIMD exp: ``rows`` (``forward_rows``) over all the samples."""
    N = X.shape[0]
    Y = np.empty((N, W2.shape[1]), dtype=X.dtype)
    Z = np.empty((N, W1.shape[1]), dtype=X.dtype)
    call_at(rows, (X, W1, b1, W2, b2, 0, N, Y, Z))
    return Y, Z


forward = Bound(forward_from_blocks, forward_rows, row_arguments)


@register_jitable
def output_error_blocks(T, Y, start, size, tt, dt):
    """Load T - Y of a block, feature-major, into dt (tt is scratch for T)."""
    load(T, start, size, tt)
    load(Y, start, size, dt)
    output_error(tt, dt, size)


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def derivative_w2(Z, T, Y):
    """dW2 = Z.T @ (T - Y), block by block (M x K)."""
    N, M = Z.shape
    K = T.shape[1]
    _, zt, tt, dt, _, _, _ = block_buffers(1, M, K)
    out = np.zeros((M, K))
    for start in range(0, N, BLOCK):
        size = min(BLOCK, N - start)
        output_error_blocks(T, Y, start, size, tt, dt)
        load(Z, start, size, zt)
        add_products(zt, dt, size, out)
    return out.astype(Z.dtype)


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def derivative_b2(T, Y):
    """db2 = (T - Y).sum(axis=0), block by block (K)."""
    N, K = T.shape
    _, _, tt, dt, _, _, _ = block_buffers(1, 1, K)
    out = np.zeros(K)
    for start in range(0, N, BLOCK):
        size = min(BLOCK, N - start)
        output_error_blocks(T, Y, start, size, tt, dt)
        add_sums(dt, size, out)
    return out.astype(T.dtype)


@register_jitable
def hidden_error_blocks(T, Y, W2t, Z, start, size, tt, dt, zt, gt):
    """Load a block and form dZ = ((T - Y) @ W2t) * Z * (1 - Z) feature-major in gt."""
    output_error_blocks(T, Y, start, size, tt, dt)
    load(Z, start, size, zt)
    hidden_error(dt, zt, W2t, size, gt)


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def derivative_w1(X, Z, T, Y, W2):
    """dW1 = X.T @ dZ, dZ formed per block and never stored whole (D x M)."""
    N, D = X.shape
    M, K = W2.shape
    xt, zt, tt, dt, gt, _, _ = block_buffers(D, M, K)
    W2t = transposed(W2)
    out = np.zeros((D, M))
    for start in range(0, N, BLOCK):
        size = min(BLOCK, N - start)
        hidden_error_blocks(T, Y, W2t, Z, start, size, tt, dt, zt, gt)
        load(X, start, size, xt)
        add_products(xt, gt, size, out)
    return out.astype(X.dtype)


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def derivative_b1(T, Y, W2, Z):
    """db1 = dZ.sum(axis=0), dZ formed per block (M)."""
    N, K = T.shape
    M = W2.shape[0]
    _, zt, tt, dt, gt, _, _ = block_buffers(1, M, K)
    W2t = transposed(W2)
    out = np.zeros(M)
    for start in range(0, N, BLOCK):
        size = min(BLOCK, N - start)
        hidden_error_blocks(T, Y, W2t, Z, start, size, tt, dt, zt, gt)
        add_sums(gt, size, out)
    return out.astype(Z.dtype)
