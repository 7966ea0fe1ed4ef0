"""Compiled kernels as first-class functions: called through a pointer, not linked in.

Numba links a kernel's callees into it and LLVM optimises the whole again, at every level
of calls: the ``parallel`` rung's pass over a chunk of samples (``fused.gradient_blocks``,
5-6 s to compile) was optimised four more times inside the layers that Numba wraps around a
``prange`` loop, and once more in ``fused``'s own gradients kernel. A kernel that takes that
pass as a first-class function (``Bound``) calls it through its address instead: the pass
is compiled and cached once, for both rungs, and each caller compiles in about a second.

Through its C wrapper, an exception inside the called kernel (a failed allocation; an index
out of bounds under ``NUMBA_BOUNDSCHECK``) is printed, not raised, and the call returns 0:
a caller learns of it from a mark that the kernel writes last (``fused.gradient_blocks``).
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np


class KernelPointer:
    """A compiled kernel as a first-class function: typed by Numba (``_numba_type_``) as the
    function type of its signature for ``arguments``, and called through its C wrapper's
    address (Numba's wrapper address protocol), looked up once. A dispatcher passed as such
    a function instead has its addresses looked up on every call (34 µs here)."""

    def __init__(self, kernel, arguments: tuple) -> None:
        argument_types = tuple(map(numba.typeof, arguments))
        kernel.compile(argument_types)  # or finds it compiled, or loads it from the cache
        result = kernel.overloads[argument_types]
        self._numba_type_ = numba.types.FunctionType(result.signature)
        self._address = result.library.get_pointer_to_function(
            result.fndesc.llvm_cfunc_wrapper_name
        )

    def __wrapper_address__(self) -> int:
        return self._address


class Bound:
    """``kernel`` with its first parameter bound to the compiled ``function``: called with
    the other arguments (C-contiguous, writeable arrays of one dtype, as fastbp's boundary
    makes them), it runs ``kernel(pointer, *arrays)``, the pointer (``KernelPointer``) made
    once per dtype from the arguments that ``example(*arrays)`` gives. ``py_func`` is the
    same in plain Python (``kernel.py_func`` given ``function.py_func``)."""

    def __init__(self, kernel, function, example: Callable[..., tuple]) -> None:
        self.kernel, self.function, self.example = kernel, function, example
        self.__name__ = self.__qualname__ = kernel.__name__
        self.__doc__ = kernel.__doc__
        self._pointers: dict[np.dtype, KernelPointer] = {}

    def pointer(self, *arrays: np.ndarray) -> KernelPointer:
        """The pointer to ``function`` compiled for arrays of this dtype."""
        pointer = self._pointers.get(arrays[0].dtype)
        if pointer is None:
            pointer = KernelPointer(self.function, self.example(*arrays))
            self._pointers[arrays[0].dtype] = pointer
        return pointer

    @property
    def signatures(self) -> list:
        """The signatures compiled so far, the bound function's and the kernel's (as a
        dispatcher's)."""
        return [*self.function.signatures, *self.kernel.signatures]

    def __call__(self, *arrays: np.ndarray):
        return self.kernel(self.pointer(*arrays), *arrays)

    def py_func(self, *arrays: np.ndarray):
        return self.kernel.py_func(self.function.py_func, *arrays)
