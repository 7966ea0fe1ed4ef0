"""The network study: one epoch of SGD with momentum of the general network
(``cases.NETWORK_CASES``) through ``fastbp.fit``, the bare compiled epoch it calls, and with
peers the same epoch written in PyTorch; and the network kernels' compile times.

Samples go in their given order (``shuffle=False``: the same batches for every candidate),
and every timed call trains one epoch from the same start.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from ..peers import EPOCH_PEERS
from .cases import LEARNING_RATE, MOMENTUM, NETWORK_CASES, network_problem
from .probe import NETWORK_CALLS, first_calls
from .timing import FLOOR, SETTLE, Timing, add_peers, products_alone, progress, time_interleaved

FIT, KERNEL = "fastbp.fit", "train_epochs (kernel)"


def candidates(case: str, peers: bool) -> dict[str, Callable[[], object]]:
    """One epoch each: ``fastbp.fit(epochs=1)`` (validation, copies and the Python loop
    included), the compiled epoch alone (what fit calls once an epoch, with BLAS's threads
    as fit sets them), its products alone (``FLOOR``, BLAS's threads likewise) and the
    peers."""
    from ..fitting import fit
    from ..kernels import network as kernels

    batch_size = NETWORK_CASES[case].batch_size
    network, X, T, start = network_problem(NETWORK_CASES[case].network)
    options = dict(learning_rate=LEARNING_RATE, momentum=MOMENTUM, batch_size=batch_size)
    out: dict[str, Callable[[], object]] = {
        FIT: lambda: fit(network, X, T, epochs=1, shuffle=False, params=start, **options)
    }
    params, moments, steps = start.copy(), np.zeros((2, len(start))), np.zeros(1, np.int64)
    orders, batch = np.arange(len(X))[None, :], batch_size or len(X)
    rates, before, losses = np.array([LEARNING_RATE]), np.empty_like(start), np.empty(1)
    sgd = kernels.Optimizer(kernels.SGD, MOMENTUM, False, 0.9, 0.999, 1e-8)  # as fit's
    no_stop = kernels.StopRule(-1.0, np.inf, np.inf, 0)  # tol < 0: best and stale not read
    args = (*network._kernel_args(), X, T, np.empty(0), orders, batch, sgd, rates, 0.0, no_stop)

    def kernel_epoch() -> int:
        params[:], moments[:] = start, 0.0  # the same start as fit's: copies of params
        with network._blas_threads(batch):  # BLAS's threads as fit sets them
            return kernels.train_epochs(params, moments, steps, *args, before, losses)

    out[KERNEL] = kernel_epoch
    products = products_alone([W for W, _ in network.unpack(start)], X, batch)

    def floor_epoch() -> tuple[np.ndarray, ...]:
        with network._blas_threads(batch):  # the same threads as the kernel's products
            return products()

    out[FLOOR] = floor_epoch
    if peers:
        add_peers(out, EPOCH_PEERS, network, start, X, T, **options)
    return out


def epoch_times(
    case: str, repeat: int, min_time: float, peers: bool, settle: float = SETTLE
) -> list[Timing]:
    """Seconds per epoch of every candidate of a case of ``cases.NETWORK_CASES``."""
    return time_interleaved(candidates(case, peers), repeat, min_time, case, settle)


def speedup(timings: list[Timing]) -> tuple[float, float] | None:
    """fastbp.fit against PyTorch per epoch: the ratio of the medians and of the fastest
    rounds (the least disturbed by the rest of the machine); None without PyTorch."""
    seconds = {t.name: t.seconds for t in timings}
    if "pytorch" not in seconds:
        return None
    median = float(np.median(seconds["pytorch"]) / np.median(seconds[FIT]))
    return median, min(seconds["pytorch"]) / min(seconds[FIT])


def compile_times(cache_dir: str) -> dict[str, dict[str, float]]:
    """``import fastbp`` and the first call of each of ``probe.NETWORK_CALLS`` in new
    processes, with an empty Numba cache in a folder of ``cache_dir`` ("cold"), then warm."""
    progress("compile: network kernels")
    runs = {}
    for state in ("cold", "warm"):
        imported, calls = first_calls("network", cache_dir=os.path.join(cache_dir, "network"))
        runs[state] = [imported, *calls]
    out = {}
    for column, name in enumerate(("import fastbp", *NETWORK_CALLS)):
        out[name] = {f"first_call_{state}": values[column] for state, values in runs.items()}
    return out
