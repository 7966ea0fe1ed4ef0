"""The general network (``fastbp.Network``) on a CUDA GPU, for narrow widths: its outputs
(``predict``) and its loss with the gradient (``loss_gradient``), one thread per strided run
of samples (fastbp's own; needs numba-cuda, the ``cuda`` extra).

A kernel is generated per architecture (the widths, the hidden and output activations, the
loss, whether layers have biases) as straight-line code: every weight and every per-thread
sum is a scalar local, every activation and the loss are written in for that architecture
alone, so nothing branches on a table code. The reduction is rung ``cuda``'s (its header:
``reduce_block`` writes a block's sums out, ``finish`` adds the blocks' partials in block
order), so a result is the same bits from run to run. Arithmetic is float64 whatever the
dtype; a gradient comes back in the parameters' dtype.

A thread keeps one sum per parameter, the weighted loss (with a mark that makes it NaN when an
input holds NaN or infinity) and the sum of the sample weights: ``values(sizes, bias)``. The
block's reduction holds them for every thread in shared memory: the block is the largest power
of two up to ``cuda.BLOCK`` threads whose sums fit ``cuda.SHARED_BYTES``, at least one warp
(32), so a network has at most MAX_VALUES sums (190 parameters), each width at most
``cuda.MAX_WIDTH``. Larger networks belong to the CPU kernels.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from . import codegen, cuda
from .network import add_weight_penalty, architecture, parameter_offsets

WARP = 32
MAX_VALUES = cuda.SHARED_BYTES // (8 * WARP)

# Each activation of a layer's unit, from its pre-activation a (sigmoid: the header's).
HIDDEN = {
    "sigmoid": "sigmoid({a})",
    "tanh": "math.tanh({a})",
    "relu": "max({a}, 0.0)",
    "identity": "{a}",
}
# f'(a) written in terms of the unit's output h = f(a) (identity: 1, left out).
DERIVATIVE = {
    "sigmoid": "{h} * (1.0 - {h})",
    "tanh": "1.0 - {h} * {h}",
    "relu": "(1.0 if {h} > 0.0 else 0.0)",
}

TEMPLATE = '''
@cuda.jit
def predict(X, params, Y):
    """Y[i] = the network's outputs for X[i], a strided run of samples per thread."""
{weights}
    i = cuda.grid(1)
    while i < X.shape[0]:
{forward}
{write}
        i += cuda.gridsize(1)


@cuda.jit
def partials(X, T, w, params, out):
    """Per block: the gradient sums (flat, as the parameters), then the weighted loss plus the
    marks of the inputs, then the sum of the sample weights (w empty: 1 each)."""
    shared = cuda.shared.array((VALUES, BLOCK), float64)
    tid = cuda.threadIdx.x
{weights}
{zeros}
    loss = 0.0
    marks = 0.0
    total_weight = 0.0
    weighted = w.shape[0] > 0
    i = cuda.grid(1)
    while i < X.shape[0]:
{forward}
{input_marks}
        wt = float(w[i]) if weighted else 1.0
        marks += wt * 0.0
        total_weight += wt
{loss}
{backward}
        i += cuda.gridsize(1)
{store}
    shared[VALUES - 2, tid] = loss + marks
    shared[VALUES - 1, tid] = total_weight
    reduce_block(shared, out)
'''


def _offsets(sizes: tuple[int, ...], bias: bool) -> list[int]:
    """Where each layer starts in the flat parameters, and their count last
    (``network.parameter_offsets``)."""
    return parameter_offsets(np.array(sizes, np.int64), bias).tolist()


def values(sizes: tuple[int, ...], bias: bool) -> int:
    """The sums a thread keeps: one per parameter, the loss, the weights' total."""
    return _offsets(sizes, bias)[-1] + 2


def block_size(sizes: tuple[int, ...], bias: bool) -> int:
    """Threads per block: the most, up to ``cuda.BLOCK``, whose reduction fits in shared
    memory (at least WARP when the network is supported)."""
    block = cuda.BLOCK
    while block > WARP and 8 * values(sizes, bias) * block > cuda.SHARED_BYTES:
        block //= 2
    return block


def unsupported(sizes: tuple[int, ...], bias: bool) -> str | None:
    """Why the GPU has no kernels for this network (too many sums, a width too large), or
    None."""
    if values(sizes, bias) > MAX_VALUES or max(sizes) > cuda.MAX_WIDTH:
        return (
            f"the GPU network kernels keep every gradient sum in a thread: at most "
            f"{MAX_VALUES - 2} parameters and widths up to {cuda.MAX_WIDTH}, got sizes={sizes} "
            f"({values(sizes, bias) - 2} parameters): use NumPy arrays (the CPU kernels)"
        )
    return None


def _indent(lines: list[str], depth: int) -> str:
    return "\n".join("    " * depth + line for line in lines)


def _weight(layer: int, i: int, j: int) -> str:
    return f"w{layer}_{i}_{j}"


class _Architecture:
    """The names and offsets the generated code uses for one network."""

    def __init__(self, sizes, hidden, output, loss, bias):
        self.sizes, self.hidden, self.output, self.loss, self.bias = (
            sizes, hidden, output, loss, bias
        )  # fmt: skip
        self.layers = len(sizes) - 1
        self.offsets = _offsets(sizes, bias)

    def parameters(self):
        """(flat index, local name, gradient name) of every parameter, in the flat order."""
        for layer in range(self.layers):
            n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
            start = self.offsets[layer]
            for i in range(n_in + self.bias):
                for j in range(n_out):
                    name = _weight(layer, i, j) if i < n_in else f"c{layer}_{j}"
                    yield start + i * n_out + j, name, "g" + name

    def forward(self) -> list[str]:
        """The lines that compute every layer's output h{l}_j (h0: the inputs) and the output
        layer's pre-activations a_k and outputs y_k (softmax: with top and total)."""
        lines = [f"h0_{d} = float(X[i, {d}])" for d in range(self.sizes[0])]
        for layer in range(self.layers):
            n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
            last = layer == self.layers - 1
            for j in range(n_out):
                terms = [f"h{layer}_{i} * {_weight(layer, i, j)}" for i in range(n_in)]
                if self.bias:
                    terms.insert(0, f"c{layer}_{j}")
                a = f"a_{j}" if last else f"p{layer + 1}_{j}"
                lines.append(f"{a} = {' + '.join(terms)}")
                if not last:
                    lines.append(f"h{layer + 1}_{j} = " + HIDDEN[self.hidden].format(a=a))
        K = self.sizes[-1]
        if self.output == "softmax":
            top = "a_0"
            for k in range(1, K):
                top = f"max({top}, a_{k})"
            lines.append(f"top = {top}")
            lines += [f"e_{k} = math.exp(a_{k} - top)" for k in range(K)]
            lines.append("total = " + " + ".join(f"e_{k}" for k in range(K)))
            lines += [f"y_{k} = e_{k} / total" for k in range(K)]
        else:
            output = {"sigmoid": "sigmoid({a})", "identity": "{a}", "exp": "math.exp({a})"}
            lines += [f"y_{k} = " + output[self.output].format(a=f"a_{k}") for k in range(K)]
        return lines

    def loss_lines(self) -> list[str]:
        """The lines that add the sample's weighted loss to ``loss`` and write its error
        d_k = dloss/da_k (times the weight wt), docs/math.md §6.1."""
        K = self.sizes[-1]
        ks = range(K)
        lines = [f"t_{k} = float(T[i, {k}])" for k in ks]
        lines.append("marks += " + " + ".join(f"t_{k} * 0.0" for k in ks))
        if self.loss == "cross_entropy" and self.output == "softmax":
            lines.append("log_norm = top + math.log(total)")
            row = " + ".join(f"t_{k} * (log_norm - a_{k})" for k in ks)
        elif self.loss == "cross_entropy":  # sigmoid outputs: softplus(a) - t a
            row = " + ".join(
                f"max(a_{k}, 0.0) - t_{k} * a_{k} + math.log1p(math.exp(-abs(a_{k})))" for k in ks
            )
        elif self.loss == "poisson":
            row = " + ".join(
                f"y_{k} - t_{k} * (a_{k} + 1.0) + (t_{k} * math.log(t_{k}) if t_{k} > 0.0 else 0.0)"
                for k in ks
            )
        else:  # squared error
            row = " + ".join(f"0.5 * (y_{k} - t_{k}) * (y_{k} - t_{k})" for k in ks)
        lines.append(f"loss += wt * ({row})")
        lines += [f"d_{k} = wt * (y_{k} - t_{k})" for k in ks]
        if self.loss == "squared_error" and self.output == "sigmoid":
            lines += [f"d_{k} *= y_{k} * (1.0 - y_{k})" for k in ks]
        elif self.loss == "squared_error" and self.output == "softmax":
            lines.append("along = " + " + ".join(f"d_{k} * y_{k}" for k in ks))
            lines += [f"d_{k} = y_{k} * (d_{k} - along)" for k in ks]
        return lines

    def backward(self) -> list[str]:
        """The lines that add the sample's gradient to the sums, layer by layer from the
        output's error d_k down (each layer's error e{l}_j)."""
        lines = [f"e{self.layers - 1}_{k} = d_{k}" for k in range(self.sizes[-1])]
        for layer in range(self.layers - 1, -1, -1):
            n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
            for i in range(n_in):
                for j in range(n_out):
                    lines.append(f"g{_weight(layer, i, j)} += h{layer}_{i} * e{layer}_{j}")
            if self.bias:
                lines += [f"gc{layer}_{j} += e{layer}_{j}" for j in range(n_out)]
            if layer == 0:
                break
            for i in range(n_in):
                back = " + ".join(f"{_weight(layer, i, j)} * e{layer}_{j}" for j in range(n_out))
                derivative = DERIVATIVE.get(self.hidden)
                if derivative is not None:
                    back = f"({back}) * ({derivative.format(h=f'h{layer}_{i}')})"
                lines.append(f"e{layer - 1}_{i} = {back}")
        return lines


def source(sizes, hidden: str, output: str, loss: str, bias: bool) -> str:
    """The generated module for this network (its kernels ``predict`` and ``partials``, with
    rung ``cuda``'s ``reduce_block`` and ``finish``)."""
    arch = _Architecture(tuple(sizes), hidden, output, loss, bias)
    sums = values(arch.sizes, bias)
    header = cuda.HEADER.format(
        widths=f"sizes={arch.sizes}, hidden={hidden}, output={output}, loss={loss}, bias={bias}",
        block=block_size(arch.sizes, bias),
        values=sums,
        flat=sums,
    )
    parameters = list(arch.parameters())
    body = TEMPLATE.format(
        weights=_indent([f"{name} = float(params[{at}])" for at, name, _ in parameters], 1),
        zeros=_indent([f"{grad} = 0.0" for _, _, grad in parameters], 1),
        forward=_indent(arch.forward(), 2),
        write=_indent([f"Y[i, {k}] = y_{k}" for k in range(arch.sizes[-1])], 2),
        input_marks=_indent(
            ["marks += " + " + ".join(f"h0_{d} * 0.0" for d in range(arch.sizes[0]))], 2
        ),
        loss=_indent(arch.loss_lines(), 2),
        backward=_indent(arch.backward(), 2),
        store=_indent([f"shared[{at}, tid] = {grad}" for at, _, grad in parameters], 1),
    )
    return header + body + "\n"


def generated(sizes, hidden: str, output: str, loss: str, bias: bool) -> ModuleType:
    """The generated module for this network, written and imported once (``codegen.load``;
    it imports numba.cuda, so call ``cuda.require`` first)."""
    name = f"cuda_network_{'x'.join(map(str, sizes))}_{hidden}_{output}_{loss}_{int(bias)}"
    return codegen.load(name, lambda: source(sizes, hidden, output, loss, bias))


def predict(spec: tuple, params: np.ndarray, X: object) -> object:
    """The outputs (N x K, a device array in the parameters' dtype) for X on the device.

    ``spec``: (sizes, hidden, output, loss, bias) by name; ``params``: the NumPy vector."""
    gpu = cuda.require()
    sizes = spec[0]
    module = generated(*spec)
    X = cuda.to_device(gpu, X)
    Y = gpu.device_array((X.shape[0], sizes[-1]), params.dtype)
    block = module.BLOCK
    module.predict[cuda.block_count(X.shape[0], block), block](X, gpu.to_device(params), Y)
    return Y


def loss_gradient(
    spec: tuple, params: np.ndarray, X: object, T: object, weights: np.ndarray, alpha: float
) -> tuple[float, np.ndarray]:
    """(L, dL/dparams) as ``kernels.network.loss_gradient`` computes them, X and T read on
    the device (``weights``: N sample weights, or none for 1 each, copied there). The sums
    come back (one copy of ``values`` numbers); the penalty and the mean are taken here, in
    float64. L is NaN when X or T holds NaN or infinity."""
    gpu = cuda.require()
    module = generated(*spec)
    X, T, weights = (cuda.to_device(gpu, a) for a in (X, T, weights))
    block = module.BLOCK
    partials = gpu.device_array((cuda.block_count(X.shape[0], block), module.VALUES), np.float64)
    module.partials[partials.shape[0], block](X, T, weights, gpu.to_device(params), partials)
    totals = gpu.device_array(module.VALUES, np.float64)
    module.finish[1, module.VALUES](partials, totals, totals)  # its flat copy: the sums again
    found = totals.copy_to_host()
    grad, loss, weight_total = found[:-2], float(found[-2]), float(found[-1])
    if alpha != 0.0:
        sizes, bias = spec[0], spec[4]
        arch = architecture(np.array(sizes, np.int64), 0, 0, 0, bias, False)
        loss += add_weight_penalty(params, arch, grad, alpha)
    return loss / weight_total, (grad / weight_total).astype(params.dtype)
