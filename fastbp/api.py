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
that ``rung=None`` picks is thus remembered per shape, except where it depends on the
thread count (``registry.depends_on_threads``): that is read again on every call.
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
    choose_rung,
    depends_on_threads,
    get_rung,
    kernel,
    kernel_for,
    log_likelihood,
)


class Plan(NamedTuple):
    """What a call with arrays of one key runs: ``kernel``, and whether it reports a
    non-finite input itself (``marks_nonfinite``: through a NaN cost)."""

    kernel: Callable
    marks_nonfinite: bool


PLANS: dict[tuple, Plan] = {}
GRADIENT_ARGUMENTS = ("X", "T", "W1", "b1", "W2", "b2")
MAX_PLANS = 1024  # forgotten all at once beyond this (a process meeting many shapes)


def _plan(
    key: tuple, function: str, rung: str | None, compiled: bool, N: int, D: int, M: int, K: int
) -> Plan:
    """The plan for ``function`` at these sizes, remembered under ``key`` when the arrays
    were kernel-ready (``key[0]`` is not None), unless ``rung=None`` picks a rung that
    depends on the thread count for them (then the choice is made on every call: such
    shapes are large, and the full check costs little beside their kernel)."""
    name = choose_rung(N, D, M, K) if rung is None else get_rung(rung).name
    found = kernel_for(name, function, bool(compiled), D, M, K)
    plan = Plan(found, getattr(kernel(name, function, bool(compiled)), "marks_nonfinite", False))
    if key[0] is not None and (rung is not None or not depends_on_threads(N, D, M, K)):
        if len(PLANS) >= MAX_PLANS:
            PLANS.clear()
        PLANS[key] = plan
    return plan


def _lookup(key: tuple) -> Plan | None:
    try:
        return PLANS.get(key)
    except TypeError:  # an unhashable rung: the full path explains
        return None


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
    """Forward pass: returns (Y, Z).

    Z = sigmoid(X @ W1 + b1) (N x M); Y = softmax(Z @ W2 + b2) row by row (N x K), computed
    with the row maximum subtracted so that large activations neither overflow nor give NaN.
    X: N x D, W1: D x M, b1: M, W2: M x K, b2: K.
    """
    arrays = (X, W1, b1, W2, b2)
    key = (ready_key(arrays), rung, compiled, "forward")
    plan = _lookup(key)
    if plan is None:
        arrays = check_arrays(check_finite, X=X, W1=W1, b1=b1, W2=W2, b2=b2)
        (N, D), (M, K) = arrays[0].shape, arrays[3].shape
        plan = _plan(key, "forward", rung, compiled, N, D, M, K)
    else:
        _checked_again(plan, check_finite, "X W1 b1 W2 b2", arrays)
    return plan.kernel(*arrays)


def cost(T: ArrayLike, Y: ArrayLike, *, check_finite: bool = True) -> float:
    """Log-likelihood sum(T * log(Y)) (<= 0; training drives it up). T, Y: N x K.

    Entries where T is 0 are skipped, so probabilities that underflowed to 0 give no NaN.
    """
    T, Y = check_arrays(check_finite, T=T, Y=Y)
    return log_likelihood(T, Y)


def classification_rate(Y: ArrayLike, P: ArrayLike) -> float:
    """Fraction of positions where the label arrays Y and P (both length N) agree."""
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
    """Gradient of the log-likelihood w.r.t. W2: Z.T @ (T - Y) (M x K). Z: N x M; T, Y: N x K."""
    arrays = (Z, T, Y)
    key = (ready_key(arrays), rung, compiled, "derivative_w2")
    plan = _lookup(key)
    if plan is None:
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
    """Gradient w.r.t. b2: (T - Y).sum(axis=0) (K). T, Y: N x K."""
    arrays = (T, Y)
    key = (ready_key(arrays), rung, compiled, "derivative_b2")
    plan = _lookup(key)
    if plan is None:
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
    """Gradient w.r.t. W1: X.T @ dZ, dZ = ((T - Y) @ W2.T) * Z * (1 - Z) (D x M).

    X: N x D, Z: N x M, T, Y: N x K, W2: M x K.
    """
    arrays = (X, Z, T, Y, W2)
    key = (ready_key(arrays), rung, compiled, "derivative_w1")
    plan = _lookup(key)
    if plan is None:
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
    """Gradient w.r.t. b1: dZ.sum(axis=0), dZ = ((T - Y) @ W2.T) * Z * (1 - Z) (M).

    T, Y: N x K, W2: M x K, Z: N x M.
    """
    arrays = (T, Y, W2, Z)
    key = (ready_key(arrays), rung, compiled, "derivative_b1")
    plan = _lookup(key)
    if plan is None:
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
    """All four gradients and the cost at these parameters, from one call.

    Returns Gradients(dW1 (D x M), db1 (M), dW2 (M x K), db2 (K), cost = sum(T * log Y)),
    each as from the derivative_* functions on forward(X, W1, b1, W2, b2). A fused rung
    computes them in one pass without the N x M and N x K intermediates. Dask arrays X and
    T, chunked along the samples, give the same sums, computed chunk by chunk where the
    chunks are (``fastbp.distributed.gradients``; ``compute=False`` there for a lazy one).

    ``out``: four arrays (dW1, db1, dW2, db2) of the result's shapes and dtype, C-contiguous,
    writeable and not overlapping, that receive the gradients and are returned in the
    result: no new arrays, for loops of small steps (NumPy arrays only). They may be the
    parameters themselves (every rung reads its inputs before it writes); after an error
    their contents are unspecified.
    """
    arrays = (X, T, W1, b1, W2, b2)
    if out is not None:
        return _gradients_into(arrays, out, rung, compiled, check_finite)
    key = (ready_key(arrays), rung, compiled, "gradients")
    try:  # _lookup and _checked_again written out: this is the call small steps make
        plan = PLANS.get(key)
    except TypeError:
        plan = None
    if plan is None:
        if _dispatch.is_dask(X, T):
            return _dispatch.distributed().gradients(
                X, T, W1, b1, W2, b2, rung=rung, compiled=compiled, check_finite=check_finite
            )
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
