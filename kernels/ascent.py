"""Full-batch gradient ascent on the classic network, many epochs in one call: the inner loop
of ``fastbp.train`` (fastbp's own).

``ascend`` is written once. Run as plain Python it takes any ``gradients_into`` callable: a
rung's plain twin, one composed of a rung's ``gradients`` (``fastbp.registry.kernel``), or
the Dask layer's map-reduce. Compiled (``compiled_for``), it takes a rung's compiled
``gradients_into`` kernel as a first-class function (``pointers``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba
import numpy as np
from numba.extending import overload

from .caching import cached_njit
from .pointers import Bound, KernelPointer


def gradients_at(gradients_into, address, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2):
    """``gradients_into(X, T, ..., db2)``, or ``gradients_into(address, X, T, ..., db2)``
    when ``address`` is not None (a ``pointers.Bound`` kernel, given the address it is
    bound to)."""
    if address is None:
        return gradients_into(X, T, W1, b1, W2, b2, dW1, db1, dW2, db2)
    return gradients_into(address, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2)


@overload(gradients_at)
def _gradients_at_typed(gradients_into, address, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2):
    """``gradients_at`` compiled: the call for ``address``'s type alone (Numba does not
    drop the branch on ``address is None`` for an integer, and would type both calls)."""
    if isinstance(address, numba.types.NoneType | numba.types.Omitted):
        return lambda gradients_into, address, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2: (
            gradients_into(X, T, W1, b1, W2, b2, dW1, db1, dW2, db2)
        )
    return lambda gradients_into, address, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2: gradients_into(
        address, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2
    )


def ascend(gradients_into, X, T, W1, b1, W2, b2, learning_rate, costs, address=None):
    """One epoch per entry of costs (E): cost = gradients_into(X, T, W1, b1, W2, b2, dW1, db1,
    dW2, db2) (``gradients_at``: with ``address`` first when it is not None) writes the
    four gradients at the epoch's parameters into arrays made once per call, then P +=
    learning_rate * dP for each of W1, b1, W2, b2, in place; costs[e] is epoch e's cost (the
    log-likelihood before its update). Stops at the first non-finite cost, before its
    update. Returns the epochs completed. learning_rate: a scalar of the parameters' dtype
    (so the step is taken in that dtype)."""
    dW1, db1, dW2, db2 = np.empty_like(W1), np.empty_like(b1), np.empty_like(W2), np.empty_like(b2)
    for epoch in range(costs.shape[0]):
        db2[0] = np.nan  # kept by a compiled kernel that raised (``compiled_for``)
        cost = gradients_at(gradients_into, address, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2)
        if cost == 0.0 and math.isnan(db2[0]):
            raise RuntimeError("the gradients kernel failed: its error is printed above")
        costs[epoch] = cost
        if not np.isfinite(cost):
            return epoch
        W1 += learning_rate * dW1
        b1 += learning_rate * db1
        W2 += learning_rate * dW2
        b2 += learning_rate * db2
    return costs.shape[0]


_COMPILED = cached_njit(error_model="numpy")(ascend)


def compiled_for(gradients_into) -> Callable:
    """``ascend(X, T, W1, b1, W2, b2, learning_rate, costs)`` compiled, with the compiled
    ``gradients_into`` kernel (a Numba dispatcher, or a ``pointers.Bound`` one) in place of
    the first parameter.

    The kernel reaches the compiled loop as a first-class function (``pointers.KernelPointer``):
    a pointer that the loop calls, not code linked into it (a ``Bound`` kernel's with the
    address it is bound to). So the loop is compiled once per dtype for every rung, in
    about half a second, and cached on disk. A dispatcher passed as itself would be typed
    as that dispatcher, linked into the loop and optimised again by LLVM: 0.6-1.6 s more
    for a rung's first ``train`` after its ``gradients`` (measured here with numba 0.68;
    the results are the same bit for bit, and each epoch takes as long within 2%).

    Through the pointer's C wrapper an exception inside the kernel (a failed allocation; an
    index out of bounds under ``NUMBA_BOUNDSCHECK``) is printed, not raised, and the kernel
    returns 0.0 without writing the gradients: ``ascend`` raises a RuntimeError then. (A
    kernel that succeeds with a cost of exactly 0 has every sample's probability of its
    class at 1, so its gradients are 0, not NaN.)
    """
    found: dict[tuple, tuple] = {}  # by the arrays' dtypes: the pointers to pass

    def run(X, T, W1, b1, W2, b2, learning_rate, costs):
        arrays = (X, T, W1, b1, W2, b2)
        key = tuple(array.dtype for array in arrays)
        if key not in found:  # the gradients are written into arrays like the parameters
            outputs = (*arrays, *arrays[2:])
            if isinstance(gradients_into, Bound):
                address = gradients_into.address(*outputs)
                kernel = KernelPointer(gradients_into.kernel, (address, *outputs))
                found[key] = kernel, address
            else:
                found[key] = KernelPointer(gradients_into, outputs), None
        kernel, address = found[key]
        return _COMPILED(kernel, *arrays, learning_rate, costs, address)

    return run
