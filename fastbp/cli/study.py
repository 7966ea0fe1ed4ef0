"""``python -m fastbp study``: the timings of the rungs, the network, the estimators and
Dask."""

from __future__ import annotations

import argparse
import tempfile

from ..study import main as study
from ..study import threads
from ..study.cases import DASK_CASES, ESTIMATOR_CASES, NETWORK_CASES, SIZES
from .common import check_plot, defaults, names, setting


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``study`` subcommand and its options."""
    st = commands.add_parser(
        "study",
        help="time every rung, plain and compiled, against classic NumPy (and peers)",
        description="Times one gradient step (forward + four gradients) for every rung, "
        "plain and compiled, interleaved in one process, and prints medians, spreads and "
        "speedups. With --network: one epoch of SGD with momentum of the general network "
        "through fastbp.fit (and the bare compiled epoch, and with --peers the same training "
        "in PyTorch), per epoch and per step. Progress goes to stderr.",
    )
    study_defaults = defaults(study.run)
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
        type=setting(int, "repeat"),
        default=study_defaults["repeat"],
        help="rounds per candidate (default: %(default)s)",
    )
    st.add_argument(
        "--min-time",
        type=setting(float, "min_time"),
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
    st.add_argument(
        "--threads",
        metavar="COUNTS",
        default=None,
        help="comma-separated thread counts, e.g. 1,2,4: time the sizes and network cases at "
        "each, Numba, BLAS and (with --peers) PyTorch limited alike, and print the scaling",
    )
    st.add_argument("--plot", metavar="FILE.png", help="time per sample against N (log-log)")
    st.add_argument("--json", metavar="FILE.json", help="write the raw numbers")
    st.set_defaults(run=run, parser=st)


def run(args: argparse.Namespace) -> int:
    """Run the chosen studies; the exit status."""
    parser = args.parser
    network = args.network or args.cases is not None
    cases = names(parser, "--cases", args.cases or ",".join(NETWORK_CASES), NETWORK_CASES)
    fits = args.estimators is not None
    chosen = args.estimators or ",".join(ESTIMATOR_CASES)
    estimator_cases = names(parser, "--estimators", chosen, ESTIMATOR_CASES) if fits else None
    dask = names(parser, "--dask", args.dask, DASK_CASES) if args.dask else None
    if dask:
        try:
            from .. import _dispatch

            _dispatch.distributed()
        except ImportError as error:
            parser.error(str(error))
    # --network, --estimators or --dask alone runs that study only; --sizes adds (or, alone,
    # is) the rung study
    alone = network or fits or dask
    given_sizes = args.sizes if args.sizes is not None else ("" if alone else "seed")
    sizes = names(parser, "--sizes", given_sizes, SIZES) if given_sizes else []
    if args.plot and not sizes:
        parser.error("--plot sweeps the rungs over N: give --sizes too")
    check_plot(parser, args.plot)
    counts = None
    if args.threads is not None:
        try:
            counts = threads.check_counts([int(count) for count in args.threads.split(",")])
        except ValueError as error:
            parser.error(f"--threads: {error}")
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
            thread_counts=counts,
        )
    return 0
