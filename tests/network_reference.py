"""An independent float64 NumPy reference for the general network (docs/math.md §6.1).

Written from the documented contract only: the flat parameter layout (per layer, the
n_in x n_out weights row-major, then the n_out bias when there is one), the activations, the
losses (summed over outputs and averaged over samples; by default cross-entropy for a softmax
output, half the squared error otherwise) and textbook backpropagation. It shares no code with
the kernels: it uses np.tanh for the sigmoid, a log-sum-exp softmax, np.logaddexp for the
log-sigmoid and derivatives taken from the pre-activations rather than from the outputs.

``ACTIVATIONS`` and ``LOSSES`` are its two tables; the tests run every entry of fastbp's
tables against them, so a new activation or loss needs its entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class Spec:
    """The architecture, as plain values (so the reference never calls the code under test);
    loss None is the documented default."""

    sizes: tuple[int, ...]
    hidden: str = "sigmoid"
    output: str = "softmax"
    bias: bool = True
    loss: str | None = None

    def __post_init__(self) -> None:
        if self.loss is None:
            default = "cross_entropy" if self.output == "softmax" else "squared_error"
            object.__setattr__(self, "loss", default)


def spec_of(network) -> Spec:
    return Spec(tuple(network.sizes), network.hidden, network.output, network.bias, network.loss)


def n_params(spec: Spec) -> int:
    return sum((n_in + spec.bias) * n_out for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:]))


def layers(spec: Spec, params) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer (W, b) as float64 copies; b is zeros when the network has no bias."""
    params = np.asarray(params, dtype=np.float64)
    assert params.shape == (n_params(spec),)
    out, start = [], 0
    for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:]):
        W = params[start : start + n_in * n_out].reshape(n_in, n_out).copy()
        start += n_in * n_out
        b = np.zeros(n_out)
        if spec.bias:
            b = params[start : start + n_out].copy()
            start += n_out
        out.append((W, b))
    return out


def flatten(spec: Spec, grads: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    parts = []
    for dW, db in grads:
        parts.append(dW.reshape(-1))
        if spec.bias:
            parts.append(db)
    return np.concatenate(parts)


def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # no overflow for any finite a


def log_softmax(A):
    top = A.max(axis=1, keepdims=True)
    return A - (top + np.log(np.exp(A - top).sum(axis=1, keepdims=True)))


def softmax_backward(A, G):
    """G J^T for softmax's Jacobian J = diag(y) - y y^T, row by row."""
    Y = np.exp(log_softmax(A))
    return Y * (G - (G * Y).sum(axis=1, keepdims=True))


class Activation(NamedTuple):
    """f(A), and backward(A, G): the loss's gradient at A given its gradient G at f(A)."""

    forward: Callable
    backward: Callable


ACTIVATIONS = {
    "identity": Activation(lambda A: A.copy(), lambda A, G: G.copy()),
    "sigmoid": Activation(sigmoid, lambda A, G: G * (sigmoid(A) * (1.0 - sigmoid(A)))),
    "tanh": Activation(np.tanh, lambda A, G: G * (1.0 - np.tanh(A) ** 2)),
    "relu": Activation(lambda A: np.where(A > 0, A, 0.0), lambda A, G: G * (A > 0)),
    "softmax": Activation(lambda A: np.exp(log_softmax(A)), softmax_backward),
    "exp": Activation(np.exp, lambda A, G: G * np.exp(A)),
}


def cross_entropy(output, A, Y, T):
    """-sum T log Y: of the class distribution for softmax; for sigmoid, of each output's
    two outcomes, -sum T log Y + (1 - T) log(1 - Y), with log Y = -log(1 + exp(-A))."""
    if output == "softmax":
        return -np.sum(T * log_softmax(A))
    return np.sum(T * np.logaddexp(0.0, -A) + (1.0 - T) * np.logaddexp(0.0, A))


class Loss(NamedTuple):
    """value(output, A, Y, T): the loss summed over samples; error(...): its gradient at the
    output pre-activations A (Y = f(A))."""

    value: Callable
    error: Callable


LOSSES = {
    "cross_entropy": Loss(cross_entropy, lambda output, A, Y, T: Y - T),
    "squared_error": Loss(
        lambda output, A, Y, T: np.sum((Y - T) ** 2) / 2,
        lambda output, A, Y, T: ACTIVATIONS[output].backward(A, Y - T),
    ),
    # Half the Poisson deviance T log(T / Y) - T + Y, with log Y = A (T log T = 0 at T = 0).
    "poisson": Loss(
        lambda output, A, Y, T: np.sum(T * np.log(np.where(T > 0, T, 1.0)) - T * A - T + Y),
        lambda output, A, Y, T: Y - T,
    ),
}


def forward(spec: Spec, params, X):
    """(inputs of every layer [X, H1, ..., Y], pre-activations [A1, ..., AL]) in float64."""
    H = [np.asarray(X, dtype=np.float64)]
    pre = []
    weights = layers(spec, params)
    for i, (W, b) in enumerate(weights):
        A = H[-1] @ W + b
        pre.append(A)
        name = spec.output if i == len(weights) - 1 else spec.hidden
        H.append(ACTIVATIONS[name].forward(A))
    return H, pre


def predict(spec: Spec, params, X):
    return forward(spec, params, X)[0][-1]


def loss_from(spec: Spec, A_out, Y, T):
    T = np.asarray(T, dtype=np.float64)
    return float(LOSSES[spec.loss].value(spec.output, A_out, Y, T) / T.shape[0])


def loss(spec: Spec, params, X, T) -> float:
    H, pre = forward(spec, params, X)
    return loss_from(spec, pre[-1], H[-1], T)


def loss_gradient(spec: Spec, params, X, T) -> tuple[float, np.ndarray]:
    """(mean loss, flat gradient for descent) by textbook backpropagation."""
    H, pre = forward(spec, params, X)
    T = np.asarray(T, dtype=np.float64)
    N = T.shape[0]
    Y = H[-1]
    delta = LOSSES[spec.loss].error(spec.output, pre[-1], Y, T) / N
    weights = layers(spec, params)
    grads = [None] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        grads[i] = (H[i].T @ delta, delta.sum(axis=0))
        if i > 0:
            delta = ACTIVATIONS[spec.hidden].backward(pre[i - 1], delta @ weights[i][0].T)
    return loss_from(spec, pre[-1], Y, T), flatten(spec, grads)


def finite_differences(spec: Spec, params, X, T, step: float = 1e-6) -> np.ndarray:
    """Central differences of the float64 reference loss. Fails (AssertionError) if a step
    moves any relu pre-activation across its kink at 0, where the derivative is undefined."""
    params = np.asarray(params, dtype=np.float64)
    signs = [np.sign(A) for A in forward(spec, params, X)[1][:-1]]
    numeric = np.empty_like(params)
    for i in range(params.size):
        values = []
        for direction in (1.0, -1.0):
            moved = params.copy()
            moved[i] += direction * step
            H, pre = forward(spec, moved, X)
            if spec.hidden == "relu":
                assert all(np.array_equal(np.sign(A), s) for A, s in zip(pre[:-1], signs)), (
                    "the finite-difference step crosses a relu kink: pick other test data"
                )
            values.append(loss_from(spec, pre[-1], H[-1], T))
        numeric[i] = (values[0] - values[1]) / (2 * step)
    return numeric


def targets(output: str, N: int, K: int, rng) -> np.ndarray:
    """Targets suited to the output: one-hot for softmax, in [0, 1] for sigmoid, counts for
    exp, any real for identity."""
    if output == "exp":
        return rng.poisson(1.5, (N, K)).astype(np.float64)
    if output == "softmax":
        return np.eye(K)[rng.integers(0, K, N)]
    if output == "sigmoid":
        return rng.uniform(0.0, 1.0, (N, K))
    return rng.standard_normal((N, K))


def weight_mask(spec: Spec) -> np.ndarray:
    """1.0 at the flat vector's weights, 0.0 at its biases (what the L2 penalty covers)."""
    mask = layers(spec, np.ones(n_params(spec)))
    return flatten(spec, [(W, 0.0 * b) for W, b in mask])


def sgd(spec: Spec, params, X, T, *, learning_rate, momentum, batch_size, orders,
        nesterov=False, alpha=0.0, rates=None, adam=None):  # fmt: skip
    """Minibatch gradient descent, one epoch per entry of ``orders`` (the sample order of that
    epoch), at ``learning_rate`` or ``rates[e]`` in epoch e. Each batch's loss is its mean
    loss plus alpha / 2 |weights|**2 / (its samples), with gradient g; then, for SGD, v =
    momentum v - lr g and params += v (Nesterov: params += momentum v - lr g); for Adam
    (``adam`` = (beta_1, beta_2, epsilon)), t += 1, m = beta_1 m + (1 - beta_1) g, s =
    beta_2 s + (1 - beta_2) g**2, params -= lr sqrt(1 - beta_2**t) / (1 - beta_1**t) m /
    (sqrt(s) + epsilon). Returns the final parameters and, per epoch, the sample-weighted
    mean of the batch losses before each update."""
    params = np.asarray(params, dtype=np.float64).copy()
    X, T = np.asarray(X, dtype=np.float64), np.asarray(T, dtype=np.float64)
    mask = weight_mask(spec)
    first, second, t = np.zeros_like(params), np.zeros_like(params), 0
    curve = []
    for epoch, order in enumerate(orders):
        rate = learning_rate if rates is None else rates[epoch]
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            value, grad = loss_gradient(spec, params, X[batch], T[batch])
            value += alpha / 2 * np.sum((mask * params) ** 2) / len(batch)
            grad = grad + alpha * mask * params / len(batch)
            total += value * len(batch)
            if adam is not None:
                beta_1, beta_2, epsilon = adam
                t += 1
                first = beta_1 * first + (1 - beta_1) * grad
                second = beta_2 * second + (1 - beta_2) * grad**2
                step = rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
                params = params - step * first / (np.sqrt(second) + epsilon)
            else:
                first = momentum * first - rate * grad
                params = params + (momentum * first - rate * grad if nesterov else first)
        curve.append(total / len(order))
    return params, curve


def problem(network, N, seed, dtype=np.float64):
    """Random inputs, targets suited to the output, and parameters (not from init_params),
    all rounded to ``dtype``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, network.sizes[0]))
    T = targets(network.output, N, network.sizes[-1], rng)
    params = rng.uniform(-1.0, 1.0, n_params(spec_of(network)))
    return X.astype(dtype), T.astype(dtype), params.astype(dtype)
