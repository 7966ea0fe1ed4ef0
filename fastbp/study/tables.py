"""The study's text tables: medians, spreads over rounds and speedups."""

from __future__ import annotations

from .cases import (
    ESTIMATOR_DATA,
    ESTIMATOR_EPOCHS,
    PREDICT_TARGET,
    EstimatorCase,
    NetworkCase,
)
from .timing import Timing


def format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:7.1f} {unit}"
    return f"{seconds * 1e9:7.1f} ns"


def spread(t: Timing) -> str:
    """The fastest and slowest round relative to the median, e.g. ``-3%/+12%``."""
    return f"-{1 - min(t.seconds) / t.median:.0%}/+{max(t.seconds) / t.median - 1:.0%}"


def machine(env: dict[str, object]) -> str:
    return "machine: " + ", ".join(f"{k} {v}" for k, v in env.items())


def load(average: list[float] | None) -> str:
    """The line printed under every table: the load average when it was measured."""
    if average is None:
        return "  load average: not available on this system"
    return "  load average (1, 5, 15 min): " + ", ".join(f"{value:.2f}" for value in average)


def steps(
    size: str, shape: tuple[int, ...], timings: list[Timing], classic: str, floor: str
) -> str:
    """Median, spread, speedup over ``classic`` and over each compiled rung's plain twin, and
    the time as a multiple of ``floor``'s (the step's products alone)."""
    by_name = {t.name: t.median for t in timings}
    baseline, least = by_name.get(classic), by_name.get(floor)
    lines = [
        f"{size}: N={shape[0]}, D={shape[1]}, M={shape[2]}, K={shape[3]}",
        f"  {'candidate':24} {'median':>10} {'spread':>15} {'vs classic':>11} {'vs plain':>9}"
        f" {'x floor':>8}",
    ]
    for t in timings:
        vs_classic = f"{baseline / t.median:10.1f}x" if baseline else ""
        plain = by_name.get(t.name.replace("/compiled", "/plain"))
        vs_plain = f"{plain / t.median:8.0f}x" if t.name.endswith("/compiled") and plain else ""
        of_floor = f"{t.median / least:7.2f}x" if least else ""
        median = format_time(t.median)
        lines.append(
            f"  {t.name:24} {median:>10} {spread(t):>15} {vs_classic:>11} {vs_plain:>9}"
            f" {of_floor:>8}"
        )
    if least:
        lines.append(f"  x floor: the time over that of the step's products alone ({floor})")
    return "\n".join(lines)


def scaling(title: str, by_count: dict[int, list[Timing]]) -> str:
    """Per candidate: the median at each thread count and the scaling, the median at the
    fewest threads over the median at each count (2.0x: twice as fast)."""
    counts = sorted(by_count)
    medians = {count: {t.name: t.median for t in by_count[count]} for count in counts}
    header = "".join(f"{f'{count} thr':>10}" for count in counts)
    header += "".join(f"{f'x at {count}':>9}" for count in counts[1:])
    width = max(24, *map(len, medians[counts[0]]))
    lines = [f"{title}: scaling with threads", f"  {'candidate':{width}} {header}"]
    for name in medians[counts[0]]:  # candidates can differ by count (a peer that is missing)
        times = [medians[count].get(name) for count in counts]
        row = "".join(f"{format_time(t) if t else '':>10}" for t in times)
        first = times[0]
        row += "".join(f"{f'{first / t:.2f}x' if t else '':>9}" for t in times[1:])
        lines.append(f"  {name:{width}} {row}")
    return "\n".join(lines)


def training(timings: list[Timing], classic: str) -> str:
    """Median of each training run and its speedup over ``classic``."""
    baseline = next(t.median for t in timings if t.name == classic)
    lines = ["three clouds, 1000 epochs (N=1500, D=2, M=3, K=3):"]
    for t in timings:
        lines.append(f"  {t.name:30} {format_time(t.median):>10} {baseline / t.median:8.1f}x")
    return "\n".join(lines)


def call_overhead(timings: list[Timing], rung: str) -> str:
    """The public call, the bare kernel and the overhead (median of per-round differences)."""
    lines = [f"public-call overhead at N=8, D=2, M=3, K=3 (default rung: {rung}):"]
    for t in timings:
        lines.append(f"  {t.name:24} {t.median * 1e6:8.2f} us {spread(t):>15}")
    return "\n".join(lines)


def compile_rungs(rows: dict[str, dict[str, float]]) -> str:
    heading = f"{'import':>8} {'1st call, empty cache':>22} {'1st call, warm cache':>21}"
    lines = ["compile and cold start (new processes; seconds):", f"  {'rung':20} {heading}"]
    for name, row in rows.items():
        lines.append(
            f"  {name:20} {row['import_cold']:8.2f} {row['first_call_cold']:22.2f} "
            f"{row['first_call_warm']:21.3f}"
        )
    return "\n".join(lines)


def compile_entries(rows: dict[str, dict[str, float]], target: float) -> str:
    """``import fastbp`` plus the first call of each entry point, against ``target``."""
    lines = [
        "first call of each public entry point, import fastbp included (new processes; seconds):",
        f"  {'entry point':34} {'empty cache':>12} {'warm cache':>11} {'target':>7}",
    ]
    for name, row in rows.items():
        cold = row["import_cold"] + row["first_call_cold"]
        warm = row["import_warm"] + row["first_call_warm"]
        verdict = "met" if cold <= target else "MISSED"
        lines.append(f"  {name:34} {cold:12.2f} {warm:11.2f} {target:5.0f} s {verdict}")
    return "\n".join(lines)


def epochs(name: str, case: NetworkCase, n: int, timings: list[Timing], floor: str) -> str:
    """Median per epoch and per step, spread, speedup over PyTorch, and the time as a
    multiple of ``floor``'s (the epoch's products alone)."""
    by_name = {t.name: t.median for t in timings}
    torch, least = by_name.get("pytorch"), by_name.get(floor)
    lines = [
        f"{name}: {case.describe(n)}",
        f"  {'candidate':22} {'per epoch':>10} {'per step':>10} {'spread':>13} {'vs pytorch':>10}"
        f" {'x floor':>8}",
    ]
    for t in timings:
        per_step = format_time(t.median / case.steps(n))
        vs_torch = f"{torch / t.median:9.2f}x" if torch else ""
        of_floor = f"{t.median / least:7.2f}x" if least else ""
        lines.append(
            f"  {t.name:22} {format_time(t.median):>10} {per_step:>10} {spread(t):>13} "
            f"{vs_torch:>10} {of_floor:>8}"
        )
    return "\n".join(lines)


def verdicts(rows: dict[str, dict]) -> str:
    """How fastbp.fit stands against each case's target (cases timed with PyTorch only)."""
    lines = [
        "fastbp.fit vs PyTorch, per epoch (medians; the fastest rounds, least disturbed "
        "by the rest of the machine, in brackets), against the targets:"
    ]
    for name, row in rows.items():
        if row["target"] and "speedup_vs_pytorch" in row:
            ratio, best = row["speedup_vs_pytorch"], row["speedup_vs_pytorch_best_rounds"]
            verdict = "met" if ratio >= row["target"] else "MISSED"
            lines.append(
                f"  {name:12} {ratio:6.2f}x (best rounds {best:6.2f}x; "
                f"target {row['target']:g}x): {verdict}"
            )
    return "\n".join(lines) if len(lines) > 1 else ""


def compile_network(rows: dict[str, dict[str, float]]) -> str:
    lines = [
        "network kernels, compile and cold start (new processes, float64; seconds):",
        f"  {'':28} {'empty cache':>12} {'warm cache':>11}",
    ]
    for name, row in rows.items():
        lines.append(f"  {name:28} {row['first_call_cold']:12.2f} {row['first_call_warm']:11.3f}")
    return "\n".join(lines)


def estimator_fits(name: str, case: EstimatorCase, timings: list[Timing], ratios: dict) -> str:
    """Median fit and predict times of both libraries, and fastbp's speedups."""
    batch = f"batch {case.batch_size}" if case.solver != "lbfgs" else "full batch"
    data = ESTIMATOR_DATA[case.data]
    lines = [
        f"{name}: MLPClassifier {'-'.join(map(str, case.sizes))} on {data}, solver "
        f"{case.solver}, {batch}, {ESTIMATOR_EPOCHS} epochs",
        f"  {'candidate':22} {'median':>10} {'spread':>13}",
    ]
    for t in timings:
        lines.append(f"  {t.name:22} {format_time(t.median):>10} {spread(t):>13}")
    for step, target in (("fit", case.target), ("predict", PREDICT_TARGET)):
        verdict = "met" if ratios[step] >= target else "MISSED"
        lines.append(f"  {step}: fastbp {ratios[step]:.1f}x faster (target {target:g}x): {verdict}")
    return "\n".join(lines)


def held_out(rows: dict[str, dict[str, tuple[float, float]]]) -> str:
    """Held-out scores of both libraries per problem and solver."""
    lines = [
        "held-out score (accuracy or R², 70/30 split, mean of 3 random_states):",
        f"  {'problem':10} {'solver':7} {'fastbp':>7} {'scikit-learn':>13} {'difference':>11}",
    ]
    for problem, solvers in rows.items():
        for solver, (ours, theirs) in solvers.items():
            lines.append(
                f"  {problem:10} {solver:7} {ours:7.3f} {theirs:13.3f} {ours - theirs:+11.3f}"
            )
    return "\n".join(lines)
