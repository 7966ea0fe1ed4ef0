"""The general network's two tables, activations and losses (docs/math.md §6.1).

Each table is a tuple of entries for Python (``fastbp.network`` reads them: names, where an
entry may be used); a kernel receives an entry's position, its code (``ACTIVATION_CODES``,
``LOSS_CODES``, by name), and branches on it:
``activate`` (f) and ``multiply_by_derivative`` (f', in terms of the output z = f(a)) for an
activation, ``loss_and_error`` (the loss and dloss/da) for a loss. A new activation is an
entry, its code and its branch in those two functions; a new loss an entry, its code, its
function (the loss and its error, like ``cross_entropy``) and its branch in
``loss_and_error``; each also needs its formulas in the tests' reference table
(tests/network_reference.py).

Blocks are B x n (samples x units) in the parameters' dtype; exp runs in float64, into a
float64 ``work`` buffer of B * n, in loops over the whole block that LLVM vectorises
(``scalarmath.sigmoid``, ``fastmath.exp_inplace``) however narrow the layer. exp over- and
underflows to inf and 0, which these forms turn into the right limits.
"""

import math
from collections import namedtuple

from numba.extending import register_jitable

from .fastmath import exp_inplace
from .scalarmath import sigmoid

# hidden: hidden layers may use it; loss: an output layer's loss when none is named (None:
# it cannot be the output activation).
Activation = namedtuple("Activation", "name hidden loss")
ACTIVATIONS = (
    Activation("identity", hidden=True, loss="squared_error"),
    Activation("sigmoid", hidden=True, loss="squared_error"),
    Activation("tanh", hidden=True, loss=None),
    Activation("relu", hidden=True, loss=None),
    Activation("softmax", hidden=False, loss="cross_entropy"),
    Activation("exp", hidden=False, loss="poisson"),
)
# An entry's code is its position; the kernels' names for the codes are read by name.
ACTIVATION_CODES = {entry.name: code for code, entry in enumerate(ACTIVATIONS)}
IDENTITY, SIGMOID = ACTIVATION_CODES["identity"], ACTIVATION_CODES["sigmoid"]
TANH, RELU = ACTIVATION_CODES["tanh"], ACTIVATION_CODES["relu"]
SOFTMAX, EXP = ACTIVATION_CODES["softmax"], ACTIVATION_CODES["exp"]

# title: as ``Network.loss_name`` says it; outputs: the output activations it is defined for.
Loss = namedtuple("Loss", "name title outputs")
LOSSES = (
    Loss("cross_entropy", "cross-entropy", outputs=("softmax", "sigmoid")),
    Loss("squared_error", "squared error", outputs=("identity", "sigmoid", "softmax")),
    Loss("poisson", "half Poisson deviance", outputs=("exp",)),
)
LOSS_CODES = {entry.name: code for code, entry in enumerate(LOSSES)}
CROSS_ENTROPY, POISSON = LOSS_CODES["cross_entropy"], LOSS_CODES["poisson"]
SQUARED_ERROR = LOSS_CODES["squared_error"]


@register_jitable
def softmax(a, h, work):
    """h[r] = exp(a[r] - max a[r]) / sum(exp(a[r] - max a[r])) for each row r of the B x n
    block ``a`` (h may be a)."""
    rows, n = a.shape
    flat = work[: rows * n]
    for r in range(rows):
        top = a[r, 0]
        for j in range(1, n):
            top = max(top, a[r, j])
        for j in range(n):
            flat[r * n + j] = a[r, j] - top
    exp_inplace(flat)
    for r in range(rows):
        total = 0.0
        for j in range(n):
            total += flat[r * n + j]
        for j in range(n):
            h[r, j] = flat[r * n + j] / total


@register_jitable
def activate(code, a, h, work):
    """h[:, :n] = f(a) for the n columns of the B x n block ``a`` (C-contiguous): identity a;
    sigmoid 1 / (1 + exp(-a)); tanh 1 - 2 / (exp(2a) + 1); relu max(a, 0); softmax row by
    row; exp."""
    rows, n = a.shape
    if code == SIGMOID or code == TANH:
        # one pass over the flat block, then into h (which may have an extra column): the
        # loop is as long as the block however narrow the layer (2-64-64-3, batch 32: 31.6
        # -> 29.3 µs a step against exp_inplace and reciprocal_inplace in four passes)
        flat, values = work[: rows * n], a.reshape(rows * n)
        if code == SIGMOID:
            for i in range(rows * n):
                flat[i] = sigmoid(values[i])
        else:
            for i in range(rows * n):
                flat[i] = 1.0 - 2.0 * sigmoid(-2.0 * values[i])
        for r in range(rows):
            for j in range(n):
                h[r, j] = flat[r * n + j]
    elif code == RELU:
        for r in range(rows):
            for j in range(n):
                h[r, j] = max(a[r, j], 0.0)
    elif code == SOFTMAX:
        softmax(a, h, work)
    elif code == EXP:
        flat = work[: rows * n]
        for r in range(rows):
            for j in range(n):
                flat[r * n + j] = a[r, j]
        exp_inplace(flat)
        for r in range(rows):
            for j in range(n):
                h[r, j] = flat[r * n + j]
    else:
        for r in range(rows):
            for j in range(n):
                h[r, j] = a[r, j]


@register_jitable
def multiply_by_derivative(code, h, delta):
    """delta = J^T delta for the Jacobian J of f at a, written in terms of the output h = f(a)
    (B x n blocks; h may have an extra column): elementwise f' for sigmoid h (1 - h), tanh
    1 - h**2, relu 1 where h > 0, identity 1; softmax h * (delta - sum(delta * h)) by row."""
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
    elif code == SOFTMAX:
        for r in range(rows):
            along = 0.0
            for j in range(n):
                along += delta[r, j] * h[r, j]
            for j in range(n):
                delta[r, j] = h[r, j] * (delta[r, j] - along)


@register_jitable
def cross_entropy(output, a, y, t, w, delta):
    """The block's cross-entropy summed over samples with weights ``w`` (B), and
    ``delta = w (y - t)`` (its dloss / da).

    softmax: -sum t log y, taken as sum t (logsumexp(a) - a) with logsumexp(a) = a_j - log y_j
    at the largest a_j, so that no log of an underflowed y is taken (rows of t sum to 1).
    sigmoid: -sum t log y + (1 - t) log(1 - y) = sum softplus(a) - t a, with
    softplus(a) = max(a, 0) + log1p(exp(-|a|)).
    """
    rows, n = a.shape
    total = 0.0
    if output == SOFTMAX:
        for r in range(rows):
            top = 0  # the largest logit, whose probability is at least 1 / K: no underflow
            for j in range(1, n):
                if a[r, j] > a[r, top]:
                    top = j
            log_norm = a[r, top] - math.log(y[r, top])  # logsumexp(a[r])
            row = 0.0
            for j in range(n):
                row += t[r, j] * (log_norm - a[r, j])
            total += w[r] * row
    else:
        for r in range(rows):
            row = 0.0
            for j in range(n):
                v = a[r, j]
                row += max(v, 0.0) - t[r, j] * v + math.log1p(math.exp(-abs(v)))
            total += w[r] * row
    for r in range(rows):
        for j in range(n):
            delta[r, j] = w[r] * (y[r, j] - t[r, j])
    return total


@register_jitable
def squared_error(output, y, t, w, delta):
    """The block's sum (y - t)**2 / 2 summed over samples with weights ``w`` (B), and its
    error ``delta = w J^T (y - t)``."""
    rows, n = y.shape
    total = 0.0
    for r in range(rows):
        row = 0.0
        for j in range(n):
            d = y[r, j] - t[r, j]
            row += 0.5 * d * d
            delta[r, j] = w[r] * d
        total += w[r] * row
    multiply_by_derivative(output, y, delta)
    return total


@register_jitable
def poisson(a, y, t, w, delta):
    """The block's half Poisson deviance t log(t / y) - t + y (y = exp(a); t log t is 0 at
    t = 0) summed over samples with weights ``w`` (B), and ``delta = w (y - t)``."""
    rows, n = y.shape
    total = 0.0
    for r in range(rows):
        row = 0.0
        for j in range(n):
            target = t[r, j]
            row += y[r, j] - target * (a[r, j] + 1.0)
            if target > 0.0:
                row += target * math.log(target)
            delta[r, j] = w[r] * (y[r, j] - target)
        total += w[r] * row
    return total


@register_jitable
def loss_and_error(loss, output, a, y, t, w, delta):
    """The block's loss summed over samples with weights ``w`` (B), and its error
    ``delta = dloss / da`` (B x K blocks, y = f(a) of the output activation f; delta may be
    a, not y)."""
    if loss == CROSS_ENTROPY:
        return cross_entropy(output, a, y, t, w, delta)
    if loss == POISSON:
        return poisson(a, y, t, w, delta)
    return squared_error(output, y, t, w, delta)
