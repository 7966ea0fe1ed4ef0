"""The benchmark cases, shared by ``python -m fastbp study`` and the asv suites
(``asv_benchmarks/``): problem sizes and their fixed-seed data, which (size, rung, mode)
combinations are too slow to time, and the general network's cases.

The asv suites load this file by path from their own checkout, whatever fastbp version is
installed, so that every commit is measured on the same cases: it imports only fastbp's
public API, by absolute names.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import fastbp
from fastbp import api

if TYPE_CHECKING:
    from fastbp.network import Network

SEED = 20261122  # every data set and weight draw is fixed by this and the case's name


# --- the classic one-hidden-layer network ----------------------------------------------------


class Size(NamedTuple):
    N: int
    D: int
    M: int
    K: int


SIZES: dict[str, Size] = {
    "seed": Size(1500, 2, 3, 3),  # the three clouds (docs/math.md §5)
    "small-wide": Size(1500, 20, 50, 10),
    "mnist-like": Size(10_000, 784, 256, 10),
    "tall": Size(1_000_000, 2, 3, 3),
}


class Problem(NamedTuple):
    """Inputs of every public function at one size, float64 and C-contiguous. Z and Y are
    the forward pass at these weights (computed with NumPy, independent of the kernels), so
    that a derivative can be timed alone; None when built with ``forward=False``."""

    X: np.ndarray
    T: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    Z: np.ndarray | None
    Y: np.ndarray | None

    @property
    def params(self) -> tuple[np.ndarray, ...]:
        return self.W1, self.b1, self.W2, self.b2


def make_problem(N: int, D: int, M: int, K: int, seed: int = SEED, forward: bool = True) -> Problem:
    """Standard normal inputs, random one-hot targets, weights scaled by 1/sqrt(fan-in) (so
    that activations stay in sigmoid's working range rather than saturating)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    T = np.zeros((N, K))
    T[np.arange(N), rng.integers(0, K, N)] = 1.0
    W1 = rng.standard_normal((D, M)) / np.sqrt(D)
    b1 = rng.standard_normal(M)
    W2 = rng.standard_normal((M, K)) / np.sqrt(M)
    b2 = rng.standard_normal(K)
    if not forward:
        return Problem(X, T, W1, b1, W2, b2, None, None)
    Z = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
    A = Z @ W2 + b2
    E = np.exp(A - A.max(axis=1, keepdims=True))
    return Problem(X, T, W1, b1, W2, b2, Z, E / E.sum(axis=1, keepdims=True))


def problem(size: str, forward: bool = True) -> Problem:
    """The fixed data of a named size (seed: SEED plus the size's place in SIZES)."""
    return make_problem(*SIZES[size], seed=SEED + list(SIZES).index(size), forward=forward)


def public_calls(p: Problem, **options: object) -> dict[str, Callable[[], object]]:
    """Every public function of the classic API bound to ``p`` and ``options`` (``rung``,
    ``compiled``): ``gradients`` first, then ``forward`` and the four derivatives."""
    return {
        "gradients": lambda: api.gradients(p.X, p.T, *p.params, **options),
        "forward": lambda: api.forward(p.X, *p.params, **options),
        "derivative_w1": lambda: api.derivative_w1(p.X, p.Z, p.T, p.Y, p.W2, **options),
        "derivative_b1": lambda: api.derivative_b1(p.T, p.Y, p.W2, p.Z, **options),
        "derivative_w2": lambda: api.derivative_w2(p.Z, p.T, p.Y, **options),
        "derivative_b2": lambda: api.derivative_b2(p.T, p.Y, **options),
    }


# The cost of a public call: at this size a step's arithmetic is negligible and the kernel
# takes a few microseconds of fixed cost, so what ``fastbp.gradients`` adds to it
# (validation, choosing the rung and the kernel, the result's tuple) shows.
CALL_OVERHEAD = Size(8, 2, 3, 3)


@functools.cache
def call_overhead_problem() -> Problem:
    """The fixed data at ``CALL_OVERHEAD`` (seed SEED + 200), float64 and C-contiguous: what
    the kernels take, so that the bare kernel can be called with the same arrays."""
    return make_problem(*CALL_OVERHEAD, seed=SEED + 200, forward=False)


def call_overhead_calls(into: bool) -> dict[str, Callable[[], object]]:
    """The two calls whose difference is the public call's overhead, on
    ``call_overhead_problem``'s arrays: ``fastbp.gradients`` with the default rung and that
    rung's bare gradients (for a one-pass rung, its ``gradients_into`` kernel given four new
    arrays), or with ``into`` the same writing into ``out=`` buffers (made once) and the
    rung's ``gradients_into`` kernel. The kernel comes from
    ``fastbp.registry.kernel_for``, the API's own lookup, imported here so that the other
    cases still load with a fastbp that predates it."""
    from fastbp.registry import kernel_for

    p = call_overhead_problem()
    args = (p.X, p.T, *p.params)
    rung, widths = fastbp.choose_rung(*CALL_OVERHEAD), CALL_OVERHEAD[1:]
    if not into:
        bare = kernel_for(rung, "gradients", True, *widths)
        return {
            "fastbp.gradients": lambda: api.gradients(*args),
            "bare kernel": lambda: bare(*args),
        }
    out = tuple(np.empty_like(a) for a in p.params)
    bare_into = kernel_for(rung, "gradients_into", True, *widths)
    return {
        "fastbp.gradients(out=)": lambda: api.gradients(*args, out=out),
        "bare kernel (into out)": lambda: bare_into(*args, *out),
    }


# What is too slow to time. Plain scalar loops in the interpreter (loops, fused, parallel,
# blas and any new rung) cost seconds a call above the seed size; rows and outer loop over
# samples in Python with NumPy inside, so they stop below mnist-like and tall; matrix plain
# (the classic code's whole-batch NumPy products) runs at every size. Compiled loops at
# mnist-like are 2e10 multiply-adds, about 90 s a step.
PLAIN_WORK_LIMIT = 30_000  # on N * (D*M + M*K), for rungs not in PLAIN_WORK_LIMITS
PLAIN_WORK_LIMITS: dict[str, float] = {"matrix": math.inf, "rows": 5e6, "outer": 5e6}
LOOPS_WORK_LIMIT = 10**9  # on N * D * M * K, compiled loops


def runs(shape: tuple[int, int, int, int], rung: str, compiled: bool) -> bool:
    """Whether a gradient step of ``rung`` at ``shape`` is timed (False: too slow, a rung
    with no kernels for these widths, such as ``narrow`` beyond its limit, one that cannot
    run here, such as ``cuda`` without a GPU, or plain for a rung without a plain twin)."""
    N, D, M, K = shape
    found = fastbp.RUNGS[rung]
    plain_twin = getattr(found, "plain_twin", True)  # before rung cuda: every rung has one
    if not found.supports(D, M, K) or not runs_here(rung) or not (compiled or plain_twin):
        return False
    if compiled:
        return rung != "loops" or N * D * M * K <= LOOPS_WORK_LIMIT
    return N * (D * M + M * K) <= PLAIN_WORK_LIMITS.get(rung, PLAIN_WORK_LIMIT)


def unavailable(rung: str) -> str | None:
    """Why ``rung`` cannot run on this machine (``Rung.unavailable``), or None. The asv
    suites run these cases against earlier commits too, whose rungs cannot say: every rung
    of those runs anywhere."""
    found = fastbp.RUNGS[rung]
    return found.unavailable() if hasattr(found, "unavailable") else None


def runs_here(rung: str) -> bool:
    """Whether ``rung`` can run on this machine (``unavailable``); the reason it cannot is
    noted on stderr once."""
    reason = unavailable(rung)
    if reason is not None and rung not in _NOTED:
        _NOTED.add(rung)
        print(f"note: rung {rung} skipped ({reason})", file=sys.stderr)
    return reason is None


_NOTED: set[str] = set()


def runs_training(rung: str, compiled: bool) -> bool:
    """The 1000-epoch three-clouds run: compiled for every rung that runs here, plain only
    for rungs whose plain form runs at every size (1000 plain steps of the others take 10 s
    to minutes)."""
    if compiled:
        return runs_here(rung)
    return all(runs(shape, rung, False) for shape in SIZES.values())


# --- the general network: SGD with momentum --------------------------------------------------


class Net(NamedTuple):
    sizes: tuple[int, ...]
    data: str  # a key of NETWORK_DATA


# Sigmoid hidden layers, softmax output with mean cross-entropy, biases, float64, Glorot
# weights from seed 0, this learning rate and momentum.
NETWORKS: dict[str, Net] = {
    "2-64-64-3": Net((2, 64, 64, 3), "clouds"),
    "784-128-10": Net((784, 128, 10), "random"),
}
NETWORK_DATA: dict[str, str] = {
    "clouds": "the 1500 three-clouds points",
    "random": "10000 random samples",  # MNIST-shaped; the values do not matter to the time
}
LEARNING_RATE, MOMENTUM = 0.01, 0.9


@functools.cache
def network_problem(name: str) -> tuple[Network, np.ndarray, np.ndarray, np.ndarray]:
    """(network, X, T, initial params) of a network of NETWORKS, built once per process: the
    three clouds (docs/math.md §5) with one-hot targets, or 10,000 standard normal
    784-vectors with random one-hot targets over 10 classes (seed SEED + 100)."""
    from fastbp.datasets import one_hot, three_clouds
    from fastbp.network import Network

    sizes, data = NETWORKS[name]
    if data == "clouds":
        X, labels = three_clouds(seed=0)
        T = one_hot(labels, 3)
    else:
        rng = np.random.default_rng(SEED + 100)
        X = rng.standard_normal((10_000, 784))
        T = one_hot(rng.integers(0, 10, len(X)), 10)
    network = Network(sizes)
    return network, X, T, network.init_params(0)


def steps_per_epoch(n: int, batch_size: int | None) -> int:
    """Parameter updates in an epoch of ``n`` samples (batch size None: full batch)."""
    return 1 if batch_size is None else -(-n // batch_size)


@dataclass(frozen=True)
class NetworkCase:
    """A case of the network study: one epoch of a network of NETWORKS in batches."""

    network: str  # a key of NETWORKS
    batch_size: int | None  # None: full batch
    target: float | None  # the speedup per epoch over PyTorch asked for, if any

    def steps(self, n: int) -> int:
        return steps_per_epoch(n, self.batch_size)

    def describe(self, n: int) -> str:
        batch = "full batch" if self.batch_size is None else f"batch {self.batch_size}"
        if self.batch_size == 1:
            batch += " (per-sample SGD)"
        target = f"; target {self.target:g}x PyTorch" if self.target else ""
        steps = f"{self.steps(n)} step{'s' if self.steps(n) > 1 else ''} an epoch"
        data = NETWORK_DATA[NETWORKS[self.network].data]
        return f"{self.network} on {data}, {batch}, {steps}{target}"


NETWORK_CASES: dict[str, NetworkCase] = {
    "clouds-b32": NetworkCase("2-64-64-3", 32, 10.0),
    "clouds-b1": NetworkCase("2-64-64-3", 1, 60.0),  # issue 13 (50x before)
    "clouds-full": NetworkCase("2-64-64-3", None, None),
    "mnist-b32": NetworkCase("784-128-10", 32, 1.5),
    "mnist-b256": NetworkCase("784-128-10", 256, 1.2),
}


# --- the estimators against scikit-learn's (python -m fastbp study --estimators) -------------

ESTIMATOR_EPOCHS = 10  # each fit runs exactly this many epochs (L-BFGS: iterations)


@dataclass(frozen=True)
class EstimatorCase:
    """A case of the estimator study: MLPClassifier with relu hidden layers on a network's
    data (ESTIMATOR_DATA), ``solver`` with ``batch_size``, scikit-learn's defaults otherwise
    but a rate of 0.01 and, for SGD, classical momentum 0.9 (no Nesterov)."""

    sizes: tuple[int, ...]
    data: str  # a key of ESTIMATOR_DATA
    solver: str
    batch_size: int | str
    target: float  # fit's speedup over scikit-learn asked for

    def settings(self) -> dict[str, object]:
        return dict(
            hidden_layer_sizes=self.sizes[1:-1], solver=self.solver, batch_size=self.batch_size,
            learning_rate_init=0.01, nesterovs_momentum=False, max_iter=ESTIMATOR_EPOCHS,
            n_iter_no_change=math.inf, random_state=0,
        )  # fmt: skip


ESTIMATOR_DATA: dict[str, str] = {
    "clouds": "the 1500 three-clouds points",
    "iris": "the 150 Iris flowers",
    "random": "10000 random 784-vectors, 10 classes",
}
ESTIMATOR_CASES: dict[str, EstimatorCase] = {
    "clouds-b32-sgd": EstimatorCase((2, 64, 64, 3), "clouds", "sgd", 32, 10.0),
    "clouds-b32-adam": EstimatorCase((2, 64, 64, 3), "clouds", "adam", 32, 10.0),
    "clouds-b64-adam": EstimatorCase((2, 64, 64, 3), "clouds", "adam", 64, 10.0),
    "clouds-lbfgs": EstimatorCase((2, 64, 64, 3), "clouds", "lbfgs", "auto", 10.0),
    "iris-b1-sgd": EstimatorCase((4, 16, 3), "iris", "sgd", 1, 50.0),
    "mnist-b256-sgd": EstimatorCase((784, 128, 10), "random", "sgd", 256, 1.5),
    "mnist-b256-adam": EstimatorCase((784, 128, 10), "random", "adam", 256, 1.5),
}
PREDICT_TARGET = 3.0  # predict's speedup over scikit-learn asked for, at every case


@functools.cache
def estimator_problem(data: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, labels) of ESTIMATOR_DATA, built once per process."""
    from fastbp.datasets import iris, three_clouds

    if data == "clouds":
        return three_clouds(seed=0)
    if data == "iris":
        return iris()
    rng = np.random.default_rng(SEED + 100)
    return rng.standard_normal((10_000, 784)), rng.integers(0, 10, 10_000)


class AccuracyProblem(NamedTuple):
    """A held-out comparison: an estimator's name, its data (X, y), extra settings."""

    estimator: str
    data: Callable[[], tuple[np.ndarray, np.ndarray]]
    settings: dict


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16, y


def _moons() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    return make_moons(600, noise=0.25, random_state=0)


def _friedman1() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_friedman1

    return make_friedman1(800, noise=1.0, random_state=0)


# Held-out scores (a 70/30 split, mean over ACCURACY_SEEDS) of fastbp's estimators and
# scikit-learn's, the same settings, for every solver; the tests ask for at most 0.02 less.
ACCURACY_PROBLEMS: dict[str, AccuracyProblem] = {
    "digits": AccuracyProblem("MLPClassifier", _digits, {}),
    "moons": AccuracyProblem("MLPClassifier", _moons, {}),
    "friedman1": AccuracyProblem("MLPRegressor", _friedman1, {"learning_rate_init": 0.01}),
}
ACCURACY_SOLVERS = ("adam", "sgd", "lbfgs")
ACCURACY_SEEDS = (0, 1, 2)


def accuracy_settings(problem: str, solver: str) -> dict[str, object]:
    """The estimator settings of a held-out comparison (L-BFGS has no learning rate)."""
    settings = {"hidden_layer_sizes": (32,), "solver": solver, "max_iter": 200}
    if solver != "lbfgs":
        settings.update(ACCURACY_PROBLEMS[problem].settings)
    return settings


# --- beyond one machine: Dask (python -m fastbp study --dask) ----------------------------------


class DaskCase(NamedTuple):
    """The tall problem's widths (D=2, M=3, K=3) on N samples of the generated three clouds
    in chunks of ``chunk``; ``in_memory``: also time the in-memory parallel rung and dask's
    threaded scheduler (the samples then fit in the client)."""

    N: int
    chunk: int
    in_memory: bool


DASK_CASES: dict[str, DaskCase] = {
    "fixed-cost": DaskCase(10_000, 1_000, True),  # 10 tiny chunks: the per-epoch overhead
    "tall-1e7": DaskCase(10_000_000, 1_000_000, True),
    "tall-1e8": DaskCase(100_000_000, 1_000_000, False),  # 4 GB of X and T: workers only
}
