"""``python -m fastbp train``: the reference run on the three clouds, in memory or with
--dask on a data set chunked over Dask workers."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from tqdm import tqdm

from .. import training, warmup
from ..datasets import three_clouds
from ..fitting import DivergenceError
from ..registry import RUNGS
from ..study.plot import pyplot
from .common import check_plot, defaults, diverged, setting, training_options

# The --dask run's defaults: fewer, longer epochs, and the reference run's step per sample
# (learning rate 1e-3 on 1500 samples), since the classic rate multiplies a sum over N.
DASK_EPOCHS, DASK_REPORT_EVERY, REFERENCE_STEP = 100, 10, 1e-3 * 1500
DASK_OPTIONS = ("workers", "threads_per_worker", "samples", "chunk", "scheduler", "data")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``train`` subcommand and its options."""
    tr = commands.add_parser(
        "train",
        help="the reference training run on the three clouds (docs/math.md, section 5)",
        description="Full-batch gradient ascent on the three Gaussian clouds; prints the cost "
        "and classification rate every --report-every epochs and the final rate.",
    )
    train_defaults = defaults(training.train)
    tr.add_argument("--rung", choices=list(RUNGS), default=None, help="default: auto by shape")
    tr.add_argument("--plain", action="store_true", help="run the rung as plain Python/NumPy")
    tr.add_argument(
        "--hidden",
        type=setting(int, "hidden"),
        default=train_defaults["hidden"],
        help="hidden units M",
    )
    tr.add_argument(
        "--samples-per-class",
        type=setting(int, "n_per_class"),
        default=defaults(three_clouds)["n_per_class"],
        help="default: %(default)s",
    )
    training_options(
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
        type=setting(int, "workers"),
        help="worker processes of the LocalCluster (default: CPUs / threads per worker)",
    )
    dk.add_argument(
        "--threads-per-worker", type=setting(int, "threads_per_worker"), help="default: 1"
    )
    dk.add_argument(
        "--samples",
        type=setting(int, "samples"),
        help="samples generated on the workers (default: 20000000)",
    )
    dk.add_argument(
        "--chunk", type=setting(int, "chunk"), help="samples per chunk (default: 1000000)"
    )
    dk.add_argument("--scheduler", metavar="ADDRESS", help="join this scheduler instead")
    dk.add_argument(
        "--data",
        metavar="PATH",
        help="a stored data set: a folder with X.npy and labels.npy, or a zarr store",
    )
    tr.set_defaults(run=run, parser=tr)


def run(args: argparse.Namespace) -> int:
    """Train on the three clouds in memory (or, with --dask, on the workers); the status."""
    reason = None if args.rung is None else RUNGS[args.rung].unavailable()
    if reason is not None:  # cuda without numba-cuda or a GPU: before any cluster starts
        args.parser.error(reason)
    if args.dask:
        return _run_on_dask(args)
    given = [f"--{name.replace('_', '-')}" for name in DASK_OPTIONS if getattr(args, name)]
    if given:
        args.parser.error(f"{', '.join(given)}: only with --dask")
    train_defaults = defaults(training.train)
    for name in ("epochs", "learning_rate", "report_every"):
        if getattr(args, name) is None:
            setattr(args, name, train_defaults[name])
    check_plot(args.parser, args.plot)
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

    return _train_and_report(
        args,
        X,
        y,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        report_every=args.report_every,
        on_epoch=on_epoch,
        timing=lambda rung, seconds: f"rung {rung}, {seconds:.2f} s including compilation",
        bar=bar,
    )


def _run_on_dask(args: argparse.Namespace) -> int:
    """The reference network on a data set chunked over Dask workers (docs/user-guide/dask.md):
    generated chunk by chunk on the workers, or read from --data."""
    parser = args.parser
    if args.plot:
        parser.error("--plot needs the samples in memory; it does not combine with --dask")
    if args.data and args.samples:
        parser.error("--samples generates a data set; --data reads one: give one of them")
    try:
        from .. import _dispatch

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
        chunk = args.chunk or 1_000_000
        if args.data:
            X, labels = dist.load(args.data, chunk)
            source = f"{args.data} (read chunk by chunk on the workers)"
            try:  # the labels' checks of training, and their classes (one pass over them)
                labels, classes = dist.classic.class_labels(labels)
            except ValueError as error:
                parser.error(str(error))
        else:
            X, labels = dist.three_clouds(args.samples or 20_000_000, chunk, args.seed)
            source = f"three clouds generated on the workers (seed {args.seed})"
            classes = 3
        # the kernels of the rung the chunks run, at this network's widths (plain: none)
        rungs = () if args.plain else None if args.rung is None else (args.rung,)
        start = time.perf_counter()
        try:
            ready = dist.warm_up(
                client,
                dtypes=(args.dtype,),
                rungs=rungs,
                network=False,
                widths=(X.shape[1], args.hidden, classes),
                chunk=max(X.chunks[0]),
            )
        except ValueError as error:  # --rung narrow for layers it has no kernels for
            parser.error(str(error))
        print(f"kernels ready on {len(ready)} workers in {time.perf_counter() - start:.1f} s")
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

        def timing(rung: str, seconds: float) -> str:
            per_epoch = seconds / max(epochs, 1)
            return f"rung {rung} per chunk, {seconds:.2f} s, {per_epoch:.3f} s per epoch"

        with client.as_current():
            return _train_and_report(
                args,
                X,
                labels,
                epochs=epochs,
                learning_rate=rate,
                report_every=every,
                on_epoch=on_epoch,
                timing=timing,
            )


def _train_and_report(
    args: argparse.Namespace,
    X: ArrayLike,
    labels: ArrayLike,
    *,
    epochs: int,
    learning_rate: float,
    report_every: int,
    on_epoch: Callable[[int, float, training.Report | None], None],
    timing: Callable[[str, float], str],
    bar: tqdm | None = None,
) -> int:
    """The training call and its report, in memory and on Dask: the final report, with
    ``timing(rung, seconds)`` in parentheses, and --plot; the exit status. ``bar`` (the
    in-memory progress bar) is closed before anything is printed."""
    start = time.perf_counter()
    try:
        result = training.train(
            X,
            labels,
            hidden=args.hidden,
            learning_rate=learning_rate,
            epochs=epochs,
            rung=args.rung,
            compiled=not args.plain,
            seed=args.seed,
            report_every=report_every,
            dtype=np.dtype(args.dtype),
            callback=on_epoch,
        )
    except DivergenceError as error:  # the learning rate is too large
        return diverged(args.parser, error)
    except ValueError as error:  # bad data
        args.parser.error(str(error))
    except training.TrainingInterrupted as stop:  # Ctrl-C: what the completed epochs reached
        if bar is not None:
            bar.close()
        _print_report(stop.result.final)
        print(f"interrupted after {stop.result.final.epoch} epochs", file=sys.stderr)
        return 130  # the shell's status for a run stopped by SIGINT
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - start
    _print_report(result.final)
    print(f"final classification rate: {result.final.rate:.4f} ({timing(result.rung, elapsed)})")
    if args.plot:
        _plot(result, X, labels, args.plot)
        print(f"plot saved to {args.plot}")
    return 0


def _print_report(entry: training.Report, write: Callable[[str], None] = print) -> None:
    rate = f"classification rate {entry.rate:.4f}"
    write(f"epoch {entry.epoch:6d}   cost {entry.cost:14.4f}   {rate}")


def _plot(result: training.TrainResult, X: np.ndarray, y: np.ndarray, path: str) -> None:
    """Cost curve and decision regions over the data, saved to ``path``."""
    from ..api import forward

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
