"""The timing harness: candidates timed interleaved, round by round, in one process, so that
the machine's drift hits them alike; each round repeats a call until it lasts ``min_time``.
Also the floor every table is read against (``products_alone``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Pause before each round: BLAS, OpenMP (PyTorch) and JAX worker threads spin for a while
# after a call (measured here: 0.05 s is not enough, 0.2 s is), and would otherwise slow
# down whichever candidate runs next.
SETTLE = 0.25
# The candidate that makes a case's matrix products alone (``products_alone``): the tables
# give every time as a multiple of its time ("x floor").
FLOOR = "floor: products alone"


@dataclass
class Timing:
    name: str  # the candidate, e.g. "fused/compiled" or a peer's name
    seconds: list[float] = field(default_factory=list)  # per call, one value per round

    @property
    def median(self) -> float:
        return float(np.median(self.seconds))


def progress(message: str) -> None:
    """A progress line on stderr (the results go to stdout)."""
    print(f"  {message}", file=sys.stderr, flush=True)


def calibrate(call: Callable[[], object], min_time: float) -> int:
    """Calls per round so that a round lasts about min_time (after one warm-up call); one,
    without timing a call, when min_time is not positive (the three-clouds runs: a 1000-epoch
    run each)."""
    call()
    if min_time <= 0:
        return 1
    start = time.perf_counter()
    call()
    once = time.perf_counter() - start
    return max(1, int(min_time / max(once, 1e-9)))


def time_interleaved(
    calls: dict[str, Callable[[], object]],
    repeat: int,
    min_time: float,
    label: str,
    settle: float = SETTLE,
) -> list[Timing]:
    """Seconds per call of every candidate in ``repeat`` rounds, each round running every
    candidate once for about ``min_time`` after a pause of ``settle`` seconds."""
    numbers = {}
    for i, (name, call) in enumerate(calls.items(), 1):
        progress(f"{label}: warming up {name} ({i}/{len(calls)})")
        numbers[name] = calibrate(call, min_time)
    timings = {name: Timing(name) for name in calls}
    for r in range(repeat):
        progress(f"{label}: round {r + 1}/{repeat}")
        for name, call in calls.items():
            time.sleep(settle)
            start = time.perf_counter()
            for _ in range(numbers[name]):
                call()
            timings[name].seconds.append((time.perf_counter() - start) / numbers[name])
    return list(timings.values())


def add_peers(
    calls: dict[str, Callable[[], object]], makers: dict[str, Callable], *args, **options
) -> None:
    """Add each peer's call ``make(*args, **options)`` to ``calls``, noting on stderr the
    peers that are not installed."""
    for peer, make in makers.items():
        try:
            calls[peer] = make(*args, **options)
        except ImportError as error:
            print(f"note: {peer} skipped ({error})", file=sys.stderr)


def products_alone(layers: list[np.ndarray], X: np.ndarray, batch_size: int) -> Callable:
    """The matrix products of an epoch of minibatches in the given order, and nothing else,
    compiled (``kernels.floor``: the BLAS the kernels call, with no interpreter between the
    products), into buffers made once (X's dtype): per batch, each layer's ``H @ W``
    forward, then backward each layer's ``H.T @ E`` and, below the top, ``E @ W.T``. The
    floor (``FLOOR``) of a network epoch whose products run in BLAS, as ``train_epochs``'s
    do for wide layers, and with one batch of all samples of a classic gradient step (its
    five products); ``layers``: the weight matrices. The call returns the last batch's
    weight gradients."""
    from ..kernels.floor import epoch_products

    rows = min(batch_size, len(X))
    X = np.ascontiguousarray(X)
    weights = tuple(np.ascontiguousarray(W, X.dtype) for W in layers)
    outputs = tuple(np.empty((rows, W.shape[1]), X.dtype) for W in weights)
    # errors[0] is never written (nothing goes below the first layer): an empty buffer
    errors = tuple(np.empty((rows if i else 0, W.shape[0]), X.dtype) for i, W in enumerate(weights))
    gradients = tuple(np.empty(W.shape, X.dtype) for W in weights)

    def epoch() -> tuple[np.ndarray, ...]:
        epoch_products(weights, X, rows, outputs, errors, gradients)
        return gradients

    return epoch
