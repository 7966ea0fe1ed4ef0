"""Other libraries' gradient steps, for the study command's comparison (optional extras).

Each ``*_step(X, T, W1, b1, W2, b2)`` returns a no-argument callable that computes the four
gradients of sum(T * log softmax(sigmoid(X W1 + b1) W2 + b2)) and returns them as NumPy
arrays (dW1, db1, dW2, db2), or raises ImportError when the library is not installed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def torch_step(X, T, W1, b1, W2, b2) -> Callable[[], tuple[np.ndarray, ...]]:
    """PyTorch autograd on the CPU."""
    import torch

    tX, tT = torch.from_numpy(X), torch.from_numpy(T)
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in (W1, b1, W2, b2)]

    def step():
        for p in params:
            p.grad = None
        Z = torch.sigmoid(tX @ params[0] + params[1])
        log_y = torch.log_softmax(Z @ params[2] + params[3], dim=1)
        (tT * log_y).sum().backward()
        return tuple(p.grad.numpy() for p in params)

    return step


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


PEERS: dict[str, Callable] = {"pytorch": torch_step, "jax": jax_step}
