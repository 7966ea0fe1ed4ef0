"""Minibatch and per-sample training of the general network over streamed chunks: on the
workers that read them when a distributed client runs, the model passed from chunk to
chunk."""

from __future__ import annotations

from typing import Any

import distributed
import numpy as np

from .. import fitting
from ..network import Network
from .chunks import Chunks
from .tasks import in_task


def _train_on(
    pair: tuple[np.ndarray, np.ndarray],
    carried: tuple,
    network: Network,
    seed: int,
    options: dict[str, Any],
) -> tuple:
    """One epoch of ``fastbp.fit`` on a chunk, from the parameters and optimizer state in
    ``carried`` (params, state, loss so far): the new params, state and loss so far, the
    chunk's loss times its samples added."""
    X, T = pair
    params, state, total = carried
    part = fitting.fit(network, X, T, epochs=1, seed=seed, params=params, state=state, **options)
    return part.params, part.state, total + part.loss_curve[0] * len(X)


def stream(network: Network, chunks: Chunks, options: dict[str, Any]) -> fitting.FitResult:
    """Minibatch or per-sample training with the chunks streamed: each epoch visits them in
    a new order drawn from ``seed``, and each chunk is one epoch of ``fastbp.fit`` on it (its
    samples shuffled by a seed drawn likewise), continuing the parameters and the
    optimizer's state. With a distributed client the model goes to the data: each chunk is
    read on a worker and trained on there, the parameters and state (kilobytes) passed from
    task to task, the next chunk read meanwhile, at most two chunks held at a time; only the
    epoch's end comes back to the client. Without one, each chunk is read here in turn."""
    for name in ("tol", "monitor"):
        if options.get(name) is not None:
            raise ValueError(
                f"{name} is for in-memory data: streamed over dask chunks, fit runs its epochs"
            )
    epochs, seed = options.pop("epochs", 200), options.pop("seed", 0)
    callback = options.pop("callback", None)
    params, state = options.pop("params"), options.pop("state", None)
    client, parts = chunks.client, chunks.parts
    train_on = in_task(_train_on)

    def epoch_on_workers(order: np.ndarray, seeds: np.ndarray, carried: tuple) -> tuple:
        pending, step = client.compute(parts[order[0]]), carried
        for k in range(len(order)):
            following = client.compute(parts[order[k + 1]]) if k + 1 < len(order) else None
            step = client.submit(
                train_on, pending, step, network, int(seeds[k]), options, pure=False
            )
            distributed.wait(step)  # this chunk is let go of; the next is being read
            pending = following
        return step.result()

    def epoch_here(order: np.ndarray, seeds: np.ndarray, carried: tuple) -> tuple:
        for k, i in enumerate(order):
            carried = _train_on(parts[i].compute(), carried, network, int(seeds[k]), options)
        return carried

    run_epoch = epoch_here if client is None else epoch_on_workers
    rng = np.random.default_rng(seed)
    result = fitting.FitResult(network, params, stop_reason=f"ran all {epochs} epochs")
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(parts))
        seeds = rng.integers(0, 2**62, len(parts))
        params, state, total = run_epoch(order, seeds, (params, state, 0.0))
        result.loss_curve.append(total / chunks.n)
        result.params, result.state, result.params_epoch = params, state, epoch
        if callback is not None:
            callback(epoch, result.loss_curve[-1], params)
    return result
