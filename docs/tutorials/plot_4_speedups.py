"""
The speedup study
=================

How fast is each rung of :doc:`/user-guide/ladder`, plain and compiled? This tutorial times
one gradient step (the forward pass and all four gradients, one :func:`fastbp.gradients`
call) at the three clouds' size for a few rungs, and the classic network's time per sample as
N grows. It is a small, quick version of ``python -m fastbp study``, which times every rung
interleaved, round by round, with medians and spreads (:doc:`/performance/index`). The
numbers are whatever the machine that built this page gave while building it.
"""

import timeit

import matplotlib.pyplot as plt
import numpy as np

import fastbp


def problem(N, D=2, M=3, K=3, seed=0):
    """Standard normal inputs, random one-hot targets, weights scaled by 1/sqrt(fan-in)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    T = fastbp.datasets.one_hot(rng.integers(0, K, N), K)
    W1, W2 = rng.standard_normal((D, M)) / np.sqrt(D), rng.standard_normal((M, K)) / np.sqrt(M)
    return X, T, W1, np.zeros(M), W2, np.zeros(K)


def seconds_per_step(args, repeat=5, **options):
    """The fastest of ``repeat`` rounds of one gradients call (after a warm-up call)."""
    fastbp.gradients(*args, **options)  # compiles on the first call
    timer = timeit.Timer(lambda: fastbp.gradients(*args, **options))
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number


args = problem(1500)
candidates = {
    "loops, plain": dict(rung="loops", compiled=False),
    "loops, compiled": dict(rung="loops"),
    "matrix, plain (the classic code)": dict(rung="matrix", compiled=False),
    "fused, compiled": dict(rung="fused"),
    "narrow, compiled": dict(rung="narrow"),
}
times = {name: seconds_per_step(args, **options) for name, options in candidates.items()}
classic = times["matrix, plain (the classic code)"]
for name, seconds in times.items():
    print(f"{name:34} {seconds * 1e6:10.1f} us   {classic / seconds:6.2f}x the classic code")

# %%
# Compiling the scalar loops gains a factor of hundreds, yet brings them only to about the
# classic code's matrix products. ``fused`` and ``narrow`` go further by never building the
# N-sized temporaries of the matrix form and by computing the exponentials in SIMD-friendly
# code.

fig, ax = plt.subplots(figsize=(8, 3.5))
ax.barh(list(times), [s * 1e6 for s in times.values()])
ax.set_xscale("log")
ax.set(xlabel="one gradient step (us, log scale)", title="N=1500, D=2, M=3, K=3")
fig.tight_layout()

# %%
# Time per sample as N grows: the fixed cost of a call dominates small N, memory traffic
# large N.

counts = [100, 1000, 10_000, 100_000]
curves = {"matrix, plain (the classic code)": {}, "fused, compiled": {}, "default": {}}
options = {
    "matrix, plain (the classic code)": dict(rung="matrix", compiled=False),
    "fused, compiled": dict(rung="fused"),
    "default": {},
}
for N in counts:
    args = problem(N)
    for name in curves:
        curves[name][N] = seconds_per_step(args, repeat=3, **options[name]) / N

fig, ax = plt.subplots(figsize=(7, 4.5))
for name, points in curves.items():
    ax.loglog(counts, [points[n] * 1e9 for n in counts], marker="o", label=name)
ax.set(xlabel="N (samples)", ylabel="time per sample per step (ns)", title="D=2, M=3, K=3")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()

# %%
# ``default`` is ``rung=None``: :func:`fastbp.choose_rung` picks ``narrow`` for these widths,
# and ``narrow_parallel`` from N = 30,000 when there are two threads or more. That rung's
# point suffers most when the machine building this page is busy with other work: its
# threads wait for cores. For the whole
# study, with every rung, the wider sizes, the training run and the compile times::
#
#     python -m fastbp study --sizes seed,small-wide --plot study.png --json study.json
