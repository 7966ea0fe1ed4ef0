"""``study.run``: the rung study, the network study, compile times and the plot, printed as
text tables on stdout (progress on stderr) and returned as one dictionary."""

from __future__ import annotations

import json
from dataclasses import asdict

from .._validation import check_parameters
from . import networks, probe, rungs, tables, threads
from .cases import (
    ACCURACY_PROBLEMS,
    ACCURACY_SOLVERS,
    CALL_OVERHEAD,
    ESTIMATOR_CASES,
    NETWORK_CASES,
    NETWORKS,
    SIZES,
    network_problem,
)
from .environment import environment, load_average
from .plot import pyplot, sweep_plot
from .timing import FLOOR, SETTLE, Timing


def _show(table: str, name: str, loads: dict[str, list[float] | None]) -> None:
    """Print a table with the load average beside it, and keep that load as ``loads[name]``
    (``name``: where the table's numbers are in the results, e.g. ``sizes.seed``)."""
    loads[name] = load_average()
    print(f"{table}\n{tables.load(loads[name])}", flush=True)


def _rung_study(
    sizes: list[str], repeat: int, min_time: float, peers: bool, settle: float, loads: dict
):
    results: dict[str, object] = {"classic": rungs.CLASSIC, "sizes": {}}
    for size in sizes:
        timings = rungs.step_times(size, repeat, min_time, peers, settle)
        table = tables.steps(size, SIZES[size], timings, rungs.CLASSIC, FLOOR)
        _show(table, f"sizes.{size}", loads)
        results["sizes"][size] = {"shape": SIZES[size], "timings": [asdict(t) for t in timings]}
    if "seed" in sizes:
        timings = rungs.call_overhead(repeat, settle)
        _show(
            tables.call_overhead(timings, rungs.choose_rung(*CALL_OVERHEAD)), "call_overhead", loads
        )
        results["call_overhead"] = [asdict(t) for t in timings]
        # half the rounds, at least three (1000 epochs a round), never more than asked
        timings = rungs.training_times(min(repeat, max(3, repeat // 2)), settle)
        _show(tables.training(timings, "train: " + rungs.CLASSIC), "training", loads)
        results["training"] = [asdict(t) for t in timings]
    return results


def _network_study(
    cases: list[str], repeat: int, min_time: float, peers: bool, settle: float, loads: dict
):
    out: dict[str, dict] = {}
    for name in cases:
        case = NETWORK_CASES[name]
        n = len(network_problem(case.network)[1])
        timings = networks.epoch_times(name, repeat, min_time, peers, settle)
        _show(tables.epochs(name, case, n, timings, FLOOR), f"network.{name}", loads)
        row = out[name] = {
            **asdict(case),
            "data": NETWORKS[case.network].data,
            "sizes": NETWORKS[case.network].sizes,
            "samples": n,
            "steps": case.steps(n),
            "timings": [asdict(t) for t in timings],
        }
        speedup = networks.speedup(timings)
        if case.target and speedup:
            row["speedup_vs_pytorch"], row["speedup_vs_pytorch_best_rounds"] = speedup
    verdicts = tables.verdicts(out)
    if verdicts:
        print(verdicts, flush=True)
    return out


def _threads_sweep(
    counts: list[int],
    sizes: list[str],
    cases: list[str],
    repeat: int,
    min_time: float,
    peers: bool,
    settle: float,
    loads: dict,
) -> dict[str, dict]:
    """The sizes' steps and the network cases' epochs at each thread count (``threads``),
    each table printed as it is measured, then one scaling table per size and case."""
    measured: dict[str, dict[int, list]] = {}
    for count in counts:
        with threads.limited(count, peers):
            for size in sizes:
                timings = rungs.step_times(size, repeat, min_time, peers, settle, limited=True)
                table = tables.steps(size, SIZES[size], timings, rungs.CLASSIC, FLOOR)
                _show(f"at {count} threads, {table}", f"threads.{count}.{size}", loads)
                measured.setdefault(size, {})[count] = timings
            for name in cases:
                case = NETWORK_CASES[name]
                n = len(network_problem(case.network)[1])
                timings = networks.epoch_times(name, repeat, min_time, peers, settle)
                table = tables.epochs(name, case, n, timings, FLOOR)
                _show(f"at {count} threads, {table}", f"threads.{count}.{name}", loads)
                measured.setdefault(name, {})[count] = timings
    for name, by_count in measured.items():
        _one_default_row(by_count)
        _show(tables.scaling(name, by_count), f"threads.scaling.{name}", loads)
    return {
        name: {str(count): [asdict(t) for t in timings] for count, timings in by_count.items()}
        for name, by_count in measured.items()
    }


def _one_default_row(by_count: dict[int, list[Timing]]) -> None:
    """Give the default's timings one name at every thread count, "default (narrow at 1,
    narrow_parallel at 2)" when the rung fastbp picks changes with the threads, so that the
    scaling tables (and the saved results) put the default in one row."""
    default = f"{rungs.DEFAULT} ("
    picked = {
        count: t.name[len(default) : -1]
        for count, timings in by_count.items()
        for t in timings
        if t.name.startswith(default)
    }
    if len(set(picked.values())) < 2:
        return
    rungs_at = ", ".join(f"{rung} at {count}" for count, rung in sorted(picked.items()))
    for timings in by_count.values():
        for t in timings:
            if t.name.startswith(default):
                t.name = f"{rungs.DEFAULT} ({rungs_at})"


def _estimator_study(cases: list[str], repeat: int, min_time: float, settle: float, loads: dict):
    from . import estimators

    out: dict[str, object] = {"fits": {}, "held_out": {}}
    for name in cases:
        timings = estimators.times(name, repeat, min_time, settle)
        ratios = estimators.ratios(timings)
        fits = tables.estimator_fits(name, ESTIMATOR_CASES[name], timings, ratios)
        _show(fits, f"estimators.fits.{name}", loads)
        out["fits"][name] = {
            **asdict(ESTIMATOR_CASES[name]),
            "timings": [asdict(t) for t in timings],
            "speedups": ratios,
        }
    for problem in ACCURACY_PROBLEMS:
        out["held_out"][problem] = {
            solver: estimators.held_out_scores(problem, solver) for solver in ACCURACY_SOLVERS
        }
    _show(tables.held_out(out["held_out"]), "estimators.held_out", loads)
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
    estimators: list[str] | None = None,
    dask: list[str] | None = None,
    thread_counts: list[int] | None = None,
) -> dict:
    """The rung study over ``sizes`` and the network study over the ``network`` cases
    (either may be empty), ``repeat`` rounds of about ``min_time`` seconds per candidate;
    the estimator study over the ``estimators`` cases, with the held-out scores; compile
    times for whichever ran when ``compile_cache`` is a folder to put Numba caches
    in; the time per sample against N at the first size's widths, plotted to ``plot_path``
    (checked first: ImportError without matplotlib); the ``dask`` cases (names from
    cases.DASK_CASES: one epoch in memory, on dask's threaded scheduler and on a
    LocalCluster; needs fastbp[dask]); the results as JSON to ``json_path``. With
    ``thread_counts``, the sizes and network cases are timed at each of those thread counts
    instead (``threads.limited``: Numba, BLAS and PyTorch alike), then their scaling shown.
    Every table is printed with the load average beside it, and ``results["load_average"]``
    maps where each table's numbers are to the load when it was printed."""
    check_parameters({"repeat": repeat, "min_time": min_time})
    counts = threads.check_counts(thread_counts) if thread_counts is not None else None
    if plot_path and sizes:
        pyplot()
    env = environment(peers)
    print(tables.machine(env))
    loads: dict[str, list[float] | None] = {}
    results: dict[str, object] = {"environment": env, "load_average": loads, "floor": FLOOR}
    if counts:
        sweep = (counts, sizes, network or [], repeat, min_time, peers, settle, loads)
        results["threads"] = _threads_sweep(*sweep)
    else:
        results.update(_rung_study(sizes, repeat, min_time, peers, settle, loads))
        if network:
            results["network"] = _network_study(network, repeat, min_time, peers, settle, loads)
    if estimators:
        results["estimators"] = _estimator_study(estimators, repeat, min_time, settle, loads)
    if dask:
        from . import scale  # needs dask and distributed

        results["dask"] = scale.run(repeat, dask)
        _show(scale.table(results["dask"]), "dask", loads)
    if compile_cache and sizes:
        results["compile"] = rungs.compile_times(compile_cache)
        _show(tables.compile_rungs(results["compile"]), "compile", loads)
    if compile_cache and network:
        results["network_compile"] = networks.compile_times(compile_cache)
        _show(tables.compile_network(results["network_compile"]), "network_compile", loads)
    if compile_cache:
        results["entry_compile"] = probe.entry_times(compile_cache)
        entries = tables.compile_entries(results["entry_compile"], probe.ENTRY_TARGET)
        _show(entries, "entry_compile", loads)
    if plot_path and sizes:
        widths = SIZES[sizes[0]][1:]
        curves = rungs.sweep(widths, max(3, repeat // 2), min_time)
        results["sweep"] = {name: {str(n): v for n, v in p.items()} for name, p in curves.items()}
        sweep_plot(curves, widths, plot_path)
        print(f"plot saved to {plot_path}")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(results, f, indent=1)
        print(f"raw numbers saved to {json_path}")
    return results
