"""Minibatch and per-sample training of the general network over chunks streamed through
the client."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import fitting
from ..network import Network
from .chunks import Chunks


def stream(network: Network, chunks: Chunks, options: dict[str, Any]) -> fitting.FitResult:
    """Minibatch or per-sample training with the chunks streamed through the client: each
    epoch visits them in a new order drawn from ``seed``, and each chunk is one epoch of
    ``fastbp.fit`` on it (its samples shuffled by a seed drawn likewise), continuing the
    parameters and the optimizer's state. The client holds the chunk it trains on and,
    with a distributed client, the next one, being read meanwhile."""
    for name in ("tol", "monitor"):
        if options.get(name) is not None:
            raise ValueError(
                f"{name} is for in-memory data: streamed over dask chunks, fit runs its epochs"
            )
    epochs, seed = options.pop("epochs", 200), options.pop("seed", 0)
    callback = options.pop("callback", None)
    params, state = options.pop("params"), options.pop("state", None)
    client, parts = chunks.client, chunks.parts

    def fetch(i: int) -> Any:
        return client.compute(parts[i]) if client is not None else parts[i]

    def get(pending: Any) -> tuple[np.ndarray, np.ndarray]:
        return pending.result() if client is not None else pending.compute()

    rng = np.random.default_rng(seed)
    result = fitting.FitResult(network, params, stop_reason=f"ran all {epochs} epochs")
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(parts))
        seeds = rng.integers(0, 2**62, len(parts))
        pending, total = fetch(order[0]), 0.0
        for k in range(len(order)):
            X, T = get(pending)
            pending = fetch(order[k + 1]) if k + 1 < len(order) else None
            part = fitting.fit(
                network, X, T, epochs=1, seed=int(seeds[k]), params=params, state=state, **options
            )
            params, state = part.params, part.state
            total += part.loss_curve[0] * len(X)
        result.loss_curve.append(total / chunks.n)
        result.params, result.state, result.params_epoch = params, state, epoch
        if callback is not None:
            callback(epoch, result.loss_curve[-1], params)
    return result
