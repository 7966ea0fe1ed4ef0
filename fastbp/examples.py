"""The sister tutorials of docs/math.md §6.2 as runnable examples of the general network:
``python -m fastbp example NAME`` (the classic three-clouds run of ``fastbp.train`` is
``python -m fastbp train``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .datasets import iris, one_hot, three_clouds
from .fitting import fit
from .network import Network


def standardised_iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris with every feature shifted and scaled to mean 0 and standard deviation 1."""
    X, y = iris()
    return (X - X.mean(axis=0)) / X.std(axis=0), y


@dataclass(frozen=True)
class Example:
    """A tutorial: its data (X, integer labels), network and ``fastbp.fit`` settings."""

    summary: str
    data: Callable[[], tuple[np.ndarray, np.ndarray]]
    network: Network
    settings: dict = field(default_factory=dict)  # learning_rate, epochs and the rest
    report_every: int = 1


EXAMPLES: dict[str, Example] = {
    "iris": Example(
        "the Iris tutorial: 4-2-3, sigmoid hidden and output, squared error, no biases, "
        "full-batch gradient descent (features standardised)",
        standardised_iris,
        Network((4, 2, 3), hidden="sigmoid", output="sigmoid", bias=False),
        {"learning_rate": 0.1, "epochs": 20_000, "init": "normal"},
        report_every=2000,
    ),
    "deep": Example(
        "a deeper network on the three clouds: 2-16-16-3, tanh, softmax, minibatches of 32 "
        "with momentum 0.9, stopping on a 20% held-out split",
        three_clouds,
        Network((2, 16, 16, 3), hidden="tanh"),
        {
            "learning_rate": 0.05,
            "epochs": 300,
            "batch_size": 32,
            "momentum": 0.9,
            "tol": 1e-4,
            "validation_fraction": 0.2,
        },
    ),
    "sgd": Example(
        "per-sample SGD with the bias trick on Iris: 4-8-3, sigmoid, softmax, samples "
        "shuffled every epoch, momentum (alpha) 0.5, stopping when the loss stalls",
        standardised_iris,
        Network((4, 8, 3), hidden="sigmoid", bias_trick=True),
        {"learning_rate": 0.01, "epochs": 500, "batch_size": 1, "momentum": 0.5, "tol": 1e-4},
        report_every=10,
    ),
}


def run(
    name: str,
    *,
    epochs: int | None = None,
    learning_rate: float | None = None,
    seed: int = 0,
    report_every: int | None = None,
    dtype: type = np.float64,
) -> float:
    """Train example ``name``, printing the loss and accuracy (and, for squared-error
    outputs, the tutorial's MSE ``sum((Y - T)**2) / (N K)``) every ``report_every`` epochs
    and why training stopped. Returns the final accuracy on all of the example's data."""
    example = EXAMPLES[name]
    X, labels = example.data()
    X = X.astype(dtype)
    T = one_hot(labels, int(labels.max()) + 1, X.dtype)
    network = example.network
    settings = dict(example.settings)
    scheme = settings.pop("init", "glorot")
    settings["epochs"] = settings["epochs"] if epochs is None else epochs
    if learning_rate is not None:
        settings["learning_rate"] = learning_rate
    every = example.report_every if report_every is None else report_every
    params = network.init_params(seed, X.dtype, scheme)

    def report(epoch: int, params: np.ndarray, label: str = "epoch") -> float:
        loss, _ = network.loss_gradient(params, X, T)
        Y = network.predict(params, X)
        accuracy = float(np.mean(Y.argmax(axis=1) == labels))
        mse = f"   mse {np.sum((Y - T) ** 2) / T.size:.6f}" if network.output != "softmax" else ""
        print(f"{label} {epoch:6d}   loss {loss:.6f}{mse}   accuracy {accuracy:.4f}")
        return accuracy

    def on_epoch(epoch: int, loss: float, params: np.ndarray) -> None:
        if epoch % every == 0:
            report(epoch, params)

    print(f"{name}: {example.summary}")
    print(f"N={len(X)}, sizes {network.sizes}, {X.dtype}, seed {seed}, {settings}")
    report(0, params)
    start = time.perf_counter()
    result = fit(network, X, T, seed=seed, params=params, callback=on_epoch, **settings)
    elapsed = time.perf_counter() - start
    accuracy = report(result.params_epoch, result.params, "final")
    print(f"stopped after {result.epochs} epochs: {result.stop_reason}")
    print(f"final accuracy {accuracy:.4f} ({elapsed:.2f} s including compilation)")
    return accuracy
