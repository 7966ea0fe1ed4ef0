"""Rung ``cuda``: the narrow loop body on a CUDA GPU, one thread per strided run of samples
(fastbp's own; needs numba-cuda, the ``cuda`` extra).

Each kernel is generated per layer widths D, M, K (and block size) from a template below,
written in ``narrow``'s notation and expanded by ``narrow.expand``: the loops over d, m and
k are unrolled, the weights and every per-thread sum are scalar locals (registers). Thread
t of a grid of G threads takes samples t, t + G, t + 2G, ...; when its run is done, the
block adds its threads' sums by a tree reduction in shared memory and writes the block's
partial sums out (no atomics). A second kernel of one block adds the partials in block
order. The grid depends on N and the block size only (``block_count``), so every rerun adds
the same numbers in the same order: the results are the same bits from run to run.

Arithmetic is float64 whatever the input dtype (as ``narrow``, so float32 inputs halve the
bytes read, the floor of this kernel, and agree with the CPU rungs as closely as theirs do);
results are cast to the inputs' dtype, the cost is a float64. ``gradients`` adds a mark of
the inputs to the cost (NaN when X or a weight holds NaN or infinity), as ``narrow`` does.

Shapes: a thread keeps ``values(function, D, M, K)`` sums (D*M + M + M*K + K + 1 for
``gradients``) and the block's reduction holds them for every thread in shared memory, which
``SHARED_BYTES`` (48 KiB, the static limit of a block) bounds: ``supports`` allows up to
MAX_VALUES sums at the default BLOCK of 128 threads, each width at most MAX_WIDTH (2-3-3
needs 22; 4-4-4, 41). Registers agree: compiled for sm_90 (numba-cuda 0.30.4, ptxas of CUDA
12.9), the gradients kernel takes 150 registers a thread at 2-3-3 and 236 at 4-4-4 in
float64 (of 255), with no spills. Larger shapes belong to the CPU rungs.

Inputs may be NumPy arrays (copied to the device on each call: N (D + K) values, about
25 GB/s over PCIe, which a single call at large N pays in full; ``train`` copies X and
the labels once, and its kernel reads a label where ``gradients`` reads K values of T) or
device arrays: anything with ``__cuda_array_interface__`` (CuPy, PyTorch CUDA tensors,
numba device arrays), read in place. With NumPy inputs the results are NumPy
arrays; with device inputs they are numba device arrays, which CuPy and PyTorch take
without a copy (``cupy.asarray``, ``torch.as_tensor``). numba.cuda is imported on first use
only: ``import fastbp`` works without numba-cuda, and ``require`` says what is missing. The
kernels have no plain-Python twin (numba-cuda's simulator, ``NUMBA_ENABLE_CUDASIM=1``, runs
them as Python threads on the CPU, which is how CI tests them).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from types import ModuleType

import numpy as np

from . import codegen, narrow

BLOCK = 128  # threads per block of every launch unless given (a power of two)
MAX_BLOCKS = 1024  # grid size cap: enough to fill a GPU; more threads each take more samples
SHARED_BYTES = 48 * 1024  # static shared memory of a block
MAX_VALUES = SHARED_BYTES // (8 * BLOCK)  # sums a thread keeps, at the default block
MAX_WIDTH = 16  # each of D, M, K
PLAIN_TWIN = False  # compiled=False has nothing to run (registry.kernel says so)
NO_PACKAGE = "rung='cuda' needs numba-cuda: pip install 'fastbp[cuda]'"
NO_GPU = (
    "rung='cuda' found no CUDA GPU (numba.cuda.is_available() is False); set "
    "NUMBA_ENABLE_CUDASIM=1 to run it on numba-cuda's simulator, or use a CPU rung "
    "(rung=None picks one)"
)


def unavailable() -> str | None:
    """Why this rung cannot run here (numba-cuda missing, no GPU and no simulator), or None."""
    try:
        importlib.import_module("numba_cuda")
    except ImportError:
        return NO_PACKAGE
    from numba import cuda

    return None if cuda.is_available() else NO_GPU


def require() -> ModuleType:
    """numba.cuda, imported now; ImportError without numba-cuda, RuntimeError without a GPU."""
    reason = unavailable()
    if reason == NO_PACKAGE:
        raise ImportError(reason)
    if reason is not None:
        raise RuntimeError(reason)
    from numba import cuda

    return cuda


@functools.cache
def gpu_present() -> bool:
    """Whether a real CUDA GPU runs this rung (numba-cuda installed, not its simulator)."""
    if importlib.util.find_spec("numba_cuda") is None:
        return False
    from numba import config, cuda

    return not config.ENABLE_CUDASIM and cuda.is_available()


def values(function: str, D: int, M: int, K: int) -> int:
    """The sums a thread keeps for ``function`` (its results flat, plus the cost)."""
    gradients_and_cost = D * M + M + M * K + K + 1
    return {
        "gradients": gradients_and_cost,
        "train": gradients_and_cost,  # the same sums, from labels
        "derivative_w1": D * M,
        "derivative_b1": M,
        "derivative_w2": M * K,
        "derivative_b2": K,
        "forward": 0,
    }[function]


def supports(D: int, M: int, K: int) -> bool:
    """Whether this rung has kernels for these widths: the gradients' sums at most
    MAX_VALUES (they fit in shared memory at the default block), each width at most
    MAX_WIDTH."""
    return values("gradients", D, M, K) <= MAX_VALUES and max(D, M, K) <= MAX_WIDTH


def block_count(N: int, block: int) -> int:
    """The grid: one block per ``block`` samples, at most MAX_BLOCKS (N and block only)."""
    return min(-(-N // block), MAX_BLOCKS)


def check_block(block: int, sums: int) -> None:
    """ValueError unless ``block`` is a power of two whose reduction of ``sums`` values per
    thread fits in SHARED_BYTES."""
    if not (isinstance(block, int) and block >= 1 and block & (block - 1) == 0):
        raise ValueError(f"block must be a power of two, got {block!r}")
    if 8 * sums * block > SHARED_BYTES:
        raise ValueError(
            f"block={block} needs {8 * sums * block} bytes of shared memory for {sums} sums "
            f"a thread, more than {SHARED_BYTES}: use a smaller block"
        )


# --- the templates (narrow's notation: see fastbp.kernels.narrow) ---------------------------

HEADER = '''"""Generated by fastbp.kernels.cuda for {widths} from its template: do not edit."""

import math

from numba import cuda, float64

BLOCK = {block}  # threads per block
VALUES = {values}  # sums per thread
FLAT = {flat}  # the results in the inputs' dtype, flat (the cost excluded)


@cuda.jit(device=True)
def sigmoid(x):
    """1 / (1 + exp(-x)), exponentiating only -|x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@cuda.jit(device=True)
def reduce_block(shared, out):
    """shared[:, t] summed over the block's threads t by a tree reduction, written to
    out[block]: each sum a fixed tree of additions."""
    tid = cuda.threadIdx.x
    cuda.syncthreads()
    half = BLOCK // 2
    while half > 0:
        if tid < half:
            for j in range(VALUES):
                shared[j, tid] += shared[j, tid + half]
        cuda.syncthreads()
        half //= 2
    for j in range(tid, VALUES, BLOCK):
        out[cuda.blockIdx.x, j] = shared[j, 0]


@cuda.jit
def finish(partials, sums, flat):
    """sums[j]: the blocks' partials added in block order; flat[j]: the same in flat's dtype."""
    j = cuda.threadIdx.x
    if j < VALUES:
        total = 0.0
        for b in range(partials.shape[0]):
            total += partials[b, j]
        sums[j] = total
        if j < FLAT:
            flat[j] = total
'''

TEMPLATES = {
    "gradients": '''
@cuda.jit
def partials(X, T, W1, b1, W2, b2, out):
    """Per block: dW1, db1, dW2, db2 flat, then the cost plus the marks of the inputs."""
    shared = cuda.shared.array((VALUES, BLOCK), float64)
    tid = cuda.threadIdx.x
    w1_d_m = float(W1[d, m])
    b1_m = float(b1[m])
    w2_m_k = float(W2[m, k])
    b2_k = float(b2[k])
    marks = SUM_d(SUM_m(w1_d_m * 0.0)) + SUM_m(b1_m * 0.0)
    marks += SUM_m(SUM_k(w2_m_k * 0.0)) + SUM_k(b2_k * 0.0)
    dw1_d_m = 0.0
    db1_m = 0.0
    dw2_m_k = 0.0
    db2_k = 0.0
    cost = 0.0
    i = cuda.grid(1)
    while i < X.shape[0]:
        x_d = float(X[i, d])
        t_k = float(T[i, k])
        marks += SUM_d(x_d * 0.0)
        z_m = sigmoid(b1_m + SUM_d(x_d * w1_d_m))
        a_k = b2_k + SUM_m(z_m * w2_m_k)
        top = MAX_k(a_k)
        e_k = math.exp(a_k - top)
        total = SUM_k(e_k)
        cost += SUM_k(t_k * (a_k - top)) - SUM_k(t_k) * math.log(total)
        scale = 1.0 / total
        g_k = t_k - e_k * scale
        h_m = SUM_k(w2_m_k * g_k) * z_m * (1.0 - z_m)
        db2_k += g_k
        dw2_m_k += z_m * g_k
        db1_m += h_m
        dw1_d_m += x_d * h_m
        i += cuda.gridsize(1)
    shared[M * d + m, tid] = dw1_d_m
    shared[D * M + m, tid] = db1_m
    shared[D * M + M + K * m + k, tid] = dw2_m_k
    shared[D * M + M + M * K + k, tid] = db2_k
    shared[VALUES - 1, tid] = cost + marks
    reduce_block(shared, out)


@cuda.jit
def step(partials, params, flat, rate, costs, epoch):
    """One epoch's update from its partials: costs[epoch] = the cost; unless it is NaN or
    infinite, params += rate * gradients (in params' dtype, as the CPU rungs step)."""
    shared = cuda.shared.array(VALUES, float64)
    j = cuda.threadIdx.x
    if j < VALUES:
        total = 0.0
        for b in range(partials.shape[0]):
            total += partials[b, j]
        shared[j] = total
    cuda.syncthreads()
    cost = shared[VALUES - 1]
    if j == 0:
        costs[epoch] = cost
    if j < FLAT and math.isfinite(cost):
        flat[j] = shared[j]
        params[j] += rate * flat[j]
''',
    "forward": '''
@cuda.jit
def forward(X, W1, b1, W2, b2, Y, Z):
    """Y and Z written, a strided run of samples per thread."""
    w1_d_m = float(W1[d, m])
    b1_m = float(b1[m])
    w2_m_k = float(W2[m, k])
    b2_k = float(b2[k])
    i = cuda.grid(1)
    while i < X.shape[0]:
        x_d = float(X[i, d])
        z_m = sigmoid(b1_m + SUM_d(x_d * w1_d_m))
        a_k = b2_k + SUM_m(z_m * w2_m_k)
        top = MAX_k(a_k)
        e_k = math.exp(a_k - top)
        scale = 1.0 / SUM_k(e_k)
        Z[i, m] = z_m
        Y[i, k] = e_k * scale
        i += cuda.gridsize(1)
''',
    "derivative_w1": '''
@cuda.jit
def partials(X, Z, T, Y, W2, out):
    """Per block: dW1 = X.T @ dZ flat, dZ = ((T - Y) @ W2.T) * Z * (1 - Z)."""
    shared = cuda.shared.array((VALUES, BLOCK), float64)
    tid = cuda.threadIdx.x
    w2_m_k = float(W2[m, k])
    dw1_d_m = 0.0
    i = cuda.grid(1)
    while i < X.shape[0]:
        z_m = float(Z[i, m])
        g_k = float(T[i, k]) - float(Y[i, k])
        h_m = SUM_k(w2_m_k * g_k) * z_m * (1.0 - z_m)
        dw1_d_m += float(X[i, d]) * h_m
        i += cuda.gridsize(1)
    shared[M * d + m, tid] = dw1_d_m
    reduce_block(shared, out)
''',
    "derivative_b1": '''
@cuda.jit
def partials(T, Y, W2, Z, out):
    """Per block: db1 = dZ.sum(axis=0), dZ = ((T - Y) @ W2.T) * Z * (1 - Z)."""
    shared = cuda.shared.array((VALUES, BLOCK), float64)
    tid = cuda.threadIdx.x
    w2_m_k = float(W2[m, k])
    db1_m = 0.0
    i = cuda.grid(1)
    while i < T.shape[0]:
        z_m = float(Z[i, m])
        g_k = float(T[i, k]) - float(Y[i, k])
        db1_m += SUM_k(w2_m_k * g_k) * z_m * (1.0 - z_m)
        i += cuda.gridsize(1)
    shared[m, tid] = db1_m
    reduce_block(shared, out)
''',
    "derivative_w2": '''
@cuda.jit
def partials(Z, T, Y, out):
    """Per block: dW2 = Z.T @ (T - Y) flat."""
    shared = cuda.shared.array((VALUES, BLOCK), float64)
    tid = cuda.threadIdx.x
    dw2_m_k = 0.0
    i = cuda.grid(1)
    while i < Z.shape[0]:
        z_m = float(Z[i, m])
        g_k = float(T[i, k]) - float(Y[i, k])
        dw2_m_k += z_m * g_k
        i += cuda.gridsize(1)
    shared[K * m + k, tid] = dw2_m_k
    reduce_block(shared, out)
''',
    "derivative_b2": '''
@cuda.jit
def partials(T, Y, out):
    """Per block: db2 = (T - Y).sum(axis=0)."""
    shared = cuda.shared.array((VALUES, BLOCK), float64)
    tid = cuda.threadIdx.x
    db2_k = 0.0
    i = cuda.grid(1)
    while i < T.shape[0]:
        db2_k += float(T[i, k]) - float(Y[i, k])
        i += cuda.gridsize(1)
    shared[k, tid] = db2_k
    reduce_block(shared, out)
''',
}


def _with_labels(template: str) -> str:
    """The gradients template reading integer labels where it reads the one-hot T: train's
    (a label read in place of K values)."""
    for old, new in (
        ("def partials(X, T, W1", "def partials(X, labels, W1"),
        ("t_k = float(T[i, k])", "t_k = 1.0 if labels[i] == k else 0.0"),
    ):
        assert template.count(old) == 1, old  # the gradients template and this one agree
        template = template.replace(old, new)
    return template


TEMPLATES["train"] = _with_labels(TEMPLATES["gradients"])


def source(function: str, D: int, M: int, K: int, block: int = BLOCK) -> str:
    """The generated module of ``function`` (a key of TEMPLATES) for these widths and block."""
    sums = values(function, D, M, K)
    header = HEADER.format(
        widths=f"D={D}, M={M}, K={K}, block={block}",
        block=block,
        values=max(sums, 1),
        flat=sums - (function in ("gradients", "train")),
    )
    return header + narrow.expand(TEMPLATES[function], D, M, K) + "\n"


def generated(function: str, D: int, M: int, K: int, block: int = BLOCK) -> ModuleType:
    """The generated module of ``function`` for these widths and block, written and imported
    once (``codegen.load``; it imports numba.cuda, so call ``require`` first)."""
    name = f"cuda_{function}_{D}x{M}x{K}_b{block}"
    return codegen.load(name, lambda: source(function, D, M, K, block))


# --- launching ------------------------------------------------------------------------------

# The results' shapes per function, in their flat order, from the widths.
SHAPES: dict[str, Callable[[int, int, int], list[tuple[int, ...]]]] = {
    "gradients": lambda D, M, K: [(D, M), (M,), (M, K), (K,)],
    "derivative_w1": lambda D, M, K: [(D, M)],
    "derivative_b1": lambda D, M, K: [(M,)],
    "derivative_w2": lambda D, M, K: [(M, K)],
    "derivative_b2": lambda D, M, K: [(K,)],
}


def on_device(value: object) -> bool:
    """Whether ``value`` is an array in GPU memory (``__cuda_array_interface__``, or a numba
    device array, which the simulator's are)."""
    return hasattr(value, "__cuda_array_interface__") or bool(
        getattr(value, "__cuda_ndarray__", False)
    )


def to_device(cuda: ModuleType, array: object) -> object:
    """``array`` as a numba device array: read in place if on the device, else copied there."""
    if getattr(array, "__cuda_ndarray__", False):
        return array
    if hasattr(array, "__cuda_array_interface__"):
        return cuda.as_cuda_array(array)
    return cuda.to_device(array)


def _split(flat: object, shapes: list[tuple[int, ...]]) -> list:
    """Views of the flat ``flat`` (NumPy or device) in ``shapes``, in order."""
    views, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        views.append(flat[start : start + size].reshape(shape))
        start += size
    return views


class Kernel:
    """A kernel of this rung for any supported widths, as ``narrow.Specialised``: called, it
    runs the kernel generated for its arguments' widths; ``for_widths(D, M, K)`` gives that
    one (a callable taking the arrays and ``block=``)."""

    def __init__(self, function: str):
        self.function = function
        self.marks_nonfinite = function == "gradients"  # its cost is NaN for such inputs
        self.__name__ = self.__qualname__ = function
        self.__doc__ = f"``{function}`` on the GPU, generated for the arguments' widths."

    def for_widths(self, D: int, M: int, K: int) -> Callable:
        """The launcher of the kernel for these widths; ValueError naming the limit when
        ``supports`` is False."""
        if not supports(D, M, K):
            raise ValueError(
                f"the cuda rung generates kernels for D*M + M + M*K + K + 1 up to {MAX_VALUES} "
                f"sums and widths up to {MAX_WIDTH}, got D={D}, M={M}, K={K}: use a CPU rung "
                "such as rung='parallel' (rung=None picks one)"
            )
        launch = _forward if self.function == "forward" else _reduction
        return functools.partial(launch, self.function, D, M, K)

    @property
    def signatures(self) -> list[str]:
        """The kernels generated so far (names of their modules), as a dispatcher's
        signatures: empty until the first call."""
        return [name for name in codegen.LOADED if name.startswith(f"cuda_{self.function}_")]

    def __call__(self, *arrays: object, block: int = BLOCK):
        return self.for_widths(*narrow.WIDTHS[self.function](*arrays))(*arrays, block=block)


def _reduction(function: str, D: int, M: int, K: int, *arrays: object, block: int = BLOCK):
    """A gradient (or all four and the cost) from the block partials of ``partials``, added
    in block order by ``finish``: NumPy results for NumPy inputs (one copy back), else
    device arrays (and, for ``gradients``, the cost copied back)."""
    cuda = require()
    sums = values(function, D, M, K)
    check_block(block, sums)
    module = generated(function, D, M, K, block)
    host = not on_device(arrays[0])
    dtype = np.dtype(arrays[0].dtype)
    inputs = [to_device(cuda, a) for a in arrays]
    partials = cuda.device_array((block_count(inputs[0].shape[0], block), sums), np.float64)
    module.partials[partials.shape[0], block](*inputs, partials)
    totals = cuda.device_array(sums, np.float64)
    flat = cuda.device_array(module.FLAT, dtype)
    module.finish[1, sums](partials, totals, flat)
    shapes = SHAPES[function](D, M, K)
    if host:
        found = totals.copy_to_host()
        results = _split(found[: module.FLAT].astype(dtype), shapes)
    else:
        results = _split(flat, shapes)
        found = totals[module.FLAT :].copy_to_host() if function == "gradients" else None
    if function == "gradients":
        return (*results, float(found[-1]))
    return results[0]


def _forward(function: str, D: int, M: int, K: int, *arrays: object, block: int = BLOCK):
    """(Y, Z): NumPy arrays for NumPy inputs (two copies back), else device arrays."""
    cuda = require()
    check_block(block, 0)
    module = generated(function, D, M, K, block)
    dtype = np.dtype(arrays[0].dtype)
    inputs = [to_device(cuda, a) for a in arrays]
    N = inputs[0].shape[0]
    Y, Z = cuda.device_array((N, K), dtype), cuda.device_array((N, M), dtype)
    module.forward[block_count(N, block), block](*inputs, Y, Z)
    if on_device(arrays[0]):
        return Y, Z
    return Y.copy_to_host(), Z.copy_to_host()


gradients = Kernel("gradients")
forward = Kernel("forward")
derivative_w1 = Kernel("derivative_w1")
derivative_b1 = Kernel("derivative_b1")
derivative_w2 = Kernel("derivative_w2")
derivative_b2 = Kernel("derivative_b2")


class Trainer:
    """Full-batch gradient ascent on the GPU for ``fastbp.train``: X and the labels (int32,
    standing for the one-hot T: 4 bytes a sample to read instead of K values) copied there
    once; each epoch two launches (``partials``, then ``step``, which adds the partials in
    block order and updates the parameters in place); the costs and the parameters copied
    back once per call of ``ascend``."""

    def __init__(self, X: np.ndarray, labels: np.ndarray, K: int, M: int, block: int = BLOCK):
        self.cuda = require()
        N, D = X.shape
        gradients.for_widths(D, M, K)  # the shape limit's error, before any copy
        self.sums = values("train", D, M, K)
        check_block(block, self.sums)
        self.block, self.widths = block, (D, M, K)
        self.module = generated("train", D, M, K, block)
        self.X = self.cuda.to_device(X)
        self.labels = self.cuda.to_device(labels.astype(np.int32))
        self.partials = self.cuda.device_array((block_count(N, block), self.sums), np.float64)
        self.flat = self.cuda.device_array(self.sums - 1, X.dtype)

    def ascend(
        self,
        W1: np.ndarray,
        b1: np.ndarray,
        W2: np.ndarray,
        b2: np.ndarray,
        learning_rate: np.floating,
        costs: np.ndarray,
    ) -> int:
        """``kernels.ascent.ascend`` on the device: len(costs) epochs, W1, b1, W2, b2 updated
        in place (copied there and back once); returns the epochs before the first
        non-finite cost (from there on nothing is updated, so every later cost is the same)."""
        layers = (W1, b1, W2, b2)
        params = self.cuda.to_device(np.concatenate([a.reshape(-1) for a in layers]))
        views = _split(params, SHAPES["gradients"](*self.widths))
        found = self.cuda.device_array(len(costs), np.float64)
        blocks = self.partials.shape[0]
        for epoch in range(len(costs)):
            self.module.partials[blocks, self.block](self.X, self.labels, *views, self.partials)
            self.module.step[1, self.sums](
                self.partials, params, self.flat, learning_rate, found, epoch
            )
        costs[:] = found.copy_to_host()
        for layer, trained in zip(layers, _split(params.copy_to_host(), [a.shape for a in layers])):
            layer[...] = trained
        finite = np.isfinite(costs)
        return len(costs) if finite.all() else int(np.argmin(finite))

    def forward(
        self, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(Y, Z) of the data on the device at these parameters, copied back."""
        Y, Z = forward.for_widths(*self.widths)(self.X, W1, b1, W2, b2, block=self.block)
        return Y.copy_to_host(), Z.copy_to_host()
