"""Numba kernels, one module per strategy (rung) of the gradient ladder.

Shipped as ``fastbp.kernels``. Kernels trust their inputs: C-contiguous floating arrays of
one dtype and consistent shapes. ``fastbp`` validates before calling them. Every kernel is an
``@njit`` dispatcher whose ``.py_func`` is the same source run as plain Python/NumPy; helpers
are ``register_jitable`` so that the plain twin stays plain all the way down.
"""
