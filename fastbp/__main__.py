"""Command line: ``python -m fastbp train`` (the reference run) and ``python -m fastbp study``."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .datasets import three_clouds
from .examples import EXAMPLES
from .registry import RUNGS
from .study.cases import NETWORK_CASES, SIZES
from .training import Report, TrainResult, train


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, width: int = 30):
        self.total, self.width = max(total, 1), width
        self.enabled = sys.stderr.isatty()

    def update(self, done: int) -> None:
        if self.enabled and (done == self.total or done % max(self.total // 100, 1) == 0):
            filled = self.width * done // self.total
            bar = "#" * filled + "-" * (self.width - filled)
            sys.stderr.write(f"\r[{bar}] {done}/{self.total} epochs")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * (self.width + 30) + "\r")
            sys.stderr.flush()


def _print_report(entry: Report) -> None:
    print(
        f"epoch {entry.epoch:6d}   cost {entry.cost:14.4f}   classification rate {entry.rate:.4f}"
    )


def _train_command(args: argparse.Namespace) -> int:
    if args.example != "clouds":
        return _example_command(args)
    args.epochs = 1000 if args.epochs is None else args.epochs
    args.learning_rate = 1e-3 if args.learning_rate is None else args.learning_rate
    args.report_every = 100 if args.report_every is None else args.report_every
    X, y = three_clouds(args.samples_per_class, seed=args.seed)
    bar = ProgressBar(args.epochs)

    def on_epoch(epoch: int, cost: float, entry: Report | None) -> None:
        if entry is not None:
            bar.clear()
            _print_report(entry)
        bar.update(epoch + 1)

    print(
        f"three clouds: N={len(X)}, D=2, M={args.hidden}, K=3; learning rate "
        f"{args.learning_rate}, {args.epochs} epochs, rung "
        f"{args.rung or 'auto'} ({'plain Python' if args.plain else 'compiled'}), {args.dtype}"
    )
    start = time.perf_counter()
    result = train(
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
    elapsed = time.perf_counter() - start
    bar.clear()
    _print_report(result.final)
    print(
        f"final classification rate: {result.final.rate:.4f} "
        f"(rung {result.rung}, {elapsed:.2f} s including compilation)"
    )
    if args.plot:
        _plot(result, X, y, args.plot)
        print(f"plot saved to {args.plot}")
    return 0


CLOUDS_ONLY = {"rung": None, "plain": False, "hidden": 3, "samples_per_class": 500, "plot": None}


def _example_command(args: argparse.Namespace) -> int:
    """The general-network tutorials (``fastbp.examples``)."""
    from .examples import run

    for option, default in CLOUDS_ONLY.items():
        if getattr(args, option) != default:
            flag = "--" + option.replace("_", "-")
            raise SystemExit(f"{flag} applies to --example clouds only")
    run(
        args.example,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        seed=args.seed,
        report_every=args.report_every,
        dtype=np.dtype(args.dtype).type,
    )
    return 0


def _plot(result: TrainResult, X: np.ndarray, y: np.ndarray, path: str) -> None:
    """Cost curve and decision regions over the data, saved to ``path``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit(
            "--plot needs matplotlib: pip install 'fastbp[plot]' (or pip install matplotlib)"
        ) from None
    from .api import forward

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


def _study_command(args: argparse.Namespace) -> int:
    import tempfile

    from .study.main import run

    def names(option: str, given: str, known) -> list[str]:
        chosen = [s.strip() for s in given.split(",") if s.strip()]
        unknown = [s for s in chosen if s not in known]
        if unknown or not chosen:
            raise SystemExit(f"{option}: unknown {unknown}; choose from {', '.join(known)}")
        return chosen

    network = args.network or args.cases is not None
    cases = names("--cases", args.cases or ",".join(NETWORK_CASES), NETWORK_CASES)
    # --network alone runs the network study only; --sizes adds (or, alone, is) the rung study
    given_sizes = args.sizes if args.sizes is not None else ("" if network else "seed")
    sizes = names("--sizes", given_sizes, SIZES) if given_sizes else []
    if args.plot and not sizes:
        raise SystemExit("--plot sweeps the rungs over N: give --sizes too")
    with tempfile.TemporaryDirectory() as cache:
        run(
            sizes,
            repeat=args.repeat,
            min_time=args.min_time,
            peers=args.peers,
            compile_cache=cache if args.compile else None,
            plot_path=args.plot,
            json_path=args.json,
            network=cases if network else None,
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fastbp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    tr = commands.add_parser(
        "train",
        help="the reference training run on the three clouds (docs/math.md, section 5)",
        description="Full-batch gradient ascent on the three Gaussian clouds; prints the cost "
        "and classification rate every --report-every epochs and the final rate. "
        "--example picks another tutorial: "
        + "; ".join(f"{name}: {example.summary}" for name, example in EXAMPLES.items()),
    )
    tr.add_argument(
        "--example",
        choices=["clouds", *EXAMPLES],
        default="clouds",
        help="which tutorial (default: clouds, the classic run)",
    )
    tr.add_argument("--rung", choices=list(RUNGS), default=None, help="default: auto by shape")
    tr.add_argument("--plain", action="store_true", help="run the rung as plain Python/NumPy")
    tr.add_argument("--epochs", type=int, help="default: 1000 for clouds, else the example's")
    tr.add_argument(
        "--learning-rate", type=float, help="default: 1e-3 for clouds, else the example's"
    )
    tr.add_argument("--hidden", type=int, default=3, help="hidden units M")
    tr.add_argument("--samples-per-class", type=int, default=500)
    tr.add_argument("--seed", type=int, default=0, help="seed for the data and the weights")
    tr.add_argument("--report-every", type=int, help="default: 100 for clouds, else the example's")
    tr.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    tr.add_argument("--plot", metavar="FILE.png", help="save the cost curve and decision regions")
    tr.set_defaults(run=_train_command)

    st = commands.add_parser(
        "study",
        help="time every rung, plain and compiled, against classic NumPy (and peers)",
        description="Times one gradient step (forward + four gradients) for every rung, "
        "plain and compiled, interleaved in one process, and prints medians, spreads and "
        "speedups. With --network: one epoch of SGD with momentum of the general network "
        "through fastbp.fit (and the bare compiled epoch, and with --peers the same training "
        "in PyTorch), per epoch and per step. Progress goes to stderr.",
    )
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
    st.add_argument("--repeat", type=int, default=7, help="rounds per candidate")
    st.add_argument("--min-time", type=float, default=0.05, help="seconds per round")
    st.add_argument(
        "--peers", action="store_true", help="add PyTorch and JAX if installed (network: PyTorch)"
    )
    st.add_argument(
        "--compile",
        action="store_true",
        help="also time compilation and cold start in new processes (about 2 minutes; "
        "with --network, of the network kernels)",
    )
    st.add_argument("--plot", metavar="FILE.png", help="time per sample against N (log-log)")
    st.add_argument("--json", metavar="FILE.json", help="write the raw numbers")
    st.set_defaults(run=_study_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
