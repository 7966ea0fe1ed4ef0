"""First calls in a new process: what compiling a kernel, or loading it from Numba's
on-disk cache, costs a user.

``python -m fastbp.study.probe rung NAME [FUNCTION ...]`` (or this file run by path) starts
Numba (one trivial function), then calls each public function of the classic API (default: all of
``cases.public_calls``) once with rung NAME (``default``: the rung fastbp picks) at the seed
size. ``python -m fastbp.study.probe network`` calls the general network's public functions
once each (``NETWORK_CALLS``, after Numba's start). ``python -m fastbp.study.probe entry
NAME`` makes the first call of one public entry point at its default settings
(``ENTRY_POINTS``), Numba's start included. Each prints the seconds of every call.
``first_calls`` runs a probe in a new process and also reads how long ``import fastbp``
took there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

try:
    from . import cases
except ImportError:  # loaded by path (the asv suites, on any commit): cases.py is beside it
    import cases

FIT_CALL = "1st fit (train_epochs)"
NETWORK_CALLS = (
    "Numba start",
    FIT_CALL,
    "1st loss_gradient",
    "1st predict",
)


def start_numba() -> None:
    """Pay Numba's one-off start (about 0.4 s: initialising its CPU target) by compiling a
    trivial function, so that it falls in no timed call after this."""
    from numba import njit

    njit(lambda x: x + 1)(1)


def rung_calls(rung: str | None, functions: list[str]) -> list[Callable[[], object]]:
    """Numba's start, then the named public functions with ``rung`` at the seed size."""
    calls = cases.public_calls(cases.problem("seed"), rung=rung)
    return [start_numba, *(calls[name] for name in functions or calls)]


def network_calls() -> dict[str, Callable[[], object]]:
    """The general network's public calls on a 2-64-64-3 float64 net and tiny data, by
    their labels in ``NETWORK_CALLS``."""
    import fastbp

    net = fastbp.Network((2, 64, 64, 3))
    X = np.linspace(-1.0, 1.0, 14).reshape(7, 2)
    T = np.eye(3)[np.arange(7) % 3]
    params = net.init_params(0)
    calls = [
        start_numba,
        lambda: fastbp.fit(net, X, T, learning_rate=0.1, epochs=1, batch_size=2, momentum=0.9),
        lambda: net.loss_gradient(params, X, T),
        lambda: net.predict(params, X),
    ]
    return dict(zip(NETWORK_CALLS, calls))


def _fit(batch_size: int | None, optimizer: str) -> Callable[[], object]:
    def call() -> object:
        import fastbp

        X, labels = fastbp.datasets.iris()
        T = fastbp.datasets.one_hot(labels, 3)
        network = fastbp.Network((4, 8, 3))
        rate = 0.01 if optimizer == "adam" else 0.1
        return fastbp.fit(
            network, X, T, learning_rate=rate, epochs=2, batch_size=batch_size, optimizer=optimizer
        )

    return call


def _estimator(kind: str, solver: str = "adam", predict: bool = False) -> Callable[[], object]:
    """``kind`` (MLPClassifier, MLPRegressor) with scikit-learn's defaults but ``solver``,
    fitted on Iris (the regressor: on the petal width), then ``predict``."""

    def call() -> object:
        import warnings

        import fastbp

        X, labels = fastbp.datasets.iris()
        y = labels if kind == "MLPClassifier" else X[:, 3]
        estimator = getattr(fastbp, kind)(solver=solver)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # not converged in max_iter: beside the point
            estimator.fit(X, y)
        return estimator.predict(X) if predict else estimator

    return call


def _network(method: str) -> Callable[[], object]:
    def call() -> object:
        import fastbp

        X, labels = fastbp.datasets.iris()
        network = fastbp.Network((4, 8, 3))
        params = network.init_params(0)
        if method == "predict":
            return network.predict(params, X)
        return network.loss_gradient(params, X, fastbp.datasets.one_hot(labels, 3))

    return call


def _classic(function: str) -> Callable[[], object]:
    def call() -> object:
        import fastbp

        if function == "train":
            X, labels = fastbp.datasets.three_clouds()
            return fastbp.train(X, labels, epochs=2)
        return cases.public_calls(cases.problem("seed"), rung=None)[function]()

    return call


# The first call of each public entry point at its default settings, by name (the compile
# table of docs/performance); each is to take at most ENTRY_TARGET seconds in a new process
# with an empty cache, ``import fastbp`` included (issue 21).
ENTRY_TARGET = 3.0
CLASSIC = ("gradients", "forward", "derivative_w1", "derivative_b1", "derivative_w2")
ENTRY_POINTS: dict[str, Callable[[], object]] = {
    **{name: _classic(name) for name in (*CLASSIC, "derivative_b2", "train")},
    "fit full batch, sgd": _fit(None, "sgd"),
    "fit minibatch, sgd": _fit(32, "sgd"),
    "fit per sample, sgd": _fit(1, "sgd"),
    "fit full batch, adam": _fit(None, "adam"),
    "fit minibatch, adam": _fit(32, "adam"),
    "fit per sample, adam": _fit(1, "adam"),
    "fit full batch, lbfgs": _fit(None, "lbfgs"),
    "Network.loss_gradient": _network("loss_gradient"),
    "Network.predict": _network("predict"),
    "MLPClassifier().fit": _estimator("MLPClassifier"),
    "MLPClassifier().fit, predict": _estimator("MLPClassifier", predict=True),
    "MLPClassifier(solver='sgd').fit": _estimator("MLPClassifier", "sgd"),
    "MLPClassifier(solver='lbfgs').fit": _estimator("MLPClassifier", "lbfgs"),
    "MLPRegressor().fit": _estimator("MLPRegressor"),
}


def first_calls(*args: str, cache_dir: str | None = None) -> tuple[float, list[float]]:
    """Run this file with ``ARGS`` in a new process (with NUMBA_CACHE_DIR set
    to ``cache_dir`` if given): the seconds of ``import fastbp`` there, and of each call."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    command = [sys.executable, "-X", "importtime", __file__, *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    # -X importtime writes "import time: self [us] | cumulative | package" lines to stderr
    rows = [line.split("|") for line in done.stderr.splitlines()]
    imported = [row[1] for row in rows if len(row) == 3 and row[2].strip() == "fastbp"]
    if done.returncode != 0 or not imported:
        errors = "\n".join(line for line in done.stderr.splitlines() if "|" not in line)
        raise RuntimeError(f"probe {' '.join(args)} failed:\n{errors}")
    return float(imported[0]) / 1e6, [float(v) for v in done.stdout.split()]


def entry_times(cache_dir: str) -> dict[str, dict[str, float]]:
    """Per entry point of ``ENTRY_POINTS``: ``import fastbp`` and its first call in a new
    process with an empty cache (a new folder of ``cache_dir``), then with that cache."""
    out = {}
    for number, name in enumerate(ENTRY_POINTS):
        folder = os.path.join(cache_dir, f"entry{number}")
        row = {}
        for state in ("cold", "warm"):
            imported, (call,) = first_calls("entry", name, cache_dir=folder)
            row[f"import_{state}"], row[f"first_call_{state}"] = imported, call
        out[name] = row
    return out


def main(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "rung":
        name, *functions = rest
        calls = rung_calls(None if name == "default" else name, functions)
    elif kind == "entry":
        calls = [ENTRY_POINTS[" ".join(rest)]]
    else:
        calls = list(network_calls().values())
    seconds = []
    for call in calls:
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    print(*seconds)


if __name__ == "__main__":
    main(sys.argv[1:])
