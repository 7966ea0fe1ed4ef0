"""Held-out scores against scikit-learn's MLPs, same parameters, for every solver: on
scikit-learn's digits (a train/test split), two moons and make_friedman1, fastbp's mean
score over three random_states is within 0.02 of scikit-learn's, or better. (Initial weights
and shuffling are not the same draws, so single runs differ by more than rounding.)"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn import neural_network
from sklearn.datasets import load_digits, make_friedman1, make_moons
from sklearn.model_selection import train_test_split

import fastbp


def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


PROBLEMS = {
    "digits": ("MLPClassifier", digits, {}),
    "moons": ("MLPClassifier", lambda: make_moons(600, noise=0.25, random_state=0), {}),
    "friedman1": (
        "MLPRegressor",
        lambda: make_friedman1(800, noise=1.0, random_state=0),
        {"learning_rate_init": 0.01},
    ),
}


def mean_score(library, name: str, problem, settings: dict) -> float:
    X, y = problem()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    scores = []
    for seed in range(3):
        model = getattr(library, name)(random_state=seed, **settings)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=Warning)  # ConvergenceWarning
            scores.append(model.fit(X_train, y_train).score(X_test, y_test))
    return float(np.mean(scores))


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("problem", PROBLEMS)
def test_held_out_score_is_scikit_learns_or_better(problem, solver):
    name, make, extra = PROBLEMS[problem]
    settings = {"hidden_layer_sizes": (32,), "solver": solver, "max_iter": 200, **extra}
    if solver == "lbfgs":
        settings.pop("learning_rate_init", None)
    theirs = mean_score(neural_network, name, make, settings)
    ours = mean_score(fastbp, name, make, settings)
    assert ours >= theirs - 0.02, (ours, theirs)
