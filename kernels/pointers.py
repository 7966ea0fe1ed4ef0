"""Compiled kernels called through their address, not linked in.

Numba links a kernel's callees into it and LLVM optimises the whole again, at every level
of calls: the ``parallel`` rung's pass over a chunk of samples (``fused.gradient_blocks``,
5-6 s to compile) was optimised four more times inside the layers that Numba wraps around a
``prange`` loop, and once more in ``fused``'s own gradients kernel. A kernel given that
pass's address instead (``Bound``) calls it there (``call_at``): the pass is compiled and
cached once, for both rungs, and each caller compiles in about a second.

The address is a plain integer argument, so a call costs what any call of a kernel costs
(a first-class function argument cost 5.5 µs more a call: Numba looks its addresses up in
Python each time), and the kernel's cached machine code does not depend on it. The call
follows Numba's own convention, so an exception inside the called kernel propagates as
from any callee.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic, overload


class KernelPointer:
    """A compiled kernel as a first-class function: typed by Numba (``_numba_type_``) as the
    function type of its signature for ``arguments``, and called through its C wrapper's
    address (Numba's wrapper address protocol), looked up once. A dispatcher passed as such
    a function instead has its addresses looked up on every call (34 µs here). Through the
    C wrapper an exception inside the kernel is printed, not raised, and the call returns
    0 (``kernels.ascent`` checks for it)."""

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


def address_of(kernel, arguments: tuple) -> int:
    """The address of ``kernel`` (a Numba dispatcher returning None) compiled for the types
    of ``arguments``, to call with ``call_at``."""
    argument_types = tuple(map(numba.typeof, arguments))
    kernel.compile(argument_types)  # or finds it compiled, or loads it from the cache
    result = kernel.overloads[argument_types]
    if result.signature.return_type != types.none:
        raise TypeError(f"{kernel.__name__} must return None, not {result.signature}")
    return result.library.get_pointer_to_function(result.fndesc.llvm_func_name)


def call_at(address, arguments):
    """``function(*arguments)``, for the kernel whose address ``address`` is (``address_of``).

    Compiled (``_call_address``), the call follows Numba's calling convention, so an
    exception the kernel raises propagates. The kernel must have been compiled for exactly
    these argument types (one compiled for others would read them wrongly): ``Bound``
    compiles it for what its ``example`` gives, written beside the kernel that calls it. In
    plain Python, ``address`` is the function itself (``Bound.py_func``)."""
    address(*arguments)


@intrinsic
def _call_address(typingctx, address, arguments):
    """``call_at`` compiled: the call through the address, propagating an exception."""
    if not isinstance(address, types.Integer) or not isinstance(arguments, types.BaseTuple):
        return None
    argument_types = tuple(map(types.unliteral, arguments.types))

    def codegen(context, builder, signature, values):
        address_value, tuple_value = values
        items = [builder.extract_value(tuple_value, i) for i in range(len(argument_types))]
        function_type = context.call_conv.get_function_type(types.none, argument_types)
        raw = builder.inttoptr(address_value, cgutils.voidptr_t)
        callee = builder.bitcast(raw, function_type.as_pointer())
        status, _ = context.call_conv.call_function(
            builder, callee, types.none, argument_types, items
        )
        with cgutils.if_unlikely(builder, status.is_error):
            context.call_conv.return_status_propagate(builder, status)
        return context.get_dummy_value()

    return types.none(address, arguments), codegen


@overload(call_at)
def _call_at_compiled(address, arguments):
    if isinstance(address, types.Integer):
        return lambda address, arguments: _call_address(address, arguments)
    return None


class Bound:
    """``kernel`` with its first parameter bound to the address of the compiled
    ``function``: called with the other arguments (C-contiguous arrays of one dtype, as
    fastbp's boundary makes them), it runs ``kernel(address, *arrays)``, the address
    (``address_of``) taken once per dtype, for the arguments that ``example(*arrays)``
    gives: those that ``kernel`` passes ``function`` (``call_at``). ``py_func`` is the same
    in plain Python: ``kernel.py_func`` given ``function.py_func``, which ``call_at`` then
    calls. ``marks``: whether the kernel's result (a cost) is NaN when an input holds NaN
    or infinity (read as ``marks_nonfinite`` by fastbp's boundary, which then checks the
    inputs only when it is)."""

    def __init__(
        self, kernel, function, example: Callable[..., tuple], marks: bool = False
    ) -> None:
        self.kernel, self.function, self.example = kernel, function, example
        self.marks_nonfinite = marks
        self.__name__ = self.__qualname__ = kernel.__name__
        self.__doc__ = kernel.__doc__
        self._addresses: dict[np.dtype, int] = {}

    def address(self, *arrays: np.ndarray) -> int:
        """The address of ``function`` compiled for arrays of this dtype."""
        address = self._addresses.get(arrays[0].dtype)
        if address is None:
            address = address_of(self.function, self.example(*arrays))
            self._addresses[arrays[0].dtype] = address
        return address

    @property
    def signatures(self) -> list:
        """The signatures compiled so far, the bound function's and the kernel's (as a
        dispatcher's)."""
        return [*self.function.signatures, *self.kernel.signatures]

    def __call__(self, *arrays: np.ndarray):
        address = self._addresses.get(arrays[0].dtype)  # ``address``, less a call
        if address is None:
            address = self.address(*arrays)
        return self.kernel(address, *arrays)

    def py_func(self, *arrays: np.ndarray):
        return self.kernel.py_func(self.function.py_func, *arrays)
