"""``python -m fastbp compile``: fill the on-disk compile cache ahead of time."""

from __future__ import annotations

import argparse
import time

from .. import warmup
from ..kernels import caching
from .common import defaults, names, setting


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``compile`` subcommand and its options."""
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
        help=f"comma-separated, from {', '.join(warmup.CACHED_RUNGS)} (default: "
        f"{','.join(warmup.DEFAULT_RUNGS)}, or none with --network alone)",
    )
    co.add_argument(
        "--dtypes",
        default=",".join(defaults(warmup.warm_up)["dtypes"]),
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
        type=setting(int, "jobs"),
        default=warmup.available_cpus(),
        help="processes at a time (default: the CPUs available, %(default)s)",
    )
    co.set_defaults(run=run, parser=co)


def run(args: argparse.Namespace) -> int:
    """Compile the chosen units (or, with --clear, empty the cache); the exit status."""
    parser = args.parser
    if args.clear:
        print(f"emptied fastbp's compile cache: {caching.clear()}")
        return 0
    # --network alone compiles the network only; --rungs alone, those rungs; neither, both
    if args.rungs is not None:
        rungs = names(parser, "--rungs", args.rungs, warmup.CACHED_RUNGS)
    else:
        rungs = [] if args.network else list(warmup.DEFAULT_RUNGS)
    network = args.network or args.rungs is None
    dtypes = names(parser, "--dtypes", args.dtypes, warmup.DTYPES)
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
