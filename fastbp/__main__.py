"""Command line: ``python -m fastbp train`` (the reference run), ``python -m fastbp example
NAME`` (the general network's tutorials), ``python -m fastbp study`` (the timings) and
``python -m fastbp compile`` (fill the compile cache ahead of time)."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from . import examples, training, warmup
from ._validation import ParameterError, check_parameters
from .datasets import three_clouds
from .fitting import DivergenceError
from .kernels import caching
from .registry import RUNGS
from .study import main as study
from .study.cases import DASK_CASES, ESTIMATOR_CASES, NETWORK_CASES, SIZES
from .study.plot import MISSING, pyplot


def _defaults(function: Callable) -> dict[str, object]:
    """The keyword defaults of ``function``: the options' defaults live there alone."""
    parameters = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def _setting(kind: type, name: str) -> Callable[[str], object]:
    """An argparse ``type``: a ``kind`` (int or float) that the validation boundary accepts
    as ``name`` (fastbp._validation.PARAMETERS: one table for the API and the options)."""

    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            value = text  # not a number: the boundary rejects it, saying what it expects
        try:
            check_parameters({name: value})
        except ParameterError as error:
            raise argparse.ArgumentTypeError(f"must be {error.expected}, got {text!r}") from None
        return value

    return parse


def _diverged(parser: argparse.ArgumentParser, error: DivergenceError) -> int:
    """A diverged run is no usage error: one line on stderr, and status 1."""
    print(f"{parser.prog}: error: {error}", file=sys.stderr)
    return 1


def _check_plot(parser: argparse.ArgumentParser, path: str | None) -> None:
    """Fail before any work when --plot cannot be drawn."""
    if path:
        try:
            pyplot()
        except ImportError:
            parser.error(MISSING)


# --- train: the reference run ------------------------------------------------------------------


def _print_report(entry: training.Report, write: Callable[[str], None] = print) -> None:
    rate = f"classification rate {entry.rate:.4f}"
    write(f"epoch {entry.epoch:6d}   cost {entry.cost:14.4f}   {rate}")


# The --dask run's defaults: fewer, longer epochs, and the reference run's step per sample
# (learning rate 1e-3 on 1500 samples), since the classic rate multiplies a sum over N.
DASK_EPOCHS, DASK_REPORT_EVERY, REFERENCE_STEP = 100, 10, 1e-3 * 1500
DASK_OPTIONS = ("workers", "threads_per_worker", "samples", "chunk", "scheduler", "data")


def _train_command(args: argparse.Namespace) -> int:
    if args.dask:
        return _dask_train_command(args)
    given = [f"--{name.replace('_', '-')}" for name in DASK_OPTIONS if getattr(args, name)]
    if given:
        args.parser.error(f"{', '.join(given)}: only with --dask")
    defaults = _defaults(training.train)
    for name in ("epochs", "learning_rate", "report_every"):
        if getattr(args, name) is None:
            setattr(args, name, defaults[name])
    _check_plot(args.parser, args.plot)
    X, y = three_clouds(args.samples_per_class, seed=args.seed)
    print(
        f"three clouds: N={len(X)}, D=2, M={args.hidden}, K=3; learning rate "
        f"{args.learning_rate}, {args.epochs} epochs, rung "
        f"{args.rung or 'auto'} ({'plain Python' if args.plain else 'compiled'}), {args.dtype}"
    )
    # Drawn on stderr only when it is a terminal; the reports go to stdout.
    bar = tqdm(total=args.epochs, unit="epoch", leave=False, disable=None)

    def on_epoch(epoch: int, cost: float, entry: training.Report | None) -> None:
        if entry is not None:
            _print_report(entry, bar.write)
        bar.update()

    start = time.perf_counter()
    try:
        result = training.train(
            X,
            y,
            hidden=args.hidden,
            learning_rate=args.learning_rate,
            epochs=args.epochs,
            rung=args.rung,
            compiled=not args.plain,
            seed=args.seed,
            report_every=args.report_every,
            dtype=np.dtype(args.dtype),
            callback=on_epoch,
        )
    except DivergenceError as error:  # the learning rate is too large
        return _diverged(args.parser, error)
    except training.TrainingInterrupted as stop:  # Ctrl-C: what the completed epochs reached
        bar.close()
        _print_report(stop.result.final)
        print(f"interrupted after {stop.result.final.epoch} epochs", file=sys.stderr)
        return 130  # the shell's status for a run stopped by SIGINT
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    _print_report(result.final)
    print(
        f"final classification rate: {result.final.rate:.4f} "
        f"(rung {result.rung}, {elapsed:.2f} s including compilation)"
    )
    if args.plot:
        _plot(result, X, y, args.plot)
        print(f"plot saved to {args.plot}")
    return 0


def _dask_train_command(args: argparse.Namespace) -> int:
    """The reference network on a data set chunked over Dask workers (README, "Beyond one
    machine: Dask"): generated chunk by chunk on the workers, or read from --data."""
    parser = args.parser
    if args.plot:
        parser.error("--plot needs the samples in memory; it does not combine with --dask")
    if args.data and args.samples:
        parser.error("--samples generates a data set; --data reads one: give one of them")
    try:
        from . import _dispatch

        dist = _dispatch.distributed()
    except ImportError as error:
        parser.error(str(error))
    from distributed import Client

    threads = args.threads_per_worker or 1
    workers = args.workers or max(1, warmup.available_cpus() // threads)
    with contextlib.ExitStack() as stack:
        if args.scheduler:
            client = stack.enter_context(Client(args.scheduler))
        else:
            cluster = stack.enter_context(dist.local_cluster(workers, threads))
            client = stack.enter_context(Client(cluster))
        print(f"dask: {client}; dashboard: {client.dashboard_link}")
        start = time.perf_counter()
        ready = dist.warm_up(client, dtypes=(args.dtype,), rungs=(args.rung or "fused",))
        print(f"kernels ready on {len(ready)} workers in {time.perf_counter() - start:.1f} s")
        chunk = args.chunk or 1_000_000
        if args.data:
            X, labels = dist.load(args.data, chunk)
            source = f"{args.data} (read chunk by chunk on the workers)"
        else:
            X, labels = dist.three_clouds(args.samples or 20_000_000, chunk, args.seed)
            source = f"three clouds generated on the workers (seed {args.seed})"
        N = X.shape[0]
        epochs = DASK_EPOCHS if args.epochs is None else args.epochs
        every = DASK_REPORT_EVERY if args.report_every is None else args.report_every
        rate = REFERENCE_STEP / N if args.learning_rate is None else args.learning_rate
        print(
            f"{source}: N={N}, D={X.shape[1]}, M={args.hidden}, in {X.numblocks[0]} chunks "
            f"of up to {max(X.chunks[0])}; learning rate {rate:.4g}, {epochs} epochs, "
            f"{args.dtype}"
        )
        clock = [time.perf_counter()]

        def on_epoch(epoch: int, cost: float, entry: training.Report | None) -> None:
            now = time.perf_counter()
            seconds, clock[0] = now - clock[0], now
            if entry is not None:
                _print_report(entry)
            else:
                print(f"epoch {epoch:6d}   cost {cost:14.4f}   ({seconds:.2f} s)", flush=True)

        start = time.perf_counter()
        with client.as_current():
            try:
                result = training.train(
                    X,
                    labels,
                    hidden=args.hidden,
                    learning_rate=rate,
                    epochs=epochs,
                    rung=args.rung,
                    compiled=not args.plain,
                    seed=args.seed,
                    report_every=every,
                    dtype=np.dtype(args.dtype),
                    callback=on_epoch,
                )
            except DivergenceError as error:
                return _diverged(parser, error)
            except ValueError as error:  # bad data
                parser.error(str(error))
        elapsed = time.perf_counter() - start
        _print_report(result.final)
        print(
            f"final classification rate: {result.final.rate:.4f} (rung {result.rung} per "
            f"chunk, {elapsed:.2f} s, {elapsed / max(epochs, 1):.3f} s per epoch)"
        )
    return 0


def _plot(result: training.TrainResult, X: np.ndarray, y: np.ndarray, path: str) -> None:
    """Cost curve and decision regions over the data, saved to ``path``."""
    from .api import forward

    plt = pyplot()
    fig, (curve, regions) = plt.subplots(1, 2, figsize=(11, 4.5))
    curve.plot([r.epoch for r in result.history], [r.cost for r in result.history], "o-")
    curve.set(xlabel="epoch", ylabel="log-likelihood sum(T log Y)", title="cost")
    lo, hi = X.min(axis=0) - 1, X.max(axis=0) + 1
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(result.W1.dtype)
    Y, _ = forward(grid, result.W1, result.b1, result.W2, result.b2, rung=result.rung)
    regions.contourf(gx, gy, Y.argmax(axis=1).reshape(gx.shape), alpha=0.25, cmap="viridis")
    regions.scatter(X[:, 0], X[:, 1], c=y, s=6, cmap="viridis")
    regions.set(title=f"decision regions (rate {result.final.rate:.3f})", xlabel="x1", ylabel="x2")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- example: the general network's tutorials --------------------------------------------------


def _example_command(args: argparse.Namespace) -> int:
    try:
        examples.run(
            args.name,
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            seed=args.seed,
            report_every=args.report_every,
            dtype=np.dtype(args.dtype).type,
        )
    except DivergenceError as error:  # the learning rate is too large
        return _diverged(args.parser, error)
    return 0


# --- study: the timings --------------------------------------------------------------------------


def _names(parser: argparse.ArgumentParser, option: str, given: str, known) -> list[str]:
    chosen = [s.strip() for s in given.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in known]
    if unknown or not chosen:
        parser.error(f"{option}: unknown {unknown}; choose from {', '.join(known)}")
    return chosen


def _study_command(args: argparse.Namespace) -> int:
    parser = args.parser
    network = args.network or args.cases is not None
    cases = _names(parser, "--cases", args.cases or ",".join(NETWORK_CASES), NETWORK_CASES)
    fits = args.estimators is not None
    chosen = args.estimators or ",".join(ESTIMATOR_CASES)
    estimator_cases = _names(parser, "--estimators", chosen, ESTIMATOR_CASES) if fits else None
    dask = _names(parser, "--dask", args.dask, DASK_CASES) if args.dask else None
    if dask:
        try:
            from . import _dispatch

            _dispatch.distributed()
        except ImportError as error:
            parser.error(str(error))
    # --network, --estimators or --dask alone runs that study only; --sizes adds (or, alone,
    # is) the rung study
    alone = network or fits or dask
    given_sizes = args.sizes if args.sizes is not None else ("" if alone else "seed")
    sizes = _names(parser, "--sizes", given_sizes, SIZES) if given_sizes else []
    if args.plot and not sizes:
        parser.error("--plot sweeps the rungs over N: give --sizes too")
    _check_plot(parser, args.plot)
    with tempfile.TemporaryDirectory() as cache:
        study.run(
            sizes,
            repeat=args.repeat,
            min_time=args.min_time,
            peers=args.peers,
            compile_cache=cache if args.compile else None,
            plot_path=args.plot,
            json_path=args.json,
            network=cases if network else None,
            estimators=estimator_cases,
            dask=dask,
        )
    return 0


# --- compile: fill the compile cache ------------------------------------------------------------


def _compile_command(args: argparse.Namespace) -> int:
    parser = args.parser
    if args.clear:
        print(f"emptied fastbp's compile cache: {caching.clear()}")
        return 0
    # --network alone compiles the network only; --rungs alone, those rungs; neither, both
    if args.rungs is not None:
        rungs = _names(parser, "--rungs", args.rungs, RUNGS)
    else:
        rungs = [] if args.network else list(warmup.DEFAULT_RUNGS)
    network = args.network or args.rungs is None
    dtypes = _names(parser, "--dtypes", args.dtypes, warmup.DTYPES)
    units = sum(map(len, warmup.plan(rungs, dtypes, network)))
    print(f"units: {units}, processes at a time: {args.jobs}, cache: {warmup.cache_folder()}")
    start = time.perf_counter()
    warmup.warm_up(
        rungs,
        dtypes,
        network,
        args.jobs,
        report=lambda unit, seconds: print(f"  {unit!s:<20} {seconds:6.1f} s", flush=True),
    )
    print(f"  {'total':<20} {time.perf_counter() - start:6.1f} s")
    return 0


# --- the parser ----------------------------------------------------------------------------------


def _training_options(parser: argparse.ArgumentParser, defaults: dict, default: str) -> None:
    """The options train and example share; ``default`` says what a missing one means."""
    for flag, kind in (("--epochs", int), ("--learning-rate", float)):
        name = flag[2:].replace("-", "_")
        parser.add_argument(
            flag, type=_setting(kind, name), default=defaults[name], help=f"default: {default}"
        )
    parser.add_argument(
        "--seed",
        type=_setting(int, "seed"),
        default=defaults["seed"],
        help="seed of the data and the weights (default: %(default)s)",
    )
    parser.add_argument(
        "--report-every",
        type=_setting(int, "report_every"),
        default=defaults["report_every"],
        help=f"epochs between reports (default: {default})",
    )
    parser.add_argument(
        "--dtype", choices=["float64", "float32"], default=np.dtype(defaults["dtype"]).name
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fastbp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    tr = commands.add_parser(
        "train",
        help="the reference training run on the three clouds (docs/math.md, section 5)",
        description="Full-batch gradient ascent on the three Gaussian clouds; prints the cost "
        "and classification rate every --report-every epochs and the final rate.",
    )
    train_defaults = _defaults(training.train)
    tr.add_argument("--rung", choices=list(RUNGS), default=None, help="default: auto by shape")
    tr.add_argument("--plain", action="store_true", help="run the rung as plain Python/NumPy")
    tr.add_argument(
        "--hidden",
        type=_setting(int, "hidden"),
        default=train_defaults["hidden"],
        help="hidden units M",
    )
    tr.add_argument(
        "--samples-per-class",
        type=_setting(int, "n_per_class"),
        default=_defaults(three_clouds)["n_per_class"],
        help="default: %(default)s",
    )
    _training_options(
        tr,
        train_defaults,
        f"{train_defaults['epochs']} epochs, learning rate {train_defaults['learning_rate']}, a "
        f"report every {train_defaults['report_every']}; with --dask {DASK_EPOCHS} epochs, "
        f"{REFERENCE_STEP:g}/N, every {DASK_REPORT_EVERY}",
    )
    tr.set_defaults(epochs=None, learning_rate=None, report_every=None)
    tr.add_argument("--plot", metavar="FILE.png", help="save the cost curve and decision regions")
    dk = tr.add_argument_group(
        "dask", "train on a data set chunked over Dask workers (needs fastbp[dask])"
    )
    dk.add_argument("--dask", action="store_true", help="train on Dask workers")
    dk.add_argument(
        "--workers",
        type=_setting(int, "workers"),
        help="worker processes of the LocalCluster (default: CPUs / threads per worker)",
    )
    dk.add_argument(
        "--threads-per-worker", type=_setting(int, "threads_per_worker"), help="default: 1"
    )
    dk.add_argument(
        "--samples",
        type=_setting(int, "samples"),
        help="samples generated on the workers (default: 20000000)",
    )
    dk.add_argument(
        "--chunk", type=_setting(int, "chunk"), help="samples per chunk (default: 1000000)"
    )
    dk.add_argument("--scheduler", metavar="ADDRESS", help="join this scheduler instead")
    dk.add_argument(
        "--data",
        metavar="PATH",
        help="a stored data set: a folder with X.npy and labels.npy, or a zarr store",
    )
    tr.set_defaults(run=_train_command, parser=tr)

    ex = commands.add_parser(
        "example",
        help="a tutorial of the general network: " + ", ".join(examples.EXAMPLES),
        description="Trains a tutorial's network with fastbp.fit and prints the loss and "
        "accuracy as it goes. "
        + "; ".join(f"{name}: {example.summary}" for name, example in examples.EXAMPLES.items()),
    )
    ex.add_argument("name", choices=list(examples.EXAMPLES), help="which tutorial")
    _training_options(ex, _defaults(examples.run), "the tutorial's")
    ex.set_defaults(run=_example_command, parser=ex)

    st = commands.add_parser(
        "study",
        help="time every rung, plain and compiled, against classic NumPy (and peers)",
        description="Times one gradient step (forward + four gradients) for every rung, "
        "plain and compiled, interleaved in one process, and prints medians, spreads and "
        "speedups. With --network: one epoch of SGD with momentum of the general network "
        "through fastbp.fit (and the bare compiled epoch, and with --peers the same training "
        "in PyTorch), per epoch and per step. Progress goes to stderr.",
    )
    study_defaults = _defaults(study.run)
    st.add_argument(
        "--sizes",
        default=None,
        help=f"comma-separated, from {', '.join(SIZES)} (default: seed, or none with --network)",
    )
    st.add_argument(
        "--network",
        action="store_true",
        help="time the general network's SGD epochs (the cases of --cases) instead of the rungs",
    )
    st.add_argument(
        "--cases",
        default=None,
        help="comma-separated network cases (implies --network; default: all of "
        f"{', '.join(NETWORK_CASES)})",
    )
    st.add_argument(
        "--estimators",
        nargs="?",
        const="",
        default=None,
        metavar="CASES",
        help="time fastbp's MLPClassifier against scikit-learn's (fit and predict, same "
        "parameters) and compare held-out scores; optionally comma-separated cases from "
        f"{', '.join(ESTIMATOR_CASES)} (default: all)",
    )
    st.add_argument(
        "--repeat",
        type=_setting(int, "repeat"),
        default=study_defaults["repeat"],
        help="rounds per candidate (default: %(default)s)",
    )
    st.add_argument(
        "--min-time",
        type=_setting(float, "min_time"),
        default=study_defaults["min_time"],
        help="seconds per round (default: %(default)s)",
    )
    st.add_argument(
        "--peers", action="store_true", help="add PyTorch and JAX if installed (network: PyTorch)"
    )
    st.add_argument(
        "--compile",
        action="store_true",
        help="also time compilation and cold start in new processes: each rung's first "
        "gradients call and every public entry point's first call (about 8 minutes; with "
        "--network, of the network kernels too)",
    )
    st.add_argument(
        "--dask",
        nargs="?",
        const=",".join(DASK_CASES),
        default=None,
        metavar="CASES",
        help="time a full-batch epoch in memory, on dask's threaded scheduler and on a "
        f"LocalCluster (2 x 1) for the cases (default: all of {', '.join(DASK_CASES)}; "
        "needs fastbp[dask]; tall-1e8 holds 4 GB on the workers)",
    )
    st.add_argument("--plot", metavar="FILE.png", help="time per sample against N (log-log)")
    st.add_argument("--json", metavar="FILE.json", help="write the raw numbers")
    st.set_defaults(run=_study_command, parser=st)

    co = commands.add_parser(
        "compile",
        help="fill the on-disk compile cache ahead of time (container images, cluster workers)",
        description="Compiles, in parallel processes, the kernels that the named rungs and "
        "the general network call for each dtype, and saves them in fastbp's on-disk cache "
        "(a folder per version of the kernels' code, under NUMBA_CACHE_DIR/fastbp if "
        "NUMBA_CACHE_DIR is set, else beside the kernels' source, else in ~/.cache/fastbp), "
        "so that a later process's first call loads them instead of compiling. Prints each "
        "unit's seconds and the total. Default: every rung the default rung=None can pick "
        f"({', '.join(warmup.DEFAULT_RUNGS)}) and the network, in float64.",
    )
    co.add_argument(
        "--clear",
        action="store_true",
        help="empty fastbp's compile cache (every version's folder) and compile nothing",
    )
    co.add_argument(
        "--rungs",
        default=None,
        help=f"comma-separated, from {', '.join(RUNGS)} (default: "
        f"{','.join(warmup.DEFAULT_RUNGS)}, or none with --network alone)",
    )
    co.add_argument(
        "--dtypes",
        default=",".join(_defaults(warmup.warm_up)["dtypes"]),
        help=f"comma-separated, from {', '.join(warmup.DTYPES)} (default: %(default)s)",
    )
    co.add_argument(
        "--network",
        action="store_true",
        help="the general network's kernels (fastbp.fit, Network.loss_gradient and predict); "
        "alone: only those",
    )
    co.add_argument(
        "--jobs",
        type=_setting(int, "jobs"),
        default=warmup.available_cpus(),
        help="processes at a time (default: the CPUs available, %(default)s)",
    )
    co.set_defaults(run=_compile_command, parser=co)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
