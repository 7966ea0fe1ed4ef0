"""The scikit-learn estimators: training quality, the fitted attributes, parameters, input
checking, and scikit-learn's own estimator checks."""

import inspect
import pickle

import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastbp import DivergenceError, Network
from fastbp.datasets import IRIS_SPECIES, iris
from fastbp.estimators import DataConversionWarning, MLPClassifier, MLPRegressor, NotFittedError

X_IRIS, Y_IRIS = iris()
SMALL = dict(hidden_layer_sizes=(5,), max_iter=20, random_state=0)


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
    return MLPClassifier(hidden_layer_sizes=(10,), random_state=0).fit(X_IRIS, Y_IRIS)


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
    assert model.validation_curve_ == [] and model.stop_reason_
    assert isinstance(model.network_, Network) and model.network_.output == "softmax"


def test_string_labels_train_like_their_integer_codes(iris_model):
    names = np.array(IRIS_SPECIES)[Y_IRIS]  # sorted species order = codes 0, 1, 2
    model = MLPClassifier(hidden_layer_sizes=(10,), random_state=0).fit(X_IRIS, names)
    np.testing.assert_array_equal(model.classes_, sorted(IRIS_SPECIES))
    np.testing.assert_array_equal(model.params_, iris_model.params_)
    expected = np.array(IRIS_SPECIES)[iris_model.predict(X_IRIS)]
    np.testing.assert_array_equal(model.predict(X_IRIS), expected)
    assert model.score(X_IRIS, names) == iris_model.score(X_IRIS, Y_IRIS)
    # Object arrays of strings and labels that do not start at 0 work the same way.
    boxed = MLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    np.testing.assert_array_equal(boxed.fit(X_IRIS, names.astype(object)).params_, model.params_)
    odd = np.array([-1, 5, 7])[Y_IRIS]
    other = MLPClassifier(hidden_layer_sizes=(10,), random_state=0).fit(X_IRIS, odd)
    np.testing.assert_array_equal(other.params_, iris_model.params_)
    assert set(other.predict(X_IRIS)) <= {-1, 5, 7}


def test_predict_proba_is_a_distribution_that_agrees_with_predict(iris_model):
    proba = iris_model.predict_proba(X_IRIS)
    assert proba.shape == (150, 3) and proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(iris_model.classes_[proba.argmax(axis=1)],
                                  iris_model.predict(X_IRIS))  # fmt: skip


def test_coefs_and_intercepts_are_the_layers_of_params():
    model = MLPClassifier(hidden_layer_sizes=(5, 4), max_iter=5, random_state=1)
    model.fit(X_IRIS, Y_IRIS)
    assert [W.shape for W in model.coefs_] == [(4, 5), (5, 4), (4, 3)]
    assert [b.shape for b in model.intercepts_] == [(5,), (4,), (3,)]
    total = sum(W.size + b.size for W, b in zip(model.coefs_, model.intercepts_))
    assert total == model.params_.size == model.network_.n_params
    # The forward pass written out with the attributes gives predict_proba.
    h = X_IRIS
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        h = relu(h @ W + b)
    expected = softmax(h @ model.coefs_[-1] + model.intercepts_[-1])
    np.testing.assert_allclose(model.predict_proba(X_IRIS), expected, rtol=1e-10, atol=1e-14)
    # They are views: editing them edits the model, as in scikit-learn.
    model.intercepts_[-1][:] = [0.0, 0.0, 1e6]
    assert set(model.predict(X_IRIS)) == {2}


def test_two_classes_and_a_column_vector_y_with_a_warning():
    keep = Y_IRIS > 0
    X, y = X_IRIS[keep], Y_IRIS[keep]
    flat = MLPClassifier(**SMALL).fit(X, y)
    assert flat.n_outputs_ == 2 and flat.predict_proba(X).shape == (100, 2)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = MLPClassifier(**SMALL).fit(X, y[:, None])
    np.testing.assert_array_equal(column.params_, flat.params_)


# --- regression --------------------------------------------------------------------------


def test_regressor_learns_the_hours_of_sleep_and_study_tutorial():
    """Welch Labs' toy: (hours slept, hours studied) -> test score, scaled by the column
    maxima and by 100; a 2-3-1 network with sigmoid hidden and output layers."""
    X = np.array([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]])
    y = np.array([[75.0], [82.0], [93.0]])
    X, y = X / X.max(axis=0), y / 100
    model = MLPRegressor(
        (3,), "sigmoid", output="sigmoid", learning_rate_init=1.0, batch_size=None,
        max_iter=2000, tol=None, random_state=0,
    )  # fmt: skip
    model.fit(X, y)
    assert [W.shape for W in model.coefs_] == [(2, 3), (3, 1)]
    predicted = model.predict(X)
    assert predicted.shape == (3, 1)  # y was 2-D
    assert np.all((predicted > 0) & (predicted < 1))
    assert model.score(X, y) == pytest.approx(r2(y, predicted), rel=1e-12)
    assert model.score(X, y) > 0.99 and model.n_iter_ == 2000


def test_regressor_fits_a_smooth_function_and_keeps_1d_targets_1d():
    X, y = smooth_problem()
    model = MLPRegressor((20,), "tanh", random_state=0).fit(X, y)
    predicted = model.predict(X)
    assert predicted.shape == (400,) and model.n_outputs_ == 1
    assert model.score(X, y) == pytest.approx(r2(y[:, None], predicted[:, None]), rel=1e-12)
    assert model.score(X, y) > 0.85
    X_test, y_test = smooth_problem(100, seed=1)
    assert model.score(X_test, y_test) > 0.8


def test_regressor_with_several_outputs_scores_their_mean_r2():
    X, y = smooth_problem()
    Y = np.column_stack([y, X[:, 0] * X[:, 1] / 4])
    model = MLPRegressor((20,), "tanh", random_state=0).fit(X, Y)
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
    model = MLPRegressor((10,), learning_rate_init=1e3, max_iter=50, random_state=0)
    with pytest.raises(DivergenceError) as caught:
        model.fit(X, 1e3 * y)
    assert np.isfinite(model.params_).all()
    np.testing.assert_array_equal(model.params_, caught.value.result.params)
    assert model.n_iter_ == len(model.loss_curve_) < 50
    assert all(np.isfinite(model.loss_curve_))
    assert model.stop_reason_.startswith("diverged")
    assert "smaller learning_rate_init" in str(caught.value)  # the estimator's name for it
    assert model.predict(X).shape == (400,)  # usable, though such weights may overflow


# --- dtypes, batches, stopping, options --------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_float32_input_stays_float32(dtype):
    X = (X_IRIS * 10).astype(dtype)
    expected = np.float32 if dtype == np.float32 else np.float64
    classifier = MLPClassifier(**SMALL).fit(X, Y_IRIS)
    assert classifier.params_.dtype == expected
    assert classifier.predict_proba(X).dtype == expected
    regressor = MLPRegressor(**SMALL).fit(X, X_IRIS[:, 0])
    assert regressor.params_.dtype == expected and regressor.predict(X).dtype == expected


def test_auto_batch_is_at_most_200_samples():
    """Iris has 150 samples: "auto" is one batch of all of them, like batch_size=None."""
    auto = MLPClassifier(**SMALL).fit(X_IRIS, Y_IRIS)
    full = MLPClassifier(**SMALL, batch_size=None).fit(X_IRIS, Y_IRIS)
    minibatch = MLPClassifier(**SMALL, batch_size=32).fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(auto.params_, full.params_)
    assert not np.array_equal(auto.params_, minibatch.params_)


def test_auto_batch_is_200_samples_when_there_are_more():
    """400 samples: "auto" is two batches of 200, not one batch of all or any other split."""
    X, y = smooth_problem(400)
    settings = dict(hidden_layer_sizes=(5,), max_iter=5, tol=None, random_state=0)
    auto = MLPRegressor(**settings).fit(X, y)
    assert auto.n_iter_ == 5
    np.testing.assert_array_equal(
        auto.params_, MLPRegressor(**settings, batch_size=200).fit(X, y).params_
    )
    for other in (None, 199, 201, 300):
        params = MLPRegressor(**settings, batch_size=other).fit(X, y).params_
        assert not np.array_equal(auto.params_, params), other


def test_stopping_rule_and_early_stopping():
    ran_all = MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, tol=None, random_state=0)
    assert ran_all.fit(X_IRIS, Y_IRIS).n_iter_ == 30
    assert ran_all.stop_reason_ == "ran all 30 epochs"
    loose = MLPClassifier(hidden_layer_sizes=(5,), max_iter=500, tol=10.0, random_state=0)
    # The first epoch improves on infinity; none of the next n_iter_no_change=10 by tol.
    assert loose.fit(X_IRIS, Y_IRIS).n_iter_ == 11
    assert "tol=10.0" in loose.stop_reason_
    early = MLPClassifier(hidden_layer_sizes=(5,), early_stopping=True, validation_fraction=0.2,
                          max_iter=40, random_state=0)  # fmt: skip
    early.fit(X_IRIS, Y_IRIS)
    assert len(early.validation_curve_) == early.n_iter_ == len(early.loss_curve_)
    assert "validation" in early.stop_reason_


def test_logistic_is_sigmoid_and_the_bias_trick_changes_nothing():
    base = MLPClassifier(**SMALL, activation="sigmoid").fit(X_IRIS, Y_IRIS)
    alias = MLPClassifier(**SMALL, activation="logistic").fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(alias.params_, base.params_)
    assert alias.network_.hidden == "sigmoid"
    trick = MLPClassifier(**SMALL, activation="sigmoid", bias_trick=True).fit(X_IRIS, Y_IRIS)
    assert trick.network_.bias_trick
    np.testing.assert_allclose(trick.params_, base.params_, rtol=1e-9, atol=1e-12)


def test_no_hidden_layer_and_an_int_for_one_layer():
    linear = MLPClassifier(hidden_layer_sizes=(), max_iter=100, random_state=0)
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
    np.testing.assert_array_equal(first.params_, again.params_)
    assert not np.array_equal(first.params_, other.params_)
    fresh = [MLPRegressor(**kwargs).fit(X, y).params_ for _ in range(2)]
    assert not np.array_equal(*fresh)  # None: a new seed for each fit
    generator = MLPRegressor(**kwargs, random_state=np.random.default_rng(0)).fit(X, y)
    assert np.isfinite(generator.params_).all()


def test_pickling_keeps_the_predictions(iris_model):
    copy = pickle.loads(pickle.dumps(iris_model))
    np.testing.assert_array_equal(copy.predict_proba(X_IRIS), iris_model.predict_proba(X_IRIS))


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
    with pytest.raises(ValueError, match="Invalid parameter 'alpha'"):
        model.set_params(alpha=1e-4)
    model.set_params(momentum=2.0)  # stored without checking; fit checks
    with pytest.raises(ValueError, match="momentum must be a number in"):
        model.fit(X_IRIS, Y_IRIS)
    assert not hasattr(model, "params_")


def test_repr_shows_the_parameters_that_differ_from_the_defaults():
    assert repr(MLPClassifier()) == "MLPClassifier()"
    assert (
        repr(MLPClassifier((5,), max_iter=7))
        == "MLPClassifier(hidden_layer_sizes=(5,), max_iter=7)"
    )
    assert repr(MLPRegressor(output="sigmoid")) == "MLPRegressor(output='sigmoid')"
    assert repr(MLPRegressor([100])) == "MLPRegressor(hidden_layer_sizes=[100])"
    odd = MLPClassifier(momentum=np.array([1.0, 2.0]))  # compared with defaults safely
    assert repr(odd) == "MLPClassifier(momentum=array([1., 2.]))"


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_using_an_unfitted_estimator_raises_not_fitted(Estimator):
    model = Estimator()
    calls = [model.predict, lambda X: model.score(X, Y_IRIS), lambda X: model.coefs_]
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
        (sparse.csr_matrix(X_IRIS), Y_IRIS, TypeError, r"Sparse data was passed for X"),
        (X_IRIS, sparse.csr_matrix(Y_IRIS[:, None]), TypeError, r"Sparse data was passed for y"),
        (X_IRIS, Y_IRIS[:-1], ValueError, r"inconsistent numbers of samples: \[150, 149\]"),
        (X_IRIS[:0], Y_IRIS[:0], ValueError, r"Found array with 0 sample\(s\)"),
        (X_IRIS[:, :0], Y_IRIS, ValueError, r"Found array with 0 feature\(s\)"),
        (NAN_X, Y_IRIS, ValueError, r"X contains NaN or infinity"),
        (X_IRIS * 1j, Y_IRIS, ValueError, r"Complex data not supported"),
        (X_IRIS.astype(str), Y_IRIS, ValueError, r"not compatible with arrays of bytes/strings"),
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
        (np.ones(150), r"at least 2 classes in y, got 1 class"),
        (CONTINUOUS, r"Unknown label type: continuous"),
        (np.where(Y_IRIS == 2, np.inf, Y_IRIS), r"Input y contains infinity"),
        (np.stack([Y_IRIS, Y_IRIS], axis=1), r"y should be a 1d array"),
        (np.array([1, "a"] * 75, dtype=object), r"Unknown label type"),
        (np.array([-1, 5, 7], dtype=object)[Y_IRIS], r"Unknown label type: unknown"),
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
        (CONTINUOUS.astype(str), ValueError, r"not compatible with arrays of bytes/strings"),
    ],
)
def test_bad_regression_targets(y, error, pattern):
    with pytest.raises(error, match=pattern):
        MLPRegressor(**SMALL).fit(X_IRIS, y)


@pytest.mark.parametrize(
    ("params", "pattern"),
    [
        (dict(hidden_layer_sizes=0), r"hidden_layer_sizes must be a positive integer"),
        (dict(hidden_layer_sizes=(5, -1)), r"hidden_layer_sizes must be"),
        (dict(hidden_layer_sizes="5"), r"hidden_layer_sizes must be"),
        (dict(activation="softplus"), r"activation must be one of .*'logistic'"),
        (dict(learning_rate_init=0), r"learning_rate_init must be a positive finite"),
        (dict(learning_rate_init=np.inf), r"learning_rate_init must be a positive finite"),
        (dict(batch_size=0), r"batch_size must be 'auto', None or a positive integer"),
        (dict(batch_size="full"), r"batch_size must be 'auto'"),
        (dict(max_iter=0), r"max_iter must be a positive integer"),
        (dict(max_iter=2.0), r"max_iter must be a positive integer"),
        (dict(n_iter_no_change=0), r"n_iter_no_change must be a positive integer"),
        (dict(momentum=1.0), r"momentum must be a number in \[0, 1\)"),
        (dict(tol=-1.0), r"tol must be None or a finite number >= 0"),
        (dict(shuffle="yes"), r"shuffle must be True or False"),
        (dict(random_state=-1), r"random_state must be None, a non-negative integer"),
        (dict(early_stopping=True, validation_fraction=1.0), r"validation_fraction must be"),
        (dict(early_stopping=True, validation_fraction=0.001), r"leaves 0 for validation"),
    ],
)
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_bad_parameters_are_reported_by_fit(Estimator, params, pattern):
    model = Estimator(**params)  # stores anything
    with pytest.raises(ValueError, match=pattern):
        model.fit(X_IRIS, Y_IRIS)
    assert not [name for name in vars(model) if name.endswith("_")]


def test_regressor_output_options():
    with pytest.raises(ValueError, match=r"output must be one of \('identity', 'sigmoid'\)"):
        MLPRegressor(output="softmax").fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=r"output='sigmoid' predicts values in \(0, 1\)"):
        MLPRegressor(output="sigmoid").fit(X_IRIS, Y_IRIS)
    model = MLPRegressor(**SMALL, output="sigmoid").fit(X_IRIS, Y_IRIS / 2)
    assert model.network_.output == "sigmoid" and np.all(model.predict(X_IRIS) < 1)
    assert "output" not in MLPClassifier().get_params()


# --- scikit-learn's estimator checks -----------------------------------------------------

# Small and quick. tanh hidden units: the checks fit unscaled targets in the hundreds and
# inputs around 100, which relu units with the default step turn into a DivergenceError.
CHECKED = [
    MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", max_iter=30),
    MLPRegressor(hidden_layer_sizes=(5,), activation="tanh", max_iter=30, batch_size=20),
]


def expected_failed_checks(estimator):
    """The checks these estimators cannot pass, with the reason: none at present.

    scikit-learn itself skips four checks here (reported as skipped by pytest -rs):
    ``check_classifier_data_not_an_array`` and ``check_regressor_data_not_an_array`` when
    pandas is not installed (fastbp does not need it), and ``check_array_api_input`` for
    each estimator unless SCIPY_ARRAY_API=1 is set (fastbp computes with NumPy arrays only).
    """
    return {}


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
    search = GridSearchCV(MLPClassifier(max_iter=100, random_state=0), grid, cv=3)
    search.fit(X_IRIS, Y_IRIS)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.8 and search.best_estimator_.n_features_in_ == 4
