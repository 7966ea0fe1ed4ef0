"""Numba kernels, one module per strategy (rung) of the gradient ladder; the general network
in ``network`` with its tables (``activations``) and products (``layers``); the fused
rungs' register-tiled products in ``tiles``; shared settings and helpers in ``common`` and
``fastmath``; kernels that call another by its address in ``pointers``; the study's floor
(a case's matrix products alone) in ``floor``.

Shipped as ``fastbp.kernels``. Kernels trust their inputs: C-contiguous floating arrays of
one dtype and consistent shapes. ``fastbp`` validates before calling them. Every CPU kernel
is an ``@njit`` dispatcher whose ``.py_func`` is the same source run as plain Python/NumPy
(or a ``pointers.Bound`` one: a dispatcher given the address of another kernel that it
calls); helpers are ``register_jitable`` so that the plain twin stays plain all the way
down. The GPU rung's kernels (``cuda``, numba-cuda) have no plain twin.

Array assignments are written as loops (``for i ...: a[i] = b[i]``), never as slice
assignments (``a[:] = b``, ``a[:] = 0.0``) or in-place array operators: Numba types each of
those with its shape-checking error paths, which made up about 40% of the cold compile of
the ``fused`` gradients (11.9 s with them, 6.8 s without, measured with an empty cache).
"""
