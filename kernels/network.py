"""The general network: any depth, a table of activations and one of losses, full-batch,
minibatch and per-sample training by SGD (momentum, Nesterov) or Adam, each epoch in one
compiled call (docs/math.md §6; the classic network is the depth-1 case).

Parameters live in one flat vector. Layer ``i`` maps ``sizes[i]`` inputs to ``sizes[i + 1]``
outputs; its weights are stored row-major, followed by its bias when there is one. So a
layer's weights and bias are, in memory, exactly the ``(n_in + 1) x n_out`` matrix of the
"bias trick", whose extra row multiplies a column of ones appended to the layer's input.

Samples go through in blocks of at most ``block_rows(sizes)`` rows: the buffers hold one
block per layer, never N rows. Products follow the BLAS rule of ``layers``; activations and
losses are the tables of ``activations``. Everything runs in the parameters' dtype but exp
(float64).

A network reaches the kernels as ``sizes`` (int64 array), the ``hidden`` and ``output``
activation codes, the ``loss`` code, ``bias`` and ``trick``; inside they travel together as
an ``Architecture``. A batch's loss L is the weighted mean of its samples' losses plus an L2
penalty on the weights, scaled as scikit-learn's MLPs scale it: (sum_i w_i loss_i +
alpha / 2 * |weights|**2) / sum_i w_i. Gradients are of L (descent).
"""

import math
from collections import namedtuple

import numpy as np
from numba.extending import register_jitable

from .activations import activate, loss_and_error, multiply_by_derivative
from .caching import cached_njit
from .common import BLOCK, FASTMATH
from .layers import add_column_sums, add_row, product, product_transposed

# offsets[i]: where layer i starts in the flat vector (``parameter_offsets``).
Architecture = namedtuple("Architecture", "sizes offsets hidden output loss bias trick")
# The optimizers of ``train_epochs`` (``take_step``); fastbp.fitting names them.
SGD, ADAM = range(2)
# An optimizer and its settings, passed whole: ``code`` (SGD or ADAM); SGD reads momentum
# and nesterov, Adam beta_1, beta_2 and epsilon.
Optimizer = namedtuple("Optimizer", "code momentum nesterov beta_1 beta_2 epsilon")
# The stopping rule on the training loss (``stale_count``): none when tol < 0; the count
# goes on from ``best`` and ``stale``.
StopRule = namedtuple("StopRule", "tol n_iter_no_change best stale")
# The block buffers (``workspace``) and the samples they hold, ``block``.
Workspace = namedtuple("Workspace", "activations starts errors pre spare weights work block")
# Blocks of WIDE_BLOCK samples instead of BLOCK for a network with a layer of WIDE_LAYER
# weights or more. Each product is then one BLAS call on four times the rows, and waking
# BLAS's threads costs a quarter as much. Measured here: 784-128-10 with 10000 samples,
# predict 27.0 -> 24.9 ms, loss_gradient 53.6 -> 50.5 ms. Narrower networks keep BLOCK:
# 128-128-10 predict 6.0 -> 7.1 ms and 20-50-10 loss_gradient 3.0 -> 3.5 ms with WIDE_BLOCK.
# The size depends on the widths alone, never on the threads, so neither do the sums.
WIDE_LAYER = 32768
WIDE_BLOCK = 1024


@register_jitable
def parameter_offsets(sizes, bias):
    """offsets[i]: where layer i's weights start in the flat vector; offsets[-1]: its length."""
    layers = sizes.shape[0] - 1
    offsets = np.zeros(layers + 1, np.int64)
    for layer in range(layers):
        offsets[layer + 1] = offsets[layer] + (sizes[layer] + (1 if bias else 0)) * sizes[layer + 1]
    return offsets


@register_jitable
def block_rows(sizes):
    """The samples in one block of a network of these widths: BLOCK, or WIDE_BLOCK when a
    layer has WIDE_LAYER weights or more."""
    for layer in range(len(sizes) - 1):
        if sizes[layer] * sizes[layer + 1] >= WIDE_LAYER:
            return WIDE_BLOCK
    return BLOCK


@register_jitable
def architecture(sizes, hidden, output, loss, bias, trick):
    """The kernels' arguments that describe a network, with its parameter offsets."""
    return Architecture(sizes, parameter_offsets(sizes, bias), hidden, output, loss, bias, trick)


@register_jitable(inline="always")
def layer_matrix(vector, arch, layer):
    """A layer's (n_in [+ 1]) x n_out block of a flat vector (parameters or gradient).

    Inlined, as ``block_activations`` is: a call's reference counting of its arguments and
    result cost more than the view (per-sample SGD of 2-64-64-3: 6.2 -> 5.5 µs a step); no
    branch inside, as an inlined branch trips Numba's scope check."""
    start, end, columns = arch.offsets[layer], arch.offsets[layer + 1], arch.sizes[layer + 1]
    return vector[start:end].reshape(((end - start) // columns, columns))


@register_jitable
def workspace(arch, dtype_sample):
    """Block buffers for blocks of ``block_rows`` samples: activations of every layer (with
    a ones column under the bias trick) and their starts; two error buffers and the
    pre-activations (as wide as the widest layer after the input); a spare for a product or
    the targets; the block's sample weights; the float64 work buffer of the activations'
    exp."""
    sizes, trick = arch.sizes, arch.trick
    layers = sizes.shape[0] - 1
    block = block_rows(sizes)
    starts = np.zeros(layers + 2, np.int64)
    for layer in range(layers + 1):
        width = sizes[layer] + (1 if trick and layer < layers else 0)
        starts[layer + 1] = starts[layer] + block * width
    widest, largest = 1, 1
    for layer in range(layers):
        widest = max(widest, sizes[layer + 1])
        largest = max(largest, (sizes[layer] + 1) * sizes[layer + 1])
    dtype = dtype_sample.dtype
    activations = np.empty(starts[layers + 1], dtype)
    errors = np.empty((2, block * widest), dtype)
    pre = np.empty(block * widest, dtype)
    spare = np.empty(max(largest, block * sizes[layers]), dtype)
    weights = np.ones(block, dtype)
    work = np.empty(block * widest, np.float64)
    return Workspace(activations, starts, errors, pre, spare, weights, work, block)


@register_jitable(inline="always")
def block_activations(space, layer, rows):
    """A layer's activations of a block of ``rows`` samples, as a rows x width view."""
    starts = space.starts
    width = (starts[layer + 1] - starts[layer]) // space.block
    return space.activations[starts[layer] : starts[layer] + rows * width].reshape((rows, width))


@register_jitable
def forward_block(params, arch, X, samples, space, in_place):
    """Forward pass of the samples X[samples] (at most ``space.block``): every layer's
    activations. The inputs are copied into ``space``, unless ``in_place`` (the samples are
    consecutive rows of X and there is no ones column): then the first layer reads X's rows
    where they are (predicting 10000 x 784-128-10 took 31 ms with the copy, about 22 ms of
    it the two products; measured)."""
    sizes, trick = arch.sizes, arch.trick
    layers = sizes.shape[0] - 1
    rows = samples.shape[0]
    if in_place:
        h = X[samples[0] : samples[0] + rows]
    else:
        h = block_activations(space, 0, rows)
        for r in range(rows):
            for d in range(sizes[0]):
                h[r, d] = X[samples[r], d]
            if trick:
                h[r, sizes[0]] = 1.0
    pre, spare, work = space.pre, space.spare, space.work
    for layer in range(layers):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        matrix = layer_matrix(params, arch, layer)
        a = pre[: rows * n_out].reshape((rows, n_out))
        # under the trick the ones column meets the bias row inside the product; one call
        # site, as each inlined copy of ``product`` costs compile time
        product(h, matrix if trick else matrix[:n_in], a, False, spare)
        if arch.bias and not trick:
            add_row(a, matrix[n_in])
        h = block_activations(space, layer + 1, rows)
        code = arch.output if layer == layers - 1 else arch.hidden
        activate(code, a, h, work)
        if trick and layer < layers - 1:
            for r in range(rows):
                h[r, n_out] = 1.0


@register_jitable
def backward_block(params, arch, X, T, sample_weight, samples, space, grad, first, in_place):
    """Add the block's loss gradient (summed over its samples, each weighted by
    ``sample_weight``; an empty array: weights 1) to ``grad``, or write it there when
    ``first``; return the block's weighted sum of losses. ``in_place`` as given to
    ``forward_block``."""
    sizes = arch.sizes
    layers = sizes.shape[0] - 1
    rows = samples.shape[0]
    n_out = sizes[layers]
    targets = space.spare[: rows * n_out].reshape((rows, n_out))
    for r in range(rows):
        for k in range(n_out):
            targets[r, k] = T[samples[r], k]
    w = space.weights[:rows]
    for r in range(rows if sample_weight.shape[0] else 0):
        w[r] = sample_weight[samples[r]]
    a = space.pre[: rows * n_out].reshape((rows, n_out))
    delta = space.errors[0, : rows * n_out].reshape((rows, n_out))
    y = block_activations(space, layers, rows)
    loss = loss_and_error(arch.loss, arch.output, a, y, targets, w, delta)
    errors, spare = space.errors, space.spare
    for layer in range(layers - 1, -1, -1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        if layer == 0 and in_place:
            h = X[samples[0] : samples[0] + rows]
        else:
            h = block_activations(space, layer, rows)
        step = layer_matrix(grad, arch, layer)
        # under the trick the weights and bias in one product: the bias row meets the ones
        # column (one call site, as in ``forward_block``)
        product(h.T, delta, step if arch.trick else step[:n_in], not first, spare)
        if arch.bias and not arch.trick:
            for j in range(n_out if first else 0):
                step[n_in, j] = 0.0
            add_column_sums(delta, step[n_in])
        if layer > 0:
            below = errors[(layers - layer) % 2, : rows * n_in].reshape((rows, n_in))
            product_transposed(delta, layer_matrix(params, arch, layer)[:n_in], below)
            multiply_by_derivative(arch.hidden, h, below)
            delta = below
    return loss


@register_jitable
def add_weight_penalty(params, arch, grad, alpha):
    """grad += alpha * W for every layer's weights W (not the biases); returns
    alpha / 2 * (sum of their squares)."""
    sizes, offsets = arch.sizes, arch.offsets
    squares = 0.0
    for layer in range(sizes.shape[0] - 1):
        # the weights are the layer's first sizes[layer] rows: one run of the flat vector
        start, end = offsets[layer], offsets[layer] + sizes[layer] * sizes[layer + 1]
        weights, step = params[start:end], grad[start:end]
        for i in range(end - start):
            squares += weights[i] * weights[i]
            step[i] += alpha * weights[i]
    return 0.5 * alpha * squares


@register_jitable
def weight_squares(params, penalties):
    """sum(penalties * params**2) (``take_step``'s sum, for the parameters before a step)."""
    squares = 0.0
    for i in range(penalties.shape[0]):
        squares += penalties[i] * (params[i] * params[i])
    return squares


@register_jitable
def weight_sum(sample_weight, samples):
    """sum_i w_i over the samples (w: ``sample_weight``, or 1 when it is empty)."""
    if not sample_weight.shape[0]:
        return float(samples.shape[0])
    total = 0.0
    for i in range(samples.shape[0]):
        total += sample_weight[samples[i]]
    return total


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def loss_gradient(params, sizes, hidden, output, loss, bias, trick, X, T, sample_weight, alpha):
    """(L, dL/dparams as a flat vector like ``params``) over all of X (N x D) and T (N x K):
    L = (sum_i w_i loss_i + alpha / 2 * |weights|**2) / sum_i w_i, with w the
    ``sample_weight`` (N; empty: all 1)."""
    arch = architecture(sizes, hidden, output, loss, bias, trick)
    space = workspace(arch, params)
    grad = np.empty_like(params)
    samples = np.arange(X.shape[0])
    total = 0.0
    for start in range(0, samples.shape[0], space.block):  # as in train_epochs (its docstring)
        block = samples[start : start + space.block]
        forward_block(params, arch, X, block, space, not trick)
        total += backward_block(params, arch, X, T, sample_weight, block, space, grad,
                                start == 0, not trick)  # fmt: skip
    if alpha != 0.0:
        total += add_weight_penalty(params, arch, grad, alpha)
    scale = 1.0 / weight_sum(sample_weight, samples)
    for i in range(grad.shape[0]):
        grad[i] *= scale
    return total * scale, grad


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def predict(params, sizes, hidden, output, loss, bias, trick, X):
    """The network's outputs for X (N x D): N x K."""
    arch = architecture(sizes, hidden, output, loss, bias, trick)
    space = workspace(arch, params)
    layers = sizes.shape[0] - 1
    out = np.empty((X.shape[0], sizes[layers]), params.dtype)
    for start in range(0, X.shape[0], space.block):
        block = np.arange(start, min(start + space.block, X.shape[0]))
        forward_block(params, arch, X, block, space, not trick)
        y = block_activations(space, layers, block.shape[0])
        for r in range(block.shape[0]):
            for k in range(sizes[layers]):
                out[start + r, k] = y[r, k]
    return out


@register_jitable
def weight_penalties(params, arch, alpha):
    """The L2 penalty's factor of each parameter: ``alpha`` for the weights, 0 for the
    biases (``take_step``); float64, as alpha. Allocated as ``workspace`` allocates its
    float64 buffer, whose compiled allocation it shares."""
    sizes, offsets = arch.sizes, arch.offsets
    penalties = np.empty(params.shape[0], np.float64)
    for layer in range(sizes.shape[0] - 1):
        weights_end = offsets[layer] + sizes[layer] * sizes[layer + 1]
        for i in range(offsets[layer], offsets[layer + 1]):
            penalties[i] = alpha if i < weights_end else 0.0
    return penalties


@register_jitable
def take_step(params, grad, scale, moments, steps, optimizer, learning_rate, penalties):
    """One update of ``params`` by the ``Optimizer`` from the gradient g = scale * (grad +
    penalties * params), in place on its state: ``moments`` (2 x P) and ``steps`` (the count
    of Adam's updates). ``penalties``: the L2 penalty's factors (``weight_penalties``), or
    empty when there is no penalty. Returns sum(penalties * params**2) over the updated
    parameters (twice the next batch's penalty), taken in the same pass, so that the penalty
    costs no pass of its own (Adam with alpha 1e-4 on 2-64-64-3, per sample: 9.2-9.6 ->
    7.2-7.9 µs a step; measured). The update is written out in each of the four loops, each
    over the whole vector from index 0: LLVM left them scalar with a branch on the penalty
    or a call of a helper inside, or with a run starting at a computed index (measured).

    SGD: v = momentum * v - rate * g, then params += v, or with ``nesterov`` params +=
    momentum * v - rate * g. Adam: t += 1, m = beta_1 m + (1 - beta_1) g, s = beta_2 s +
    (1 - beta_2) g**2, params -= rate * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m /
    (sqrt(s) + epsilon).
    """
    first, second = moments[0], moments[1]
    momentum, nesterov = optimizer.momentum, optimizer.nesterov
    beta_1, beta_2, epsilon = optimizer.beta_1, optimizer.beta_2, optimizer.epsilon
    penalised = penalties.shape[0] > 0
    squares = 0.0
    if optimizer.code == ADAM:
        steps[0] += 1
        t = steps[0]
        rate = learning_rate * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
        # each value in a local: the arrays may alias, for all LLVM knows
        for i in range(params.shape[0] if penalised else 0):
            grad[i] += penalties[i] * params[i]
            g = scale * grad[i]
            m = beta_1 * first[i] + (1.0 - beta_1) * g
            s = beta_2 * second[i] + (1.0 - beta_2) * (g * g)
            first[i], second[i] = m, s
            params[i] -= rate * m / (math.sqrt(s) + epsilon)
            squares += penalties[i] * (params[i] * params[i])
        for i in range(0 if penalised else params.shape[0]):
            g = scale * grad[i]
            m = beta_1 * first[i] + (1.0 - beta_1) * g
            s = beta_2 * second[i] + (1.0 - beta_2) * (g * g)
            first[i], second[i] = m, s
            params[i] -= rate * m / (math.sqrt(s) + epsilon)
    else:
        for i in range(params.shape[0] if penalised else 0):
            grad[i] += penalties[i] * params[i]
            g = scale * grad[i]
            v = momentum * first[i] - learning_rate * g
            first[i] = v
            params[i] += momentum * v - learning_rate * g if nesterov else v
            squares += penalties[i] * (params[i] * params[i])
        for i in range(0 if penalised else params.shape[0]):
            g = scale * grad[i]
            v = momentum * first[i] - learning_rate * g
            first[i] = v
            params[i] += momentum * v - learning_rate * g if nesterov else v
    return squares


@register_jitable
def stale_count(monitored, best, stale, tol):
    """The stopping rule's count after an epoch whose monitored loss is ``monitored``: 0 if
    it is below ``best - tol``, else ``stale + 1``."""
    return 0 if monitored < best - tol else stale + 1


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def train_epochs(params, moments, steps, sizes, hidden, output, loss, bias, trick, X, T,
                 sample_weight, orders, batch_size, optimizer, learning_rates, alpha, stop,
                 before, losses):  # fmt: skip
    """Up to E = len(losses) epochs of minibatch training in one call, in place on params
    and the optimizer state. Epoch e visits the samples in orders[e % len(orders)] at
    learning_rates[e]: for each batch of ``batch_size`` samples in that order, the gradient
    g of the batch's L (``loss_gradient``'s, over the batch) at the current parameters, then
    one step of ``take_step`` (a batch whose weights are all 0 is skipped). losses[e]
    receives the epoch's loss, the sum over batches of L times the batch's sample count over
    the number of samples (scikit-learn's), or the first non-finite batch L (that batch is
    not applied); ``before`` receives the parameters the epoch starts from.

    Stops after an epoch whose loss or parameters are not finite (``before`` then holds the
    last finite ones) and after the epoch on which the ``StopRule`` ``stop`` fires. Returns
    the epochs run, that last one included.

    The loops over epochs, batches and blocks are written here, as in ``loss_gradient``,
    not in functions of their own: Numba links every function's callees into it and LLVM
    optimises the whole again, so each level of calls above ``forward_block`` and
    ``backward_block`` costs about 1.8 s more to compile (measured: 15.7 -> 12.9 s for the
    first fit of scikit-learn's default MLP on Iris, from an empty cache).
    """
    tol, n_iter_no_change, best, stale = stop
    arch = architecture(sizes, hidden, output, loss, bias, trick)
    space = workspace(arch, params)
    grad = np.empty_like(params)
    # the penalty's factors (none when alpha is 0) and sum(factors * params**2) (then from
    # each ``take_step``)
    penalties = weight_penalties(params, arch, alpha) if alpha != 0.0 else np.empty(0, np.float64)
    squares = weight_squares(params, penalties)
    for e in range(losses.shape[0]):
        for i in range(params.shape[0]):  # loops and math.isfinite: compiles 2 s faster than
            before[i] = params[i]  # a slice assignment and np.isfinite (measured)
        order, learning_rate = orders[e % orders.shape[0]], learning_rates[e]
        total, value = 0.0, 0.0  # value: 0 until a batch's L is not finite
        for start in range(0, order.shape[0], batch_size):
            samples = order[start : start + batch_size]
            batch = 0.0
            for first in range(0, samples.shape[0], space.block):
                block = samples[first : first + space.block]
                # consecutive rows (full batch, or batches in order) are read where they are
                in_place = not trick and block[-1] - block[0] == block.shape[0] - 1
                for i in range(1, block.shape[0] if in_place else 0):
                    in_place = in_place and block[i] == block[0] + i
                forward_block(params, arch, X, block, space, in_place)
                batch += backward_block(params, arch, X, T, sample_weight, block, space, grad,
                                        first == 0, in_place)  # fmt: skip
            if alpha != 0.0:  # its term in the gradient is added by ``take_step``
                batch += 0.5 * squares
            total_weight = weight_sum(sample_weight, samples)
            if total_weight == 0.0:  # every weight 0: nothing to learn from this batch
                continue
            batch /= total_weight
            if not math.isfinite(batch):
                value = batch
                break
            total += batch * samples.shape[0]
            squares = take_step(params, grad, 1.0 / total_weight, moments, steps, optimizer,
                                learning_rate, penalties)  # fmt: skip
        if math.isfinite(value):
            value = total / order.shape[0]
        losses[e] = value
        if not math.isfinite(value):
            return e + 1
        for i in range(params.shape[0]):
            if not math.isfinite(params[i]):
                return e + 1
        if tol >= 0.0:
            stale = stale_count(value, best, stale, tol)
            best = min(best, value)
            if stale >= n_iter_no_change:
                return e + 1
    return losses.shape[0]
