"""Compiled checks of the validation boundary (``fastbp._validation`` calls them): whether
arrays hold only finite values, whether output buffers overlap."""

from numba.extending import register_jitable

from .caching import cached_njit


@register_jitable
def nonfinite_mark(values):
    """0.0 if every element of the 1-D array is finite, else NaN: v * 0 is NaN exactly for
    NaN and infinity (no fastmath flag here lets LLVM fold it away)."""
    total = 0.0
    for i in range(values.shape[0]):
        total += values[i] * 0.0
    return total


@cached_njit(fastmath={"reassoc"})  # reassociation lets the sums vectorise
def all_finite(a, b, c, d, e, f) -> bool:
    """True if no element of the six 1-D arrays is NaN or infinite."""
    marks = nonfinite_mark(a) + nonfinite_mark(b) + nonfinite_mark(c)
    return marks + nonfinite_mark(d) + nonfinite_mark(e) + nonfinite_mark(f) == 0.0


@cached_njit()
def overlapping(a, b, c, d) -> bool:
    """Whether any two of the four arrays share bytes (contiguous ones: their byte ranges)."""
    starts = (a.ctypes.data, b.ctypes.data, c.ctypes.data, d.ctypes.data)
    sizes = (a.nbytes, b.nbytes, c.nbytes, d.nbytes)
    for i in range(4):
        for j in range(i + 1, 4):
            if starts[i] < starts[j] + sizes[j] and starts[j] < starts[i] + sizes[i]:
                return True
    return False
