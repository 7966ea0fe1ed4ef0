"""The estimators against a NumPy reference of the same algorithms, written here from their
definitions (scikit-learn's documented ones): Glorot-uniform initial weights drawn from
``random_state``, the loss (sum_i w_i loss_i + alpha / 2 * |weights|**2) / sum_i w_i per
batch, and per batch one step of SGD with momentum (classical or Nesterov's look-ahead) or of
Adam (with its bias correction); after each epoch the invscaling schedule; or SciPy's
L-BFGS-B on the full-batch loss. For every solver, every hidden activation and both
estimators (softmax, logistic and multi-label classifiers; squared-error and Poisson
regressors), the weights after a few epochs agree to 1e-10 in float64."""

from __future__ import annotations

import math

import network_reference as ref
import numpy as np
import pytest
import scipy.optimize

pytest.importorskip("sklearn")
from fastbp.estimators import MLPClassifier, MLPRegressor

HIDDEN = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
# (estimator, output, loss, how the targets are made)
PROBLEMS = {
    "multiclass": (MLPClassifier, "softmax", "cross_entropy"),
    "binary": (MLPClassifier, "sigmoid", "cross_entropy"),
    "multilabel": (MLPClassifier, "sigmoid", "cross_entropy"),
    "squared_error": (MLPRegressor, "identity", "squared_error"),
    "poisson": (MLPRegressor, "exp", "poisson"),
}
# Solver settings: classical momentum at a constant rate; Nesterov with invscaling; Adam;
# L-BFGS.
SOLVERS = {
    "sgd": dict(solver="sgd", momentum=0.8, nesterovs_momentum=False),
    "nesterov-invscaling": dict(
        solver="sgd", momentum=0.9, learning_rate="invscaling", power_t=0.3
    ),
    "adam": dict(solver="adam", beta_1=0.85, beta_2=0.99, epsilon=1e-7),
    "lbfgs": dict(solver="lbfgs"),
}
N, D, HIDDEN_SIZES, EPOCHS, BATCH, RATE, ALPHA, SEED = 31, 3, (4, 3), 4, 7, 0.05, 0.01, 3


def problem(kind: str):
    """Inputs X (N x D), the estimator's y, and the network's targets T."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((N, D))
    if kind == "multiclass":
        y = rng.integers(0, 3, N)
        return X, y, np.eye(3)[y]
    if kind == "binary":
        y = rng.choice(np.array(["no", "yes"]), N)
        return X, y, (y == "yes").astype(float)[:, None]
    if kind == "multilabel":
        y = rng.integers(0, 2, (N, 3))
        return X, y, y.astype(float)
    if kind == "poisson":
        y = rng.poisson(2.0, N).astype(float)
        return X, y, y[:, None]
    y = rng.standard_normal((N, 2))
    return X, y, y


def initial_params(spec: ref.Spec, hidden: str) -> np.ndarray:
    """Uniform in +-sqrt(factor / (n_in + n_out)), factor 2 for logistic units, else 6;
    weights then biases per layer, drawn from RandomState(SEED) in that order."""
    rng = np.random.RandomState(SEED)
    factor = 2.0 if hidden == "logistic" else 6.0
    layers = []
    for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:]):
        bound = math.sqrt(factor / (n_in + n_out))
        layers.append(
            (rng.uniform(-bound, bound, (n_in, n_out)), rng.uniform(-bound, bound, n_out))
        )
    return ref.flatten(spec, layers)


def weight_mask(spec: ref.Spec) -> np.ndarray:
    """1 at the weights, 0 at the biases, in the flat layout."""
    ones = [
        (np.ones((n_in, n_out)), np.zeros(n_out))
        for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:])
    ]
    return ref.flatten(spec, ones)


def penalised(spec, params, X, T, weights, mask):
    """(L, dL/dparams): L = (sum_i w_i loss_i + ALPHA / 2 * |weights|**2) / sum_i w_i."""
    total = weights.sum()
    losses = [ref.loss_gradient(spec, params, X[i : i + 1], T[i : i + 1]) for i in range(len(X))]
    loss = sum(w * value for w, (value, _) in zip(weights, losses))
    grad = sum(w * g for w, (_, g) in zip(weights, losses))
    loss += ALPHA / 2 * np.sum((mask * params) ** 2)
    grad = grad + ALPHA * mask * params
    return loss / total, grad / total


def reference_run(spec, start, X, T, weights, settings):
    """The parameters after EPOCHS epochs (L-BFGS: iterations) and the loss curve."""
    mask = weight_mask(spec)
    if settings["solver"] == "lbfgs":
        outcome = scipy.optimize.minimize(
            lambda p: penalised(spec, p, X, T, weights, mask), start, method="L-BFGS-B",
            jac=True, options={"maxiter": EPOCHS, "maxfun": 15000, "gtol": 1e-4},
        )  # fmt: skip
        return outcome.x, None
    params, first, second, steps = start.copy(), np.zeros_like(start), np.zeros_like(start), 0
    rate, seen, curve = RATE, 0, []
    for _ in range(EPOCHS):
        total = 0.0
        for begin in range(0, N, BATCH):
            batch = slice(begin, begin + BATCH)
            loss, g = penalised(spec, params, X[batch], T[batch], weights[batch], mask)
            total += loss * len(X[batch])
            if settings["solver"] == "adam":
                steps += 1
                first = settings["beta_1"] * first + (1 - settings["beta_1"]) * g
                second = settings["beta_2"] * second + (1 - settings["beta_2"]) * g**2
                corrected = (
                    rate
                    * math.sqrt(1 - settings["beta_2"] ** steps)
                    / (1 - settings["beta_1"] ** steps)
                )
                params = params - corrected * first / (np.sqrt(second) + settings["epsilon"])
            else:
                momentum = settings["momentum"]
                first = momentum * first - rate * g
                look_ahead = settings["nesterovs_momentum"]
                params = params + (momentum * first - rate * g if look_ahead else first)
        curve.append(total / N)
        seen += N
        if settings.get("learning_rate") == "invscaling":
            rate = RATE / (seen + 1) ** settings["power_t"]
    return params, curve


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("kind", PROBLEMS)
def test_estimator_is_the_reference_algorithm(kind, activation, solver, weighted):
    Estimator, output, loss = PROBLEMS[kind]
    settings = {"nesterovs_momentum": True, **SOLVERS[solver]}
    X, y, T = problem(kind)
    weights = np.random.default_rng(5).uniform(0.5, 2.0, N) if weighted else np.ones(N)
    model = Estimator(
        hidden_layer_sizes=HIDDEN_SIZES, activation=activation, alpha=ALPHA, batch_size=BATCH,
        learning_rate_init=RATE, max_iter=EPOCHS, shuffle=False, random_state=SEED,
        n_iter_no_change=np.inf, **settings,
    )  # fmt: skip
    if kind == "poisson":
        model.set_params(loss="poisson")
    with pytest.warns(Warning):  # the ConvergenceWarning of a run that stops at max_iter
        model.fit(X, y, sample_weight=weights if weighted else None)
    spec = ref.Spec((D, *HIDDEN_SIZES, T.shape[1]), HIDDEN[activation], output, loss=loss)
    expected, curve = reference_run(spec, initial_params(spec, activation), X, T, weights, settings)
    got = ref.flatten(spec, list(zip(model.coefs_, model.intercepts_)))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    if curve is not None:
        np.testing.assert_allclose(model.loss_curve_, curve, rtol=1e-10)
        assert model.t_ == EPOCHS * N and model.n_iter_ == EPOCHS
