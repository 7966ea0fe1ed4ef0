"""Rung ``narrow``: one loop over samples, every per-sample value in a scalar local (fastbp's own).

For layers narrow enough that a sample's inputs, hidden units, logits and the gradient sums
all fit in registers (``supports``), each kernel is generated for its widths D, M, K from a
template below: the loops over d, m and k are unrolled with constant trip counts, the
weights are read into locals before the loop over samples, and each gradient entry is a
scalar accumulator. The loop over samples is then the only loop, and LLVM vectorises it
along samples (8 at a time with AVX-512) with vector accumulators. The exp, log and sigmoid
are the scalar ones of ``scalarmath``; ``error_model="numpy"`` keeps the division free of a
ZeroDivisionError branch, which would stop the vectoriser. Inputs are read through flat
views (``x[D * i + d]``), so the row stride is a constant. Arithmetic is float64 whatever
the input dtype; results are cast back to it.

The template's notation: a name with index suffixes (``w1_d_m``) is a scalar local per
index value (``w1_0_2``); a line that mentions an index outside a sum is repeated for each
of its values; ``SUM_k(...)`` and ``MAX_k(...)`` are the sum and the maximum over k, written
out; ``D``, ``M`` and ``K`` are the widths. ``source(function, D, M, K)`` shows the expanded
code. Each generated module is written, once per content, to the compile cache's folder
and imported from there (``codegen.load``), so that its kernels are cached on disk like
any other (a cache needs a source file). That folder is keyed to every kernel source file
(``caching``), so a change to the template or to a helper the generated code calls starts
from new modules and an empty cache.

The gradients kernel (``gradients_into``, which writes into given arrays; the API's
``gradients`` is made of it; ``gradients_parallel_into``, ``narrow_parallel``'s, is
``gradients_from_chunks`` given the generated loop ``accumulate``) adds a mark of the
inputs to the cost: the cost is NaN when any input holds NaN or infinity (x * 0 is 0 for
finite x, NaN otherwise), which lets the API check finiteness without a pass of its own.
Each public kernel here (``gradients_into``, ``forward``, ``derivative_*``) is a
``Specialised``: called, it picks the generated kernel for the arguments' widths;
``.py_func`` is the plain-Python twin; ``for_widths(D, M, K)`` gives the generated Numba
dispatcher itself (for ``narrow_parallel``'s gradients, a ``pointers.Bound`` one).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from types import ModuleType

import numpy as np
from numba import prange
from numba.extending import register_jitable

from . import codegen
from .caching import cached_njit
from .common import FASTMATH
from .fused import fill, sums_ends
from .parallel import new_slabs, written_slabs
from .pointers import call_at

# The largest layers generated (docs/user-guide/ladder.md): measured at N = 30,000 on the project's
# machine, narrow ran 1.66x fused's speed at 2-3-3 (15 weights), 1.50x at 6-6-6 (72), 1.24x
# at 4-8-8 (96), 1.18x at 4-16-3 (112, 9.5 s to compile), 0.95x at 8-8-8 (128).
MAX_WEIGHTS = 96  # D*M + M*K
MAX_WIDTH = 16  # each of D, M, K
CHUNK = 512  # fewest samples per chunk of the multi-core gradients
MAX_CHUNKS = 32


def supports(D: int, M: int, K: int) -> bool:
    """Whether this rung generates kernels for these widths: D*M + M*K at most MAX_WEIGHTS,
    each width at most MAX_WIDTH."""
    return D * M + M * K <= MAX_WEIGHTS and max(D, M, K) <= MAX_WIDTH


@register_jitable
def chunk_count(N):
    """Chunks of the multi-core gradients: a power of two, CHUNK samples or more each, at
    most MAX_CHUNKS; it depends on N only, so the result does not depend on the threads."""
    chunks = 1
    while chunks < MAX_CHUNKS and 2 * chunks * CHUNK <= N:
        chunks *= 2
    return chunks


@register_jitable
def chunk_rows(N, chunks, c):
    """First and last (exclusive) sample of chunk c, spread evenly."""
    return c * N // chunks, (c + 1) * N // chunks


@cached_njit(parallel=True, fastmath=FASTMATH, error_model="numpy")
def gradients_from_chunks(accumulate, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2):
    """The gradients on all cores, for any widths: ``accumulate`` (the generated one of the
    arrays' widths, by its address) over each chunk of samples (``chunk_count``) into
    its own slab of sums, padded to separate cache lines; the slabs added in chunk order
    and written into dW1, db1, dW2, db2 (X's dtype); returns the cost. Compiled once for
    every width: only ``accumulate`` is generated per width."""
    N = X.shape[0]
    (D, M), K = W1.shape, W2.shape[1]
    size = sums_ends(D, M, K)[3] + 1  # the four gradients and the cost
    chunks = chunk_count(N)
    slabs = new_slabs(chunks, size)
    for c in prange(chunks):
        first, last = chunk_rows(N, chunks, c)
        slab = slabs[c]
        fill(slab, 0.0)
        call_at(accumulate, (X, T, W1, b1, W2, b2, first, last, slab))
    return written_slabs(slabs, size, dW1, db1, dW2, db2)


# --- the templates --------------------------------------------------------------------------

HEADER = '''"""Generated by fastbp.kernels.narrow for {widths} from its template: do not edit."""

import numpy as np
from numba.extending import register_jitable

from fastbp.kernels.caching import cached_njit
from fastbp.kernels.common import FASTMATH
from fastbp.kernels.fused import block_arguments
from fastbp.kernels.narrow import gradients_from_chunks
from fastbp.kernels.pointers import Bound
from fastbp.kernels.scalarmath import exp, log, sigmoid

SLAB = {slab}  # dW1, db1, dW2, db2 flat, then the cost
'''

WEIGHTS = """
    w1_d_m = float(W1[d, m])
    b1_m = float(b1[m])
    w2_m_k = float(W2[m, k])
    b2_k = float(b2[k])
"""

TEMPLATES = {
    "gradients": '''
@register_jitable
def accumulate(X, T, W1, b1, W2, b2, first, last, out):
    """Add the gradients of samples first..last-1 to out (dW1, db1, dW2, db2 flattened),
    and write their log-likelihood at out[SLAB] (NaN if an input holds NaN or infinity)."""
    x = X.reshape(-1)[D * first : D * last]
    t = T.reshape(-1)[K * first : K * last]
WEIGHTS
    marks = SUM_d(SUM_m(w1_d_m * 0.0)) + SUM_m(b1_m * 0.0)
    marks += SUM_m(SUM_k(w2_m_k * 0.0)) + SUM_k(b2_k * 0.0)
    dw1_d_m = 0.0
    db1_m = 0.0
    dw2_m_k = 0.0
    db2_k = 0.0
    cost = 0.0
    for i in range(last - first):
        x_d = float(x[D * i + d])
        t_k = float(t[K * i + k])
        marks += SUM_d(x_d * 0.0)
        z_m = sigmoid(b1_m + SUM_d(x_d * w1_d_m))
        a_k = b2_k + SUM_m(z_m * w2_m_k)
        top = MAX_k(a_k)
        e_k = exp(a_k - top)
        total = SUM_k(e_k)
        cost += SUM_k(t_k * (a_k - top)) - SUM_k(t_k) * log(total)
        scale = 1.0 / total
        g_k = t_k - e_k * scale
        h_m = SUM_k(w2_m_k * g_k) * z_m * (1.0 - z_m)
        db2_k += g_k
        dw2_m_k += z_m * g_k
        db1_m += h_m
        dw1_d_m += x_d * h_m
    out[M * d + m] += dw1_d_m
    out[D * M + m] += db1_m
    out[D * M + M + K * m + k] += dw2_m_k
    out[D * M + M + M * K + k] += db2_k
    out[SLAB] = cost + marks


@register_jitable
def unpack(sums, dW1, db1, dW2, db2):
    """dW1, db1, dW2, db2 written from the flat sums (in their own dtype)."""
    dW1[d, m] = sums[M * d + m]
    db1[m] = sums[D * M + m]
    dW2[m, k] = sums[D * M + M + K * m + k]
    db2[k] = sums[D * M + M + M * K + k]


@cached_njit(fastmath=FASTMATH, error_model="numpy")
def gradients_into(X, T, W1, b1, W2, b2, dW1, db1, dW2, db2):
    """The gradients in one loop over the samples, written into dW1, db1, dW2, db2 (X's
    dtype); returns the cost."""
    sums = np.zeros(SLAB + 1)
    accumulate(X, T, W1, b1, W2, b2, 0, X.shape[0], sums)
    unpack(sums, dW1, db1, dW2, db2)
    return sums[SLAB]


# On all cores: the one chunked kernel of every width, given the address of this width's
# ``accumulate``, compiled on its own (``gradients_from_chunks``).
gradients_parallel_into = Bound(
    gradients_from_chunks,
    cached_njit(fastmath=FASTMATH, error_model="numpy")(accumulate),
    block_arguments,
    marks=True,
)
''',
    "forward": '''
@cached_njit(fastmath=FASTMATH, error_model="numpy")
def forward(X, W1, b1, W2, b2):
    """(Y, Z) in one loop over the samples."""
    N = X.shape[0]
    Y = np.empty((N, K), X.dtype)
    Z = np.empty((N, M), X.dtype)
    x, y, z = X.reshape(-1), Y.reshape(-1), Z.reshape(-1)
WEIGHTS
    for i in range(N):
        x_d = float(x[D * i + d])
        z_m = sigmoid(b1_m + SUM_d(x_d * w1_d_m))
        a_k = b2_k + SUM_m(z_m * w2_m_k)
        top = MAX_k(a_k)
        e_k = exp(a_k - top)
        scale = 1.0 / SUM_k(e_k)
        z[M * i + m] = z_m
        y[K * i + k] = e_k * scale
    return Y, Z
''',
    "derivative_w1": '''
@cached_njit(fastmath=FASTMATH, error_model="numpy")
def derivative_w1(X, Z, T, Y, W2):
    """dW1 = X.T @ dZ, dZ = ((T - Y) @ W2.T) * Z * (1 - Z), in one loop over the samples."""
    x, z, t, y = X.reshape(-1), Z.reshape(-1), T.reshape(-1), Y.reshape(-1)
    w2_m_k = float(W2[m, k])
    dw1_d_m = 0.0
    for i in range(X.shape[0]):
        x_d = float(x[D * i + d])
        z_m = float(z[M * i + m])
        g_k = float(t[K * i + k]) - float(y[K * i + k])
        h_m = SUM_k(w2_m_k * g_k) * z_m * (1.0 - z_m)
        dw1_d_m += x_d * h_m
    out = np.empty((D, M), X.dtype)
    out[d, m] = dw1_d_m
    return out
''',
    "derivative_b1": '''
@cached_njit(fastmath=FASTMATH, error_model="numpy")
def derivative_b1(T, Y, W2, Z):
    """db1 = dZ.sum(axis=0), dZ = ((T - Y) @ W2.T) * Z * (1 - Z), in one loop over the samples."""
    z, t, y = Z.reshape(-1), T.reshape(-1), Y.reshape(-1)
    w2_m_k = float(W2[m, k])
    db1_m = 0.0
    for i in range(T.shape[0]):
        z_m = float(z[M * i + m])
        g_k = float(t[K * i + k]) - float(y[K * i + k])
        db1_m += SUM_k(w2_m_k * g_k) * z_m * (1.0 - z_m)
    out = np.empty(M, T.dtype)
    out[m] = db1_m
    return out
''',
    "derivative_w2": '''
@cached_njit(fastmath=FASTMATH, error_model="numpy")
def derivative_w2(Z, T, Y):
    """dW2 = Z.T @ (T - Y), in one loop over the samples."""
    z, t, y = Z.reshape(-1), T.reshape(-1), Y.reshape(-1)
    dw2_m_k = 0.0
    for i in range(Z.shape[0]):
        z_m = float(z[M * i + m])
        g_k = float(t[K * i + k]) - float(y[K * i + k])
        dw2_m_k += z_m * g_k
    out = np.empty((M, K), Z.dtype)
    out[m, k] = dw2_m_k
    return out
''',
    "derivative_b2": '''
@cached_njit(fastmath=FASTMATH, error_model="numpy")
def derivative_b2(T, Y):
    """db2 = (T - Y).sum(axis=0), in one loop over the samples."""
    t, y = T.reshape(-1), Y.reshape(-1)
    db2_k = 0.0
    for i in range(T.shape[0]):
        db2_k += float(t[K * i + k]) - float(y[K * i + k])
    out = np.empty(K, T.dtype)
    out[k] = db2_k
    return out
''',
}

# Which widths each function's kernel depends on, read from its arguments.
WIDTHS: dict[str, Callable[..., tuple[int, int, int]]] = {
    "gradients": lambda X, T, W1, b1, W2, b2, *out: (*W1.shape, W2.shape[1]),
    "forward": lambda X, W1, b1, W2, b2: (*W1.shape, W2.shape[1]),
    "derivative_w1": lambda X, Z, T, Y, W2: (X.shape[1], *W2.shape),
    "derivative_b1": lambda T, Y, W2, Z: (1, *W2.shape),
    "derivative_w2": lambda Z, T, Y: (1, Z.shape[1], T.shape[1]),
    "derivative_b2": lambda T, Y: (1, 1, T.shape[1]),
}


# --- expanding a template -------------------------------------------------------------------

INDEX = re.compile(r"(?<![A-Za-z0-9])([dmk])(?![A-Za-z0-9])")  # d, m, k alone or as _d
GROUP = re.compile(r"(SUM|MAX)_([dmk])\(")
WIDTH = re.compile(r"(?<![A-Za-z0-9_])([DMK])(?![A-Za-z0-9_])")


def _bind(text: str, index: str, value: int) -> str:
    return re.sub(rf"(?<![A-Za-z0-9]){index}(?![A-Za-z0-9])", str(value), text)


def _groups(text: str, sizes: dict[str, int]) -> str:
    """SUM_x(...) and MAX_x(...) written out over x (innermost first)."""
    while match := GROUP.search(text):
        depth, end = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        kind, index, inner = match[1], match[2], text[match.end() : end - 1]
        terms = [_groups(_bind(inner, index, v), sizes) for v in range(sizes[index])]
        if len(terms) == 1:
            written = f"({terms[0]})"
        elif kind == "SUM":
            written = "(" + " + ".join(terms) + ")"
        else:
            written = "max(" + ", ".join(terms) + ")"
        text = text[: match.start()] + written + text[end:]
    return text


def expand(template: str, D: int, M: int, K: int) -> str:
    """The template written out for these widths (see the module's docstring); docstrings,
    decorators and ``def`` lines are kept as they are."""
    sizes = {"d": D, "m": M, "k": K, "D": D, "M": M, "K": K}
    lines, in_docstring = [], False
    for line in template.replace("WEIGHTS\n", WEIGHTS.lstrip("\n")).splitlines():
        quotes = line.count('"""') % 2 == 1
        if in_docstring or quotes or line.lstrip().startswith(("@", "def ")):
            lines.append(line)
            in_docstring ^= quotes
            continue
        code = WIDTH.sub(lambda w: str(sizes[w[1]]), _groups(line, sizes))
        free = sorted(set(INDEX.findall(code)), key="dmk".index)
        for values in itertools.product(*(range(sizes[i]) for i in free)):
            copy = code
            for index, value in zip(free, values):
                copy = _bind(copy, index, value)
            lines.append(copy.rstrip())
    return "\n".join(lines)


def source(function: str, D: int, M: int, K: int) -> str:
    """The generated module of ``function`` (a key of TEMPLATES) for these widths."""
    header = HEADER.format(widths=f"D={D}, M={M}, K={K}", slab=D * M + M + M * K + K)
    return header + expand(TEMPLATES[function], D, M, K) + "\n"


def generated(function: str, D: int, M: int, K: int) -> ModuleType:
    """The generated module of ``function`` for these widths, written and imported once."""
    return codegen.load(f"narrow_{function}_{D}x{M}x{K}", lambda: source(function, D, M, K))


class Specialised:
    """A kernel of this rung for any supported widths: called, it runs the generated kernel
    for its arguments' widths (``variant``: the generated function's name, e.g.
    ``gradients_parallel_into``); ``py_func`` is the same in plain Python."""

    def __init__(self, function: str, variant: str | None = None, compiled: bool = True):
        self.function, self.variant, self.compiled = function, variant or function, compiled
        self.marks_nonfinite = function == "gradients"  # its cost is NaN for such inputs
        self.__name__ = self.__qualname__ = self.variant
        self.__doc__ = f"``{self.variant}`` generated for the arguments' widths D, M, K."

    def for_widths(self, D: int, M: int, K: int) -> Callable:
        """The generated kernel for these widths (a Numba dispatcher, or its plain twin)."""
        if not supports(D, M, K):
            raise ValueError(
                f"the narrow rungs generate kernels for D*M + M*K up to {MAX_WEIGHTS} and "
                f"widths up to {MAX_WIDTH}, got D={D}, M={M}, K={K}: use another rung "
                "(rung=None picks one)"
            )
        kernel = getattr(generated(self.function, D, M, K), self.variant)
        return kernel if self.compiled else kernel.py_func

    @property
    def signatures(self) -> list:
        """The signatures compiled so far, for every width generated (as a dispatcher's)."""
        return [
            signature
            for name, module in codegen.LOADED.items()
            if name.startswith(f"narrow_{self.function}_")
            for signature in getattr(module, self.variant).signatures
        ]

    def __call__(self, *arrays: np.ndarray):
        return self.for_widths(*WIDTHS[self.function](*arrays))(*arrays)

    @functools.cached_property
    def py_func(self) -> Specialised:
        return Specialised(self.function, self.variant, compiled=False)


gradients_into = Specialised("gradients", "gradients_into")
forward = Specialised("forward")
derivative_w1 = Specialised("derivative_w1")
derivative_b1 = Specialised("derivative_b1")
derivative_w2 = Specialised("derivative_w2")
derivative_b2 = Specialised("derivative_b2")
