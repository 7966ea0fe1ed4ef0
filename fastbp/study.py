"""``python -m fastbp study``: time every rung, plain and compiled, and show the speedups.

One "step" is what ``fastbp.gradients`` does: the forward pass and all four gradients,
through the public API (validation included), on fixed-seed float64 data. Candidates are
timed interleaved, round by round, in one process, so that the machine's drift hits them
alike; each round repeats a call until it lasts ``min_time``. The table gives the median
over rounds and the spread (min and max relative to it). "classic NumPy" is the ``matrix``
rung run as plain NumPy: the classic code's fastest form.
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
from .peers import PEERS
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


def table(size: str, shape, timings: list[Timing]) -> str:
    """A text table: median, spread, speedup over classic NumPy and over the plain twin."""
    by_name = {t.name: t.median for t in timings}
    classic = by_name.get(CLASSIC)
    lines = [
        f"{size}: N={shape[0]}, D={shape[1]}, M={shape[2]}, K={shape[3]}",
        f"  {'candidate':24} {'median':>10} {'spread':>15} {'vs classic':>11} {'vs plain':>9}",
    ]
    for t in timings:
        spread = f"-{1 - min(t.seconds) / t.median:.0%}/+{max(t.seconds) / t.median - 1:.0%}"
        vs_classic = f"{classic / t.median:10.1f}x" if classic else ""
        plain = by_name.get(t.name.replace("/compiled", "/plain"))
        vs_plain = f"{plain / t.median:8.0f}x" if t.name.endswith("/compiled") and plain else ""
        median = _format_time(t.median)
        lines.append(f"  {t.name:24} {median:>10} {spread:>15} {vs_classic:>11} {vs_plain:>9}")
    return "\n".join(lines)


def training_times(repeat: int, settle: float = SETTLE) -> list[Timing]:
    """The 1000-epoch three-clouds run (SPEC section 5) with the classic NumPy functions
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


def compile_times(rungs: list[str | None], cache_dir: str) -> dict[str, dict[str, float]]:
    """Import and first-call seconds in new processes: with an empty cache, then warm."""
    out = {}
    for rung in rungs:
        name = rung or f"default ({choose_rung(*SIZES['seed'])})"
        print(f"  compile: {name}", file=sys.stderr, flush=True)
        folder = os.path.join(cache_dir, name.replace(" ", "_").replace("(", "").replace(")", ""))
        env = {**os.environ, "NUMBA_CACHE_DIR": folder}
        row = {}
        for state in ("cold", "warm"):
            done = subprocess.run(
                [sys.executable, "-c", COMPILE_PROBE.format(rung=rung)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            imported, first_call = map(float, done.stdout.split())
            row[f"import_{state}"], row[f"first_call_{state}"] = imported, first_call
        out[name] = row
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


def environment() -> dict[str, object]:
    """What the timings ran on: versions, the two BLAS libraries, threads."""
    import scipy

    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numpy_blas": _blas(np),  # the classic NumPy code's matrix products
        "kernel_blas": _blas(scipy),  # np.dot inside Numba kernels calls scipy's BLAS
        "numba_threads": numba.get_num_threads(),
        "threading_layer_requested": numba.config.THREADING_LAYER,
        "cpu_count": os.cpu_count(),
    }


def run(
    sizes: list[str],
    repeat: int = 7,
    min_time: float = 0.05,
    peers: bool = False,
    compile_cache: str | None = None,
    plot_path: str | None = None,
    json_path: str | None = None,
    settle: float = SETTLE,
) -> dict:
    env = environment()
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
    if compile_cache:
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
    if plot_path:
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
