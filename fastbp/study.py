"""``python -m fastbp study``: time every rung, plain and compiled, and show the speedups.

One "step" is what ``fastbp.gradients`` does: the forward pass and all four gradients,
through the public API (validation included), on fixed-seed float64 data. Candidates are
timed interleaved, round by round, in one process, so that the machine's drift hits them
alike; each round repeats a call until it lasts ``min_time``. The table gives the median
over rounds and the spread (min and max relative to it). "classic NumPy" is the ``matrix``
rung run as plain NumPy: the classic code's fastest form.

``--network`` times the general network instead (``NETWORK_CASES``): one epoch of SGD with
momentum through ``fastbp.fit``, the bare compiled epoch it calls, and with ``--peers`` the
same epoch written in PyTorch, per epoch and per step, against the targets of each case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numba
import numpy as np

from . import api
from .peers import EPOCH_PEERS, PEERS
from .registry import RUNGS, choose_rung

SIZES: dict[str, tuple[int, int, int, int]] = {
    "seed": (1500, 2, 3, 3),
    "small-wide": (1500, 20, 50, 10),
    "mnist-like": (10_000, 784, 256, 10),
    "tall": (1_000_000, 2, 3, 3),
}
PLAIN_WORK_LIMIT = 30_000  # plain Python rungs run only where N*(D*M + M*K) is this small
# The compiled per-sample ladder rungs take seconds a call where N*D*M*K passes this.
LOOP_RUNGS, LOOP_WORK_LIMIT = ("loops", "rows", "outer"), 10**9
CLASSIC = "matrix/plain"
# Pause before each round: BLAS, OpenMP (PyTorch) and JAX worker threads spin for a while
# after a call (measured here: 0.05 s is not enough, 0.2 s is), and would otherwise slow
# down whichever candidate runs next.
SETTLE = 0.25


def problem(N: int, D: int, M: int, K: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """(X, T, W1, b1, W2, b2): standard normal inputs and weights, one-hot T."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    T = np.zeros((N, K))
    T[np.arange(N), rng.integers(0, K, N)] = 1.0
    return (X, T, *(rng.standard_normal(s) for s in [(D, M), (M,), (M, K), (K,)]))


@dataclass
class Timing:
    name: str  # "rung/plain", "rung/compiled", "default (rung)" or a peer's name
    seconds: list[float] = field(default_factory=list)  # per call, one value per round

    @property
    def median(self) -> float:
        return float(np.median(self.seconds))


def _candidates(shape, args, peers: bool) -> dict[str, Callable[[], object]]:
    N, D, M, K = shape
    small = N * (D * M + M * K) <= PLAIN_WORK_LIMIT
    slow_loops = N * D * M * K > LOOP_WORK_LIMIT
    out: dict[str, Callable[[], object]] = {}
    for name in RUNGS:
        for compiled in (False, True):
            if compiled and slow_loops and name in LOOP_RUNGS:
                continue
            if compiled or small or f"{name}/plain" == CLASSIC:
                mode = "compiled" if compiled else "plain"
                out[f"{name}/{mode}"] = _bind(args, rung=name, compiled=compiled)
    out[f"default ({choose_rung(*shape)})"] = _bind(args)
    if peers:
        for peer, make in PEERS.items():
            try:
                out[peer] = make(*args)
            except ImportError as error:
                print(f"note: {peer} skipped ({error})", file=sys.stderr)
    return out


def _bind(args, **options) -> Callable[[], object]:
    return lambda: api.gradients(*args, **options)


def _calibrate(call: Callable[[], object], min_time: float) -> int:
    """Calls per round so that a round lasts about min_time (after one warm-up call)."""
    call()
    start = time.perf_counter()
    call()
    once = time.perf_counter() - start
    return max(1, int(min_time / max(once, 1e-9)))


def time_interleaved(
    calls: dict, repeat: int, min_time: float, label: str, settle: float = SETTLE
) -> list[Timing]:
    numbers = {}
    for i, (name, call) in enumerate(calls.items(), 1):
        print(f"  {label}: warming up {name} ({i}/{len(calls)})", file=sys.stderr, flush=True)
        numbers[name] = _calibrate(call, min_time)
    timings = {name: Timing(name) for name in calls}
    for r in range(repeat):
        print(f"  {label}: round {r + 1}/{repeat}", file=sys.stderr, flush=True)
        for name, call in calls.items():
            time.sleep(settle)
            start = time.perf_counter()
            for _ in range(numbers[name]):
                call()
            timings[name].seconds.append((time.perf_counter() - start) / numbers[name])
    return list(timings.values())


def _format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:7.1f} {unit}"
    return f"{seconds * 1e9:7.1f} ns"


def _spread(t: Timing) -> str:
    """The fastest and slowest round relative to the median, e.g. ``-3%/+12%``."""
    return f"-{1 - min(t.seconds) / t.median:.0%}/+{max(t.seconds) / t.median - 1:.0%}"


def table(size: str, shape, timings: list[Timing]) -> str:
    """A text table: median, spread, speedup over classic NumPy and over the plain twin."""
    by_name = {t.name: t.median for t in timings}
    classic = by_name.get(CLASSIC)
    lines = [
        f"{size}: N={shape[0]}, D={shape[1]}, M={shape[2]}, K={shape[3]}",
        f"  {'candidate':24} {'median':>10} {'spread':>15} {'vs classic':>11} {'vs plain':>9}",
    ]
    for t in timings:
        spread = _spread(t)
        vs_classic = f"{classic / t.median:10.1f}x" if classic else ""
        plain = by_name.get(t.name.replace("/compiled", "/plain"))
        vs_plain = f"{plain / t.median:8.0f}x" if t.name.endswith("/compiled") and plain else ""
        median = _format_time(t.median)
        lines.append(f"  {t.name:24} {median:>10} {spread:>15} {vs_classic:>11} {vs_plain:>9}")
    return "\n".join(lines)


def training_times(repeat: int, settle: float = SETTLE) -> list[Timing]:
    """The 1000-epoch three-clouds run (docs/math.md §5) with the classic NumPy functions
    (``matrix`` as plain NumPy), the default rung and every rung compiled."""
    from .datasets import three_clouds
    from .training import train

    X, y = three_clouds()
    runs = {"train: " + CLASSIC: dict(rung="matrix", compiled=False), "train: default": {}}
    runs.update({f"train: {r.name}/compiled": dict(rung=r.name) for r in RUNGS.values()})
    calls = {
        name: (lambda options=options: train(X, y, **options)) for name, options in runs.items()
    }
    return time_interleaved(calls, repeat, 0.0, "three-clouds training", settle)


# --- the general network: one epoch of SGD with momentum -----------------------------------


@dataclass(frozen=True)
class NetworkCase:
    data: str  # a key of NETWORK_DATA
    sizes: tuple[int, ...]
    batch_size: int | None  # None: full batch
    target: float | None  # the speedup per epoch over PyTorch asked for, if any

    def steps(self, n: int) -> int:
        return 1 if self.batch_size is None else -(-n // self.batch_size)

    def describe(self, n: int) -> str:
        batch = "full batch" if self.batch_size is None else f"batch {self.batch_size}"
        if self.batch_size == 1:
            batch += " (per-sample SGD)"
        target = f"; target {self.target:g}x PyTorch" if self.target else ""
        shape = "-".join(map(str, self.sizes))
        steps = f"{self.steps(n)} step{'s' if self.steps(n) > 1 else ''} an epoch"
        return f"{shape} on {NETWORK_DATA[self.data]}, {batch}, {steps}{target}"


NETWORK_DATA = {
    "clouds": "the 1500 three-clouds points",
    "random": "10000 random samples",
}
NETWORK_CASES: dict[str, NetworkCase] = {
    "clouds-b32": NetworkCase("clouds", (2, 64, 64, 3), 32, 10.0),
    "clouds-b1": NetworkCase("clouds", (2, 64, 64, 3), 1, 50.0),
    "clouds-full": NetworkCase("clouds", (2, 64, 64, 3), None, None),
    "mnist-b32": NetworkCase("random", (784, 128, 10), 32, 1.5),
    "mnist-b256": NetworkCase("random", (784, 128, 10), 256, 1.2),
}
# Sigmoid hidden layers, softmax output with mean cross-entropy, biases, float64, Glorot
# weights from seed 0; samples in their given order (shuffle=False, the same batches for
# every candidate). Every timed call trains one epoch from the same start.
NETWORK_LEARNING_RATE, NETWORK_MOMENTUM = 0.01, 0.9
FIT, KERNEL = "fastbp.fit", "train_epoch (kernel)"


def network_data(data: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, T) of a case: the three clouds (docs/math.md §5) with one-hot targets, or 10,000
    standard normal 784-vectors with random one-hot targets over 10 classes (seed 0)."""
    from .datasets import one_hot, three_clouds

    if data == "clouds":
        X, labels = three_clouds()
        return X, one_hot(labels, 3)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10_000, 784))
    return X, one_hot(rng.integers(0, 10, len(X)), 10)


def _network_candidates(case: NetworkCase, data, peers: bool) -> dict[str, Callable[[], object]]:
    """One epoch each: ``fastbp.fit(epochs=1)`` (validation, copies and the Python loop
    included), the compiled epoch alone (what fit calls once an epoch), and the peers."""
    from .fitting import fit
    from .kernels import network as kernels
    from .network import Network

    X, T = data
    network = Network(case.sizes)
    start = network.init_params(0)
    options = dict(
        learning_rate=NETWORK_LEARNING_RATE,
        momentum=NETWORK_MOMENTUM,
        batch_size=case.batch_size,
    )
    out: dict[str, Callable[[], object]] = {
        FIT: lambda: fit(network, X, T, epochs=1, shuffle=False, params=start, **options)
    }
    params, velocity = start.copy(), np.zeros_like(start)
    args = (*network._kernel_args(), X, T, np.arange(len(X)), case.batch_size or len(X))
    rates = (np.float64(NETWORK_LEARNING_RATE), np.float64(NETWORK_MOMENTUM))

    def kernel_epoch() -> float:
        params[:], velocity[:] = start, 0.0  # the same start as fit's: 2 copies of params
        return kernels.train_epoch(params, velocity, *args, *rates)

    out[KERNEL] = kernel_epoch
    if peers:
        for peer, make in EPOCH_PEERS.items():
            try:
                out[peer] = make(network, start, X, T, **options)
            except ImportError as error:
                print(f"note: {peer} skipped ({error})", file=sys.stderr)
    return out


def network_table(name: str, case: NetworkCase, n: int, timings: list[Timing]) -> str:
    """A text table: median per epoch and per step, spread, speedup over PyTorch."""
    by_name = {t.name: t.median for t in timings}
    torch = by_name.get("pytorch")
    lines = [
        f"{name}: {case.describe(n)}",
        f"  {'candidate':22} {'per epoch':>10} {'per step':>10} {'spread':>13} {'vs pytorch':>10}",
    ]
    for t in timings:
        per_step = _format_time(t.median / case.steps(n))
        vs_torch = f"{torch / t.median:9.2f}x" if torch else ""
        lines.append(
            f"  {t.name:22} {_format_time(t.median):>10} {per_step:>10} {_spread(t):>13} "
            f"{vs_torch:>10}"
        )
    return "\n".join(lines)


def network_study(
    names: list[str], repeat: int, min_time: float, peers: bool, settle: float = SETTLE
) -> dict[str, dict]:
    """Time every case's candidates interleaved; print a table per case and, with peers,
    how fastbp.fit stands against each target."""
    out: dict[str, dict] = {}
    data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in names:
        case = NETWORK_CASES[name]
        if case.data not in data:
            data[case.data] = network_data(case.data)
        n = len(data[case.data][0])
        calls = _network_candidates(case, data[case.data], peers)
        timings = time_interleaved(calls, repeat, min_time, name, settle)
        print(network_table(name, case, n, timings), flush=True)
        out[name] = {
            **asdict(case),
            "samples": n,
            "steps": case.steps(n),
            "timings": [asdict(t) for t in timings],
        }
    verdicts = []
    for name, row in out.items():
        seconds = {t["name"]: t["seconds"] for t in row["timings"]}
        target = row["target"]
        if target and "pytorch" in seconds:
            ratio = float(np.median(seconds["pytorch"]) / np.median(seconds[FIT]))
            best = min(seconds["pytorch"]) / min(seconds[FIT])
            verdict = "met" if ratio >= target else "MISSED"
            row["speedup_vs_pytorch"], row["speedup_vs_pytorch_best_rounds"] = ratio, best
            verdicts.append(
                f"  {name:12} {ratio:6.2f}x (best rounds {best:6.2f}x; target {target:g}x): "
                f"{verdict}"
            )
    if verdicts:
        print(
            "fastbp.fit vs PyTorch, per epoch (medians; the fastest rounds, least disturbed "
            "by the rest of the machine, in brackets), against the targets:"
        )
        print("\n".join(verdicts), flush=True)
    return out


COMPILE_PROBE = """
import time
start = time.perf_counter()
import fastbp
imported = time.perf_counter()
from fastbp.study import problem
args = problem(1500, 2, 3, 3)
start_call = time.perf_counter()
fastbp.gradients(*args, rung={rung!r})
print(imported - start, time.perf_counter() - start_call)
"""

# The general network's kernels, one first call each (float64, the study's 2-64-64-3 net):
# the validation kernel every public call runs first (with Numba's one-off start-up, about
# 0.3 s even from a warm cache), then train_epoch through fit, then loss_gradient and
# predict. Prints the import time and one time per call.
NETWORK_COMPILE_PROBE = """
import time
start = time.perf_counter()
import numpy as np
import fastbp
from fastbp._validation import check_matrix
imported = time.perf_counter()
net = fastbp.Network((2, 64, 64, 3))
X = np.linspace(-1.0, 1.0, 14).reshape(7, 2)
T = np.eye(3)[np.arange(7) % 3]
params = net.init_params(0)
calls = [
    lambda: check_matrix("X", X),
    lambda: fastbp.fit(net, X, T, learning_rate=0.1, epochs=1, batch_size=2, momentum=0.9),
    lambda: net.loss_gradient(params, X, T),
    lambda: net.predict(params, X),
]
times = []
for call in calls:
    begin = time.perf_counter()
    call()
    times.append(time.perf_counter() - begin)
print(imported - start, *times)
"""
NETWORK_COMPILE_CALLS = (
    "1st validation + Numba start",
    "1st fit (train_epoch)",
    "1st loss_gradient",
    "1st predict",
)


def _probe(code: str, folder: str) -> dict[str, list[float]]:
    """Run ``code`` in a new process with NUMBA_CACHE_DIR=folder twice: with the folder
    empty ("cold": every kernel compiles), then with the cache it left ("warm"). Returns
    the numbers each run printed."""
    env = {**os.environ, "NUMBA_CACHE_DIR": folder}
    out = {}
    for state in ("cold", "warm"):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        out[state] = [float(v) for v in done.stdout.split()]
    return out


def compile_times(rungs: list[str | None], cache_dir: str) -> dict[str, dict[str, float]]:
    """Import and first-call seconds in new processes: with an empty cache, then warm."""
    out = {}
    for rung in rungs:
        name = rung or f"default ({choose_rung(*SIZES['seed'])})"
        print(f"  compile: {name}", file=sys.stderr, flush=True)
        folder = os.path.join(cache_dir, name.replace(" ", "_").replace("(", "").replace(")", ""))
        runs = _probe(COMPILE_PROBE.format(rung=rung), folder)
        row = {}
        for state, (imported, first_call) in runs.items():
            row[f"import_{state}"], row[f"first_call_{state}"] = imported, first_call
        out[name] = row
    return out


def network_compile_times(cache_dir: str) -> dict[str, dict[str, float]]:
    """The general network's kernels: import and first-call seconds of each public call in
    ``NETWORK_COMPILE_CALLS``, in new processes, with an empty cache and then warm."""
    print("  compile: network kernels", file=sys.stderr, flush=True)
    runs = _probe(NETWORK_COMPILE_PROBE, os.path.join(cache_dir, "network"))
    out = {}
    for column, name in enumerate(("import fastbp", *NETWORK_COMPILE_CALLS)):
        out[name] = {f"first_call_{state}": values[column] for state, values in runs.items()}
    return out


def sweep(widths, counts, repeat: int, min_time: float) -> dict[str, dict[int, float]]:
    """Seconds per sample against N for every compiled rung and classic NumPy."""
    out: dict[str, dict[int, float]] = {}
    D, M, K = widths
    for N in counts:
        args = problem(N, D, M, K)
        calls = {f"{name}/compiled": _bind(args, rung=name) for name in RUNGS}
        calls[CLASSIC] = _bind(args, rung="matrix", compiled=False)
        if N * (D * M + M * K) <= PLAIN_WORK_LIMIT:
            calls["loops/plain"] = _bind(args, rung="loops", compiled=False)
        for t in time_interleaved(calls, repeat, min_time, f"sweep N={N}"):
            out.setdefault(t.name, {})[N] = t.median / N
    return out


def plot(curves: dict[str, dict[int, float]], widths, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install 'fastbp[plot]'") from None
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name, points in curves.items():
        counts = sorted(points)
        style = "--" if "plain" in name else "-"
        ax.loglog(counts, [points[n] * 1e9 for n in counts], style, marker="o", label=name)
    ax.set(
        xlabel="N (samples)",
        ylabel="time per sample per step (ns)",
        title="one gradient step, D={}, M={}, K={} (float64)".format(*widths),
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _blas(module) -> str:
    blas = module.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


def environment(peers: bool = False) -> dict[str, object]:
    """What the timings ran on: versions, the two BLAS libraries, threads (and with
    ``peers``, the peers' versions and PyTorch's intra-op threads)."""
    import scipy

    out: dict[str, object] = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numpy_blas": _blas(np),  # the classic NumPy code's matrix products
        "kernel_blas": _blas(scipy),  # np.dot inside Numba kernels calls scipy's BLAS
        "numba_threads": numba.get_num_threads(),
        "threading_layer_requested": numba.config.THREADING_LAYER,
        "cpu_count": os.cpu_count(),
    }
    if peers:
        try:
            import torch

            out.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
        except ImportError:
            pass
    return out


def run(
    sizes: list[str],
    repeat: int = 7,
    min_time: float = 0.05,
    peers: bool = False,
    compile_cache: str | None = None,
    plot_path: str | None = None,
    json_path: str | None = None,
    settle: float = SETTLE,
    network: list[str] | None = None,
) -> dict:
    """The rung study over ``sizes`` and the network study over the ``network`` cases
    (either may be empty); compile times for whichever ran when ``compile_cache`` is a
    folder to put Numba caches in."""
    env = environment(peers)
    print("machine: " + ", ".join(f"{k} {v}" for k, v in env.items()))
    results: dict[str, object] = {"environment": env, "sizes": {}}
    for size in sizes:
        shape = SIZES[size]
        calls = _candidates(shape, problem(*shape), peers)
        timings = time_interleaved(calls, repeat, min_time, size, settle)
        print(table(size, shape, timings), flush=True)
        results["sizes"][size] = {"shape": shape, "timings": [asdict(t) for t in timings]}
    if "seed" in sizes:
        timings = training_times(max(3, repeat // 2), settle)
        classic = timings[0].median
        print("three clouds, 1000 epochs (N=1500, D=2, M=3, K=3):")
        for t in timings:
            print(f"  {t.name:30} {_format_time(t.median):>10} {classic / t.median:8.1f}x")
        results["training"] = [asdict(t) for t in timings]
    if network:
        results["network"] = network_study(network, repeat, min_time, peers, settle)
    if compile_cache and sizes:
        rungs: list[str | None] = [*RUNGS, None]
        compiled = compile_times(rungs, compile_cache)
        results["compile"] = compiled
        print("compile and cold start (new processes; seconds):")
        heading = f"{'import':>8} {'1st call, empty cache':>22} {'1st call, warm cache':>21}"
        print(f"  {'rung':20} {heading}")
        for name, row in compiled.items():
            print(
                f"  {name:20} {row['import_cold']:8.2f} {row['first_call_cold']:22.2f} "
                f"{row['first_call_warm']:21.3f}"
            )
    if compile_cache and network:
        compiled = network_compile_times(compile_cache)
        results["network_compile"] = compiled
        print("network kernels, compile and cold start (new processes, float64; seconds):")
        print(f"  {'':28} {'empty cache':>12} {'warm cache':>11}")
        for name, row in compiled.items():
            print(f"  {name:28} {row['first_call_cold']:12.2f} {row['first_call_warm']:11.3f}")
    if plot_path and sizes:
        widths = SIZES[sizes[0]][1:]
        counts = [30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000, 300_000]
        curves = sweep(widths, counts, max(3, repeat // 2), min_time)
        results["sweep"] = {name: {str(n): v for n, v in p.items()} for name, p in curves.items()}
        plot(curves, widths, plot_path)
        print(f"plot saved to {plot_path}")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(results, f, indent=1)
        print(f"raw numbers saved to {json_path}")
    return results
