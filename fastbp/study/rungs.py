"""The rung study: one gradient step (``fastbp.gradients``: the forward pass and all four
gradients, validation included) of every rung, plain and compiled, at the sizes of
``cases.SIZES``; the 1000-epoch three-clouds run; the time per sample against N; and the
compile and cold-start times. Every speedup is over the course code's own NumPy step and
training loop (``course``), timed in the same rounds as the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .. import api
from ..peers import PEERS, UNLIMITED_PEERS
from ..registry import RUNGS, choose_rung
from . import course
from .cases import (
    SIZES,
    call_overhead_calls,
    make_problem,
    problem,
    runs,
    runs_here,
    runs_training,
)
from .probe import first_calls
from .timing import (
    FLOOR,
    SETTLE,
    Timing,
    add_peers,
    products_alone,
    progress,
    time_interleaved,
)

CLASSIC = "course (classic NumPy)"  # the baseline of every ratio: course.step, course.train
DEFAULT = "default"  # the rung fastbp picks, as "default (RUNG)"
SWEEP_COUNTS = (30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000, 300_000)


def _bind(args: tuple, **options: object) -> Callable[[], object]:
    return lambda: api.gradients(*args, **options)


def candidates(
    shape: tuple[int, ...], args: tuple, peers: bool, limited: bool = False
) -> dict[str, Callable]:
    """The course code's step (``CLASSIC``); the step's products alone (``FLOOR``); every
    rung's step, plain then compiled, where ``cases.runs`` allows it; the rung fastbp picks,
    as "default (RUNG)"; and with ``peers`` PyTorch and JAX, or only the peers whose threads
    a limit reaches when ``limited`` (the threads sweep: ``peers.UNLIMITED_PEERS``)."""
    X, _, W1, _, W2, _ = args
    out: dict[str, Callable[[], object]] = {CLASSIC: lambda: course.step(*args)}
    out[FLOOR] = products_alone([W1, W2], X, len(X))
    for name in RUNGS:
        for compiled in (False, True):
            if runs(shape, name, compiled):
                mode = "compiled" if compiled else "plain"
                out[f"{name}/{mode}"] = _bind(args, rung=name, compiled=compiled)
    out[f"{DEFAULT} ({choose_rung(*shape)})"] = _bind(args)
    if peers:
        skipped = UNLIMITED_PEERS if limited else frozenset()
        add_peers(out, {name: make for name, make in PEERS.items() if name not in skipped}, *args)
    return out


def step_times(
    size: str,
    repeat: int,
    min_time: float,
    peers: bool,
    settle: float = SETTLE,
    limited: bool = False,
) -> list[Timing]:
    """Seconds per gradient step of every candidate at a size of ``cases.SIZES``
    (``limited``: as ``candidates``)."""
    p = problem(size, forward=False)
    calls = candidates(SIZES[size], (p.X, p.T, *p.params), peers, limited)
    return time_interleaved(calls, repeat, min_time, size, settle)


def call_overhead(repeat: int, settle: float = SETTLE) -> list[Timing]:
    """What ``fastbp.gradients`` adds to the kernel it runs, at N = 8 (``CALL_OVERHEAD``):
    the public call and the bare kernel, then both with ``out=`` buffers
    (``cases.call_overhead_calls``), timed interleaved; after each pair "overhead", their
    difference in each round."""
    calls = {**call_overhead_calls(into=False), **call_overhead_calls(into=True)}
    timings = time_interleaved(calls, max(repeat, 21), 0.005, "call overhead", settle)
    rows = []
    for (public, kernel), label in zip((timings[:2], timings[2:]), ("overhead", "overhead (out=)")):
        difference = [a - b for a, b in zip(public.seconds, kernel.seconds)]
        rows += [public, kernel, Timing(label, difference)]
    return rows


def training_times(repeat: int, settle: float = SETTLE) -> list[Timing]:
    """The 1000-epoch three-clouds run (docs/math.md §5): the course loop (``CLASSIC``,
    from fastbp.train's starting weights), fastbp.train plain where ``cases.runs_training``
    allows it, then with the default rung and every rung compiled."""
    from ..datasets import three_clouds
    from ..training import train

    X, y = three_clouds()
    start = train(X, y, epochs=0)  # no update: fastbp.train's starting weights
    first = (start.W1, start.b1, start.W2, start.b2)
    calls = {f"train: {CLASSIC}": lambda: course.train(X, y, *first)}
    options = {
        f"train: {r}/plain": dict(rung=r, compiled=False) for r in RUNGS if runs_training(r, False)
    }
    options["train: default"] = {}
    options.update({f"train: {r}/compiled": dict(rung=r) for r in RUNGS if runs_training(r, True)})
    calls.update({name: (lambda o=o: train(X, y, **o)) for name, o in options.items()})
    return time_interleaved(calls, repeat, 0.0, "three-clouds training", settle)


def sweep(
    widths: tuple[int, int, int], repeat: int, min_time: float
) -> dict[str, dict[int, float]]:
    """Seconds per sample against N (``SWEEP_COUNTS``) at the widths D, M, K for every
    compiled rung, the course code's step, and plain loops where ``cases.runs`` allows it."""
    out: dict[str, dict[int, float]] = {}
    for N in SWEEP_COUNTS:
        p = make_problem(N, *widths, forward=False)
        args = (p.X, p.T, *p.params)
        calls = {
            f"{name}/compiled": _bind(args, rung=name)
            for name in RUNGS
            if runs((N, *widths), name, True)
        }
        calls[CLASSIC] = lambda args=args: course.step(*args)
        if runs((N, *widths), "loops", False):
            calls["loops/plain"] = _bind(args, rung="loops", compiled=False)
        for t in time_interleaved(calls, repeat, min_time, f"sweep N={N}"):
            out.setdefault(t.name, {})[N] = t.median / N
    return out


def compile_times(cache_dir: str) -> dict[str, dict[str, float]]:
    """Per rung and the default one: ``import fastbp`` and the first ``fastbp.gradients``
    call (Numba's start included) in new processes, with an empty Numba cache in a folder
    of ``cache_dir`` ("cold"), then with the cache that left ("warm")."""
    out = {}
    for rung in [*(r for r in RUNGS if runs_here(r)), None]:
        name = rung or f"{DEFAULT} ({choose_rung(*SIZES['seed'])})"
        progress(f"compile: {name}")
        folder = os.path.join(cache_dir, name.replace(" ", "_").replace("(", "").replace(")", ""))
        row = {}
        for state in ("cold", "warm"):
            probe = ("rung", rung or "default", "gradients")
            imported, (start, call) = first_calls(*probe, cache_dir=folder)
            row[f"import_{state}"], row[f"first_call_{state}"] = imported, start + call
        out[name] = row
    return out
