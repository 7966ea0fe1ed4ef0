"""Rung ``narrow_parallel``: the ``narrow`` loop on all cores (fastbp's own).

The samples are cut into a power of two of chunks (``narrow.chunk_count``: at least
``narrow.CHUNK`` samples each, at most ``narrow.MAX_CHUNKS``; a number that depends on N
only), each chunk runs the generated loop into its own slab of sums, padded to separate
cache lines, and the slabs are added in chunk order: the result is the same for any number
of threads. The chunks run in one kernel for all widths (``narrow.gradients_from_chunks``),
which calls the loop generated for the arguments' widths by its address: a new width
compiles its loop alone. Its forward pass and derivatives, single memory-bound loops, are
``narrow``'s.
"""

from .narrow import (
    Specialised,
    derivative_b1,
    derivative_b2,
    derivative_w1,
    derivative_w2,
    forward,
    supports,
)

__all__ = [
    "derivative_b1",
    "derivative_b2",
    "derivative_w1",
    "derivative_w2",
    "forward",
    "gradients_into",
    "supports",
]

gradients_into = Specialised("gradients", "gradients_parallel_into")
