"""The estimator study (``python -m fastbp study --estimators``): fastbp's MLPClassifier
against scikit-learn's with identical parameters, ``fit`` and ``predict`` timed interleaved
in one process; and the held-out scores of both on the accuracy problems. It needs
scikit-learn (the ``fastbp[sklearn]`` extra)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .cases import (
    ACCURACY_PROBLEMS,
    ACCURACY_SEEDS,
    ESTIMATOR_CASES,
    accuracy_settings,
    estimator_problem,
)
from .timing import SETTLE, Timing, time_interleaved

LIBRARIES = ("fastbp", "scikit-learn")


def _estimators(name: str) -> dict[str, type]:
    """The estimator class of that name in each library."""
    from sklearn import neural_network

    import fastbp

    return {"fastbp": getattr(fastbp, name), "scikit-learn": getattr(neural_network, name)}


def _quietly(call: Callable[[], object]) -> Callable[[], object]:
    """``call`` with warnings ignored (the ConvergenceWarning of a fixed number of epochs)."""

    def quiet() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call()

    return quiet


def candidates(case: str) -> dict[str, Callable[[], object]]:
    """A fit of ESTIMATOR_EPOCHS epochs and a predict on the training inputs, per library
    (each predicts with the model its own fit left)."""
    X, y = estimator_problem(ESTIMATOR_CASES[case].data)
    out = {}
    for library, Estimator in _estimators("MLPClassifier").items():
        model = Estimator(**ESTIMATOR_CASES[case].settings())
        out[f"{library} fit"] = _quietly(lambda model=model: model.fit(X, y))
        out[f"{library} fit"]()
        out[f"{library} predict"] = lambda model=model: model.predict(X)
    return out


def times(case: str, repeat: int, min_time: float, settle: float = SETTLE) -> list[Timing]:
    """Seconds per fit and per predict of both libraries, interleaved."""
    return time_interleaved(candidates(case), repeat, min_time, case, settle)


def ratios(timings: list[Timing]) -> dict[str, float]:
    """scikit-learn's median time over fastbp's, for fit and for predict."""
    seconds = {t.name: t.median for t in timings}
    return {
        step: seconds[f"scikit-learn {step}"] / seconds[f"fastbp {step}"]
        for step in ("fit", "predict")
    }


def held_out_scores(problem: str, solver: str) -> tuple[float, float]:
    """(fastbp's, scikit-learn's) held-out score (accuracy or R²) on a 70/30 split, the mean
    over ACCURACY_SEEDS as random_state."""
    from sklearn.model_selection import train_test_split

    entry = ACCURACY_PROBLEMS[problem]
    X, y = entry.data()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    means = []
    for Estimator in _estimators(entry.estimator).values():
        scores = []
        for seed in ACCURACY_SEEDS:
            model = Estimator(random_state=seed, **accuracy_settings(problem, solver))
            _quietly(lambda model=model: model.fit(X_train, y_train))()
            scores.append(model.score(X_test, y_test))
        means.append(float(np.mean(scores)))
    return means[0], means[1]
