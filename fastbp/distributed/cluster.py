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
from ..registry import choose_rung, get_rung
from .classic import warm_chunk_kernels
from .tasks import WORKER_THREADS, in_task, worker_threads


def local_cluster(
    workers: int, threads_per_worker: int, dashboard_address: str = ":8787"
) -> distributed.LocalCluster:
    """A LocalCluster of worker processes whose tasks share as many Numba threads as the
    worker has Dask threads (so that 2 x 1 on 2 cores runs 2 threads, not 2 x 2), whatever
    the client's main module imports (``tasks.WORKER_THREADS``).

    Parameters
    ----------
    workers : int
        Worker processes.
    threads_per_worker : int
        Dask threads per worker, and the Numba threads its tasks share.
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
        env={WORKER_THREADS: str(threads_per_worker)},
        dashboard_address=dashboard_address,
    )


def _warm(
    rungs: Sequence[str] | None,
    dtypes: Sequence[str],
    network: bool,
    widths: tuple[int, int, int],
    chunk: int,
) -> dict[str, object]:
    """In a task: run the kernels a job's chunks run (``classic.warm_chunk_kernels``, for
    each rung, or the one ``choose_rung`` picks for a chunk of ``chunk`` rows at this
    task's threads, as the chunks' tasks pick it; ``fastbp.warmup``'s network calls), so
    that they are compiled or loaded from the on-disk cache; what the worker then runs with."""
    start = time.perf_counter()
    for dtype in map(np.dtype, dtypes):
        for rung in (choose_rung(chunk, *widths),) if rungs is None else rungs:
            warm_chunk_kernels(rung, dtype, widths)
        if network:
            warmup._call_network(dtype)
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run: the layer Numba is set to load
        layer = numba.config.THREADING_LAYER
    return {
        "seconds": time.perf_counter() - start,
        "dask_threads": distributed.get_worker().state.nthreads,
        "numba_threads": worker_threads(),
        "task_threads": numba.get_num_threads(),
        "threading_layer": layer,
    }


def warm_up(
    client: distributed.Client,
    dtypes: Sequence[str] = ("float64",),
    rungs: Sequence[str] | None = None,
    network: bool = True,
    widths: tuple[int, int, int] = (2, 3, 3),
    chunk: int = 1_000_000,
) -> dict[str, dict[str, object]]:
    """Compile, on every worker of ``client``, the kernels a job runs on its chunks.

    One worker per host compiles first and saves them in the on-disk cache; the host's
    other workers then load them. For the classic network, each chunk's task runs a rung's
    ``gradients`` (and ``forward`` for the reports) at the network's widths: those are what
    is compiled, no other function of the rung.

    Parameters
    ----------
    client : distributed.Client
        The workers' client.
    dtypes : sequence of str, default ("float64",)
        The dtypes to compile for.
    rungs : sequence of str or None, default None
        The rungs of the classic network's chunks; None: the one ``rung=None`` picks for a
        chunk of ``chunk`` rows of these widths with a task's threads, as the chunks' tasks
        pick it. An empty sequence: none.
    network : bool, default True
        Also the general network's kernels (``fastbp.fit``, ``loss_gradient``, ``predict``
        on dask arrays).
    widths : (int, int, int), default (2, 3, 3)
        The classic network's layer widths D, M, K (the three clouds'): a rung generated per
        width (``narrow``) is compiled for these.
    chunk : int, default 1_000_000
        The rows of the largest chunk (``python -m fastbp train --dask``'s default).

    Returns
    -------
    dict
        Per worker address: ``seconds``, its ``dask_threads``, the Numba threads its tasks
        share (``numba_threads``), the threads a task uses (``task_threads``) and the
        ``threading_layer``.

    Raises
    ------
    ValueError
        If a rung is unknown or has no kernels for these widths, or a width or ``chunk``
        is not a positive integer.
    TypeError
        If a dtype is not float32 or float64.
    """
    for dtype in dtypes:
        check_dtype("dtypes", dtype)
    if not isinstance(widths, Sequence) or len(widths) != 3:
        raise ValueError(f"widths must be the three layer widths (D, M, K), got {widths!r}")
    for i, width in enumerate(widths):
        check_parameters({"sizes": width}, names={"sizes": f"widths[{i}]"})
    check_parameters({"chunk": chunk})
    widths = tuple(int(width) for width in widths)
    for rung in rungs or ():
        found = get_rung(rung)
        if not found.supports(*widths):  # the rung's own ValueError, naming its limit
            found.module.forward.for_widths(*widths)
    hosts: dict[str, list[str]] = {}
    for address, info in client.scheduler_info()["workers"].items():
        hosts.setdefault(info["host"], []).append(address)
    report: dict[str, dict[str, object]] = {}
    for wave in ([a[0] for a in hosts.values()], [w for a in hosts.values() for w in a[1:]]):
        futures = {
            address: client.submit(
                in_task(_warm),
                None if rungs is None else tuple(rungs),
                tuple(dtypes),
                network,
                widths,
                int(chunk),
                workers=[address],
                allow_other_workers=False,
                pure=False,
            )
            for address in wave
        }
        report.update({address: future.result() for address, future in futures.items()})
    return report
