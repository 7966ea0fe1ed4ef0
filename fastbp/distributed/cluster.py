"""The workers: a LocalCluster with matching Numba threads, and the kernels compiled (or
loaded from the on-disk cache) on every worker before a job."""

from __future__ import annotations

import time
from collections.abc import Sequence

import distributed
import numba
import numpy as np

from .. import warmup
from .._validation import check_dtype, check_parameters
from ..registry import get_rung
from .tasks import in_task


def local_cluster(
    workers: int, threads_per_worker: int, dashboard_address: str = ":8787"
) -> distributed.LocalCluster:
    """A LocalCluster of worker processes with as many Numba threads as Dask threads each
    (so that 2 x 1 on 2 cores runs 2 threads, not 2 x 2).

    Parameters
    ----------
    workers : int
        Worker processes.
    threads_per_worker : int
        Dask threads (and Numba threads) per worker.
    dashboard_address : str, default ":8787"
        Where the dashboard listens (":0": any free port).

    Returns
    -------
    distributed.LocalCluster
        The cluster, started; a context manager that closes it.

    Raises
    ------
    ValueError
        If ``workers`` or ``threads_per_worker`` is not a positive integer.
    """
    check_parameters({"workers": workers, "threads_per_worker": threads_per_worker})
    return distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        env={"NUMBA_NUM_THREADS": str(threads_per_worker)},
        dashboard_address=dashboard_address,
    )


def _warm(rungs: Sequence[str], dtypes: Sequence[str], network: bool) -> dict[str, object]:
    """In a task: call the kernels a job runs (``fastbp.warmup``'s calls), so that they are
    compiled or loaded from the on-disk cache; what the worker then runs with."""
    start = time.perf_counter()
    for dtype in map(np.dtype, dtypes):
        for rung in rungs:
            warmup._call_rung(rung, dtype)
        if network:
            warmup._call_network(dtype)
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run: the layer Numba is set to load
        layer = numba.config.THREADING_LAYER
    return {
        "seconds": time.perf_counter() - start,
        "dask_threads": distributed.get_worker().state.nthreads,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "task_threads": numba.get_num_threads(),
        "threading_layer": layer,
    }


def warm_up(
    client: distributed.Client,
    dtypes: Sequence[str] = ("float64",),
    rungs: Sequence[str] = ("fused",),
    network: bool = True,
) -> dict[str, dict[str, object]]:
    """Compile, on every worker of ``client``, the kernels a job needs.

    One worker per host compiles first and saves them in the on-disk cache; the host's
    other workers then load them.

    Parameters
    ----------
    client : distributed.Client
        The workers' client.
    dtypes : sequence of str, default ("float64",)
        The dtypes to compile for.
    rungs : sequence of str, default ("fused",)
        The rungs whose kernels to compile (the default: the one-thread rung rung=None
        picks per chunk of a narrow network).
    network : bool, default True
        Also the general network's kernels.

    Returns
    -------
    dict
        Per worker address: ``seconds``, its ``dask_threads``, ``numba_threads``, the
        threads a task uses (``task_threads``) and the ``threading_layer``.

    Raises
    ------
    ValueError
        If a rung is unknown.
    TypeError
        If a dtype is not float32 or float64.
    """
    for rung in rungs:
        get_rung(rung)
    for dtype in dtypes:
        check_dtype("dtypes", dtype)
    hosts: dict[str, list[str]] = {}
    for address, info in client.scheduler_info()["workers"].items():
        hosts.setdefault(info["host"], []).append(address)
    report: dict[str, dict[str, object]] = {}
    for wave in ([a[0] for a in hosts.values()], [w for a in hosts.values() for w in a[1:]]):
        futures = {
            address: client.submit(
                in_task(_warm),
                tuple(rungs),
                tuple(dtypes),
                network,
                workers=[address],
                allow_other_workers=False,
                pure=False,
            )
            for address in wave
        }
        report.update({address: future.result() for address, future in futures.items()})
    return report
