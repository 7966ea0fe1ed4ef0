"""The public functions: the classic course API (same names, argument order and signs).

Every function validates its arrays (``fastbp._validation``) and then calls one kernel of the
chosen rung. ``rung=None`` picks the fastest compiled rung for the shape
(``fastbp.registry.choose_rung``); ``compiled=False`` runs the same rung as plain Python.
Results have the input's float dtype (float32 only if every floating input is float32).

A call whose arrays are already what the kernels take (``_validation.ready_key``: C-contiguous,
writeable, one float dtype) looks up a plan by the arrays' shapes and dtype, the rung and the
mode: the kernel to call, found once when the full check first passed for that key. Only
finiteness is checked again on every call, inside the kernel where it can be (``narrow``'s
gradients make the cost NaN for a non-finite input), else by one compiled pass. The rung
that ``rung=None`` picks is thus remembered per shape; where it depends on the thread count
(``registry.depends_on_threads``), per shape and per whether more than one thread may be
used, which is read on every call (``threads.budget``, about 2 µs).

Arrays in GPU memory (``__cuda_array_interface__``: CuPy, PyTorch CUDA tensors, numba device
arrays) go to rung ``cuda`` without a copy (``_on_device``); their shapes and dtype are
checked, their values only by ``gradients`` (a NaN or infinite input makes its cost NaN).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import isfinite
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch
from ._validation import (
    FINITE_HINT,
    check_arrays,
    check_disjoint,
    check_finite_arrays,
    check_labels,
    check_out,
    ready_key,
)
from .registry import (
    Gradients,
    choose_rung_at,
    depends_on_threads,
    get_rung,
    kernel,
    kernel_for,
    log_likelihood,
)
from .threads import budget


class Plan(NamedTuple):
    """What a call with arrays of one key runs: ``kernel``, and whether it reports a
    non-finite input itself (``marks_nonfinite``: through a NaN cost)."""

    kernel: Callable
    marks_nonfinite: bool


class ByThreads(dict):
    """The plans of a key whose rung, with ``rung=None``, depends on the thread count: keyed
    by whether more than one thread may be used (``threads.budget() > 1``)."""


PLANS: dict[tuple, Plan | ByThreads] = {}
GRADIENT_ARGUMENTS = ("X", "T", "W1", "b1", "W2", "b2")
MAX_PLANS = 1024  # forgotten all at once beyond this (a process meeting many shapes)


def _plan(
    key: tuple, function: str, rung: str | None, compiled: bool, N: int, D: int, M: int, K: int
) -> Plan:
    """The plan for ``function`` at these sizes, remembered under ``key`` when the arrays
    were kernel-ready (``key[0]`` is not None); where ``rung=None`` picks a rung that
    depends on the thread count for them, in a ``ByThreads`` under ``key``."""
    several = budget() > 1
    name = choose_rung_at(N, D, M, K, several) if rung is None else get_rung(rung).name
    found = kernel_for(name, function, bool(compiled), D, M, K)
    plan = Plan(found, getattr(kernel(name, function, bool(compiled)), "marks_nonfinite", False))
    if key[0] is not None:
        if len(PLANS) >= MAX_PLANS:
            PLANS.clear()
        if rung is None and depends_on_threads(N, D, M, K):
            by_threads = PLANS.get(key)
            if type(by_threads) is not ByThreads:
                by_threads = ByThreads()
            by_threads[several] = plan
            PLANS[key] = by_threads
        else:
            PLANS[key] = plan
    return plan


def _lookup(key: tuple) -> Plan | None:
    try:
        plan = PLANS.get(key)
    except TypeError:  # an unhashable rung: the full path explains
        return None
    if type(plan) is ByThreads:
        return plan.get(budget() > 1)
    return plan


def _on_device(
    function: str, rung: str | None, compiled: bool, check_finite: bool, named: dict
) -> object:
    """``function`` on arrays of which one at least is on a GPU: all are read there by rung
    ``cuda`` (the others copied there, in the dtype of the first on the GPU), results are
    device arrays (numba's)."""
    if rung not in (None, "cuda"):
        raise ValueError(
            f"arrays on a GPU run on rung='cuda' (or rung=None), got rung={rung!r}: copy them "
            "to the host for a CPU rung"
        )
    cuda_rung = get_rung("cuda")
    cuda_rung.require(compiled)
    arrays, sizes = _dispatch.to_device(cuda_rung.module.require(), named)
    D, M, K = (sizes.get(symbol, 1) for symbol in "DMK")
    result = kernel_for("cuda", function, True, D, M, K)(*arrays.values())
    if function != "gradients":
        return result
    if check_finite and not isfinite(result[-1]):
        raise ValueError(
            f"an input holds NaN or infinity, or the cost overflowed (it is {result[-1]})"
            + FINITE_HINT
        )
    return tuple.__new__(Gradients, result)


def _checked_again(plan: Plan, check_finite: bool, names: str, arrays: tuple) -> None:
    """The check a remembered plan still needs: finiteness (of ``arrays``, called by the
    space-separated ``names``), unless its kernel marks it."""
    if check_finite and not plan.marks_nonfinite:
        check_finite_arrays(dict(zip(names.split(), arrays)), FINITE_HINT)


def forward(
    X: ArrayLike,
    W1: ArrayLike,
    b1: ArrayLike,
    W2: ArrayLike,
    b2: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of the one-hidden-layer network: sigmoid hidden layer, softmax output.

    Z = sigmoid(X @ W1 + b1) and Y = softmax(Z @ W2 + b2) row by row, the softmax computed
    with the row maximum subtracted so that large activations neither overflow nor give NaN.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Inputs.
    W1 : array_like, shape (D, M)
        Hidden-layer weights.
    b1 : array_like, shape (M,)
        Hidden-layer biases.
    W2 : array_like, shape (M, K)
        Output-layer weights.
    b2 : array_like, shape (K,)
        Output-layer biases.
    rung : str or None, default None
        A name in ``fastbp.RUNGS``; None picks the fastest compiled rung for the shape
        (:func:`fastbp.choose_rung`). ``"cuda"`` runs on a CUDA GPU (the ``cuda`` extra);
        arrays already on one (``__cuda_array_interface__``) run there without a copy and
        give numba device arrays.
    compiled : bool, default True
        False runs the same rung as plain Python/NumPy (its ``.py_func``).
    check_finite : bool, default True
        Raise ValueError if an input holds NaN or infinity.

    Returns
    -------
    Y : ndarray, shape (N, K)
        Class probabilities (each row sums to 1); float32 only if every floating input is
        float32, else float64.
    Z : ndarray, shape (N, M)
        Hidden activations, of Y's dtype.

    Raises
    ------
    TypeError
        If an input does not hold real numbers (float32 or float64; int and bool are
        converted).
    ValueError
        If an input has the wrong number of dimensions or an empty one, if shapes disagree
        (the message names the argument, its shape and the one expected), if ``rung`` is
        not a rung's name, or, with ``check_finite``, if an input holds NaN or infinity.
    ImportError, RuntimeError
        With ``rung="cuda"``: without numba-cuda, or without a CUDA GPU.

    See Also
    --------
    gradients : all four gradients and the cost in one call.

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=5)  # X: 15 x 2
    >>> rng = np.random.default_rng(0)
    >>> W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(2, 3), 3, (3, 3), 3])
    >>> Y, Z = fastbp.forward(X, W1, b1, W2, b2)
    >>> Y.shape, Z.shape, Y.dtype
    ((15, 3), (15, 3), dtype('float64'))
    >>> bool(np.allclose(Y.sum(axis=1), 1))
    True
    """
    arrays = (X, W1, b1, W2, b2)
    key = (ready_key(arrays), rung, compiled, "forward")
    plan = _lookup(key)
    if plan is None:
        if _dispatch.on_device(*arrays):
            named = dict(X=X, W1=W1, b1=b1, W2=W2, b2=b2)
            return _on_device("forward", rung, compiled, check_finite, named)
        arrays = check_arrays(check_finite, X=X, W1=W1, b1=b1, W2=W2, b2=b2)
        (N, D), (M, K) = arrays[0].shape, arrays[3].shape
        plan = _plan(key, "forward", rung, compiled, N, D, M, K)
    else:
        _checked_again(plan, check_finite, "X W1 b1 W2 b2", arrays)
    return plan.kernel(*arrays)


def cost(T: ArrayLike, Y: ArrayLike, *, check_finite: bool = True) -> float:
    """The log-likelihood sum(T * log(Y)) of targets T under probabilities Y.

    It is <= 0, and training drives it up, towards 0. Entries where T is 0 are skipped, so
    probabilities that underflowed to 0 give no NaN. Arrays on a GPU are copied to the host
    for it (:func:`gradients` with ``rung="cuda"`` computes the cost on the GPU).

    Parameters
    ----------
    T : array_like, shape (N, K)
        One-hot targets.
    Y : array_like, shape (N, K)
        Predicted probabilities, as from :func:`forward`.
    check_finite : bool, default True
        Raise ValueError if an input holds NaN or infinity.

    Returns
    -------
    float
        The log-likelihood.

    Raises
    ------
    TypeError
        If an input does not hold real numbers.
    ValueError
        If a shape is wrong or the two disagree, or, with ``check_finite``, if an input holds
        NaN or infinity.

    Examples
    --------
    >>> import fastbp
    >>> T = [[1, 0], [0, 1]]
    >>> Y = [[0.5, 0.5], [0.25, 0.75]]
    >>> round(fastbp.cost(T, Y), 6)  # log(0.5) + log(0.75)
    -0.980829
    >>> fastbp.cost(T, [[1.0, 0.0], [0.0, 1.0]])  # a 0 where T is 0 counts nothing
    0.0
    """
    if _dispatch.on_device(T, Y):  # copied back: gradients(...).cost is the GPU's
        cuda_kernels = get_rung("cuda").module
        cuda = cuda_kernels.require()
        T, Y = (cuda_kernels.to_device(cuda, a).copy_to_host() for a in (T, Y))
    T, Y = check_arrays(check_finite, T=T, Y=Y)
    return log_likelihood(T, Y)


def classification_rate(Y: ArrayLike, P: ArrayLike) -> float:
    """The fraction of positions where the label arrays Y and P agree.

    Parameters
    ----------
    Y : array_like, shape (N,)
        Labels, such as the targets' classes.
    P : array_like, shape (N,)
        Labels, such as the predicted classes ``np.argmax(probabilities, axis=1)``.

    Returns
    -------
    float
        The fraction of agreeing positions, in [0, 1].

    Raises
    ------
    TypeError
        If an array does not hold integer class labels (floats must be whole numbers).
    ValueError
        If an array is not 1-D and non-empty, or the two lengths differ.

    Examples
    --------
    >>> import fastbp
    >>> fastbp.classification_rate([0, 1, 2, 2], [0, 1, 1, 2])
    0.75
    """
    Y, P = check_labels("Y", Y), check_labels("P", P)
    if Y.shape != P.shape:
        raise ValueError(f"Y and P must have the same length, got {Y.shape[0]} and {P.shape[0]}")
    return float(np.mean(Y == P))


def derivative_w2(
    Z: ArrayLike,
    T: ArrayLike,
    Y: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Gradient of the log-likelihood with respect to W2: Z.T @ (T - Y).

    The classic code's sign: a gradient ASCENT direction of the log-likelihood
    (:func:`cost`), so training adds it, ``P += learning_rate * dP``.

    Parameters
    ----------
    Z : array_like, shape (N, M)
        Hidden activations, as from :func:`forward`.
    T : array_like, shape (N, K)
        One-hot targets.
    Y : array_like, shape (N, K)
        Output probabilities, as from :func:`forward`.
    rung : str or None, default None
        A name in ``fastbp.RUNGS``; None picks the fastest compiled rung for the shape
        (:func:`fastbp.choose_rung`). ``"cuda"`` runs on a CUDA GPU (the ``cuda`` extra);
        arrays already on one (``__cuda_array_interface__``) run there without a copy and
        give numba device arrays.
    compiled : bool, default True
        False runs the same rung as plain Python/NumPy (its ``.py_func``).
    check_finite : bool, default True
        Raise ValueError if an input holds NaN or infinity.

    Returns
    -------
    ndarray, shape (M, K)
        The gradient, in the inputs' float dtype.

    Raises
    ------
    TypeError
        If an input does not hold real numbers (float32 or float64; int and bool are
        converted).
    ValueError
        If an input has the wrong number of dimensions or an empty one, if shapes disagree
        (the message names the argument, its shape and the one expected), if ``rung`` is
        not a rung's name, or, with ``check_finite``, if an input holds NaN or infinity.
    ImportError, RuntimeError
        With ``rung="cuda"``: without numba-cuda, or without a CUDA GPU.

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=5)  # X: 15 x 2
    >>> T = fastbp.datasets.one_hot(labels, 3)  # 15 x 3
    >>> rng = np.random.default_rng(0)
    >>> W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(2, 3), 3, (3, 3), 3])
    >>> Y, Z = fastbp.forward(X, W1, b1, W2, b2)
    >>> dW2 = fastbp.derivative_w2(Z, T, Y)
    >>> dW2.shape, bool(np.allclose(dW2, Z.T @ (T - Y)))
    ((3, 3), True)
    >>> Y_up, _ = fastbp.forward(X, W1, b1, W2 + 1e-3 * dW2, b2)  # an ascent step
    >>> fastbp.cost(T, Y_up) > fastbp.cost(T, Y)
    True
    """
    arrays = (Z, T, Y)
    key = (ready_key(arrays), rung, compiled, "derivative_w2")
    plan = _lookup(key)
    if plan is None:
        if _dispatch.on_device(*arrays):
            return _on_device("derivative_w2", rung, compiled, check_finite, dict(Z=Z, T=T, Y=Y))
        arrays = check_arrays(check_finite, Z=Z, T=T, Y=Y)
        (N, M), K = arrays[0].shape, arrays[1].shape[1]
        plan = _plan(key, "derivative_w2", rung, compiled, N, 1, M, K)
    else:
        _checked_again(plan, check_finite, "Z T Y", arrays)
    return plan.kernel(*arrays)


def derivative_b2(
    T: ArrayLike,
    Y: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Gradient of the log-likelihood with respect to b2: (T - Y).sum(axis=0).

    The classic code's sign: a gradient ASCENT direction of the log-likelihood
    (:func:`cost`), so training adds it, ``P += learning_rate * dP``.

    Parameters
    ----------
    T : array_like, shape (N, K)
        One-hot targets.
    Y : array_like, shape (N, K)
        Output probabilities, as from :func:`forward`.
    rung : str or None, default None
        A name in ``fastbp.RUNGS``; None picks the fastest compiled rung for the shape
        (:func:`fastbp.choose_rung`). ``"cuda"`` runs on a CUDA GPU (the ``cuda`` extra);
        arrays already on one (``__cuda_array_interface__``) run there without a copy and
        give numba device arrays.
    compiled : bool, default True
        False runs the same rung as plain Python/NumPy (its ``.py_func``).
    check_finite : bool, default True
        Raise ValueError if an input holds NaN or infinity.

    Returns
    -------
    ndarray, shape (K,)
        The gradient, in the inputs' float dtype.

    Raises
    ------
    TypeError
        If an input does not hold real numbers (float32 or float64; int and bool are
        converted).
    ValueError
        If an input has the wrong number of dimensions or an empty one, if shapes disagree
        (the message names the argument, its shape and the one expected), if ``rung`` is
        not a rung's name, or, with ``check_finite``, if an input holds NaN or infinity.
    ImportError, RuntimeError
        With ``rung="cuda"``: without numba-cuda, or without a CUDA GPU.

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> T = np.array([[1, 0], [0, 1], [0, 1]])
    >>> Y = np.array([[0.75, 0.25], [0.5, 0.5], [0.25, 0.75]])
    >>> fastbp.derivative_b2(T, Y)
    array([-0.5,  0.5])
    """
    arrays = (T, Y)
    key = (ready_key(arrays), rung, compiled, "derivative_b2")
    plan = _lookup(key)
    if plan is None:
        if _dispatch.on_device(*arrays):
            return _on_device("derivative_b2", rung, compiled, check_finite, dict(T=T, Y=Y))
        arrays = check_arrays(check_finite, T=T, Y=Y)
        N, K = arrays[0].shape
        plan = _plan(key, "derivative_b2", rung, compiled, N, 1, 1, K)
    else:
        _checked_again(plan, check_finite, "T Y", arrays)
    return plan.kernel(*arrays)


def derivative_w1(
    X: ArrayLike,
    Z: ArrayLike,
    T: ArrayLike,
    Y: ArrayLike,
    W2: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Gradient of the log-likelihood with respect to W1: X.T @ dZ.

    Here dZ = ((T - Y) @ W2.T) * Z * (1 - Z), the output error carried back through
    W2 and the sigmoid's derivative.

    The classic code's sign: a gradient ASCENT direction of the log-likelihood
    (:func:`cost`), so training adds it, ``P += learning_rate * dP``.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Inputs.
    Z : array_like, shape (N, M)
        Hidden activations, as from :func:`forward`.
    T : array_like, shape (N, K)
        One-hot targets.
    Y : array_like, shape (N, K)
        Output probabilities, as from :func:`forward`.
    W2 : array_like, shape (M, K)
        Output-layer weights.
    rung : str or None, default None
        A name in ``fastbp.RUNGS``; None picks the fastest compiled rung for the shape
        (:func:`fastbp.choose_rung`). ``"cuda"`` runs on a CUDA GPU (the ``cuda`` extra);
        arrays already on one (``__cuda_array_interface__``) run there without a copy and
        give numba device arrays.
    compiled : bool, default True
        False runs the same rung as plain Python/NumPy (its ``.py_func``).
    check_finite : bool, default True
        Raise ValueError if an input holds NaN or infinity.

    Returns
    -------
    ndarray, shape (D, M)
        The gradient, in the inputs' float dtype.

    Raises
    ------
    TypeError
        If an input does not hold real numbers (float32 or float64; int and bool are
        converted).
    ValueError
        If an input has the wrong number of dimensions or an empty one, if shapes disagree
        (the message names the argument, its shape and the one expected), if ``rung`` is
        not a rung's name, or, with ``check_finite``, if an input holds NaN or infinity.
    ImportError, RuntimeError
        With ``rung="cuda"``: without numba-cuda, or without a CUDA GPU.

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=5)  # X: 15 x 2
    >>> T = fastbp.datasets.one_hot(labels, 3)  # 15 x 3
    >>> rng = np.random.default_rng(0)
    >>> W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(2, 3), 3, (3, 3), 3])
    >>> Y, Z = fastbp.forward(X, W1, b1, W2, b2)
    >>> dW1 = fastbp.derivative_w1(X, Z, T, Y, W2)
    >>> dW1.shape, bool(np.allclose(dW1, X.T @ (((T - Y) @ W2.T) * Z * (1 - Z))))
    ((2, 3), True)
    """
    arrays = (X, Z, T, Y, W2)
    key = (ready_key(arrays), rung, compiled, "derivative_w1")
    plan = _lookup(key)
    if plan is None:
        if _dispatch.on_device(*arrays):
            named = dict(X=X, Z=Z, T=T, Y=Y, W2=W2)
            return _on_device("derivative_w1", rung, compiled, check_finite, named)
        arrays = check_arrays(check_finite, X=X, Z=Z, T=T, Y=Y, W2=W2)
        (N, D), (M, K) = arrays[0].shape, arrays[4].shape
        plan = _plan(key, "derivative_w1", rung, compiled, N, D, M, K)
    else:
        _checked_again(plan, check_finite, "X Z T Y W2", arrays)
    return plan.kernel(*arrays)


def derivative_b1(
    T: ArrayLike,
    Y: ArrayLike,
    W2: ArrayLike,
    Z: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Gradient of the log-likelihood with respect to b1: dZ.sum(axis=0).

    Here dZ = ((T - Y) @ W2.T) * Z * (1 - Z), as in :func:`derivative_w1`.

    The classic code's sign: a gradient ASCENT direction of the log-likelihood
    (:func:`cost`), so training adds it, ``P += learning_rate * dP``.

    Parameters
    ----------
    T : array_like, shape (N, K)
        One-hot targets.
    Y : array_like, shape (N, K)
        Output probabilities, as from :func:`forward`.
    W2 : array_like, shape (M, K)
        Output-layer weights.
    Z : array_like, shape (N, M)
        Hidden activations, as from :func:`forward`.
    rung : str or None, default None
        A name in ``fastbp.RUNGS``; None picks the fastest compiled rung for the shape
        (:func:`fastbp.choose_rung`). ``"cuda"`` runs on a CUDA GPU (the ``cuda`` extra);
        arrays already on one (``__cuda_array_interface__``) run there without a copy and
        give numba device arrays.
    compiled : bool, default True
        False runs the same rung as plain Python/NumPy (its ``.py_func``).
    check_finite : bool, default True
        Raise ValueError if an input holds NaN or infinity.

    Returns
    -------
    ndarray, shape (M,)
        The gradient, in the inputs' float dtype.

    Raises
    ------
    TypeError
        If an input does not hold real numbers (float32 or float64; int and bool are
        converted).
    ValueError
        If an input has the wrong number of dimensions or an empty one, if shapes disagree
        (the message names the argument, its shape and the one expected), if ``rung`` is
        not a rung's name, or, with ``check_finite``, if an input holds NaN or infinity.
    ImportError, RuntimeError
        With ``rung="cuda"``: without numba-cuda, or without a CUDA GPU.

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=5)  # X: 15 x 2
    >>> T = fastbp.datasets.one_hot(labels, 3)  # 15 x 3
    >>> rng = np.random.default_rng(0)
    >>> W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(2, 3), 3, (3, 3), 3])
    >>> Y, Z = fastbp.forward(X, W1, b1, W2, b2)
    >>> db1 = fastbp.derivative_b1(T, Y, W2, Z)
    >>> db1.shape, bool(np.allclose(db1, (((T - Y) @ W2.T) * Z * (1 - Z)).sum(axis=0)))
    ((3,), True)
    """
    arrays = (T, Y, W2, Z)
    key = (ready_key(arrays), rung, compiled, "derivative_b1")
    plan = _lookup(key)
    if plan is None:
        if _dispatch.on_device(*arrays):
            named = dict(T=T, Y=Y, W2=W2, Z=Z)
            return _on_device("derivative_b1", rung, compiled, check_finite, named)
        arrays = check_arrays(check_finite, T=T, Y=Y, W2=W2, Z=Z)
        (N, K), M = arrays[0].shape, arrays[2].shape[0]
        plan = _plan(key, "derivative_b1", rung, compiled, N, 1, M, K)
    else:
        _checked_again(plan, check_finite, "T Y W2 Z", arrays)
    return plan.kernel(*arrays)


def gradients(
    X: ArrayLike,
    T: ArrayLike,
    W1: ArrayLike,
    b1: ArrayLike,
    W2: ArrayLike,
    b2: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
    out: Sequence[np.ndarray] | None = None,
) -> Gradients:
    """All four gradients of the log-likelihood and the log-likelihood itself, from one call.

    Each gradient is what the ``derivative_*`` function returns on
    ``forward(X, W1, b1, W2, b2)``: a gradient ASCENT direction, all from the same
    parameters. A fused rung computes them in one pass without the N x M and N x K
    intermediates. Dask arrays X and T, chunked along the samples, give the same sums,
    computed chunk by chunk where the chunks are (``fastbp.distributed.gradients``;
    ``compute=False`` there for a lazy result).

    Parameters
    ----------
    X : array_like, shape (N, D)
        Inputs (NumPy or, chunked along the samples, Dask).
    T : array_like, shape (N, K)
        One-hot targets (as X).
    W1 : array_like, shape (D, M)
        Hidden-layer weights.
    b1 : array_like, shape (M,)
        Hidden-layer biases.
    W2 : array_like, shape (M, K)
        Output-layer weights.
    b2 : array_like, shape (K,)
        Output-layer biases.
    rung : str or None, default None
        A name in ``fastbp.RUNGS``; None picks the fastest compiled rung for the shape
        (:func:`fastbp.choose_rung`). ``"cuda"`` runs on a CUDA GPU (the ``cuda`` extra);
        arrays already on one (``__cuda_array_interface__``) run there without a copy and
        give numba device arrays.
    compiled : bool, default True
        False runs the same rung as plain Python/NumPy (its ``.py_func``).
    check_finite : bool, default True
        Raise ValueError if an input holds NaN or infinity.
    out : sequence of four ndarrays, optional
        Arrays (dW1, db1, dW2, db2) of the result's shapes and dtype, C-contiguous,
        writeable and not overlapping, that receive the gradients and are returned in the
        result: no new arrays, for loops of small steps (NumPy arrays only). They may be
        the parameters themselves (every rung reads its inputs before it writes); after an
        error their contents are unspecified.

    Returns
    -------
    Gradients
        ``Gradients(dW1 (D, M), db1 (M,), dW2 (M, K), db2 (K,), cost)``, cost =
        sum(T * log(Y)) as from :func:`cost`.

    Raises
    ------
    TypeError
        If an input does not hold real numbers, or ``out`` is not four NumPy arrays of the
        result's dtype (or is given with Dask arrays).
    ValueError
        If a shape is wrong or two disagree, if ``rung`` is not a rung's name, if an array
        of ``out`` has the wrong shape, is not C-contiguous and writeable, or overlaps
        another, or, with ``check_finite``, if an input holds NaN or infinity.
    ImportError, RuntimeError
        With ``rung="cuda"``: without numba-cuda, or without a CUDA GPU.

    See Also
    --------
    train : full-batch gradient ascent with these gradients.

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=5)  # X: 15 x 2
    >>> T = fastbp.datasets.one_hot(labels, 3)  # 15 x 3
    >>> rng = np.random.default_rng(0)
    >>> W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(2, 3), 3, (3, 3), 3])
    >>> g = fastbp.gradients(X, T, W1, b1, W2, b2)
    >>> g.dW1.shape, g.db1.shape, g.dW2.shape, g.db2.shape
    ((2, 3), (3,), (3, 3), (3,))
    >>> Y, Z = fastbp.forward(X, W1, b1, W2, b2)
    >>> bool(np.allclose(g.dW2, Z.T @ (T - Y))), bool(np.isclose(g.cost, fastbp.cost(T, Y)))
    (True, True)

    Writing into given arrays (allocated once, outside a loop of steps):

    >>> out = [np.empty_like(p) for p in (W1, b1, W2, b2)]
    >>> g_out = fastbp.gradients(X, T, W1, b1, W2, b2, out=out)
    >>> g_out.dW1 is out[0], bool(np.allclose(g_out.dW1, g.dW1))
    (True, True)
    """
    arrays = (X, T, W1, b1, W2, b2)
    if out is not None:
        return _gradients_into(arrays, out, rung, compiled, check_finite)
    key = (ready_key(arrays), rung, compiled, "gradients")
    try:  # _lookup and _checked_again written out: this is the call small steps make
        plan = PLANS.get(key)
    except TypeError:
        plan = None
    if type(plan) is ByThreads:
        plan = plan.get(budget() > 1)
    if plan is None:
        if _dispatch.is_dask(X, T):
            return _dispatch.distributed().gradients(
                X, T, W1, b1, W2, b2, rung=rung, compiled=compiled, check_finite=check_finite
            )
        if _dispatch.on_device(*arrays):
            named = dict(zip(GRADIENT_ARGUMENTS, arrays))
            return _on_device("gradients", rung, compiled, check_finite, named)
        arrays = check_arrays(check_finite, X=X, T=T, W1=W1, b1=b1, W2=W2, b2=b2)
        (N, D), (M, K) = arrays[0].shape, arrays[4].shape
        plan = _plan(key, "gradients", rung, compiled, N, D, M, K)
    elif check_finite and not plan.marks_nonfinite:
        check_finite_arrays(dict(zip(GRADIENT_ARGUMENTS, arrays)), FINITE_HINT)
    dW1, db1, dW2, db2, log_lik = plan.kernel(*arrays)
    if check_finite and plan.marks_nonfinite and not isfinite(log_lik):
        # the NaN may come from an input (or from an overflow): name the input, if any
        check_finite_arrays(dict(zip(GRADIENT_ARGUMENTS, arrays)), FINITE_HINT)
    # tuple.__new__: Gradients(...) less the Python frame of a named tuple's __new__
    return tuple.__new__(Gradients, (dW1, db1, dW2, db2, float(log_lik)))


def _gradients_into(
    arrays: tuple, out: Sequence[np.ndarray], rung: str | None, compiled: bool, check_finite: bool
) -> Gradients:
    """``gradients(*arrays, out=out)``: the rung's ``gradients_into`` kernel writes there."""
    ready = isinstance(out, tuple | list) and len(out) == 4  # else the full check explains
    key = (ready_key((*arrays, *out)) if ready else None, rung, compiled, "gradients_into")
    plan = _lookup(key)
    if plan is None:
        if _dispatch.is_dask(*arrays[:2]):
            raise TypeError("out is for NumPy arrays: Dask arrays X and T return new ones")
        if _dispatch.on_device(*arrays, *(out if ready else ())):
            raise TypeError("out is for NumPy arrays: arrays on a GPU return new ones")
        arrays = check_arrays(check_finite, **dict(zip(GRADIENT_ARGUMENTS, arrays)))
        (N, D), (M, K) = arrays[0].shape, arrays[4].shape
        out = check_out(out, ((D, M), (M,), (M, K), (K,)), arrays[0].dtype)
        plan = _plan(key, "gradients_into", rung, compiled, N, D, M, K)
    elif check_finite and not plan.marks_nonfinite:
        check_finite_arrays(dict(zip(GRADIENT_ARGUMENTS, arrays)), FINITE_HINT)
    check_disjoint(out)
    log_lik = plan.kernel(*arrays, *out)
    if check_finite and plan.marks_nonfinite and not isfinite(log_lik):
        check_finite_arrays(dict(zip(GRADIENT_ARGUMENTS, arrays)), FINITE_HINT)
    return tuple.__new__(Gradients, (*out, float(log_lik)))
