"""The general network: one epoch of SGD with momentum through ``fastbp.fit``, per network and
SGD mode, timed and as the cost of one step (one parameter update)."""

import functools

import numpy as np

from .common import SEED, SMOKE, Suite, median_call_seconds, require_fastbp

# Sigmoid hidden layers, softmax output (mean cross-entropy), biases, float64.
# 2-64-64-3: the three clouds (N=1500); 784-128-10: 10,000 standard normal 784-vectors with
# random one-hot targets (an MNIST-shaped problem; its values do not matter to the time).
NETWORKS: dict[str, tuple[int, ...]] = {
    "2-64-64-3": (2, 64, 64, 3),
    "784-128-10": (784, 128, 10),
}
SGD_MODES: dict[str, int | None] = {"full": None, "minibatch-32": 32, "per-sample": 1}
# The CI smoke run (FASTBP_ASV_SMOKE=1) runs the small network only.
NETWORK_NAMES = ["2-64-64-3"] if SMOKE else list(NETWORKS)
MODE_NAMES = list(SGD_MODES)
LEARNING_RATE, MOMENTUM = 0.01, 0.9


@functools.cache
def network_problem(name: str):
    """(network, X, T, initial params) of a named network, built once per process."""
    fb = require_fastbp()
    from fastbp.datasets import one_hot, three_clouds

    network = fb.Network(NETWORKS[name])
    if name == "2-64-64-3":
        X, labels = three_clouds(seed=0)
        T = one_hot(labels, 3)
    else:
        rng = np.random.default_rng(SEED + 100)
        X = rng.standard_normal((10_000, 784))
        T = one_hot(rng.integers(0, 10, len(X)), 10)
    return network, X, T, network.init_params(0)


def one_epoch(name: str, mode: str):
    """One epoch of ``fastbp.fit`` from the network's fixed start, as a user runs it
    (validation, the epoch's shuffle and the compiled epoch)."""
    network, X, T, params = network_problem(name)
    return require_fastbp().fit(
        network,
        X,
        T,
        learning_rate=LEARNING_RATE,
        momentum=MOMENTUM,
        epochs=1,
        batch_size=SGD_MODES[mode],
        params=params,
    )


def steps_per_epoch(name: str, mode: str) -> int:
    batch = SGD_MODES[mode]
    n = len(network_problem(name)[1])
    return 1 if batch is None else -(-n // batch)


def warm_network_kernels() -> None:
    """Compile the network's epoch kernel into Numba's on-disk cache on tiny data (the same
    float64 C-contiguous signature as the benchmarks use)."""
    fb = require_fastbp()
    network = fb.Network((3, 4, 3))
    X = np.linspace(-1.0, 1.0, 21).reshape(7, 3)
    T = np.eye(3)[np.arange(7) % 3]
    fb.fit(network, X, T, learning_rate=0.1, momentum=0.9, epochs=1, batch_size=2)


class NetworkSuite(Suite):
    """Suite with the network kernels, not the rungs, precompiled by ``setup_cache``."""

    def setup_cache(self):
        warm_network_kernels()

    setup_cache.timeout = 300  # one cold compile of train_epoch: about 11 s here


class TimeNetworkEpoch(NetworkSuite):
    """``fastbp.fit(..., epochs=1)`` per network and SGD mode: full batch (one update an
    epoch), minibatches of 32, per-sample SGD (one update per sample), with momentum and the
    default shuffle. An epoch of per-sample SGD at 784-128-10 is 10,000 updates, about 1 s."""

    params = [NETWORK_NAMES, MODE_NAMES]
    param_names = ["network", "mode"]
    repeat = (2, 10, 10.0)

    def time_epoch(self, network, mode):
        one_epoch(network, mode)


class TrackNetworkStep(NetworkSuite):
    """Microseconds per step (one parameter update: its batch's forward and backward pass
    and the momentum update) of the same epochs, lower is better: per-call overhead shows
    here at small batches."""

    params = [NETWORK_NAMES, MODE_NAMES]
    param_names = ["network", "mode"]
    timeout = 300.0

    def track_us_per_step(self, network, mode):
        seconds = median_call_seconds(lambda: one_epoch(network, mode))
        return seconds / steps_per_epoch(network, mode) * 1e6

    track_us_per_step.unit = "us/step"
