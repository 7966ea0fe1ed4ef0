"""The scikit-learn estimators: what is fastbp's own (views, dtypes, divergence, the extras,
input checking) and scikit-learn's estimator checks. scikit-learn's own MLP tests run
against them in test_sklearn_suite.py; each solver against a NumPy reference in
test_estimator_reference.py."""

import inspect
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastbp import DivergenceError, Network
from fastbp.datasets import IRIS_SPECIES, iris
from fastbp.estimators import DataConversionWarning, MLPClassifier, MLPRegressor, NotFittedError

X_IRIS, Y_IRIS = iris()
SMALL = dict(hidden_layer_sizes=(5,), max_iter=20, random_state=0)
QUIET = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
pytestmark = QUIET  # short runs here; the warning itself is tested below


def flat(model):
    """Every weight and bias of a fitted model, in one vector."""
    return np.concatenate([a.ravel() for a in (*model.coefs_, *model.intercepts_)])


def relu(a):
    return np.maximum(a, 0.0)


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def r2(y, predicted):
    """R^2 per output, then the mean (y and predicted: N x K with a spread in every column)."""
    residual = ((y - predicted) ** 2).sum(axis=0)
    total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    return np.mean(1 - residual / total)


def smooth_problem(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 2))
    return X, np.sin(X[:, 0]) * np.cos(X[:, 1])


@pytest.fixture(scope="module")
def iris_model():
    model = MLPClassifier(hidden_layer_sizes=(10,), learning_rate_init=0.01, random_state=0)
    return model.fit(X_IRIS, Y_IRIS)


# --- classification ----------------------------------------------------------------------


def test_iris_classifier_learns_the_training_set(iris_model):
    model = iris_model
    predicted = model.predict(X_IRIS)
    assert predicted.shape == (150,)
    assert np.mean(predicted == Y_IRIS) > 0.9
    assert model.score(X_IRIS, Y_IRIS) == np.mean(predicted == Y_IRIS)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert model.n_features_in_ == 4 and model.n_outputs_ == 3
    assert model.n_iter_ == len(model.loss_curve_) and 1 <= model.n_iter_ <= 200
    assert model.loss_curve_[-1] < model.loss_curve_[0] and model.loss_ == model.loss_curve_[-1]
    assert model.validation_scores_ is None and model.stop_reason_
    assert model.best_loss_ == min(model.loss_curve_) and model.t_ == 150 * model.n_iter_
    assert isinstance(model.network_, Network) and model.network_.output == "softmax"
    assert model.out_activation_ == "softmax" and model.n_layers_ == 3


def test_string_labels_train_like_their_integer_codes(iris_model):
    names = np.array(IRIS_SPECIES)[Y_IRIS]  # sorted species order = codes 0, 1, 2
    settings = iris_model.get_params()
    model = MLPClassifier(**settings).fit(X_IRIS, names)
    np.testing.assert_array_equal(model.classes_, sorted(IRIS_SPECIES))
    np.testing.assert_array_equal(flat(model), flat(iris_model))
    expected = np.array(IRIS_SPECIES)[iris_model.predict(X_IRIS)]
    np.testing.assert_array_equal(model.predict(X_IRIS), expected)
    assert model.score(X_IRIS, names) == iris_model.score(X_IRIS, Y_IRIS)
    # Object arrays of strings and labels that do not start at 0 work the same way.
    boxed = MLPClassifier(**settings).fit(X_IRIS, names.astype(object))
    np.testing.assert_array_equal(flat(boxed), flat(model))
    odd = np.array([-1, 5, 7])[Y_IRIS]
    other = MLPClassifier(**settings).fit(X_IRIS, odd)
    np.testing.assert_array_equal(flat(other), flat(iris_model))
    assert set(other.predict(X_IRIS)) <= {-1, 5, 7}


def test_predict_proba_is_a_distribution_that_agrees_with_predict(iris_model):
    proba = iris_model.predict_proba(X_IRIS)
    assert proba.shape == (150, 3) and proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(iris_model.classes_[proba.argmax(axis=1)],
                                  iris_model.predict(X_IRIS))  # fmt: skip


def test_coefs_and_intercepts_are_the_layers_of_the_network():
    model = MLPClassifier(hidden_layer_sizes=(5, 4), max_iter=5, random_state=1)
    model.fit(X_IRIS, Y_IRIS)
    assert [W.shape for W in model.coefs_] == [(4, 5), (5, 4), (4, 3)]
    assert [b.shape for b in model.intercepts_] == [(5,), (4,), (3,)]
    assert flat(model).size == model.network_.n_params
    # The forward pass written out with the attributes gives predict_proba.
    h = X_IRIS
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        h = relu(h @ W + b)
    expected = softmax(h @ model.coefs_[-1] + model.intercepts_[-1])
    np.testing.assert_allclose(model.predict_proba(X_IRIS), expected, rtol=1e-10, atol=1e-14)
    # Editing them, in place or by replacing them, edits the model, as in scikit-learn.
    model.intercepts_[-1][:] = [0.0, 0.0, 1e6]
    assert set(model.predict(X_IRIS)) == {2}
    model.intercepts_[-1] = np.array([1e6, 0.0, 0.0])
    assert set(model.predict(X_IRIS)) == {0}
    copy = pickle.loads(pickle.dumps(model))
    copy.intercepts_[-1][:] = [0.0, 1e6, 0.0]
    assert set(copy.predict(X_IRIS)) == {1} and set(model.predict(X_IRIS)) == {0}


def test_two_classes_have_one_logistic_output_and_a_column_y_warns():
    keep = Y_IRIS > 0
    X, y = X_IRIS[keep], Y_IRIS[keep]
    model = MLPClassifier(**SMALL).fit(X, y)
    assert model.n_outputs_ == 1 and model.out_activation_ == "logistic"
    proba = model.predict_proba(X)
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(model.predict(X), np.where(proba[:, 1] > 0.5, 2, 1))
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = MLPClassifier(**SMALL).fit(X, y[:, None])
    np.testing.assert_array_equal(flat(column), flat(model))


# --- regression --------------------------------------------------------------------------


def test_regressor_learns_the_hours_of_sleep_and_study_tutorial():
    """Welch Labs' toy: (hours slept, hours studied) -> test score, scaled by the column
    maxima and by 100; a 2-3-1 network with sigmoid hidden and output layers."""
    X = np.array([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]])
    y = np.array([[75.0], [82.0], [93.0]])
    X, y = X / X.max(axis=0), y / 100
    model = MLPRegressor(
        hidden_layer_sizes=(3,), activation="logistic", output="sigmoid", solver="sgd",
        learning_rate_init=1.0, alpha=0.0, max_iter=2000, n_iter_no_change=np.inf,
        random_state=0,
    )  # fmt: skip
    with pytest.warns(DataConversionWarning, match="column-vector y"):  # as scikit-learn's
        model.fit(X, y)
    assert [W.shape for W in model.coefs_] == [(2, 3), (3, 1)]
    predicted = model.predict(X)
    assert predicted.shape == (3,)  # one output, as scikit-learn's
    assert np.all((predicted > 0) & (predicted < 1))
    assert model.score(X, y) == pytest.approx(r2(y, predicted[:, None]), rel=1e-12)
    assert model.score(X, y) > 0.99 and model.n_iter_ == 2000


def test_regressor_fits_a_smooth_function_and_keeps_1d_targets_1d():
    X, y = smooth_problem()
    model = MLPRegressor(
        hidden_layer_sizes=(20,), activation="tanh", learning_rate_init=0.01, random_state=0
    ).fit(X, y)
    predicted = model.predict(X)
    assert predicted.shape == (400,) and model.n_outputs_ == 1
    assert model.score(X, y) == pytest.approx(r2(y[:, None], predicted[:, None]), rel=1e-12)
    assert model.score(X, y) > 0.85
    X_test, y_test = smooth_problem(100, seed=1)
    assert model.score(X_test, y_test) > 0.8


def test_regressor_with_several_outputs_scores_their_mean_r2():
    X, y = smooth_problem()
    Y = np.column_stack([y, X[:, 0] * X[:, 1] / 4])
    model = MLPRegressor(
        hidden_layer_sizes=(20,), activation="tanh", learning_rate_init=0.01, random_state=0
    ).fit(X, Y)
    predicted = model.predict(X)
    assert predicted.shape == (400, 2) and model.n_outputs_ == 2
    assert model.score(X, Y) == pytest.approx(r2(Y, predicted), rel=1e-12)
    # A constant output scores 1 when predicted exactly, else 0 (no division by zero).
    assert MLPRegressor(**SMALL).fit(X, Y).score(X, np.column_stack([y, y])) < 1
    constant = MLPRegressor(**SMALL).fit(X, np.zeros(400))
    assert constant.score(X, constant.predict(X)) == 1.0
    assert constant.score(X, np.full(400, 1e3)) == 0.0


def test_divergence_keeps_the_last_finite_parameters():
    X, y = smooth_problem()
    model = MLPRegressor(
        hidden_layer_sizes=(10,), solver="sgd", learning_rate_init=1e3, random_state=0
    )
    with pytest.raises(DivergenceError, match="Solver produced non-finite") as caught:
        model.fit(X, 1e3 * y)
    assert isinstance(caught.value, ValueError)
    assert np.isfinite(flat(model)).all()
    held = model.network_.unpack(caught.value.result.params)
    np.testing.assert_array_equal(model.coefs_[0], held[0][0])
    assert model.stop_reason_.startswith("diverged")
    assert "smaller learning_rate" in str(caught.value)
    assert model.predict(X).shape == (400,)  # usable, though such weights may overflow
    # With early stopping, a diverging run ends with the best validation epoch's weights.
    early = MLPRegressor(
        hidden_layer_sizes=(10,), solver="sgd", learning_rate_init=1e3, early_stopping=True
    )
    early.fit(X, 1e3 * y)
    assert np.isnan(early.validation_scores_[-1]) and np.isfinite(flat(early)).all()


# --- dtypes, batches, stopping, options --------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_float32_input_stays_float32(dtype):
    X = (X_IRIS * 10).astype(dtype)
    expected = np.float32 if dtype == np.float32 else np.float64
    classifier = MLPClassifier(**SMALL).fit(X, Y_IRIS)
    assert flat(classifier).dtype == expected
    assert classifier.predict_proba(X).dtype == expected
    regressor = MLPRegressor(**SMALL).fit(X, X_IRIS[:, 0])
    assert flat(regressor).dtype == expected and regressor.predict(X).dtype == expected


def test_auto_batch_is_200_samples_at_most():
    """400 samples: "auto" is two batches of 200; 150 samples: one batch of all 150."""
    X, y = smooth_problem(400)
    settings = dict(hidden_layer_sizes=(5,), max_iter=5, n_iter_no_change=np.inf, random_state=0)
    auto = MLPRegressor(**settings).fit(X, y)
    assert auto.n_iter_ == 5
    np.testing.assert_array_equal(
        flat(auto), flat(MLPRegressor(**settings, batch_size=200).fit(X, y))
    )
    for other in (199, 201, 300):
        assert not np.array_equal(
            flat(auto), flat(MLPRegressor(**settings, batch_size=other).fit(X, y))
        )
    small = MLPRegressor(**settings).fit(X[:150], y[:150])
    np.testing.assert_array_equal(
        flat(small), flat(MLPRegressor(**settings, batch_size=150).fit(X[:150], y[:150]))
    )
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        clipped = MLPRegressor(**settings, batch_size=500).fit(X[:150], y[:150])
    np.testing.assert_array_equal(flat(clipped), flat(small))


def test_stopping_rule_early_stopping_and_the_convergence_warning():
    from fastbp import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(30\) reached"):
        ran_all = MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0)
        ran_all.fit(X_IRIS, Y_IRIS)
    assert ran_all.n_iter_ == 30 and ran_all.stop_reason_ == "ran all 30 epochs"
    loose = MLPClassifier(hidden_layer_sizes=(5,), max_iter=500, tol=10.0, random_state=0)
    # The first epoch improves on infinity; scikit-learn stops once n_iter_no_change + 1 = 11
    # epochs in a row have not improved by tol.
    assert loose.fit(X_IRIS, Y_IRIS).n_iter_ == 12
    assert "tol=10.0" in loose.stop_reason_
    early = MLPClassifier(hidden_layer_sizes=(5,), early_stopping=True, validation_fraction=0.2,
                          max_iter=40, random_state=0)  # fmt: skip
    early.fit(X_IRIS, Y_IRIS)
    assert len(early.validation_scores_) == early.n_iter_ == len(early.loss_curve_)
    assert (
        early.best_validation_score_ == max(early.validation_scores_) and early.best_loss_ is None
    )
    assert all(0 <= score <= 1 for score in early.validation_scores_)  # accuracies
    assert "validation" in early.stop_reason_


def test_early_stopping_scores_the_held_out_split(monkeypatch):
    """The validation scores are those of the held-out part, not of the part trained on:
    the kept parameters (the best validation epoch's) score best_validation_score_ there."""
    from sklearn.model_selection import train_test_split

    from fastbp import estimators

    splits = []

    def recorded(*arrays, **options):
        splits.append(train_test_split(*arrays, **options))
        return splits[-1]

    monkeypatch.setattr(estimators, "train_test_split", recorded)
    early = MLPClassifier(hidden_layer_sizes=(3,), early_stopping=True, validation_fraction=0.3,
                          max_iter=25, random_state=1)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged: beside the point
        early.fit(X_IRIS, Y_IRIS)
    (parts,) = splits
    X_train, X_valid, y_train, y_valid = parts[0], parts[1], parts[4], parts[5]
    assert early.score(X_valid, y_valid) == early.best_validation_score_
    assert early.score(X_train, y_train) != early.best_validation_score_  # tells them apart


def test_logistic_is_the_sigmoid_and_the_bias_trick_changes_nothing():
    base = MLPClassifier(**SMALL, activation="logistic").fit(X_IRIS, Y_IRIS)
    assert base.network_.hidden == "sigmoid"
    trick = MLPClassifier(**SMALL, activation="logistic", bias_trick=True).fit(X_IRIS, Y_IRIS)
    assert trick.network_.bias_trick
    np.testing.assert_allclose(flat(trick), flat(base), rtol=1e-9, atol=1e-12)


def test_no_hidden_layer_and_an_int_for_one_layer():
    linear = MLPClassifier(hidden_layer_sizes=(), learning_rate_init=0.01, random_state=0)
    assert linear.fit(X_IRIS, Y_IRIS).network_.sizes == (4, 3)
    assert linear.score(X_IRIS, Y_IRIS) > 0.6
    one = MLPRegressor(hidden_layer_sizes=7, max_iter=5, random_state=0).fit(X_IRIS, Y_IRIS)
    assert one.network_.sizes == (4, 7, 1)


def test_random_state_makes_fitting_deterministic():
    X, y = smooth_problem(100)
    kwargs = dict(hidden_layer_sizes=(5,), max_iter=10, batch_size=16)
    first = MLPRegressor(**kwargs, random_state=3).fit(X, y)
    again = MLPRegressor(**kwargs, random_state=3).fit(X, y)
    other = MLPRegressor(**kwargs, random_state=4).fit(X, y)
    np.testing.assert_array_equal(flat(first), flat(again))
    assert not np.array_equal(flat(first), flat(other))
    fresh = [flat(MLPRegressor(**kwargs).fit(X, y)) for _ in range(2)]
    assert not np.array_equal(*fresh)  # None: a new seed for each fit
    state = MLPRegressor(**kwargs, random_state=np.random.RandomState(0)).fit(X, y)
    assert np.isfinite(flat(state)).all()


def test_pickling_keeps_the_predictions(iris_model):
    copy = pickle.loads(pickle.dumps(iris_model))
    np.testing.assert_array_equal(copy.predict_proba(X_IRIS), iris_model.predict_proba(X_IRIS))


@pytest.mark.parametrize("trained_here", [True, False])
def test_prediction_writes_nothing_and_agrees_across_threads(iris_model, trained_here):
    model = iris_model
    if not trained_here:  # the fitted attributes set by hand: no network_ to predict with
        model = MLPClassifier(hidden_layer_sizes=(10,))
        hand = {k: v for k, v in vars(iris_model).items() if k not in ("network_", "_params")}
        vars(model).update(hand)
    before = dict(vars(model))
    calls = [model.predict, model.predict_proba, model.predict_log_proba]
    calls.append(lambda X: np.float64(model.score(X, Y_IRIS)))
    expected = [call(X_IRIS) for call in calls]
    with ThreadPoolExecutor(4) as pool:
        futures = [[pool.submit(call, X_IRIS) for call in calls] for _ in range(8)]
    for round_ in futures:
        for future, wanted in zip(round_, expected):
            np.testing.assert_array_equal(future.result(), wanted)
    assert vars(model).keys() == before.keys()
    assert all(vars(model)[name] is value for name, value in before.items())


# --- parameters --------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_get_params_set_params_round_trip(Estimator):
    names = [p for p in inspect.signature(Estimator.__init__).parameters if p != "self"]
    model = Estimator(hidden_layer_sizes=(3, 2), max_iter=7)
    params = model.get_params()
    assert list(params) == sorted(names)  # scikit-learn's order
    assert params["hidden_layer_sizes"] == (3, 2) and params["max_iter"] == 7
    assert ("output" in params) == (Estimator is MLPRegressor)
    assert Estimator(**params).get_params() == params
    assert model.get_params(deep=False) == params
    assert model.set_params(max_iter=9, activation="tanh") is model
    assert model.max_iter == 9 and model.activation == "tanh"
    with pytest.raises(ValueError, match="Invalid parameter 'learning_rate_initial'"):
        model.set_params(learning_rate_initial=1e-4)
    model.set_params(momentum=2.0)  # stored without checking; fit checks
    with pytest.raises(ValueError, match="momentum must be a number in"):
        model.fit(X_IRIS, Y_IRIS)
    assert not hasattr(model, "coefs_")


def test_the_parameters_and_defaults_are_scikit_learns():
    """Every parameter of scikit-learn's MLPs, in its order, with its default; fastbp's
    extras after them."""
    from sklearn import neural_network

    for name, extras in (
        ("MLPClassifier", ["bias_trick"]),
        ("MLPRegressor", ["bias_trick", "output"]),
    ):
        theirs = inspect.signature(getattr(neural_network, name).__init__).parameters
        ours = inspect.signature(globals()[name].__init__).parameters
        assert list(ours)[-len(extras) :] == extras
        assert [name for name in ours if name in theirs] == list(theirs)
        assert set(ours) - set(theirs) <= {*extras, "loss"}  # the loss: scikit-learn >= 1.7
        for parameter, entry in theirs.items():
            assert ours[parameter].default == entry.default, parameter


def test_repr_shows_the_parameters_that_differ_from_the_defaults():
    assert repr(MLPClassifier()) == "MLPClassifier()"
    assert (
        repr(MLPClassifier((5,), max_iter=7))
        == "MLPClassifier(hidden_layer_sizes=(5,), max_iter=7)"
    )
    assert repr(MLPRegressor(output="sigmoid")) == "MLPRegressor(output='sigmoid')"
    assert repr(MLPRegressor(loss="poisson")) == "MLPRegressor(loss='poisson')"
    assert repr(MLPRegressor(hidden_layer_sizes=[100])) == "MLPRegressor(hidden_layer_sizes=[100])"
    odd = MLPClassifier(momentum=np.array([1.0, 2.0]))  # compared with defaults safely
    assert repr(odd) == "MLPClassifier(momentum=array([1., 2.]))"


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_using_an_unfitted_estimator_raises_not_fitted(Estimator):
    model = Estimator()
    calls = [model.predict, lambda X: model.score(X, Y_IRIS)]
    calls += [lambda X: model.predict(X[0])]  # checked before the shape
    for call in calls:
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call(X_IRIS)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    assert not hasattr(model, "coefs_") and not hasattr(model, "intercepts_")
    error = pickle.loads(pickle.dumps(NotFittedError("x")))
    assert type(error) is NotFittedError and error.args == ("x",)


def test_predict_with_a_different_number_of_features():
    model = MLPClassifier(**SMALL).fit(X_IRIS, Y_IRIS)
    message = "X has 3 features, but MLPClassifier is expecting 4 features as input"
    for method in (model.predict, model.predict_proba, lambda X: model.score(X, Y_IRIS)):
        with pytest.raises(ValueError, match=message):
            method(X_IRIS[:, :3])
    with pytest.raises(ValueError, match=r"Reshape your data.*reshape"):
        model.predict(X_IRIS[0])
    with pytest.raises(ValueError, match="X contains NaN"):
        model.predict(np.where(X_IRIS == X_IRIS[0, 0], np.nan, X_IRIS))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.score(X_IRIS, Y_IRIS[:-1])


NAN_X = X_IRIS.copy()
NAN_X[3, 2] = np.nan
CONTINUOUS = X_IRIS[:, 0]


@pytest.mark.parametrize(
    ("X", "y", "error", "pattern"),
    [
        (X_IRIS[:, 0], Y_IRIS, ValueError, r"(?s)Expected 2D array, got 1D.*Reshape your data"),
        (X_IRIS[None], Y_IRIS, ValueError, r"Found array with dim 3"),
        (X_IRIS, Y_IRIS[:-1], ValueError, r"inconsistent numbers of samples: \[150, 149\]"),
        (X_IRIS[:0], Y_IRIS[:0], ValueError, r"Found array with 0 sample\(s\)"),
        (X_IRIS[:, :0], Y_IRIS, ValueError, r"Found array with 0 feature\(s\)"),
        (NAN_X, Y_IRIS, ValueError, r"Input X contains NaN"),
        (X_IRIS * 1j, Y_IRIS, ValueError, r"Complex data not supported"),
        (np.array([[1.0, {}]] * 150, dtype=object), Y_IRIS, TypeError, r"float\(\) argument"),
        (X_IRIS, None, ValueError, r"requires y to be passed, but the target y is None"),
    ],
)
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_bad_data_names_the_argument(Estimator, X, y, error, pattern):
    model = Estimator(**SMALL)
    with pytest.raises(error, match=pattern):
        model.fit(X, y)
    assert not [name for name in vars(model) if name.endswith("_")]  # nothing fitted


@pytest.mark.parametrize(
    ("y", "pattern"),
    [
        (CONTINUOUS, r"Unknown label type"),
        (np.where(Y_IRIS == 2, np.inf, Y_IRIS), r"Input y contains infinity"),
        (np.stack([Y_IRIS, Y_IRIS], axis=1), r"Multioutput target data is not supported"),
        (np.array([-1, 5, 7], dtype=object)[Y_IRIS], r"Unknown label type"),
        (Y_IRIS * 1j, r"Complex data not supported"),
    ],
)
def test_bad_class_labels(y, pattern):
    with pytest.raises(ValueError, match=pattern):
        MLPClassifier(**SMALL).fit(X_IRIS, y)


@pytest.mark.parametrize(
    ("y", "error", "pattern"),
    [
        (np.where(CONTINUOUS > 7, np.nan, CONTINUOUS), ValueError, r"y contains NaN"),
        (np.ones((150, 1, 1)), ValueError, r"Found array with dim 3"),
    ],
)
def test_bad_regression_targets(y, error, pattern):
    with pytest.raises(error, match=pattern):
        MLPRegressor(**SMALL).fit(X_IRIS, y)


@pytest.mark.parametrize(
    ("params", "pattern"),
    [
        (dict(hidden_layer_sizes=0), r"hidden_layer_sizes\[0\] must be a positive integer"),
        (dict(hidden_layer_sizes=(5, -1)), r"hidden_layer_sizes\[1\] must be a positive integer"),
        (dict(hidden_layer_sizes="5"), r"hidden_layer_sizes\[0\] must be a positive integer"),
        (dict(activation="softplus"), r"activation must be one of .*'logistic'"),
        (dict(learning_rate_init=0), r"learning_rate_init must be a positive finite"),
        (dict(learning_rate_init=np.inf), r"learning_rate_init must be a positive finite"),
        (dict(batch_size=0), r"batch_size must be 'auto' or a positive integer"),
        (dict(batch_size=None), r"batch_size must be 'auto' or a positive integer"),
        (dict(solver="newton"), r"solver must be one of \('sgd', 'adam', 'lbfgs'\)"),
        (dict(learning_rate="cosine"), r"learning_rate must be one of \('constant'"),
        (dict(alpha=-1.0), r"alpha must be a finite number >= 0"),
        (dict(beta_1=1.0), r"beta_1 must be a number in \[0, 1\)"),
        (dict(epsilon=0.0), r"epsilon must be a positive finite number"),
        (dict(power_t=-0.5), r"power_t must be a finite number >= 0"),
        (dict(max_fun=0), r"max_fun must be a positive integer"),
        (dict(nesterovs_momentum=1), r"nesterovs_momentum must be True or False"),
        (dict(n_iter_no_change=2.5), r"n_iter_no_change must be a positive integer or inf"),
        (dict(batch_size="full"), r"batch_size must be 'auto'"),
        (dict(max_iter=0), r"max_iter must be a positive integer"),
        (dict(max_iter=2.0), r"max_iter must be a positive integer"),
        (dict(n_iter_no_change=0), r"n_iter_no_change must be a positive integer"),
        (dict(momentum=1.5), r"momentum must be a number in \[0, 1\]"),
        (dict(tol=-1.0), r"tol must be a finite number >= 0"),
        (dict(shuffle="yes"), r"shuffle must be True or False"),
        (dict(random_state=-1), r"Seed must be between 0 and 2\*\*32 - 1"),
        (dict(early_stopping=True, validation_fraction=1.0), r"validation_fraction must be"),
    ],
)
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_bad_parameters_are_reported_by_fit(Estimator, params, pattern):
    model = Estimator(**params)  # stores anything
    with pytest.raises(ValueError, match=pattern):
        model.fit(X_IRIS, Y_IRIS)
    assert not [name for name in vars(model) if name.endswith("_")]


def test_regressor_output_and_poisson_loss():
    with pytest.raises(
        ValueError, match=r"output must be one of \('auto', 'identity', 'sigmoid'\)"
    ):
        MLPRegressor(output="softmax").fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=r"output must be one of \('auto', 'exp'\)"):
        MLPRegressor(loss="poisson", output="identity").fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=r"output='sigmoid' predicts values in \(0, 1\)"):
        MLPRegressor(output="sigmoid").fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=r"loss='poisson' needs y >= 0"):
        MLPRegressor(loss="poisson").fit(X_IRIS, Y_IRIS - 1.0)
    model = MLPRegressor(**SMALL, output="sigmoid").fit(X_IRIS, Y_IRIS / 2)
    assert model.network_.output == "sigmoid" and np.all(model.predict(X_IRIS) < 1)
    assert model.out_activation_ == "logistic"
    counts = MLPRegressor(**SMALL, loss="poisson").fit(X_IRIS, Y_IRIS)
    assert counts.out_activation_ == "exp" and counts.network_.loss == "poisson"
    assert np.all(counts.predict(X_IRIS) > 0)
    assert "output" not in MLPClassifier().get_params()


def test_sparse_input_is_made_dense():
    dense = MLPClassifier(**SMALL).fit(X_IRIS, Y_IRIS)
    for matrix in (sparse.csr_matrix, sparse.csc_matrix):
        model = MLPClassifier(**SMALL).fit(matrix(X_IRIS), Y_IRIS)
        np.testing.assert_array_equal(flat(model), flat(dense))
        np.testing.assert_array_equal(
            model.predict_proba(matrix(X_IRIS)), dense.predict_proba(X_IRIS)
        )


def test_partial_fit_continues_the_optimizer_exactly():
    """Full batches: ten calls of partial_fit are ten epochs of fit, to the bit, for SGD with
    Nesterov momentum and for Adam (their moments, Adam's count and t_ carry over)."""
    X, y = smooth_problem(120)
    for solver in ("sgd", "adam"):
        settings = dict(
            hidden_layer_sizes=(6,), solver=solver, batch_size=120, max_iter=10,
            n_iter_no_change=np.inf, learning_rate_init=0.05, random_state=1,
        )  # fmt: skip
        whole = MLPRegressor(**settings).fit(X, y)
        streamed = MLPRegressor(**settings)
        for _ in range(10):
            streamed.partial_fit(X, y)
        np.testing.assert_array_equal(flat(streamed), flat(whole))
        assert streamed.loss_curve_ == whole.loss_curve_ and streamed.t_ == whole.t_ == 1200
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X_IRIS, Y_IRIS)


def test_sample_weight_of_two_is_the_sample_twice():
    """Full batch: weights of 2 on some samples equal those samples repeated."""
    X, y = smooth_problem(60)
    twice = np.arange(60) < 20
    settings = dict(hidden_layer_sizes=(4,), solver="sgd", batch_size="auto", shuffle=False,
                    max_iter=5, n_iter_no_change=np.inf, random_state=0)  # fmt: skip
    weighted = MLPRegressor(**settings).fit(X, y, sample_weight=np.where(twice, 2.0, 1.0))
    repeated = MLPRegressor(**settings).fit(np.vstack([X, X[twice]]), np.concatenate([y, y[twice]]))
    np.testing.assert_allclose(flat(weighted), flat(repeated), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="sample_weight must be a 1-D array of 60 numbers"):
        MLPRegressor(**settings).fit(X, y, sample_weight=np.ones(59))
    with pytest.raises(ValueError, match="non-negative, and not all zero"):
        MLPRegressor(**settings).fit(X, y, sample_weight=-np.ones(60))


def test_verbose_prints_each_iteration(capsys):
    MLPClassifier(**SMALL, verbose=True).fit(X_IRIS, Y_IRIS)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20 and lines[0].startswith("Iteration 1, loss = ")


# --- scikit-learn's estimator checks -----------------------------------------------------

# Small and quick, each solver once. The minibatch regressor cannot weigh samples as their
# repetition would (other samples share their batches), as scikit-learn's cannot; the
# full-batch ones pass that check.
CHECKED = [
    MLPClassifier(hidden_layer_sizes=(10,), activation="tanh", learning_rate_init=0.01),
    MLPRegressor(
        hidden_layer_sizes=(5,), activation="tanh", batch_size=20, learning_rate_init=0.01
    ),
    MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50),
    MLPRegressor(
        hidden_layer_sizes=(5,),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.01,
        random_state=42,
    ),
]


def expected_failed_checks(estimator):
    """The checks these estimators cannot pass, with the reason.

    scikit-learn itself skips four checks here (reported as skipped by pytest -rs):
    ``check_classifier_data_not_an_array`` and ``check_regressor_data_not_an_array`` when
    pandas is not installed (fastbp does not need it), and ``check_array_api_input`` for
    each estimator unless SCIPY_ARRAY_API=1 is set (fastbp computes with NumPy arrays only).
    """
    if estimator.get_params()["batch_size"] == 20:
        reason = "minibatches: a weight is not a repetition (scikit-learn's fails it too)"
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


# The checks fit the minibatch regressor on fewer samples than its batch: it warns that
# the batch is clipped, as scikit-learn's does.
@pytest.mark.filterwarnings("ignore:Got `batch_size` less than 1 or larger:UserWarning")
@parametrize_with_checks(CHECKED, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_errors_and_warnings_are_scikit_learn_classes():
    from sklearn import exceptions

    with pytest.raises(exceptions.NotFittedError):
        MLPClassifier().predict(X_IRIS)
    with pytest.warns(exceptions.DataConversionWarning):
        MLPClassifier(**SMALL).fit(X_IRIS, Y_IRIS[:, None])
    from sklearn.base import clone, is_classifier, is_regressor

    model = MLPRegressor((4,), max_iter=3)
    twin = clone(model)
    assert twin is not model and twin.get_params() == model.get_params()
    assert is_classifier(MLPClassifier()) and is_regressor(model)


def test_grid_search_over_the_estimator():
    from sklearn.model_selection import GridSearchCV

    grid = {"hidden_layer_sizes": [(2,), (10,)], "activation": ["logistic", "tanh"]}
    model = MLPClassifier(learning_rate_init=0.01, max_iter=100, random_state=0)
    search = GridSearchCV(model, grid, cv=3)
    search.fit(X_IRIS, Y_IRIS)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.8 and search.best_estimator_.n_features_in_ == 4
