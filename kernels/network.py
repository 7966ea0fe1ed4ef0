"""The general network: any depth, a table of activations, full-batch, minibatch and per-sample
SGD, each epoch in one compiled call (docs/math.md §6; the classic network is the depth-1 case).

Parameters live in one flat vector. Layer ``i`` maps ``sizes[i]`` inputs to ``sizes[i + 1]``
outputs; its weights are stored row-major, followed by its bias when there is one. So a
layer's weights and bias are, in memory, exactly the ``(n_in + 1) x n_out`` matrix of the
"bias trick", whose extra row multiplies a column of ones appended to the layer's input.

Samples go through in blocks of at most ``BLOCK`` rows: the buffers hold one block per layer,
never N rows. Products of ``BLAS_MIN_FLOPS`` multiply-adds or more go to BLAS, except outer
products; the others run as vectorisable loops. exp runs on the SIMD routines of
``fastmath`` in float64; everything else runs in the parameters' dtype.

Losses are means over the samples of a batch: softmax output with cross-entropy
``-sum_k t_k log y_k``, other outputs with half the squared error ``sum_k (y_k - t_k)**2 / 2``.
Gradients are of that loss (descent: ``params -= learning_rate * gradient``).
"""

import math

import numpy as np
from numba import njit
from numba.extending import register_jitable

from .fastmath import exp_inplace, reciprocal_inplace

FASTMATH = {"reassoc", "contract"}  # lets the reductions vectorise; no NaN/inf assumptions
BLOCK = 256  # samples per block
# Products of at least this many multiply-adds go to BLAS, except outer products (inner
# dimension 1), which loops do faster (measured: 64x64 outer product 0.65 us as a loop,
# 2.0 us in BLAS; a 32x64 by 64x3 product 6.7 us as a loop, 0.58 us in BLAS).
BLAS_MIN_FLOPS = 2048

# The activation table: a kernel receives the index of the name. Each activation's
# derivative is written in terms of its output z = f(a), as backpropagation needs it.
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "softmax")
IDENTITY, SIGMOID, TANH, RELU, SOFTMAX = range(len(ACTIVATIONS))


@register_jitable
def activate(code, a, h, work, scratch):
    """h[:, :n] = f(a) for the n columns of the B x n block ``a`` (work, scratch: B * n each).

    sigmoid = 1 / (1 + exp(-a)); tanh = 1 - 2 / (exp(2a) + 1); relu = max(a, 0); softmax row
    by row after subtracting the row maximum. exp over- and underflows to inf and 0, which
    these forms turn into the right limits.
    """
    rows, n = a.shape
    flat = work[: rows * n]
    if code == SIGMOID or code == TANH:
        factor = -1.0 if code == SIGMOID else 2.0
        for r in range(rows):
            for j in range(n):
                flat[r * n + j] = factor * a[r, j]
        exp_inplace(flat, scratch)
        for i in range(rows * n):
            flat[i] += 1.0
        reciprocal_inplace(flat, scratch)
        for r in range(rows):
            for j in range(n):
                s = flat[r * n + j]
                h[r, j] = s if code == SIGMOID else 1.0 - 2.0 * s
    elif code == RELU:
        for r in range(rows):
            for j in range(n):
                h[r, j] = max(a[r, j], 0.0)
    elif code == SOFTMAX:
        for r in range(rows):
            top = a[r, 0]
            for j in range(1, n):
                top = max(top, a[r, j])
            for j in range(n):
                flat[r * n + j] = a[r, j] - top
        exp_inplace(flat, scratch)
        for r in range(rows):
            total = 0.0
            for j in range(n):
                total += flat[r * n + j]
            for j in range(n):
                h[r, j] = flat[r * n + j] / total
    else:
        for r in range(rows):
            for j in range(n):
                h[r, j] = a[r, j]


@register_jitable
def multiply_by_derivative(code, h, delta):
    """delta *= f'(a), with f' written in terms of the output h = f(a) (B x n blocks; h may
    have an extra column): sigmoid h (1 - h), tanh 1 - h**2, relu 1 where h > 0, identity 1."""
    rows, n = delta.shape
    if code == SIGMOID:
        for r in range(rows):
            for j in range(n):
                delta[r, j] *= h[r, j] * (1.0 - h[r, j])
    elif code == TANH:
        for r in range(rows):
            for j in range(n):
                delta[r, j] *= 1.0 - h[r, j] * h[r, j]
    elif code == RELU:
        for r in range(rows):
            for j in range(n):
                if h[r, j] <= 0.0:
                    delta[r, j] = 0.0


@register_jitable
def output_loss_and_error(code, a, y, t, delta):
    """The summed loss of the block and its error ``delta = dloss / da`` (B x K blocks; y
    already holds f(a)). Softmax with cross-entropy: loss -sum t log y, taken as
    sum t (logsumexp(a) - a) with logsumexp(a) = a_j - log y_j at the largest a_j, so that no
    log of an underflowed y is taken; delta = y - t.
    Otherwise half the squared error, delta = (y - t) f'(a)."""
    rows, n = a.shape
    loss = 0.0
    for r in range(rows):
        for j in range(n):
            delta[r, j] = y[r, j] - t[r, j]
    if code == SOFTMAX:
        for r in range(rows):
            top = 0  # the largest logit, whose probability is at least 1 / K: no underflow
            for j in range(1, n):
                if a[r, j] > a[r, top]:
                    top = j
            log_norm = a[r, top] - math.log(y[r, top])  # logsumexp(a[r])
            for j in range(n):
                loss += t[r, j] * (log_norm - a[r, j])
    else:
        for r in range(rows):
            for j in range(n):
                loss += 0.5 * delta[r, j] * delta[r, j]
        multiply_by_derivative(code, y, delta)
    return loss


@register_jitable
def product(a, b, out, accumulate, spare):
    """out = a @ b, or out += a @ b when ``accumulate`` (spare: a buffer of out's size)."""
    rows, inner = a.shape
    cols = b.shape[1]
    if inner > 1 and rows * inner * cols >= BLAS_MIN_FLOPS:
        if accumulate:
            result = spare[: rows * cols].reshape((rows, cols))
            np.dot(a, b, result)
            for r in range(rows):
                for j in range(cols):
                    out[r, j] += result[r, j]
        else:
            np.dot(a, b, out)
        return
    if not accumulate:
        for r in range(rows):
            for j in range(cols):
                out[r, j] = 0.0
    for r in range(rows):
        for p in range(inner):
            v = a[r, p]
            for j in range(cols):
                out[r, j] += v * b[p, j]


@register_jitable
def product_transposed(a, b, out):
    """out = a @ b.T, as dot products of rows when small."""
    rows, inner = a.shape
    cols = b.shape[0]
    if inner > 1 and rows * inner * cols >= BLAS_MIN_FLOPS:
        np.dot(a, b.T, out)
        return
    for r in range(rows):
        for j in range(cols):
            total = 0.0
            for p in range(inner):
                total += a[r, p] * b[j, p]
            out[r, j] = total


@register_jitable
def parameter_offsets(sizes, bias):
    """offsets[i]: where layer i's weights start in the flat vector; offsets[-1]: its length."""
    layers = sizes.shape[0] - 1
    offsets = np.zeros(layers + 1, np.int64)
    for layer in range(layers):
        offsets[layer + 1] = offsets[layer] + (sizes[layer] + (1 if bias else 0)) * sizes[layer + 1]
    return offsets


@register_jitable
def layer_matrix(vector, offsets, sizes, bias, layer):
    """A layer's (n_in [+ 1]) x n_out block of a flat vector (parameters or gradient)."""
    rows = sizes[layer] + (1 if bias else 0)
    return vector[offsets[layer] : offsets[layer + 1]].reshape((rows, sizes[layer + 1]))


@register_jitable
def workspace(sizes, trick, dtype_sample):
    """Block buffers: activations of every layer (with a ones column under the bias trick)
    and their start offsets; two error buffers and the pre-activations (as wide as the widest
    layer after the input); a spare for a product or the targets; the float64 work and int64
    scratch arrays of the SIMD exp."""
    layers = sizes.shape[0] - 1
    starts = np.zeros(layers + 2, np.int64)
    for layer in range(layers + 1):
        width = sizes[layer] + (1 if trick and layer < layers else 0)
        starts[layer + 1] = starts[layer] + BLOCK * width
    widest, largest = 1, 1
    for layer in range(layers):
        widest = max(widest, sizes[layer + 1])
        largest = max(largest, (sizes[layer] + 1) * sizes[layer + 1])
    dtype = dtype_sample.dtype
    activations = np.empty(starts[layers + 1], dtype)
    errors = np.empty((2, BLOCK * widest), dtype)
    pre = np.empty(BLOCK * widest, dtype)
    spare = np.empty(max(largest, BLOCK * sizes[layers]), dtype)
    work = np.empty(BLOCK * widest, np.float64)
    scratch = np.empty(BLOCK * widest, np.int64)
    return activations, starts, errors, pre, spare, work, scratch


@register_jitable
def block_activations(space, sizes, trick, layer, rows):
    """A layer's activations of a block of ``rows`` samples, as a rows x width view."""
    activations, starts = space[0], space[1]
    width = (starts[layer + 1] - starts[layer]) // BLOCK
    return activations[starts[layer] : starts[layer] + rows * width].reshape((rows, width))


@register_jitable
def forward_block(params, offsets, sizes, hidden, output, bias, trick, X, samples, space):
    """Forward pass of the samples X[samples] (at most BLOCK): every layer's activations."""
    layers = sizes.shape[0] - 1
    rows = samples.shape[0]
    pre, spare = space[3], space[4]
    h = block_activations(space, sizes, trick, 0, rows)
    for r in range(rows):
        for d in range(sizes[0]):
            h[r, d] = X[samples[r], d]
        if trick:
            h[r, sizes[0]] = 1.0
    for layer in range(layers):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        matrix = layer_matrix(params, offsets, sizes, bias, layer)
        a = pre[: rows * n_out].reshape((rows, n_out))
        if trick:  # the ones column meets the bias row inside the product
            product(h, matrix, a, False, spare)
        else:
            product(h, matrix[:n_in], a, False, spare)
            if bias:
                for r in range(rows):
                    for j in range(n_out):
                        a[r, j] += matrix[n_in, j]
        h = block_activations(space, sizes, trick, layer + 1, rows)
        activate(output if layer == layers - 1 else hidden, a, h, space[5], space[6])
        if trick and layer < layers - 1:
            for r in range(rows):
                h[r, n_out] = 1.0


@register_jitable
def backward_block(params, offsets, sizes, hidden, output, bias, trick, T, samples, space, grad,
                   first):  # fmt: skip
    """Add the block's loss gradient (summed over its samples) to ``grad``, or write it there
    when ``first``; return the block's summed loss."""
    layers = sizes.shape[0] - 1
    rows = samples.shape[0]
    errors, pre, spare = space[2], space[3], space[4]
    n_out = sizes[layers]
    targets = spare[: rows * n_out].reshape((rows, n_out))
    for r in range(rows):
        for k in range(n_out):
            targets[r, k] = T[samples[r], k]
    a = pre[: rows * n_out].reshape((rows, n_out))
    delta = errors[0, : rows * n_out].reshape((rows, n_out))
    y = block_activations(space, sizes, trick, layers, rows)
    loss = output_loss_and_error(output, a, y, targets, delta)
    for layer in range(layers - 1, -1, -1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        h = block_activations(space, sizes, trick, layer, rows)
        matrix = layer_matrix(params, offsets, sizes, bias, layer)
        step = layer_matrix(grad, offsets, sizes, bias, layer)
        if trick:  # weights and bias in one product: the bias row meets the ones column
            product(h.T, delta, step, not first, spare)
        else:
            product(h.T, delta, step[:n_in], not first, spare)
            if bias:
                for j in range(n_out if first else 0):
                    step[n_in, j] = 0.0
                for r in range(rows):
                    for j in range(n_out):
                        step[n_in, j] += delta[r, j]
        if layer > 0:
            below = errors[(layers - layer) % 2, : rows * n_in].reshape((rows, n_in))
            product_transposed(delta, matrix[:n_in], below)
            multiply_by_derivative(hidden, h, below)
            delta = below
    return loss


@register_jitable
def batch_gradient(params, offsets, sizes, hidden, output, bias, trick, X, T, samples, space,
                   grad):  # fmt: skip
    """grad = the loss gradient summed over X[samples]; returns the summed loss (callers
    divide: a mean over the batch)."""
    loss = 0.0
    for start in range(0, samples.shape[0], BLOCK):
        block = samples[start : start + BLOCK]
        forward_block(params, offsets, sizes, hidden, output, bias, trick, X, block, space)
        loss += backward_block(params, offsets, sizes, hidden, output, bias, trick, T, block,
                               space, grad, start == 0)  # fmt: skip
    return loss


@njit(cache=True, fastmath=FASTMATH)
def loss_gradient(params, sizes, hidden, output, bias, trick, X, T):
    """(mean loss, its gradient as a flat vector like ``params``) over all of X (N x D) and
    T (N x K)."""
    offsets = parameter_offsets(sizes, bias)
    space = workspace(sizes, trick, params)
    grad = np.empty_like(params)
    samples = np.arange(X.shape[0])
    loss = batch_gradient(params, offsets, sizes, hidden, output, bias, trick, X, T, samples,
                          space, grad)  # fmt: skip
    scale = 1.0 / X.shape[0]
    for i in range(grad.shape[0]):
        grad[i] *= scale
    return loss * scale, grad


@njit(cache=True, fastmath=FASTMATH)
def predict(params, sizes, hidden, output, bias, trick, X):
    """The network's outputs for X (N x D): N x K."""
    offsets = parameter_offsets(sizes, bias)
    space = workspace(sizes, trick, params)
    layers = sizes.shape[0] - 1
    out = np.empty((X.shape[0], sizes[layers]), params.dtype)
    for start in range(0, X.shape[0], BLOCK):
        block = np.arange(start, min(start + BLOCK, X.shape[0]))
        forward_block(params, offsets, sizes, hidden, output, bias, trick, X, block, space)
        y = block_activations(space, sizes, trick, layers, block.shape[0])
        for r in range(block.shape[0]):
            for k in range(sizes[layers]):
                out[start + r, k] = y[r, k]
    return out


@njit(cache=True, fastmath=FASTMATH)
def train_epoch(params, velocity, sizes, hidden, output, bias, trick, X, T, order, batch_size,
                learning_rate, momentum):  # fmt: skip
    """One epoch of (minibatch) gradient descent with momentum, in place on params and
    velocity: for each batch of ``batch_size`` samples taken in ``order``, the gradient g at
    the current parameters, then ``velocity = momentum * velocity - learning_rate * g`` and
    ``params += velocity``. Returns the mean over samples of each batch's loss before its
    update, or the first non-finite batch loss at once (that batch is not applied).
    """
    offsets = parameter_offsets(sizes, bias)
    space = workspace(sizes, trick, params)
    grad = np.empty_like(params)
    total = 0.0
    for start in range(0, order.shape[0], batch_size):
        samples = order[start : start + batch_size]
        loss = batch_gradient(params, offsets, sizes, hidden, output, bias, trick, X, T,
                              samples, space, grad)  # fmt: skip
        if not np.isfinite(loss):
            return loss
        total += loss
        rate = learning_rate / samples.shape[0]  # grad is a sum: this makes it a mean
        for i in range(params.shape[0]):
            velocity[i] = momentum * velocity[i] - rate * grad[i]
            params[i] += velocity[i]
    return total / order.shape[0]
