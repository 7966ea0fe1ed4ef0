"""Other libraries' gradient steps and training epochs, for the study command's comparison
(optional extras).

Each ``*_step(X, T, W1, b1, W2, b2)`` returns a no-argument callable that computes the four
gradients of sum(T * log softmax(sigmoid(X W1 + b1) W2 + b2)) and returns them as NumPy
arrays (dW1, db1, dW2, db2), or raises ImportError when the library is not installed.

Each ``*_sgd_epoch(network, params, X, T, ...)`` (``EPOCH_PEERS``) returns a no-argument
callable that runs one epoch of the general network's minibatch SGD with momentum, from the
same start every call, as ``fastbp.fit(network, X, T, epochs=1, params=params,
shuffle=False, ...)`` does, and returns the parameters in fastbp's flat layout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np


def torch_step(X, T, W1, b1, W2, b2, device: str = "cpu") -> Callable[[], tuple[np.ndarray, ...]]:
    """PyTorch autograd on the CPU (or on ``device``, where X, T and the parameters are
    copied once; the gradients come back each step)."""
    import torch

    tX, tT = torch.from_numpy(X).to(device), torch.from_numpy(T).to(device)
    params = [torch.from_numpy(p.copy()).to(device).requires_grad_() for p in (W1, b1, W2, b2)]

    def step():
        for p in params:
            p.grad = None
        Z = torch.sigmoid(tX @ params[0] + params[1])
        log_y = torch.log_softmax(Z @ params[2] + params[3], dim=1)
        (tT * log_y).sum().backward()
        return tuple(p.grad.cpu().numpy() for p in params)

    return step


def torch_cuda_step(X, T, W1, b1, W2, b2) -> Callable[[], tuple[np.ndarray, ...]]:
    """PyTorch autograd on a CUDA GPU (``torch_step`` there); ImportError when torch finds
    none, so that the study leaves it out."""
    import torch

    if not torch.cuda.is_available():
        raise ImportError("torch finds no CUDA GPU")
    return torch_step(X, T, W1, b1, W2, b2, device="cuda")


def jax_step(X, T, W1, b1, W2, b2) -> Callable[[], tuple[np.ndarray, ...]]:
    """JAX ``jit(grad)`` on the CPU (float64 enabled when the inputs are float64)."""
    import jax
    import jax.numpy as jnp

    if X.dtype == np.float64:
        jax.config.update("jax_enable_x64", True)

    def log_likelihood(params, X, T):
        W1, b1, W2, b2 = params
        Z = jax.nn.sigmoid(X @ W1 + b1)
        return jnp.sum(T * jax.nn.log_softmax(Z @ W2 + b2, axis=1))

    gradient = jax.jit(jax.grad(log_likelihood))
    params = tuple(jnp.asarray(p) for p in (W1, b1, W2, b2))
    jX, jT = jnp.asarray(X), jnp.asarray(T)

    def step():
        return tuple(np.asarray(g) for g in jax.block_until_ready(gradient(params, jX, jT)))

    return step


def torch_sgd_epoch(
    network,
    params: np.ndarray,
    X: np.ndarray,
    T: np.ndarray,
    *,
    batch_size: int | None = None,
    learning_rate: float,
    momentum: float = 0.0,
) -> Callable[[], np.ndarray]:
    """PyTorch on the CPU, written as a PyTorch user would: ``nn.Sequential`` of ``nn.Linear``
    layers (with biases when the network has them) and the network's hidden activation,
    ``torch.optim.SGD(lr, momentum)``, and per batch forward, loss, ``zero_grad``,
    ``backward``, ``step``. Batches are consecutive slices of the samples in their given
    order (no shuffling); None is full batch. The loss is fastbp's, a mean over the batch:
    ``nn.CrossEntropyLoss`` on the logits for softmax with cross-entropy (class indices when
    T is one-hot, else T as probabilities), ``nn.BCEWithLogitsLoss`` for sigmoid with
    cross-entropy, half the summed squared error of the output activation otherwise.

    Each call resets the parameters to ``params`` and the momentum buffers to empty (as a
    new optimiser starts), runs one epoch in the dtype of ``params``, and returns the
    trained parameters as a flat vector in fastbp's layout. torch's momentum SGD
    (``buf = momentum * buf + g``, ``p -= lr * buf``) is fastbp's
    (``v = momentum * v - lr * g``, ``p += v``) with ``v = -lr * buf``.
    """
    import torch
    from torch import nn

    # fastbp's activations by name (a new one must be added here too: KeyError, not a guess).
    modules = {"identity": nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
    modules["softmax"] = functools.partial(nn.Softmax, dim=1)
    dtype = torch.float64 if params.dtype == np.float64 else torch.float32
    layers: list[nn.Module] = []
    linears = []
    for i, (n_in, n_out) in enumerate(zip(network.sizes[:-1], network.sizes[1:])):
        linear = nn.Linear(n_in, n_out, bias=network.bias, dtype=dtype)
        linears.append(linear)
        layers.append(linear)
        if i < len(network.sizes) - 2:
            layers.append(modules[network.hidden]())
    cross_entropy = network.loss == "cross_entropy"  # on the logits: no output layer
    if not cross_entropy:
        layers.append(modules[network.output]())
    model = nn.Sequential(*layers)
    start = [
        (torch.tensor(W.T), None if b is None else torch.tensor(b))
        for W, b in network.unpack(np.asarray(params))
    ]

    tX = torch.from_numpy(np.ascontiguousarray(X, params.dtype))
    T = np.ascontiguousarray(T, params.dtype)
    targets = torch.from_numpy(T)
    if cross_entropy and network.output == "softmax":
        one_hot = bool(((T == 0) | (T == 1)).all() and (T.sum(axis=1) == 1).all())
        targets = torch.from_numpy(T.argmax(axis=1)) if one_hot else targets
        loss_fn: Callable = nn.CrossEntropyLoss()
    elif cross_entropy:  # sigmoid outputs: the log-loss summed over outputs, mean over samples
        binary = nn.BCEWithLogitsLoss(reduction="sum")

        def loss_fn(a, t):
            return binary(a, t) / len(t)

    else:
        squared = nn.MSELoss(reduction="sum")

        def loss_fn(y, t):
            return 0.5 * squared(y, t) / len(t)

    n = len(tX)
    size = n if batch_size is None else batch_size
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)

    def epoch() -> np.ndarray:
        with torch.no_grad():
            for linear, (W, b) in zip(linears, start):
                linear.weight.copy_(W)
                if b is not None:
                    linear.bias.copy_(b)
        optimizer.state.clear()  # momentum buffers start empty, as in a new optimiser
        for first in range(0, n, size):
            inputs, wanted = tX[first : first + size], targets[first : first + size]
            loss = loss_fn(model(inputs), wanted)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            parts = []
            for linear in linears:
                parts.append(linear.weight.T.reshape(-1))
                if linear.bias is not None:
                    parts.append(linear.bias)
            return torch.cat(parts).numpy()

    return epoch


PEERS: dict[str, Callable] = {
    "pytorch": torch_step,
    "pytorch-cuda": torch_cuda_step,
    "jax": jax_step,
}
EPOCH_PEERS: dict[str, Callable] = {"pytorch": torch_sgd_epoch}
# Peers whose threads no limit reaches once they run: JAX sizes its CPU thread pool when its
# backend starts (XLA's flags), not through threadpoolctl. The threads sweep leaves them out
# (at "1 thread" JAX took 134.8 ms for the mnist-like step whose products alone take 199.4 ms
# on one thread: it ran on both cores).
UNLIMITED_PEERS = frozenset({"jax"})
